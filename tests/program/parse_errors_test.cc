// Parse errors: each bad input must fail at the exact line and column of the
// offending token or character, with a reason that says what was expected
// (everything the operations' forms that read furthest expected there) and
// what was found.
#include <gtest/gtest.h>

#include <string>

#include "gcverify/text.h"

namespace gcv {
namespace {

struct BadInput {
  std::string text;
  std::uint32_t line;
  std::uint32_t column;
  std::string phrase;  // must appear in the reason
};

std::string many_names(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += "n" + std::to_string(i) + " = list\n";
  return text;
}

const std::vector<BadInput>& bad_inputs() {
  static const std::vector<BadInput> inputs = {
      // allocations
      {"a = list 4", 1, 10, "payload 4 is below the minimum of 8 bytes"},
      {"a = list 65536", 1, 10, "payload 65536 is above the maximum of 65535 bytes"},
      {"a = list 99999999999", 1, 10, "number 99999999999 is out of range"},
      {"a = str 16 17", 1, 12, "expected end of line after '16', found '17'"},
      {"a = list [0]", 1, 10, "expected a payload or end of line after 'list', found '['"},
      {"a = int", 1, 8, "expected an int value after 'int', found end of line"},
      {"a = int 2147483648", 1, 9, "int value 2147483648 is above the maximum of 2147483647"},
      {"a = int -2147483649", 1, 10, "int value -2147483649 is below the minimum of -2147483648"},
      {"a = int 12x", 1, 9, "expected an int value after 'int', found '12x'"},
      {"a = cycle", 1, 10, "expected a length after 'cycle', found end of line"},
      {"a = cycle 0", 1, 11, "length 0 is below the minimum of 1"},
      {"a = chain 16777216", 1, 11, "length 16777216 is above the maximum of 16777215"},
      {"a = clique 4097", 1, 12, "size 4097 is above the maximum of 4096"},
      {"a = chain 5 7", 1, 13, "payload 7 is below the minimum of 8 bytes"},
      // names and slots
      {"list = str", 1, 1, "'list' is a keyword and cannot be a name"},
      {"a = collect", 1, 5, "'collect' is a keyword and cannot be a name"},
      {"del permanent", 1, 5, "'permanent' is a keyword and cannot be a name"},
      {"a.append(int)", 1, 10, "'int' is a keyword and cannot be a name"},
      {"5 = list", 1, 1, "expected a name or a statement keyword, found '5'"},
      {"a", 1, 2, "expected '=', '.' or '[' after 'a', found end of line"},
      {"a = ", 1, 5, "expected 'list', 'str', 'int', a name, 'cycle', 'chain', 'clique', 'weakref' or 'garbage' after '=', found end of line"},
      {"a.push(b)", 1, 3, "expected 'append' or 'clear' after '.', found 'push'"},
      {"a.clear(b)", 1, 9, "expected ')' after '(', found 'b'"},
      {"a.append(b", 1, 11, "expected ')' after 'b', found end of line"},
      {"a[0 = b", 1, 5, "expected ']' after '0', found '='"},
      {"a = b[", 1, 7, "expected a slot index after '[', found end of line"},
      {"a = b[1] = c", 1, 10, "expected end of line after ']', found '='"},
      {"a[4294967296] = b", 1, 3, "number 4294967296 is out of range"},
      {"del", 1, 4, "expected a name after 'del', found end of line"},
      {many_names(kMaxNames) + "one_too_many = list\n", 65, 1, "too many names: a program may use at most 64"},
      // characters outside the language
      {"a = b @", 1, 7, "unexpected character '@'"},
      {std::string("a = list\0", 9), 1, 9, "unexpected character '\\x00'"},
      {"a = \xc3\xa9t\xc3\xa9", 1, 5, "unexpected character '\\xc3'"},
      {"a = list +8", 1, 10, "unexpected character '+'"},
      // the gc module
      {"collect 7", 1, 9, "expected a generation 0, 1 or 2, '->' or end of line after 'collect', found '7'"},
      {"collect 1 2", 1, 11, "expected '->' or end of line after '1', found '2'"},
      {"collect 1 ->", 1, 13, "expected an expected result after '->', found end of line"},
      {"collect -> 4294967296", 1, 12, "number 4294967296 is out of range"},
      {"threshold", 1, 10, "expected a threshold value after 'threshold', found end of line"},
      {"threshold 1 2 3 4", 1, 17, "threshold takes at most 3 values"},
      {"threshold 65536", 1, 11, "threshold 65536 is above the maximum of 65535"},
      {"enable now", 1, 8, "expected end of line after 'enable', found 'now'"},
      // expectations
      {"expect", 1, 7, "expected 'count', 'threshold', 'alive', 'dead', 'refcount', 'generation', 'freeze_count', 'live', 'garbage', 'finalized', 'not_finalized' or a name after 'expect', found end of line"},
      {"expect nothing", 1, 15, "expected 'is', '[' or '(' after 'nothing', found end of line"},
      // identity expectations
      {"expect a is", 1, 12, "expected an object (a name or #serial) or 'unbound' after 'is', found end of line"},
      {"expect a is none", 1, 13, "'none' is a keyword and cannot be a name"},
      {"expect a[1] is", 1, 15, "expected an object (a name or #serial) after 'is', found end of line"},
      {"expect a[256] is b", 1, 10, "slot index 256 is above the maximum of 255"},
      {"expect a[1] is unbound", 1, 16, "'unbound' is a keyword and cannot be a name"},
      {"expect w() is", 1, 14, "expected an object (a name or #serial) or 'none' after 'is', found end of line"},
      {"expect w() == #3", 1, 12, "expected 'is' after ')', found '='"},
      {"expect a is #0", 1, 13, "serial 0 is below the minimum of 1"},
      {"expect count 1 2", 1, 17, "expected a count after '2', found end of line"},
      {"expect count 1 2 3 4", 1, 20, "expected end of line after '3', found '4'"},
      {"expect threshold 1 65536 0", 1, 20, "threshold 65536 is above the maximum of 65535"},
      {"expect alive", 1, 13, "expected an object (a name or #serial) after 'alive', found end of line"},
      {"expect alive #0", 1, 14, "serial 0 is below the minimum of 1"},
      {"expect dead #4294967296", 1, 13, "number 4294967296 is out of range"},
      {"expect dead #12ab", 1, 13, "expected a serial after 'dead', found '#12ab'"},
      {"expect generation a 3", 1, 21, "expected a generation 0, 1, 2 or 'permanent' after 'a', found '3'"},
      {"expect refcount #3", 1, 19, "expected a refcount after '#3', found end of line"},
      {"expect refcount a 65536", 1, 19, "refcount 65536 is above the maximum of 65535"},
      {"expect live -1", 1, 13, "expected a live count after 'live', found '-'"},
      {"expect freeze_count 99999999999999999999999", 1, 21, "number 99999999999999999999999 is out of range"},
      // finalizers and their bodies
      {"finalizer a", 1, 12, "expected ':' after 'a', found end of line"},
      {"finalizer a: collect;", 1, 22, "expected a name or an operation a body may hold after ';', found end of line"},
      {"finalizer a: collect; ; del b", 1, 23, "after ';', found ';'"},
      {"finalizer a: collect; collect; collect; collect; collect; collect; collect; collect; collect", 1, 86,
       "too many operations: a body holds at most 8"},
      {"finalizer a: n = list 4", 1, 23, "payload 4 is below the minimum of 8 bytes"},
      {"finalizer a: n = list x", 1, 23, "expected a payload, ';' or end of line after 'list', found 'x'"},
      {"finalizer a: n = list 600 600", 1, 27, "expected ';' or end of line after '600', found '600'"},
      {"finalizer a: n = str 4", 1, 22, "payload 4 is below the minimum of 8 bytes"},
      {"finalizer a: n = int x", 1, 22, "expected an int value after 'int', found 'x'"},
      {"finalizer a: collect 3", 1, 22, "expected a generation 0, 1 or 2, ';' or end of line after 'collect', found '3'"},
      {"finalizer a: collect -> 2", 1, 22, "a collect in a body has no expected result"},
      {"finalizer a: w = weakref b: collect", 1, 27, "bodies do not nest: a weakref made in a body has no callback"},
      {"finalizer a: w = weakref self:", 1, 30, "bodies do not nest"},
      {"finalizer a: n = 5", 1, 18, "expected 'list', 'str', 'int', a name or 'weakref' after '=', found '5'"},
      {"finalizer a: n = collect", 1, 18, "'collect' is a keyword and cannot be a name"},
      {"finalizer a: n = cycle 3", 1, 18, "'cycle' cannot be used in a finalizer body or a weakref callback"},
      {"finalizer a: n = garbage[0]", 1, 18, "'garbage' cannot be used in a finalizer body or a weakref callback"},
      {"finalizer a: n = b[]", 1, 20, "expected a slot index after '[', found ']'"},
      {"finalizer a: n = b[x]", 1, 20, "expected a slot index after '[', found 'x'"},
      {"finalizer a: n = b[0", 1, 21, "expected ']' after '0', found end of line"},
      {"finalizer a: n = b[4294967296]", 1, 20, "number 4294967296 is out of range"},
      {"finalizer a: n = b[-1]", 1, 20, "expected a slot index after '[', found '-'"},
      {"finalizer a: n = b[0] m", 1, 23, "expected ';' or end of line after ']', found 'm'"},
      {"finalizer a: n = b(", 1, 20, "expected ')' after '(', found end of line"},
      {"finalizer a: n = b(c)", 1, 20, "expected ')' after '(', found 'c'"},
      {"finalizer a: n = b()[0]", 1, 21, "expected ';' or end of line after ')', found '['"},
      {"finalizer a: n = b.append(self)", 1, 19, "expected ';', end of line, '[' or '(' after 'b', found '.'"},
      {"finalizer a: n = self m", 1, 23, "expected ';', end of line, '[' or '(' after 'self', found 'm'"},
      {"finalizer a: n.append(self", 1, 27, "expected ')' after 'self', found end of line"},
      {"finalizer a: n[0] = self x", 1, 26, "expected ';' or end of line after 'self', found 'x'"},
      {"finalizer a: self.pop()", 1, 19, "expected 'append' or 'clear' after '.', found 'pop'"},
      {"finalizer a: self = n", 1, 19, "expected '.' or '[' after 'self', found '='"},
      {"finalizer a: self.clear(x)", 1, 25, "expected ')' after '(', found 'x'"},
      {"finalizer a: self.append()", 1, 26, "expected a name after '(', found ')'"},
      {"finalizer a: self[0] = self; del self[x]", 1, 39, "expected a slot index after '[', found 'x'"},
      {"finalizer a: del self", 1, 22, "expected '[' after 'self', found end of line"},
      {"finalizer a: self = list", 1, 19, "expected '.' or '[' after 'self', found '='"},
      {"finalizer a: enable", 1, 14, "'enable' cannot be used in a finalizer body or a weakref callback"},
      {"finalizer a: finalizer b: collect", 1, 14, "'finalizer' cannot be used in a finalizer body"},  // bodies do not nest
      {"finalizer a: legacy_finalizer n", 1, 14, "'legacy_finalizer' cannot be used in a finalizer body"},
      {"finalizer a: expect live 3", 1, 14, "'expect' cannot be used in a finalizer body"},
      {"finalizer a: 5", 1, 14, "expected a name or an operation a body may hold after ':', found '5'"},
      {"finalizer : collect", 1, 11, "expected a name after 'finalizer', found ':'"},
      {"finalizer self: collect", 1, 11, "'self' can only be used in a finalizer body or a weakref callback"},
      {"a = list\nfinalizer a: collect; n = list 7", 2, 32, "payload 7 is below the minimum of 8 bytes"},
      {many_names(kMaxNames) + "finalizer n0: extra = self\n", 65, 15, "too many names: a program may use at most 64"},
      {"legacy_finalizer", 1, 17, "expected a name after 'legacy_finalizer', found end of line"},
      {"legacy_finalizer a: collect", 1, 19, "expected end of line after 'a', found ':'"},
      // weak references
      {"w = weakref", 1, 12, "expected a name after 'weakref', found end of line"},
      {"w = weakref a b", 1, 15, "expected ':' or end of line after 'a', found 'b'"},
      {"w = weakref a; collect", 1, 14, "expected ':' or end of line after 'a', found ';'"},
      {"w = weakref a: ;", 1, 16, "expected a name or an operation a body may hold after ':', found ';'"},
      {"w = weakref a: n = self; self.clear(); x.append(self); collect 1; del n; n = list; self.append(n); del x; m = self",
       1, 107, "too many operations: a body holds at most 8"},
      {"b = w(", 1, 7, "expected ')' after '(', found end of line"},
      {"b = w(a)", 1, 7, "expected ')' after '(', found 'a'"},
      {"b = w()[0]", 1, 8, "expected end of line after ')', found '['"},
      // gc.garbage and gc.set_debug
      {"debug", 1, 6, "expected 'saveall' or 'none' after 'debug', found end of line"},
      {"debug all", 1, 7, "expected 'saveall' or 'none' after 'debug', found 'all'"},
      {"clear", 1, 6, "expected 'garbage' after 'clear', found end of line"},
      {"clear a", 1, 7, "expected 'garbage' after 'clear', found 'a'"},
      {"b = garbage", 1, 12, "expected '[' after 'garbage', found end of line"},
      {"b = garbage[-1]", 1, 13, "expected a garbage index after '[', found '-'"},
      {"b = garbage[4294967296]", 1, 13, "number 4294967296 is out of range"},
      {"expect garbage", 1, 15, "expected a garbage count after 'garbage', found end of line"},
      {"expect garbage 1 2", 1, 18, "expected end of line after '1', found '2'"},
      {"expect finalized", 1, 17, "expected an object (a name or #serial) after 'finalized', found end of line"},
      {"expect not_finalized #0", 1, 22, "serial 0 is below the minimum of 1"},
      // the new keywords cannot be names; 'self' only inside a body
      {"self = list", 1, 1, "'self' can only be used in a finalizer body or a weakref callback"},
      {"a = self", 1, 5, "'self' can only be used in a finalizer body or a weakref callback"},
      {"a.append(self)", 1, 10, "'self' can only be used in a finalizer body or a weakref callback"},
      {"garbage = list", 1, 1, "'garbage' is a keyword and cannot be a name"},
      {"none = list", 1, 1, "'none' is a keyword and cannot be a name"},
      {"a = finalized", 1, 5, "'finalized' is a keyword and cannot be a name"},
      {"del weakref", 1, 5, "'weakref' is a keyword and cannot be a name"},
      {"collect; collect", 1, 8, "expected a generation 0, 1 or 2, '->' or end of line after 'collect', found ';'"},
      // locations on later lines, CRLF, comments
      {"a = list\nb = a\n\n# note\nc = str 3", 5, 9, "payload 3 is below the minimum of 8 bytes"},
      {"a = list\r\nb = list 2\r\n", 2, 10, "payload 2 is below"},
      {"a = list 600 # fine\n  x = permanent", 2, 7, "'permanent' is a keyword and cannot be a name"},
      {"\t\tcollect 3 # tabs count as one column", 1, 11, "found '3'"},
  };
  return inputs;
}

TEST(ParseErrors, EachBadInputFailsAtItsTokenWithAClearReason) {
  ASSERT_GE(bad_inputs().size(), 30u);
  for (const BadInput& input : bad_inputs()) {
    SCOPED_TRACE("input: " + input.text.substr(0, 80));
    ParseError error;
    std::optional<Program> program = parse_text(input.text, "bad.heap", error);
    ASSERT_FALSE(program.has_value());
    EXPECT_EQ(error.file, "bad.heap");
    EXPECT_EQ(error.line, input.line) << error.reason;
    EXPECT_EQ(error.column, input.column) << error.reason;
    EXPECT_NE(error.reason.find(input.phrase), std::string::npos) << "reason: " << error.reason;
  }
}

TEST(ParseErrors, ToStringNamesFileLineAndColumn) {
  ParseError error;
  ASSERT_FALSE(parse_text("a = list\nb = list 4\n", "progs/small.heap", error));
  EXPECT_EQ(error.to_string(), "progs/small.heap:2:10: error: payload 4 is below the minimum of 8 bytes");
}

TEST(ParseErrors, ErrorsAfterValidLinesLeaveNoProgram) {
  // The first error ends parsing; nothing before it is returned.
  ParseError error;
  EXPECT_FALSE(parse_text("a = list\ncollect\nbogus line here\ncollect 9\n", "t.heap", error));
  EXPECT_EQ(error.line, 3u);
  EXPECT_EQ(error.column, 7u);
}

TEST(ParseErrors, ExactlyTheNameLimitIsAccepted) {
  ParseError error;
  std::optional<Program> program = parse_text(many_names(kMaxNames), "t.heap", error);
  ASSERT_TRUE(program.has_value()) << error.to_string();
  EXPECT_EQ(program->names.size(), kMaxNames);
}

}  // namespace
}  // namespace gcv
