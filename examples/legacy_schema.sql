-- Legacy schema of the orthodontic-lab order system (database `legacy`, schema public).
--
-- What it looks like, on purpose, because the real one does:
--   * serial integer keys;
--   * `timestamp without time zone` columns holding America/Chicago wall-clock time;
--   * single-letter status codes (sometimes typed in lower case);
--   * money as numeric(10,2) dollars;
--   * free text with unicode and stray whitespace;
--   * soft deletes (deleted_at or is_deleted) instead of DELETE;
--   * primary keys but NO foreign keys: the application enforced relationships in code, which is
--     how orphans got in.
--
-- Idempotent: drops and recreates only the tables it owns (run with psql -v ON_ERROR_STOP=1).

DROP TABLE IF EXISTS template_view_roles, template_view_groups, treatment_discussions,
  message_attachments, purchases, order_cases, brackets, technician_roles, technicians,
  files, messages, cases, orders, users CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Tables migrated before mapengine (their target rows carry legacy_*_id).
-- ---------------------------------------------------------------------------------------------

CREATE TABLE users (
  id          serial PRIMARY KEY,
  email       varchar(255) NOT NULL,
  first_name  varchar(100) NOT NULL,
  last_name   varchar(100) NOT NULL,
  role        char(1) NOT NULL,            -- D doctor, T technician, S staff, A admin
  created_at  timestamp NOT NULL,          -- America/Chicago local time
  is_deleted  boolean NOT NULL DEFAULT false
);

CREATE TABLE orders (
  id            serial PRIMARY KEY,
  order_number  varchar(20) NOT NULL,
  doctor_id     integer NOT NULL,          -- users.id
  status        char(1) NOT NULL,          -- N new, P in production, S shipped, C cancelled
  total         numeric(10,2) NOT NULL,    -- dollars
  created_at    timestamp NOT NULL,
  deleted_at    timestamp
);

CREATE TABLE cases (
  id            serial PRIMARY KEY,
  case_number   varchar(20) NOT NULL,
  doctor_id     integer NOT NULL,          -- users.id
  patient_name  varchar(200) NOT NULL,
  status        char(1) NOT NULL,          -- O open, H on hold, C closed
  created_at    timestamp NOT NULL
);

CREATE TABLE messages (
  id          serial PRIMARY KEY,
  case_id     integer NOT NULL,            -- cases.id
  sender_id   integer NOT NULL,            -- users.id
  body        text NOT NULL,
  created_at  timestamp NOT NULL
);

CREATE TABLE files (
  id            serial PRIMARY KEY,
  uploaded_by   integer NOT NULL,          -- users.id
  file_name     varchar(255) NOT NULL,
  mime_type     varchar(100) NOT NULL,
  byte_size     bigint NOT NULL,
  storage_path  varchar(500) NOT NULL,
  created_at    timestamp NOT NULL,
  is_deleted    boolean NOT NULL DEFAULT false
);

-- ---------------------------------------------------------------------------------------------
-- The nine tables mapengine migrates.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE technicians (
  id           serial PRIMARY KEY,
  user_id      integer NOT NULL,           -- users.id (no FK: see the header)
  first_name   varchar(100) NOT NULL,
  last_name    varchar(100) NOT NULL,
  email        varchar(255) NOT NULL DEFAULT '',   -- '' when unknown; not unique here
  phone        varchar(40),
  status       char(1) NOT NULL,           -- A active, I inactive, L on leave
  hourly_rate  numeric(10,2),              -- dollars
  hired_on     varchar(10),                -- 'YYYY-MM-DD' typed by hand, '' when unknown
  created_at   timestamp NOT NULL,
  deleted_at   timestamp
);

-- Composite key: a technician holds each role at most once.
CREATE TABLE technician_roles (
  technician_id  integer NOT NULL,         -- technicians.id
  role_code      varchar(4) NOT NULL,      -- L lead, Q quality control, S scanning, P printing, B bonding
  granted_at     timestamp NOT NULL,
  granted_by     integer,                  -- users.id of an admin
  is_deleted     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (technician_id, role_code)
);

-- Bracket catalog. A discontinued bracket names its successor (a newer, higher id).
CREATE TABLE brackets (
  id              serial PRIMARY KEY,
  sku             varchar(30) NOT NULL,
  manufacturer    varchar(100) NOT NULL,
  product_line    varchar(100) NOT NULL,
  slot_size       varchar(5) NOT NULL,     -- '0.018' or '0.022' (inches)
  tooth           varchar(3),              -- UR1..LL7, NULL for universal
  unit_price      numeric(10,2) NOT NULL,  -- dollars
  status          char(1) NOT NULL,        -- A active, I inactive, D discontinued
  replaced_by_id  integer,                 -- brackets.id (self-reference)
  created_at      timestamp NOT NULL,
  is_deleted      boolean NOT NULL DEFAULT false
);

-- Which cases an order covers. No unique (order_id, case_id) here: the app checked, mostly.
CREATE TABLE order_cases (
  id          serial PRIMARY KEY,
  order_id    integer NOT NULL,            -- orders.id
  case_id     integer NOT NULL,            -- cases.id
  is_primary  char(1),                     -- Y / N, NULL on rows older than the column
  linked_at   timestamp NOT NULL,
  deleted_at  timestamp
);

-- Brackets bought for an order, processed by a technician.
CREATE TABLE purchases (
  id             serial PRIMARY KEY,
  order_id       integer NOT NULL,         -- orders.id
  bracket_id     integer NOT NULL,         -- brackets.id
  technician_id  integer,                  -- technicians.id, NULL when ordered by the office
  quantity       integer NOT NULL,
  unit_price     numeric(10,2) NOT NULL,   -- dollars
  total          numeric(10,2) NOT NULL,   -- dollars, quantity * unit_price
  status         char(1) NOT NULL,         -- P pending, C completed (paid), R refunded, X cancelled
  purchased_at   timestamp,                -- NULL on rows before 2020: use created_at
  notes          text,
  created_at     timestamp NOT NULL,
  deleted_at     timestamp
);

CREATE TABLE message_attachments (
  id          serial PRIMARY KEY,
  message_id  integer NOT NULL,            -- messages.id
  file_id     integer NOT NULL,            -- files.id
  position    integer NOT NULL,            -- 0-based order within the message
  caption     varchar(500),
  created_at  timestamp NOT NULL,
  is_deleted  boolean NOT NULL DEFAULT false
);

-- Clinical discussion threads on a case, between the doctor and the lab.
CREATE TABLE treatment_discussions (
  id             serial PRIMARY KEY,
  case_id        integer NOT NULL,         -- cases.id
  author_id      integer NOT NULL,         -- users.id
  technician_id  integer,                  -- technicians.id assigned to answer, if any
  message_id     integer,                  -- messages.id that started it, if any
  subject        varchar(255) NOT NULL,
  body           text NOT NULL,
  visibility     char(1) NOT NULL,         -- I internal, D doctor, P patient
  is_resolved    char(1),                  -- Y / N
  created_at     timestamp NOT NULL,
  deleted_at     timestamp
);

-- Groups of screen templates, as a tree (self-reference through parent_group_id).
CREATE TABLE template_view_groups (
  id               serial PRIMARY KEY,
  parent_group_id  integer,                -- template_view_groups.id, NULL for a root
  name             varchar(150) NOT NULL,
  slug             varchar(150) NOT NULL,
  sort_order       integer NOT NULL DEFAULT 0,
  is_active        char(1) NOT NULL DEFAULT 'Y',   -- Y / N
  created_at       timestamp NOT NULL,
  deleted_at       timestamp
);

-- Which roles see a template group. Composite key; role is free text, not normalised.
CREATE TABLE template_view_roles (
  group_id    integer NOT NULL,            -- template_view_groups.id
  role        varchar(30) NOT NULL,        -- admin, doctor, technician, staff, billing
  can_edit    char(1) NOT NULL DEFAULT 'N',  -- Y / N
  created_at  timestamp NOT NULL,
  PRIMARY KEY (group_id, role)
);
