#!/usr/bin/env bash
# Fuzz throughput: exec/s and peak RSS of the fuzz targets under ASan+UBSan,
# each beside a trivial target built the same way, in one run.
#
#   bench/fuzz-throughput.sh [SECONDS_PER_TARGET=20] [PROGRAMS=500]
#
# The targets are built by the fuzz preset (clang-19, libFuzzer, ASan, UBSan).
# Each runs with the flags of its fuzz/<target>.options, as scripts/fuzz.sh and
# OSS-Fuzz run it, then the workload's own. The differential and the three-way
# (CPython, when built) targets are fuzzed from the same workload of PROGRAMS
# random 64-operation programs (bench/generate_programs, seed 1) with
# -max_len=512 (64 records) and -len_control=0; the allocator target from an
# empty corpus. Prints each
# rate, its ratio to the trivial target's, the peak RSS, the average size of
# a workload program in primitive steps and collections, and whether the
# targets of docs/performance.md hold (differential >= 10000 exec/s,
# allocator >= 20000, three-way >= 1000 at <= 300 MB).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
programs="${2:-500}"
case "$seconds$programs" in *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [PROGRAMS]" >&2; exit 2 ;; esac
# shellcheck source=scripts/fuzz-lib.sh
source "$root/scripts/fuzz-lib.sh"
build="$gcv_fuzz_build"
"$root/scripts/deps.sh"
cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" --target differential_fuzzer allocator_fuzzer trivial_fuzzer generate_programs gcverify >/dev/null
cmake --build "$build" --target cpython_differential_fuzzer >/dev/null 2>&1 || true  # only with libpython3.11
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bench/generate_programs" "$work/programs" "$programs" 64 1

rate() {  # name binary [seed corpus] -> "exec/s peak_MB" of a fixed-time run
  mkdir -p "$work/corpus-$1"
  local options=()
  [ -f "$root/fuzz/$(basename "$2").options" ] && mapfile -t options < <(libfuzzer_options "$(basename "$2")")
  "$2" "${options[@]}" -max_len=512 -len_control=0 -max_total_time="$seconds" -seed=1 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus-$1" ${3:+"$3"} 2>"$work/$1.log" || {
    echo "$1 failed; see its log:" >&2; tail -30 "$work/$1.log" >&2; exit 1; }
  awk '/stat::average_exec_per_sec:/ {r = $2} /stat::peak_rss_mb:/ {m = $2} END {print r, m}' "$work/$1.log"
}
differential=$(rate differential "$build/fuzz/differential_fuzzer" "$work/programs")
allocator=$(rate allocator "$build/fuzz/allocator_fuzzer")
three_way=""
if [ -x "$build/fuzz/cpython_differential_fuzzer" ]; then
  three_way=$(rate three-way "$build/fuzz/cpython_differential_fuzzer" "$work/programs")
fi
trivial=$(rate trivial "$build/bench/trivial_fuzzer" "$work/programs")
shape=$("$build/cli/gcverify" run --check fast "$work/programs" |
        awk '/^PASS/ {gsub(/[(,]/, " "); steps += $5; collections += $7; n++}
             END {printf "%.0f primitive steps and %.1f collections per program", steps / n, collections / n}')

echo "fuzz throughput, ASan+UBSan, libFuzzer, ${seconds}s per target, $programs programs of 64 operations"
echo "(workload: $shape)"
printf '%-30s %10s %12s %10s  %s\n' target exec/s "/ trivial" "peak MB" "target"
row() {  # name "rate mb" goal_rate goal_mb
  awk -v name="$1" -v r="${2% *}" -v m="${2#* }" -v t="${trivial% *}" -v goal="$3" -v mb="$4" 'BEGIN {
    verdict = (goal == "") ? "" : ((r >= goal && (mb == "" || m <= mb)) ? "met" : "NOT met")
    printf "%-30s %10d %12.4f %10d  %s\n", name, r, r / t, m,
           (goal == "") ? "" : ">= " goal " exec/s" (mb == "" ? "" : ", <= " mb " MB") ": " verdict
  }'
}
row differential_fuzzer "$differential" 10000 ""
row allocator_fuzzer "$allocator" 20000 ""
if [ -n "$three_way" ]; then row cpython_differential_fuzzer "$three_way" 1000 300
else echo "cpython_differential_fuzzer: not built (no libpython3.11)"; fi
row trivial_fuzzer "$trivial" "" ""
