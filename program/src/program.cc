// Operations and programs: equality by meaning, name interning, canonical
// names, and the spelling of a program's memory failures.
//
// An Op carries every operand field, but each opcode reads only some of them
// (its row's operands in operations.def). Equality compares exactly the fields the opcode reads, so two
// ops that run the same are equal whatever the unused fields or their source
// location hold; this is what lets text and binary forms round-trip.
#include "gcverify/program.h"

#include <algorithm>
#include <charconv>

namespace gcv {

namespace {

// The first `n` threshold/count values; the rest are unused by the op.
bool same_values(const Op& x, const Op& y, std::size_t n) {
  return std::equal(x.values.begin(), x.values.begin() + n, y.values.begin());
}

}  // namespace

bool Op::operator==(const Op& other) const {
  if (code != other.code) return false;
  const Op& o = other;
  const auto ignores = [&](Operand operand) { return (operation_info(code).operands & operand) == 0; };
  return (ignores(kTarget) || target == o.target) && (ignores(kSource) || source == o.source) &&
         (ignores(kIndex) || index == o.index) && (ignores(kSize) || size == o.size) &&
         (ignores(kCount) || count == o.count) && (ignores(kValue) || value == o.value) &&
         (ignores(kExpectedValue) || (has_expected == o.has_expected && (!has_expected || value == o.value))) &&
         (ignores(kThresholds) || (arity == o.arity && same_values(*this, o, std::min<std::size_t>(arity, 3)))) &&
         (ignores(kTriple) || same_values(*this, o, 3)) && (ignores(kGeneration) || generation == o.generation) &&
         (ignores(kObject) || object == o.object) &&
         (ignores(kBody) || (gcv::has_body(*this) == gcv::has_body(o) && body == o.body));
}

bool Program::intern(const std::string& name, NameIndex& out) {
  auto found = std::find(names.begin(), names.end(), name);
  if (found != names.end()) {
    out = static_cast<NameIndex>(found - names.begin());
    return true;
  }
  if (names.size() >= kMaxNames) return false;
  out = static_cast<NameIndex>(names.size());
  names.push_back(name);
  return true;
}

std::string canonical_name(NameIndex i) {
  std::string name(1, static_cast<char>('a' + i % 26));
  if (i >= 26) name += std::to_string(i / 26);
  return name;
}

void for_each_name(Op& op, const std::function<void(NameIndex&)>& visit) {
  const std::uint16_t reads = operation_info(op.code).operands;
  if ((reads & kTarget) && op.target != kSelf) visit(op.target);
  if ((reads & kSource) && op.source != kSelf) visit(op.source);
  if ((reads & kObject) && !op.object.by_serial) visit(op.object.value);
  if (!(reads & kBody)) return;
  for (Op& inner : op.body) for_each_name(inner, visit);
}

std::size_t number_count(const Op& op, Field field) {
  switch (field) {
    case Field::Thresholds: return std::min<std::size_t>(op.arity, op.values.size());
    case Field::Counts:
    case Field::ThresholdValues: return op.values.size();
    case Field::Result: return op.has_expected ? 1 : 0;
    case Field::Object:
    case Field::Body: return 0;
    default: return is_name_field(field) ? 0 : 1;
  }
}

std::int64_t number(const Op& op, Field field, std::size_t k) {
  switch (field) {
    case Field::Index:
    case Field::GarbageIndex:
    case Field::SmallIndex: return op.index;
    case Field::Size: return op.size;
    case Field::Length:
    case Field::CliqueSize: return op.count;
    case Field::CollectGeneration:
    case Field::Generation: return op.generation;
    case Field::Thresholds:
    case Field::Counts:
    case Field::ThresholdValues: return op.values[k];
    default: return op.value;  // int, result, refcount, the counts, the debug flag
  }
}

void set_number(Op& op, Field field, std::size_t k, std::int64_t value) {
  const auto u32 = static_cast<std::uint32_t>(value);
  switch (field) {
    case Field::Index:
    case Field::GarbageIndex:
    case Field::SmallIndex: op.index = u32; break;
    case Field::Size: op.size = u32; break;
    case Field::Length:
    case Field::CliqueSize: op.count = u32; break;
    case Field::CollectGeneration:
    case Field::Generation: op.generation = static_cast<int>(value); break;
    case Field::Thresholds:
    case Field::Counts:
    case Field::ThresholdValues: op.values[k] = u32; break;
    default: op.value = value; break;
  }
}

std::string MemoryFailures::to_string() const {
  switch (mode) {
    case Mode::None: break;
    case Mode::Once: return "request " + std::to_string(request);
    case Mode::From: return "from request " + std::to_string(request);
    case Mode::Random: return "random 1/" + std::to_string(one_in) + " seed " + std::to_string(seed);
    case Mode::Operation: return "operation " + std::to_string(request);
  }
  return "none";
}

bool MemoryFailures::refuses(std::uint64_t n) const {
  const auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  return (mode == Mode::Once && n == request) || (mode == Mode::From && n >= request) ||
         (mode == Mode::Random && one_in != 0 && mix(seed + n * 0x9e3779b97f4a7c15ull) % one_in == 0);
}

namespace {

// Reads a decimal number in [low, high] from the front of `text`.
template <typename Number>
bool read_number(std::string_view& text, Number low, Number high, Number& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || out < low || out > high) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

bool take_word(std::string_view& text, std::string_view word) {
  if (!text.starts_with(word)) return false;
  text.remove_prefix(word.size());
  return true;
}

}  // namespace

std::optional<MemoryFailures> memory_failures_named(std::string_view text, std::string& error) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  MemoryFailures failures;
  std::string_view rest = text;
  const char* expected = "'request N', 'from request N', 'random 1/N seed S' or 'operation N'";
  if (take_word(rest, "request ") || take_word(rest, "from request ") || take_word(rest, "operation ")) {
    failures.mode = text.starts_with("from")        ? MemoryFailures::Mode::From
                    : text.starts_with("operation") ? MemoryFailures::Mode::Operation
                                                    : MemoryFailures::Mode::Once;
    if (!read_number<std::uint64_t>(rest, 1, kMaxFailingRequest, failures.request) || !rest.empty()) {
      error = "the number is from 1 to " + std::to_string(kMaxFailingRequest) + ", in " + expected;
      return std::nullopt;
    }
    return failures;
  }
  if (take_word(rest, "random 1/")) {
    failures.mode = MemoryFailures::Mode::Random;
    if (!read_number<std::uint32_t>(rest, 1, 0xffff, failures.one_in) || !take_word(rest, " seed ") ||
        !read_number<std::uint32_t>(rest, 0, UINT32_MAX, failures.seed) || !rest.empty()) {
      error = "expected 'random 1/N seed S' with N from 1 to 65535 and S from 0 to 4294967295";
      return std::nullopt;
    }
    return failures;
  }
  error = "expected " + std::string(expected);
  return std::nullopt;
}

}  // namespace gcv
