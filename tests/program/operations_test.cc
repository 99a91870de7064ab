// operations.def drives the text form, equality and name walking: every
// row's form prints and parses back, with and without its optional parts; an
// operation's equality compares exactly the fields its form names, and
// for_each_name visits exactly the names among them.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gcverify/program.h"
#include "gcverify/text.h"

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
      {kBody, [](Op& op) { op.body.push_back(Op{}), op.has_body = true; }},
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

// Each opcode with every field off its default (and valid for the opcode),
// or with every field at its default.
Op with_fields(OpCode code, bool off_default) {
  Op op;
  op.code = code;
  if (!off_default) return op;
  op.target = 0, op.source = 1, op.index = 3, op.size = 600, op.count = 5;
  op.value = code == OpCode::SetDebug ? 1 : 7;
  op.has_expected = true, op.arity = 2, op.values = {700, 10, 5}, op.generation = 1;
  op.object = {false, 2};
  Op collect = Op::of(OpCode::Collect);
  collect.generation = 1;
  op.body = {collect};
  op.has_body = true;
  return op;
}

TEST(Operations, EveryFormPrintsAndParsesBack) {
  for (std::size_t c = 0; c < kOpCodeCount; ++c) {
    for (bool off_default : {false, true}) {
      Program program;
      program.names = {"a", "b", "c"};
      program.ops = {with_fields(static_cast<OpCode>(c), off_default)};
      const std::string text = "names a b c\n" + format_op(program, program.ops[0]) + "\n";
      SCOPED_TRACE(text);
      ParseError error;
      const std::optional<Program> parsed = parse_text(text, "form.heap", error);
      ASSERT_TRUE(parsed) << error.to_string();
      ASSERT_EQ(parsed->ops.size(), 1u);
      EXPECT_EQ(parsed->ops[0], program.ops[0]) << kOperations[c].words;
      EXPECT_EQ(parsed->ops[0].code, program.ops[0].code);
    }
  }
}

TEST(Operations, OptionalPartsPrintOnlyOffTheirDefaults) {
  Program program;
  program.names = {"a", "b"};
  Op op = with_fields(OpCode::Collect, false);
  EXPECT_EQ(format_op(program, op), "collect");
  op.has_expected = true;  // a later part prints the earlier one too
  EXPECT_EQ(format_op(program, op), "collect 2 -> 0");
  EXPECT_EQ(format_op(program, with_fields(OpCode::SetFinalizer, false)), "finalizer a:");
  EXPECT_EQ(format_op(program, with_fields(OpCode::NewWeakref, false)), "a = weakref a");
  EXPECT_EQ(format_op(program, with_fields(OpCode::NewWeakref, true)), "a = weakref b: collect 1");
  EXPECT_EQ(format_op(program, with_fields(OpCode::Clique, true)), "a = clique 5 600");
}

TEST(Operations, TheWordsOfTheFormsAreKeywords) {
  for (const OperationInfo& info : kOperations) {
    const std::string_view form = info.form;
    for (std::size_t at = 0; at < form.size();) {
      std::size_t end = at;
      while (end < form.size() && (std::isalnum(static_cast<unsigned char>(form[end])) || form[end] == '_')) ++end;
      const bool word = end > at && (at == 0 || (form[at - 1] != '<' && form[at - 1] != '.'));
      if (word) {
        const std::string name(form.substr(at, end - at));
        ParseError error;
        EXPECT_FALSE(parse_text("del " + name, "k.heap", error)) << name;
        EXPECT_NE(error.reason.find("is a keyword"), std::string::npos) << name << ": " << error.reason;
      }
      at = end > at ? end : at + 1;
    }
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
    Op deref = Op::of(OpCode::Deref);
    deref.target = 4, deref.source = 5;
    op.body = {deref};
    std::vector<NameIndex> visited;
    for_each_name(op, [&](NameIndex& n) { visited.push_back(n); });
    const std::uint16_t reads = kOperations[c].operands;
    std::vector<NameIndex> expected;
    if (reads & kTarget) expected.push_back(1);
    if (reads & kSource) expected.push_back(2);
    if (reads & kObject) expected.push_back(3);
    if (reads & kBody) expected.insert(expected.end(), {4, 5});
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
