// The minimizer against systems under test with known faults: it finds the
// smallest program that shows the fault, keeps the failure's signature, is
// 1-minimal and deterministic, and respects its budget.
#include <gtest/gtest.h>

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

MinimizeOptions strict_checks() {
  MinimizeOptions options;
  options.run.check = CheckLevel::Full;
  return options;
}

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
  const MinimizeResult result = minimize(input, broken<UndercountsBigCollections>(), strict_checks());
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.signature, "divergence: gc.collect(N) result @ collect");
  EXPECT_EQ(result.original_ops, input.ops.size());
  EXPECT_FALSE(result.budget_exhausted);
  // Three objects made garbage and collected (the junk chain's tail turned
  // into a cycle, here), nothing else: no freeze, threshold, atoms, names.
  EXPECT_LE(result.program.ops.size(), 6u);
  EXPECT_EQ(result.program.ops.back().code, OpCode::Collect);
  for (const Op& op : result.program.ops)
    EXPECT_TRUE(op.code != OpCode::Freeze && op.code != OpCode::SetThreshold && op.code != OpCode::NewStr) << format_op(result.program, op);
  EXPECT_EQ(result.run.outcome, Outcome::Divergence);
}

TEST(Minimize, ResultIsOneMinimalForDeletion) {
  const MinimizeResult result = minimize(parse_program(kNoisyProgram), broken<UndercountsBigCollections>(), strict_checks());
  ASSERT_TRUE(result.reproduced);
  for (std::size_t i = 0; i < result.program.ops.size(); ++i) {
    Program smaller = result.program;
    smaller.ops.erase(smaller.ops.begin() + static_cast<std::ptrdiff_t>(i));
    auto model = make_reference_model();
    UndercountsBigCollections sut;
    RunOptions options = strict_checks().run;
    options.strict = false;
    const RunResult run = run_lockstep(smaller, *model, sut, options);
    EXPECT_TRUE(run.outcome == Outcome::Pass || run.report.signature(smaller) != result.signature)
        << "still fails without operation " << i;
  }
}

TEST(Minimize, IsDeterministic) {
  const Program input = parse_program(kNoisyProgram);
  const MinimizeResult first = minimize(input, broken<UndercountsBigCollections>(), strict_checks());
  const MinimizeResult second = minimize(input, broken<UndercountsBigCollections>(), strict_checks());
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
  const MinimizeResult result = minimize(input, broken<BothFaults>(), strict_checks());
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.signature, "divergence: gc.collect(N) result @ collect");
  EXPECT_EQ(print_text(result.program), "a = cycle 3\ndel a\ncollect\n");

  // The other fault alone minimizes to its own smallest program.
  const MinimizeResult other = minimize(parse_program("l = list\ni = list\nl.append(i)\nl.append(i)\nl.append(i)\nl.append(i)\n"),
                                        broken<MiscountsFourthItem>(), strict_checks());
  ASSERT_TRUE(other.reproduced);
  EXPECT_EQ(other.program.ops.size(), 5u);  // a list, and four appends (of itself, after merging names)
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
  const MinimizeResult result = minimize(input, broken<UndercountsBigCollections>(), strict_checks());
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(print_text(result.program), "a = cycle 3\ndel a\ncollect\n");
}

TEST(Minimize, StopsWhenTheBudgetIsSpent) {
  MinimizeOptions options = strict_checks();
  options.max_tests = 4;
  std::size_t progress_calls = 0;
  options.progress = [&](const MinimizeProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.ops, p.original_ops);
  };
  const MinimizeResult result = minimize(parse_program(kNoisyProgram), broken<UndercountsBigCollections>(), options);
  ASSERT_TRUE(result.reproduced);
  EXPECT_TRUE(result.budget_exhausted);
  EXPECT_LE(result.tests, 5u);
  EXPECT_GT(progress_calls, 0u);
  // Whatever it reached still fails the same way.
  auto model = make_reference_model();
  UndercountsBigCollections sut;
  RunOptions run = options.run;
  run.strict = false;
  const RunResult rerun = run_lockstep(result.program, *model, sut, run);
  EXPECT_EQ(rerun.report.signature(result.program), result.signature);
}

TEST(Minimize, AnInputThatPassesIsNotReproduced) {
  const MinimizeResult result = minimize(parse_program(kNoisyProgram), [] { return std::make_unique<ForwardingMachine>(); },
                                         strict_checks());
  EXPECT_FALSE(result.reproduced);
  EXPECT_EQ(result.tests, 1u);
}

}  // namespace
}  // namespace gcv
