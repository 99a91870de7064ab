#!/usr/bin/env bash
# The nightly run: what CI samples, whole. Builds build/ (scripts/build.sh),
# then
#   - sweeps every request of memory of every corpus program, in both
#     geometries (`gcverify oom-sweep`, where CTest's oom-sweep tests take
#     200 points per program and mode; docs/out-of-memory.md);
#   - runs the property suites at the deep budget (GCV_PROPS_DEEP=1: 20000
#     cases per property, where CI runs 1000).
# Exit status 0 when all pass; 1 otherwise (each part still runs).
#
# usage: scripts/nightly.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GCV_BUILD_DIR:-$root/build}"
[[ $# -eq 0 ]] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bash "$root/scripts/build.sh" || exit 1
status=0
for geometry in modern classic; do
  echo "nightly: oom-sweep, $geometry geometry, every request"
  "$build/cli/gcverify" oom-sweep --quiet --geometry "$geometry" "$root/corpus" || status=1
done
echo "nightly: property suites, GCV_PROPS_DEEP=1"
GCV_PROPS_DEEP=1 ctest --test-dir "$build" -R '^props\.' --timeout 7200 || status=1
exit "$status"
