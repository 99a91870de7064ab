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
// ':', zero to kMaxEffects effects separated by ';'. Inside a body ';' ends an
// effect as the end of the line ends an operation, and the keyword 'self'
// (the object being finalized, or the weakref) may appear.
//
// Every failure names the offending token's line and column and says what was
// expected and what was found. Parsing never throws and never reads outside
// the text, whatever bytes it holds.
#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "gcverify/text.h"

namespace gcv {

namespace {

// Words that cannot be names. "append" is not one: it only follows a '.'
// (as "clear" does in `self.clear()`, besides starting `clear garbage`).
constexpr std::array<std::string_view, 34> kKeywords = {
    "list",     "str",     "int",    "cycle",      "chain",        "clique",
    "del",      "collect", "threshold", "enable",  "disable",      "freeze",
    "unfreeze", "expect",  "count",  "alive",      "dead",         "refcount",
    "generation", "freeze_count", "live", "permanent", "names",
    "finalizer", "legacy_finalizer", "weakref", "self", "debug", "saveall",
    "none",     "garbage", "clear",  "finalized",  "not_finalized"};

bool is_keyword(std::string_view word) {
  for (std::string_view keyword : kKeywords)
    if (keyword == word) return true;
  return false;
}

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

// The allowed values of a numeric operand and how messages name it.
struct Range {
  const char* what;  // "payload", "slot index", ...
  std::int64_t lo;
  std::int64_t hi;
  const char* unit = "";  // " bytes"
};

constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr Range kPayloadRange{"payload", kMinPayload, kMaxPayload, " bytes"};
constexpr Range kIndexRange{"slot index", 0, kU32Max};
constexpr Range kChainRange{"length", 1, kMaxChainLength};
constexpr Range kCliqueRange{"size", 1, kMaxCliqueSize};
constexpr Range kIntRange{"int value", std::numeric_limits<std::int32_t>::min(),
                          std::numeric_limits<std::int32_t>::max()};
constexpr Range kThresholdRange{"threshold", 0, kMaxThreshold};
constexpr Range kCountRange{"count", 0, kMaxSmallValue};
constexpr Range kRefcountRange{"refcount", 0, kMaxSmallValue};
constexpr Range kResultRange{"expected result", 0, kU32Max};
constexpr Range kSerialRange{"serial", 1, kU32Max};
constexpr Range kFreezeCountRange{"freeze count", 0, kU32Max};
constexpr Range kLiveRange{"live count", 0, kU32Max};
constexpr Range kGarbageIndexRange{"garbage index", 0, kU32Max};
constexpr Range kGarbageCountRange{"garbage count", 0, kU32Max};

// What a body may hold, for "expected ..." messages.
constexpr const char* kEffectForms =
    "an effect ('n = self', 'del n', 'n = list', 'n = m[i]', 'n = m()', 'n.append(self)', 'self.append(n)', "
    "'self.clear()' or 'collect')";

// Parses one line into at most one op. Each parse_* function consumes the
// tokens of one construct and returns false after filling in the error.
class LineParser {
 public:
  LineParser(std::string_view line, std::uint32_t line_number, Program& program, ParseError& error)
      : lex_(line), line_(line_number), program_(program), error_(error) {}

  // False on error; `has_op` says whether the line held an operation.
  bool parse(Op& op, bool& has_op) {
    const Token first = lex_.next();
    has_op = first.kind != TokenKind::End;
    if (!has_op) return true;
    if (first.kind == TokenKind::Word && first.text == "names") {
      has_op = false;
      return parse_names(first);
    }
    op.where = {line_, first.column};
    return parse_statement(op, first) && parse_end();
  }

 private:
  bool fail(std::uint32_t column, std::string reason) {
    error_.line = line_;
    error_.column = column;
    error_.reason = std::move(reason);
    return false;
  }
  bool fail_expected(const Token& found, const std::string& expected) {
    if (found.kind == TokenKind::Bad) return fail(found.column, "unexpected character " + quote(found.text));
    std::string reason = "expected " + expected;
    const std::string_view after = lex_.before(found);
    if (!after.empty()) reason += " after " + quote(after);
    return fail(found.column, reason + ", found " + describe(found));
  }
  bool fail_keyword(const Token& word) {
    if (word.text == "self" && !in_body_)
      return fail(word.column, "'self' can only be used in a finalizer body or a weakref callback");
    return fail(word.column, quote(word.text) + " is a keyword and cannot be a name");
  }

  // Where an operation or effect may end: the end of the line, or inside a
  // body also the ';' before the next effect.
  bool at_end(const Token& token) const {
    return token.kind == TokenKind::End || (in_body_ && token.is(TokenKind::Symbol, ";"));
  }
  const char* end_forms() const { return in_body_ ? "';' or end of line" : "end of line"; }

  // Every parse_* function that decides the opcode of an op or an effect sets
  // it through here, so the rest of its body reads as the grammar:
  // set_code(op, X) && operands.
  template <typename OpOrEffect, typename Code>
  static bool set_code(OpOrEffect& op, Code code) {
    op.code = code;
    return true;
  }

  bool parse_end() {
    const Token token = lex_.next();
    return token.kind == TokenKind::End || fail_expected(token, "end of line");
  }

  bool parse_symbol(std::string_view symbol) {
    const Token token = lex_.next();
    return token.is(TokenKind::Symbol, symbol) || fail_expected(token, quote(symbol));
  }
  bool parse_word(std::string_view word) {
    const Token token = lex_.next();
    return token.is(TokenKind::Word, word) || fail_expected(token, quote(word));
  }

  // A name from an already-read word token: not a keyword, and interned.
  bool intern_name(const Token& word, NameIndex& out) {
    if (is_keyword(word.text)) return fail_keyword(word);
    if (!program_.intern(std::string(word.text), out))
      return fail(word.column, "too many names: a program may use at most " + std::to_string(kMaxNames));
    return true;
  }
  bool parse_name(NameIndex& out) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Word) return fail_expected(token, "a name");
    return intern_name(token, out);
  }

  // Checks a number token against `range`; `negative` applies a leading '-'.
  bool check_number(const Token& token, const Range& range, std::int64_t& out, bool negative = false) {
    if (!token.well_formed) return fail_expected(token, with_article(range.what));
    const std::string_view digits = token.kind == TokenKind::Serial ? token.text.substr(1) : token.text;
    const std::string spelled = (negative ? "-" : "") + std::string(digits);
    if (token.overflow || token.number > static_cast<std::uint64_t>(kU32Max))
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
  bool parse_number(const Range& range, T& out) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Number) return fail_expected(token, with_article(range.what));
    std::int64_t value = 0;
    if (!check_number(token, range, value)) return false;
    out = static_cast<T>(value);
    return true;
  }
  // A number that may be left out at the end of the line.
  template <typename T>
  bool parse_optional_number(const Range& range, T& out) {
    const Token token = lex_.peek();
    if (at_end(token)) return true;
    if (token.kind != TokenKind::Number)
      return fail_expected(token, with_article(range.what) + (in_body_ ? ", " : " or ") + end_forms());
    return parse_number(range, out);
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

  bool parse_statement(Op& op, const Token& first) {
    if (first.kind != TokenKind::Word) return fail_expected(first, "a name or a statement keyword");
    if (!is_keyword(first.text)) return parse_name_statement(op, first);
    if (first.text == "del") return parse_del(op);
    if (first.text == "collect") return parse_collect(op);
    if (first.text == "threshold") return parse_threshold(op);
    if (first.text == "expect") return parse_expect(op);
    if (first.text == "enable") return set_code(op, OpCode::Enable);
    if (first.text == "disable") return set_code(op, OpCode::Disable);
    if (first.text == "freeze") return set_code(op, OpCode::Freeze);
    if (first.text == "unfreeze") return set_code(op, OpCode::Unfreeze);
    if (first.text == "finalizer") return parse_finalizer(op);
    if (first.text == "legacy_finalizer") return set_code(op, OpCode::SetLegacyFinalizer) && parse_name(op.target);
    if (first.text == "debug") return parse_debug(op);
    if (first.text == "clear") return set_code(op, OpCode::ClearGarbage) && parse_word("garbage");
    return fail_keyword(first);
  }

  // a = ...   a.append(b)   a[i] = b
  bool parse_name_statement(Op& op, const Token& first) {
    if (!intern_name(first, op.target)) return false;
    const Token token = lex_.next();
    if (token.is(TokenKind::Symbol, "=")) return parse_assignment(op);
    if (token.is(TokenKind::Symbol, ".")) {
      const Token method = lex_.next();
      if (!method.is(TokenKind::Word, "append")) return fail_expected(method, "'append'");
      op.code = OpCode::Append;
      return parse_symbol("(") && parse_name(op.source) && parse_symbol(")");
    }
    if (token.is(TokenKind::Symbol, "[")) {
      op.code = OpCode::SetSlot;
      return parse_number(kIndexRange, op.index) && parse_symbol("]") && parse_symbol("=") &&
             parse_name(op.source);
    }
    return fail_expected(token, "'=', '.append(' or '['");
  }

  // The right-hand side of `a = ...`.
  bool parse_assignment(Op& op) {
    const Token token = lex_.next();
    if (token.kind != TokenKind::Word)
      return fail_expected(token,
                           "'list', 'str', 'int', 'cycle', 'chain', 'clique', 'weakref', 'garbage' or a name");
    if (!is_keyword(token.text)) {
      if (!intern_name(token, op.source)) return false;
      op.code = OpCode::Bind;
      const Token after = lex_.peek();
      if (after.is(TokenKind::Symbol, "(")) {  // b = w()
        lex_.next();
        return set_code(op, OpCode::Deref) && parse_symbol(")");
      }
      if (!after.is(TokenKind::Symbol, "[")) return true;
      lex_.next();
      op.code = OpCode::LoadSlot;
      return parse_number(kIndexRange, op.index) && parse_symbol("]");
    }
    if (token.text == "list") return set_code(op, OpCode::NewContainer) && parse_optional_number(kPayloadRange, op.size);
    if (token.text == "str") return set_code(op, OpCode::NewStr) && parse_optional_number(kPayloadRange, op.size);
    if (token.text == "int") return set_code(op, OpCode::NewInt) && parse_int_value(op.value);
    if (token.text == "cycle") return set_code(op, OpCode::Cycle) && parse_shape(kChainRange, op);
    if (token.text == "chain") return set_code(op, OpCode::Chain) && parse_shape(kChainRange, op);
    if (token.text == "clique") return set_code(op, OpCode::Clique) && parse_shape(kCliqueRange, op);
    if (token.text == "weakref") return parse_weakref(op);
    if (token.text == "garbage")
      return set_code(op, OpCode::LoadGarbage) && parse_symbol("[") && parse_number(kGarbageIndexRange, op.index) &&
             parse_symbol("]");
    return fail_keyword(token);
  }

  bool parse_int_value(std::int64_t& out) {
    const bool negative = lex_.peek().is(TokenKind::Symbol, "-");
    if (negative) lex_.next();
    const Token token = lex_.next();
    if (token.kind != TokenKind::Number) return fail_expected(token, with_article(kIntRange.what));
    return check_number(token, kIntRange, out, negative);
  }

  bool parse_shape(const Range& length, Op& op) {
    return parse_number(length, op.count) && parse_optional_number(kPayloadRange, op.size);
  }

  // del a   del a[i]
  bool parse_del(Op& op) {
    op.code = OpCode::Unbind;
    if (!parse_name(op.target)) return false;
    if (!lex_.peek().is(TokenKind::Symbol, "[")) return true;
    lex_.next();
    op.code = OpCode::RemoveSlot;
    return parse_number(kIndexRange, op.index) && parse_symbol("]");
  }

  // The [g] of `collect [g]`, 2 when left out.
  bool parse_collect_generation(int& generation) {
    generation = 2;
    const Token token = lex_.peek();
    if (token.kind != TokenKind::Number) return true;
    lex_.next();
    if (!token.well_formed || token.overflow || token.number > 2)
      return fail(token.column, "expected a generation 0, 1 or 2 after 'collect', found " + describe(token));
    generation = static_cast<int>(token.number);
    return true;
  }

  // collect [g] [-> expected]
  bool parse_collect(Op& op) {
    op.code = OpCode::Collect;
    if (!parse_collect_generation(op.generation)) return false;
    const Token token = lex_.peek();
    if (token.kind == TokenKind::End) return true;
    if (!token.is(TokenKind::Symbol, "->"))
      return fail_expected(token, "a generation 0, 1 or 2, '->' or end of line");
    lex_.next();
    op.has_expected = true;
    return parse_number(kResultRange, op.value);
  }

  // threshold t0 [t1 [t2]]
  bool parse_threshold(Op& op) {
    op.code = OpCode::SetThreshold;
    op.arity = 0;
    for (Token token = lex_.peek(); token.kind == TokenKind::Number; token = lex_.peek()) {
      if (op.arity == op.values.size())
        return fail(token.column, "threshold takes at most 3 values, found a fourth " + describe(token));
      if (!parse_number(kThresholdRange, op.values[op.arity])) return false;
      ++op.arity;
    }
    return op.arity > 0 || fail_expected(lex_.peek(), "a threshold value");
  }

  bool parse_three_values(const Range& range, Op& op) {
    for (auto& value : op.values)
      if (!parse_number(range, value)) return false;
    return true;
  }

  bool parse_expect(Op& op) {
    const Token kind = lex_.next();
    const auto is = [&](std::string_view word) { return kind.is(TokenKind::Word, word); };
    if (is("count")) return set_code(op, OpCode::ExpectCount) && parse_three_values(kCountRange, op);
    if (is("threshold")) return set_code(op, OpCode::ExpectThreshold) && parse_three_values(kThresholdRange, op);
    if (is("alive")) return set_code(op, OpCode::ExpectAlive) && parse_object(op.object);
    if (is("dead")) return set_code(op, OpCode::ExpectDead) && parse_object(op.object);
    if (is("refcount"))
      return set_code(op, OpCode::ExpectRefcount) && parse_object(op.object) && parse_number(kRefcountRange, op.value);
    if (is("generation"))
      return set_code(op, OpCode::ExpectGeneration) && parse_object(op.object) && parse_generation(op.generation);
    if (is("freeze_count")) return set_code(op, OpCode::ExpectFreezeCount) && parse_number(kFreezeCountRange, op.value);
    if (is("live")) return set_code(op, OpCode::ExpectLive) && parse_number(kLiveRange, op.value);
    if (is("garbage")) return set_code(op, OpCode::ExpectGarbage) && parse_number(kGarbageCountRange, op.value);
    if (is("finalized")) return set_code(op, OpCode::ExpectFinalized) && parse_object(op.object);
    if (is("not_finalized")) return set_code(op, OpCode::ExpectNotFinalized) && parse_object(op.object);
    return fail_expected(kind,
                         "count, threshold, alive, dead, refcount, generation, freeze_count, live, garbage, "
                         "finalized or not_finalized");
  }

  // <obj>: a name or #serial
  bool parse_object(ObjectRef& object) {
    const Token token = lex_.next(/*serials=*/true);
    if (token.kind == TokenKind::Word) {
      object.by_serial = false;
      return intern_name(token, object.value);
    }
    if (token.kind != TokenKind::Serial) return fail_expected(token, "an object (a name or #serial)");
    std::int64_t serial = 0;
    if (!check_number(token, kSerialRange, serial)) return false;
    object = {true, static_cast<std::uint32_t>(serial)};
    return true;
  }

  // 0|1|2|permanent
  bool parse_generation(int& generation) {
    const Token token = lex_.next();
    const bool numbered = token.kind == TokenKind::Number && token.well_formed && !token.overflow && token.number <= 2;
    if (!numbered && !token.is(TokenKind::Word, "permanent"))
      return fail_expected(token, "a generation 0, 1, 2 or 'permanent'");
    generation = numbered ? static_cast<int>(token.number) : kPermanentGeneration;
    return true;
  }

  // finalizer a: [<body>]   (an empty body: `def __del__(self): pass`)
  bool parse_finalizer(Op& op) {
    op.code = OpCode::SetFinalizer;
    if (!parse_name(op.target)) return false;
    const Token colon = lex_.next();
    if (!colon.is(TokenKind::Symbol, ":")) return fail_expected(colon, "':' and the finalizer's body");
    if (lex_.peek().kind == TokenKind::End) return true;
    return parse_body(op.effects);
  }

  // w = weakref a [: <body>]   after the '='
  bool parse_weakref(Op& op) {
    op.code = OpCode::NewWeakref;
    if (!parse_name(op.source)) return false;
    const Token token = lex_.next();
    if (token.kind == TokenKind::End) return true;
    if (!token.is(TokenKind::Symbol, ":")) return fail_expected(token, "':' and a callback, or end of line");
    return parse_body(op.effects);
  }

  // debug saveall | debug none
  bool parse_debug(Op& op) {
    op.code = OpCode::SetDebug;
    const Token token = lex_.next();
    if (!token.is(TokenKind::Word, "saveall") && !token.is(TokenKind::Word, "none"))
      return fail_expected(token, "'saveall' or 'none'");
    op.value = token.text == "saveall" ? 1 : 0;
    return true;
  }

  // <effect> [; <effect>]... up to the end of the line, after a ':'.
  bool parse_body(std::vector<Effect>& body) {
    in_body_ = true;
    for (;;) {
      const Token first = lex_.next();
      if (first.kind != TokenKind::End && body.size() == kMaxEffects)
        return fail(first.column, "too many effects: a body holds at most " + std::to_string(kMaxEffects));
      Effect effect;
      if (!parse_effect(first, effect)) return false;
      body.push_back(effect);
      const Token after = lex_.peek();
      if (after.kind == TokenKind::End) return true;
      if (!after.is(TokenKind::Symbol, ";")) return fail_expected(after, end_forms());
      lex_.next();
    }
  }

  // One effect, starting at the already-read token `first`.
  bool parse_effect(const Token& first, Effect& effect) {
    if (first.kind != TokenKind::Word) return fail_expected(first, kEffectForms);
    if (first.text == "del") return set_code(effect, EffectCode::Unbind) && parse_name(effect.name);
    if (first.text == "collect")
      return set_code(effect, EffectCode::Collect) && parse_collect_generation(effect.generation);
    if (first.text == "self") return parse_self_method(effect);
    if (is_keyword(first.text)) return fail_expected(first, kEffectForms);
    if (!intern_name(first, effect.name)) return false;
    const Token token = lex_.next();
    if (token.is(TokenKind::Symbol, "=")) {  // n = self   n = list [payload]   n = m[i]   n = m()
      const Token value = lex_.next();
      if (value.is(TokenKind::Word, "self")) return set_code(effect, EffectCode::BindSelf);
      if (value.is(TokenKind::Word, "list"))
        return set_code(effect, EffectCode::NewContainer) && parse_optional_number(kPayloadRange, effect.size);
      if (value.kind == TokenKind::Word && !is_keyword(value.text)) return parse_effect_read(value, effect);
      return fail_expected(value, "'self', 'list' or a name");
    }
    if (token.is(TokenKind::Symbol, ".")) {  // n.append(self)
      return parse_word("append") && parse_symbol("(") && parse_word("self") && parse_symbol(")") &&
             set_code(effect, EffectCode::AppendSelfTo);
    }
    return fail_expected(token, "'=' or '.append('");
  }

  // m[i]   m()   after `n = `, from the already-read word `source`.
  bool parse_effect_read(const Token& source, Effect& effect) {
    if (!intern_name(source, effect.source)) return false;
    const Token token = lex_.next();
    if (token.is(TokenKind::Symbol, "["))
      return set_code(effect, EffectCode::LoadSlot) && parse_number(kIndexRange, effect.index) && parse_symbol("]");
    if (token.is(TokenKind::Symbol, "(")) return set_code(effect, EffectCode::Deref) && parse_symbol(")");
    return fail_expected(token, "'[' or '('");
  }

  // self.append(n)   self.clear()
  bool parse_self_method(Effect& effect) {
    if (!parse_symbol(".")) return false;
    const Token method = lex_.next();
    if (method.is(TokenKind::Word, "append"))
      return set_code(effect, EffectCode::AppendToSelf) && parse_symbol("(") && parse_name(effect.name) &&
             parse_symbol(")");
    if (method.is(TokenKind::Word, "clear"))
      return set_code(effect, EffectCode::ClearSelf) && parse_symbol("(") && parse_symbol(")");
    return fail_expected(method, "'append' or 'clear'");
  }

  LineLexer lex_;
  std::uint32_t line_;
  Program& program_;
  ParseError& error_;
  bool in_body_ = false;  // inside a finalizer body or callback: after its ':'
};

}  // namespace

std::string ParseError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + reason;
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
    Op op;
    bool has_op = false;
    if (!LineParser(line, line_number, program, error).parse(op, has_op)) return std::nullopt;
    if (has_op) program.ops.push_back(op);
    start = end + 1;
  }
  return program;
}

}  // namespace gcv
