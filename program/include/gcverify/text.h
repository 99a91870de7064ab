// The text form of heap programs (.heap files). Each operation's form is
// declared once, in its row of operations.def; the parser and the printer
// read it from there. In short:
//
//   # comment                     blank lines and comments are ignored
//   a = list                      new container (payload 16 bytes)
//   a = list 600                  ... with a 600-byte payload (large path)
//   s = str 100                   new string atom
//   i = int 5                     int atom; -5..256 are shared small ints
//   b = a        b = a[0]         bind a name, load a slot
//   del a        del a[0]         unbind a name, remove a slot
//   a.append(b)  a[0] = b         append, overwrite a slot
//   a.clear()                     empty a's list, then drop its items
//   a = cycle 5  a = chain 10  a = clique 4     shapes, optional payload last
//   collect      collect 1      collect 2 -> 4  gc.collect(g) [expected result]
//   threshold 700 10 10           gc.set_threshold (1 to 3 values)
//   enable  disable  freeze  unfreeze
//   expect count 3 0 0            expect threshold 700 10 10
//   expect alive #3  expect dead a   expect refcount a 2
//   expect generation #3 permanent   expect freeze_count 5   expect live 12
//   finalizer a: n = self; del b  a's __del__: a body of 0 to 8 operations
//   finalizer a:                  ... that does nothing (`pass`), still a __del__
//   legacy_finalizer a            tp_del: a is uncollectable in a collection
//   w = weakref a                 a weak reference to a ...
//   w = weakref a: n = self; collect   ... with a callback (a body)
//   w = weakref a:                ... with a callback that does nothing
//   b = w()                       dereference: b = the referent, or unbound
//   debug saveall  debug none     gc.set_debug(DEBUG_SAVEALL) / gc.set_debug(0)
//   clear garbage   b = garbage[3]   expect garbage 3
//   expect finalized a   expect not_finalized #3
//   expect a is #3   expect a is b   expect a is unbound   identity of a name,
//   expect a[1] is b   expect w() is #3   expect w() is none   a slot, a referent
//
// A body follows ':' to the end of the line, its operations separated by
// ';': any operation operations.def marks `body` (program.h's "Bodies"),
// written as on a line of its own, where a name read may be `self` (a
// keyword usable only in a body): the object being finalized, or the weakref
// whose callback runs. For example
//   finalizer a: n = self; b.append(self); s = str 40; b[0] = s; del b[1]
//   w = weakref a: m = list; m.append(self); n = weakref m; collect 0
//
// Names are identifiers ([A-Za-z_][A-Za-z0-9_]*) other than the keywords.
// `#n` names the object with allocation serial n. Names are numbered in order
// of first appearance (left to right, bodies included), unless a first line
// `names a b c` gives their order (lenient runs resolve unbound names by that
// number; print_text writes the line when first appearance would number them
// differently).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gcverify/program.h"

namespace gcv {

// A parse failure: where and why, printed as "file:line:column: reason".
struct ParseError {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string reason;
  std::string to_string() const;
};

// Parses `text`; `file` is used in errors and as Program::origin.
// Returns the program, or nullopt with `error` filled in. Never throws on bad input.
std::optional<Program> parse_text(std::string_view text, const std::string& file, ParseError& error);

// Prints one operation using the program's name spellings (no newline).
std::string format_op(const Program& program, const Op& op);

// Prints the whole program, one operation per line, after a names line when
// one is needed. parse_text(print_text(p)) gives back p's operations and names.
std::string print_text(const Program& program);

// The program with only the names its operations use, numbered in order of
// first use, so that its text needs no names line; source locations are kept.
// Renumbering changes what a lenient run resolves an invalid operand to, so
// this is for programs whose operands are all valid, such as the executor's
// resolved programs.
Program with_names_in_first_use_order(const Program& program);

}  // namespace gcv
