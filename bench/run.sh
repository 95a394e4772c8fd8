#!/usr/bin/env bash
# Benchmark of `mapengine apply` against the server's own write floor, all measured in this run
# on one private PostgreSQL server (the machine is shared and noisy: compare ratios, not seconds).
#
#   bench/run.sh [ROWS]        default 1,000,000
#   MAPENGINE_BENCH_ROUNDS=N   rounds of the four timed measures, interleaved (default 3)
#
# Prints, for ROWS legacy orders (random-UUID primary key, unique legacy id, one foreign key,
# two lookups, four transforms):
#   floor-1      COPY of the final rows (ids included) into the empty table, one stream
#   floor-2      the same rows in two halves, two concurrent streams
#   apply-1      mapengine apply, one stream                    target <= 1.15 x floor-1
#   apply-2      mapengine apply --parallel 2 (key ranges)      target <= 1.2 x floor-2
#   script-500   500-row pages sent as multi-row INSERTs        apply-2 >= 4 x faster
#   peak RSS of apply at 100,000 rows and at ROWS               within 1.2 x
# and, against floor-1 (the write floor with the foreign key checked per row):
#   bulk-1, bulk-2        apply --bulk (the foreign key dropped for the load, re-added after),
#                         one and two streams                   targets <= 0.5 and <= 0.35
#   bulk-1-v7, bulk-2-v7  the same with `generate: uuid_v7` ids (time-ordered) instead of v4
#   apply-1-v7            apply, one stream, v7 ids, the foreign key in place
#   re-add                seconds of bulk-1 spent re-adding and validating the foreign key
# (MAPENGINE_BENCH_BULK=0 leaves the bulk measures out.) And, to show what binary COPY (apply's
# default where the types allow) is worth:
#   floor-1-binary        floor-1's rows in COPY's binary format
#   apply-1-text          apply --copy-format text, one stream
# The floors and applies run ROUNDS times, interleaved, and each is reported by its median (and
# its minimum), and each apply against the floor of its own round by the median of those pairs:
# a neighbour's burst on the shared machine then lands in one sample, not a ratio.
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
apply_run() {  # $1 = parallel, $2 = mapping file, $3... = more flags; prints seconds, leaves
               # peak RSS (KiB) in $work/rss and the log in $work/apply.log
  local parallel=$1 file=${2:-bench/workload/orders.yaml}
  shift; shift || true
  reset_target; checkpoint
  local t0 t1
  t0=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$mapengine" apply --no-progress --log-format text ${MAPENGINE_BENCH_APPLY_FLAGS:-} \
    --parallel "$parallel" "$@" "$file" >"$work/apply.log" 2>&1 || { cat "$work/apply.log" >&2; exit 1; }
  t1=$(now)
  elapsed "$t0" "$t1"
}
# The seconds the last bulk apply spent re-creating the foreign key (from its log).
readd_seconds() { sed -n 's/.*bulk load: .* re-created in \([0-9.]*\) s.*/\1/p' "$work/apply.log" | head -n 1; }

floor_one() {
  reset_target; checkpoint
  local t0 t1
  t0=$(now); psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/final.copy'"; t1=$(now)
  elapsed "$t0" "$t1"
}
floor_one_binary() {
  reset_target; checkpoint
  local t0 t1
  t0=$(now); psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/final.bin' WITH (FORMAT binary)"; t1=$(now)
  elapsed "$t0" "$t1"
}
floor_two() {
  reset_target; checkpoint
  local t0 t1
  t0=$(now)
  psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/half1.copy'" &
  psql -q "$MAPENGINE_TARGET_URL" -c "\\copy orders FROM '$work/half2.copy'" &
  wait
  t1=$(now)
  elapsed "$t0" "$t1"
}
# The floor's rows: the final rows of an apply, exported from the target.
export_final_rows() {
  psql -q "$MAPENGINE_TARGET_URL" -c "\\copy (SELECT * FROM orders ORDER BY legacy_order_id) TO '$work/final.copy'"
  psql -q "$MAPENGINE_TARGET_URL" -c "\\copy (SELECT * FROM orders ORDER BY legacy_order_id) TO '$work/final.bin' WITH (FORMAT binary)"
  local half=$(( rows / 2 ))
  head -n "$half" "$work/final.copy" >"$work/half1.copy"
  tail -n +"$((half + 1))" "$work/final.copy" >"$work/half2.copy"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
minimum() { printf '%s\n' "$@" | sort -g | head -n 1; }

echo "bench: $rows rows; loading the legacy database..." >&2
load_legacy 100000
apply_run 1 >/dev/null
rss_small=$(cat "$work/rss")
load_legacy "$rows"

# The same workload with time-ordered ids (uuid_v7 of the load time).
mkdir -p "$work/v7"
cp bench/workload/_migrated.yaml "$work/v7/"
sed 's/id: { generate: uuid }/id: { generate: uuid_v7 }/' bench/workload/orders.yaml >"$work/v7/orders.yaml"
grep -q 'generate: uuid_v7' "$work/v7/orders.yaml" || { echo "bench: no v7 workload" >&2; exit 1; }
bulk=${MAPENGINE_BENCH_BULK:-1}

rounds=${MAPENGINE_BENCH_ROUNDS:-3}
apply1=(); apply2=(); floor1=(); floor2=(); rss_large=0
bulk1=(); bulk2=(); bulk1v7=(); bulk2v7=(); apply1v7=(); readd=(); floor1b=(); apply1text=()
for round in $(seq "$rounds"); do
  echo "bench: round $round of $rounds..." >&2
  apply1+=("$(apply_run 1)")
  rss_large=$(( $(cat "$work/rss") > rss_large ? $(cat "$work/rss") : rss_large ))
  if [ "$round" = 1 ]; then export_final_rows; fi
  floor1+=("$(floor_one)")
  floor1b+=("$(floor_one_binary)")
  apply1text+=("$(apply_run 1 bench/workload/orders.yaml --copy-format text)")
  apply2+=("$(apply_run 2)")
  floor2+=("$(floor_two)")
  if [ "$bulk" = 1 ]; then
    bulk1+=("$(apply_run 1 bench/workload/orders.yaml --bulk)")
    readd+=("$(readd_seconds)")
    bulk2+=("$(apply_run 2 bench/workload/orders.yaml --bulk)")
    bulk1v7+=("$(apply_run 1 "$work/v7/orders.yaml" --bulk)")
    bulk2v7+=("$(apply_run 2 "$work/v7/orders.yaml" --bulk)")
    apply1v7+=("$(apply_run 1 "$work/v7/orders.yaml")")
  fi
done

reset_target; checkpoint
t0=$(now); "$build/bench/legacy_script" "$MAPENGINE_SOURCE_URL" "$MAPENGINE_TARGET_URL"; t1=$(now)
script=$(elapsed "$t0" "$t1")
[ "$(psql -Atq "$MAPENGINE_TARGET_URL" -c 'SELECT count(*) FROM orders')" = "$rows" ] || { echo "script lost rows" >&2; exit 1; }

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
f1=$(median "${floor1[@]}"); f2=$(median "${floor2[@]}"); a1=$(median "${apply1[@]}"); a2=$(median "${apply2[@]}")
f1min=$(minimum "${floor1[@]}"); f2min=$(minimum "${floor2[@]}"); a1min=$(minimum "${apply1[@]}"); a2min=$(minimum "${apply2[@]}")
samples() { printf ' %.2f' "$@"; }
echo "$rounds rounds, samples in seconds: floor-1$(samples "${floor1[@]}"); apply-1$(samples "${apply1[@]}"); floor-2$(samples "${floor2[@]}"); apply-2$(samples "${apply2[@]}")"
echo
printf '%-12s %8s %8s\n' measure median minimum
printf '%-12s %8.2f %8.2f\n' floor-1 "$f1" "$f1min" floor-2 "$f2" "$f2min" apply-1 "$a1" "$a1min" apply-2 "$a2" "$a2min"
printf '%-12s %8.2f\n' script-500 "$script"
echo
# Each apply against the floor of its own round: a neighbour's burst then spoils one pair, not
# the comparison of two medians taken at different moments.
paired() {  # $1 = name of the apply array, $2 = name of the floor array
  local -n applies=$1 floors=$2
  local i out=()
  for i in "${!applies[@]}"; do out+=("$(ratio "${applies[$i]}" "${floors[$i]}")"); done
  echo "$(median "${out[@]}") (pairs:$(printf ' %s' "${out[@]}"))"
}
echo "apply-1 / floor-1        = $(ratio "$a1" "$f1") (medians), $(ratio "$a1min" "$f1min") (minimums), $(paired apply1 floor1) per round   (target <= 1.15)"
echo "apply-2 / floor-2        = $(ratio "$a2" "$f2") (medians), $(ratio "$a2min" "$f2min") (minimums), $(paired apply2 floor2) per round   (target <= 1.20)"
echo "script-500 / apply-2     = $(ratio "$script" "$a2")   (target >= 4)"
echo "peak RSS 100k / $rows    = ${rss_small} KiB / ${rss_large} KiB = $(ratio "$rss_large" "$rss_small") (target <= 1.2)"
echo
echo "binary COPY: floor-1-binary$(samples "${floor1b[@]}"); apply-1-text$(samples "${apply1text[@]}")"
echo "floor-1-binary / floor-1 = $(ratio "$(median "${floor1b[@]}")" "$f1") (medians), $(paired floor1b floor1) per round"
echo "apply-1 / floor-1-binary = $(ratio "$a1" "$(median "${floor1b[@]}")") (medians), $(paired apply1 floor1b) per round"
echo "apply-1-text / floor-1   = $(ratio "$(median "${apply1text[@]}")" "$f1") (medians), $(paired apply1text floor1) per round"
if [ "$bulk" = 1 ]; then
  echo
  echo "bulk samples in seconds: bulk-1$(samples "${bulk1[@]}"); bulk-2$(samples "${bulk2[@]}"); bulk-1-v7$(samples "${bulk1v7[@]}"); bulk-2-v7$(samples "${bulk2v7[@]}"); apply-1-v7$(samples "${apply1v7[@]}"); re-add$(samples "${readd[@]}")"
  against_floor1() {  # $1 = label, $2 = name of the array, $3 = target or ""
    local -n measured=$2
    printf '%-24s = %s (medians), %s per round%s\n' "$1 / floor-1" "$(ratio "$(median "${measured[@]}")" "$f1")" \
      "$(paired "$2" floor1)" "${3:+   (target <= $3)}"
  }
  against_floor1 bulk-1 bulk1 0.5
  against_floor1 bulk-2 bulk2 0.35
  against_floor1 bulk-1-v7 bulk1v7 ""
  against_floor1 bulk-2-v7 bulk2v7 ""
  against_floor1 apply-1-v7 apply1v7 ""
  echo "re-add of the foreign key in bulk-1 = $(median "${readd[@]}") s (median), $(ratio "$(median "${readd[@]}")" "$(median "${bulk1[@]}")") of bulk-1"
fi
