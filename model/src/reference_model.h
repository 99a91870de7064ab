// The reference model's state, shared by its four parts:
//   model.cc      the object store, the mutator's steps, gc.garbage's steps
//                 and observation;
//   refcount.cc   reference counting and death by refcount: finalizer,
//                 weakref callbacks, release of the items, free;
//   effects.cc    finalizers, weak references, and the bodies their user
//                 code runs;
//   collector.cc  the gc module: counts, thresholds, automatic and explicit
//                 collections with their finalizer and weakref phases, freeze.
// See gcverify/model.h for what the model promises.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gcverify/machine.h"
#include "gcverify/profile.h"

namespace gcv {

// Where a tracked object is, beyond generations 0..2 and the permanent one:
// the two lists a running collection moves unreachable objects into
// (CPython's `unreachable` and `finalizers`). Never observed between steps.
inline constexpr int kUnreachableList = kPermanentGeneration + 1;
inline constexpr int kFinalizersList = kPermanentGeneration + 2;

// One allocated object: what CPython's object header and body hold.
struct ModelObject {
  std::vector<ObjectKey> slots;  // containers only
  std::int64_t refcount = 0;
  std::int64_t int_value = 0;
  // Its place in its generation's list: objects are appended to a list with
  // an ever larger stamp, so a list's order is the order of their stamps.
  std::uint32_t list_position = 0;
  std::uint32_t payload = 0;
  std::int8_t generation = kUntracked;  // 0..2, kPermanentGeneration, a collection's list, or kUntracked
  ObjectKind kind = ObjectKind::Container;
  bool alive = false;
  // PEP 442 __del__: runs at most once in the object's lifetime.
  bool has_finalizer = false;
  bool finalized = false;
  bool legacy_finalizer = false;  // tp_del: uncollectable in a cycle
  bool changed = false;           // in changed_ (take_changed)

  // What few objects have, kept apart so that ten million plain ones stay
  // small: a finalizer's body, the weakrefs to the object and, for a weakref,
  // its referent and callback.
  struct Rare {
    std::vector<Op> finalizer;
    std::vector<Serial> weakrefs;  // live weakrefs to this object, oldest first
    ObjectKey referent;            // weakrefs only: {} once cleared
    std::optional<std::vector<Op>> callback;  // weakrefs only: none, or already run
    // Weakrefs only: made without a callback while its referent had no
    // basic weakref, so weakref.ref(referent) would hand this one back
    // (the others are the CPython adapter's Ref subclass). It heads its
    // referent's list in PyObject_ClearWeakRefs.
    bool basic = false;
  };
  std::unique_ptr<Rare> rare;
  Rare& rare_fields_to_change() {
    if (!rare) rare = std::make_unique<Rare>();
    return *rare;
  }
  const Rare& rare_fields() const {
    static const Rare kNone;
    return rare ? *rare : kNone;
  }
};
static_assert(sizeof(ModelObject) <= 64, "ten million model objects should stay within 640 MB");

// The gc module's own state (CPython's GCState).
struct GcModuleState {
  std::array<std::int64_t, 3> count{};
  std::array<std::int64_t, 3> threshold{700, 10, 10};
  bool enabled = true;
  bool collecting = false;
  bool scheduled = false;               // AtEvalBreaker: a collection waits for the eval breaker
  bool saveall = false;                 // DEBUG_SAVEALL
  std::int64_t long_lived_total = 0;    // survivors of the last full collection
  std::int64_t long_lived_pending = 0;  // moved into generation 2 since then
  std::array<GcStats, 3> stats{};
  std::vector<ObjectKey> garbage;       // gc.garbage: one reference per entry
};

// CPython's list free list (Objects/listobject.c), the model's whole rule for
// it: a freed list is kept for reuse while fewer than 80 are, a new list takes
// a kept one when there is one (before it is counted, so before any automatic
// collection its allocation triggers), and every generation-2 collection
// empties it (gc_collect_main's clear_freelists). Only its length is observed.
// Lists here carry an inline payload CPython's do not, and a kept block fits
// only a list of the same size: only default-payload lists are kept or taken
// (every CPython list is that case).
struct ListFreeList {
  static constexpr std::int64_t kCapacity = 80;  // PyList_MAXFREELIST
  std::int64_t length = 0;

  static bool keeps(std::uint32_t payload) { return payload == kDefaultPayload; }
  void list_freed(std::uint32_t payload) {
    if (keeps(payload) && length < kCapacity) length += 1;
  }
  void list_allocated(std::uint32_t payload) {
    if (keeps(payload) && length > 0) length -= 1;
  }
  void clear() { length = 0; }
};

// CPython's tuple free lists (Objects/tupleobject.c), for the one tuple a
// program makes: PyObject_ClearWeakRefs' (refcount.cc). A freed tuple of at
// most the profile's tuple_free_list_sizes items is kept while fewer than
// 2000 of its size are; a new one takes a kept one of its size, uncounted;
// a generation-2 collection frees them all at its end (clear_freelists),
// each taking one from count0 while it is above 0.
struct TupleFreeList {
  static constexpr std::int64_t kCapacity = 2000;  // PyTuple_MAXFREELIST
  static constexpr std::uint32_t kLargestSize = 20;
  std::array<std::int64_t, kLargestSize + 1> length{};  // by size

  bool take(std::uint32_t size) {
    if (size > kLargestSize || length[size] == 0) return false;
    length[size] -= 1;
    return true;
  }
  bool keep(std::uint32_t size, std::uint32_t largest_kept) {
    if (size > largest_kept || length[size] >= kCapacity) return false;
    length[size] += 1;
    return true;
  }
  std::int64_t total() const {
    std::int64_t n = 0;
    for (std::int64_t each : length) n += each;
    return n;
  }
};

// PyObject_ClearWeakRefs' tuple of (weakref, callback) pairs: a tracked
// container of `size` items that holds the weakrefs it lists while their
// callbacks run. Not a program object: it has no serial and is never
// observed, but it counts in count0, survives collections into older
// generations (long_lived_*), is frozen with the rest, and dies through the
// trashcan, which may set it aside with its references.
struct CallbacksTuple {
  bool alive = false;
  std::int8_t generation = kUntracked;
  std::uint32_t size = 0;
  std::vector<ObjectKey> items;  // only while the trashcan holds it
};

class ReferenceModel final : public Machine {
 public:
  ReferenceModel(const Profile& profile, Capabilities capabilities);
  std::string_view name() const override { return "model"; }
  // The model refuses no memory: it follows a system that does.
  Capabilities capabilities() const override { return capabilities_.without(Capability::MemoryFailures); }
  void reset(std::size_t name_count) override;

  // The steps (machine_steps.def); model.cc, effects.cc and collector.cc
  // define them.
#define GCV_STEP(id, result, method, parameters, names, arguments) result method parameters override;
#include "gcverify/machine_steps.def"
#undef GCV_STEP

  void eval_breaker() override;
  std::optional<ObjectKey> binding(NameIndex name) override;
  bool read_object(ObjectKey key, ObjectState& out) override;
  void objects(std::vector<ObjectState>& out) override;
  CollectorState collector_state() override;
  const std::vector<ObjectKey>& garbage() override;
  Serial next_serial() override;
  void take_events(std::vector<Event>& out) override;
  bool take_changed(std::vector<ObjectKey>& out) override;
  std::string teardown() override;
  void skip_effects(const std::vector<FailedEffect>& effects) override;

 private:
  // What the trashcan and deallocating_ hold: an object, a callbacks tuple,
  // or (deallocating_ only) a run of _PyTrash_thread_destroy_chain.
  struct Dying {
    enum class Kind : std::uint8_t { Object, Tuple, Chain };
    Kind kind = Kind::Object;
    std::uint32_t id = 0;  // the serial, or the tuple
  };

  // --- model.cc: objects and steps ---
  // Every change to an object goes through this: it records the object for
  // take_changed(). Reads go to objects_ directly.
  ModelObject& changing(Serial serial);
  void small_int_changing(ObjectKey key);
  Serial allocate(Serial serial, ObjectKind kind, std::uint32_t payload, std::int64_t int_value);
  void store_name(NameIndex dst, ObjectKey key);
  void move_into_name(NameIndex dst, ObjectKey key);
  void append_to(Serial list, ObjectKey item);
  void set_slot_of(Serial list, std::uint32_t index, ObjectKey item);
  void remove_slot_of(Serial list, std::uint32_t index);
  ModelObject* object_bound_to(NameIndex name);
  std::int64_t& small_int_refcount(ObjectKey key);
  const std::vector<Serial>& live();
  void audit_refcounts();
  void read_state(Serial serial, ObjectState& out) const;
  void read_small_int_state(ObjectKey key, ObjectState& out);
  void record(Event::Type type, Serial serial);

  // --- refcount.cc: references and deaths ---
  void add_ref(ObjectKey key);
  void hold(ObjectKey key);
  void drop_ref(ObjectKey key);
  void release_held(std::size_t base);
  void release_held_within(std::size_t base, std::size_t outer_deallocations);
  void begin_death(Serial serial);
  void clear_slots(std::vector<ObjectKey>& slots);
  bool survives_finalizer(Serial serial);
  void clear_weakrefs_to(Serial serial);
  std::vector<Serial> weakref_list_of(Serial serial) const;
  std::uint32_t new_callbacks_tuple(std::uint32_t size);
  void release_callbacks_tuple(std::uint32_t tuple, std::size_t items_begin);
  void begin_tuple_death(std::uint32_t tuple);
  bool trashcan_full() const;
  bool trashcan_has_room_to_empty() const;
  void begin_set_aside(Dying dying);
  int c_recursion_units(int units) const;
  void free_callbacks_tuple(std::uint32_t tuple);
  void free_object(Serial serial);

  // --- effects.cc: user code ---
  void new_weakref_to(NameIndex dst, Serial serial, ObjectKey target, const std::vector<Op>* callback);
  void deref_of(NameIndex dst, Serial weakref);
  void run_finalizer(Serial serial);
  void run_callback(Serial weakref);
  void run_body(ObjectKey self, const std::vector<Op>& body);
  bool skipped(ObjectKey self, std::uint32_t index);
  void clear_weakref(Serial weakref);

  // --- collector.cc: the gc module ---
  static bool is_tracked_kind(ObjectKind kind);
  void track(Serial serial, int generation);
  void untrack(Serial serial);
  void container_allocated();
  void container_freed();
  void collect_automatically();
  std::int64_t collect_unless_collecting(int generation);
  std::int64_t collect_generation(int generation);
  std::vector<Serial> generation_list(int generation);
  void count_frozen(int from, int to);
  std::int64_t move_callbacks_tuples(int from_up_to, int to);
  void clear_free_lists();
  std::vector<Serial> collection_list(int generation);
  std::vector<Serial> members_still_in(const std::vector<Serial>& list, int where);
  struct Partition {
    std::vector<Serial> reachable;    // in the order CPython's list walk leaves them
    std::vector<Serial> unreachable;  // in list order
  };
  Partition find_unreachable(const std::vector<Serial>& candidates);
  std::vector<Serial> move_legacy_finalizers(const std::vector<Serial>& unreachable);
  std::int64_t handle_weakrefs(const std::vector<Serial>& unreachable, int older);
  void finalize_garbage(const std::vector<Serial>& unreachable);
  std::vector<Serial> handle_resurrected_objects(const std::vector<Serial>& unreachable, int older);
  void delete_garbage(const std::vector<Serial>& garbage, int older);
  std::int64_t handle_legacy_finalizers(const std::vector<Serial>& finalizers, int older);

  const Profile& profile_;  // the CPython version whose rules apply
  // The capabilities of the machine it is checked against: without
  // Generations every collection is full and none automatic, without
  // SmallInts every int is allocated.
  const Capabilities capabilities_;
  std::vector<std::optional<ObjectKey>> names_;
  std::deque<ModelObject> objects_;  // indexed by serial; [0] is never used; grows without moving
  // Serials of the live objects, ascending (serials only grow), plus dead ones
  // not yet dropped: live() drops them before anyone iterates.
  std::vector<Serial> live_;
  Serial highest_serial_ = 0;         // of every allocation so far, executor's or an effect's
  std::uint32_t list_clock_ = 0;      // the last list_position handed out (a run tracks
                                      // objects fewer than 2^32 times)
  // The lists of generations 0..2 and the permanent one, as (serial,
  // list_position) in list order: an entry stands while its object is alive
  // and still at that position of that list (track() appends a new entry
  // and leaves the old one to be dropped), so a collection reads only what
  // was tracked into the generations it collects.
  struct ListEntry {
    Serial serial;
    std::uint32_t position;
  };
  std::array<std::vector<ListEntry>, kPermanentGeneration + 1> generation_lists_;
  std::int64_t frozen_ = 0;           // objects in the permanent generation
  std::vector<std::uint32_t> vertex_of_;  // find_unreachable's serial -> vertex, all 0 between calls
  std::array<std::int64_t, kSmallIntMax - kSmallIntMin + 1> small_int_refs_;
  // References the machinery itself holds for a while, each one count on its
  // target: a finalizer's self, a weakref whose callback is due, the items of
  // a list being cleared or deallocated that are not released yet. They are
  // roots like names, and they are released last first (release_held).
  std::vector<ObjectKey> held_;
  // Body operations the system under test skipped for MemoryError in the
  // step running (skip_effects): run_body skips them too.
  std::vector<FailedEffect> skipped_effects_;
  // Deaths in progress, innermost last: their items sit on held_ from
  // `items_begin` up; once those are released the object is freed and its
  // trashcan ENDs give back what it took (`ends`: the units still taken).
  struct Deallocation {
    Dying dying;
    std::size_t items_begin;
    std::uint8_t ends = 0;
    bool freed = false;
  };
  std::vector<Deallocation> deallocating_;
  static constexpr int kTrashcanLevels = 50;       // _PyTrash_UNWIND_LEVEL (NestedDeaths)
  static constexpr int kCRecursionLimit = 10000;   // Py_C_RECURSION_LIMIT (CRecursion)
  static constexpr int kTrashcanHeadroom = 50;     // Py_TRASHCAN_HEADROOM (CRecursion)
  // CPython's trashcan (see refcount.cc): how deep the deaths in progress
  // are, in the profile's units (nested deaths, or C recursion), and what it
  // set aside, newest last.
  struct Trashcan {
    int depth = 0;
    std::vector<Dying> deferred;
  };
  Trashcan trashcan_;
  GcModuleState gc_;
  ListFreeList list_free_list_;
  TupleFreeList tuple_free_list_;
  std::vector<CallbacksTuple> callbacks_tuples_;  // by id; a dead one's slot is reused
  std::vector<Event> events_;
  std::vector<ObjectKey> changed_;  // since the last take_changed()
  std::array<bool, kSmallIntMax - kSmallIntMin + 1> small_int_changed_{};
  std::vector<ObjectKey> garbage_in_key_order_;  // what garbage() returns
};

}  // namespace gcv
