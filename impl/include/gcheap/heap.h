// gcheap's object heap: reference counting plus CPython's cycle collector.
//
// Objects. Every object starts with a header of a reference count and a type
// pointer (16 bytes). Containers (lists, weakrefs) are tracked by the cycle
// collector and carry two more words before that header, the GC links (16
// bytes), as PyGC_Head does; atoms (ints, strs) hold no references and are
// never tracked.
// A list keeps one item in an inline slot and more in a separately allocated
// array, like CPython's list, and an inline payload of bytes owned by the
// embedder.
//
// Reference counting. Every reference held (a root of the embedder, a list
// slot) counts one. When a count reaches zero the object is destroyed at once:
// a list releases its items last to first, which can destroy them in turn.
// Destruction never recurses on the C stack: the dying lists form an explicit
// stack threaded through their own GC links, visited in the same depth-first
// order recursion would use, so a chain of ten million lists is freed in
// constant stack space.
//
// Finalizers and weak references (PEP 442, Modules/gc_weakref.txt). An object
// whose count reaches zero, in CPython's subtype_dealloc order:
//   1. its finalizer runs if it has one that has not run yet (FINALIZED is set
//      first), with its count 1 meanwhile and, if it is tracked, the object
//      moved to the end of generation 0 (even from an older or the frozen
//      generation); if the count is above zero afterwards it is resurrected
//      and stays there (a later death does not run the finalizer again);
//   2. every weakref to it is cleared (PyObject_ClearWeakRefs): its basic
//      weakref first, then the others newest first, and the callbacks run in
//      that order, each weakref held alive until all have run. Unless one
//      weakref is left once the callback-less ones at the head are cleared
//      (Config::weakref_clearing), a tuple holds them: a tracked, counted
//      container of its own, kept afterwards in a tuple free list of its
//      size (reused uncounted; a full collection frees them, each taking
//      one from count0 while it is above 0);
//   3. its slots are released last to first and its memory freed: the free
//      hook fires then, after the object's own finalizer and callbacks (and
//      after the deaths its slots caused, which come first, depth first).
// Finalizers and callbacks are embedder code and may do anything to the heap:
// objects they release are destroyed completely before they continue. Every
// function the heap calls back (finalizers, weakref callbacks, gc callbacks,
// the free and change hooks) is noexcept: an exception cannot leave one in
// the middle of a destruction or a collection, whose lists it would strand. They
// run at depth one from the destruction loop, so chains of objects with
// finalizers are freed without recursion too.
//
// The cycle collector (impl/src/gc.cc). Three generations plus a permanent
// (frozen) one, each an intrusive doubly linked list through the GC links.
// New lists join the end of generation 0. Allocating a list adds one to
// count0 and, when count0 > threshold0 with collection enabled, threshold0 != 0
// and no collection running, collects the oldest generation whose count exceeds
// its threshold (generation 2 only once the long-lived pending objects exceed a
// quarter of the long-lived total), before the new list is tracked; or, with
// Config::deferred_automatic_collection (CPython 3.12's _Py_ScheduleGC),
// only schedules that, and run_scheduled_collection() runs it later. A
// collection of generation g merges generations 0..g, finds the unreachable
// objects as CPython does (copy refcounts to gc_refs, subtract internal
// references, move the unreachable), moves the survivors to g+1, clears the
// garbage so that reference counting frees it, and returns what CPython's
// gc.collect() does: the unreachable objects it found, collected plus
// uncollectable. A collection requested while one runs returns 0.
//
// Object pools. Small ints -5..256 are shared objects owned by the heap. Freed
// lists with the default payload are kept on a free list (80 entries) and
// reused; the free list is emptied by every full collection.
//
// Memory comes from an Allocator the embedder owns, so the embedder can check
// after destroying the heap that nothing is left. Every full collection also
// trims the allocator: arenas idle since the previous full collection are
// unmapped (Allocator::trim).
//
// Out of memory (CPython's MemoryError). Every function that needs memory
// from the Allocator (new_list, new_str, new_int, new_weakref, list_append)
// either completes or throws std::bad_alloc having changed nothing an
// embedder can observe: no object made, no count changed, no collection run,
// no list changed, the heap's invariants kept; list_append still drops the
// item reference it was handed. An allocation counts for the collector (and
// may collect) only once its memory is obtained. What needs no memory cannot
// fail: a list from the free list, a small int, an append into spare
// capacity, a decref. Memory the heap needs to finish what it started, a
// destruction or a collection, which cannot be undone halfway, is never
// refused: PyObject_ClearWeakRefs's callbacks tuple is taken under
// Allocator::Unfailing. An Allocator's FailurePlan makes any of these requests
// fail, to test the embedder's error paths. The heap's bookkeeping outside
// the Allocator (gc.garbage, the side table of finalizers and weakrefs, the
// gc callbacks) is in std containers: no failure plan reaches them, and this
// guarantee does not cover the system refusing them memory.
//
// A Heap is single-threaded. Functions taking an Object* require a live object
// of the right kind; the heap does not check (an embedder-level adapter does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "gcheap/allocator.h"

namespace gcheap {

struct Type;

// The header every object starts with.
struct Object {
  std::intptr_t refcount;
  const Type* type;
};

enum class Kind : std::uint8_t { List, Str, Int, Weakref };

// Generation numbers; kPermanent is the frozen generation, kUntracked marks atoms.
inline constexpr int kGenerations = 3;
inline constexpr int kPermanent = 3;
inline constexpr int kUntracked = -1;

struct GenerationStats {
  std::int64_t collections = 0;
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
};

// What a gc callback is told, as in CPython's gc.callbacks info dict.
struct CollectionInfo {
  int generation = 0;
  std::int64_t collected = 0;      // 0 at start
  std::int64_t uncollectable = 0;  // 0 at start
};
enum class CollectionPhase : std::uint8_t { Start, Stop };

struct HeapStats {
  std::size_t lists_live = 0;  // allocated and not freed (free-listed ones excluded)
  std::size_t strs_live = 0;
  std::size_t ints_live = 0;   // small ints excluded
  std::size_t free_list_length = 0;
  std::size_t weakrefs_live = 0;
};

class Heap {
 public:
  struct Config {
    std::array<std::int64_t, kGenerations> thresholds{700, 10, 10};
    // An allocation over the threshold schedules the collection instead of
    // running it (run_scheduled_collection).
    bool deferred_automatic_collection = false;
    // CPython 3.8's check_garbage: a finalizer that resurrects one member of
    // the unreachable set keeps the whole set, uncounted, in the next
    // generation (from 3.9, only what is reachable again survives).
    bool resurrection_keeps_the_batch = false;
    // PyObject_ClearWeakRefs. StripsTwo (CPython 3.8 to 3.12): up to two
    // callback-less weakrefs at the head of the list are cleared first, and a
    // lone one left is called without a tuple. StripsBasic (3.13): only the
    // basic weakref is; any left go into the tuple.
    enum class WeakrefClearing : std::uint8_t { StripsTwo, StripsBasic };
    WeakrefClearing weakref_clearing = WeakrefClearing::StripsTwo;
    // The largest tuple the tuple free lists keep (19 up to 3.10, then 20).
    std::uint32_t tuple_free_list_sizes = 20;
    // The trashcan (impl/src/object.cc). NestedDeaths (CPython 3.8 to
    // 3.12): a dying list takes one level, and one is set aside at 50 levels;
    // they die when the outermost level ends. CRecursion (3.13): the levels
    // are units of C recursion, 10,000 of them: a list takes one, and one more
    // while its items go, a weakref callback's call and gc.collect one, the
    // eval breaker's collection (run_scheduled_collection) two; one is set
    // aside once 50 or fewer remain, and they die at any level's end that
    // leaves more than 100, one unit deeper each time.
    enum class Trashcan : std::uint8_t { NestedDeaths, CRecursion };
    Trashcan trashcan = Trashcan::NestedDeaths;
  };
  using FreeHook = void (*)(void* context, Object* dying) noexcept;
  using Callback = void (*)(void* context, CollectionPhase phase, const CollectionInfo& info) noexcept;

  // Throws std::bad_alloc when the small ints cannot be allocated (nothing
  // is left in the Allocator).
  explicit Heap(Allocator& allocator);
  Heap(Allocator& allocator, const Config& config);
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  // Frees the small ints and the free list. Objects still alive are not
  // freed (their memory goes when the Allocator does), so a leak stays visible
  // in the Allocator's stats.
  ~Heap();

  // --- allocation: each returns a new reference (refcount 1) --------------------
  // Payloads are not initialised, as PyObject_Malloc'd memory is not: the
  // embedder writes what it needs, and untouched pages of a large payload are
  // never faulted in. new_list may run an automatic collection first (see
  // the header comment). Out of memory, each throws std::bad_alloc having
  // changed nothing: new_list counts the allocation, and may collect, only
  // once it has the memory (a list from the free list needs none).
  Object* new_list(std::uint32_t payload_bytes);
  Object* new_str(std::uint32_t payload_bytes);
  // -5..256 return the shared small int (with a new reference), which needs
  // no memory and cannot fail.
  Object* new_int(std::int64_t value);

  // --- reference counting ----------------------------------------------------------
  static void incref(Object* o) { ++o->refcount; }
  void decref(Object* o) {
    if (change_hook_ != nullptr) change_hook_(change_context_, o, Change::State);  // coverage: no-hooks
    if (--o->refcount == 0) destroy(o);
  }

  // --- objects -----------------------------------------------------------------------
  static Kind kind(const Object* o);
  // True when o's type word names one of the heap's types. Reads only o's
  // header, so a verifier can test a handle that may be stale before it
  // follows anything else in the object.
  static bool has_valid_type(const Object* o);
  // Payload bytes of a list or str, owned by the embedder.
  static std::span<std::byte> payload(Object* o);
  static std::int64_t int_value(const Object* o);
  static std::size_t list_size(const Object* list);
  static Object* list_get(const Object* list, std::size_t i);  // borrowed reference
  // item: a new reference, taken. Out of memory (growing the item array),
  // throws std::bad_alloc with the list unchanged and that reference dropped.
  void list_append(Object* list, Object* item);
  void list_set(Object* list, std::size_t i, Object* item);    // drops the old item last
  // Shifts later items down. Never fails: if shrinking the item array is
  // refused, the list keeps the larger one.
  void list_remove(Object* list, std::size_t i);
  // list.clear() (CPython's _list_clear): the list is empty first, then its
  // items are dropped, last first, so code their deaths run sees it empty.
  void list_clear(Object* list);

  // --- finalizers and weak references (PEP 442, gc_weakref.txt) --------------------
  // A finalizer (__del__) runs at most once per object lifetime: when the
  // object's count reaches zero, or when a collection finds it unreachable.
  // It may store new references to `self` (resurrection): the object then
  // lives on. Setting one replaces the previous one; it costs the object no
  // extra bytes when it has none.
  using Finalizer = void (*)(void* context, Heap& heap, Object* self) noexcept;
  void set_finalizer(Object* o, Finalizer finalizer, void* context);
  // A legacy finalizer (tp_del): a collection never frees the object or what
  // it reaches; they count as uncollectable and the object goes to gc.garbage.
  void set_legacy_finalizer(Object* o);
  static bool is_finalized(const Object* o);  // gc.is_finalized
  // A weak reference to `referent`: a tracked object that holds no strong
  // reference. It is cleared when the referent dies; then `callback` (may be
  // null) runs with the weakref, unless the weakref is itself garbage.
  // Allocating one counts like a list allocation (and may collect first).
  // One made without a callback while its referent has no basic weakref is
  // the basic one (CPython's exact weakref.ref(referent), which an embedder
  // hands out again): it heads the referent's list, the others follow
  // newest first. Out of memory, throws std::bad_alloc before the referent is
  // touched (its weakrefs, its type) and before anything is counted.
  using WeakrefCallback = void (*)(void* context, Heap& heap, Object* weakref) noexcept;
  Object* new_weakref(Object* referent, WeakrefCallback callback, void* context);
  static Object* weakref_get(const Object* weakref);  // borrowed; nullptr once cleared

  // --- the gc module ------------------------------------------------------------------
  // gc.collect(generation): collected plus uncollectable (see above); -1 for
  // a generation outside 0..2.
  std::int64_t collect(int generation = 2);
  // The collection an allocation scheduled, if any (deferred automatic
  // collection), on the counts as they are now; nothing during a collection.
  void run_scheduled_collection();
  // gc.set_debug: with kDebugSaveAll, garbage goes to gc.garbage, not freed.
  static constexpr unsigned kDebugSaveAll = 32;
  void set_debug(unsigned flags);
  unsigned get_debug() const;
  // gc.garbage: the uncollectable objects that have a legacy finalizer (what
  // they reach is uncollectable too, but kept alive through them, as CPython's
  // handle_legacy_finalizers does), or with DEBUG_SAVEALL all the garbage:
  // per collection the collectable first, then the uncollectable. The heap
  // holds a reference to each; clear_garbage drops them last to first.
  std::size_t garbage_size() const;
  Object* garbage_get(std::size_t i) const;  // borrowed; nullptr past the end
  void clear_garbage();
  std::array<std::int64_t, kGenerations> get_count() const;
  std::array<std::int64_t, kGenerations> get_threshold() const;
  // Sets the first `arity` thresholds (1..3) from `values`.
  void set_threshold(int arity, const std::array<std::int64_t, kGenerations>& values);
  void enable();
  void disable();
  bool is_enabled() const;
  void freeze();
  void unfreeze();
  std::size_t get_freeze_count() const;
  static bool is_tracked(const Object* o);
  std::array<GenerationStats, kGenerations> get_stats() const;
  // Called with Start and Stop around every collection, in registration order.
  void add_callback(Callback callback, void* context);
  // Empties the list and tuple free lists (a full collection does this too).
  void clear_free_lists();

  // --- inspection ----------------------------------------------------------------------
  // Called just before any object's memory is released or free-listed
  // (weakrefs included), after its finalizer and weakref callbacks have run.
  void set_free_hook(FreeHook hook, void* context);
  // Visits the objects of generation g (0..2 or kPermanent) in list order.
  template <typename F>
  void for_each_in_generation(int g, F&& visit) const;
  // Visits the objects of generation g from its end, newest first, while
  // `visit` returns true: what a verifier needs to place the objects that
  // joined a list lately, which are all at its end.
  template <typename F>
  void for_each_in_generation_from_end(int g, F&& visit) const;

  // A verifier's view of what the heap changes (a write barrier for checking,
  // not for collecting). With a hook set, the heap calls it for every object
  // whose observable state it changes, as it changes it, possibly more than
  // once per object: State for its refcount (every decref, and the counts a
  // death or a finalizer sets), its items, its FINALIZED flag or a weakref's
  // referent; List when it joins, leaves or moves within a generation's
  // list (new objects included, and every member of the generations a
  // collection examines, freeze() and unfreeze() freeze or thaw). Increfs
  // the embedder makes itself (Heap::incref) are its own to note. Without a
  // hook each of these costs one test of a null pointer.
  enum class Change : std::uint8_t { State, List };
  using ChangeHook = void (*)(void* context, Object* o, Change change) noexcept;
  void set_change_hook(ChangeHook hook, void* context);
  HeapStats stats() const;
  Allocator& allocator() const { return allocator_; }

  struct State;  // generations, counts, free list: impl/src/heap_internal.h

 private:
  void destroy(Object* o);  // refcount reached zero
  struct GenerationCursor {
    const void* sentinel;
    const void* at;
  };
  GenerationCursor generation_begin(int g) const;
  static Object* generation_next(GenerationCursor& cursor);  // nullptr at the end
  static Object* generation_prev(GenerationCursor& cursor);  // nullptr at the start

  Allocator& allocator_;
  State* state_;
  ChangeHook change_hook_ = nullptr;  // also in State, for the internals
  void* change_context_ = nullptr;
};

template <typename F>
void Heap::for_each_in_generation(int g, F&& visit) const {
  GenerationCursor cursor = generation_begin(g);
  while (Object* o = generation_next(cursor)) visit(o);
}

template <typename F>
void Heap::for_each_in_generation_from_end(int g, F&& visit) const {
  GenerationCursor cursor = generation_begin(g);
  while (Object* o = generation_prev(cursor))
    if (!visit(o)) return;
}

}  // namespace gcheap
