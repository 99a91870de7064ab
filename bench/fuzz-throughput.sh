#!/usr/bin/env bash
# Fuzz throughput: exec/s of the differential target on 64-operation programs
# under ASan+UBSan, beside a trivial target built the same way, in one run.
#
#   bench/fuzz-throughput.sh [SECONDS_PER_TARGET=20] [PROGRAMS=500]
#
# Both targets are built by the fuzz preset (clang-19, libFuzzer, ASan, UBSan)
# and fuzzed from the same workload of PROGRAMS random 64-operation programs
# (bench/generate_programs, seed 1) with -max_len=512 (64 records) and
# -len_control=0. Prints both rates, their ratio, the average size of a
# workload program in primitive steps and collections, and whether the
# targets (>= 20000 exec/s, >= 1/10 of the trivial target) hold.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
programs="${2:-500}"
case "$seconds$programs" in *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [PROGRAMS]" >&2; exit 2 ;; esac
build="${GCV_FUZZ_BUILD_DIR:-$root/build-fuzz}"
"$root/scripts/deps.sh"
cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" --target differential_fuzzer trivial_fuzzer generate_programs gcverify >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bench/generate_programs" "$work/programs" "$programs" 64 1

rate() {  # target binary -> average exec/s of a fixed-time run
  mkdir -p "$work/corpus-$1"
  "$2" -max_len=512 -len_control=0 -max_total_time="$seconds" -seed=1 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus-$1" "$work/programs" 2>"$work/$1.log" || {
    echo "$1 failed; see its log:" >&2; tail -30 "$work/$1.log" >&2; exit 1; }
  awk '/stat::average_exec_per_sec:/ {print $2}' "$work/$1.log"
}
differential=$(rate differential "$build/fuzz/differential_fuzzer")
trivial=$(rate trivial "$build/bench/trivial_fuzzer")
shape=$("$build/cli/gcverify" run --check fast "$work/programs" |
        awk '/^PASS/ {gsub(/[(,]/, " "); steps += $5; collections += $7; n++}
             END {printf "%.0f primitive steps and %.1f collections per program", steps / n, collections / n}')

echo "fuzz throughput, ASan+UBSan, libFuzzer, ${seconds}s per target, $programs programs of 64 operations"
echo "(workload: $shape)"
printf '%-22s %12s\n' "target" "exec/s"
printf '%-22s %12s\n' "differential_fuzzer" "$differential"
printf '%-22s %12s\n' "trivial_fuzzer" "$trivial"
awk -v d="$differential" -v t="$trivial" 'BEGIN {
  printf "ratio differential/trivial: %.4f\n", d / t
  printf "target >= 20000 exec/s:       %s\n", (d >= 20000) ? "met" : "NOT met"
  printf "target >= 1/10 of trivial:    %s\n", (d * 10 >= t) ? "met" : "NOT met"
}'
