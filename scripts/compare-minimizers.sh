#!/usr/bin/env bash
# Compares gcverify's minimizer with libFuzzer's -minimize_crash and
# RapidCheck's shrinking on the same failures: seeded bugs (docs/seeded-bugs.md)
# switched on one at a time.
#
# For each bug:
#  1. the failing input: the first of 200 random programs of 256 operations
#     (bench/generate_programs, seed 1: the fuzz-throughput workload, in the
#     binary form) that fails with the bug, as `gcverify replay` runs it: a
#     large input, as fuzzers find them;
#  2. libFuzzer reduces it with the differential target (build-fuzz-bugs:
#     clang, libFuzzer, ASan): -minimize_crash=1, stopped at 60 s;
#  3. gcverify minimize reduces it (build-bugs, GCC): at most 60 s;
#  4. RapidCheck's stateful Lockstep property finds and shrinks its own
#     counterexample to the same bug (build-bugs' props_heap_test).
# Sizes are operations as they ran (`gcverify print --resolved`); "same" says
# whether the result still fails with the input's signature.
#
# usage: scripts/compare-minimizers.sh [BUG...]
# Prints a Markdown table on stdout; progress on stderr.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
bugs=()
while (($#)); do
  case "$1" in
    --help|-h) usage; exit 0 ;;
    -*) echo "compare-minimizers: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) bugs+=("$1"); shift ;;
  esac
done
((${#bugs[@]})) || bugs=(subtract_refs_skips_last_item list_dealloc_skips_first_item gc_triggers_at_threshold
                         survivors_stay_in_collected_generation finalizer_runs_twice_after_resurrection)

bugs_build="${GCV_BUGS_BUILD_DIR:-$root/build-bugs}"
fuzz_bugs_build="${GCV_FUZZ_BUGS_BUILD_DIR:-$root/build-fuzz-bugs}"
echo "compare-minimizers: building (presets bugs and fuzz-bugs)" >&2
(cd "$root" && cmake --preset bugs >/dev/null && cmake --build "$bugs_build" --target gcverify props_heap_test generate_programs >/dev/null &&
  cmake --preset fuzz-bugs >/dev/null && cmake --build "$fuzz_bugs_build" --target differential_fuzzer >/dev/null)
gcverify="$bugs_build/cli/gcverify"
props="$bugs_build/props/props_heap_test"
fuzzer="$fuzz_bugs_build/fuzz/differential_fuzzer"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unset GCHEAP_SEEDED_BUG
"$bugs_build/bench/generate_programs" "$work/programs" 200 256 1 >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# "N ops / M objects" of a program as it runs: its operations (names line
# and comments left out) and the objects they allocate (a shape macro makes
# k; small ints none).
ops_of() {
  { "$gcverify" print --resolved "$1" 2>/dev/null || true; } | awk '
    /^(names |#|$)/ { next }
    { ops++ }
    / = (cycle|chain|clique) / { for (i = 1; i < NF; i++) if ($i ~ /^(cycle|chain|clique)$/) objects += $(i + 1); next }
    / = (list|str|weakref)( |$)/ { objects++; next }
    / = int / { v = $4 + 0; if (v < -5 || v > 256) objects++ }
    END { printf "%d ops / %d objects", ops, objects }'
}
# (replay exits 1 when the input fails, which is the point here.)
signature_of() { { "$gcverify" replay "$1" 2>/dev/null || true; } | sed -n 's/^  signature: //p' | head -1; }

echo "| Bug | Failing input (ops) | libFuzzer -minimize_crash | gcverify minimize | RapidCheck shrinking |"
echo "|---|---|---|---|---|"
for bug in "${bugs[@]}"; do
  export GCHEAP_SEEDED_BUG="$bug"
  dir="$work/$bug"
  mkdir -p "$dir"
  echo "compare-minimizers: $bug: the first generated program that fails" >&2
  crash=""
  for program in "$work"/programs/*; do
    status=0
    "$gcverify" replay "$program" >/dev/null 2>&1 || status=$?
    if ((status == 1)); then crash="$program"; break; fi  # a divergence, not a crash of gcverify itself
  done
  if [[ -z "$crash" ]]; then
    echo "| \`$bug\` | none of 200 fails | | | |"
    continue
  fi
  signature=$(signature_of "$crash")
  crash_ops=$(ops_of "$crash")

  echo "compare-minimizers: $bug: libFuzzer -minimize_crash" >&2
  start=$(now)
  # -max_total_time bounds each of -minimize_crash's steps, not the loop of
  # steps: the whole is stopped at 60 s, keeping the smallest crash so far.
  ASAN_OPTIONS=detect_leaks=0 timeout 60 "$fuzzer" -minimize_crash=1 -max_total_time=60 \
    -exact_artifact_path="$dir/libfuzzer.min" "$crash" >"$dir/libfuzzer.log" 2>&1 || true
  pkill -f -- "-exact_artifact_path=$dir/libfuzzer.min" 2>/dev/null || true  # the step timeout left running
  lf_seconds=$(elapsed "$start" "$(now)")
  lf_input="$dir/libfuzzer.min"
  [[ -s "$lf_input" ]] || lf_input="$crash"
  lf_ops=$(ops_of "$lf_input")
  lf_same=$([[ "$(signature_of "$lf_input")" == "$signature" ]] && echo same || echo other)

  echo "compare-minimizers: $bug: gcverify minimize" >&2
  start=$(now)
  "$gcverify" minimize --quiet --max-seconds 60 --output "$dir/ours.heap" "$crash" >/dev/null 2>"$dir/ours.log" || true
  our_seconds=$(elapsed "$start" "$(now)")
  our_ops=$(ops_of "$dir/ours.heap")
  our_same=$([[ "$(signature_of "$dir/ours.heap")" == "$signature" ]] && echo same || echo other)

  echo "compare-minimizers: $bug: RapidCheck" >&2
  start=$(now)
  "$props" --gtest_filter=gcheap/PropertySuite.Lockstep/gcheap >"$dir/rapidcheck.log" 2>&1 || true
  rc_seconds=$(elapsed "$start" "$(now)")
  # The shrunk counterexample: one command per line after RapidCheck's
  # "std::vector<...Command...>:" header, up to the first blank line.
  rc_ops=$(awk '/^std::vector<std::shared_ptr<const Command/ { on = 1; next } on && /^$/ { exit } on { n++ } END { print n + 0 }' \
    "$dir/rapidcheck.log")
  rc_found=$(grep -c 'Falsifiable' "$dir/rapidcheck.log" || true)
  rc_cell=$([[ "$rc_found" -gt 0 ]] && echo "$rc_ops ops, $rc_seconds s (find + shrink)" || echo "not found")

  echo "| \`$bug\` | $crash_ops | $lf_ops, $lf_seconds s, $lf_same | $our_ops, $our_seconds s, $our_same | $rc_cell |"
done
