// Parsing the text form of heap programs (.heap files).
//
// The text is split into lines (a trailing '\r' is dropped, so CRLF files
// read the same) and each line holds at most one operation. A line is read by
// recursive descent over a small lexer that produces one token at a time:
// words (names and keywords), numbers, '#serial' object references, the
// symbols = [ ] . ( ) - -> : ;, and End at the end of the line or at a '#' that
// starts a comment. Whether '#' followed by a digit is a serial or a comment is
// decided by the parser: it is a serial only where an object is expected.
//
// A finalizer or a weakref with a callback ends its line with a body: after
// ':', zero to kMaxBodyLength operations separated by ';', each read as the
// forms of the rows a body may hold. Inside a body ';' ends an operation as
// the end of the line does, and the keyword 'self' (the object being
// finalized, or the weakref) may stand for a name an operation reads.
//
// Every failure names the offending token's line and column and says what was
// expected and what was found. Parsing never throws and never reads outside
// the text, whatever bytes it holds.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gcverify/text.h"
#include "per_operation.h"

namespace gcv {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_word_char(char c) { return is_word_start(c) || is_digit(c); }

// Text for messages: non-printable bytes escaped, long text shortened so a
// huge line cannot make a huge message.
std::string shorten(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > kShown) out += "...";
  return out;
}

std::string quote(std::string_view text) { return "'" + shorten(text) + "'"; }

// "a payload", "an int value".
std::string with_article(std::string_view what) {
  const bool vowel = !what.empty() && std::string_view("aeiou").find(what[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(what);
}

enum class TokenKind { End, Word, Number, Serial, Symbol, Bad };

struct Token {
  TokenKind kind = TokenKind::End;
  std::string_view text;
  std::uint32_t column = 1;
  // Number and Serial: digits only (no letters glued on), and their value
  // unless it overflowed 64 bits.
  bool well_formed = true;
  bool overflow = false;
  std::uint64_t number = 0;

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
};

std::string describe(const Token& token) {
  return token.kind == TokenKind::End ? "end of line" : quote(token.text);
}

// Reads the digits of a number or serial token; letters glued on make it ill-formed.
void read_number(Token& token, std::string_view digits) {
  for (char c : digits) {
    if (!is_digit(c)) {
      token.well_formed = false;
      return;
    }
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (token.number > (std::numeric_limits<std::uint64_t>::max() - d) / 10) token.overflow = true;
    token.number = token.number * 10 + d;
  }
}

class LineLexer {
 public:
  explicit LineLexer(std::string_view line) : line_(line) {}

  // The next token without consuming it.
  Token peek() const {
    std::size_t pos = pos_;
    return lex(pos, /*serials=*/false);
  }
  // Consumes the next token; `serials` lexes '#<digit>' as a serial.
  Token next(bool serials = false) {
    Token token = lex(pos_, serials);
    if (token.kind != TokenKind::End) {
      before_last_ = last_;
      last_ = token;
    }
    return token;
  }
  // The text of the token consumed before `token`, for "after 'x'" in
  // messages; `token` itself may be consumed already or only peeked at.
  std::string_view before(const Token& token) const {
    const bool consumed = !last_.text.empty() && last_.column == token.column;
    return consumed ? before_last_.text : last_.text;
  }

 private:
  Token lex(std::size_t& pos, bool serials) const {
    while (pos < line_.size() && is_space(line_[pos])) ++pos;
    Token token;
    token.column = static_cast<std::uint32_t>(pos + 1);
    if (pos >= line_.size()) return token;
    const std::size_t start = pos;
    const char c = line_[pos];
    if (c == '#') {
      if (!serials || pos + 1 >= line_.size() || !is_digit(line_[pos + 1])) return token;  // comment
      token.kind = TokenKind::Serial;
      pos = scan_word(pos + 1);
      read_number(token, line_.substr(start + 1, pos - start - 1));
    } else if (is_word_start(c)) {
      token.kind = TokenKind::Word;
      pos = scan_word(pos);
    } else if (is_digit(c)) {
      token.kind = TokenKind::Number;
      pos = scan_word(pos);
      read_number(token, line_.substr(start, pos - start));
    } else if (c == '-' && pos + 1 < line_.size() && line_[pos + 1] == '>') {
      token.kind = TokenKind::Symbol;
      pos += 2;
    } else {
      token.kind = std::string_view("=[].()-:;").find(c) == std::string_view::npos ? TokenKind::Bad
                                                                                : TokenKind::Symbol;
      pos += 1;
    }
    token.text = line_.substr(start, pos - start);
    return token;
  }
  std::size_t scan_word(std::size_t pos) const {
    while (pos < line_.size() && is_word_char(line_[pos])) ++pos;
    return pos;
  }

  std::string_view line_;
  std::size_t pos_ = 0;
  Token last_;
  Token before_last_;
};

// One element of an operation's form (operations.def): a word or symbol of
// the language, a field, or the start or end of an optional part.
struct FormElement {
  enum Kind { Literal, FieldRef, Open, Close } kind = Literal;
  std::string_view text;  // Literal: its spelling
  Field field = Field::Target;
  std::size_t close = 0;  // Open: the index of its Close
};

// A form's elements in order, its spaces dropped.
std::vector<FormElement> read_form(std::string_view form) {
  std::vector<FormElement> elements;
  std::size_t open = 0;
  for (std::size_t at = 0; at < form.size();) {
    const char c = form[at];
    FormElement element;
    std::size_t end = at + 1;
    if (c == ' ') {
      ++at;
      continue;
    } else if (c == '<') {
      end = form.find('>', at) + 1;
      element.kind = FormElement::FieldRef;
      element.field = field_named(form.substr(at + 1, end - at - 2));
    } else if (c == '{') {
      element.kind = FormElement::Open;
      open = elements.size();
    } else if (c == '}') {
      element.kind = FormElement::Close;
      elements[open].close = elements.size();
    } else {
      if (is_word_start(c)) {
        while (end < form.size() && is_word_char(form[end])) ++end;
      } else if (c == '-' && end < form.size() && form[end] == '>') {
        ++end;
      }
      element.text = form.substr(at, end - at);
    }
    elements.push_back(element);
    at = end;
  }
  return elements;
}

const std::vector<FormElement>& form_elements(OpCode code) {
  return per_operation<[](const OperationInfo& row) { return read_form(row.form); }>(code);
}

// Words that cannot be names: every word of a form, except those that only
// follow a '.' ("append" in `a.append(b)`; "clear" is one, as it starts
// `clear garbage`), the words a field reads, 'self' of the bodies, and the
// names line's 'names'.
bool is_keyword(std::string_view word) {
  static const std::vector<std::string_view> keywords = [] {
    std::vector<std::string_view> all = {"permanent", "saveall", "none", "self", "names"};
    for (std::size_t c = 0; c < kOpCodeCount; ++c) {
      std::string_view before;
      for (const FormElement& element : form_elements(static_cast<OpCode>(c))) {
        const bool word = element.kind == FormElement::Literal && is_word_start(element.text[0]);
        if (word && before != "." && std::find(all.begin(), all.end(), element.text) == all.end())
          all.push_back(element.text);
        before = element.text;
      }
    }
    return all;
  }();
  return std::find(keywords.begin(), keywords.end(), word) != keywords.end();
}

// Whether `word` is a word of the forms only of rows no body may hold
// (`threshold`, `expect`, `cycle`, `garbage`...): said so where a body uses it.
bool only_outside_bodies(std::string_view word) {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> outside, inside;
    for (std::size_t c = 0; c < kOpCodeCount; ++c)
      for (const FormElement& element : form_elements(static_cast<OpCode>(c)))
        if (element.kind == FormElement::Literal)
          (in_body_vocabulary(static_cast<OpCode>(c)) ? inside : outside).push_back(element.text);
    std::erase_if(outside, [&](std::string_view w) { return std::find(inside.begin(), inside.end(), w) != inside.end(); });
    return outside;
  }();
  return std::find(words.begin(), words.end(), word) != words.end();
}

// "a", "a or b", "a, b or c".
std::string one_of(const std::vector<std::string>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i)
    out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return out;
}

// Parses one line into at most one op: the line is read as each row's form
// in turn, and the first that reads the whole line gives the op. When none
// does, the error is the furthest point any form read to: a complete reason
// found there (a number out of range, a keyword used as a name), or else
// everything the forms that got there expected.
class LineParser {
 public:
  LineParser(std::string_view line, std::uint32_t line_number, Program& program, ParseError& error)
      : text_(line), lex_(line), line_(line_number), program_(program), error_(error) {}

  // False on error; `has_op` says whether the line held an operation.
  bool parse(Op& op, bool& has_op) {
    const Token first = lex_.next();
    has_op = first.kind != TokenKind::End;
    if (!has_op) return true;
    if (first.kind == TokenKind::Word && first.text == "names") {
      has_op = false;
      return parse_names(first) || report(first);
    }
    for (std::size_t c = 0; c < kOpCodeCount; ++c) {
      // A form that starts with another word cannot read the line, and what
      // it expected there is not reported (see report).
      const FormElement& start = form_elements(static_cast<OpCode>(c)).front();
      if (start.kind == FormElement::Literal && !first.is(TokenKind::Word, start.text)) continue;
      const std::size_t names = program_.names.size();
      if (read_form(static_cast<OpCode>(c), op)) {
        op.where = {line_, first.column};
        return true;
      }
      program_.names.resize(names);  // the names only this form read
    }
    return report(first);
  }

 private:
  // The furthest column a form read to before failing, and why it failed.
  struct Furthest {
    std::uint32_t column = 0;
    std::string reason;                 // complete; outranks `expected`
    std::vector<std::string> expected;  // in row order, each once
    std::string_view after;             // the token before `found`
    Token found;
  };

  void move_furthest(std::uint32_t column) {
    furthest_ = Furthest{};
    furthest_.column = column;
  }
  bool fail(std::uint32_t column, std::string reason) {
    if (column > furthest_.column) move_furthest(column);
    if (column == furthest_.column && furthest_.reason.empty()) furthest_.reason = std::move(reason);
    return false;
  }
  // `expected` is quoted when it is a word or symbol of the language; the
  // message is built only where it may be reported.
  bool fail_expected(const Token& found, std::string_view expected, bool quoted = false) {
    if (found.kind == TokenKind::Bad) return fail(found.column, "unexpected character " + quote(found.text));
    if (found.column > furthest_.column) move_furthest(found.column);
    if (found.column < furthest_.column) return false;
    std::string text = quoted ? quote(expected) : std::string(expected);
    if (std::find(furthest_.expected.begin(), furthest_.expected.end(), text) == furthest_.expected.end())
      furthest_.expected.push_back(std::move(text));
    furthest_.after = lex_.before(found);
    furthest_.found = found;
    return false;
  }
  bool fail_keyword(const Token& word) {
    if (word.column < furthest_.column) return false;  // never reported: no message to build
    if (word.text == "self" && !in_body_)
      return fail(word.column, "'self' can only be used in a finalizer body or a weakref callback");
    if (in_body_ && only_outside_bodies(word.text)) return fail_outside_bodies(word);
    return fail(word.column, quote(word.text) + " is a keyword and cannot be a name");
  }
  // The error of the line whose first token is `first`.
  bool report(const Token& first) {
    error_.line = line_;
    error_.column = furthest_.column;
    if (!furthest_.reason.empty()) {
      error_.reason = furthest_.reason;
    } else if (furthest_.column == first.column) {
      error_.reason = "expected a name or a statement keyword, found " + describe(furthest_.found);
    } else {
      error_.reason = "expected " + one_of(furthest_.expected);
      if (!furthest_.after.empty()) error_.reason += " after " + quote(furthest_.after);
      error_.reason += ", found " + describe(furthest_.found);
    }
    return false;
  }

  // Where an operation or effect may end: the end of the line, or inside a
  // body also the ';' before the next effect.
  bool at_end(const Token& token) const {
    return token.kind == TokenKind::End || (in_body_ && token.is(TokenKind::Symbol, ";"));
  }
  // Expected an end where `found` is: in a body ';' or the end of the line.
  bool fail_expected_end(const Token& found) {
    if (in_body_) fail_expected(found, ";", /*quoted=*/true);
    return fail_expected(found, "end of line");
  }

  // Whether the whole line reads as `code`'s form; `op` holds what it read.
  bool read_form(OpCode code, Op& op) {
    lex_ = LineLexer(text_);
    in_body_ = false;
    if (!read_elements(code, op)) return false;
    const Token token = lex_.next();
    return token.kind == TokenKind::End || fail_expected(token, "end of line");
  }

  // Reads `code`'s form from where the lexer is; `op` holds what it read.
  bool read_elements(OpCode code, Op& op) {
    op = Op{};
    op.code = code;
    const std::vector<FormElement>& form = form_elements(code);
    for (std::size_t i = 0; i < form.size(); ++i) {
      if (form[i].kind == FormElement::Close) continue;
      if (form[i].kind != FormElement::Open) {
        if (!read_element(form[i], op)) return false;
        continue;
      }
      // An optional part is read when its first element reads, else skipped
      // with what that element read undone.
      const LineLexer lex = lex_;
      const Op before = op;
      const std::size_t names = program_.names.size();
      if (read_element(form[i + 1], op)) {
        ++i;
        continue;
      }
      lex_ = lex, op = before;
      program_.names.resize(names);
      i = form[i].close;
    }
    return true;
  }

  bool read_element(const FormElement& element, Op& op) {
    if (element.kind == FormElement::FieldRef) return read_field(element.field, op);
    const Token token = lex_.next();
    const TokenKind kind = is_word_start(element.text[0]) ? TokenKind::Word : TokenKind::Symbol;
    if (in_body_ && (element.text == ":" || element.text == "->")) {  // what a body's weakref or collect cannot have
      if (!token.is(kind, element.text)) return false;                 // nor suggest
      return fail(token.column, element.text == ":"
                                    ? "bodies do not nest: a weakref made in a body has no callback"
                                    : "a collect in a body has no expected result (expectations stay outside bodies)");
    }
    return token.is(kind, element.text) || fail_expected(token, element.text, /*quoted=*/true);
  }

  bool read_field(Field field, Op& op) {
    const FieldInfo& info = field_info(field);
    if (is_name_field(field)) return parse_name(name_operand(op, field), may_be_self(field));
    switch (field) {
      case Field::Index:
      case Field::GarbageIndex:
      case Field::SmallIndex: return parse_number(info, op.index);
      case Field::Size: return parse_number(info, op.size);
      case Field::Length:
      case Field::CliqueSize: return parse_number(info, op.count);
      case Field::Int: return parse_int_value(op.value);
      case Field::CollectGeneration: return parse_collect_generation(op.generation);
      case Field::Result: return parse_number(info, op.value) && (op.has_expected = true);
      case Field::Thresholds: return parse_thresholds(op);
      case Field::Counts:
      case Field::ThresholdValues: return parse_three_values(info, op);
      case Field::Object: return parse_object(op.object);
      case Field::Refcount:
      case Field::FreezeCount:
      case Field::LiveCount:
      case Field::GarbageCount: return parse_number(info, op.value);
      case Field::Generation: return parse_generation(op.generation);
      case Field::DebugFlag: return parse_debug_flag(op.value);
      case Field::Body: return parse_body(op);
      default: break;  // the names, above
    }
    return false;
  }

  bool parse_symbol(std::string_view symbol) {
    const Token token = lex_.next();
    return token.is(TokenKind::Symbol, symbol) || fail_expected(token, symbol, /*quoted=*/true);
  }
  bool parse_word(std::string_view word) {
    const Token token = lex_.next();
    return token.is(TokenKind::Word, word) || fail_expected(token, word, /*quoted=*/true);
  }

  // A name from an already-read word token: not a keyword, and interned.
  bool intern_name(const Token& word, NameIndex& out) {
    if (is_keyword(word.text)) return fail_keyword(word);
    if (!program_.intern(std::string(word.text), out))
      return fail(word.column, "too many names: a program may use at most " + std::to_string(kMaxNames));
    return true;
  }
  // A name; in a body also `self` where `self_allowed`.
  bool parse_name(NameIndex& out, bool self_allowed = false) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Word) return fail_expected(token, "a name");
    if (in_body_ && token.text == "self") {
      if (!self_allowed) return fail(token.column, "'self' cannot be assigned or deleted: it is the object the body runs for");
      out = kSelf;
      return true;
    }
    return intern_name(token, out);
  }

  // Checks a number token against `range`; `negative` applies a leading '-'.
  bool check_number(const Token& token, const FieldInfo& range, std::int64_t& out, bool negative = false) {
    if (!token.well_formed) return fail_expected(token, with_article(range.what));
    const std::string_view digits = token.kind == TokenKind::Serial ? token.text.substr(1) : token.text;
    const std::string spelled = (negative ? "-" : "") + std::string(digits);
    if (token.overflow || token.number > static_cast<std::uint64_t>(kU32Limit))
      return fail(token.column, "number " + shorten(spelled) + " is out of range");
    const std::int64_t value = negative ? -static_cast<std::int64_t>(token.number)
                                        : static_cast<std::int64_t>(token.number);
    const std::string head = std::string(range.what) + " " + std::to_string(value);
    if (value < range.lo)
      return fail(token.column, head + " is below the minimum of " + std::to_string(range.lo) + range.unit);
    if (value > range.hi)
      return fail(token.column, head + " is above the maximum of " + std::to_string(range.hi) + range.unit);
    out = value;
    return true;
  }
  template <typename T>
  bool parse_number(const FieldInfo& range, T& out) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Number) return fail_expected(token, range.expected);
    std::int64_t value = 0;
    if (!check_number(token, range, value)) return false;
    out = static_cast<T>(value);
    return true;
  }
  // names a b c: the program's names in index order, before anything else.
  bool parse_names(const Token& keyword) {
    if (!program_.ops.empty() || !program_.names.empty())
      return fail(keyword.column, "'names' must come first, before any operation");
    for (Token token = lex_.next(); token.kind != TokenKind::End; token = lex_.next()) {
      if (token.kind != TokenKind::Word) return fail_expected(token, "a name");
      for (const std::string& known : program_.names)
        if (known == token.text) return fail(token.column, quote(token.text) + " is listed twice");
      NameIndex ignored;
      if (!intern_name(token, ignored)) return false;
    }
    return true;
  }

  bool parse_int_value(std::int64_t& out) {
    const FieldInfo& range = field_info(Field::Int);
    const bool negative = lex_.peek().is(TokenKind::Symbol, "-");
    if (negative) lex_.next();
    const Token token = lex_.next();
    if (token.kind != TokenKind::Number) return fail_expected(token, range.expected);
    return check_number(token, range, out, negative);
  }

  // 0|1|2, of a collect.
  bool parse_collect_generation(int& generation) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Number || !token.well_formed || token.overflow || token.number > 2)
      return fail_expected(token, field_info(Field::CollectGeneration).expected);
    generation = static_cast<int>(token.number);
    return true;
  }

  // t0 [t1 [t2]]
  bool parse_thresholds(Op& op) {
    const FieldInfo& range = field_info(Field::Thresholds);
    op.arity = 0;
    do {
      if (!parse_number(range, op.values[op.arity])) return false;
      ++op.arity;
    } while (op.arity < op.values.size() && lex_.peek().kind == TokenKind::Number);
    const Token token = lex_.peek();
    if (token.kind == TokenKind::Number)
      return fail(token.column, "threshold takes at most 3 values, found a fourth " + describe(token));
    return true;
  }

  bool parse_three_values(const FieldInfo& range, Op& op) {
    for (auto& value : op.values)
      if (!parse_number(range, value)) return false;
    return true;
  }

  // <obj>: a name or #serial
  bool parse_object(ObjectRef& object) {
    const FieldInfo& range = field_info(Field::Object);
    const Token token = lex_.next(/*serials=*/true);
    if (token.kind == TokenKind::Word) {
      object.by_serial = false;
      return intern_name(token, object.value);
    }
    if (token.kind != TokenKind::Serial) return fail_expected(token, range.expected);
    std::int64_t serial = 0;
    if (!check_number(token, range, serial)) return false;
    object = {true, static_cast<std::uint32_t>(serial)};
    return true;
  }

  // 0|1|2|permanent
  bool parse_generation(int& generation) {
    const Token token = lex_.next();
    const bool numbered = token.kind == TokenKind::Number && token.well_formed && !token.overflow && token.number <= 2;
    if (!numbered && !token.is(TokenKind::Word, "permanent"))
      return fail_expected(token, field_info(Field::Generation).expected);
    generation = numbered ? static_cast<int>(token.number) : kPermanentGeneration;
    return true;
  }

  // saveall | none
  bool parse_debug_flag(std::int64_t& value) {
    const Token token = lex_.next();
    if (!token.is(TokenKind::Word, "saveall") && !token.is(TokenKind::Word, "none"))
      return fail_expected(token, field_info(Field::DebugFlag).expected);
    value = token.text == "saveall" ? 1 : 0;
    return true;
  }

  // <operation> [; <operation>]... up to the end of the line, after a ':'.
  bool parse_body(Op& op) {
    in_body_ = true;
    op.has_body = true;
    const bool read = parse_body_operations(op.body);
    in_body_ = false;
    return read;
  }
  bool parse_body_operations(std::vector<Op>& body) {
    if (lex_.peek().kind == TokenKind::End) return true;  // `def __del__(self): pass`
    for (;;) {
      const Token first = lex_.peek();
      if (body.size() == kMaxBodyLength)
        return fail(first.column, "too many operations: a body holds at most " + std::to_string(kMaxBodyLength));
      Op inner;
      if (!parse_body_operation(first, inner)) return false;
      inner.where = {line_, first.column};
      body.push_back(std::move(inner));
      const Token after = lex_.next();
      if (after.kind == TokenKind::End) return true;
      if (!after.is(TokenKind::Symbol, ";")) return fail_expected_end(after);
    }
  }
  // One operation of a body, starting at `first`: the first body row whose
  // form reads up to a ';' or the end of the line.
  bool parse_body_operation(const Token& first, Op& inner) {
    if (first.kind == TokenKind::Word && only_outside_bodies(first.text)) return fail_outside_bodies(first);
    const LineLexer start = lex_;
    for (OpCode code : kBodyOpCodes) {
      const FormElement& head = form_elements(code).front();
      if (head.kind == FormElement::Literal && !first.is(TokenKind::Word, head.text)) continue;
      const std::size_t names = program_.names.size();
      lex_ = start;
      if (read_elements(code, inner)) {
        const Token token = lex_.peek();
        if (at_end(token)) return true;
        fail_expected_end(token);
      }
      program_.names.resize(names);
    }
    lex_ = start;
    return fail_expected(lex_.next(), "an operation a body may hold");
  }
  bool fail_outside_bodies(const Token& word) {
    return fail(word.column, quote(word.text) + " cannot be used in a finalizer body or a weakref callback");
  }

  std::string_view text_;
  LineLexer lex_;
  std::uint32_t line_;
  Program& program_;
  ParseError& error_;
  Furthest furthest_;
  bool in_body_ = false;  // inside a finalizer body or callback: after its ':'
};

}  // namespace

std::string ParseError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + reason;
}

// "# cpython: 3.8 3.9": the versions a program holds for (Program::holds_for).
constexpr std::string_view kHoldsForPrefix = "# cpython:";

bool parse_holds_for(std::string_view line, std::uint32_t line_number, Program& program, ParseError& error) {
  const auto fail = [&](std::size_t column, std::string message) {
    error.line = line_number;
    error.column = static_cast<std::uint32_t>(column + 1);
    error.reason = std::move(message);
    return false;
  };
  if (!program.holds_for.empty()) return fail(0, "a second '# cpython:' line");
  for (std::size_t pos = kHoldsForPrefix.size(); pos < line.size();) {
    if (line[pos] == ' ' || line[pos] == '\t') {
      ++pos;
      continue;
    }
    const std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    const std::string_view name = line.substr(pos, end - pos);
    const Profile* p = profile_named(name);
    if (p == nullptr)
      return fail(pos, "no CPython version '" + std::string(name) + "' (there are " + profile_names() + ")");
    program.holds_for.push_back(p->version);
    pos = end;
  }
  if (program.holds_for.empty()) return fail(kHoldsForPrefix.size(), "'# cpython:' names no version");
  return true;
}

// "# fail: request 5": the memory the system under test refuses
// (Program::memory_failures).
constexpr std::string_view kMemoryFailuresPrefix = "# fail:";

bool parse_memory_failures(std::string_view line, std::uint32_t line_number, Program& program, ParseError& error) {
  error.line = line_number;
  error.column = static_cast<std::uint32_t>(kMemoryFailuresPrefix.size() + 1);
  if (program.memory_failures.any()) {
    error.column = 1;
    error.reason = "a second '# fail:' line";
    return false;
  }
  const std::optional<MemoryFailures> failures = memory_failures_named(line.substr(kMemoryFailuresPrefix.size()), error.reason);
  if (!failures) {
    error.reason = "'# fail:' " + error.reason;
    return false;
  }
  program.memory_failures = *failures;
  error = ParseError{error.file, 0, 0, {}};
  return true;
}

std::optional<Program> parse_text(std::string_view text, const std::string& file, ParseError& error) {
  Program program;
  program.origin = file;
  error = ParseError{file, 0, 0, {}};
  std::uint32_t line_number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_number;
    if (line.starts_with(kHoldsForPrefix)) {
      if (!parse_holds_for(line, line_number, program, error)) return std::nullopt;
      start = end + 1;
      continue;
    }
    if (line.starts_with(kMemoryFailuresPrefix)) {
      if (!parse_memory_failures(line, line_number, program, error)) return std::nullopt;
      start = end + 1;
      continue;
    }
    Op op;
    bool has_op = false;
    if (!LineParser(line, line_number, program, error).parse(op, has_op)) return std::nullopt;
    if (has_op) program.ops.push_back(op);
    start = end + 1;
  }
  return program;
}

}  // namespace gcv
