// expectations_now: a run's end state written as the program's own
// expectations passes on the model, and any one of them changed fails.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

const char* const kProgram = R"(names a b c w
threshold 5 3 3
a = cycle 3
b = list
b.append(a)
c = int 1000
collect 0
w = weakref b
freeze
a = list
finalizer a:
del a
collect
)";

// Runs `program`, appends what the model observes at its end, runs those too;
// returns the outcome and the expectations appended.
std::pair<Outcome, std::vector<Op>> run_with_end_state(Program program, void (*change)(std::vector<Op>&)) {
  const auto model = make_reference_model();
  const auto heap = make_heap_machine();
  LockstepSession session(program, *model, *heap, RunOptions{});
  EXPECT_EQ(session.run_pending(), Outcome::Pass);
  std::vector<Op> expectations = expectations_now(program, *model);
  change(expectations);
  program.ops.insert(program.ops.end(), expectations.begin(), expectations.end());
  session.run_pending();
  return {session.finish(), expectations};
}

TEST(ExpectationsNow, PassOnTheRunThatMadeThem) {
  const auto [outcome, expectations] = run_with_end_state(parse_program(kProgram), [](std::vector<Op>&) {});
  EXPECT_EQ(outcome, Outcome::Pass);
  // count, threshold, freeze_count, live, garbage; b and w: alive, refcount,
  // not_finalized, generation (w, a weakref, is untracked: no generation);
  // c is an int (alive, refcount, not_finalized).
  Program shown = parse_program(kProgram);
  shown.ops = expectations;
  const std::string printed = print_text(shown);
  EXPECT_NE(printed.find("expect threshold 5 3 3"), std::string::npos) << printed;
  EXPECT_NE(printed.find("expect freeze_count"), std::string::npos) << printed;
  EXPECT_NE(printed.find("expect generation"), std::string::npos) << printed;
  EXPECT_NE(printed.find("permanent"), std::string::npos) << printed;  // b was frozen
}

TEST(ExpectationsNow, FailWhenOneIsChanged) {
  const auto refcount_plus_one = [](std::vector<Op>& ops) {
    for (Op& op : ops)
      if (op.code == OpCode::ExpectRefcount) {
        ++op.value;
        return;
      }
  };
  EXPECT_EQ(run_with_end_state(parse_program(kProgram), refcount_plus_one).first, Outcome::ExpectationFailed);
  const auto live_minus_one = [](std::vector<Op>& ops) {
    for (Op& op : ops)
      if (op.code == OpCode::ExpectLive) --op.value;
  };
  EXPECT_EQ(run_with_end_state(parse_program(kProgram), live_minus_one).first, Outcome::ExpectationFailed);
}

}  // namespace
}  // namespace gcv
