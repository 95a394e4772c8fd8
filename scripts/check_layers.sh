#!/usr/bin/env bash
# Checks that every file under engine/ includes only its own folder and the folders cmake/layers.txt
# lets that folder depend on, and that the table itself lists a folder's dependencies above it (so
# the folders form no cycle). Prints each offending file:line and include; exits 1 if there is one.
#
#   scripts/check_layers.sh [source-dir]     (the build runs it before compiling the engine,
#                                             CTest as the test "layers")
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

awk '
  FNR == NR {                                   # cmake/layers.txt
    sub(/#.*/, "")
    if (NF == 0) next
    folder = $1; sub(/:$/, "", folder)
    if (folder in order) { printf "cmake/layers.txt: %s is declared twice\n", folder; bad = 1 }
    order[folder] = ++n
    for (i = 2; i <= NF; i++) {
      if (!($i in order)) {
        printf "cmake/layers.txt: %s may include %s, which is not declared above it\n", folder, $i
        bad = 1
      }
      allowed[folder, $i] = 1
    }
    next
  }
  {                                              # grep -rn output: file:line:text
    split($0, part, ":")
    file = part[1]; line = part[2]
    split(file, path, "/"); from = path[2]
    if (!(from in order)) {
      if (!(from in reported))
        printf "%s: folder engine/%s is not declared in cmake/layers.txt\n", file, from
      reported[from] = 1; bad = 1; next
    }
    match($0, /#include "engine\/[a-z_]+\//)
    if (RSTART == 0) next
    to = substr($0, RSTART + 17, RLENGTH - 18)
    if (to != from && !((from, to) in allowed)) {
      include = substr($0, index($0, "#include"))
      printf "%s:%s: %s: engine/%s may not include engine/%s (cmake/layers.txt)\n",
             file, line, include, from, to
      bad = 1
    }
  }
  END { exit bad }
' cmake/layers.txt <(grep -rn '#include "engine/' engine)
