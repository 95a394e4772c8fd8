#!/usr/bin/env bash
# Builds fuzz/lint_fuzz.cpp with clang + libFuzzer + ASan/UBSan and fuzzes `mapengine lint`'s
# offline path for SECONDS (default 60), starting from a corpus seeded with the lint fixtures and
# the example mappings. A crash leaves its input in $build_dir/fuzz-artifacts/ and fails.
#
#   fuzz/run.sh [SECONDS]
#   MAPENGINE_FUZZ_BUILD_DIR=dir overrides the build folder (default build-fuzz)
#   reproduce a crash: build-fuzz/fuzz/lint_fuzz build-fuzz/fuzz-artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
build_dir=${MAPENGINE_FUZZ_BUILD_DIR:-build-fuzz}
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "fuzz/run.sh: clang++ is required (apt-get install clang libclang-rt-dev)" >&2
  exit 2
fi

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DMAPENGINE_FUZZ=ON >/dev/null
cmake --build "$build_dir" --target lint_fuzz -j "$(nproc)"

corpus="$build_dir/fuzz-corpus"
artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$corpus" "$artifacts"
# Seeds named by content, so reruns neither duplicate nor forget what the fuzzer found.
while IFS= read -r -d '' seed; do
  cp -f "$seed" "$corpus/seed-$(sha1sum <"$seed" | cut -c1-16)"
done < <(find tests/data/lint mappings examples -type f \( -name '*.yaml' -o -name '*.yml' \) \
  -print0 2>/dev/null)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$build_dir/fuzz/lint_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
  -rss_limit_mb=2048 -dict=fuzz/lint.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$corpus"
