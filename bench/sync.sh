#!/usr/bin/env bash
# Benchmark of `mapengine sync` (following the legacy database's changes) on the bench workload
# (bench/workload: orders with two lookups and four transforms into a random-UUID target), on
# one private PostgreSQL server with wal_level=logical, measured in this run:
#
#   bench/sync.sh [ROWS]             the legacy orders loaded first (default 100,000)
#   MAPENGINE_BENCH_BURST=N          transactions in the burst (default 400)
#   MAPENGINE_BENCH_STEADY=S         seconds of the steady writer (default 30)
#   MAPENGINE_BENCH_RATE=R           its transactions per second (default 50)
#
# Each legacy transaction updates 50 orders, inserts 5 and deletes 5 (60 changed rows).
#   burst      the writer commits N transactions as fast as one session can; the follower
#              starts behind and catches up. Printed: the writer's seconds (the baseline: what
#              the legacy server itself needed), the follower's seconds from the burst's start
#              until the target holds its last transaction, their ratio, and the changed rows
#              per second the follower applied.
#   steady     R transactions per second for S seconds; the follower's lag, sampled from its
#              follow_progress events every 500 ms: median and maximum seconds and bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
burst=${MAPENGINE_BENCH_BURST:-400}
steady=${MAPENGINE_BENCH_STEADY:-30}
rate=${MAPENGINE_BENCH_RATE:-50}
build=$(realpath -m "${MAPENGINE_BUILD_DIR:-build}")

scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target mapengine >/dev/null
mapengine="$build/mapengine"

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-sync-bench.XXXXXX")
chmod 755 "$work"
follower=0
finish() {
  if [ "$follower" -gt 0 ]; then
    kill -INT "$follower" 2>/dev/null || true
    wait "$follower" 2>/dev/null || true
  fi
  "$mapengine" sync --drop --name bench bench/workload/orders.yaml >/dev/null 2>&1 || true
  scripts/pg-server.sh stop "$work/pg"
  rm -rf "$work"
}
trap finish EXIT
eval "$(scripts/pg-server.sh start "$work/pg")"
admin="$MAPENGINE_PG_ADMIN_URL"
export PGOPTIONS="-c client_min_messages=warning"
psql -q "$admin" -c 'CREATE DATABASE legacy' -c 'CREATE DATABASE target'
export MAPENGINE_SOURCE_URL="${admin/dbname=postgres/dbname=legacy}"
export MAPENGINE_TARGET_URL="${admin/dbname=postgres/dbname=target}"
psql -q "$MAPENGINE_SOURCE_URL" -v rows="$rows" -f bench/workload/legacy.sql >/dev/null
psql -q "$MAPENGINE_TARGET_URL" -f bench/workload/target.sql >/dev/null

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
target_scalar() { psql -qtA "$MAPENGINE_TARGET_URL" -c "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }
# Runs `count` legacy transactions, `pause` seconds apart, from one session; the n-th inserts
# orders next_id + 5n .. + 4 and deletes the 5 inserted 5 transactions earlier (so deletions hit
# rows the follower wrote), and updates 50 orders. Prints nothing; the last inserted id is
# next_id + 5 * count - 1.
write_changes() {  # $1 = first new id, $2 = count, $3 = pause seconds
  # psql does not substitute variables inside the DO block's quotes: they travel as settings.
  psql -q "$MAPENGINE_SOURCE_URL" -v first="$1" -v count="$2" -v pause="$3" <<'SQL' >/dev/null
SELECT set_config('bench.first', :'first', false), set_config('bench.count', :'count', false),
       set_config('bench.pause', :'pause', false);
DO $$
DECLARE
  first int := current_setting('bench.first')::int;
  count int := current_setting('bench.count')::int;
  pause float := current_setting('bench.pause')::float;
  base int;
BEGIN
  FOR n IN 0 .. count - 1 LOOP
    base := first + 5 * n;
    INSERT INTO orders
    SELECT g, g % 1000 + 1, g % 50000 + 1, 12.34, 'A', ' new ', now()::timestamp
    FROM generate_series(base, base + 4) g;
    DELETE FROM orders WHERE id BETWEEN base - 25 AND base - 21 AND id >= first;
    UPDATE orders SET total = total + 1 WHERE id BETWEEN (n * 50) % 90000 + 1 AND (n * 50) % 90000 + 50;
    COMMIT;
    IF pause > 0 THEN PERFORM pg_sleep(pause); END IF;
  END LOOP;
END $$;
SQL
}
# Waits until the target holds legacy order $1 (the follower applies transactions in commit
# order, so the last one there means every earlier one is too).
wait_for_order() {
  until [ "$(target_scalar "SELECT count(*) FROM orders WHERE legacy_order_id = $1")" = 1 ]; do
    sleep 0.05
  done
}

echo "sync bench: $rows orders; the initial load..." >&2
MAPENGINE_PROGRESS_INTERVAL_MS=500 "$mapengine" sync --name bench --no-progress \
  --log-format json bench/workload/orders.yaml >"$work/sync.log" 2>&1 &
follower=$!
until [ "$(target_scalar "SELECT phase FROM mapengine.follows WHERE name = 'bench'" 2>/dev/null)" = following ]; do
  kill -0 "$follower" 2>/dev/null || { cat "$work/sync.log" >&2; exit 1; }
  sleep 0.2
done

echo "sync bench: burst of $burst transactions..." >&2
first=$((rows + 1))
t0=$(now)
write_changes "$first" "$burst" 0
t1=$(now)
wait_for_order $((first + 5 * burst - 1))
t2=$(now)
writer=$(elapsed "$t0" "$t1")
follow=$(elapsed "$t0" "$t2")
changed=$((burst * 60))

echo "sync bench: steady writer, $rate transactions/s for $steady s..." >&2
first=$((first + 5 * burst + 100))
count=$((rate * steady))
steady_from=$(wc -l <"$work/sync.log")
write_changes "$first" "$count" "$(echo "1 / $rate" | bc -l)"
wait_for_order $((first + 5 * count - 1))
progress() { tail -n +"$steady_from" "$work/sync.log" | grep -F '"event":"follow_progress"'; }
mapfile -t lag_s < <(progress | sed -n 's/.*"lag_seconds":\([0-9.eE+-]*\).*/\1/p')
mapfile -t lag_b < <(progress | sed -n 's/.*"lag_bytes":\([0-9]*\).*/\1/p')

printf '\nsync bench: %s legacy orders, %s-row changes per transaction\n' "$rows" 60
printf '%-34s %10s\n' "burst: legacy writer (baseline) s" "$(printf '%.2f' "$writer")"
printf '%-34s %10s\n' "burst: follower caught up after s" "$(printf '%.2f' "$follow")"
printf '%-34s %10s\n' "burst: follower / writer" "$(printf '%.2f' "$(echo "$follow / $writer" | bc -l)")"
printf '%-34s %10s\n' "burst: changed rows applied per s" "$(printf '%.0f' "$(echo "$changed / $follow" | bc -l)")"
printf '%-34s %10s\n' "steady: lag s, median" "$(median "${lag_s[@]:-0}")"
printf '%-34s %10s\n' "steady: lag s, max" "$(maximum "${lag_s[@]:-0}")"
printf '%-34s %10s\n' "steady: lag bytes, median" "$(median "${lag_b[@]:-0}")"
printf '%-34s %10s\n' "steady: lag bytes, max" "$(maximum "${lag_b[@]:-0}")"
printf '%-34s %10s\n' "steady: samples" "${#lag_s[@]}"
