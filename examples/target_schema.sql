-- Target schema (database `target`, schema public), Supabase style: UUID primary keys,
-- timestamptz, foreign keys, NOT NULL and CHECK constraints. Every migrated row keeps its legacy
-- key in legacy_*_id columns (UNIQUE; nullable because the new application creates rows of its own).
--
-- profiles, orders, cases, messages and files were migrated before mapengine: setup.sh fills them.
-- The nine tables below them start empty; mapengine fills them from mappings/.
-- (In Supabase, profiles.id would also reference auth.users(id); left out of this stand-in.)
--
-- Idempotent: drops and recreates only the tables it owns (mapengine's own state is untouched).
-- Needs PostgreSQL 13 or later (gen_random_uuid() in core).

DROP TABLE IF EXISTS template_view_roles, template_view_groups, treatment_discussions,
  message_attachments, purchases, order_cases, brackets, technician_roles, technicians,
  files, messages, cases, orders, profiles CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Already migrated.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE profiles (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_user_id  integer UNIQUE,
  email           text NOT NULL UNIQUE,
  full_name       text NOT NULL,
  role            text NOT NULL CHECK (role IN ('doctor', 'technician', 'staff', 'admin')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_order_id  integer UNIQUE,
  order_number     text NOT NULL UNIQUE,
  doctor_id        uuid NOT NULL REFERENCES profiles (id),
  status           text NOT NULL CHECK (status IN ('new', 'in_production', 'shipped', 'cancelled')),
  total_cents      bigint NOT NULL CHECK (total_cents >= 0),
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cases (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_case_id  integer UNIQUE,
  case_number     text NOT NULL UNIQUE,
  doctor_id       uuid NOT NULL REFERENCES profiles (id),
  patient_name    text NOT NULL,
  status          text NOT NULL CHECK (status IN ('open', 'on_hold', 'closed')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_message_id  integer UNIQUE,
  case_id            uuid NOT NULL REFERENCES cases (id),
  sender_id          uuid NOT NULL REFERENCES profiles (id),
  body               text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE files (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_file_id  integer UNIQUE,
  uploaded_by     uuid NOT NULL REFERENCES profiles (id),
  file_name       text NOT NULL,
  mime_type       text NOT NULL,
  size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
  storage_path    text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- The nine tables mapengine fills.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE technicians (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_technician_id  integer UNIQUE,
  profile_id            uuid NOT NULL UNIQUE REFERENCES profiles (id),
  full_name             text NOT NULL CHECK (full_name <> ''),
  email                 text UNIQUE CHECK (email = lower(btrim(email))),
  phone                 text,
  status                text NOT NULL CHECK (status IN ('active', 'inactive', 'on_leave')),
  hourly_rate_cents     integer CHECK (hourly_rate_cents >= 0),
  hired_on              date,
  created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE technician_roles (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  technician_id         uuid NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
  role                  text NOT NULL CHECK (role IN ('lead', 'quality_control', 'scanning', 'printing', 'bonding')),
  granted_at            timestamptz NOT NULL,
  granted_by            uuid REFERENCES profiles (id),
  legacy_technician_id  integer,
  legacy_role_code      text,
  UNIQUE (legacy_technician_id, legacy_role_code),
  UNIQUE (technician_id, role)
);

CREATE TABLE brackets (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_bracket_id  integer UNIQUE,
  sku                text NOT NULL UNIQUE,
  manufacturer       text NOT NULL,
  description        text NOT NULL,
  slot_size          text NOT NULL CHECK (slot_size IN ('0.018', '0.022')),
  tooth              text,
  unit_price_cents   integer NOT NULL CHECK (unit_price_cents >= 0),
  status             text NOT NULL CHECK (status IN ('active', 'inactive', 'discontinued')),
  replaced_by_id     uuid REFERENCES brackets (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (replaced_by_id IS DISTINCT FROM id)
);

CREATE TABLE order_cases (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_order_case_id  integer UNIQUE,
  order_id              uuid NOT NULL REFERENCES orders (id),
  case_id               uuid NOT NULL REFERENCES cases (id),
  is_primary            boolean NOT NULL DEFAULT false,
  linked_at             timestamptz NOT NULL,
  UNIQUE (order_id, case_id)
);

CREATE TABLE purchases (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_purchase_id  integer UNIQUE,
  order_id            uuid NOT NULL REFERENCES orders (id),
  bracket_id          uuid NOT NULL REFERENCES brackets (id),
  technician_id       uuid REFERENCES technicians (id),
  quantity            integer NOT NULL CHECK (quantity > 0),
  unit_price_cents    integer NOT NULL CHECK (unit_price_cents >= 0),
  total_cents         integer NOT NULL CHECK (total_cents >= 0),
  status              text NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'cancelled')),
  purchased_at        timestamptz NOT NULL
                      CHECK (purchased_at >= '2000-01-01 00:00:00+00' AND purchased_at < '2100-01-01 00:00:00+00'),
  notes               text
);

CREATE TABLE message_attachments (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_attachment_id  integer UNIQUE,
  message_id            uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  file_id               uuid NOT NULL REFERENCES files (id),
  position              integer NOT NULL CHECK (position >= 0),
  caption               text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, file_id)
);

CREATE TABLE treatment_discussions (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_discussion_id  integer UNIQUE,
  case_id               uuid NOT NULL REFERENCES cases (id),
  author_id             uuid NOT NULL REFERENCES profiles (id),
  technician_id         uuid REFERENCES technicians (id),
  message_id            uuid REFERENCES messages (id),
  subject               text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
  body                  text NOT NULL,
  visibility            text NOT NULL CHECK (visibility IN ('internal', 'doctor', 'patient')),
  is_resolved           boolean NOT NULL DEFAULT false,
  created_at            timestamptz NOT NULL
                        CHECK (created_at >= '2000-01-01 00:00:00+00' AND created_at < '2100-01-01 00:00:00+00')
);

CREATE TABLE template_view_groups (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  legacy_group_id  integer UNIQUE,
  parent_id        uuid REFERENCES template_view_groups (id),
  name             text NOT NULL,
  slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  sort_order       integer NOT NULL DEFAULT 0,
  is_active        boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (parent_id IS DISTINCT FROM id)
);

CREATE TABLE template_view_roles (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id         uuid NOT NULL REFERENCES template_view_groups (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('admin', 'doctor', 'technician', 'staff', 'billing')),
  can_edit         boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  legacy_group_id  integer,
  legacy_role      text,
  UNIQUE (legacy_group_id, legacy_role),
  UNIQUE (group_id, role)
);
