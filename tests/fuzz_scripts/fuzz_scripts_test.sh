#!/usr/bin/env bash
# Drives scripts/fuzz.sh, fuzz-merge.sh and coverage.sh as a user would:
#  1. usage errors exit 2 (and --help 0) for all three scripts;
#  2. a 10-second session of the real targets (FUZZ_BUILD_DIR, a built "fuzz"
#     preset) into a temporary session directory: exit 0, a progress line and
#     a summary row with executions and coverage for every target, the new
#     inputs in the working corpora, and the repository's corpus untouched;
#  3. fuzz-merge.sh on the differential working corpus: no more files than
#     before and only files from before, the edges covered (to within 1%),
#     nothing left beside the directory;
#  4. a stand-in libFuzzer target that crashes on inputs starting "!?" (built
#     with $CXX, default clang++-19): exit 1, every crash listed with an
#     existing path and the gcverify replay command, twice (the second session
#     finds the same inputs again, under the same names).
#
# usage: fuzz_scripts_test.sh [FUZZ_BUILD_DIR]   (default: <repo>/build-fuzz)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
fuzz_build="$(cd "${1:-$root/build-fuzz}" && pwd)"
targets=(differential_fuzzer allocator_fuzzer parser_fuzzer)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Nothing below may build or write in the repository's build directories.
export GCV_FUZZ_BUILD_DIR="$fuzz_build" GCV_COVERAGE_BUILD_DIR="$work/coverage-build"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs a command, its output in $work/out, and checks its exit status.
expect_status() {
  local want="$1" status=0
  shift
  "$@" >"$work/out" 2>&1 || status=$?
  ((status == want)) || { cat "$work/out" >&2; fail "'$*' exited with $status, not $want"; }
}

expect_output() {
  grep -Eq -- "$1" "$work/out" || { cat "$work/out" >&2; fail "no line matching '$1'"; }
}

file_count() { find "$1" -type f | wc -l; }

check_usage() {
  expect_status 0 "$root/scripts/fuzz.sh" --help
  expect_output '^usage: scripts/fuzz.sh'
  expect_status 2 "$root/scripts/fuzz.sh" --bogus
  expect_output '^usage: scripts/fuzz.sh'
  expect_status 2 "$root/scripts/fuzz.sh" 0
  expect_status 2 "$root/scripts/fuzz.sh" ten
  expect_status 2 "$root/scripts/fuzz.sh" --target nonesuch_fuzzer
  expect_status 2 "$root/scripts/fuzz.sh" --target
  expect_status 2 "$root/scripts/fuzz.sh" --report xml "$work/r.xml" 10
  expect_output "takes junit or json, not 'xml'"
  expect_status 2 "$root/scripts/fuzz.sh" --report junit "$work/nonexistent/r.xml" 10
  expect_output 'no directory'
  expect_status 0 "$root/scripts/fuzz-merge.sh" --help
  expect_status 2 "$root/scripts/fuzz-merge.sh"
  expect_status 2 "$root/scripts/fuzz-merge.sh" nonesuch_fuzzer "$work"
  expect_status 2 "$root/scripts/fuzz-merge.sh" parser_fuzzer "$work/nonexistent"
  expect_output 'is not a directory'
  GCV_FUZZ_BUILD_DIR="$work/nonexistent" expect_status 2 "$root/scripts/fuzz-merge.sh" parser_fuzzer "$work"
  expect_output 'is not built'
  expect_status 0 "$root/scripts/coverage.sh" --help
  expect_status 2 "$root/scripts/coverage.sh" --bogus
  expect_status 2 "$root/scripts/coverage.sh" "$work/nonexistent"
  [[ ! -e "$GCV_COVERAGE_BUILD_DIR" ]] || fail "coverage.sh built despite bad usage"
}

check_session() {
  local session="$work/session" target stamp="$work/stamp" line
  touch "$stamp"
  GCV_FUZZ_SESSION_DIR="$session" GCV_FUZZ_PROGRESS_SECONDS=2 expect_status 0 "$root/scripts/fuzz.sh" --no-build \
    --report junit "$work/fuzz.xml" --report json "$work/fuzz.json" 10
  expect_output '^fuzz: no crashes'
  # The reports CI reads: a test case per target, no failure; the same in JSON.
  python3 "$root/scripts/check_junit_report.py" "$work/fuzz.xml" 3 0 >&2 || fail "bad JUnit report of the session"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert len(r["targets"]) == 3 and all(t["execs"] > 0 and not t["crashes"] for t in r["targets"]), r' \
    "$work/fuzz.json" || fail "bad JSON report of the session"
  for target in "${targets[@]}"; do
    expect_output "^fuzz: \[ *[0-9]+/10s\] $target +(waiting|running|done) +execs"
    line=$(grep -E "^$target +[0-9]" "$work/out") || fail "no summary row for $target"
    # target seconds execs exec/s cov ft corpus new crashes
    read -r _ _ execs _ cov _ corpus new crashes <<<"$line"
    ((execs > 0 && cov > 0)) || fail "$target: no executions or no coverage in '$line'"
    ((corpus == $(file_count "$session/$target/corpus") && new == corpus && crashes == 0)) ||
      fail "$target: corpus, new or crashes wrong in '$line'"
  done
  [[ -z "$(find "$root/corpus" -newer "$stamp")" ]] || fail "the session wrote into $root/corpus"
}

# The edges ("cov") a corpus covers, as libFuzzer sees it after loading it.
corpus_coverage() {
  "$fuzz_build/fuzz/differential_fuzzer" -runs=0 "$1" 2>&1 | awk '/INITED/ { print $4 }'
}

# The merged corpus must be a subset of the inputs, with their coverage.
# Which inputs libFuzzer's set-cover merge keeps is its own choice (two merges
# of the same inputs may keep different ones). Coverage is checked only to
# within 1%: edges are counted input after input, and the target reuses
# buffers across inputs, so an edge that one input reaches only after a
# larger one (a vector assigned within its capacity) may show in the whole
# corpus and not in the merged subset, though both hold that input.
check_merge() {
  local corpus="$work/session/differential_fuzzer/corpus" before after coverage_before coverage_after
  before=$(file_count "$corpus")
  coverage_before=$(corpus_coverage "$corpus")
  cp -r "$corpus" "$work/before"
  expect_status 0 "$root/scripts/fuzz-merge.sh" differential_fuzzer "$corpus"
  after=$(file_count "$corpus")
  expect_output "$before -> $after files"
  ((after > 0 && after <= before)) || fail "the merge went from $before to $after files"
  # Only inputs that were there: libFuzzer names each by its content's SHA-1.
  [[ -z "$(comm -13 <(ls "$work/before" | sort) <(ls "$corpus" | sort))" ]] ||
    fail "the merge left files that were not in the corpus before"
  coverage_after=$(corpus_coverage "$corpus")
  ((coverage_after * 100 >= coverage_before * 99)) || fail "the merge lost coverage: $coverage_before -> $coverage_after edges"
  [[ -z "$(find "$work/session/differential_fuzzer" -maxdepth 1 -name 'corpus.*')" ]] || fail "the merge left files"
}

check_crashes() {
  local fake="$work/fake" target path found
  mkdir -p "$fake/fuzz/seeds/differential"
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' '#include <cstdlib>' \
    'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* d, std::size_t n) {' \
    '  if (n >= 2 && d[0] == 0x21 && d[1] == 0x3f) std::abort();' '  return 0;' '}' >"$fake/crash.cc"
  "${CXX:-clang++-19}" -fsanitize=fuzzer -O1 "$fake/crash.cc" -o "$fake/crash_fuzzer"
  for target in "${targets[@]}"; do cp "$fake/crash_fuzzer" "$fake/fuzz/$target"; done
  for session in first second; do
    GCV_FUZZ_BUILD_DIR="$fake" GCV_FUZZ_SESSION_DIR="$fake/session" expect_status 1 "$root/scripts/fuzz.sh" --no-build \
      --report junit "$fake/fuzz.xml" 3
    python3 "$root/scripts/check_junit_report.py" "$fake/fuzz.xml" 3 "$(grep -c '^crash: ' "$work/out")" >&2 ||
      fail "$session session: the JUnit report does not list every crash"
    for target in "${targets[@]}"; do
      found=0
      while read -r path; do
        [[ -f "$path" && "$(head -c 2 "$path")" == '!?' ]] || fail "$session session: bad artifact '$path'"
        found=1
        [[ "$target" != differential_fuzzer ]] || expect_output "^  replay: +$fake/cli/gcverify replay $path\$"
      done < <(sed -n "s/^crash: $target: //p" "$work/out")
      ((found)) || { cat "$work/out" >&2; fail "$session session: no crash listed for $target"; }
    done
    expect_output '^fuzz: [0-9]+ crash'
  done
}

check_usage
check_session
check_merge
check_crashes
echo "PASS: fuzz scripts"
