// Printing: format_op spells every op with canonical spacing and without
// default operands, print_text puts one op per line, and printing is
// canonical (equal ops print the same whatever their source spelling).
#include <gtest/gtest.h>

#include <string>

#include "gcverify/text.h"
#include "sample_program.h"

namespace gcv {
namespace {

// Parses `line` (with the names a, b declared first so they exist) and
// formats its last op.
std::string reformat(const std::string& line) {
  ParseError error;
  std::optional<Program> program = parse_text("a = list\nb = list\n" + line, "t.heap", error);
  EXPECT_TRUE(program.has_value()) << error.to_string();
  if (!program || program->ops.size() != 3) return "<no op>";
  return format_op(*program, program->ops.back());
}

TEST(TextPrint, CanonicalSpacingAndDefaultsOmitted) {
  const std::pair<const char*, const char*> cases[] = {
      {"a=list", "a = list"},
      {"a = list 16", "a = list"},
      {"a = list  600", "a = list 600"},
      {"a = str 0016", "a = str"},
      {"a = str 9", "a = str 9"},
      {"a = int - 7", "a = int -7"},
      {"a = int 007", "a = int 7"},
      {"b=a", "b = a"},
      {"b = a [ 0 ]", "b = a[0]"},
      {"del   a", "del a"},
      {"del a [2]", "del a[2]"},
      {"a . append( b )", "a.append(b)"},
      {"a [0]=b", "a[0] = b"},
      {"a = cycle 5 16", "a = cycle 5"},
      {"a = cycle 5 64", "a = cycle 5 64"},
      {"a = chain 3", "a = chain 3"},
      {"a = clique 4 100", "a = clique 4 100"},
      {"collect 2", "collect"},
      {"collect", "collect"},
      {"collect 1", "collect 1"},
      {"collect 0", "collect 0"},
      {"collect ->4", "collect 2 -> 4"},
      {"collect 1->0", "collect 1 -> 0"},
      {"threshold  700   10", "threshold 700 10"},
      {"threshold 700", "threshold 700"},
      {"threshold 1 2 3", "threshold 1 2 3"},
      {"enable", "enable"},
      {"disable # off", "disable"},
      {"freeze", "freeze"},
      {"unfreeze", "unfreeze"},
      {"expect count 3  0 0", "expect count 3 0 0"},
      {"expect threshold 700 10 10", "expect threshold 700 10 10"},
      {"expect alive #03", "expect alive #3"},
      {"expect dead b", "expect dead b"},
      {"expect refcount a 2", "expect refcount a 2"},
      {"expect generation #3 permanent", "expect generation #3 permanent"},
      {"expect generation a 1", "expect generation a 1"},
      {"expect freeze_count 5", "expect freeze_count 5"},
      {"expect live 12", "expect live 12"},
      {"finalizer a:collect 2", "finalizer a: collect"},
      {"finalizer a :  b=self ;del  b;b = list 16 ; b . append ( self )", "finalizer a: b = self; del b; b = list; b.append(self)"},
      {"finalizer a: self . append ( b );self.clear( ) ; b = list 600;collect 0", "finalizer a: self.append(b); self.clear(); b = list 600; collect 0"},
      {"legacy_finalizer  b", "legacy_finalizer b"},
      {"b=weakref a", "b = weakref a"},
      {"b = weakref a :collect 1;a=self", "b = weakref a: collect 1; a = self"},
      {"b = a( )", "b = a()"},
      {"debug saveall # on", "debug saveall"},
      {"debug  none", "debug none"},
      {"clear   garbage", "clear garbage"},
      {"b = garbage [ 007 ]", "b = garbage[7]"},
      {"expect garbage 00", "expect garbage 0"},
      {"expect finalized #04", "expect finalized #4"},
      {"expect not_finalized  a", "expect not_finalized a"},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(reformat(input), expected) << "input: " << input;
}

TEST(TextPrint, CollectWithAnExpectationAlwaysPrintsItsGeneration) {
  Program program;
  Op op;
  op.code = OpCode::Collect;
  op.generation = 2;
  op.has_expected = true;
  op.value = 0;
  EXPECT_EQ(format_op(program, op), "collect 2 -> 0");
  op.has_expected = false;
  op.value = 99;  // ignored without an expectation
  EXPECT_EQ(format_op(program, op), "collect");
}

TEST(TextPrint, ThresholdPrintsExactlyItsArity) {
  Program program;
  Op op;
  op.code = OpCode::SetThreshold;
  op.values = {700, 10, 5};
  op.arity = 2;
  EXPECT_EQ(format_op(program, op), "threshold 700 10");
  op.arity = 1;
  EXPECT_EQ(format_op(program, op), "threshold 700");
}

TEST(TextPrint, UsesTheProgramsNameSpellings) {
  Program program;
  program.names = {"first", "second_name"};
  Op op;
  op.code = OpCode::SetSlot;
  op.target = 1;
  op.source = 0;
  op.index = 3;
  EXPECT_EQ(format_op(program, op), "second_name[3] = first");
  op.code = OpCode::ExpectRefcount;
  op.object = {false, 1};
  op.value = 4;
  EXPECT_EQ(format_op(program, op), "expect refcount second_name 4");
}

TEST(TextPrint, BodiesUseTheProgramsNameSpellingsAndDefaults) {
  Program program;
  program.names = {"obj", "saved", "holder"};
  Op op;
  op.code = OpCode::SetFinalizer;
  op.target = 0;
  const auto body_op = [](OpCode code, NameIndex target, NameIndex source = 0) {
    Op made = Op::of(code);
    made.target = target, made.source = source;
    return made;
  };
  Op small = body_op(OpCode::NewContainer, 2), collect0 = body_op(OpCode::Collect, 0), str = body_op(OpCode::NewStr, 1);
  small.size = 8, collect0.generation = 0, str.size = 40;
  op.body = {body_op(OpCode::Bind, 1, kSelf), body_op(OpCode::NewContainer, 2), small, body_op(OpCode::Collect, 0),
             collect0, str, body_op(OpCode::Append, 2, 1), body_op(OpCode::Clear, kSelf)};
  EXPECT_EQ(format_op(program, op),
            "finalizer obj: saved = self; holder = list; holder = list 8; collect; collect 0; saved = str 40; "
            "holder.append(saved); self.clear()");
  op.code = OpCode::NewWeakref;
  op.target = 2;
  op.source = 0;
  op.body = {body_op(OpCode::Append, 1, kSelf)};
  op.has_body = true;
  EXPECT_EQ(format_op(program, op), "holder = weakref obj: saved.append(self)");
  op.body.clear();  // a callback that does nothing: a ':' and nothing after it
  EXPECT_EQ(format_op(program, op), "holder = weakref obj:");
  op.has_body = false;  // no callback: no ':'
  EXPECT_EQ(format_op(program, op), "holder = weakref obj");
}

TEST(TextPrint, PrintTextIsOneOpPerLineWithoutHeader) {
  ParseError error;
  std::optional<Program> program = parse_text("# header\nx = list\n\ncollect 1 # c\n", "t.heap", error);
  ASSERT_TRUE(program.has_value());
  EXPECT_EQ(print_text(*program), "x = list\ncollect 1\n");
  EXPECT_EQ(print_text(Program{}), "");
}

TEST(TextPrint, PrintingIsCanonical) {
  // The loose sample differs from the canonical one only in spelling and names,
  // so once names are renamed canonically it prints exactly the canonical text.
  ParseError error;
  std::optional<Program> loose = parse_text(testing::kLooseSample, "loose.heap", error);
  ASSERT_TRUE(loose.has_value()) << error.to_string();
  for (NameIndex i = 0; i < loose->names.size(); ++i) loose->names[i] = canonical_name(i);
  EXPECT_EQ(print_text(*loose), testing::kCanonicalSample);
}

TEST(TextPrint, CanonicalNames) {
  EXPECT_EQ(canonical_name(0), "a");
  EXPECT_EQ(canonical_name(25), "z");
  EXPECT_EQ(canonical_name(26), "a1");
  EXPECT_EQ(canonical_name(51), "z1");
  EXPECT_EQ(canonical_name(52), "a2");
  EXPECT_EQ(canonical_name(63), "l2");
}

}  // namespace
}  // namespace gcv
