-- Sanity check of the generated legacy data, without the engine:
--
--   psql "$MAPENGINE_SOURCE_URL" -X -v ON_ERROR_STOP=1 -v scale=1 -f examples/check_legacy.sql
--
-- 1. the nine tables have the designed sizes for the scale (within 15%);
-- 2. every documented dirty row exists, with its defect;
-- 3. recomputing in SQL what each mapping in mappings/ should reject (lookups, transforms and
--    target constraints, mirrored by hand) finds exactly the documented rows, no others.
-- Prints the expected outcome per mapping (rows read, rejected, loaded) and fails with an
-- error listing every check that does not hold.

\if :{?scale}
\else
  \set scale 1
\endif

SELECT set_config('chk.scale', :'scale', false);

CREATE TEMP TABLE failures (check_name text, detail text);

-- 1. Sizes --------------------------------------------------------------------------------------

CREATE TEMP VIEW sizes AS
SELECT t, n, round(base * current_setting('chk.scale')::numeric) AS designed
FROM (VALUES
  ('technicians', (SELECT count(*) FROM technicians), 400),
  ('technician_roles', (SELECT count(*) FROM technician_roles), 1000),
  ('brackets', (SELECT count(*) FROM brackets), 1500),
  ('order_cases', (SELECT count(*) FROM order_cases), 18000),
  ('purchases', (SELECT count(*) FROM purchases), 15000),
  ('message_attachments', (SELECT count(*) FROM message_attachments), 20000),
  ('treatment_discussions', (SELECT count(*) FROM treatment_discussions), 12000),
  ('template_view_groups', (SELECT count(*) FROM template_view_groups), 300),
  ('template_view_roles', (SELECT count(*) FROM template_view_roles), 1200)) v(t, n, base);

INSERT INTO failures
SELECT 'size', format('%s has %s rows, designed %s', t, n, designed)
FROM sizes WHERE abs(n - designed) > 0.15 * designed;

-- 2. The documented dirty rows exist, with their defect ------------------------------------------

CREATE FUNCTION pg_temp.valid_date(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN $1 ~ '^\d{4}-\d{2}-\d{2}$' AND $1::date IS NOT NULL;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;

INSERT INTO failures
SELECT 'dirty row', name FROM (VALUES
  ('technicians 9000001 -> soft-deleted user 37',
   EXISTS (SELECT 1 FROM technicians t JOIN users u ON u.id = t.user_id
           WHERE t.id = 9000001 AND t.deleted_at IS NULL AND u.is_deleted)),
  ('technicians 9000002 repeats technician 1''s e-mail',
   EXISTS (SELECT 1 FROM technicians a JOIN technicians b ON lower(btrim(a.email)) = lower(btrim(b.email))
           WHERE a.id = 1 AND b.id = 9000002 AND a.email <> b.email)),
  ('technicians 9000003 hired_on 2023-02-30',
   EXISTS (SELECT 1 FROM technicians WHERE id = 9000003 AND hired_on = '2023-02-30')),
  ('technician_roles (9000001, L)',
   EXISTS (SELECT 1 FROM technician_roles WHERE technician_id = 9000001 AND role_code = 'L' AND NOT is_deleted)),
  ('order_cases 9000001 repeats row 1',
   EXISTS (SELECT 1 FROM order_cases a JOIN order_cases b USING (order_id, case_id)
           WHERE a.id = 1 AND b.id = 9000001)),
  ('purchases 9000001 negative price',
   EXISTS (SELECT 1 FROM purchases WHERE id = 9000001 AND unit_price < 0)),
  ('purchases 9000002 status Z',
   EXISTS (SELECT 1 FROM purchases WHERE id = 9000002 AND status = 'Z')),
  ('purchases 9000003 purchased in 2999',
   EXISTS (SELECT 1 FROM purchases WHERE id = 9000003 AND extract(year FROM purchased_at) = 2999)),
  ('message_attachments 9000001 -> soft-deleted file 500',
   EXISTS (SELECT 1 FROM message_attachments a JOIN files f ON f.id = a.file_id
           WHERE a.id = 9000001 AND NOT a.is_deleted AND f.is_deleted)),
  ('message_attachments 9000002 -> message that never existed',
   EXISTS (SELECT 1 FROM message_attachments a WHERE a.id = 9000002
           AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id))),
  ('treatment_discussions 9000001 created in 1900',
   EXISTS (SELECT 1 FROM treatment_discussions WHERE id = 9000001 AND extract(year FROM created_at) = 1900)),
  ('treatment_discussions 9000002 subject over 200 characters',
   EXISTS (SELECT 1 FROM treatment_discussions WHERE id = 9000002 AND char_length(btrim(subject)) > 200)),
  ('template_view_groups 9000001 -> soft-deleted parent 59',
   EXISTS (SELECT 1 FROM template_view_groups c JOIN template_view_groups p ON p.id = c.parent_group_id
           WHERE c.id = 9000001 AND p.id = 59 AND p.deleted_at IS NOT NULL)),
  ('template_view_roles ''doctor '' beside ''doctor''',
   EXISTS (SELECT 1 FROM template_view_roles a JOIN template_view_roles b USING (group_id)
           WHERE a.role = 'doctor' AND b.role = 'doctor '))
) v(name, ok)
WHERE NOT ok;

-- 3. What each mapping should reject, mirrored in SQL -------------------------------------------
-- Migrated target tables, as the earlier migration filled them (examples/setup.sh).
CREATE TEMP VIEW m_profiles AS SELECT id FROM users WHERE NOT is_deleted;
CREATE TEMP VIEW m_orders AS SELECT id FROM orders WHERE deleted_at IS NULL;
CREATE TEMP VIEW m_files AS SELECT id FROM files WHERE NOT is_deleted;

-- expected(mapping, key, reason): every row a mapping should reject. Built in dependency order,
-- because a lookup into a sibling table misses the rows that sibling rejected.
CREATE TEMP TABLE expected (mapping text, key text, reason text);

-- technicians
CREATE TEMP VIEW r_technicians AS
  SELECT * FROM technicians WHERE deleted_at IS NULL;
INSERT INTO expected
SELECT 'technicians', id::text, reason FROM (
  SELECT id, 'lookup profiles: no legacy_user_id ' || user_id AS reason FROM r_technicians
    WHERE NOT EXISTS (SELECT 1 FROM m_profiles z WHERE z.id = user_id)
  UNION ALL
  SELECT id, 'map: status ' || status FROM r_technicians WHERE upper(btrim(status)) NOT IN ('A', 'I', 'L')
  UNION ALL
  SELECT id, 'parse_date: ' || hired_on FROM r_technicians
    WHERE btrim(hired_on) <> '' AND NOT pg_temp.valid_date(btrim(hired_on))
) x;
-- The server refuses a second row with the same normalised e-mail (the first one loaded wins).
INSERT INTO expected
SELECT 'technicians', id::text, 'unique technicians_email_key' FROM (
  SELECT id, row_number() OVER (PARTITION BY lower(btrim(email)) ORDER BY id) AS nth
  FROM r_technicians
  WHERE btrim(email) <> '' AND NOT EXISTS (SELECT 1 FROM expected e WHERE e.mapping = 'technicians' AND e.key = id::text)
) x WHERE nth > 1;
CREATE TEMP VIEW l_technicians AS
  SELECT * FROM r_technicians WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.mapping = 'technicians' AND e.key = id::text);

-- technician_roles
CREATE TEMP VIEW r_technician_roles AS
  SELECT r.* FROM technician_roles r
  WHERE NOT r.is_deleted
    AND NOT EXISTS (SELECT 1 FROM technicians t WHERE t.id = r.technician_id AND t.deleted_at IS NOT NULL);
INSERT INTO expected
SELECT 'technician_roles', technician_id || ',' || role_code, reason FROM (
  SELECT technician_id, role_code, 'lookup technicians: no ' || technician_id AS reason FROM r_technician_roles
    WHERE NOT EXISTS (SELECT 1 FROM l_technicians z WHERE z.id = technician_id)
  UNION ALL
  SELECT technician_id, role_code, 'map: role ' || role_code FROM r_technician_roles
    WHERE upper(btrim(role_code)) NOT IN ('L', 'Q', 'S', 'P', 'B')
) x;

-- brackets (any reject here stops the run: max_rejects 0)
CREATE TEMP VIEW r_brackets AS SELECT * FROM brackets WHERE NOT is_deleted;
INSERT INTO expected
SELECT 'brackets', id::text, reason FROM (
  SELECT id, 'map: status ' || status AS reason FROM r_brackets WHERE upper(btrim(status)) NOT IN ('A', 'I', 'D')
  UNION ALL SELECT id, 'check unit_price_cents' FROM r_brackets WHERE unit_price < 0
  UNION ALL SELECT id, 'check slot_size' FROM r_brackets WHERE btrim(slot_size) NOT IN ('0.018', '0.022')
  UNION ALL SELECT id, 'unique sku' FROM (
    SELECT id, row_number() OVER (PARTITION BY upper(btrim(sku)) ORDER BY id) AS nth FROM r_brackets) s WHERE nth > 1
) x;
CREATE TEMP VIEW l_brackets AS
  SELECT * FROM r_brackets WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.mapping = 'brackets' AND e.key = id::text);

-- order_cases
CREATE TEMP VIEW r_order_cases AS SELECT * FROM order_cases WHERE deleted_at IS NULL;
INSERT INTO expected
SELECT 'order_cases', id::text, reason FROM (
  SELECT id, 'lookup orders: no ' || order_id AS reason FROM r_order_cases WHERE NOT EXISTS (SELECT 1 FROM m_orders z WHERE z.id = order_id)
  UNION ALL SELECT id, 'lookup cases: no ' || case_id FROM r_order_cases WHERE NOT EXISTS (SELECT 1 FROM cases z WHERE z.id = case_id)
  UNION ALL SELECT id, 'unique order_cases_order_id_case_id_key' FROM (
    SELECT id, row_number() OVER (PARTITION BY order_id, case_id ORDER BY id) AS nth FROM r_order_cases) s WHERE nth > 1
) x;

-- purchases
CREATE TEMP VIEW r_purchases AS SELECT * FROM purchases WHERE deleted_at IS NULL;
INSERT INTO expected
SELECT 'purchases', id::text, reason FROM (
  SELECT id, 'lookup orders: no ' || order_id AS reason FROM r_purchases WHERE NOT EXISTS (SELECT 1 FROM m_orders z WHERE z.id = order_id)
  UNION ALL SELECT id, 'lookup brackets: no ' || bracket_id FROM r_purchases
    WHERE NOT EXISTS (SELECT 1 FROM l_brackets z WHERE z.id = bracket_id)
  UNION ALL SELECT id, 'lookup technicians: no ' || technician_id FROM r_purchases
    WHERE technician_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM l_technicians z WHERE z.id = technician_id)
  UNION ALL SELECT id, 'map: status ' || status FROM r_purchases WHERE upper(btrim(status)) NOT IN ('P', 'C', 'R', 'X')
  UNION ALL SELECT id, 'check total_cents / unit_price_cents >= 0' FROM r_purchases WHERE unit_price < 0 OR total < 0
  UNION ALL SELECT id, 'check purchased_at' FROM r_purchases
    WHERE (coalesce(purchased_at, created_at) AT TIME ZONE 'America/Chicago') NOT BETWEEN '2000-01-01 00:00+00' AND '2099-12-31 23:59+00'
) x;

-- message_attachments
CREATE TEMP VIEW r_message_attachments AS SELECT * FROM message_attachments WHERE NOT is_deleted;
INSERT INTO expected
SELECT 'message_attachments', id::text, reason FROM (
  SELECT id, 'lookup messages: no ' || message_id AS reason FROM r_message_attachments
    WHERE NOT EXISTS (SELECT 1 FROM messages z WHERE z.id = message_id)
  UNION ALL SELECT id, 'lookup files: no ' || file_id FROM r_message_attachments WHERE NOT EXISTS (SELECT 1 FROM m_files z WHERE z.id = file_id)
  UNION ALL SELECT id, 'unique message_attachments_message_id_file_id_key' FROM (
    SELECT id, row_number() OVER (PARTITION BY message_id, file_id ORDER BY id) AS nth FROM r_message_attachments) s
    WHERE nth > 1
) x;

-- treatment_discussions
CREATE TEMP VIEW r_treatment_discussions AS SELECT * FROM treatment_discussions WHERE deleted_at IS NULL;
INSERT INTO expected
SELECT 'treatment_discussions', id::text, reason FROM (
  SELECT id, 'lookup cases: no ' || case_id AS reason FROM r_treatment_discussions WHERE NOT EXISTS (SELECT 1 FROM cases z WHERE z.id = case_id)
  UNION ALL SELECT id, 'lookup profiles: no ' || author_id FROM r_treatment_discussions
    WHERE NOT EXISTS (SELECT 1 FROM m_profiles z WHERE z.id = author_id)
  UNION ALL SELECT id, 'lookup technicians: no ' || technician_id FROM r_treatment_discussions
    WHERE technician_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM l_technicians z WHERE z.id = technician_id)
  UNION ALL SELECT id, 'map: visibility ' || visibility FROM r_treatment_discussions
    WHERE upper(btrim(visibility)) NOT IN ('I', 'D', 'P')
  UNION ALL SELECT id, 'check created_at' FROM r_treatment_discussions
    WHERE (created_at AT TIME ZONE 'America/Chicago') NOT BETWEEN '2000-01-01 00:00+00' AND '2099-12-31 23:59+00'
) x;

-- template_view_groups (any reject here stops the run: max_rejects 0)
CREATE TEMP VIEW r_template_view_groups AS SELECT * FROM template_view_groups WHERE deleted_at IS NULL;
INSERT INTO expected
SELECT 'template_view_groups', id::text, reason FROM (
  SELECT id, 'check slug' AS reason FROM r_template_view_groups
    WHERE lower(btrim(slug)) !~ '^[a-z0-9]+(-[a-z0-9]+)*$'
  UNION ALL SELECT id, 'unique slug' FROM (
    SELECT id, row_number() OVER (PARTITION BY lower(btrim(slug)) ORDER BY id) AS nth FROM r_template_view_groups) s
    WHERE nth > 1
) x;
CREATE TEMP VIEW l_template_view_groups AS
  SELECT * FROM r_template_view_groups
  WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.mapping = 'template_view_groups' AND e.key = id::text);

-- template_view_roles
CREATE TEMP VIEW r_template_view_roles AS
  SELECT r.* FROM template_view_roles r
  WHERE NOT EXISTS (SELECT 1 FROM template_view_groups g WHERE g.id = r.group_id AND g.deleted_at IS NOT NULL);
INSERT INTO expected
SELECT 'template_view_roles', group_id || ',' || role, reason FROM (
  SELECT group_id, role, 'lookup template_view_groups: no ' || group_id AS reason FROM r_template_view_roles
    WHERE NOT EXISTS (SELECT 1 FROM l_template_view_groups z WHERE z.id = group_id)
  UNION ALL SELECT group_id, role, 'check role' FROM r_template_view_roles
    WHERE lower(btrim(role)) NOT IN ('admin', 'doctor', 'technician', 'staff', 'billing')
  UNION ALL SELECT group_id, role, 'unique template_view_roles_group_id_role_key' FROM (
    SELECT group_id, role, row_number() OVER (PARTITION BY group_id, lower(btrim(role)) ORDER BY role) AS nth
    FROM r_template_view_roles) s WHERE nth > 1
) x;

-- The documented rejects (examples/README.md), and nothing else.
CREATE TEMP VIEW documented (mapping, key) AS VALUES
  ('technicians', '9000001'), ('technicians', '9000002'), ('technicians', '9000003'),
  ('technician_roles', '9000001,L'),
  ('order_cases', '9000001'),
  ('purchases', '9000001'), ('purchases', '9000002'), ('purchases', '9000003'),
  ('message_attachments', '9000001'), ('message_attachments', '9000002'),
  ('treatment_discussions', '9000001'),
  ('template_view_roles', (SELECT min(group_id) || ',doctor ' FROM template_view_roles WHERE role = 'doctor '));

INSERT INTO failures
SELECT 'unexpected reject', format('%s %s: %s', mapping, key, reason)
FROM expected e WHERE NOT EXISTS (SELECT 1 FROM documented d WHERE d.mapping = e.mapping AND d.key = e.key);
INSERT INTO failures
SELECT 'documented reject not found', format('%s %s', mapping, key)
FROM documented d WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.mapping = d.mapping AND e.key = d.key);

-- Edge rows that load (not rejects): a self-reference whose target stays behind becomes NULL.
INSERT INTO failures
SELECT 'unexpected NULL parent', format('template_view_groups %s -> %s', id, parent_group_id)
FROM r_template_view_groups c
WHERE c.parent_group_id IS NOT NULL AND c.id <> 9000001
  AND NOT EXISTS (SELECT 1 FROM l_template_view_groups z WHERE z.id = c.parent_group_id);
INSERT INTO failures
SELECT 'unexpected NULL replacement', format('brackets %s -> %s', id, replaced_by_id)
FROM r_brackets b
WHERE b.replaced_by_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM l_brackets z WHERE z.id = b.replaced_by_id);

-- Report ----------------------------------------------------------------------------------------

\echo 'Legacy rows per table (soft-deleted rows are not read by the mappings):'
SELECT s.t AS "table", s.n AS legacy_rows, s.n - r.n AS soft_deleted, r.n AS read,
       (SELECT count(*) FROM expected e WHERE e.mapping = s.t) AS rejected,
       r.n - (SELECT count(*) FROM expected e WHERE e.mapping = s.t) AS loaded
FROM sizes s JOIN (VALUES
  ('technicians', (SELECT count(*) FROM r_technicians)),
  ('technician_roles', (SELECT count(*) FROM r_technician_roles)),
  ('brackets', (SELECT count(*) FROM r_brackets)),
  ('order_cases', (SELECT count(*) FROM r_order_cases)),
  ('purchases', (SELECT count(*) FROM r_purchases)),
  ('message_attachments', (SELECT count(*) FROM r_message_attachments)),
  ('treatment_discussions', (SELECT count(*) FROM r_treatment_discussions)),
  ('template_view_groups', (SELECT count(*) FROM r_template_view_groups)),
  ('template_view_roles', (SELECT count(*) FROM r_template_view_roles))) r(t, n) ON r.t = s.t
UNION ALL
SELECT 'total', (SELECT sum(n) FROM sizes), NULL, NULL, (SELECT count(*) FROM expected), NULL;

\echo 'Expected rejects:'
SELECT mapping, key, reason FROM expected ORDER BY mapping, key;

DO $$
DECLARE
  problems text;
BEGIN
  SELECT string_agg(check_name || ': ' || detail, E'\n') INTO problems FROM failures;
  IF problems IS NOT NULL THEN
    RAISE EXCEPTION E'check_legacy: % problem(s)\n%', (SELECT count(*) FROM failures), problems;
  END IF;
  RAISE NOTICE 'check_legacy: all checks hold';
END $$;
