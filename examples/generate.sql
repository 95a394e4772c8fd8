-- Deterministic data generator for the legacy database (run after legacy_schema.sql):
--
--   psql "$MAPENGINE_SOURCE_URL" -v ON_ERROR_STOP=1 -v scale=1 -f examples/generate.sql
--
-- scale (default 1, decimals allowed, at least 0.2) multiplies every table: scale 1 gives about
-- 69,400 rows in the nine migrated tables, scale 15 about 1,040,000.
--
-- Same scale, same bytes: values come from hashint8() over (row number, salt), never random(),
-- and timestamps are spread over 2019-01-07 .. 2025-09 in business hours (08:00-17:59 Chicago),
-- so no generated wall-clock time falls in a DST gap or overlap.
--
-- Generated references only point at rows that exist and are not soft-deleted. The few dirty
-- rows are added explicitly at the end, with ids from 9000001 up (a sequence jump, as after the
-- legacy system's 2021 restore); examples/README.md lists them with the outcome each should get.

\if :{?scale}
\else
  \set scale 1
\endif

BEGIN;

SELECT set_config('gen.scale', :'scale', true);
DO $$
BEGIN
  IF current_setting('gen.scale')::numeric < 0.2 THEN
    RAISE EXCEPTION 'generate.sql: scale must be at least 0.2 (got %)', current_setting('gen.scale');
  END IF;
END $$;

-- Row counts per table.
CREATE TEMP TABLE sz ON COMMIT DROP AS
SELECT round(5000 * s)::int  AS users,
       round(15000 * s)::int AS orders,
       round(12000 * s)::int AS cases,
       round(20000 * s)::int AS messages,
       round(20000 * s)::int AS files,
       round(400 * s)::int   AS technicians,
       round(1500 * s)::int  AS brackets,
       round(18000 * s)::int AS order_cases,
       round(15000 * s)::int AS purchases,
       round(20000 * s)::int AS attachments,
       round(12000 * s)::int AS discussions,
       round(300 * s)::int   AS groups
FROM (SELECT current_setting('gen.scale')::numeric AS s) p;

-- ---------------------------------------------------------------------------------------------
-- Helpers (session-local; they leave nothing behind in the legacy database).
-- ---------------------------------------------------------------------------------------------

-- A pseudo-random integer in [0, 2^31) for row i and a salt that names the use.
CREATE FUNCTION pg_temp.rnd(i bigint, salt int) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT abs(hashint8(i * 1000 + salt)::bigint) $$;

CREATE FUNCTION pg_temp.pick(arr text[], i bigint, salt int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT arr[1 + pg_temp.rnd(i, salt) % cardinality(arr)] $$;

-- The i-th of n timestamps, increasing with i, on a business hour of its day.
CREATE FUNCTION pg_temp.biz_ts(i bigint, n bigint, salt int) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$
  SELECT timestamp '2019-01-07 08:00' + (i * 2450 / (n + 1)) * interval '1 day'
         + (pg_temp.rnd(i, salt) % 36000) * interval '1 second'
$$;

-- A doctor's user id (role D: id % 10 in 1..6; never soft-deleted, those end in 37).
CREATE FUNCTION pg_temp.doctor(i bigint, salt int, n_users int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT (10 * (pg_temp.rnd(i, salt) % (n_users / 10)) + 1 + pg_temp.rnd(i, salt + 1) % 6)::int
$$;

-- A technician id among 1..n, stepping back from the soft-deleted ones (id % 50 = 7).
CREATE FUNCTION pg_temp.technician(i bigint, salt int, n int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT (1 + pg_temp.rnd(i, salt) % n - ((1 + pg_temp.rnd(i, salt) % n) % 50 = 7)::int)::int
$$;

-- An order id among 1..n, stepping back from the soft-deleted ones (id % 500 = 250).
CREATE FUNCTION pg_temp.live_order(o bigint) RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT (o - (o % 500 = 250)::int)::int $$;

-- A bracket's catalog price in dollars.
CREATE FUNCTION pg_temp.bracket_price(b bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT 1.50 + (pg_temp.rnd(b, 77) % 2000) / 100.0 $$;

-- Names: display spelling and the ASCII spelling used in e-mail addresses, index for index.
CREATE FUNCTION pg_temp.first_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['José', 'Zoë', 'Łukasz', 'Søren', 'Chloé', 'Ana', 'Mateo', 'Aylin', 'Priya',
               'Thảo', 'Björn', 'Renée', 'Daniel', 'Mary Ann', 'Wei']
$$;
CREATE FUNCTION pg_temp.first_ascii() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['jose', 'zoe', 'lukasz', 'soren', 'chloe', 'ana', 'mateo', 'aylin', 'priya',
               'thao', 'bjorn', 'renee', 'daniel', 'maryann', 'wei']
$$;
CREATE FUNCTION pg_temp.last_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['García', 'Nguyễn', 'Kowalski', 'Müller', 'O''Connor', 'Johansson', 'Haddad',
               'Kim', 'Rossi', 'Øvrebø', 'Smith', 'Dvořák', 'Okafor']
$$;
CREATE FUNCTION pg_temp.last_ascii() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['garcia', 'nguyen', 'kowalski', 'muller', 'oconnor', 'johansson', 'haddad',
               'kim', 'rossi', 'ovrebo', 'smith', 'dvorak', 'okafor']
$$;
CREATE FUNCTION pg_temp.first_idx(u bigint) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT (1 + pg_temp.rnd(u, 1) % 15)::int $$;
CREATE FUNCTION pg_temp.last_idx(u bigint) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT (1 + pg_temp.rnd(u, 2) % 13)::int $$;

-- The e-mail address of user u (lower case; unique because it contains the id). Casts are
-- explicit: text || bigint is only STABLE, which would keep these helpers from being inlined.
CREATE FUNCTION pg_temp.user_email(u bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (pg_temp.first_ascii())[pg_temp.first_idx(u)] || '.' || (pg_temp.last_ascii())[pg_temp.last_idx(u)]
         || u::text || CASE WHEN u % 10 IN (0, 7, 8, 9) THEN '@smilelab.example'
                            ELSE '@clinic' || (u % 40)::text || '.example' END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables migrated before mapengine.
-- ---------------------------------------------------------------------------------------------

-- Roles by id % 10: 0 technician, 1-6 doctor, 7-8 staff, 9 admin. Ids ending in 37 are
-- soft-deleted (all staff), so nothing generated points at them.
INSERT INTO users (id, email, first_name, last_name, role, created_at, is_deleted)
SELECT u, pg_temp.user_email(u),
       (pg_temp.first_names())[pg_temp.first_idx(u)], (pg_temp.last_names())[pg_temp.last_idx(u)],
       CASE WHEN u % 10 = 0 THEN 'T' WHEN u % 10 <= 6 THEN 'D' WHEN u % 10 <= 8 THEN 'S' ELSE 'A' END,
       pg_temp.biz_ts(u, sz.users, 3), u % 100 = 37
FROM sz, generate_series(1, sz.users) u;

INSERT INTO orders (id, order_number, doctor_id, status, total, created_at, deleted_at)
SELECT o, 'ORD-' || lpad(o::text, 7, '0'), pg_temp.doctor(o, 10, sz.users),
       (ARRAY['N', 'P', 'P', 'S', 'S', 'S', 'S', 'C'])[1 + pg_temp.rnd(o, 12) % 8],
       (pg_temp.rnd(o, 13) % 250000) / 100.0,
       pg_temp.biz_ts(o, sz.orders, 14),
       CASE WHEN o % 500 = 250 THEN pg_temp.biz_ts(o, sz.orders, 14) + interval '3 days' END
FROM sz, generate_series(1, sz.orders) o;

INSERT INTO cases (id, case_number, doctor_id, patient_name, status, created_at)
SELECT c, 'C-' || lpad(c::text, 6, '0'), pg_temp.doctor(c, 20, sz.users),
       (pg_temp.first_names())[pg_temp.first_idx(c + 7000000)] || ' '
         || (pg_temp.last_names())[pg_temp.last_idx(c + 7000000)],
       (ARRAY['O', 'O', 'H', 'C', 'C'])[1 + pg_temp.rnd(c, 22) % 5],
       pg_temp.biz_ts(c, sz.cases, 23)
FROM sz, generate_series(1, sz.cases) c;

-- Senders: the doctor side or a lab technician's user (technician t is user 10 * t).
INSERT INTO messages (id, case_id, sender_id, body, created_at)
SELECT m, 1 + pg_temp.rnd(m, 30) % sz.cases,
       CASE WHEN pg_temp.rnd(m, 31) % 2 = 0 THEN pg_temp.doctor(m, 32, sz.users)
            ELSE 10 * (1 + pg_temp.rnd(m, 34) % sz.technicians) END,
       pg_temp.pick(ARRAY['Please see the attached scan.', 'Patient reports discomfort on UR3.',
                          'Can we switch to 0.022 slot?', 'Bitte Rückmeldung bis Freitag.',
                          'Approved, go ahead 👍', 'Shipping label attached.'], m, 35),
       pg_temp.biz_ts(m, sz.messages, 36)
FROM sz, generate_series(1, sz.messages) m;

-- Files with id % 1000 = 500 are soft-deleted (their attachments too, below).
INSERT INTO files (id, uploaded_by, file_name, mime_type, byte_size, storage_path, created_at, is_deleted)
SELECT f, pg_temp.doctor(f, 40, sz.users), name, mime, 20000 + pg_temp.rnd(f, 42) % 50000000,
       'lab-files/' || to_char(ts, 'YYYY/MM') || '/' || f || '-' || name, ts, f % 1000 = 500
FROM sz, generate_series(1, sz.files) f,
     LATERAL (SELECT pg_temp.biz_ts(f, sz.files, 43) AS ts,
                     (ARRAY['stl', 'jpg', 'pdf', 'png'])[1 + pg_temp.rnd(f, 41) % 4] AS ext) x,
     LATERAL (SELECT (ARRAY['scan_upper', 'scan_lower', 'photo_front', 'rx', 'bite'])[1 + pg_temp.rnd(f, 44) % 5]
                     || '_' || f || '.' || ext AS name,
                     CASE ext WHEN 'stl' THEN 'model/stl' WHEN 'jpg' THEN 'image/jpeg'
                              WHEN 'pdf' THEN 'application/pdf' ELSE 'image/png' END AS mime) y;

-- ---------------------------------------------------------------------------------------------
-- The nine tables.
-- ---------------------------------------------------------------------------------------------

-- Technician t is user 10 * t, and the legacy app copied that user's name (with some stray
-- whitespace) and e-mail (varying case and padding, '' when unknown). Ids % 50 = 7 are
-- soft-deleted.
INSERT INTO technicians (id, user_id, first_name, last_name, email, phone, status, hourly_rate,
                         hired_on, created_at, deleted_at)
SELECT t, u.id,
       CASE WHEN t % 13 = 0 THEN '  ' ELSE '' END || u.first_name,
       u.last_name || CASE WHEN t % 17 = 0 THEN '  ' ELSE '' END,
       CASE WHEN t % 23 = 0 THEN ''
            WHEN t % 11 = 0 THEN ' ' || u.email || ' '
            WHEN t % 7 = 0 THEN initcap(u.email)
            ELSE u.email END,
       CASE pg_temp.rnd(t, 51) % 5
         WHEN 0 THEN NULL
         WHEN 1 THEN '(312) 555-' || lpad((pg_temp.rnd(t, 52) % 10000)::text, 4, '0')
         WHEN 2 THEN '312.555.' || lpad((pg_temp.rnd(t, 52) % 10000)::text, 4, '0')
         WHEN 3 THEN '+1 312 555 ' || lpad((pg_temp.rnd(t, 52) % 10000)::text, 4, '0')
         ELSE ' 773-555-' || lpad((pg_temp.rnd(t, 52) % 10000)::text, 4, '0') || ' ' END,
       CASE WHEN t % 29 = 0 THEN 'a'
            ELSE (ARRAY['A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
                        'I', 'I', 'L', 'L'])[1 + pg_temp.rnd(t, 53) % 20] END,
       CASE WHEN t % 31 = 0 THEN NULL ELSE 18.00 + (pg_temp.rnd(t, 54) % 2200) / 100.0 END,
       CASE WHEN t % 19 = 0 THEN ''
            ELSE to_char(pg_temp.biz_ts(t, sz.technicians, 55) - (pg_temp.rnd(t, 56) % 400) * interval '1 day',
                         'YYYY-MM-DD') END,
       pg_temp.biz_ts(t, sz.technicians, 55),
       CASE WHEN t % 50 = 7 THEN pg_temp.biz_ts(t, sz.technicians, 55) + interval '200 days' END
FROM sz, generate_series(1, sz.technicians) t JOIN users u ON u.id = 10 * t;

-- About half of the five roles per technician (soft-deleted technicians keep theirs); ~6% revoked.
INSERT INTO technician_roles (technician_id, role_code, granted_at, granted_by, is_deleted)
SELECT t, code, pg_temp.biz_ts(t, sz.technicians, 55) + k * interval '1 day',
       CASE WHEN pg_temp.rnd(t * 10 + k, 61) % 10 = 0 THEN NULL
            ELSE (10 * (pg_temp.rnd(t * 10 + k, 62) % (sz.users / 10)) + 9)::int END,
       pg_temp.rnd(t * 10 + k, 63) % 100 < 6
FROM sz, generate_series(1, sz.technicians) t,
     unnest(ARRAY['L', 'Q', 'S', 'P', 'B']) WITH ORDINALITY AS r(code, k)
WHERE pg_temp.rnd(t * 10 + k, 60) % 100 < 50;

-- Catalog: ids % 10 = 3 are discontinued and name a newer replacement (a forward reference),
-- ids % 100 = 99 are soft-deleted and never named as a replacement.
INSERT INTO brackets (id, sku, manufacturer, product_line, slot_size, tooth, unit_price, status,
                      replaced_by_id, created_at, is_deleted)
SELECT b, 'BR-' || lpad(b::text, 6, '0'),
       pg_temp.pick(ARRAY['American Orthodontics', 'Ormco', '3M Unitek', 'Dentsply Sirona',
                          ' GC Orthodontics ', 'Ormco '], b, 70),
       pg_temp.pick(ARRAY['Mini Master', 'Damon Q', 'Victory Series', 'Clarity Advanced',
                          'Empower 2', 'In-Ovation R', 'Experience Céramique'], b, 71),
       pg_temp.pick(ARRAY['0.018', '0.022', '0.022'], b, 72),
       CASE WHEN pg_temp.rnd(b, 73) % 5 = 0 THEN NULL
            ELSE pg_temp.pick(ARRAY['UR', 'UL', 'LR', 'LL'], b, 74) || (1 + pg_temp.rnd(b, 75) % 7) END,
       pg_temp.bracket_price(b),
       CASE b % 10 WHEN 3 THEN 'D' WHEN 7 THEN 'I' ELSE 'A' END,
       CASE WHEN b % 10 = 3 THEN (SELECT CASE WHEN r2 <= sz.brackets THEN r2 END
                                  FROM (SELECT r + (r % 100 = 99)::int AS r2
                                        FROM (SELECT b + 1 + pg_temp.rnd(b, 76) % 5 AS r) a) c) END,
       pg_temp.biz_ts(b, sz.brackets, 78),
       b % 100 = 99
FROM sz, generate_series(1, sz.brackets) b;

-- Pass 0 links every order to one (primary) case, pass 1 gives 20% of orders a second case.
-- Soft-deleted orders are never linked (their rows fold onto the previous order, not primary).
INSERT INTO order_cases (id, order_id, case_id, is_primary, linked_at, deleted_at)
SELECT i, pg_temp.live_order(o_raw),
       1 + (o_raw * 7919 + pass * 104729) % sz.cases,
       CASE WHEN i % 9 = 0 THEN NULL WHEN pass = 0 AND o_raw % 500 <> 250 THEN 'Y' ELSE 'N' END,
       pg_temp.biz_ts(o_raw, sz.orders, 14) + (pg_temp.rnd(i, 80) % 3) * interval '1 day',
       CASE WHEN i % 400 = 123 THEN pg_temp.biz_ts(o_raw, sz.orders, 14) + interval '30 days' END
FROM sz, generate_series(1, sz.order_cases) i,
     LATERAL (SELECT 1 + (i - 1) % sz.orders AS o_raw, (i - 1) / sz.orders AS pass) x;

-- total = quantity * unit_price; purchased_at is NULL before 2020 (created_at stands in).
INSERT INTO purchases (id, order_id, bracket_id, technician_id, quantity, unit_price, total, status,
                       purchased_at, notes, created_at, deleted_at)
SELECT p, pg_temp.live_order(1 + pg_temp.rnd(p, 90) % sz.orders), bracket,
       CASE WHEN pg_temp.rnd(p, 91) % 10 = 0 THEN NULL ELSE pg_temp.technician(p, 92, sz.technicians) END,
       qty, pg_temp.bracket_price(bracket), qty * pg_temp.bracket_price(bracket),
       CASE WHEN p % 37 = 0 THEN 'c'
            ELSE (ARRAY['P', 'P', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C',
                        'R', 'R', 'X', 'X'])[1 + pg_temp.rnd(p, 93) % 20] END,
       CASE WHEN created < timestamp '2020-01-01' THEN NULL
            ELSE created + (pg_temp.rnd(p, 94) % 5) * interval '1 day' END,
       CASE pg_temp.rnd(p, 95) % 12
         WHEN 0 THEN '  rush – patient travelling  ' WHEN 1 THEN ''
         WHEN 2 THEN 'Rückruf erbeten' WHEN 3 THEN 'urgent 🚨 ' ELSE NULL END,
       created,
       CASE WHEN p % 300 = 0 THEN created + interval '10 days' END
FROM sz, generate_series(1, sz.purchases) p,
     LATERAL (SELECT b - (b % 100 = 99)::int AS bracket, 1 + pg_temp.rnd(p, 97) % 20 AS qty,
                     pg_temp.biz_ts(p, sz.purchases, 98) AS created
              FROM (SELECT 1 + pg_temp.rnd(p, 96) % sz.brackets AS b) x) y;

-- One attachment per file (attachment a carries file a); an attachment of a soft-deleted file
-- is soft-deleted with it.
INSERT INTO message_attachments (id, message_id, file_id, position, caption, created_at, is_deleted)
SELECT a, message_id, a, (row_number() OVER (PARTITION BY message_id ORDER BY a) - 1)::int,
       CASE WHEN c < 60 THEN NULL WHEN c < 70 THEN ''
            ELSE pg_temp.pick(ARRAY['Upper arch scan', '  lower arch — v2 ', 'Foto del paciente',
                                    'Röntgenbild', 'Bite registration 😬', 'Shade photo ', 'Rx'], a, 102) END,
       pg_temp.biz_ts(a, sz.files, 43), a % 1000 = 500
FROM sz, generate_series(1, sz.attachments) a,
     LATERAL (SELECT 1 + pg_temp.rnd(a, 100) % sz.messages AS message_id, pg_temp.rnd(a, 101) % 100 AS c) x;

INSERT INTO treatment_discussions (id, case_id, author_id, technician_id, message_id, subject, body,
                                   visibility, is_resolved, created_at, deleted_at)
SELECT d, case_id,
       CASE WHEN pg_temp.rnd(d, 111) % 3 = 0 THEN 10 * pg_temp.technician(d, 112, sz.technicians)
            ELSE pg_temp.doctor(d, 113, sz.users) END,
       CASE WHEN pg_temp.rnd(d, 114) % 10 < 4 THEN pg_temp.technician(d, 115, sz.technicians) END,
       CASE WHEN pg_temp.rnd(d, 116) % 10 < 3 THEN (1 + pg_temp.rnd(d, 117) % sz.messages)::int END,
       pg_temp.pick(ARRAY['Bracket debond – upper left', 'Patient’s retainer cracked',
                          'Wire poke, distal end', 'Übersetzung der Anweisungen', 'Re: torque on UR2',
                          'Shade mismatch 🦷', '  Rebond request ', 'Consulta: brackets cerámicos'], d, 118)
         || ' (case ' || case_id || ')',
       pg_temp.pick(ARRAY[E'Dr. note:\r\nPlease re-check the slot size.  ',
                          E'Patient reports irritation near LL6.\r\nCan we round the hook?',
                          E'  Approved — proceed with rebond. ',
                          E'Siehe Foto.\nDanke!', E'Scan attached; bite looks off by ~1mm.\n\n'], d, 119),
       (ARRAY['I', 'I', 'I', 'I', 'I', 'D', 'D', 'D', 'D', 'P'])[1 + pg_temp.rnd(d, 120) % 10],
       (ARRAY['Y', 'N', 'N', NULL])[1 + pg_temp.rnd(d, 121) % 4],
       pg_temp.biz_ts(d, sz.discussions, 122),
       CASE WHEN d % 150 = 0 THEN pg_temp.biz_ts(d, sz.discussions, 122) + interval '2 days' END
FROM sz, generate_series(1, sz.discussions) d,
     LATERAL (SELECT (1 + pg_temp.rnd(d, 110) % sz.cases)::int AS case_id) x;

-- A forest: the first 1/15 are roots, every other group hangs under an older one (never under a
-- soft-deleted one: ids % 60 = 59). Slugs come with the legacy app's case and padding.
INSERT INTO template_view_groups (id, parent_group_id, name, slug, sort_order, is_active, created_at,
                                  deleted_at)
SELECT g,
       CASE WHEN g <= greatest(1, sz.groups / 15) THEN NULL
            ELSE (SELECT (p - (p % 60 = 59)::int)::int FROM (SELECT 1 + pg_temp.rnd(g, 130) % (g - 1) AS p) x) END,
       CASE WHEN g % 9 = 0 THEN ' ' || base || ' ' || g ELSE base || ' ' || g END,
       CASE WHEN g % 13 = 0 THEN initcap(slug) WHEN g % 17 = 0 THEN ' ' || slug || ' ' ELSE slug END,
       g % 10,
       CASE WHEN g % 23 = 0 THEN 'y' WHEN g % 11 = 0 THEN 'N' ELSE 'Y' END,
       pg_temp.biz_ts(g, sz.groups, 132),
       CASE WHEN g % 60 = 59 THEN pg_temp.biz_ts(g, sz.groups, 132) + interval '90 days' END
FROM sz, generate_series(1, sz.groups) g,
     LATERAL (SELECT k, (ARRAY['Order Intake', 'Case Review', 'Bracket Catalog', 'Shipping', 'Billing',
                               'Doctor Portal', 'QC Checklists', 'Scan Inbox', 'Revisión de casos',
                               'Qualitätskontrolle'])[k] AS base,
                        (ARRAY['order-intake', 'case-review', 'bracket-catalog', 'shipping', 'billing',
                               'doctor-portal', 'qc-checklists', 'scan-inbox', 'revision-de-casos',
                               'qualitaetskontrolle'])[k] || '-' || g AS slug
              FROM (SELECT (1 + pg_temp.rnd(g, 131) % 10)::int AS k) x) y;

-- ~4 of the 5 roles per group (groups % 7 = 0 spell them capitalised). Roles of soft-deleted
-- groups stay behind, as they did in the legacy app.
INSERT INTO template_view_roles (group_id, role, can_edit, created_at)
SELECT g, CASE WHEN g % 7 = 0 THEN initcap(role) ELSE role END,
       CASE WHEN role = 'admin' OR pg_temp.rnd(g * 10 + k, 141) % 4 = 0 THEN 'Y' ELSE 'N' END,
       pg_temp.biz_ts(g, sz.groups, 132) + k * interval '1 day'
FROM sz, generate_series(1, sz.groups) g,
     unnest(ARRAY['admin', 'doctor', 'technician', 'staff', 'billing']) WITH ORDINALITY AS r(role, k)
WHERE pg_temp.rnd(g * 10 + k, 140) % 100 < 80;

-- ---------------------------------------------------------------------------------------------
-- Dirty rows (see examples/README.md for what should happen to each).
-- ---------------------------------------------------------------------------------------------

-- Users for the dirty technicians that are otherwise clean.
INSERT INTO users (id, email, first_name, last_name, role, created_at) VALUES
  (9000002, 'ana.garcia9000002@smilelab.example', 'Ana', 'García', 'T', '2024-03-04 09:15'),
  (9000003, 'wei.kim9000003@smilelab.example', 'Wei', 'Kim', 'T', '2024-03-05 10:40');

INSERT INTO technicians (id, user_id, first_name, last_name, email, phone, status, hourly_rate,
                         hired_on, created_at) VALUES
  -- orphan: user 37 is soft-deleted, so it was never migrated to profiles
  (9000001, 37, 'Ghost', 'Technician', 'ghost.tech@smilelab.example', NULL, 'A', 21.00,
   '2023-06-01', '2024-03-01 11:00'),
  -- duplicate e-mail: technician 1's address with other case and padding
  (9000002, 9000002, 'Ana', 'García', '  ' || upper((SELECT email FROM technicians WHERE id = 1)) || ' ',
   '(312) 555-0100', 'A', 24.50, '2024-03-04', '2024-03-04 09:15'),
  -- impossible date typed by hand
  (9000003, 9000003, 'Wei', 'Kim', 'wei.kim9000003@smilelab.example', NULL, 'A', 22.00,
   '2023-02-30', '2024-03-05 10:40');

-- A role of the orphan technician: rejected with it.
INSERT INTO technician_roles (technician_id, role_code, granted_at, granted_by) VALUES
  (9000001, 'L', '2024-03-01 11:30', 9);

-- The same order and case as row 1, linked a second time (nothing in legacy prevents it).
INSERT INTO order_cases (id, order_id, case_id, is_primary, linked_at)
SELECT 9000001, order_id, case_id, 'N', linked_at + interval '1 day' FROM order_cases WHERE id = 1;

-- A negative price, an unknown status code, a year typo.
INSERT INTO purchases (id, order_id, bracket_id, technician_id, quantity, unit_price, total, status,
                       purchased_at, notes, created_at) VALUES
  (9000001, 1, 1, 1, 2, -12.50, -25.00, 'C', '2024-05-06 10:00', 'credit entered as a purchase', '2024-05-06 10:00'),
  (9000002, 2, 2, 2, 1, 4.25, 4.25, 'Z', '2024-05-07 10:00', NULL, '2024-05-07 10:00'),
  (9000003, 3, 4, NULL, 3, 3.10, 9.30, 'C', '2999-01-01 09:00', 'year typo', '2024-05-08 10:00');

INSERT INTO message_attachments (id, message_id, file_id, position, caption, created_at) VALUES
  -- the file was soft-deleted (never migrated) but this attachment was not
  (9000001, 1, 500, 9, 'deleted upload', '2024-06-03 14:00'),
  -- message 9000777 never existed
  (9000002, 9000777, 1, 0, NULL, '2024-06-03 14:05');

INSERT INTO treatment_discussions (id, case_id, author_id, technician_id, message_id, subject, body,
                                   visibility, is_resolved, created_at) VALUES
  -- placeholder date of the old import tool
  (9000001, 1, 1, NULL, NULL, 'Imported from paper chart', 'See scanned chart.', 'I', 'N', '1900-01-01 00:00'),
  -- subject longer than the target's 200 characters: truncated, not rejected
  (9000002, 2, 1, NULL, NULL, repeat('Long subject — ', 15) || 'end', 'Body.', 'D', 'N', '2024-07-01 09:00');

-- Its parent (59) is soft-deleted: loads as a root.
INSERT INTO template_view_groups (id, parent_group_id, name, slug, sort_order, is_active, created_at) VALUES
  (9000001, 59, 'Orphaned Subgroup', 'orphaned-subgroup', 0, 'Y', '2024-08-01 09:00');

-- 'doctor ' next to 'doctor' in the first group that has the clean one: equal after trim.
INSERT INTO template_view_roles (group_id, role, can_edit, created_at)
SELECT min(group_id), 'doctor ', 'N', timestamp '2024-08-02 09:00'
FROM template_view_roles WHERE role = 'doctor';

-- Serial sequences continue after the highest id, as in the real system.
SELECT setval('users_id_seq', max(id)) FROM users;
SELECT setval('orders_id_seq', max(id)) FROM orders;
SELECT setval('cases_id_seq', max(id)) FROM cases;
SELECT setval('messages_id_seq', max(id)) FROM messages;
SELECT setval('files_id_seq', max(id)) FROM files;
SELECT setval('technicians_id_seq', max(id)) FROM technicians;
SELECT setval('brackets_id_seq', max(id)) FROM brackets;
SELECT setval('order_cases_id_seq', max(id)) FROM order_cases;
SELECT setval('purchases_id_seq', max(id)) FROM purchases;
SELECT setval('message_attachments_id_seq', max(id)) FROM message_attachments;
SELECT setval('treatment_discussions_id_seq', max(id)) FROM treatment_discussions;
SELECT setval('template_view_groups_id_seq', max(id)) FROM template_view_groups;

COMMIT;

ANALYZE;
