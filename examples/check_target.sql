-- Sanity check of the target, without the engine: the dirty rows that examples/README.md says
-- the SERVER refuses are refused by the constraint it names, while a clean neighbour is accepted.
--
--   psql "$MAPENGINE_TARGET_URL" -X -v ON_ERROR_STOP=1 -f examples/check_target.sql
--
-- Needs the migrated tables filled (examples/setup.sh); writes nothing (all in one rolled-back
-- transaction). Values are written as the mappings would produce them.

BEGIN;

CREATE TEMP TABLE probe (dirty_row text, expected text, got text, message text) ON COMMIT DROP;

CREATE PROCEDURE pg_temp.try(dirty_row text, expected text, statement text)
LANGUAGE plpgsql AS $$
DECLARE
  constraint_name text;
  message text;
BEGIN
  BEGIN
    EXECUTE statement;
    INSERT INTO probe VALUES (dirty_row, expected, 'accepted', NULL);
  EXCEPTION WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS constraint_name = CONSTRAINT_NAME, message = MESSAGE_TEXT;
    INSERT INTO probe VALUES (dirty_row, expected, constraint_name, message);
  END;
END $$;

-- Clean neighbours first (they must be accepted), then the dirty rows.
CALL pg_temp.try('technicians 1 (clean)', 'accepted', $q$
  INSERT INTO technicians (legacy_technician_id, profile_id, full_name, email, status, created_at)
  SELECT 1, id, full_name, email, 'active', '2019-01-13 17:24:16+00' FROM profiles WHERE legacy_user_id = 10 $q$);
CALL pg_temp.try('technicians 9000002', 'technicians_email_key', $q$
  INSERT INTO technicians (legacy_technician_id, profile_id, full_name, email, status, created_at)
  SELECT 9000002, id, 'Ana García', (SELECT email FROM profiles WHERE legacy_user_id = 10), 'active',
         '2024-03-04 15:15:00+00' FROM profiles WHERE legacy_user_id = 9000002 $q$);

CALL pg_temp.try('order_cases 1 (clean)', 'accepted', $q$
  INSERT INTO order_cases (legacy_order_case_id, order_id, case_id, is_primary, linked_at)
  SELECT 1, (SELECT id FROM orders WHERE legacy_order_id = 1), (SELECT id FROM cases WHERE legacy_case_id = 1),
         true, '2019-01-07 16:53:47+00' $q$);
CALL pg_temp.try('order_cases 9000001', 'order_cases_order_id_case_id_key', $q$
  INSERT INTO order_cases (legacy_order_case_id, order_id, case_id, is_primary, linked_at)
  SELECT 9000001, (SELECT id FROM orders WHERE legacy_order_id = 1), (SELECT id FROM cases WHERE legacy_case_id = 1),
         false, '2019-01-08 16:53:47+00' $q$);

CALL pg_temp.try('brackets 1 (clean)', 'accepted', $q$
  INSERT INTO brackets (legacy_bracket_id, sku, manufacturer, description, slot_size, unit_price_cents, status, created_at)
  VALUES (1, 'BR-000001', '3M Unitek', 'Mini Master (0.022 slot)', '0.022', 714, 'active', '2019-01-08 14:40:26+00') $q$);
CALL pg_temp.try('purchases 1 (clean)', 'accepted', $q$
  INSERT INTO purchases (legacy_purchase_id, order_id, bracket_id, quantity, unit_price_cents, total_cents, status, purchased_at)
  SELECT 1, (SELECT id FROM orders WHERE legacy_order_id = 1), (SELECT id FROM brackets WHERE legacy_bracket_id = 1),
         2, 714, 1428, 'paid', '2024-05-06 15:00:00+00' $q$);
CALL pg_temp.try('purchases 9000001', 'purchases_total_cents_check', $q$
  INSERT INTO purchases (legacy_purchase_id, order_id, bracket_id, quantity, unit_price_cents, total_cents, status, purchased_at)
  SELECT 9000001, (SELECT id FROM orders WHERE legacy_order_id = 1), (SELECT id FROM brackets WHERE legacy_bracket_id = 1),
         2, -1250, -2500, 'paid', '2024-05-06 15:00:00+00' $q$);
CALL pg_temp.try('purchases 9000003', 'purchases_purchased_at_check', $q$
  INSERT INTO purchases (legacy_purchase_id, order_id, bracket_id, quantity, unit_price_cents, total_cents, status, purchased_at)
  SELECT 9000003, (SELECT id FROM orders WHERE legacy_order_id = 3), (SELECT id FROM brackets WHERE legacy_bracket_id = 1),
         3, 310, 930, 'paid', '2999-01-01 15:00:00+00' $q$);

CALL pg_temp.try('treatment_discussions 9000001', 'treatment_discussions_created_at_check', $q$
  INSERT INTO treatment_discussions (legacy_discussion_id, case_id, author_id, subject, body, visibility, created_at)
  SELECT 9000001, (SELECT id FROM cases WHERE legacy_case_id = 1), (SELECT id FROM profiles WHERE legacy_user_id = 1),
         'Imported from paper chart', 'See scanned chart.', 'internal', '1900-01-01 06:00:00+00' $q$);

CALL pg_temp.try('template_view_groups 1 (clean)', 'accepted', $q$
  INSERT INTO template_view_groups (legacy_group_id, name, slug, is_active, created_at)
  VALUES (1, 'Shipping 1', 'shipping-1', true, '2019-01-15 15:46:16+00') $q$);
CALL pg_temp.try('template_view_roles 1,doctor (clean)', 'accepted', $q$
  INSERT INTO template_view_roles (legacy_group_id, legacy_role, group_id, role, can_edit, created_at)
  SELECT 1, 'doctor', id, 'doctor', true, '2019-01-17 15:46:16+00' FROM template_view_groups WHERE legacy_group_id = 1 $q$);
CALL pg_temp.try('template_view_roles 1,''doctor ''', 'template_view_roles_group_id_role_key', $q$
  INSERT INTO template_view_roles (legacy_group_id, legacy_role, group_id, role, can_edit, created_at)
  SELECT 1, 'doctor ', id, 'doctor', false, '2024-08-02 14:00:00+00' FROM template_view_groups WHERE legacy_group_id = 1 $q$);

SELECT dirty_row, got, message FROM probe;

DO $$
DECLARE
  problems text;
BEGIN
  SELECT string_agg(format('%s: expected %s, got %s', dirty_row, expected, got), E'\n') INTO problems
  FROM probe WHERE got IS DISTINCT FROM expected;
  IF problems IS NOT NULL THEN
    RAISE EXCEPTION E'check_target:\n%', problems;
  END IF;
  RAISE NOTICE 'check_target: every server-side reject hits its constraint';
END $$;

ROLLBACK;
