#!/usr/bin/env bash
# Measures `mapengine validate` against `mapengine apply` on one table of ROWS rows (default
# 200000) with a lookup, transforms and ~9% rejected rows, on a private PostgreSQL 15 server
# (durable settings, as a real migration). Not run by ctest.
#
#   MAPENGINE_BUILD_DIR=build-validate tests/validate/measure_validate.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
rows=${1:-200000}
bin=$(pwd)/${MAPENGINE_BUILD_DIR:-build}/mapengine
[ -x "$bin" ] || { echo "measure: build first ($bin is missing)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-measure.XXXXXX")
chmod 755 "$work"
cleanup() { "$repo/scripts/pg-server.sh" stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
eval "$(scripts/pg-server.sh start "$work/pg")"
admin=$MAPENGINE_PG_ADMIN_URL
psql "$admin" -X -q -c "CREATE DATABASE legacy" -c "CREATE DATABASE target"
src="host=127.0.0.1 port=$MAPENGINE_PG_PORT user=$MAPENGINE_PG_USER dbname=legacy"
tgt="host=127.0.0.1 port=$MAPENGINE_PG_PORT user=$MAPENGINE_PG_USER dbname=target"

psql "$src" -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE techs (id int PRIMARY KEY, user_id int, name text, email text, status char(1),
                    rate text, hired timestamptz);
INSERT INTO techs SELECT g, (g % 110) + 1, '  Tech ' || g || '  ',
  CASE WHEN g % 7 = 0 THEN NULL ELSE ' T' || g || '@Lab.example ' END,
  CASE WHEN g % 3 = 0 THEN 'I' ELSE 'A' END, (g % 500) || '.25',
  timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, $rows) g;
ANALYZE techs;
SQL
psql "$tgt" -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int UNIQUE);
INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, 100) g;
CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE NOT NULL,
  profile_id uuid NOT NULL REFERENCES profiles, name text NOT NULL, email text,
  status text NOT NULL, rate numeric(10,2), hired timestamptz);
SQL
mkdir -p "$work/mappings"
cat >"$work/mappings/_migrated.yaml" <<'YAML'
version: 1
kind: migrated
tables:
  - { table: public.profiles, legacy_key: legacy_user_id }
YAML
cat >"$work/mappings/technicians.yaml" <<'YAML'
version: 1
table: public.technicians
source:
  query: SELECT id, user_id, name, email, status, rate, hired FROM techs
  key: id
target:
  legacy_key: legacy_technician_id
batch_size: 1000
columns:
  id: { generate: uuid_v5 }
  legacy_technician_id: { from: id }
  profile_id: { from: user_id, lookup: { table: profiles, on_missing: reject } }
  name: { from: name, transform: [trim] }
  email: { from: email, transform: [trim, lower] }
  status: { from: status, transform: [{ map: { A: active, I: inactive } }] }
  rate: rate
  hired: hired
checks:
  - not_null: [profile_id, name]
  - unique: [email]
  - accepted_values: { column: status, values: [active, inactive] }
YAML

export MAPENGINE_SOURCE_URL=$src MAPENGINE_TARGET_URL=$tgt
cd "$work"
echo "measure: $rows source rows"
start=$(date +%s.%N)
/usr/bin/time -f %M -o "$work/apply.rss" "$bin" apply --no-progress mappings/technicians.yaml \
  >"$work/apply.log" 2>&1 || { cat "$work/apply.log"; exit 1; }
apply_s=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
/usr/bin/time -f %M -o "$work/validate.rss" "$bin" validate mappings/technicians.yaml \
  >"$work/validate.log" 2>&1 || { cat "$work/validate.log"; exit 1; }
validate_s=$(echo "$(date +%s.%N) - $start" | bc)
cat "$work/validate.log"
psql "$tgt" -X -At -c "SELECT 'measure: ' || string_agg(c->>'label' || ' ' || round((c->'figures'->>'seconds')::numeric, 2) || ' s', ', ') FROM mapengine.validations, jsonb_array_elements(result->'checks') c"
printf 'measure: apply %.1f s (max RSS %s kB), validate %.1f s (max RSS %s kB), validate/apply = %.2f\n' \
  "$apply_s" "$(cat "$work/apply.rss")" "$validate_s" "$(cat "$work/validate.rss")" \
  "$(echo "$validate_s / $apply_s" | bc -l)"
