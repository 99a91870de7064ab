#!/usr/bin/env bash
# The whole test suite: install what is missing, then
#   1. the GCC build (build/): unit and integration tests, the corpus replayed
#      through the executor and through every fuzz target's replay main;
#   2. the seeded-bugs build (build-bugs/): the kill-matrix gate, which
#      requires the property suites or the corpus replay to catch every
#      seeded bug (docs/kill-matrix.md), and the failure-artifacts tests:
#      for every bug, every file replay, minimize, explain, triage and
#      promote write fails under `gcverify run` with its input's signature;
#      and gcheap's seeded-bug tests, a directed scenario per bug;
#   3. coverage (build-coverage/, scripts/coverage.sh): what the property
#      suites, the corpus and the fuzz seeds each reach, printed and held to
#      the targets of docs/coverage.md;
#   4. the fuzz build (build-fuzz/, clang-19 + libFuzzer + ASan + UBSan): the
#      same tests and corpus replays under the sanitizers, each fuzz target
#      fuzzed for a fixed time, and OSS-Fuzz's build emulated.
# The tests run through CTest; the run ends with CTest's summary line.
#
# The property suites take their RapidCheck seed from GCV_PROPS_SEED: given,
# it is used; otherwise one is drawn for this run. Either way it is printed
# first, so that a red run replays exactly.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh"
jobs="$(nproc)"
export GCV_PROPS_SEED="${GCV_PROPS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
echo "== property seed: $GCV_PROPS_SEED (replay this run's properties: GCV_PROPS_SEED=$GCV_PROPS_SEED bash scripts/test.sh)"

echo "== GCC build: unit, integration and corpus tests"
"$root/scripts/build.sh"
(cd "${GCV_BUILD_DIR:-$root/build}" && ctest --output-on-failure --parallel "$jobs" --timeout 900)

echo "== seeded-bugs build: every seeded bug caught by the properties or the corpus, every reproducer reproduces"
bugs_build="${GCV_BUGS_BUILD_DIR:-$root/build-bugs}"
cmake --preset bugs -B "$bugs_build" >/dev/null
cmake --build "$bugs_build" --parallel "$jobs" --target gcverify props_heap_test props_allocator_test generate_programs impl_seeded_bugs_test
(cd "$bugs_build" && ctest --output-on-failure -R '^(kill-matrix|failure-artifacts)/|^impl\.(SeededBugs|Catalog)' --parallel "$jobs" --timeout 3600)

echo "== coverage: what the properties, the corpus and the fuzz seeds each reach (docs/coverage.md)"
"$root/scripts/coverage.sh"

echo "== clang-19 fuzz build: ASan + UBSan, corpus replays, fixed-time fuzzing"
fuzz_build="${GCV_FUZZ_BUILD_DIR:-$root/build-fuzz}"
cmake --preset fuzz -B "$fuzz_build" >/dev/null
cmake --build "$fuzz_build" --parallel "$jobs"
cd "$fuzz_build"
exec ctest --output-on-failure --parallel "$jobs" --timeout 900
