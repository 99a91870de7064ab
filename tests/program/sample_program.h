// Shared by the text and binary tests: a program in canonical text form that
// uses every opcode and every optional form of the language, the same program
// spelled loosely, and a readable printer for ops in failure messages.
#pragma once

#include <ostream>
#include <string_view>

#include "gcverify/text.h"

namespace gcv {

// Lets GoogleTest show ops in their text form (names as indices) when an
// expectation on ops fails.
inline void PrintTo(const Op& op, std::ostream* out) { *out << format_op(Program{}, op); }

}  // namespace gcv

namespace gcv::testing {

// Canonical: names are a, b, c, ... in first-appearance order, so printing the
// parsed program, or decoding its binary form and printing that, gives back
// exactly this text.
inline constexpr std::string_view kCanonicalSample =
    "a = list\n"
    "b = list 600\n"
    "c = str\n"
    "d = str 100\n"
    "e = int 5\n"
    "f = int -2147483648\n"
    "g = int 2147483647\n"
    "h = a\n"
    "i = b[0]\n"
    "del h\n"
    "del b[3]\n"
    "a.append(b)\n"
    "a[0] = c\n"
    "a[4294967295] = a\n"
    "j = cycle 5\n"
    "k = cycle 1 64\n"
    "l = chain 10\n"
    "m = chain 1024 8\n"
    "n = clique 4\n"
    "o = clique 32 65535\n"
    "collect\n"
    "collect 0\n"
    "collect 1\n"
    "collect 2 -> 4\n"
    "collect 0 -> 4294967295\n"
    "threshold 700\n"
    "threshold 700 10\n"
    "threshold 0 65535 10\n"
    "enable\n"
    "disable\n"
    "freeze\n"
    "unfreeze\n"
    "expect count 3 0 0\n"
    "expect threshold 700 10 65535\n"
    "expect alive #3\n"
    "expect alive a\n"
    "expect dead p\n"
    "expect dead #4294967295\n"
    "expect refcount a 2\n"
    "expect refcount #1 65535\n"
    "expect generation #3 permanent\n"
    "expect generation a 0\n"
    "expect generation b 1\n"
    "expect generation q 2\n"
    "expect freeze_count 5\n"
    "expect live 12\n"
    "finalizer a: r = self; del s; t = list 600; u.append(self); self.append(v); self.clear(); collect 1; collect\n"
    "finalizer b: collect 0\n"
    "legacy_finalizer c\n"
    "w = weakref a\n"
    "x = weakref b: y = self; z = list; collect\n"
    "a1 = w()\n"
    "debug saveall\n"
    "debug none\n"
    "clear garbage\n"
    "b1 = garbage[3]\n"
    "b1 = garbage[4294967295]\n"
    "expect garbage 3\n"
    "expect finalized a\n"
    "expect not_finalized #3\n"
    "expect finalized #4294967295\n"
    "finalizer a: c1 = b[4294967295]; d1 = w(); c1 = c1[0]\n"
    "e1 = weakref a: f1 = e1(); f1 = f1[2]\n";

// The same operations spelled with free whitespace, comments, CRLF line
// endings, non-canonical names and defaults written out.
inline constexpr std::string_view kLooseSample =
    "# a comment line\r\n"
    "\r\n"
    "  first=list 16   # default payload written out\r\n"
    "second = list 600\r\n"
    "\tthird =str\r\n"
    "Fourth = str 0100\r\n"
    "_5 = int 5\r\n"
    "f6 = int - 2147483648\r\n"
    "g7 = int 2147483647\r\n"
    "h8 = first\r\n"
    "i9 = second [ 0 ]\r\n"
    "del h8\r\n"
    "del second[3]#comment\r\n"
    "first . append ( second )\r\n"
    "first[0]=third\r\n"
    "first [ 4294967295 ] = first\r\n"
    "j = cycle 5 16\r\n"
    "k = cycle 1 64\r\n"
    "l = chain 10\r\n"
    "m = chain 1024 8\r\n"
    "n = clique 4\r\n"
    "o = clique 32 65535\r\n"
    "collect 2\r\n"
    "collect 0\r\n"
    "collect 1\r\n"
    "collect -> 4\r\n"
    "collect 0->4294967295\r\n"
    "threshold 700\r\n"
    "threshold 700 10\r\n"
    "threshold 0 65535 10\r\n"
    "enable\r\n"
    "disable\r\n"
    "freeze   # comment\r\n"
    "unfreeze\r\n"
    "expect count 3 0 0\r\n"
    "expect threshold 700 10 65535\r\n"
    "expect alive #3 # serial, then a comment\r\n"
    "expect alive first\r\n"
    "expect dead p\r\n"
    "expect dead #4294967295\r\n"
    "expect refcount first 2\r\n"
    "expect refcount #1 65535\r\n"
    "expect generation #3 permanent\r\n"
    "expect generation first 0\r\n"
    "expect generation second 1\r\n"
    "expect generation q 2\r\n"
    "expect freeze_count 5\r\n"
    "expect live 12\r\n"
    "finalizer first:r=self;del s ;t = list 0600;u . append ( self );self.append(v) ;self . clear ( );collect 1;"
    "collect 2 # a comment after a body\r\n"
    "finalizer second :collect 0\r\n"
    "  legacy_finalizer   third\r\n"
    "w=weakref first # no callback\r\n"
    "x = weakref second:y = self ; z = list 16;collect\r\n"
    "a1 = w ( )\r\n"
    "debug   saveall\r\n"
    "debug none\r\n"
    "clear  garbage\r\n"
    "b1=garbage [ 3 ]\r\n"
    "b1 = garbage[4294967295]\r\n"
    "expect garbage 03\r\n"
    "expect finalized first\r\n"
    "expect not_finalized #3#comment\r\n"
    "expect finalized #4294967295\r\n"
    "finalizer first: c1=second [ 4294967295 ] ;d1 = w ( );c1 = c1[00]\r\n"
    "e1 = weakref first:f1=e1() ; f1 = f1 [2] # a comment";  // no final newline

}  // namespace gcv::testing
