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
# version's run is `gcverify run --quiet --three-way --cpython X.Y DIR`.
# Prints the table, then every failing program with its signature, to be
# explained or fixed; --keep DIR keeps the programs there to look at.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build" programs=2000 ops=64 seed=19 keep="" versions=()
while [ $# -gt 0 ]; do
  case "$1" in
    --programs) programs="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

printf '| version | programs | agree | %% |\n|---|---|---|---|\n' > "$work/table"
for v in "${versions[@]}"; do
  start=$(date +%s)
  "$gcverify" run --quiet --three-way --cpython "$v" "$work/programs" > "$work/run-$v" 2>&1 || true
  failed=0
  for f in $(sed -n 's/^FAIL //p' "$work/run-$v"); do
    failed=$((failed + 1))
    echo "$v $(basename "$f"): $(grep -A8 "^FAIL $f\$" "$work/run-$v" | sed -n 's/^ *signature: //p' | head -1)" >> "$work/failures"
  done
  agree=$((programs - failed))
  percent=$(awk -v a="$agree" -v n="$programs" 'BEGIN { printf "%.2f", 100 * a / n }')
  echo "cpython-matrix: $v: $agree of $programs agree ($(( $(date +%s) - start )) s)" >&2
  printf '| %s | %s | %s | %s |\n' "$v" "$programs" "$agree" "$percent" >> "$work/table"
done
cat "$work/table"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$work/programs"/* "$keep"/
  cp "$work"/run-* "$keep"/
fi
if [ -s "$work/failures" ]; then
  echo
  echo "Disagreements:"
  cat "$work/failures"
fi
