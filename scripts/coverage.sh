#!/usr/bin/env bash
# Source-based coverage of what the fuzz corpora exercise: builds the
# "coverage" preset (clang-19 -fprofile-instr-generate -fcoverage-mapping, the
# fuzz targets linked with the replay main), replays every corpus through its
# target (one raw profile per process), merges the profiles with
# llvm-profdata-19, and reports with llvm-cov-19: the table for impl/ (the
# heap, the system under test), one line each for program/, model/ and
# executor/, an HTML report of everything, and a closing impl/ line.
#
# A replay that crashes writes no profile, so its corpus adds nothing; the
# script names the input and goes on, and exits 1 at the end.
set -euo pipefail
shopt -s nullglob

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/fuzz-lib.sh
source "$root/scripts/fuzz-lib.sh"
build="${GCV_COVERAGE_BUILD_DIR:-$root/build-coverage}"
session="$gcv_fuzz_session"
out="$build/coverage"
targets=("${gcv_fuzz_targets[@]}")

usage() {
  cat <<EOF
usage: scripts/coverage.sh [[TARGET=]CORPUS_DIR...]

Builds the coverage preset (in \$GCV_COVERAGE_BUILD_DIR, default
$root/build-coverage), replays corpora through the fuzz targets and reports
the source coverage of impl/ (regions, functions, lines, branches), with a
line for program/, model/ and executor/ and an HTML report.

A plain CORPUS_DIR is replayed through every target, TARGET=CORPUS_DIR only
through TARGET (${targets[*]}).
Without arguments: each target's bundled seeds, plus its working corpus from
scripts/fuzz.sh when there is one
(\$GCV_FUZZ_SESSION_DIR, default \$GCV_FUZZ_BUILD_DIR/fuzz-session, default
$root/build-fuzz/fuzz-session).

exit status: 0 done, 1 a replay or the build failed, 2 bad usage.
EOF
}

usage_error() {
  echo "coverage.sh: $1" >&2
  usage >&2
  exit 2
}

is_target() { [[ " ${targets[*]} " == *" $1 "* ]]; }

# Fills runs with "target=dir" entries from the arguments or the defaults.
collect_runs() {
  runs=()
  local arg target dir
  if ((!$#)); then
    for target in "${targets[@]}"; do
      runs+=("$target=$(gcv_seed_dir "$target" "$build")")
      [[ ! -d "$session/$target/corpus" ]] || runs+=("$target=$session/$target/corpus")
    done
    return
  fi
  for arg in "$@"; do
    case "$arg" in
      -h|--help) usage; exit 0 ;;
      -*) usage_error "unknown option '$arg'" ;;
    esac
    target="${arg%%=*}"
    if [[ "$arg" == *=* ]] && is_target "$target"; then
      dir="${arg#*=}"
    else
      target=all dir="$arg"
    fi
    [[ -d "$dir" ]] || usage_error "$dir is not a directory"
    dir="$(cd "$dir" && pwd)"
    if [[ "$target" == all ]]; then
      for target in "${targets[@]}"; do runs+=("$target=$dir"); done
    else
      runs+=("$target=$dir")
    fi
  done
}

build_targets() {
  "$root/scripts/deps.sh"
  mkdir -p "$build"
  local log="$build/coverage-build.log"
  echo "coverage: building ${targets[*]} in $build (log: $log)"
  if ! { (cd "$root" && cmake --preset coverage -B "$build") &&
         cmake --build "$build" --target "${targets[@]}" fuzz_seeds; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "coverage.sh: the build failed; the whole log is $log" >&2
    exit 1
  fi
}

# Replays one corpus through one target into its own raw profile.
replay() {
  local target="$1" dir="$2" log status=0
  log="$out/replay-$run_number.log"
  echo "coverage: replaying $dir through $target"
  LLVM_PROFILE_FILE="$out/profiles/$run_number-%p.profraw" "$build/fuzz/$target" "$dir" >"$log" 2>&1 || status=$?
  if ((status)); then
    echo "coverage: $target failed (status $status) on $(sed -n "s/^replay: \(.*\) ([0-9]* bytes)$/\1/p" "$log" | tail -n 1);" \
         "its corpus counts for nothing (log: $log)" >&2
    failed=1
  fi
  run_number=$((run_number + 1))
}

# llvm-cov's -object list: every target binary.
objects() {
  local target first=1
  for target in "${targets[@]}"; do
    if ((first)); then first=0; else echo -object; fi
    echo "$build/fuzz/$target"
  done
}

# llvm-cov-19 COMMAND over every target binary. Each binary has its own
# LLVMFuzzerTestOneInput (fuzz/, outside every report), which llvm-cov warns
# of as "functions have mismatched data"; that warning alone is dropped.
llvm_cov() {
  local command="$1" status=0
  shift
  llvm-cov-19 "$command" -use-color=false -instr-profile="$out/merged.profdata" "${object_args[@]}" "$@" 2>"$out/llvm-cov.err" || status=$?
  grep -v 'functions have mismatched data' "$out/llvm-cov.err" >&2 || true
  return "$status"
}

# "regions R% (c/n), functions ..., lines ..., branches ..." from the TOTAL
# row of llvm-cov report over the sources under a directory.
total_line() {
  llvm_cov report "$1" | awk '
    function part(name, total, missed, percent) {
      return sprintf("%s %s (%d/%d)", name, percent, total - missed, total)
    }
    $1 == "TOTAL" {
      print part("regions", $2, $3, $4) ", " part("functions", $5, $6, $7) ", " \
            part("lines", $8, $9, $10) ", " part("branches", $11, $12, $13)
    }'
}

report() {
  llvm-profdata-19 merge -sparse "$out"/profiles/*.profraw -o "$out/merged.profdata"
  mapfile -t object_args < <(objects)
  echo
  llvm_cov report "$root/impl"
  llvm_cov show -format=html -output-dir="$out/html" "$root/impl" "$root/program" "$root/model" "$root/executor"
  echo
  local area
  for area in program model executor; do echo "coverage: $area/: $(total_line "$root/$area")"; done
  echo "coverage: HTML report: $out/html/index.html"
  echo "coverage: impl/: $(total_line "$root/impl")"
}

main() {
  collect_runs "$@"
  build_targets
  rm -rf "$out"
  mkdir -p "$out/profiles"
  run_number=0 failed=0
  local run
  for run in "${runs[@]}"; do replay "${run%%=*}" "${run#*=}"; done
  (($(find "$out/profiles" -type f | wc -l))) || { echo "coverage.sh: no replay wrote a profile" >&2; exit 1; }
  report
  exit "$failed"
}

main "$@"
