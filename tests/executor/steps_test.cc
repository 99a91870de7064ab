// The executor's step arithmetic: step_count must agree with expand_op, which
// the step budget relies on without expanding shapes.
#include <gtest/gtest.h>

#include "executor_internal.h"

namespace gcv {
namespace {

Op op_of(OpCode code, std::uint32_t count = 1) {
  Op op;
  op.code = code;
  op.count = count;
  return op;
}

std::size_t expanded(const Op& op) {
  std::size_t count = 0;
  expand_op(op, 0, [&](Step&) { return ++count, true; });
  return count;
}

TEST(StepCount, ShapesAgreeWithTheirExpansion) {
  for (const OpCode code : {OpCode::Chain, OpCode::Cycle, OpCode::Clique}) {
    for (std::uint32_t k = 0; k <= 70; ++k) {
      const Op op = op_of(code, k);
      SCOPED_TRACE(std::to_string(static_cast<int>(code)) + " of " + std::to_string(k));
      EXPECT_EQ(step_count(op, SIZE_MAX), expanded(op));
      EXPECT_EQ(step_count(op, 5), std::min<std::size_t>(expanded(op), 5));
    }
  }
}

TEST(StepCount, OtherOperationsAreOneStepAndExpectationsNone) {
  for (int c = 0; c < static_cast<int>(OpCode::kCount); ++c) {
    const auto code = static_cast<OpCode>(c);
    if (code == OpCode::Chain || code == OpCode::Cycle || code == OpCode::Clique) continue;
    const Op op = op_of(code);
    SCOPED_TRACE(c);
    EXPECT_EQ(step_count(op, SIZE_MAX), expanded(op));
    EXPECT_EQ(step_count(op, SIZE_MAX), is_expectation(code) ? 0u : 1u);
  }
}

TEST(StepCount, TheLongestShapesAreCountedWithoutOverflow) {
  const Op clique = op_of(OpCode::Clique, kMaxCliqueSize);
  EXPECT_EQ(step_count(clique, SIZE_MAX), expanded(clique));
  const Op chain = op_of(OpCode::Chain, kMaxChainLength);
  EXPECT_EQ(step_count(chain, SIZE_MAX), 3u * kMaxChainLength + 3);
}

}  // namespace
}  // namespace gcv
