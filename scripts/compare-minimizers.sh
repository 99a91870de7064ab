#!/usr/bin/env bash
# Compares gcverify's minimizer with libFuzzer's -minimize_crash and
# RapidCheck's shrinking on the same failures: seeded bugs (docs/seeded-bugs.md)
# switched on one at a time.
#
# For each bug:
#  1. the differential fuzz target (build-fuzz-bugs: clang, libFuzzer, ASan)
#     runs from the bundled seeds (fixed seed, max_len 1024) until it crashes,
#     at most --fuzz-seconds; the crash is the input all three start from or
#     are compared on;
#  2. libFuzzer reduces it: -minimize_crash=1, at most 60 s;
#  3. gcverify minimize reduces it (build-bugs, GCC): at most 60 s;
#  4. RapidCheck's stateful Lockstep property finds and shrinks its own
#     counterexample to the same bug (build-bugs' props_heap_test).
# Sizes are operations as they ran (`gcverify print --resolved`); "same" says
# whether the result still fails with the crash's signature.
#
# usage: scripts/compare-minimizers.sh [--fuzz-seconds N] [BUG...]
# Prints a Markdown table on stdout; progress on stderr.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
fuzz_seconds=120
bugs=()
while (($#)); do
  case "$1" in
    --fuzz-seconds)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "compare-minimizers: --fuzz-seconds takes a positive number" >&2; exit 2; }
      fuzz_seconds="$2"; shift 2 ;;
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
(cd "$root" && cmake --preset bugs >/dev/null && cmake --build "$bugs_build" --target gcverify props_heap_test >/dev/null &&
  cmake --preset fuzz-bugs >/dev/null && cmake --build "$fuzz_bugs_build" --target differential_fuzzer fuzz_seeds >/dev/null)
gcverify="$bugs_build/cli/gcverify"
props="$bugs_build/props/props_heap_test"
fuzzer="$fuzz_bugs_build/fuzz/differential_fuzzer"
seeds="$fuzz_bugs_build/fuzz/seeds/differential"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# Operations of a program as it runs (names line and comments left out).
ops_of() { "$gcverify" print --resolved "$1" 2>/dev/null | grep -vcE '^(names |#|$)' || true; }
signature_of() { "$gcverify" replay "$1" 2>/dev/null | sed -n 's/^  signature: //p' | head -1; }

echo "| Bug | Crash (ops) | libFuzzer -minimize_crash | gcverify minimize | RapidCheck shrinking |"
echo "|---|---|---|---|---|"
for bug in "${bugs[@]}"; do
  export GCHEAP_SEEDED_BUG="$bug"
  dir="$work/$bug"
  mkdir -p "$dir/corpus"
  echo "compare-minimizers: $bug: fuzzing (at most ${fuzz_seconds} s)" >&2
  start=$(now)
  "$fuzzer" -seed=1 -max_len=1024 -max_total_time="$fuzz_seconds" -artifact_prefix="$dir/" \
    -dict="$root/fuzz/differential_fuzzer.dict" "$dir/corpus" "$seeds" >"$dir/fuzz.log" 2>&1 || true
  found=$(elapsed "$start" "$(now)")
  crash=$(find "$dir" -maxdepth 1 -name 'crash-*' | head -1)
  if [[ -z "$crash" ]]; then
    echo "| \`$bug\` | none in ${fuzz_seconds} s | | | |"
    continue
  fi
  signature=$(signature_of "$crash")
  crash_ops=$(ops_of "$crash")

  echo "compare-minimizers: $bug: libFuzzer -minimize_crash" >&2
  start=$(now)
  ASAN_OPTIONS=detect_leaks=0 "$fuzzer" -minimize_crash=1 -max_total_time=60 \
    -exact_artifact_path="$dir/libfuzzer.min" "$crash" >"$dir/libfuzzer.log" 2>&1 || true
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
  "$props" --gtest_filter=HeapProperties.Lockstep >"$dir/rapidcheck.log" 2>&1 || true
  rc_seconds=$(elapsed "$start" "$(now)")
  # The shrunk counterexample: one command per line after RapidCheck's
  # "std::vector<...Command...>:" header, up to the first blank line.
  rc_ops=$(awk '/^std::vector<std::shared_ptr<const Command/ { on = 1; next } on && /^$/ { exit } on { n++ } END { print n + 0 }' \
    "$dir/rapidcheck.log")
  rc_found=$(grep -c 'Falsifiable' "$dir/rapidcheck.log" || true)
  rc_cell=$([[ "$rc_found" -gt 0 ]] && echo "$rc_ops ops, $rc_seconds s (find + shrink)" || echo "not found")

  echo "| \`$bug\` | $crash_ops (found in $found s) | $lf_ops ops, $lf_seconds s, $lf_same | $our_ops ops, $our_seconds s, $our_same | $rc_cell |"
done
