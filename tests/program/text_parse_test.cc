// Parsing the text form: operand fields, defaults, names, locations, the
// loose spellings the grammar allows, round trips through print_text, and
// robustness against arbitrary bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "gcverify/text.h"
#include "sample_program.h"

namespace gcv {
namespace {

Program parse_ok(std::string_view text) {
  ParseError error;
  std::optional<Program> program = parse_text(text, "test.heap", error);
  EXPECT_TRUE(program.has_value()) << error.to_string() << "\nin:\n" << text;
  return program.value_or(Program{});
}

Op parse_one(std::string_view line) {
  Program program = parse_ok(line);
  EXPECT_EQ(program.ops.size(), 1u) << line;
  return program.ops.empty() ? Op{} : program.ops[0];
}

TEST(TextParse, EmptyAndCommentOnlyTextsHaveNoOps) {
  EXPECT_TRUE(parse_ok("").ops.empty());
  EXPECT_TRUE(parse_ok("\n\n  \t\n# only a comment\n   # indented comment\r\n").ops.empty());
  EXPECT_EQ(parse_ok("").origin, "test.heap");
}

TEST(TextParse, Allocations) {
  Op op = parse_one("a = list");
  EXPECT_EQ(op.code, OpCode::NewContainer);
  EXPECT_EQ(op.target, 0u);
  EXPECT_EQ(op.size, kDefaultPayload);
  EXPECT_EQ(parse_one("a = list 600").size, 600u);
  EXPECT_EQ(parse_one("a = list 8").size, kMinPayload);
  EXPECT_EQ(parse_one("a = list 65535").size, kMaxPayload);
  op = parse_one("s = str 100");
  EXPECT_EQ(op.code, OpCode::NewStr);
  EXPECT_EQ(op.size, 100u);
  op = parse_one("i = int -5");
  EXPECT_EQ(op.code, OpCode::NewInt);
  EXPECT_EQ(op.value, -5);
  EXPECT_EQ(parse_one("i = int 2147483647").value, 2147483647);
  EXPECT_EQ(parse_one("i = int -2147483648").value, -2147483648LL);
  EXPECT_EQ(parse_one("i = int 0").value, 0);
}

TEST(TextParse, NamesAndSlots) {
  Program p = parse_ok("b = a\nc = b[7]\ndel c\na.append(c)\nb[2] = a\ndel a[1]\n");
  ASSERT_EQ(p.ops.size(), 6u);
  EXPECT_EQ(p.names, (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(p.ops[0].code, OpCode::Bind);
  EXPECT_EQ(p.ops[0].target, 0u);
  EXPECT_EQ(p.ops[0].source, 1u);
  EXPECT_EQ(p.ops[1].code, OpCode::LoadSlot);
  EXPECT_EQ(p.ops[1].target, 2u);
  EXPECT_EQ(p.ops[1].source, 0u);
  EXPECT_EQ(p.ops[1].index, 7u);
  EXPECT_EQ(p.ops[2].code, OpCode::Unbind);
  EXPECT_EQ(p.ops[2].target, 2u);
  EXPECT_EQ(p.ops[3].code, OpCode::Append);
  EXPECT_EQ(p.ops[3].target, 1u);
  EXPECT_EQ(p.ops[3].source, 2u);
  EXPECT_EQ(p.ops[4].code, OpCode::SetSlot);
  EXPECT_EQ(p.ops[4].target, 0u);
  EXPECT_EQ(p.ops[4].index, 2u);
  EXPECT_EQ(p.ops[4].source, 1u);
  EXPECT_EQ(p.ops[5].code, OpCode::RemoveSlot);
  EXPECT_EQ(p.ops[5].target, 1u);
  EXPECT_EQ(p.ops[5].index, 1u);
}

TEST(TextParse, AppendIsNotAKeyword) {
  Program p = parse_ok("append = list\nappend.append(append)\n");
  EXPECT_EQ(p.names, std::vector<std::string>{"append"});
  EXPECT_EQ(p.ops[1].code, OpCode::Append);
}

TEST(TextParse, ShapeMacros) {
  Op op = parse_one("x = cycle 5");
  EXPECT_EQ(op.code, OpCode::Cycle);
  EXPECT_EQ(op.count, 5u);
  EXPECT_EQ(op.size, kDefaultPayload);
  op = parse_one("x = chain 16777215 64");
  EXPECT_EQ(op.code, OpCode::Chain);
  EXPECT_EQ(op.count, kMaxChainLength);
  EXPECT_EQ(op.size, 64u);
  op = parse_one("x = clique 4096");
  EXPECT_EQ(op.code, OpCode::Clique);
  EXPECT_EQ(op.count, kMaxCliqueSize);
}

TEST(TextParse, GcModule) {
  Op op = parse_one("collect");
  EXPECT_EQ(op.code, OpCode::Collect);
  EXPECT_EQ(op.generation, 2);
  EXPECT_FALSE(op.has_expected);
  op = parse_one("collect 0");
  EXPECT_EQ(op.generation, 0);
  EXPECT_FALSE(op.has_expected);
  op = parse_one("collect 1 -> 7");
  EXPECT_EQ(op.generation, 1);
  EXPECT_TRUE(op.has_expected);
  EXPECT_EQ(op.value, 7);
  op = parse_one("collect -> 3");
  EXPECT_EQ(op.generation, 2);
  EXPECT_TRUE(op.has_expected);
  EXPECT_EQ(op.value, 3);

  op = parse_one("threshold 700");
  EXPECT_EQ(op.code, OpCode::SetThreshold);
  EXPECT_EQ(op.arity, 1);
  EXPECT_EQ(op.values[0], 700u);
  op = parse_one("threshold 700 10 5");
  EXPECT_EQ(op.arity, 3);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{700, 10, 5}));

  EXPECT_EQ(parse_one("enable").code, OpCode::Enable);
  EXPECT_EQ(parse_one("disable").code, OpCode::Disable);
  EXPECT_EQ(parse_one("freeze").code, OpCode::Freeze);
  EXPECT_EQ(parse_one("unfreeze").code, OpCode::Unfreeze);
}

TEST(TextParse, Expectations) {
  Op op = parse_one("expect count 3 0 1");
  EXPECT_EQ(op.code, OpCode::ExpectCount);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{3, 0, 1}));
  op = parse_one("expect threshold 700 10 10");
  EXPECT_EQ(op.code, OpCode::ExpectThreshold);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{700, 10, 10}));
  op = parse_one("expect alive #3");
  EXPECT_EQ(op.code, OpCode::ExpectAlive);
  EXPECT_EQ(op.object, (ObjectRef{true, 3}));
  op = parse_one("expect dead a");
  EXPECT_EQ(op.code, OpCode::ExpectDead);
  EXPECT_EQ(op.object, (ObjectRef{false, 0}));
  op = parse_one("expect refcount #9 2");
  EXPECT_EQ(op.code, OpCode::ExpectRefcount);
  EXPECT_EQ(op.object, (ObjectRef{true, 9}));
  EXPECT_EQ(op.value, 2);
  op = parse_one("expect generation x permanent");
  EXPECT_EQ(op.code, OpCode::ExpectGeneration);
  EXPECT_EQ(op.generation, kPermanentGeneration);
  EXPECT_EQ(parse_one("expect generation x 1").generation, 1);
  op = parse_one("expect freeze_count 4294967295");
  EXPECT_EQ(op.code, OpCode::ExpectFreezeCount);
  EXPECT_EQ(op.value, 4294967295LL);
  op = parse_one("expect live 12");
  EXPECT_EQ(op.code, OpCode::ExpectLive);
  EXPECT_EQ(op.value, 12);
}

TEST(TextParse, FinalizerBodies) {
  Program p = parse_ok(
      "finalizer a: n = self; del b; m = list 600; k = list; n.append(self); self.append(m); self.clear(); collect 1\n"
      "finalizer b: collect\n");
  EXPECT_EQ(p.names, (std::vector<std::string>{"a", "n", "b", "m", "k"}));
  ASSERT_EQ(p.ops.size(), 2u);
  const Op& op = p.ops[0];
  EXPECT_EQ(op.code, OpCode::SetFinalizer);
  EXPECT_EQ(op.target, 0u);
  ASSERT_EQ(op.body.size(), kMaxBodyLength);
  const std::vector<Op>& e = op.body;
  EXPECT_EQ(e[0].code, OpCode::Bind);
  EXPECT_EQ(e[0].target, 1u);
  EXPECT_EQ(e[0].source, kSelf);
  EXPECT_EQ(e[1].code, OpCode::Unbind);
  EXPECT_EQ(e[1].target, 2u);
  EXPECT_EQ(e[2].code, OpCode::NewContainer);
  EXPECT_EQ(e[2].target, 3u);
  EXPECT_EQ(e[2].size, 600u);
  EXPECT_EQ(e[3].code, OpCode::NewContainer);
  EXPECT_EQ(e[3].size, kDefaultPayload);
  EXPECT_EQ(e[4].code, OpCode::Append);
  EXPECT_EQ(e[4].target, 1u);
  EXPECT_EQ(e[4].source, kSelf);
  EXPECT_EQ(e[5].code, OpCode::Append);
  EXPECT_EQ(e[5].target, kSelf);
  EXPECT_EQ(e[5].source, 3u);
  EXPECT_EQ(e[6].code, OpCode::Clear);
  EXPECT_EQ(e[6].target, kSelf);
  EXPECT_EQ(e[7].code, OpCode::Collect);
  EXPECT_EQ(e[7].generation, 1);
  ASSERT_EQ(p.ops[1].body.size(), 1u);
  EXPECT_EQ(p.ops[1].body[0].code, OpCode::Collect);
  EXPECT_EQ(p.ops[1].body[0].generation, 2);
}

// A body holds what a program line holds, of the operations that make sense
// in user code: every allocation but the shapes, slots of any list, weakrefs.
TEST(TextParse, BodiesHoldTheNameLevelOperations) {
  const Program p = parse_ok(
      "finalizer a: s = str 40; i = int 1000; n = m; m[2] = self; del m[0]; w = weakref self; v = w(); m.clear()\n"
      "w = weakref a: n.append(m); c = n[1]; x = weakref n; self.clear(); i = int -5\n");
  ASSERT_EQ(p.ops.size(), 2u);
  std::vector<OpCode> codes;
  for (const Op& op : p.ops[0].body) codes.push_back(op.code);
  EXPECT_EQ(codes, (std::vector<OpCode>{OpCode::NewStr, OpCode::NewInt, OpCode::Bind, OpCode::SetSlot,
                                        OpCode::RemoveSlot, OpCode::NewWeakref, OpCode::Deref, OpCode::Clear}));
  EXPECT_EQ(p.ops[0].body[3].source, kSelf);
  EXPECT_EQ(p.ops[0].body[3].index, 2u);
  EXPECT_EQ(p.ops[0].body[5].source, kSelf);
  EXPECT_FALSE(has_body(p.ops[0].body[5]));
  EXPECT_EQ(p.ops[1].body.size(), 5u);
  EXPECT_EQ(p.ops[1].body[4].value, -5);
  EXPECT_EQ(print_text(p),
            "finalizer a: s = str 40; i = int 1000; n = m; m[2] = self; del m[0]; w = weakref self; v = w(); "
            "m.clear()\nw = weakref a: n.append(m); c = n[1]; x = weakref n; self.clear(); i = int -5\n");
}

// What a body cannot hold is an error that names the place and the reason.
TEST(TextParse, BodiesRejectWhatUserCodeCannotDo) {
  const struct {
    const char* text;
    std::uint32_t column;
    const char* reason;
  } cases[] = {
      {"finalizer a: w = weakref b: collect", 27, "bodies do not nest"},
      {"finalizer a: collect -> 3", 22, "a collect in a body has no expected result"},
      {"finalizer a: threshold 5", 14, "'threshold' cannot be used in a finalizer body or a weakref callback"},
      {"finalizer a: expect live 3", 14, "'expect' cannot be used in a finalizer body"},
      {"finalizer a: finalizer b:", 14, "'finalizer' cannot be used"},
      {"finalizer a: self = list", 19, "expected '.' or '[' after 'self'"},  // self.append(n), self[0] = n
      {"finalizer a: del self", 22, "expected '[' after 'self'"},             // del self[0]
      {"n = self", 5, "'self' can only be used in a finalizer body or a weakref callback"},
      {"finalizer a: n = cycle 3", 18, "'cycle' cannot be used in a finalizer body or a weakref callback"},
      {"finalizer a: collect;", 22, "an operation a body may hold"},
      {"finalizer a: del b del c", 20, "expected ';', end of line or '['"},
      {"self.clear()", 1, "'self' can only be used in a finalizer body or a weakref callback"},
      {"a.append(self)", 10, "'self' can only be used in a finalizer body or a weakref callback"},
  };
  for (const auto& c : cases) {
    ParseError error;
    EXPECT_FALSE(parse_text(c.text, "t.heap", error)) << c.text;
    EXPECT_EQ(error.line, 1u) << c.text;
    EXPECT_EQ(error.column, c.column) << c.text << ": " << error.reason;
    EXPECT_NE(error.reason.find(c.reason), std::string::npos) << c.text << ": " << error.reason;
  }
  std::string nine = "finalizer a:";
  for (int i = 0; i < 9; ++i) nine += std::string(i ? ";" : "") + " collect";
  ParseError error;
  EXPECT_FALSE(parse_text(nine, "t.heap", error));
  EXPECT_NE(error.reason.find("too many operations: a body holds at most 8"), std::string::npos) << error.reason;
}

// A weakref's callback that does nothing (`lambda wr: None`) is written with
// a ':' and nothing after it, and differs from no callback.
TEST(TextParse, AnEmptyCallbackIsACallback) {
  const Program p = parse_ok("w = weakref a:\nv = weakref a\n");
  EXPECT_TRUE(has_body(p.ops[0]));
  EXPECT_FALSE(has_body(p.ops[1]));
  EXPECT_NE(p.ops[0], p.ops[1]);
  EXPECT_EQ(print_text(p), "w = weakref a:\nv = weakref a\n");
}

// `finalizer a:` with nothing after it is `def __del__(self): pass`: a
// finalizer with an empty body, which prints back the same.
TEST(TextParse, AFinalizerBodyMayBeEmpty) {
  const Program p = parse_ok("finalizer a:\nfinalizer b:  # pass\n");
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[0].code, OpCode::SetFinalizer);
  EXPECT_TRUE(p.ops[0].body.empty());
  EXPECT_TRUE(p.ops[1].body.empty());
  EXPECT_EQ(print_text(p), "finalizer a:\nfinalizer b:\n");
}

TEST(TextParse, WeakrefsAndGcGarbage) {
  Program p = parse_ok(
      "w = weakref a\nv = weakref w: n = self; collect 0\nb = w()\nlegacy_finalizer b\ndebug saveall\n"
      "debug none\nclear garbage\nc = garbage[7]\nexpect garbage 2\nexpect finalized a\n"
      "expect not_finalized #4\n");
  EXPECT_EQ(p.names, (std::vector<std::string>{"w", "a", "v", "n", "b", "c"}));
  ASSERT_EQ(p.ops.size(), 11u);
  EXPECT_EQ(p.ops[0].code, OpCode::NewWeakref);
  EXPECT_EQ(p.ops[0].target, 0u);
  EXPECT_EQ(p.ops[0].source, 1u);
  EXPECT_FALSE(has_body(p.ops[0]));
  EXPECT_EQ(p.ops[1].code, OpCode::NewWeakref);
  EXPECT_EQ(p.ops[1].target, 2u);
  EXPECT_EQ(p.ops[1].source, 0u);
  ASSERT_EQ(p.ops[1].body.size(), 2u);
  EXPECT_EQ(p.ops[1].body[0].code, OpCode::Bind);
  EXPECT_EQ(p.ops[1].body[0].target, 3u);
  EXPECT_EQ(p.ops[1].body[0].source, kSelf);
  EXPECT_EQ(p.ops[1].body[1].generation, 0);
  EXPECT_EQ(p.ops[2].code, OpCode::Deref);
  EXPECT_EQ(p.ops[2].target, 4u);
  EXPECT_EQ(p.ops[2].source, 0u);
  EXPECT_EQ(p.ops[3].code, OpCode::SetLegacyFinalizer);
  EXPECT_EQ(p.ops[3].target, 4u);
  EXPECT_EQ(p.ops[4].code, OpCode::SetDebug);
  EXPECT_EQ(p.ops[4].value, 1);
  EXPECT_EQ(p.ops[5].code, OpCode::SetDebug);
  EXPECT_EQ(p.ops[5].value, 0);
  EXPECT_EQ(p.ops[6].code, OpCode::ClearGarbage);
  EXPECT_EQ(p.ops[7].code, OpCode::LoadGarbage);
  EXPECT_EQ(p.ops[7].target, 5u);
  EXPECT_EQ(p.ops[7].index, 7u);
  EXPECT_EQ(p.ops[8].code, OpCode::ExpectGarbage);
  EXPECT_EQ(p.ops[8].value, 2);
  EXPECT_EQ(p.ops[9].code, OpCode::ExpectFinalized);
  EXPECT_EQ(p.ops[9].object, (ObjectRef{false, 1}));
  EXPECT_EQ(p.ops[10].code, OpCode::ExpectNotFinalized);
  EXPECT_EQ(p.ops[10].object, (ObjectRef{true, 4}));
}

TEST(TextParse, ACommentEndsABody) {
  Program p = parse_ok("finalizer a: collect # ; del b\nfinalizer a: del b;collect#x\n");
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[0].body.size(), 1u);
  EXPECT_EQ(p.ops[1].body.size(), 2u);
  EXPECT_EQ(p.names, (std::vector<std::string>{"a", "b"}));
}

TEST(TextParse, HashIsASerialOnlyWhereAnObjectIsExpected) {
  // Where an object is expected '#<digit>' is a serial; anywhere else '#' starts a comment.
  Program p = parse_ok("a = list #3 is not a payload\nexpect alive #3 #4\nexpect dead a#7\n");
  ASSERT_EQ(p.ops.size(), 3u);
  EXPECT_EQ(p.ops[0].size, kDefaultPayload);
  EXPECT_EQ(p.ops[1].object, (ObjectRef{true, 3}));
  EXPECT_EQ(p.ops[2].object, (ObjectRef{false, 0}));
  ParseError error;
  EXPECT_FALSE(parse_text("expect dead # 5", "t.heap", error));
  EXPECT_EQ(error.column, 13u);
  EXPECT_NE(error.reason.find("found end of line"), std::string::npos) << error.reason;
}

TEST(TextParse, LocationsAreTheFirstTokenOfEachOp) {
  Program p = parse_ok("# header\n\n  a = list\n\tcollect\r\nexpect live 3  # tail\n");
  ASSERT_EQ(p.ops.size(), 3u);
  EXPECT_EQ(p.ops[0].where.line, 3u);
  EXPECT_EQ(p.ops[0].where.column, 3u);
  EXPECT_EQ(p.ops[1].where.line, 4u);
  EXPECT_EQ(p.ops[1].where.column, 2u);
  EXPECT_EQ(p.ops[2].where.line, 5u);
  EXPECT_EQ(p.ops[2].where.column, 1u);
}

TEST(TextParse, NamesInternInFirstAppearanceOrderUpToTheLimit) {
  std::string text;
  for (std::size_t i = 0; i < kMaxNames; ++i) text += "v" + std::to_string(kMaxNames - i) + " = list\n";
  text += "v64 = v1\n";
  Program p = parse_ok(text);
  ASSERT_EQ(p.names.size(), kMaxNames);
  EXPECT_EQ(p.names.front(), "v64");
  EXPECT_EQ(p.names.back(), "v1");
  EXPECT_EQ(p.ops.back().target, 0u);
  EXPECT_EQ(p.ops.back().source, kMaxNames - 1);
}

TEST(TextParse, LooseSpellingParsesToTheCanonicalOps) {
  Program loose = parse_ok(testing::kLooseSample);
  Program canonical = parse_ok(testing::kCanonicalSample);
  EXPECT_EQ(loose.ops, canonical.ops);
  EXPECT_EQ(loose.names.size(), canonical.names.size());
  EXPECT_EQ(loose.names[0], "first");
}

TEST(TextParse, ParsePrintParseIsTheIdentity) {
  for (std::string_view text : {testing::kCanonicalSample, testing::kLooseSample}) {
    Program first = parse_ok(text);
    const std::string printed = print_text(first);
    Program second = parse_ok(printed);
    EXPECT_EQ(second.ops, first.ops);
    EXPECT_EQ(second.names, first.names);
    EXPECT_EQ(print_text(second), printed);
  }
  EXPECT_EQ(print_text(parse_ok(testing::kCanonicalSample)), testing::kCanonicalSample);
}

// --- robustness ---------------------------------------------------------------

// Parses anything; a failure must carry a location inside the text.
void expect_parses_or_fails_cleanly(const std::string& text) {
  ParseError error;
  std::optional<Program> program = parse_text(text, "fuzz.heap", error);
  if (program) {
    // Whatever parsed must survive printing and reparsing.
    ParseError again;
    std::optional<Program> reparsed = parse_text(print_text(*program), "again.heap", again);
    ASSERT_TRUE(reparsed.has_value()) << again.to_string();
    EXPECT_EQ(reparsed->ops, program->ops);
    return;
  }
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  EXPECT_GE(error.line, 1u);
  EXPECT_LE(error.line, lines);
  EXPECT_GE(error.column, 1u);
  EXPECT_FALSE(error.reason.empty());
  EXPECT_EQ(error.file, "fuzz.heap");
}

TEST(TextParseRobustness, RandomBytes) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string text(rng() % 64, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    expect_parses_or_fails_cleanly(text);
  }
}

TEST(TextParseRobustness, RandomTokenSoup) {
  // Random sequences of the language's own tokens reach deep into the grammar.
  static const char* const kPieces[] = {
      "a", "b", "x1", "=", "[", "]", ".", "append", "(", ")", "-", "->", "#", "#3", "#0", "0", "1",
      "2", "7", "16", "600", "65536", "4294967296", "99999999999999999999999", "list", "str", "int",
      "cycle", "chain", "clique", "del", "collect", "threshold", "enable", "freeze", "expect", "count",
      "alive", "dead", "refcount", "generation", "permanent", "live", "freeze_count", " ", "\t", "\n",
      "\r\n", "@", "\xff", ":", ";", "finalizer", "legacy_finalizer", "weakref", "self", "clear", "debug",
      "saveall", "none", "garbage", "finalized", "not_finalized", "finalizer a:", "self.append(", "self.clear()",
      "x = self;", "x.append(self)", "w()"};
  std::mt19937 rng(777);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const std::size_t pieces = rng() % 12;
    for (std::size_t i = 0; i < pieces; ++i) {
      text += kPieces[rng() % std::size(kPieces)];
      if (rng() % 2) text += ' ';
    }
    expect_parses_or_fails_cleanly(text);
  }
}

TEST(TextParseRobustness, MutatedValidPrograms) {
  const std::string base(testing::kCanonicalSample);
  std::mt19937 rng(4242);
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0: text.insert(at, 1, static_cast<char>(rng() % 256)); break;
        case 1: if (at < text.size()) text.erase(at, 1 + rng() % 8); break;
        default: if (at < text.size()) text[at] = static_cast<char>(rng() % 256); break;
      }
    }
    expect_parses_or_fails_cleanly(text);
  }
}

TEST(TextParseRobustness, HugeInputs) {
  expect_parses_or_fails_cleanly(std::string(200000, '9'));
  expect_parses_or_fails_cleanly("a = list " + std::string(100000, '1'));
  expect_parses_or_fails_cleanly(std::string(100000, 'a') + " = list");
  expect_parses_or_fails_cleanly(std::string(50000, '\n') + "@");
  expect_parses_or_fails_cleanly(std::string(1000, '\0'));
  ParseError error;
  EXPECT_FALSE(parse_text("a = list " + std::string(100000, '1'), "big.heap", error));
  EXPECT_LT(error.reason.size(), 200u);  // long tokens are shortened in messages
}

}  // namespace
}  // namespace gcv

namespace gcv {
namespace {

// `# cpython: X.Y ...` names the versions a program holds for; it prints
// back first, and a version not in cpython_versions.def is an error at its
// column.
TEST(TextParse, TheVersionsAProgramHoldsFor) {
  const Program p = parse_ok("# cpython: 3.12  3.13\na = list\n");
  EXPECT_EQ(p.holds_for, (std::vector<CPythonVersion>{CPythonVersion::V3_12, CPythonVersion::V3_13}));
  EXPECT_EQ(print_text(p), "# cpython: 3.12 3.13\na = list\n");
  EXPECT_TRUE(parse_ok("# cpython 3.12 is a comment\na = list\n").holds_for.empty());
  ParseError error;
  EXPECT_FALSE(parse_text("a = list\n# cpython: 3.14\n", "v.heap", error));
  EXPECT_EQ(error.to_string(), "v.heap:2:12: error: no CPython version '3.14' (there are 3.8, 3.9, 3.10, 3.11, 3.12, 3.13)");
  EXPECT_FALSE(parse_text("# cpython:\n", "v.heap", error));
  EXPECT_EQ(error.to_string(), "v.heap:1:11: error: '# cpython:' names no version");
  EXPECT_FALSE(parse_text("# cpython: 3.8\n# cpython: 3.9\n", "v.heap", error));
  EXPECT_EQ(error.to_string(), "v.heap:2:1: error: a second '# cpython:' line");
}

}  // namespace
}  // namespace gcv

namespace gcv {
namespace {

// `# fail: ...` names the memory the system under test refuses; it prints
// back after any `# cpython:` line, and a malformed one is an error saying
// what the line may hold.
TEST(TextParse, TheMemoryAProgramRefuses) {
  const Program once = parse_ok("# fail: request 5\na = list\n");
  EXPECT_EQ(once.memory_failures, (MemoryFailures{.mode = MemoryFailures::Mode::Once, .request = 5}));
  EXPECT_EQ(print_text(once), "# fail: request 5\na = list\n");
  const Program from = parse_ok("# cpython: 3.12\n#  fail:x\n# fail:  from request 4000000000 \na = list\n");
  EXPECT_EQ(from.memory_failures, (MemoryFailures{.mode = MemoryFailures::Mode::From, .request = 4000000000}));
  EXPECT_EQ(print_text(from), "# cpython: 3.12\n# fail: from request 4000000000\na = list\n");
  const Program random = parse_ok("# fail: random 1/16 seed 7\n");
  EXPECT_EQ(random.memory_failures,
            (MemoryFailures{.mode = MemoryFailures::Mode::Random, .one_in = 16, .seed = 7}));
  EXPECT_EQ(print_text(random), "# fail: random 1/16 seed 7\n");
  EXPECT_FALSE(parse_ok("a = list\n").memory_failures.any());
  const Program operation = parse_ok("# fail: operation 2\na = list\n");
  EXPECT_EQ(operation.memory_failures, (MemoryFailures{.mode = MemoryFailures::Mode::Operation, .request = 2}));
  EXPECT_EQ(print_text(operation), "# fail: operation 2\na = list\n");

  ParseError error;
  EXPECT_FALSE(parse_text("a = list\n# fail: request 0\n", "f.heap", error));
  EXPECT_EQ(error.to_string(),
            "f.heap:2:8: error: '# fail:' the number is from 1 to 4294967295, in 'request N', "
            "'from request N', 'random 1/N seed S' or 'operation N'");
  EXPECT_FALSE(parse_text("# fail: sometimes\n", "f.heap", error));
  EXPECT_EQ(error.to_string(),
            "f.heap:1:8: error: '# fail:' expected 'request N', 'from request N', 'random 1/N seed S' or "
            "'operation N'");
  EXPECT_FALSE(parse_text("# fail: random 1/0 seed 1\n", "f.heap", error));
  EXPECT_EQ(error.reason,
            "'# fail:' expected 'random 1/N seed S' with N from 1 to 65535 and S from 0 to 4294967295");
  EXPECT_FALSE(parse_text("# fail: request 1\n# fail: request 2\n", "f.heap", error));
  EXPECT_EQ(error.to_string(), "f.heap:2:1: error: a second '# fail:' line");
}

}  // namespace
}  // namespace gcv
