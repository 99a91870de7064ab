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

enum class OpCode : std::uint8_t {
  // Allocation into a name; rebinding drops the old reference after the new
  // object exists (like `a = []` in Python).
  NewContainer,  // a = list [payload]
  NewStr,        // a = str [payload]
  NewInt,        // a = int V   (-5..256 binds the shared small int, others allocate)
  // Names and slots.
  Bind,          // b = a
  LoadSlot,      // b = a[i]
  Unbind,        // del a
  Append,        // a.append(b)
  SetSlot,       // a[i] = b
  RemoveSlot,    // del a[i]   (later items shift down, as list.pop(i))
  // Shape macros: build k new containers and bind the first to the name.
  Cycle,         // a = cycle k [payload]   a -> m2 -> ... -> mk -> a
  Chain,         // a = chain k [payload]   a -> m2 -> ... -> mk
  Clique,        // a = clique k [payload]  every member refers to every other member
  // The gc module.
  Collect,       // collect [g] [-> expected]   gc.collect(g), g defaults to 2
  SetThreshold,  // threshold t0 [t1 [t2]]     omitted values stay unchanged
  Enable,        // enable
  Disable,       // disable
  Freeze,        // freeze
  Unfreeze,      // unfreeze
  // Expectations a hand-written program asserts (checked against the model).
  ExpectCount,       // expect count c0 c1 c2
  ExpectThreshold,   // expect threshold t0 t1 t2
  ExpectAlive,       // expect alive <obj>
  ExpectDead,        // expect dead <obj>
  ExpectRefcount,    // expect refcount <obj> n
  ExpectGeneration,  // expect generation <obj> 0|1|2|permanent
  ExpectFreezeCount, // expect freeze_count n
  ExpectLive,        // expect live n      (allocated objects alive, small ints excluded)
  // Finalizers, weak references, gc.garbage (docs/design-finalizers.md).
  SetFinalizer,        // finalizer a: <effects>          a's __del__ (PEP 442)
  SetLegacyFinalizer,  // legacy_finalizer a              tp_del: uncollectable
  NewWeakref,          // w = weakref a [: <effects>]     target w, source a, callback
  Deref,               // b = w()                         target b, source w
  SetDebug,            // debug saveall | debug none      value 1 | 0
  ClearGarbage,        // clear garbage
  LoadGarbage,         // b = garbage[i]
  ExpectGarbage,       // expect garbage n                len(gc.garbage)
  ExpectFinalized,     // expect finalized <obj>          gc.is_finalized
  ExpectNotFinalized,  // expect not_finalized <obj>
  kCount
};
inline constexpr std::size_t kOpCodeCount = static_cast<std::size_t>(OpCode::kCount);

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

// One operation. Which fields matter depends on `code` (see OpCode's comments):
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
