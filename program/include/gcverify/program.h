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
#include <string>
#include <vector>

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
  kEffects = 1 << 11,       // a finalizer's body or a weakref's callback
};

// The operations, declared once in operations.def (each row's comment shows
// its text form).
enum class OpCode : std::uint8_t {
#define GCV_OPERATION(id, words, operands, expectation, rank, phase, weight) id,
#include "gcverify/operations.def"
#undef GCV_OPERATION
  kCount
};
inline constexpr std::size_t kOpCodeCount = static_cast<std::size_t>(OpCode::kCount);

// An operation's row of operations.def.
struct OperationInfo {
  const char* words;         // "new list", "expect dead"
  std::uint16_t operands;    // Operand bits
  bool expectation;          // checked against the model, never run or generated
  std::uint8_t rank, phase;  // the minimizer's (see operations.def)
  std::uint8_t weight;       // the property generators' (0: never)
};
inline constexpr OperationInfo kOperations[] = {
#define GCV_OPERATION(id, words, operands, expectation, rank, phase, weight) \
  {words, static_cast<std::uint16_t>(operands), expectation != 0, rank, phase, weight},
#include "gcverify/operations.def"
#undef GCV_OPERATION
};
static_assert(std::size(kOperations) == kOpCodeCount, "one row per opcode");
constexpr const OperationInfo& operation_info(OpCode code) { return kOperations[static_cast<std::size_t>(code)]; }
constexpr bool is_expectation(OpCode code) { return operation_info(code).expectation; }

// What user code run during collection (a finalizer body, a weakref callback)
// may do. Every effect is defined in every state, so the model and each system
// under test run it alike with no operand resolution; `self` is the object
// being finalized, or the weakref whose callback runs.
enum class EffectCode : std::uint8_t {
  BindSelf,      // n = self
  Unbind,        // del n             (nothing when n is unbound)
  NewContainer,  // n = list [payload]
  AppendSelfTo,  // n.append(self)    (nothing unless n is bound to a list)
  AppendToSelf,  // self.append(n)    (nothing unless self is a list and n is bound)
  ClearSelf,     // self.clear()      (nothing unless self is a list)
  Collect,       // collect [g]       (returns 0 while a collection runs)
  // Reads (appended last, so the effect codes of existing binary programs
  // keep their meaning).
  LoadSlot,      // n = m[i]          (nothing unless m is bound to a list with an item i)
  Deref,         // n = m()           (nothing unless m is bound to a weakref; unbinds n once it is cleared)
  kCount
};
inline constexpr std::size_t kEffectCodeCount = static_cast<std::size_t>(EffectCode::kCount);
inline constexpr std::size_t kMaxEffects = 8;  // per body

struct Effect {
  EffectCode code = EffectCode::Collect;
  NameIndex name = 0;                  // every code but ClearSelf and Collect: the name bound, unbound or used
  std::uint32_t size = kDefaultPayload;  // NewContainer
  int generation = 2;                  // Collect
  NameIndex source = 0;                // LoadSlot: the list; Deref: the weakref
  std::uint32_t index = 0;             // LoadSlot
  bool operator==(const Effect& other) const;  // compares the fields the code uses
};

// An object named in an expectation: by name (`a`) or by serial (`#3`).
struct ObjectRef {
  bool by_serial = false;
  std::uint32_t value = 0;  // NameIndex or Serial
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

// Generation numbers as the language spells them; kPermanent is the frozen one.
inline constexpr int kPermanentGeneration = 3;

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
//   effects   SetFinalizer's body (0..kMaxEffects) or NewWeakref's callback
//             (0..kMaxEffects; none: no callback)
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
  std::vector<Effect> effects;  // SetFinalizer's body, NewWeakref's callback (<= kMaxEffects)
  SourceLocation where;  // not part of equality

  bool operator==(const Op& other) const;
};

struct Program {
  std::vector<std::string> names;  // spelling of each NameIndex
  std::vector<Op> ops;
  std::string origin;              // file name or "<binary>", for reports

  // Index of `name`, adding it if new; fails (returns false) past kMaxNames.
  bool intern(const std::string& name, NameIndex& out);
};

// Canonical spelling of name index i: a..z, then a1..z1, a2.. .
std::string canonical_name(NameIndex i);

// Calls visit(name) for every name operand `op` reads or writes, its body's
// included (an expectation's object only when given by name), in the order
// the text form spells them; the visitor may rename them.
void for_each_name(Op& op, const std::function<void(NameIndex&)>& visit);

}  // namespace gcv
