#!/usr/bin/env bash
# Scale: `gcverify run` under the default check (--check changed) on programs
# that build large heaps, each with its time and peak resident memory, in one
# run, and the growth from 10^6 to 10^7 objects.
#
#   bench/scale.sh [MAX_OBJECTS=10000000]
#
# Builds build/ (the default preset) and generates, in a temporary directory:
#   cycles-and-chain-N   a chain of N lists, then N/10000 cycles of 1000 lists
#                        (1.1 N objects), `del` of the chain (N objects freed
#                        by one operation), `del` of the last cycle's name, a
#                        full collection and `expect live 0`; for N = 10^5,
#                        10^6 and 10^7 (up to MAX)
#   mixed-100000         10^5 operations that allocate 10^5 objects under the
#                        default thresholds: lists bound to one of 64 names,
#                        cycles of two, and appends between the names
# and prints a table: program, objects, operations, primitive steps, seconds,
# peak RSS, then the ratio of the 10^7 run's time to the 10^6 run's and
# whether the targets (docs/performance.md) hold.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
max="${1:-10000000}"
case "$max" in *[!0-9]*) echo "usage: $0 [MAX_OBJECTS]" >&2; exit 2 ;; esac
build="${GCV_BUILD_DIR:-$root/build}"
"$root/scripts/deps.sh"
cmake --preset default -B "$build" >/dev/null
cmake --build "$build" --target gcverify >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cycles_and_chain() {  # N -> program
  awk -v n="$1" 'BEGIN {
    print "# a chain of " n " lists and " n / 10000 " cycles of 1000; one del frees the chain"
    print "a = chain " n
    for (i = 0; i < n / 10000; i++) print "c = cycle 1000"
    print "del a"; print "del c"; print "collect"; print "expect live 0"
  }'
}

mixed() {  # OPS -> program: OPS operations allocating OPS objects
  awk -v ops="$1" 'BEGIN {
    print "# " ops " operations, " ops " objects, default thresholds"
    for (i = 0; i < ops; i++) {
      j = (i * 13) % 64; k = (i * 7 + 3) % 64
      if (i < 64) { print "n" i " = list"; continue }   # every name bound first
      r = i % 4
      if (r == 0) print "n" j " = cycle 2"
      else if (r == 3) print "n" j ".append(n" k ")"
      else print "n" j " = list"
    }
    print "collect"
  }'
}

run() {  # name file objects -> one table row; prints its seconds on fd 3
  local name="$1" file="$2" objects="$3" out
  out=$( { /usr/bin/time -f "TIME %e %M" "$build/cli/gcverify" run --quiet "$file" >"$work/$name.out"; } 2>&1 | grep '^TIME')
  if ! grep -q "1 passed" "$work/$name.out"; then echo "$name failed:" >&2; cat "$work/$name.out" >&2; exit 1; fi
  local seconds rss_kb ops
  seconds=$(awk '{print $2}' <<<"$out")
  rss_kb=$(awk '{print $3}' <<<"$out")
  ops=$(grep -vc '^#' "$file")
  printf '%-24s %10s %10s %9.2f %10.0f\n' "$name" "$objects" "$ops" "$seconds" "$((rss_kb / 1024))"
  echo "$name $seconds $((rss_kb / 1024))" >>"$work/results"
}

echo "gcverify run, default check (changed), $(nproc) cores; build: $build"
printf '%-24s %10s %10s %9s %10s\n' program objects operations seconds "peak MB"
mixed 100000 >"$work/mixed.heap"
run mixed-100000 "$work/mixed.heap" 100000
for n in 100000 1000000 10000000; do
  [ "$n" -le "$max" ] || continue
  cycles_and_chain "$n" >"$work/cc-$n.heap"
  run "cycles-and-chain-$n" "$work/cc-$n.heap" "$((n + n / 10))"
done
awk '
  { t[$1] = $2; m[$1] = $3 }
  END {
    printf "target: mixed-100000 under 10 s:                 %s\n", (t["mixed-100000"] < 10) ? "met" : "NOT met"
    if ("cycles-and-chain-10000000" in t) {
      r = t["cycles-and-chain-10000000"] / t["cycles-and-chain-1000000"]
      printf "growth 10^6 -> 10^7 (time ratio): %.1fx\n", r
      printf "target: growth at most 11x:                       %s\n", (r <= 11) ? "met" : "NOT met"
      printf "target: 10^7 under 60 s:                         %s\n", (t["cycles-and-chain-10000000"] < 60) ? "met" : "NOT met"
      printf "target: 10^7 under 4 GB:                          %s\n", (m["cycles-and-chain-10000000"] < 4096) ? "met" : "NOT met"
    }
  }' "$work/results"
