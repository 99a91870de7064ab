// The minimizer against systems under test with known faults: it finds the
// smallest program that shows the fault, keeps the failure's signature, is
// 1-minimal and deterministic, and respects its budget.
#include <gtest/gtest.h>

#include <csignal>

#include "parse_program.h"

#include "gcverify/forwarding_machine.h"
#include "gcverify/minimize.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

// collect() returns one less whenever it found three or more objects.
struct UndercountsBigCollections : ForwardingMachine {
  std::int64_t collect(int g) override {
    const std::int64_t found = ForwardingMachine::collect(g);
    return found >= 3 ? found - 1 : found;
  }
};

// A list's fourth item is stored without its reference being counted.
struct MiscountsFourthItem : ForwardingMachine {
  void objects(std::vector<ObjectState>& out) override {
    ForwardingMachine::objects(out);
    for (ObjectState& o : out)
      if (o.slots.size() >= 4) o.refcount += 1;
  }
};

struct BothFaults : UndercountsBigCollections {
  void objects(std::vector<ObjectState>& out) override {
    UndercountsBigCollections::objects(out);
    for (ObjectState& o : out)
      if (o.slots.size() >= 4) o.refcount += 1;
  }
};

template <class Broken>
MachineFactory broken() {
  return [] { return std::make_unique<Broken>(); };
}

RunOptions full_checks() { return {.strict = false, .check = CheckLevel::Exhaustive}; }

// Noise around one garbage cycle of three and the collection that finds it.
const char* const kNoisyProgram = R"(keep = list 100
s = str 40
n = int 1000
junk = chain 6 64
a = list
b = list
c = list
a.append(b)
b.append(c)
c.append(a)
keep.append(s)
keep.append(n)
x = keep[0]
del junk
threshold 700 10 10
collect 0 -> 0
del a
del b
y = list 24
y.append(x)
del c
del x
freeze
unfreeze
collect
del y
)";

TEST(Minimize, ReducesANoisyProgramToTheFault) {
  const Program input = parse_program(kNoisyProgram);
  const MinimizeResult result = minimize(input, broken<UndercountsBigCollections>(), full_checks(), {});
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.failure.signature.to_string(), "divergence: collect result");
  EXPECT_EQ(result.original_ops, input.ops.size());
  EXPECT_FALSE(result.budget_exhausted);
  // Three objects in a cycle, which the teardown's collection finds (the
  // signature is the kind of check, not the operation: the input's own
  // `collect` is not needed); nothing else: no freeze, threshold, atoms.
  EXPECT_LE(result.program.ops.size(), 2u);
  EXPECT_LE(result.program.names.size(), 1u);
  for (const Op& op : result.program.ops)
    EXPECT_TRUE(op.code != OpCode::Freeze && op.code != OpCode::SetThreshold && op.code != OpCode::NewStr) << format_op(result.program, op);
  EXPECT_EQ(result.failure.outcome(), Outcome::Divergence);
}

TEST(Minimize, ResultIsOneMinimalForDeletion) {
  const MinimizeResult result = minimize(parse_program(kNoisyProgram), broken<UndercountsBigCollections>(), full_checks(), {});
  ASSERT_TRUE(result.reproduced);
  for (std::size_t i = 0; i < result.program.ops.size(); ++i) {
    Program smaller = result.program;
    smaller.ops.erase(smaller.ops.begin() + static_cast<std::ptrdiff_t>(i));
    auto model = make_reference_model();
    UndercountsBigCollections sut;
    const RunResult run = run_lockstep(smaller, *model, sut, full_checks());
    EXPECT_TRUE(run.outcome == Outcome::Pass || run.report.signature() != result.failure.signature)
        << "still fails without operation " << i;
  }
}

TEST(Minimize, IsDeterministic) {
  const Program input = parse_program(kNoisyProgram);
  const MinimizeResult first = minimize(input, broken<UndercountsBigCollections>(), full_checks(), {});
  const MinimizeResult second = minimize(input, broken<UndercountsBigCollections>(), full_checks(), {});
  EXPECT_EQ(print_text(first.program), print_text(second.program));
  EXPECT_EQ(first.tests, second.tests);
}

// The fourth append makes a second fault reachable; deleting the cycle would
// turn the failure into that one. The minimizer keeps the first.
TEST(Minimize, KeepsTheSignatureRatherThanAnotherFault) {
  const Program input = parse_program(R"(a = cycle 3
del a
collect
l = list
i = list
l.append(i)
l.append(i)
l.append(i)
l.append(i)
)");
  const MinimizeResult result = minimize(input, broken<BothFaults>(), full_checks(), {});
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.failure.signature.to_string(), "divergence: collect result");
  EXPECT_EQ(print_text(result.program), "a = cycle 3\n");

  // The other fault alone minimizes to its own smallest program.
  const MinimizeResult other = minimize(parse_program("l = list\ni = list\nl.append(i)\nl.append(i)\nl.append(i)\nl.append(i)\n"),
                                        broken<MiscountsFourthItem>(), full_checks(), {});
  ASSERT_TRUE(other.reproduced);
  // A list appending itself four times, the first append folded into the
  // list's making: `a = cycle 1` is `a = list; a.append(a)`.
  EXPECT_EQ(print_text(other.program), "a = cycle 1\na.append(a)\na.append(a)\na.append(a)\n");
}

TEST(Minimize, MergesNamesAndShrinksOperands) {
  const Program input = parse_program(R"(big = list 4000
other = list 300
big.append(other)
other.append(big)
third = clique 5 600
del third
del big
del other
threshold 5 3 2
collect 1
)");
  const MinimizeResult result = minimize(input, broken<UndercountsBigCollections>(), full_checks(), {});
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(print_text(result.program), "a = cycle 3\n");
}

TEST(Minimize, StopsWhenTheBudgetIsSpent) {
  MinimizeOptions options;
  options.max_tests = 4;
  std::size_t progress_calls = 0;
  options.progress = [&](const MinimizeProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.ops, p.original_ops);
  };
  const MinimizeResult result =
      minimize(parse_program(kNoisyProgram), broken<UndercountsBigCollections>(), full_checks(), options);
  ASSERT_TRUE(result.reproduced);
  EXPECT_TRUE(result.budget_exhausted);
  EXPECT_LE(result.tests, 5u);
  EXPECT_GT(progress_calls, 0u);
  // Whatever it reached still fails the same way.
  auto model = make_reference_model();
  UndercountsBigCollections sut;
  const RunResult rerun = run_lockstep(result.program, *model, sut, full_checks());
  EXPECT_EQ(rerun.report.signature(), result.failure.signature);
}

// A list's fourth item is written past the end of a freed block: a crash
// that AddressSanitizer reports as such, and that kills the process (a
// SIGSEGV raised by hand) where no sanitizer looks.
struct CrashesOnFourthItem : ForwardingMachine {
  void append(NameIndex container, NameIndex item) override {
    ForwardingMachine::append(container, item);
    if (inner_->slot_count(*inner_->binding(container)) != 4u) return;
    auto* volatile block = new std::uint64_t[2];
    delete[] block;
    block[1] = 4;  // heap-use-after-free, on purpose
    std::raise(SIGSEGV);
  }
};

TEST(Minimize, ACrashIsMinimizedInChildProcesses) {
  const Program input = parse_program(std::string(kNoisyProgram) + "keep.append(keep)\nkeep.append(s)\n");
  const Runner runner = child_process_runner({[] { return std::make_unique<CrashesOnFourthItem>(); }}, full_checks());
  const Trial trial = runner(input);
  ASSERT_EQ(trial.outcome(), Outcome::Crash) << trial.report;
  const std::string kind = trial.signature.detail;
  EXPECT_TRUE(kind == "heap-use-after-free" || kind == "SIGSEGV") << kind;
  EXPECT_NE(trial.report.find("crash during operation 28: keep.append(s)"), std::string::npos) << trial.report;
  EXPECT_EQ(trial.op_index, 27u);
  EXPECT_EQ(trial.ran.ops.size(), 28u);  // as it ran, up to the operation that crashed

  MinimizeOptions options;
  const MinimizeResult result = minimize(input, runner, options);
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.failure.signature, trial.signature);
  EXPECT_FALSE(result.budget_exhausted);
  EXPECT_EQ(print_text(result.program), "a = cycle 1\na.append(a)\na.append(a)\na.append(a)\n");
  // The same crash, run again on its own.
  EXPECT_TRUE(runner(result.program).same_failure(trial));
}

TEST(Minimize, ChildProcessRunsReportDivergencesAsInProcess) {
  const Program input = parse_program(kNoisyProgram);
  const Trial in_child = child_process_runner({broken<UndercountsBigCollections>()}, full_checks())(input);
  const Trial here = in_process_runner({broken<UndercountsBigCollections>()}, full_checks())(input);
  EXPECT_EQ(in_child.outcome(), Outcome::Divergence);
  EXPECT_TRUE(in_child.same_failure(here));
  EXPECT_EQ(in_child.report, here.report);
  EXPECT_EQ(print_text(in_child.ran), print_text(here.ran));
  EXPECT_EQ(in_child.op_index, here.op_index);
}

TEST(Minimize, AnInputThatPassesIsNotReproduced) {
  const MinimizeResult result = minimize(parse_program(kNoisyProgram), [] { return std::make_unique<ForwardingMachine>(); },
                                         full_checks(), {});
  EXPECT_FALSE(result.reproduced);
  EXPECT_EQ(result.tests, 1u);
}

}  // namespace
}  // namespace gcv
