#!/usr/bin/env bash
# The main job on a local default: installs what is missing, builds, starts a throwaway
# PostgreSQL 15, creates the example legacy database and the target (profiles, orders, cases,
# messages and files already migrated), migrates the nine remaining tables with
# `mapengine apply mappings/`, validates them, and writes the final report.
#
#   scripts/demo.sh [SCALE]     SCALE 1 (default) is about 70,000 rows; 15 is about a million
#
# The report is written to out/migration-report.md. The server is stopped at the end; set
# MAPENGINE_DEMO_KEEP=1 to keep it running (its connection strings are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1}
build=$(realpath -m "${MAPENGINE_BUILD_DIR:-build}")

step() { printf '\n==> %s\n' "$*" >&2; }

step "installing dependencies (skipped when present)"
scripts/install-deps.sh
step "building"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target mapengine >/dev/null
mapengine="$build/mapengine"

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-demo.XXXXXX")
chmod 755 "$work"
if [ "${MAPENGINE_DEMO_KEEP:-0}" != 1 ]; then
  trap 'scripts/pg-server.sh stop "$work/pg"; rm -rf "$work"' EXIT
fi
step "starting a throwaway PostgreSQL in $work"
eval "$(scripts/pg-server.sh start "$work/pg")"
psql -q "$MAPENGINE_PG_ADMIN_URL" -c 'CREATE DATABASE legacy' -c 'CREATE DATABASE target'
export MAPENGINE_SOURCE_URL="$MAPENGINE_PG_ADMIN_URL dbname=legacy"
export MAPENGINE_TARGET_URL="$MAPENGINE_PG_ADMIN_URL dbname=target"

step "creating and filling the example legacy database and target (scale $scale)"
examples/setup.sh "$scale" >/dev/null

step "mapengine lint mappings/"
"$mapengine" lint mappings/

step "mapengine apply mappings/"
"$mapengine" apply --jobs 2 mappings/

step "mapengine validate mappings/"
validated=0
"$mapengine" validate mappings/ || validated=$?

step "mapengine report"
mkdir -p out
rm -f out/migration-report.md
"$mapengine" report -o out/migration-report.md || validated=$?

if [ -f out/migration-report.md ]; then
  printf '\nThe final report is in %s\n' "$PWD/out/migration-report.md"
else
  printf '\nNo report was written (see the messages above).\n'
fi
if [ "${MAPENGINE_DEMO_KEEP:-0}" = 1 ]; then
  printf 'The server keeps running:\n  MAPENGINE_SOURCE_URL=%q\n  MAPENGINE_TARGET_URL=%q\n' \
    "$MAPENGINE_SOURCE_URL" "$MAPENGINE_TARGET_URL"
fi
exit "$validated"
