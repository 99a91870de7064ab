#!/usr/bin/env bash
# The agreement matrix of docs/cpython-versions.md: generated programs run
# three-way (model, gcheap, the real interpreter) under each CPython version
# this build has an adapter for.
#
#   scripts/cpython-matrix.sh [--programs N] [--ops K] [--seed S] [--build DIR] [VERSION...]
#
# N programs (default 2000) of K operations (default 64, seed S, default 19)
# come from bench/generate_programs: every operation of the language, with
# finalizers, weakrefs and callbacks, freeze and threshold changes. Each
# version's run is `gcverify run --quiet --three-way --cpython X.Y DIR`. A
# failing program whose run reaches the known disagreement (a referent with
# the profile's callbacks_tuple weakrefs or more, one with a callback:
# PyObject_ClearWeakRefs' tuple, docs/cpython-versions.md; from 3.13 also
# two weakrefs without a callback) is counted apart;
# the others are listed with their signatures, to be explained or fixed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build" programs=2000 ops=64 seed=19 versions=()
while [ $# -gt 0 ]; do
  case "$1" in
    --programs) programs="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cpython-matrix.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) versions+=("$1"); shift ;;
  esac
done
gcverify="$build/cli/gcverify"
[ -x "$gcverify" ] || { echo "cpython-matrix.sh: no $gcverify: build first" >&2; exit 2; }
if [ ${#versions[@]} -eq 0 ]; then
  # Every version with an adapter: the ones whose check does not say "without".
  for v in $(sed -n 's/^GCV_CPYTHON([^"]*"\([0-9.]*\)".*/\1/p' "$root/program/include/gcverify/cpython_versions.def"); do
    "$gcverify" run --quiet --sut "cpython-$v" /dev/null 2>&1 | grep -q "built without" || versions+=("$v")
  done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bench/generate_programs" "$work/programs" "$programs" "$ops" "$seed"

# Whether the program, as it ran, reaches the callbacks tuple under a
# profile whose callbacks_tuple is $2.
reaches_tuple() {
  "$gcverify" print --resolved "$1" | awk -v at="$2" '
    / = weakref / { weakrefs++; if ($0 ~ /:/) callbacks++ }
    END { exit !(callbacks >= 1 ? weakrefs >= at : at == 1 && weakrefs >= 2) }'
}

printf '| version | programs | agree | %% | the callbacks tuple | other |\n|---|---|---|---|---|---|\n' > "$work/table"
for v in "${versions[@]}"; do
  at=$(sed -n "s/^GCV_CPYTHON([^\"]*\"$v\", *[0-9]*, *[A-Za-z]*, *[A-Za-z]*, *\([0-9]*\)).*/\1/p" \
         "$root/program/include/gcverify/cpython_versions.def")
  start=$(date +%s)
  "$gcverify" run --quiet --three-way --cpython "$v" "$work/programs" > "$work/run-$v" 2>&1 || true
  tuple=0 other=0
  for f in $(sed -n 's/^FAIL //p' "$work/run-$v"); do
    if reaches_tuple "$f" "$at"; then
      tuple=$((tuple + 1))
    else
      other=$((other + 1))
      echo "$v $(basename "$f"): $(grep -A8 "^FAIL $f\$" "$work/run-$v" | sed -n 's/^ *signature: //p' | head -1)" >> "$work/others"
    fi
  done
  agree=$((programs - tuple - other))
  percent=$(awk -v a="$agree" -v n="$programs" 'BEGIN { printf "%.2f", 100 * a / n }')
  echo "cpython-matrix: $v: $agree of $programs agree; $tuple reach the callbacks tuple; $other others ($(( $(date +%s) - start )) s)" >&2
  printf '| %s | %s | %s | %s | %s | %s |\n' "$v" "$programs" "$agree" "$percent" "$tuple" "$other" >> "$work/table"
done
cat "$work/table"
if [ -s "$work/others" ]; then
  echo
  echo "Disagreements not explained by the callbacks tuple:"
  cat "$work/others"
fi
