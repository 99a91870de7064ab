// The optional first line `names a b c`: it fixes the numbering of names,
// which lenient runs depend on, so that print -> parse keeps a program's names
// exactly; and with_names_in_first_use_order, which makes it unnecessary.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/text.h"

namespace gcv {
namespace {

std::string parse_error(const std::string& text) {
  ParseError error;
  EXPECT_FALSE(parse_text(text, "t.heap", error));
  return error.to_string();
}

// `text` needs its names line: printing gives it back verbatim, and parsing
// that gives the same program.
void expect_printed_as_written(const std::string& text) {
  const Program p = parse_program(text);
  EXPECT_EQ(print_text(p), text);
  const Program back = parse_program(print_text(p));
  EXPECT_EQ(back.names, p.names);
  EXPECT_EQ(back.ops, p.ops);
}

TEST(NamesLine, FixesTheNumberingOfNames) {
  const Program p = parse_program("# comment first is fine\nnames b a unused\na = list\nb = a\n");
  EXPECT_EQ(p.names, (std::vector<std::string>{"b", "a", "unused"}));
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[0].target, 1u);  // a
  EXPECT_EQ(p.ops[1].target, 0u);  // b
  EXPECT_EQ(p.ops[1].source, 1u);
}

TEST(NamesLine, IsPrintedOnlyWhenFirstUseWouldNumberDifferently) {
  const Program in_order = parse_program("a = list\nb = a\n");
  EXPECT_EQ(print_text(in_order), "a = list\nb = a\n");
  for (const char* text : {"names b a\na = list\nb = a\n", "names a b c\na = list\nb = a\n"})
    expect_printed_as_written(text);
}

TEST(NamesLine, NamesUsedOnlyInBodiesCountAsUsesInPrintedOrder) {
  // First use runs left to right through a line, body included.
  const Program in_order = parse_program("a = list\nfinalizer a: b = self; c = list; b.append(self)\nw = weakref c: d = self\n");
  EXPECT_EQ(in_order.names, (std::vector<std::string>{"a", "b", "c", "w", "d"}));
  EXPECT_EQ(print_text(in_order), "a = list\nfinalizer a: b = self; c = list; b.append(self)\nw = weakref c: d = self\n");
  // Listed in another order, or never used, they need the names line.
  for (const char* text : {"names a c b\na = list\nfinalizer a: b = self; c = list\n",
                           "names a b c\na = list\nfinalizer a: b = self\n",
                           "names w d c\nw = weakref c: d = self\n"})
    expect_printed_as_written(text);
}

TEST(FirstUseOrder, CountsNamesInBodies) {
  const Program p = parse_program("names z y x v\nx = list\nfinalizer x: del y; self.append(z)\n");
  const Program renumbered = with_names_in_first_use_order(p);
  EXPECT_EQ(renumbered.names, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(print_text(renumbered), "x = list\nfinalizer x: del y; self.append(z)\n");
  ASSERT_EQ(renumbered.ops.size(), 2u);
  ASSERT_EQ(renumbered.ops[1].body.size(), 2u);
  EXPECT_EQ(renumbered.ops[1].body[1].source, 2u);  // self.append(z)
  EXPECT_EQ(renumbered.ops[1].body[1].target, kSelf);
}

TEST(NamesLine, MustComeFirstListNamesOnceAndNoKeywords) {
  EXPECT_EQ(parse_error("a = list\nnames a\n"), "t.heap:2:1: error: 'names' must come first, before any operation");
  EXPECT_NE(parse_error("names a b a\n").find("t.heap:1:11: error: 'a' is listed twice"), std::string::npos);
  EXPECT_NE(parse_error("names a list\n").find("t.heap:1:9: error: 'list' is a keyword"), std::string::npos);
  EXPECT_NE(parse_error("names a 3\n").find("t.heap:1:9: error: expected a name"), std::string::npos);
  EXPECT_NE(parse_error("names = list\n").find("t.heap:1:7:"), std::string::npos);
  EXPECT_NE(parse_error("names a garbage\n").find("t.heap:1:9: error: 'garbage' is a keyword"), std::string::npos);
}

TEST(FirstUseOrder, KeepsOnlyUsedNamesInOrderOfUseAndTheLocations) {
  const Program p = parse_program("names z y x\n\nx = list\nz = x\n");
  const Program renumbered = with_names_in_first_use_order(p);
  EXPECT_EQ(renumbered.names, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(print_text(renumbered), "x = list\nz = x\n");
  ASSERT_EQ(renumbered.ops.size(), 2u);
  EXPECT_EQ(renumbered.ops[0].where.line, 3u);
  EXPECT_EQ(renumbered.ops[1].where.line, 4u);
}

}  // namespace
}  // namespace gcv
