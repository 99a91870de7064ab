// operations.def drives equality and name walking: an operation's equality
// compares exactly the operands of its row, and for_each_name visits exactly
// the names among them.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "gcverify/program.h"

namespace gcv {
namespace {

struct Change {
  Operand operand;
  std::function<void(Op&)> apply;  // changes that operand's fields only
};

const std::vector<Change>& changes() {
  static const std::vector<Change> all = {
      {kTarget, [](Op& op) { op.target = 5; }},
      {kSource, [](Op& op) { op.source = 5; }},
      {kIndex, [](Op& op) { op.index = 5; }},
      {kSize, [](Op& op) { op.size = 500; }},
      {kCount, [](Op& op) { op.count = 5; }},
      {kValue, [](Op& op) { op.value = 5; }},
      {kExpectedValue, [](Op& op) { op.has_expected = true; }},
      {kThresholds, [](Op& op) { op.arity = 2; }},
      {kTriple, [](Op& op) { op.values[2] = 5; }},
      {kGeneration, [](Op& op) { op.generation = 0; }},
      {kObject, [](Op& op) { op.object.value = 5; }},
      {kEffects, [](Op& op) { op.effects.push_back(Effect{}); }},
  };
  return all;
}

TEST(Operations, EqualityComparesExactlyTheOperandsOfTheRow) {
  for (std::size_t c = 0; c < kOpCodeCount; ++c) {
    Op op;
    op.code = static_cast<OpCode>(c);
    const std::uint16_t reads = kOperations[c].operands;
    for (const Change& change : changes()) {
      Op changed = op;
      change.apply(changed);
      // The last of three values is also one of SetThreshold's (arity 3).
      const bool read = (reads & change.operand) || (change.operand == kTriple && (reads & kThresholds));
      EXPECT_EQ(op == changed, !read) << kOperations[c].words << ", operand bit " << change.operand;
    }
    Op moved = op;
    moved.where = {3, 4};
    EXPECT_EQ(op, moved) << "the source location is not part of " << kOperations[c].words;
  }
}

TEST(Operations, CollectComparesItsValueOnlyWhenItExpectsOne) {
  Op a, b;
  a.code = b.code = OpCode::Collect;
  b.value = 7;
  EXPECT_EQ(a, b);
  a.has_expected = b.has_expected = true;
  EXPECT_NE(a, b);
}

TEST(Operations, NamesVisitedAreTheNameOperandsOfTheRowAndTheBodysNames) {
  for (std::size_t c = 0; c < kOpCodeCount; ++c) {
    Op op;
    op.code = static_cast<OpCode>(c);
    op.target = 1, op.source = 2, op.object = {false, 3};
    op.effects = {Effect{.code = EffectCode::Deref, .name = 4, .source = 5}};
    std::vector<NameIndex> visited;
    for_each_name(op, [&](NameIndex& n) { visited.push_back(n); });
    const std::uint16_t reads = kOperations[c].operands;
    std::vector<NameIndex> expected;
    if (reads & kTarget) expected.push_back(1);
    if (reads & kSource) expected.push_back(2);
    if (reads & kObject) expected.push_back(3);
    expected.insert(expected.end(), {4, 5});
    EXPECT_EQ(visited, expected) << kOperations[c].words;
    op.object.by_serial = true;
    visited.clear();
    for_each_name(op, [&](NameIndex& n) { visited.push_back(n); });
    EXPECT_EQ(visited.size(), expected.size() - ((reads & kObject) ? 1 : 0)) << "an object by serial is no name";
  }
}

TEST(Operations, ExpectationsAreNeverWeighedForGeneration) {
  for (const OperationInfo& info : kOperations) {
    EXPECT_EQ(info.weight == 0, info.expectation) << info.words;
    EXPECT_LE(info.phase, 4) << info.words;
  }
}

}  // namespace
}  // namespace gcv
