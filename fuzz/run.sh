#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*.cpp, clang + ASan/UBSan) and fuzzes each for its share of
# SECONDS (default 160: about 17 s for each of the 9 targets), starting from its seed corpus in
# fuzz/corpus/<target>/ (lint_fuzz: the lint fixtures and the example mappings). A crash, sanitizer
# report, leak or timeout fails the script and names the input that caused it and the command that
# reproduces it; the other targets still run.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     all targets (see fuzz/CMakeLists.txt) or the named ones
#   MAPENGINE_FUZZ_BUILD_DIR=dir          the build folder (default build-fuzz)
#   MAPENGINE_FUZZ_JOBS=n                 parallel compile jobs (default: all cores)
#
# The corpus each target grows is kept in $build_dir/fuzz-corpus/<target>/, so later runs go on
# from there; inputs that fail land in $build_dir/fuzz-artifacts/<target>/, the full libFuzzer
# output in $build_dir/fuzz-logs/<target>.log. Reproduce a failure:
#   build-fuzz/fuzz/<target> build-fuzz/fuzz-artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-160}
shift $(($# > 0 ? 1 : 0))
build_dir=${MAPENGINE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${MAPENGINE_FUZZ_JOBS:-$(nproc)}
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "fuzz/run.sh: clang++ is required (apt-get install clang libclang-rt-dev)" >&2
  exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "fuzz/run.sh: SECONDS must be a whole number, not '$seconds'" >&2
  exit 2
fi

# Line tables only: crash reports keep file:line; the compile is about a fifth shorter than -g.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" -DMAPENGINE_FUZZ=ON >/dev/null
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets <"$build_dir/fuzz/fuzz-targets.txt"
fi
cmake --build "$build_dir" --target "${targets[@]}" -j "$jobs"

share=$((seconds / ${#targets[@]}))
[ "$share" -ge 1 ] || share=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Copies the seeds listed on stdin (NUL-separated) into a corpus, named by content so reruns
# neither duplicate nor forget them.
seed_corpus() {
  local seed
  while IFS= read -r -d '' seed; do
    cp -f "$seed" "$1/seed-$(sha1sum <"$seed" | cut -c1-16)"
  done
}

failed=()
for target in "${targets[@]}"; do
  corpus="$build_dir/fuzz-corpus/$target"
  artifacts="$build_dir/fuzz-artifacts/$target"
  log="$build_dir/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  case "$target" in
    lint_fuzz)
      dict=fuzz/lint.dict max_len=65536
      (find tests/data/lint mappings examples -type f \( -name '*.yaml' -o -name '*.yml' \) \
        -print0 2>/dev/null || true) | seed_corpus "$corpus"
      ;;
    copy_text_fuzz) dict=fuzz/copy.dict max_len=4096 ;;
    *) dict=fuzz/transform.dict max_len=4096 ;;
  esac
  if [ -d "fuzz/corpus/$target" ]; then
    find "fuzz/corpus/$target" -type f -print0 | seed_corpus "$corpus"
  fi

  echo "== $target: ${share}s"
  if "$build_dir/fuzz/$target" -max_total_time="$share" -max_len="$max_len" -timeout=20 \
    -rss_limit_mb=2048 -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" >"$log" 2>&1; then
    awk -v corpus="$(find "$corpus" -type f | wc -l)" '
      /^stat::number_of_executed_units/ { runs = $2 }
      /^stat::peak_rss_mb/ { rss = $2 }
      END { printf "   %s runs, peak RSS %s MB, corpus %s inputs\n", runs, rss, corpus }' "$log"
  else
    tail -n 60 "$log"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "FAILED: $target (full output: $log)"
    if [ -n "$artifact" ]; then
      echo "  input:     $artifact"
      echo "  reproduce: ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS" \
        "$build_dir/fuzz/$target $artifact"
    fi
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz/run.sh: ${#targets[@]} target(s), no failure"
