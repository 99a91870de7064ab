// The Machine interface: what the executor drives and observes.
//
// The reference model and every system under test implement it. The executor
// expands a program's operations into the primitive steps below, calls them on
// both machines in lockstep, and compares what they report. A step is only
// called with valid operands: names bound, the container operand bound to a
// container, slot indices in range. Adapters may therefore assume validity.
//
// Objects are named by ObjectKey: allocated objects by their serial, the shared
// small ints by their value. Observations must be exact: refcounts are the
// number of references held by names and by container slots (plus one for the
// small-int cache's own reference); sys.getrefcount would print one more.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gcverify/capabilities.h"
#include "gcverify/program.h"

namespace gcv {

// raw > 0: an allocated object's serial. raw < 0: a shared small int
// (-1 is -5, -262 is 256). raw == 0: an object the system under test cannot
// name (a slot pointing at freed memory). Use the helpers, not the encoding.
struct ObjectKey {
  std::int64_t raw = 0;

  static ObjectKey serial(Serial s) { return {static_cast<std::int64_t>(s)}; }
  static ObjectKey small_int(std::int64_t v) { return {-(v - kSmallIntMin) - 1}; }
  bool is_serial() const { return raw > 0; }
  Serial as_serial() const { return static_cast<Serial>(raw); }
  std::int64_t small_int_value() const { return -raw - 1 + kSmallIntMin; }
  std::string to_string() const;  // "#12" or "int(5)"

  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
};

enum class ObjectKind : std::uint8_t { Container, Str, Int, Weakref };
const char* to_string(ObjectKind kind);

// Generation of an object: 0..2, kPermanentGeneration when frozen, or
// kUntracked for objects the collector never tracks (atoms).
inline constexpr int kUntracked = -1;

struct ObjectState {
  ObjectKey key;
  ObjectKind kind = ObjectKind::Container;
  std::int64_t refcount = 0;
  int generation = kUntracked;
  std::uint32_t payload = 0;       // payload bytes (containers and strs)
  std::int64_t int_value = 0;      // ints only
  std::vector<ObjectKey> slots;    // containers only, in slot order
  ObjectKey referent;              // weakrefs only: the referent, {} once cleared
  bool has_finalizer = false;      // a __del__ (PEP 442) is set
  bool finalized = false;          // gc.is_finalized: the __del__ has run
  // False when the system saw its stored serial stamp or payload damaged:
  // a premature free whose block was reused, or a wild write.
  bool intact = true;
  friend bool operator==(const ObjectState&, const ObjectState&) = default;
};

// A generation as the language spells it: "0", "1", "2", "permanent" or
// "untracked" (never 3 or -1).
std::string generation_name(int generation);

// "{#3, int(5)}" and "#12 list refcount 2 generation 1 payload 16 slots {#3}".
std::string to_string(const std::vector<ObjectKey>& keys);
std::string to_string(const ObjectState& state);

struct GcStats {
  std::int64_t collections = 0;
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
  friend bool operator==(const GcStats&, const GcStats&) = default;
};

// Everything the gc module reports, and the collector's effect on the list free list.
struct CollectorState {
  std::array<std::int64_t, 3> count{};
  std::array<std::int64_t, 3> threshold{};
  bool enabled = true;
  std::array<GcStats, 3> stats{};
  std::int64_t freeze_count = 0;
  // Lists held in the list free list (Objects/listobject.c's free_list, at
  // most 80), which every generation-2 collection empties (clear_freelists).
  // Not part of the gc module's API, but what a full collection does to it is.
  std::int64_t list_free_list = 0;
  friend bool operator==(const CollectorState&, const CollectorState&) = default;
};

// What happened during a step, in order.
struct Event {
  enum class Type : std::uint8_t {
    Freed,            // `key` was deallocated
    CollectionStart,  // a collection of `generation` began
    CollectionStop,   // it ended: `collected`, `uncollectable`
    Finalized,        // `key`'s __del__ ran
    CallbackRan,      // the callback of weakref `key` ran
  };
  Type type = Type::Freed;
  ObjectKey key;
  int generation = 0;
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
  friend bool operator==(const Event&, const Event&) = default;
};

// What take_events and take_changed do with a machine's own record: append
// it to `out` and empty it. Into an empty `out` by exchanging buffers, so a
// cascade of ten million deaths is not copied and neither side allocates.
template <typename T>
void hand_over(std::vector<T>& record, std::vector<T>& out) {
  if (out.empty()) out.swap(record);
  else out.insert(out.end(), record.begin(), record.end());
  record.clear();
}

class Machine {
 public:
  virtual ~Machine() = default;
  virtual std::string_view name() const = 0;
  // What this machine implements and observes (capabilities.h): every
  // capability but memory_failures unless it says otherwise (a machine
  // declares memory_failures itself, with fail_memory). The executor runs on
  // it only programs within them, and compares only what both machines
  // observe.
  virtual Capabilities capabilities() const { return Capabilities::all().without(Capability::MemoryFailures); }

  // Number of names, including the executor's scratch names. Called once,
  // before any step; all names start unbound.
  virtual void reset(std::size_t name_count) = 0;

  // --- steps ---------------------------------------------------------------------
  // new_container, bind, append, collect, set_threshold, new_weakref...: one
  // pure virtual method per row of machine_steps.def, which says what each
  // does and when the executor calls it.
  // The steps of a capability (GCV_OPTIONAL_STEP rows) have a definition
  // that a machine without the capability keeps: the executor never calls
  // it, and if anything else does, it says so and aborts.
#define GCV_STEP(id, result, method, parameters, names, arguments) virtual result method parameters = 0;
  // coverage: defensive
#define GCV_OPTIONAL_STEP(id, result, method, parameters, names, arguments) \
  virtual result method parameters {                                         \
    ignore_arguments names;                                                  \
    step_outside_capabilities(#method, OpCode::id);                          \
  }
#include "gcverify/machine_steps.def"
#undef GCV_OPTIONAL_STEP
#undef GCV_STEP

  // The eval-breaker point, which apply_step reaches after every step (so
  // after each element of a shape, as a loop's backward jump would, and
  // never inside a finalizer body or a callback): where a collection that
  // an allocation scheduled runs under a profile whose automatic collection
  // is AtEvalBreaker (CPython 3.12 on, profile.h). Nothing otherwise.
  virtual void eval_breaker() {}

  // --- out of memory (the memory_failures capability) ----------------------------
  // Python's MemoryError. A step that cannot get the memory it needs throws
  // std::bad_alloc, having left everything as if it had not run: no object
  // made and the name keeping its old binding, a list that could not grow
  // unchanged. The executor accepts that only from a step that needs memory
  // (Step::needs_memory), and the model then does not run the step. Inside
  // user code (a finalizer's body, a weakref's callback) the operation that
  // cannot get memory is skipped and the body goes on: the machine reports it
  // through take_failed_effects, and the executor has the model skip it too.
  //
  // Refuses, until the next reset or call, the requests of memory `failures`
  // names, counted from the first request after this call (the executor
  // calls it right after reset, for a program with a `# fail:` line, and
  // around operation N for `# fail: operation N`: never with that mode). No
  // failures: nothing more is refused. Only a machine that declares
  // memory_failures is called.
  virtual void fail_memory(const MemoryFailures& failures) {  // coverage: defensive
    (void)failures;
    memory_failures_outside_capabilities();
  }
  // The requests of memory made since the last reset, and how many of them
  // were refused: what an oom sweep counts its failure points over. `rare`
  // numbers the requests whose error paths a sample of the requests would
  // likely miss (gcheap's arena mappings): a sampled sweep includes them.
  struct MemoryRequests {
    std::uint64_t requests = 0;
    std::uint64_t refused = 0;
    std::vector<std::uint64_t> rare;
  };
  virtual MemoryRequests memory_requests() { return {}; }
  // An operation of user code skipped for MemoryError: the `index`-th
  // operation of the body of `self` (the object whose finalizer ran, or the
  // weakref whose callback ran; each runs at most once, so the pair names
  // one run of one operation).
  struct FailedEffect {
    ObjectKey self;
    std::uint32_t index = 0;
    friend bool operator==(const FailedEffect&, const FailedEffect&) = default;
  };
  // Appends the effects skipped for MemoryError since the last call and
  // forgets them.
  virtual void take_failed_effects(std::vector<FailedEffect>& out) { (void)out; }
  // The effects the system under test skipped in the step about to run
  // here, which this machine (the model) skips too when it comes to them.
  virtual void skip_effects(const std::vector<FailedEffect>& effects) { (void)effects; }

  // --- observation -------------------------------------------------------------
  virtual std::optional<ObjectKey> binding(NameIndex name) = 0;
  // The state of one live object into `out`, reusing its storage (the executor
  // calls this after every operation, so it must not allocate once warm);
  // false when the object is not alive.
  virtual bool read_object(ObjectKey key, ObjectState& out) = 0;
  // How many slots the live container `key` has (read_object's slots.size()),
  // or nullopt when it is not a live, intact container. The executor asks
  // before every step that indexes a slot; a machine whose read_object is
  // costly answers this more cheaply.
  virtual std::optional<std::size_t> slot_count(ObjectKey key) {
    ObjectState state;
    if (!read_object(key, state) || !state.intact || state.kind != ObjectKind::Container) return std::nullopt;
    return state.slots.size();
  }
  // Every live allocated object, plus every small int referenced by the
  // program (refcount above the cache's own reference), sorted by key. `out`
  // is replaced; implementations reuse its elements' storage.
  virtual void objects(std::vector<ObjectState>& out) = 0;
  virtual CollectorState collector_state() = 0;
  // gc.garbage's entries in key order. (Its own order follows the
  // collector's lists, which CPython's move_unreachable perturbs; the
  // contract leaves it open, and `b = garbage[i]` means this order.)
  // The entries stay valid until the machine is next called: the machine
  // keeps their storage, so the executor's look after every step allocates
  // nothing.
  virtual const std::vector<ObjectKey>& garbage() = 0;
  // The serial the next allocation made inside the machine (by an effect)
  // takes; the executor gives the model's to both machines' next allocation.
  virtual Serial next_serial() = 0;
  // Appends the events since the last call and forgets them.
  virtual void take_events(std::vector<Event>& out) = 0;
  // Appends the keys of the objects whose state may have changed since the
  // last call (in any order, possibly repeated) and forgets them: objects
  // allocated or freed, and those whose refcount, generation, slots,
  // finalized flag or referent changed, however they changed (a cascade of
  // deaths, a collection, user code). What this names is what the executor's
  // default check compares after a step, so it must be complete: a change it
  // leaves out goes unseen until an exhaustive check. Returns false when the
  // machine keeps no such record; the executor then compares every live
  // object instead.
  virtual bool take_changed(std::vector<ObjectKey>& out) {
    (void)out;
    return false;
  }

  // Drops every name, clears gc.garbage, switches legacy finalizers off (as an
  // interpreter at exit releases what it could not collect), collects, and
  // releases everything the machine holds. Returns a description of anything
  // left over (a leak), empty when clean.
  virtual std::string teardown() = 0;

  // read_object as a value, for callers off the hot path.
  std::optional<ObjectState> object(ObjectKey key) {
    ObjectState state;
    if (!read_object(key, state)) return std::nullopt;
    return state;
  }
 private:
  template <typename... Arguments>
  static void ignore_arguments(const Arguments&...) {}  // coverage: defensive
  // Aborts naming the machine, the step and the capability it belongs to.
  [[noreturn]] void step_outside_capabilities(const char* method, OpCode code) const;
  [[noreturn]] void memory_failures_outside_capabilities() const;
};

// A primitive step: one call on the Machine interface, which apply_step
// makes. The executor makes one of every operation but the shapes (expanded
// into several) and the expectations (checked against the model).
struct Step {
  using Kind = OpCode;
  Kind kind = Kind::Collect;
  NameIndex target = 0;
  NameIndex source = 0;
  std::uint32_t index = 0;
  std::uint32_t size = 0;
  // Allocations take their serial when they run (effects run inside the
  // machines allocate too): the model's next_serial(), given to both.
  Serial serial = 0;
  std::int64_t value = 0;
  int arity = 3;
  std::array<std::int64_t, 3> values{};
  int generation = 2;
  // SetFinalizer: the op's body; NewWeakref: its callback, nullptr for none.
  const std::vector<Op>* body = nullptr;

  // Whether the step allocates an object (which takes a serial) on a machine
  // with `capabilities`: without SmallInts every int is allocated.
  bool allocates(Capabilities capabilities = Capabilities::all()) const {
    return kind == Kind::NewContainer || kind == Kind::NewStr || kind == Kind::NewWeakref ||
           (kind == Kind::NewInt && (value < kSmallIntMin || value > kSmallIntMax || !capabilities.has(Capability::SmallInts)));
  }
  // Whether the step may need memory, and so fail with MemoryError: an
  // allocation, or an append (the list's items may have to grow).
  bool needs_memory(Capabilities capabilities = Capabilities::all()) const {
    return allocates(capabilities) || kind == Kind::Append;
  }
};

// Every operation has a step but the shapes (the only ones with a count)
// and the expectations.
static_assert(
    [] {
      bool has_step[kOpCodeCount] = {};
#define GCV_STEP(id, ...) has_step[static_cast<std::size_t>(OpCode::id)] = true;
#include "gcverify/machine_steps.def"
#undef GCV_STEP
      for (std::size_t c = 0; c < kOpCodeCount; ++c)
        if (has_step[c] == (kOperations[c].expectation || (kOperations[c].operands & kCount) != 0)) return false;
      return true;
    }(),
    "machine_steps.def: one step for every operation but the shapes and the expectations");

// The optional steps are exactly those of operations that need a capability.
static_assert(
    [] {
      bool consistent = true;
#define GCV_STEP(id, ...) consistent = consistent && kOperationNeeds[static_cast<std::size_t>(OpCode::id)].empty();
#define GCV_OPTIONAL_STEP(id, ...) consistent = consistent && !kOperationNeeds[static_cast<std::size_t>(OpCode::id)].empty();
#include "gcverify/machine_steps.def"
#undef GCV_OPTIONAL_STEP
#undef GCV_STEP
      return consistent;
    }(),
    "machine_steps.def: GCV_OPTIONAL_STEP rows are the steps of operations that need a capability");

// A step call's result as apply_step returns it: collect()'s, else 0.
template <typename Call>
std::int64_t step_result(Call&& call) {
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    return 0;
  } else {
    return call();
  }
}

// Calls `s` on `m` (machine_steps.def's row for its kind), then m's
// eval-breaker point; returns collect()'s result for Collect, else 0.
inline std::int64_t apply_step(Machine& m, const Step& s) {
  std::int64_t result = 0;
  switch (s.kind) {
#define GCV_STEP(id, result_type, method, parameters, names, arguments) \
  case Step::Kind::id: result = step_result([&] { return m.method arguments; }); break;
#include "gcverify/machine_steps.def"
#undef GCV_STEP
    default: break;  // shapes and expectations are never steps
  }
  m.eval_breaker();
  return result;
}

}  // namespace gcv
