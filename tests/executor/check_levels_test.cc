// The default check (CheckLevel::Changed: after every step, the objects
// either machine says it changed) finds exactly what the exhaustive one
// (every live object after every step) finds: the same verdict, at the same
// operation and step, with the same report. Over every corpus program, as
// `gcverify run` runs it, and over generated programs, as the fuzz target
// runs them (GCV_CHECK_LEVELS_PROGRAMS of them, 10,000 by default). In the
// seeded-bugs build the same holds for every seeded bug, over the corpus and
// a sample of the generated programs (GCV_CHECK_LEVELS_PROGRAMS=10000 runs
// them all), each run in a child process, since some bugs crash the heap: a
// crash is a verdict too, and must be the same.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gcheap/seeded_bugs.h"
#include "gcverify/binary.h"
#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"
#include "gcverify/program_generator.h"
#ifdef GCHEAP_SEEDED_BUGS
#include "child_process.h"
#endif

namespace gcv {
namespace {

struct Case {
  std::string name;
  Program program;
  bool text = true;
};

std::vector<Case> corpus_programs() {
  std::vector<Case> cases;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(GCV_CORPUS_DIR)) {
    if (entry.path().extension() != ".heap") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    ParseError error;
    std::optional<Program> program = parse_text(text.str(), entry.path().string(), error);
    if (program) cases.push_back({entry.path().string(), std::move(*program), true});
  }
  return cases;
}

std::size_t generated_count(std::size_t fallback) {
  const char* wanted = std::getenv("GCV_CHECK_LEVELS_PROGRAMS");
  return wanted != nullptr ? std::strtoul(wanted, nullptr, 10) : fallback;
}

// Programs as bench/generate_programs writes them: 64 operations each.
std::vector<Case> generated_programs(std::size_t count) {
  std::vector<Case> cases;
  fuzz::Random rng(7);
  std::vector<std::uint8_t> bytes(64 * kRecordSize);
  for (std::size_t p = 0; p < count; ++p) {
    for (std::size_t i = 0; i < 64; ++i) fuzz::random_record(rng).store(&bytes[i * kRecordSize]);
    cases.push_back({"generated program " + std::to_string(p), decode_binary(bytes), false});
  }
  return cases;
}

// Within the fuzz targets' step budget for every case: past it an exhaustive
// check costs the square of the steps (the corpus's 20,000-list chain took
// minutes under ASan), and the corpus runs check those programs whole.
RunResult run_at(const Case& c, CheckLevel level) {
  RunOptions options = c.text ? RunOptions{} : differential_fuzz_options();
  options.max_steps = differential_fuzz_options().max_steps;
  options.check = level;
  const auto model = make_reference_model();
  const auto heap = make_heap_machine();
  return run_lockstep(c.program, *model, *heap, options);
}

// The whole report as a user reads it, and what it names.
std::string verdict(const Case& c, const RunResult& r) {
  std::string text = std::string(to_string(r.outcome)) + " after " + std::to_string(r.steps_run) + " steps";
  if (r.outcome != Outcome::Pass) text += "\n" + r.report.to_string(c.program, "gcheap") + "\n" + to_string(r.report.objects);
  return text;
}

std::string verdict_at(const Case& c, CheckLevel level) {
#ifdef GCHEAP_SEEDED_BUGS
  const minimize_internal::ChildOutcome child =
      minimize_internal::run_in_child([&](minimize_internal::ChildProgress&) { return verdict(c, run_at(c, level)); }, 60);
  return child.finished ? child.message : "crash: " + child.crash_kind;
#else
  return verdict(c, run_at(c, level));
#endif
}

// Returns how many cases did not pass under the exhaustive check.
std::size_t expect_same_verdicts(const std::vector<Case>& cases) {
  std::size_t failing = 0;
  for (const Case& c : cases) {
    const std::string exhaustive = verdict_at(c, CheckLevel::Exhaustive);
    const std::string changed = verdict_at(c, CheckLevel::Changed);
    failing += exhaustive.rfind("pass", 0) != 0;
    EXPECT_EQ(exhaustive, changed) << c.name;
    if (exhaustive != changed) return failing;  // one is enough to read
  }
  return failing;
}

TEST(CheckLevels, ChangedFindsWhatExhaustiveFindsOnTheCorpus) {
  const std::vector<Case> cases = corpus_programs();
  ASSERT_GT(cases.size(), 40u);
  expect_same_verdicts(cases);
}

TEST(CheckLevels, ChangedFindsWhatExhaustiveFindsOnGeneratedPrograms) {
  expect_same_verdicts(generated_programs(generated_count(gcheap::kSeededBugsBuild ? 0 : 10000)));
}

#ifdef GCHEAP_SEEDED_BUGS
// Per seeded bug: the same verdicts, and the bug found at all (by the corpus
// or the generated programs) wherever the exhaustive check finds it.
TEST(CheckLevels, ChangedFindsWhatExhaustiveFindsUnderEverySeededBug) {
  std::vector<Case> cases = corpus_programs();
  std::vector<Case> generated = generated_programs(generated_count(100));
  cases.insert(cases.end(), generated.begin(), generated.end());
  for (const gcheap::seeded_bugs::Bug& bug : gcheap::seeded_bugs::catalog()) {
    SCOPED_TRACE(std::string(bug.name));
    ASSERT_TRUE(gcheap::seeded_bugs::enable(bug.name));
    const std::size_t failing = expect_same_verdicts(cases);
    if (bug.area != "allocator") {
      EXPECT_GT(failing, 0u) << "no program shows " << bug.name;
    }
  }
  gcheap::seeded_bugs::disable_all();
}
#endif

}  // namespace
}  // namespace gcv
