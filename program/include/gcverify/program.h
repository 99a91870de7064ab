// Heap programs: the one operation language of gcverify.
//
// A program is a list of operations on a mutator whose variables ("names") are
// the roots of the heap. It has two forms that carry the same operations:
//
//   text (.heap)   one operation per line, '#' comments, for people;
//                  see docs in README.md and parse_text()/print_text() in text.h.
//   binary         fixed-size 8-byte records read front to back, for fuzzers and
//                  reducers. EVERY byte string decodes to a program: the opcode is
//                  taken modulo the number of opcodes and each operand is brought
//                  into its range. See binary.h.
//
// Operands are not checked against the heap's state here: whether a name is
// bound or a slot index is in range is decided when the program runs (the
// executor is strict for hand-written programs and resolves operands modulo
// what exists for generated ones).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/profile.h"

namespace gcv {

// Index of a name in Program::names.
using NameIndex = std::uint32_t;
// Allocation serial number: the n-th object a program allocates has serial n
// (1-based), the same in the model and in every system under test.
using Serial = std::uint32_t;

// Limits shared by both forms, so every text program has a binary form.
inline constexpr std::size_t kMaxNames = 64;          // distinct names per program
inline constexpr std::uint32_t kMinPayload = 8;       // bytes; room for the serial stamp
inline constexpr std::uint32_t kMaxPayload = 65535;   // bytes; >512 reaches the large path
inline constexpr std::uint32_t kDefaultPayload = 16;  // bytes, when a program omits it
inline constexpr std::uint32_t kMaxChainLength = 16'777'215;  // cycle and chain macros (2^24 - 1)
inline constexpr std::uint32_t kMaxCliqueSize = 4096;          // clique macro (its k^2 references)
inline constexpr std::uint32_t kMaxThreshold = 65535;
inline constexpr std::uint32_t kMaxSmallValue = 65535;  // counts and refcounts in expectations
inline constexpr std::int64_t kSmallIntMin = -5;      // shared small ints, as in CPython
inline constexpr std::int64_t kSmallIntMax = 256;

// Generation numbers as the language spells them; kPermanent is the frozen one.
inline constexpr int kPermanentGeneration = 3;

// The Op fields an operation reads (see Op below and operations.def).
enum Operand : std::uint16_t {
  kTarget = 1 << 0,         // a name
  kSource = 1 << 1,         // a name
  kIndex = 1 << 2,
  kSize = 1 << 3,
  kCount = 1 << 4,
  kValue = 1 << 5,
  kExpectedValue = 1 << 6,  // Collect's `-> n`: has_expected, and value when it has one
  kThresholds = 1 << 7,     // arity and the first `arity` values
  kTriple = 1 << 8,         // all three values
  kGeneration = 1 << 9,
  kObject = 1 << 10,        // by name or by serial
  kBody = 1 << 11,       // a finalizer's body or a weakref's callback
};

inline constexpr std::int64_t kNotShrunk = std::numeric_limits<std::int64_t>::min();

// What a name a field reads must be bound to when the operation runs
// (Nothing: the field is no name the operation reads).
enum class Need : std::uint8_t { Nothing, AnyObject, List, Weakref };

// The operands a text form spells: each `<name>` in a row's form
// (operations.def) is one of these. `operand` is the Op fields it fills;
// `expected` is how a parse error asks for it, `what` how a range error names
// it, and [lo, hi] its values (a number's, or each of a list's). A name field
// is `target` when the operation assigns it, else named for what its name
// must be bound to: resolution and the executor's checks read `need`.
struct FieldInfo {
  std::string_view name;
  Operand operand;
  const char* expected;  // "a payload"
  const char* what;      // "payload"
  std::int64_t lo = 0, hi = 0;
  const char* unit = "";  // " bytes"
  Need need = Need::Nothing;
  // The value a reproducer prefers (the minimizer moves the field's numbers
  // towards it, and an optional part at it is not printed), or kNotShrunk.
  std::int64_t simplest = kNotShrunk;
};
inline constexpr std::int64_t kU32Limit = 0xffff'ffff;
// The fields, declared once in fields.def.
enum class Field : std::uint8_t {
#define GCV_FIELD(id, name, operand, need, simplest, lo, hi, expected, what, unit) id,
#include "gcverify/fields.def"
#undef GCV_FIELD
  kCount
};
inline constexpr FieldInfo kFields[] = {
#define GCV_FIELD(id, name, operand, need, simplest, lo, hi, expected, what, unit) \
  {name, operand, expected, what, lo, hi, unit, Need::need, simplest},
#include "gcverify/fields.def"
#undef GCV_FIELD
};
static_assert(std::size(kFields) == static_cast<std::size_t>(Field::kCount), "one row per field");
constexpr const FieldInfo& field_info(Field field) { return kFields[static_cast<std::size_t>(field)]; }

// The field a placeholder names; a name no field has is a compile error
// where a form is evaluated at compile time.
constexpr Field field_named(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kFields); ++i)
    if (kFields[i].name == name) return static_cast<Field>(i);
  throw "operations.def: a form names an unknown field";
}

// The fields a form's placeholders name, in the order it spells them.
struct FieldList {
  std::array<Field, 4> fields{};
  std::size_t size = 0;
  constexpr const Field* begin() const { return fields.data(); }
  constexpr const Field* end() const { return fields.data() + size; }
};
constexpr FieldList fields_of(std::string_view form) {
  FieldList list;
  for (std::size_t at = form.find('<'); at != std::string_view::npos; at = form.find('<', at + 1)) {
    if (list.size == list.fields.size()) throw "operations.def: a form names more fields than FieldList holds";
    list.fields[list.size++] = field_named(form.substr(at + 1, form.find('>', at) - at - 1));
  }
  return list;
}

// Whether `field` is a name operand (written or read).
constexpr bool is_name_field(Field field) {
  const Operand operand = field_info(field).operand;
  return operand == kTarget || operand == kSource;
}

// The Operand bits of the fields a form's placeholders name.
constexpr std::uint16_t operands_of(std::string_view form) {
  std::uint16_t bits = 0;
  for (Field field : fields_of(form)) bits |= field_info(field).operand;
  return bits;
}

// The slots of a binary record a row's `record` may name (operations.def).
inline constexpr std::string_view kRecordSlots[] = {"a", "b", "c", "c0", "c01", "bc2", "bc", "abc", "ac", "b0", "b1"};

// Whether `record` places each field `form` names exactly once, each in a
// slot of kRecordSlots.
constexpr bool record_places_form(std::string_view form, std::string_view record) {
  int uses[static_cast<std::size_t>(Field::kCount)] = {};
  for (Field field : fields_of(form)) ++uses[static_cast<std::size_t>(field)];
  for (std::size_t at = 0; at < record.size();) {
    const std::size_t colon = record.find(':', at);
    std::size_t end = record.find(' ', at);
    if (end == std::string_view::npos) end = record.size();
    if (colon > end) return false;
    bool known = false;
    for (std::string_view slot : kRecordSlots) known = known || slot == record.substr(at, colon - at);
    if (!known) return false;
    --uses[static_cast<std::size_t>(field_named(record.substr(colon + 1, end - colon - 1)))];
    at = end + 1;
  }
  for (int n : uses)
    if (n != 0) return false;
  return true;
}

// The operations, declared once in operations.def.
enum class OpCode : std::uint8_t {
#define GCV_OPERATION(id, words, form, record, expectation, rank, phase, weight, body) id,
#include "gcverify/operations.def"
#undef GCV_OPERATION
  kCount
};
inline constexpr std::size_t kOpCodeCount = static_cast<std::size_t>(OpCode::kCount);

// An operation's row of operations.def.
struct OperationInfo {
  const char* words;         // "new list", "expect dead"
  std::string_view form;     // its text form: "<target> = list{ <size>}"
  std::string_view record;   // its binary record's layout: "a:target c:size"
  FieldList fields;          // the fields its form names, in its order
  std::uint16_t operands;    // their Operand bits
  bool expectation;          // checked against the model, never run or generated
  std::uint8_t rank, phase;  // the minimizer's (see operations.def)
  std::uint8_t weight;       // the property generators' (0: never)
  bool body;                 // a body may hold it
  bool optional_body;        // its body is optional (a weakref's callback): see Op::has_body
};
inline constexpr OperationInfo kOperations[] = {
#define GCV_OPERATION(id, words, form, record, expectation, rank, phase, weight, body) \
  {words,  form,  record, fields_of(form), operands_of(form), expectation != 0, rank, phase, weight, body != 0, \
   std::string_view(form).find("{:<body>}") != std::string_view::npos},
#include "gcverify/operations.def"
#undef GCV_OPERATION
};
static_assert(std::size(kOperations) == kOpCodeCount, "one row per opcode");
static_assert(
    [] {
      for (const OperationInfo& info : kOperations)
        if (!record_places_form(info.form, info.record)) return false;
      return true;
    }(),
    "operations.def: each row's record places every field of its form once, in a known slot");
constexpr const OperationInfo& operation_info(OpCode code) { return kOperations[static_cast<std::size_t>(code)]; }
constexpr bool is_expectation(OpCode code) { return operation_info(code).expectation; }

// Bodies: the user code a finalizer (__del__) or a weakref's callback runs,
// inside the heap, at the moment the interpreter would call it. A body is a
// list of operations of the rows operations.def marks `body`: allocations of
// every kind but the shapes, bind, del, load and set and delete a slot,
// append, clear, weakref and its call, collect. Wherever such an operation
// reads a name it may read `self` (kSelf): the object being finalized, or the
// weakref whose callback runs. Every body operation is defined in every
// state: one that reads an unbound name, a list that is not a list or a slot
// that does not exist does nothing, so the model and each system under test
// run a body alike, with no operand resolution. A body holds at most
// kMaxBodyLength operations; a weakref made in a body has no callback (bodies
// do not nest) and a collect in a body no expected result (expectations stay
// outside).
inline constexpr NameIndex kSelf = kMaxNames;  // never a program's name
inline constexpr std::size_t kMaxBodyLength = 8;
constexpr bool in_body_vocabulary(OpCode code) { return operation_info(code).body; }
// The rows a body may hold, in opcode order: the binary form's opcode byte of
// a body's record indexes these (binary.h).
inline constexpr std::size_t kBodyOpCodeCount = [] {
  std::size_t n = 0;
  for (const OperationInfo& info : kOperations) n += info.body ? 1 : 0;
  return n;
}();
inline constexpr std::array<OpCode, kBodyOpCodeCount> kBodyOpCodes = [] {
  std::array<OpCode, kBodyOpCodeCount> codes{};
  std::size_t n = 0;
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    if (kOperations[c].body) codes[n++] = static_cast<OpCode>(c);
  return codes;
}();
// Whether a body's operation may read `self` in `field`: a name it reads,
// not one it assigns or deletes.
constexpr bool may_be_self(Field field) {
  return is_name_field(field) && field_info(field).need != Need::Nothing && field != Field::Name;
}

// An object named in an expectation: by name (`a`) or by serial (`#3`).
struct ObjectRef {
  bool by_serial = false;
  std::uint32_t value = 0;  // NameIndex or Serial
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

struct SourceLocation {
  std::uint32_t line = 0;    // 1-based; 0 when the op did not come from text
  std::uint32_t column = 0;  // 1-based
};

// One operation. Which fields matter depends on `code` (its row's operands
// in operations.def):
//   target    the name assigned, unbound, or the container operated on
//             (also the object given a finalizer, the new weakref)
//   source    the name read (Bind, LoadSlot, Deref: the weakref) or stored
//             (Append, SetSlot), a weakref's referent (NewWeakref)
//   index     slot index (LoadSlot, SetSlot, RemoveSlot), LoadGarbage's index
//   size      payload bytes (New*, macros), macro length k in `count`
//   value     int value (NewInt), expected result (Collect), n (Expect*),
//             SetDebug's flag (1 saveall, 0 none)
//   values    thresholds or counts; `arity` says how many SetThreshold gives
//   generation  Collect's and ExpectGeneration's generation
//   object    the object of an Expect on one object
//   body      SetFinalizer's body or NewWeakref's callback (0..kMaxBodyLength
//             operations); has_body says whether NewWeakref has a callback
struct Op {
  OpCode code = OpCode::Collect;
  NameIndex target = 0;
  NameIndex source = 0;
  std::uint32_t index = 0;
  std::uint32_t size = kDefaultPayload;
  std::uint32_t count = 1;
  std::int64_t value = 0;
  bool has_expected = false;  // Collect only
  std::uint8_t arity = 3;     // SetThreshold only: 1..3
  std::array<std::uint32_t, 3> values{};
  int generation = 2;
  ObjectRef object;
  std::vector<Op> body;    // SetFinalizer's body, NewWeakref's callback (<= kMaxBodyLength)
  bool has_body = false;   // an optional body (a callback) is there, if empty: it still runs
  SourceLocation where;  // not part of equality

  // An operation of `code` with every other field at its default.
  static Op of(OpCode code) {
    Op op;
    op.code = code;
    return op;
  }
  bool operator==(const Op& other) const;
};

inline NameIndex& name_operand(Op& op, Field field) {
  return field_info(field).operand == kTarget ? op.target : op.source;
}
inline NameIndex name_operand(const Op& op, Field field) {
  return field_info(field).operand == kTarget ? op.target : op.source;
}

// The numbers `field` holds in `op`: a threshold list's `arity` values, a
// triple's three, a collect's expected result when it has one, none for a
// name, an object or a body, else one. For code that treats numbers alike
// (the minimizer).
std::size_t number_count(const Op& op, Field field);
std::int64_t number(const Op& op, Field field, std::size_t k = 0);
void set_number(Op& op, Field field, std::size_t k, std::int64_t value);

// The requests of memory a system under test refuses on purpose during a
// run (its failure hook: gcheap's Allocator::FailurePlan, CPython's
// _testcapi.set_nomemory), counted from 1 from the run's start: one request
// (`# fail: request 5`), every request from one on (`# fail: from request
// 5`), or each with probability 1/one_in, decided by a hash of the seed and
// the request's number (`# fail: random 1/16 seed 7`); or every request made
// while one operation runs (`# fail: operation 5`, the fifth operation of
// the program, its steps and what they run), which names the same failure
// on systems whose requests differ (a three-way run). A program that
// carries them needs a system with the memory_failures capability.
struct MemoryFailures {
  enum class Mode : std::uint8_t { None, Once, From, Random, Operation };
  Mode mode = Mode::None;
  std::uint64_t request = 0;  // Once, From: 1-based; Operation: the operation, 1-based
  std::uint32_t one_in = 0;   // Random: 1 refuses every request
  std::uint32_t seed = 0;     // Random
  bool any() const { return mode != Mode::None; }
  // Whether request `n` (1-based) is refused: for Random, when splitmix64's
  // output function of seed + n * 0x9e3779b97f4a7c15 is a multiple of one_in
  // (as gcheap's FailurePlan decides). Operation refuses by operation, not
  // by request: never here (the executor arms "from request 1" around it).
  bool refuses(std::uint64_t n) const;
  // What follows "# fail: ": "request 5", "from request 5", "random 1/16
  // seed 7", "operation 5"; "none".
  std::string to_string() const;
  friend bool operator==(const MemoryFailures&, const MemoryFailures&) = default;
};
// The inverse of MemoryFailures::to_string (not "none"); nullopt and `error`
// saying what is wrong otherwise.
std::optional<MemoryFailures> memory_failures_named(std::string_view text, std::string& error);
// The largest request number a program names (the binary form holds up to 65535).
inline constexpr std::uint64_t kMaxFailingRequest = 0xffff'ffff;

struct Program {
  std::vector<std::string> names;  // spelling of each NameIndex
  std::vector<Op> ops;
  std::string origin;              // file name or "<binary>", for reports
  // The CPython versions the program holds for, from its text form's
  // `# cpython: 3.8 3.9 3.10 3.11` line (a program whose expectations are
  // one collector's); empty: every version.
  std::vector<CPythonVersion> holds_for;
  // The memory the system under test refuses while it runs, from the text
  // form's `# fail:` line or the binary form's trailing bytes (binary.h): a
  // MemoryError reproducer carries its failure point.
  MemoryFailures memory_failures;

  // Index of `name`, adding it if new; fails (returns false) past kMaxNames.
  bool intern(const std::string& name, NameIndex& out);
};

// Canonical spelling of name index i: a..z, then a1..z1, a2.. .
std::string canonical_name(NameIndex i);

// Whether `op` has a body: always for a finalizer, for a weakref when it has
// a callback.
inline bool has_body(const Op& op) {
  const OperationInfo& info = operation_info(op.code);
  return (info.operands & kBody) != 0 && (!info.optional_body || op.has_body);
}

// Calls visit(name) for every name operand `op` reads or writes, its body's
// included (an expectation's object only when given by name; never `self`),
// in the order the text form spells them; the visitor may rename them.
void for_each_name(Op& op, const std::function<void(NameIndex&)>& visit);

}  // namespace gcv
