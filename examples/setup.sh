#!/usr/bin/env bash
# Creates and fills the example legacy database and the example target.
#
#   MAPENGINE_SOURCE_URL='host=... dbname=legacy' MAPENGINE_TARGET_URL='host=... dbname=target' \
#     examples/setup.sh [SCALE]
#
# SCALE (default 1, decimals >= 0.2 allowed) sizes the data: 1 gives ~69,400 rows in the nine
# tables to migrate, 15 about 1,040,000. Both databases must exist. Idempotent: the example's
# tables are dropped and recreated on both sides (nothing else is touched).
#
# Target side: profiles, orders, cases, messages and files are filled the way the earlier
# migration did it (soft-deleted users, orders and files left out, legacy ids kept, ids derived
# from md5 of the legacy id so every run gives the same UUIDs). The nine other tables stay empty
# for mapengine.
set -euo pipefail

scale=${1:-1}
src=${MAPENGINE_SOURCE_URL:?set MAPENGINE_SOURCE_URL to the legacy database connection string}
tgt=${MAPENGINE_TARGET_URL:?set MAPENGINE_TARGET_URL to the target database connection string}
here=$(cd "$(dirname "$0")" && pwd)

psql_src() { psql "$src" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_tgt() { psql "$tgt" -X -q -v ON_ERROR_STOP=1 "$@"; }

# Streams a SELECT on the legacy side into a target table with COPY.
copy_migrated() {
  local table=$1 columns=$2 query=$3
  psql_src -c "COPY ($query) TO STDOUT" | psql_tgt -c "COPY $table ($columns) FROM STDIN"
}

start=$(date +%s)
echo "setup: legacy schema and data (scale $scale)"
psql_src -c 'SET client_min_messages = warning' -f "$here/legacy_schema.sql"
psql_src -v scale="$scale" -f "$here/generate.sql" >/dev/null

echo "setup: target schema"
psql_tgt -c 'SET client_min_messages = warning' -f "$here/target_schema.sql"

echo "setup: target tables migrated before mapengine"
copy_migrated profiles "id, legacy_user_id, email, full_name, role, created_at" "
  SELECT md5('profile:' || id)::uuid, id, lower(btrim(email)), btrim(first_name) || ' ' || btrim(last_name),
         CASE role WHEN 'D' THEN 'doctor' WHEN 'T' THEN 'technician' WHEN 'S' THEN 'staff' ELSE 'admin' END,
         created_at AT TIME ZONE 'America/Chicago'
  FROM users WHERE NOT is_deleted"
copy_migrated orders "id, legacy_order_id, order_number, doctor_id, status, total_cents, created_at" "
  SELECT md5('order:' || id)::uuid, id, order_number, md5('profile:' || doctor_id)::uuid,
         CASE status WHEN 'N' THEN 'new' WHEN 'P' THEN 'in_production' WHEN 'S' THEN 'shipped' ELSE 'cancelled' END,
         (total * 100)::bigint, created_at AT TIME ZONE 'America/Chicago'
  FROM orders WHERE deleted_at IS NULL"
copy_migrated cases "id, legacy_case_id, case_number, doctor_id, patient_name, status, created_at" "
  SELECT md5('case:' || id)::uuid, id, case_number, md5('profile:' || doctor_id)::uuid, patient_name,
         CASE status WHEN 'O' THEN 'open' WHEN 'H' THEN 'on_hold' ELSE 'closed' END,
         created_at AT TIME ZONE 'America/Chicago'
  FROM cases"
copy_migrated messages "id, legacy_message_id, case_id, sender_id, body, created_at" "
  SELECT md5('message:' || id)::uuid, id, md5('case:' || case_id)::uuid, md5('profile:' || sender_id)::uuid,
         body, created_at AT TIME ZONE 'America/Chicago'
  FROM messages"
copy_migrated files "id, legacy_file_id, uploaded_by, file_name, mime_type, size_bytes, storage_path, created_at" "
  SELECT md5('file:' || id)::uuid, id, md5('profile:' || uploaded_by)::uuid, file_name, mime_type, byte_size,
         storage_path, created_at AT TIME ZONE 'America/Chicago'
  FROM files WHERE NOT is_deleted"
psql_tgt -c 'ANALYZE profiles, orders, cases, messages, files'

echo "setup: done in $(( $(date +%s) - start ))s; legacy rows to migrate:"
psql "$src" -X -v ON_ERROR_STOP=1 -c "
  SELECT t AS legacy_table, n AS rows FROM (
    SELECT 1, 'technicians', count(*) FROM technicians UNION ALL
    SELECT 2, 'technician_roles', count(*) FROM technician_roles UNION ALL
    SELECT 3, 'brackets', count(*) FROM brackets UNION ALL
    SELECT 4, 'order_cases', count(*) FROM order_cases UNION ALL
    SELECT 5, 'purchases', count(*) FROM purchases UNION ALL
    SELECT 6, 'message_attachments', count(*) FROM message_attachments UNION ALL
    SELECT 7, 'treatment_discussions', count(*) FROM treatment_discussions UNION ALL
    SELECT 8, 'template_view_groups', count(*) FROM template_view_groups UNION ALL
    SELECT 9, 'template_view_roles', count(*) FROM template_view_roles UNION ALL
    SELECT 10, 'total', (SELECT count(*) FROM technicians) + (SELECT count(*) FROM technician_roles)
      + (SELECT count(*) FROM brackets) + (SELECT count(*) FROM order_cases) + (SELECT count(*) FROM purchases)
      + (SELECT count(*) FROM message_attachments) + (SELECT count(*) FROM treatment_discussions)
      + (SELECT count(*) FROM template_view_groups) + (SELECT count(*) FROM template_view_roles)
  ) c(o, t, n) ORDER BY o"
