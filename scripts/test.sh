#!/usr/bin/env bash
# The test command: installs dependencies, builds (warnings are errors here: MAPENGINE_WERROR),
# starts a private PostgreSQL 15 server, runs every test through CTest, and stops the server
# (also on failure or Ctrl-C).
#
#   scripts/test.sh              normal build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   extra arguments after -- go to ctest (for example: -- -R lint)
#   MAPENGINE_BUILD_DIR=dir overrides the build folder
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=build
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON; build_dir=build-asan; shift ;;
    --) shift; break ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

build_dir=${MAPENGINE_BUILD_DIR:-$build_dir}
# Line tables only (-g1): backtraces and sanitizer reports keep file:line, and the compile takes
# about a quarter less time (GCC's variable tracking is what -g adds). The sanitizer build is -O1,
# as AddressSanitizer's documentation recommends: with -g1 it compiles about 6x faster than -O2 -g
# (measured on engine/apply/mapping_runner.cpp), which is most of CI's time.
if [ "$sanitize" = ON ]; then flags="-O1 -g1 -DNDEBUG"; else flags="-O2 -g1 -DNDEBUG"; fi
scripts/install-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAPENGINE_SANITIZE="$sanitize" \
  -DMAPENGINE_WERROR=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
# The sanitizer build compiles only what the tests run (the normal build also proves that the
# benchmarks compile).
targets=()
if [ "$sanitize" = ON ]; then targets=(--target mapengine mapengine_tests); fi
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-test.XXXXXX")
chmod 755 "$work"
cleanup() { scripts/pg-server.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
eval "$(scripts/pg-server.sh start "$work/pg" --fast)"
export MAPENGINE_TEST_TMP="$work"
if [ "$sanitize" = ON ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
