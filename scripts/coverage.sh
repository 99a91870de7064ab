#!/usr/bin/env bash
# Source-based coverage, layer by layer: what each way of testing reaches
# alone. Builds the "coverage" preset (clang-19 -fprofile-instr-generate
# -fcoverage-mapping; the fuzz targets linked with the replay main), runs
#   properties  the RapidCheck suites at CI's budget (props/src/case_budget.cc),
#   corpus      every corpus program through `gcverify run` and `gcverify
#               oom-sweep`, in both geometries as CTest runs them, and corpus/allocator/
#               through the allocator target,
#   fuzz seeds  each fuzz target's bundled seeds (and its working corpus from
#               scripts/fuzz.sh when there is one),
# each into raw profiles of its own (unit tests are no layer: they test by
# hand), merges them with llvm-profdata-19 and reports with llvm-cov-19:
# impl/ for each layer and for the properties and the corpus together, and
# executor/ and program/ for the fuzz seeds, against the targets of
# docs/coverage.md. scripts/coverage_figures.py counts the figures and leaves
# out, as "accounted", what the sources mark unreachable from heap programs by
# design (`// coverage: REASON`); the missed lines of each layer are listed in
# $out/missed-*.md, and an HTML report shows every layer merged.
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
suites=(props_heap_test props_allocator_test)
# The targets of docs/coverage.md: accounted lines and branches of impl/ that
# the properties and the corpus reach together; lines of executor/ and
# program/ that the fuzz seeds reach.
impl_target="97,90"
seeds_target="85,0"

usage() {
  cat <<EOF
usage: scripts/coverage.sh [[TARGET=]CORPUS_DIR...]

Builds the coverage preset (in \$GCV_COVERAGE_BUILD_DIR, default
$root/build-coverage) and reports source coverage (lines and branches).

Without arguments: each layer alone (the property suites at CI's budget, the
corpus replay, the fuzz targets' bundled seeds plus their working corpora
from scripts/fuzz.sh, in \$GCV_FUZZ_SESSION_DIR, default
\$GCV_FUZZ_BUILD_DIR/fuzz-session, default $root/build-fuzz/fuzz-session),
checked against the targets of docs/coverage.md: impl/ by the properties and
the corpus together (${impl_target%%,*}% of lines, ${impl_target##*,}% of branches, accounted),
executor/ and program/ by the fuzz seeds (${seeds_target%%,*}% of lines).

With arguments: only those corpora, replayed through the fuzz targets; a
plain CORPUS_DIR through every target, TARGET=CORPUS_DIR only through TARGET
(${targets[*]}).

The property suites take GCV_PROPS_SEED as the tests do (props/src/case_budget.cc).
exit status: 0 done (and the targets met), 1 a target missed, a replay or
the build failed, 2 bad usage.
EOF
}

usage_error() {
  echo "coverage.sh: $1" >&2
  usage >&2
  exit 2
}

is_target() { [[ " ${targets[*]} " == *" $1 "* ]]; }

# Fills fuzz_runs with "target=dir" entries from the arguments or the defaults.
collect_runs() {
  fuzz_runs=()
  local arg target dir
  if ((!$#)); then
    for target in "${targets[@]}"; do
      fuzz_runs+=("$target=$(gcv_seed_dir "$target" "$build")")
      [[ ! -d "$session/$target/corpus" ]] || fuzz_runs+=("$target=$session/$target/corpus")
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
      for target in "${targets[@]}"; do fuzz_runs+=("$target=$dir"); done
    else
      fuzz_runs+=("$target=$dir")
    fi
  done
}

# The binaries measured: the fuzz targets, and for the layers gcverify and
# the property suites (paths under the build).
binaries() {
  printf 'fuzz/%s\n' "${targets[@]}"
  [[ -z "$layers" ]] || printf '%s\n' cli/gcverify "${suites[@]/#/props/}"
}

build_targets() {
  "$root/scripts/deps.sh"
  mkdir -p "$build"
  local log="$build/coverage-build.log" names
  mapfile -t names < <(binaries | sed 's|.*/||')
  echo "coverage: building ${names[*]} in $build (log: $log)"
  if ! { (cd "$root" && cmake --preset coverage -B "$build") &&
         cmake --build "$build" --target "${names[@]}" fuzz_seeds; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "coverage.sh: the build failed; the whole log is $log" >&2
    exit 1
  fi
}

# Runs one command of a layer, its raw profiles in the layer's directory.
# Usage: measure LAYER WHAT COMMAND...
measure() {
  local layer="$1" what="$2" log status=0
  shift 2
  log="$out/run-$run_number.log"
  mkdir -p "$out/profiles/$layer"
  LLVM_PROFILE_FILE="$out/profiles/$layer/$run_number-%p.profraw" "$@" >"$log" 2>&1 || status=$?
  if ((status)); then
    echo "coverage: $what failed (status $status); it counts for nothing in the $layer layer (log: $log)" >&2
    failed=1
  fi
  run_number=$((run_number + 1))
}

run_properties() {
  local suite
  for suite in "${suites[@]}"; do
    echo "coverage: properties: $suite"
    measure properties "$suite" "$build/props/$suite"
  done
}

run_corpus() {
  local dir
  echo "coverage: corpus: every program through gcverify run and oom-sweep, in both geometries; corpus/allocator/ through allocator_fuzzer"
  for dir in "$root"/corpus/*/; do
    [[ "$dir" != */allocator/ ]] || continue
    measure corpus "gcverify run $dir" "$build/cli/gcverify" run --quiet "$dir"
    measure corpus "gcverify run --geometry classic $dir" "$build/cli/gcverify" run --quiet --geometry classic "$dir"
  done
  # The error paths: the corpus with its requests of memory refused, as
  # CTest's oom-sweep tests do (a smaller sample: the build is instrumented).
  measure corpus "gcverify oom-sweep corpus/" "$build/cli/gcverify" oom-sweep --quiet --max-runs 20 "$root/corpus"
  measure corpus "gcverify oom-sweep --geometry classic corpus/" \
    "$build/cli/gcverify" oom-sweep --quiet --max-runs 20 --geometry classic "$root/corpus"
  measure corpus "allocator_fuzzer on corpus/allocator/" "$build/fuzz/allocator_fuzzer" "$root/corpus/allocator"
}

run_fuzz_seeds() {
  local run target dir
  for run in "${fuzz_runs[@]}"; do
    target="${run%%=*}" dir="${run#*=}"
    echo "coverage: fuzz seeds: $dir through $target"
    measure seeds "$target on $dir" "$build/fuzz/$target" "$dir"
  done
}

# Merges the raw profiles of the named layers into $out/NAME.profdata.
# Usage: merge NAME LAYER...
merge() {
  local name="$1" layer profiles=()
  shift
  for layer in "$@"; do profiles+=("$out/profiles/$layer"/*.profraw); done
  ((${#profiles[@]})) || { echo "coverage.sh: no run of $* wrote a profile" >&2; exit 1; }
  llvm-profdata-19 merge -sparse "${profiles[@]}" -o "$out/$name.profdata"
}

# llvm-cov-19 COMMAND with profile NAME over every binary. Each fuzz binary
# has its own LLVMFuzzerTestOneInput (fuzz/, outside every report), which
# llvm-cov warns of as "functions have mismatched data"; that warning alone
# is dropped. Usage: llvm_cov COMMAND NAME ARGS...
llvm_cov() {
  local command="$1" profile="$2" status=0 color=(-use-color=false)
  shift 2
  [[ " $* " != *" -format=html "* ]] || color=()  # HTML is coloured, and llvm-cov says so otherwise
  llvm-cov-19 "$command" "${color[@]}" -instr-profile="$out/$profile.profdata" "${object_args[@]}" "$@" \
    2>"$out/llvm-cov.err" || status=$?
  grep -v 'functions have mismatched data' "$out/llvm-cov.err" >&2 || true
  return "$status"
}

# One line of figures for the sources under AREA reached by profile NAME;
# the missed lines go to $out/missed-NAME-AREA.md. TARGET ("LINES,BRANCHES",
# percent, accounted), when given, fails the run when missed.
# Usage: figures LABEL NAME AREA [TARGET]
figures() {
  local label="$1" profile="$2" area="$3" target="${4:-}" line status=0
  line="$(llvm_cov show "$profile" -show-branches=count "$root/$area" |
          python3 "$root/scripts/coverage_figures.py" --root "$root" \
            --missed "$out/missed-$profile-$area.md" ${target:+--target "$target"})" || status=$?
  printf 'coverage: %-20s %-10s %s\n' "$label" "$area/" "${line//$'\n'/; }"
  ((!status)) || missed_target=1
}

report() {
  mapfile -t object_args < <(binaries | sed "s|^|$build/|; 1!s|^|-object\n|")
  echo
  if [[ -z "$layers" ]]; then
    merge seeds seeds
    llvm_cov show seeds -format=html -output-dir="$out/html" "$root/impl" "$root/program" "$root/model" "$root/executor" >/dev/null
    local area
    for area in impl program model executor; do figures "the corpora given" seeds "$area"; done
    echo "coverage: missed lines: $out/missed-*.md; HTML report: $out/html/index.html"
    return
  fi
  merge properties properties
  merge corpus corpus
  merge properties+corpus properties corpus
  merge seeds seeds
  merge all properties corpus seeds
  llvm_cov show all -format=html -output-dir="$out/html" "$root/impl" "$root/program" "$root/model" "$root/executor" >/dev/null
  echo "coverage: per layer; \"accounted\" leaves out what the sources mark unreachable (docs/coverage.md)"
  figures "properties" properties impl
  figures "corpus" corpus impl
  figures "properties + corpus" properties+corpus impl "$impl_target"
  figures "fuzz seeds" seeds impl
  figures "fuzz seeds" seeds executor "$seeds_target"
  figures "fuzz seeds" seeds program "$seeds_target"
  figures "fuzz seeds" seeds model
  echo "coverage: missed lines per layer: $out/missed-*.md; HTML report: $out/html/index.html"
  if ((missed_target)); then
    echo "coverage: a target of docs/coverage.md is missed (above)" >&2
    failed=1
  fi
}

main() {
  layers=""
  ((!$#)) && layers=1
  collect_runs "$@"
  build_targets
  rm -rf "$out"
  mkdir -p "$out/profiles"
  run_number=0 failed=0 missed_target=0
  if [[ -n "$layers" ]]; then
    run_properties
    run_corpus
  fi
  run_fuzz_seeds
  report
  exit "$failed"
}

main "$@"
