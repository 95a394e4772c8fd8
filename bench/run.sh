#!/usr/bin/env bash
# Benchmark of `mapengine apply` against the server's own write floor, all measured in this run
# on one private PostgreSQL server (the machine is shared and noisy: compare ratios, not seconds).
#
#   bench/run.sh [ROWS]        default 1,000,000
#
# Prints, for ROWS legacy orders (random-UUID primary key, unique legacy id, one foreign key,
# two lookups, four transforms):
#   floor-1      COPY of the final rows (ids included) into the empty table, one stream
#   floor-2      the same rows in two halves, two concurrent streams
#   apply-1      mapengine apply, one stream                    target <= 1.15 x floor-1
#   apply-2      mapengine apply --parallel 2 (key ranges)      target <= 1.2 x floor-2
#   script-500   500-row pages sent as multi-row INSERTs        apply-2 >= 4 x faster
#   peak RSS of apply at 100,000 rows and at ROWS               within 1.2 x
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
build=$(realpath -m "${MAPENGINE_BUILD_DIR:-build}")

scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target mapengine legacy_script >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-bench.XXXXXX")
chmod 755 "$work"
trap 'scripts/pg-server.sh stop "$work/pg"; rm -rf "$work"' EXIT
eval "$(scripts/pg-server.sh start "$work/pg")"
admin="$MAPENGINE_PG_ADMIN_URL"
export PGOPTIONS="-c client_min_messages=warning"
psql -q "$admin" -c 'CREATE DATABASE legacy' -c 'CREATE DATABASE target'
export MAPENGINE_SOURCE_URL="${admin/dbname=postgres/dbname=legacy}"
export MAPENGINE_TARGET_URL="${admin/dbname=postgres/dbname=target}"
mapengine="$build/mapengine"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
reset_target() {
  psql -q "$MAPENGINE_TARGET_URL" -f bench/workload/target.sql >/dev/null
  psql -q "$MAPENGINE_TARGET_URL" -c 'VACUUM (FREEZE, ANALYZE)' >/dev/null
}
# Freshly loaded rows would make the first reader set hint bits and autovacuum work during the
# first measure only: vacuum them before anything is timed.
load_legacy() {
  psql -q "$MAPENGINE_SOURCE_URL" -v rows="$1" -f bench/workload/legacy.sql >/dev/null
  psql -q "$MAPENGINE_SOURCE_URL" -c 'VACUUM (FREEZE, ANALYZE)' >/dev/null
}
checkpoint() { psql -q "$MAPENGINE_TARGET_URL" -c 'CHECKPOINT' >/dev/null; psql -q "$admin" -c 'CHECKPOINT' >/dev/null; }
apply_run() {  # $1 = parallel; prints seconds, leaves peak RSS (KiB) in $work/rss
  reset_target; checkpoint
  local t0 t1
  t0=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$mapengine" apply --no-progress --log-format text ${MAPENGINE_BENCH_APPLY_FLAGS:-} \
    --parallel "$1" bench/workload/orders.yaml >"$work/apply.log" 2>&1 || { cat "$work/apply.log" >&2; exit 1; }
  t1=$(now)
  elapsed "$t0" "$t1"
}

echo "bench: $rows rows; loading the legacy database..." >&2
load_legacy 100000
apply_run 1 >/dev/null
rss_small=$(cat "$work/rss")
load_legacy "$rows"

apply1=$(apply_run 1); rss_large=$(cat "$work/rss")
apply2=$(apply_run 2)

# The floor: the final rows exported from the target, loaded back by COPY.
psql -q "$MAPENGINE_TARGET_URL" -c "\\copy (SELECT * FROM orders ORDER BY legacy_order_id) TO '$work/final.copy'"
half=$(( rows / 2 ))
head -n "$half" "$work/final.copy" >"$work/half1.copy"
tail -n +"$((half + 1))" "$work/final.copy" >"$work/half2.copy"
reset_target; checkpoint
t0=$(now); psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/final.copy'"; t1=$(now)
floor1=$(elapsed "$t0" "$t1")
reset_target; checkpoint
t0=$(now)
psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/half1.copy'" &
psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/half2.copy'" &
wait
t1=$(now)
floor2=$(elapsed "$t0" "$t1")

reset_target; checkpoint
t0=$(now); "$build/bench/legacy_script" "$MAPENGINE_SOURCE_URL" "$MAPENGINE_TARGET_URL"; t1=$(now)
script=$(elapsed "$t0" "$t1")
[ "$(psql -Atq "$MAPENGINE_TARGET_URL" -c 'SELECT count(*) FROM orders')" = "$rows" ] || { echo "script lost rows" >&2; exit 1; }

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
printf '%-12s %8s\n' measure seconds
printf '%-12s %8.2f\n' floor-1 "$floor1" floor-2 "$floor2" apply-1 "$apply1" apply-2 "$apply2" script-500 "$script"
echo
echo "apply-1 / floor-1        = $(ratio "$apply1" "$floor1")   (target <= 1.15)"
echo "apply-2 / floor-2        = $(ratio "$apply2" "$floor2")   (target <= 1.20)"
echo "script-500 / apply-2     = $(ratio "$script" "$apply2")   (target >= 4)"
echo "peak RSS 100k / $rows    = ${rss_small} KiB / ${rss_large} KiB = $(ratio "$rss_large" "$rss_small") (target <= 1.2)"
