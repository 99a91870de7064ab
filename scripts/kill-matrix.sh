#!/usr/bin/env bash
# The kill matrix: for every seeded bug (docs/seeded-bugs.md), does the
# harness catch it?
#   properties  the RapidCheck suites (heap and allocator; CI budget) of the
#               seeded-bugs build fail, and the seconds they took (to the
#               first failure and its shrinking, or to the end);
#   corpus      `gcverify run` over corpus/ fails (modern or classic geometry);
#   oom sweep   `gcverify oom-sweep --max-runs 200` over corpus/ fails (modern
#               or classic geometry): a MemoryError at a sample of every
#               program's requests of memory and at every arena mapping;
#   <target>    each fuzz target of the fuzz-bugs build, from its bundled
#               seeds, crashes within --fuzz-seconds (default 60): the seconds
#               it took; "n/a" where the target does not link the bug's code
#               (allocator_fuzzer links only the allocator, parser_fuzzer no
#               part of gcheap);
#   differential_fuzzer (no seeds)  the same from an empty corpus: what the
#               generators and the mutator reach on their own, since the
#               seeds (the corpus) already show most bugs;
#   reproducer  operations of the minimized reproducer: `gcverify minimize`
#               on the differential target's crash, else on the smallest
#               corpus program that fails.
# A hang counts as caught (the run is stopped after a generous limit) and
# says so. Writes a Markdown table (stdout, or --markdown FILE) and JSON
# (--json FILE); progress goes to stderr.
#
#   --gate      properties, corpus and oom sweep only (no fuzzing, no
#               minimizing; the sweep only for bugs the others missed), and
#               exit 1 unless each bug is caught by one of them: the CI gate
#   --build     build what is missing first (presets bugs and fuzz-bugs)
#   --cpython X.Y  the model and gcheap follow CPython X.Y's collector
#               (docs/cpython-versions.md): GCV_CPYTHON for the properties,
#               --cpython for the corpus, -cpython= for the differential target
#
# usage: scripts/kill-matrix.sh [--gate] [--build] [--fuzz-seconds N] [--cpython X.Y]
#                               [--json FILE] [--markdown FILE] [BUG...]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "kill-matrix: $*" >&2; exit 2; }

gate=0 build=0 fuzz_seconds=60 json="" markdown="" bugs=() cpython=""
while (($#)); do
  case "$1" in
    --gate) gate=1; shift ;;
    --build) build=1; shift ;;
    --fuzz-seconds)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--fuzz-seconds takes a positive number of seconds"
      fuzz_seconds="$2"; shift 2 ;;
    --json) [[ $# -ge 2 ]] || die "--json takes a file"; json="$2"; shift 2 ;;
    --cpython) [[ $# -ge 2 ]] || die "--cpython takes a version"; cpython="$2"; shift 2 ;;
    --markdown) [[ $# -ge 2 ]] || die "--markdown takes a file"; markdown="$2"; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    -*) usage >&2; die "unknown option '$1'" ;;
    *) bugs+=("$1"); shift ;;
  esac
done

# The catalog, in order, with areas: the X-macro list every build compiles from.
catalog="$root/impl/src/seeded_bugs_internal.h"
mapfile -t entries < <(awk '/\/\* [a-z ]+ \*\// { area = $2; for (i = 3; $i != "*/"; i++) area = area " " $i }
                            /X\([a-z_0-9]+\)/ { match($0, /X\([a-z_0-9]+\)/); print substr($0, RSTART + 2, RLENGTH - 3) " " area }' "$catalog")
((${#entries[@]})) || die "no seeded bugs found in $catalog"
declare -A area_of
for entry in "${entries[@]}"; do area_of[${entry%% *}]="${entry#* }"; done
if ((${#bugs[@]} == 0)); then
  for entry in "${entries[@]}"; do bugs+=("${entry%% *}"); done
fi
for bug in "${bugs[@]}"; do [[ -n "${area_of[$bug]:-}" ]] || die "no seeded bug named '$bug' (see docs/seeded-bugs.md)"; done

bugs_build="${GCV_BUGS_BUILD_DIR:-$root/build-bugs}"
fuzz_bugs_build="${GCV_FUZZ_BUGS_BUILD_DIR:-$root/build-fuzz-bugs}"
targets=(differential_fuzzer allocator_fuzzer parser_fuzzer)
if ((build)); then
  echo "kill-matrix: building (preset bugs$( ((gate)) || echo ' and fuzz-bugs'))" >&2
  (cd "$root" && cmake --preset bugs >/dev/null &&
    cmake --build "$bugs_build" --target gcverify props_heap_test props_allocator_test >/dev/null)
  ((gate)) || (cd "$root" && cmake --preset fuzz-bugs >/dev/null && cmake --build "$fuzz_bugs_build" --target "${targets[@]}" fuzz_seeds >/dev/null)
fi
gcverify="$bugs_build/cli/gcverify"
version_flag=""
if [[ -n "$cpython" ]]; then
  export GCV_CPYTHON="$cpython"  # the properties'
  version_flag="--cpython $cpython"
fi
for tool in "$gcverify" "$bugs_build/props/props_heap_test" "$bugs_build/props/props_allocator_test"; do
  [[ -x "$tool" ]] || die "$tool is not built (run with --build, or: cmake --preset bugs && cmake --build --preset bugs)"
done
if ((!gate)); then
  for target in "${targets[@]}"; do
    [[ -x "$fuzz_bugs_build/fuzz/$target" ]] || die "$fuzz_bugs_build/fuzz/$target is not built (run with --build)"
  done
fi
seeds_of() {
  case "$1" in
    differential_fuzzer) echo "$fuzz_bugs_build/fuzz/seeds/differential" ;;
    allocator_fuzzer) echo "$root/corpus/allocator" ;;
    parser_fuzzer) echo "$root/corpus" ;;
  esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Runs a check with a limit; prints caught | hang | missed.
verdict() {
  local limit="$1" status=0
  shift
  timeout "$limit" "$@" >"$work/out" 2>&1 || status=$?
  if ((status == 124)); then echo hang; elif ((status != 0)); then echo caught; else echo missed; fi
}

rows=() json_rows=() escaped=0
for bug in "${bugs[@]}"; do
  export GCHEAP_SEEDED_BUG="$bug"
  echo "kill-matrix: $bug" >&2
  start=$(now)
  props=$(verdict 600 sh -c "\"$bugs_build/props/props_heap_test\" --gtest_filter=-BrokenSystemsAreRejected.*:model_without_generations/* &&
                              \"$bugs_build/props/props_allocator_test\" --gtest_filter=-*CanFail*")
  props_seconds=$(elapsed "$start" "$(now)")
  corpus=$(verdict 600 sh -c "\"$gcverify\" run --quiet $version_flag \"$root/corpus\" && \"$gcverify\" run --quiet $version_flag --geometry classic \"$root/corpus\"")
  first_failing=$(grep -m1 '^FAIL ' "$work/out" | cut -d' ' -f2 || true)
  # The gate needs one catch: a bug the properties or the corpus caught is not swept there.
  oom="not run"
  [[ $gate == 1 && ("$props" != missed || "$corpus" != missed) ]] || oom=$(verdict 600 sh -c "\"$gcverify\" oom-sweep --quiet --max-runs 200 $version_flag \"$root/corpus\" &&
                           \"$gcverify\" oom-sweep --quiet --max-runs 200 --geometry classic $version_flag \"$root/corpus\"")
  [[ "$props" == missed && "$corpus" == missed && "$oom" == missed ]] && escaped=$((escaped + 1))
  row="| \`$bug\` | ${area_of[$bug]} | $props ($props_seconds s) | $corpus | $oom"
  json_row="{\"bug\": \"$bug\", \"area\": \"${area_of[$bug]}\", \"properties\": \"$props\", \"properties_seconds\": $props_seconds, \"corpus\": \"$corpus\", \"oom_sweep\": \"$oom\""
  if ((!gate)); then
    crash=""
    json_row+=", \"fuzz\": {"
    for target in "${targets[@]}" differential_fuzzer/no-seeds; do
      seeds="$(seeds_of "$target")"
      [[ "$target" != */no-seeds ]] || { target="${target%/no-seeds}" seeds=""; json_row+=", \"no_seeds\": {"; }
      if [[ "$target" == parser_fuzzer || ("$target" == allocator_fuzzer && "${area_of[$bug]}" != allocator) ]]; then
        row+=" | n/a"
        json_row+="\"$target\": null"
        [[ "$target" == "${targets[-1]}" ]] || json_row+=", "
        continue
      fi
      dir="$work/$bug/$target${seeds:-/no-seeds}"
      mkdir -p "$dir/corpus"
      start=$(now)
      version_args=()  # the differential target's flag; the others have no profile
      [[ -z "$cpython" || "$target" != differential_fuzzer ]] || version_args=("-cpython=$cpython")
      timeout $((fuzz_seconds + 60)) "$fuzz_bugs_build/fuzz/$target" "${version_args[@]}" -seed=1 -max_total_time="$fuzz_seconds" \
        -dict="$root/fuzz/$target.dict" -artifact_prefix="$dir/" "$dir/corpus" ${seeds:+"$seeds"} >"$dir/log" 2>&1 || true
      seconds=$(elapsed "$start" "$(now)")
      artifact=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
      # A sanitizer that aborts inside its own report ("nested bug") leaves no
      # artifact; its report still says the target failed.
      if [[ -n "$artifact" ]] || grep -qE '^==[0-9]+==ERROR: |^SUMMARY: (Address|Undefined)' "$dir/log"; then
        row+=" | ${seconds} s"
        json_row+="\"$target\": {\"caught\": true, \"seconds\": $seconds}"
        [[ "$target" == differential_fuzzer && -n "$seeds" ]] && crash="$artifact"
      else
        row+=" | missed"
        json_row+="\"$target\": {\"caught\": false, \"seconds\": $seconds}"
      fi
      [[ "$target" == "${targets[-1]}" || -z "$seeds" ]] || json_row+=", "
      [[ -n "$seeds" ]] || json_row+="}"
    done
    json_row+="}"
    # The minimized reproducer: from the fuzzer's crash, else from the corpus.
    ops=""
    if [[ -n "$crash" ]] && "$gcverify" minimize --quiet --max-seconds 30 --output "$work/repro.heap" "$crash" >/dev/null 2>&1; then
      ops=$(grep -vcE '^(#|names |$)' "$work/repro.heap" || true)
    elif [[ -n "$first_failing" ]] &&
      "$gcverify" minimize --quiet --check exhaustive --expectations --max-seconds 30 --output "$work/repro.heap" "$first_failing" >/dev/null 2>&1; then
      ops="$(grep -vcE '^(#|names |$)' "$work/repro.heap" || true) (corpus)"
    fi
    row+=" | ${ops:-none}"
    json_row+=", \"reproducer_ops\": \"${ops:-}\""
  fi
  rows+=("$row |")
  json_rows+=("$json_row}")
done

{
  if ((gate)); then
    echo "| Bug | Area | Properties | Corpus | OOM sweep |"
    echo "|---|---|---|---|---|"
  else
    echo "| Bug | Area | Properties | Corpus | OOM sweep | differential_fuzzer | allocator_fuzzer | parser_fuzzer | differential_fuzzer (no seeds) | Minimized reproducer (ops) |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
  fi
  printf '%s\n' "${rows[@]}"
  echo
  echo "${#bugs[@]} seeded bugs; caught by none of the properties, the corpus and the oom sweep: $escaped."
} >"${markdown:-/dev/stdout}"
if [[ -n "$json" ]]; then
  { echo "["; for i in "${!json_rows[@]}"; do echo "  ${json_rows[$i]}$( ((i + 1 < ${#json_rows[@]})) && echo ,)"; done; echo "]"; } >"$json"
fi
((gate && escaped > 0)) && exit 1
exit 0
