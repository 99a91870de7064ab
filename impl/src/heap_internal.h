// gcheap's heap internals: object layouts and types, the GC header and its
// intrusive lists, the side table of finalizers and weak references, and
// Heap::State. Shared by the heap's .cc files, and by the unit tests that drive
// the collector's phases one by one.
//
// The GC header (GcHead) is CPython 3.8+'s PyGC_Head: two words in front of
// the object header.
//   next  the next object in its generation list, 0 when untracked. During a
//         collection, bit 0 (kNextMaskUnreachable) marks members of the
//         tentatively unreachable list, whose next links carry the flag.
//   prev  the previous object, with two flag bits below it (objects are at
//         least 8-byte aligned). Bit 0 (kPrevMaskFinalized) is PEP 442's
//         FINALIZED flag: it survives untracking, collections and the dying
//         stack, for the object's whole lifetime. Bit 1 (kPrevMaskCollecting)
//         marks the objects of the generations being collected. Between
//         update_refs and move_unreachable the pointer part holds gc_refs
//         instead, so the collector needs no side table.
// A container being destroyed is untracked (next == 0) and its prev word links
// it into the heap's stack of dying containers (or the trashcan's stack).
//
// Types. Each kind has a plain type and a "with extras" variant: an object
// that has a finalizer, a legacy finalizer or weak references pointing at it
// is switched to the variant and gets an entry in State::extras, a hash table
// keyed by object. Every other object pays nothing, and the hot paths
// (destruction, the collector's visits) test one bit of the type. Atoms have
// a third variant, "finalized", since they have no GC header for the flag.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "gcheap/heap.h"
#include "seeded_bugs_internal.h"

namespace gcheap {

struct Type {
  Kind kind;
  bool gc;          // has a GC header: tracked by the collector
  bool has_extras;  // has an entry in Heap::State::extras
  bool finalized;   // atoms only: the finalizer has run
  const char* name;
};
// The plain types (object.cc); their variants are reached through these.
extern const Type list_type;
// PyObject_ClearWeakRefs' tuple (list.cc): laid out as a list holding the
// weakrefs, with a payload of its CPython size; never a program object.
extern const Type tuple_type;
extern const Type weakref_type;
extern const Type str_type;
extern const Type int_type;
// The variant of t for an object that has extras (t itself if it has them).
const Type* with_extras(const Type* t);
// The variant of an atom's type once its finalizer has run.
const Type* finalized_atom(const Type* t);

// --- the GC header ---------------------------------------------------------------

struct GcHead {
  std::uintptr_t next;
  std::uintptr_t prev;
};
static_assert(sizeof(GcHead) == 16);

inline constexpr std::uintptr_t kNextMaskUnreachable = 1;
inline constexpr std::uintptr_t kPrevMaskFinalized = 1;
inline constexpr std::uintptr_t kPrevMaskCollecting = 2;
inline constexpr int kPrevShift = 2;
inline constexpr std::uintptr_t kPrevMask = ~std::uintptr_t{0} << kPrevShift;

inline GcHead* as_gc(const Object* o) {
  return reinterpret_cast<GcHead*>(const_cast<Object*>(o)) - 1;
}
inline Object* from_gc(GcHead* g) { return reinterpret_cast<Object*>(g + 1); }
inline const Object* from_gc(const GcHead* g) { return reinterpret_cast<const Object*>(g + 1); }
inline bool is_gc(const Object* o) { return o->type->gc; }

// Ignores NEXT_MASK_UNREACHABLE, so the unreachable list can be walked and
// its members unlinked before the flags are cleared (only move_unreachable
// and visit_reachable read the flag).
inline GcHead* gc_next(const GcHead* g) { return reinterpret_cast<GcHead*>(g->next & ~kNextMaskUnreachable); }
inline GcHead* gc_prev(const GcHead* g) { return reinterpret_cast<GcHead*>(g->prev & kPrevMask); }
inline void gc_set_next(GcHead* g, GcHead* next) { g->next = reinterpret_cast<std::uintptr_t>(next); }
// Keeps g's flag bits.
inline void gc_set_prev(GcHead* g, GcHead* prev) {
  g->prev = (g->prev & ~kPrevMask) | reinterpret_cast<std::uintptr_t>(prev);
}
inline bool gc_is_tracked(const GcHead* g) { return g->next != 0; }

// gc_refs, valid only between update_refs and move_unreachable.
inline std::intptr_t gc_get_refs(const GcHead* g) { return static_cast<std::intptr_t>(g->prev >> kPrevShift); }
inline void gc_set_refs(GcHead* g, std::intptr_t refs) {
  g->prev = (g->prev & ~kPrevMask) | (static_cast<std::uintptr_t>(refs) << kPrevShift);
}
// Starts a collection for g: gc_refs = refs and the collecting flag set
// (FINALIZED is kept).
inline void gc_reset_refs(GcHead* g, std::intptr_t refs) {
  g->prev = (g->prev & kPrevMaskFinalized) | kPrevMaskCollecting | (static_cast<std::uintptr_t>(refs) << kPrevShift);
}
inline void gc_decref(GcHead* g) { g->prev -= std::uintptr_t{1} << kPrevShift; }
inline bool gc_is_collecting(const GcHead* g) { return (g->prev & kPrevMaskCollecting) != 0; }
inline void gc_clear_collecting(GcHead* g) { g->prev &= ~kPrevMaskCollecting; }
inline bool gc_is_finalized(const GcHead* g) { return (g->prev & kPrevMaskFinalized) != 0; }
inline void gc_set_finalized(GcHead* g) { g->prev |= kPrevMaskFinalized; }

// --- intrusive lists of GC headers (generations, the unreachable set) -------------

inline void gc_list_init(GcHead* list) {
  gc_set_next(list, list);
  list->prev = reinterpret_cast<std::uintptr_t>(list);
}
inline bool gc_list_is_empty(const GcHead* list) { return gc_next(list) == list; }

inline void gc_list_append(GcHead* node, GcHead* list) {
  GcHead* last = gc_prev(list);
  gc_set_prev(node, last);
  gc_set_next(last, node);
  gc_set_next(node, list);
  list->prev = reinterpret_cast<std::uintptr_t>(node);
}

// Unlinks node and marks it untracked (_PyObject_GC_UNTRACK: only FINALIZED
// is kept).
inline void gc_list_remove(GcHead* node) {
  GcHead* prev = gc_prev(node);
  GcHead* next = gc_next(node);
  gc_set_next(prev, next);
  gc_set_prev(next, prev);
  node->next = 0;
  node->prev &= kPrevMaskFinalized;
}

// PyObject_GC_UnTrack: gc_list_remove, and nothing for an untracked node.
inline void gc_untrack(GcHead* node) {
  if (gc_is_tracked(node)) gc_list_remove(node);
}

// Moves node from whatever list it is in to the end of list.
inline void gc_list_move(GcHead* node, GcHead* list) {
  GcHead* from_prev = gc_prev(node);
  GcHead* from_next = gc_next(node);
  gc_set_next(from_prev, from_next);
  gc_set_prev(from_next, from_prev);
  gc_list_append(node, list);
}

// Appends all of from to the end of to; from becomes empty.
inline void gc_list_merge(GcHead* from, GcHead* to) {
  if (!gc_list_is_empty(from)) {
    GcHead* to_tail = gc_prev(to);
    GcHead* from_head = gc_next(from);
    GcHead* from_tail = gc_prev(from);
    gc_set_next(to_tail, from_head);
    gc_set_prev(from_head, to_tail);
    gc_set_next(from_tail, to);
    gc_set_prev(to, from_tail);
  }
  gc_list_init(from);
}

inline std::size_t gc_list_size(const GcHead* list) {
  std::size_t n = 0;
  for (const GcHead* g = gc_next(list); g != list; g = gc_next(g)) ++n;
  return n;
}

// --- object layouts ----------------------------------------------------------------

// A list of one item keeps it in inline_item, in the list's own block: CPython's
// list (56 bytes with its PyGC_Head) takes a 64-byte block, and the 8 bytes it
// leaves unused hold the item here. A one-item list then needs no item array
// (CPython allocates 4 slots for it), and the collector's visit of it reads
// one cache line instead of two.
struct ListObject {
  GcHead gc;
  Object ob;
  Object** items;  // &inline_item when allocated == 1; nullptr when allocated == 0
  std::uint32_t size;
  std::uint32_t allocated;
  std::uint32_t payload_bytes;  // the payload follows the struct
  Object* inline_item;
};
static_assert(offsetof(ListObject, ob) == sizeof(GcHead));
// The block CPython's list takes: 64 bytes (its 56 rounded to a size class).
static_assert(sizeof(ListObject) <= 64);

struct StrObject {
  Object ob;
  std::uint64_t payload_bytes;  // the payload follows the struct
};

struct IntObject {
  Object ob;
  std::int64_t value;
};

// A weak reference: tracked (it may sit in a cycle through the lists holding
// it), but it holds no strong reference. The weakrefs to one referent form a
// doubly linked list, newest first, headed in the referent's Extras.
struct WeakrefObject {
  GcHead gc;
  Object ob;
  Object* referent;       // nullptr once cleared
  WeakrefObject* older;   // next in the referent's list
  WeakrefObject* newer;   // previous in it; nullptr for the head
  Heap::WeakrefCallback callback;
  void* callback_context;
  bool basic;  // see Heap::new_weakref
};
static_assert(offsetof(WeakrefObject, ob) == sizeof(GcHead));

inline ListObject* as_list(const Object* o) {
  return reinterpret_cast<ListObject*>(reinterpret_cast<char*>(const_cast<Object*>(o)) -
                                       offsetof(ListObject, ob));
}
inline std::byte* list_payload(ListObject* list) { return reinterpret_cast<std::byte*>(list + 1); }
inline StrObject* as_str(const Object* o) { return reinterpret_cast<StrObject*>(const_cast<Object*>(o)); }
inline const IntObject* as_int(const Object* o) { return reinterpret_cast<const IntObject*>(o); }
inline WeakrefObject* as_weakref(const Object* o) {
  return reinterpret_cast<WeakrefObject*>(reinterpret_cast<char*>(const_cast<Object*>(o)) -
                                          offsetof(WeakrefObject, ob));
}

// Visits every item of a list, first to last (tp_traverse). The items of a
// long list are independent loads, likely misses in a large heap: each is
// requested kTraversePrefetch items before it is visited, so their misses
// overlap instead of following one another.
inline constexpr std::size_t kTraversePrefetch = 8;
template <typename Visit>
inline void list_traverse(const ListObject* list, Visit&& visit) {
  const std::size_t size = list->size;
  Object* const* items = list->items;
  for (std::size_t i = 0; i < size; ++i) {
    if (i + kTraversePrefetch < size) __builtin_prefetch(items[i + kTraversePrefetch], 1);
    visit(items[i]);
  }
}

// tp_traverse of any tracked object: a weakref holds no strong reference.
template <typename Visit>
inline void gc_traverse(const Object* o, Visit&& visit) {
  if (o->type->kind == Kind::List) list_traverse(as_list(o), visit);
}

// --- object pools ----------------------------------------------------------------------

inline constexpr std::int64_t kSmallIntMin = -5;
inline constexpr std::int64_t kSmallIntMax = 256;
inline constexpr std::size_t kSmallIntCount = kSmallIntMax - kSmallIntMin + 1;
inline constexpr std::size_t kListFreeListMax = 80;
// Only lists of this payload size are free-listed, so any free-listed list
// fits any request for the default payload.
inline constexpr std::uint32_t kListFreeListPayload = 16;
// The tuple free lists (Objects/tupleobject.c): by size, 2000 each.
inline constexpr std::uint32_t kTupleFreeListSizes = 20;
inline constexpr std::size_t kTupleFreeListMax = 2000;

// --- the heap's state ---------------------------------------------------------------

// --- finalizers and weak references -------------------------------------------------

// What an object with extras has; only such objects have an entry.
struct Extras {
  Heap::Finalizer finalizer = nullptr;
  void* finalizer_context = nullptr;
  bool legacy_finalizer = false;
  WeakrefObject* weakrefs = nullptr;  // newest first
};

struct Generation {
  GcHead head;  // sentinel of the generation's list
  std::int64_t threshold = 0;
  std::int64_t count = 0;
};

struct Heap::State {
  State(Allocator& allocator, const Config& config);
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Free functions of the heap's internals reach the state through this;
  // Heap::state_ is private, but State is Heap's member and may read it.
  static State& of(const Heap& heap) { return *heap.state_; }

  Allocator& allocator;

  // The collector (gc.cc).
  std::array<Generation, kGenerations> generations;
  Generation permanent;
  bool enabled = true;
  bool collecting = false;
  bool deferred_automatic_collection = false;  // Config's
  bool collection_scheduled = false;           // by an allocation, deferred
  bool resurrection_keeps_the_batch = false;   // Config's
  Heap::Config::WeakrefClearing weakref_clearing = Heap::Config::WeakrefClearing::StripsTwo;  // Config's
  std::uint32_t tuple_free_list_sizes = kTupleFreeListSizes;                                  // Config's
  std::int64_t long_lived_total = 0;    // survivors of the last full collection
  std::int64_t long_lived_pending = 0;  // moved into generation 2 since then
  std::array<GenerationStats, kGenerations> stats{};
  struct CallbackEntry {
    Callback callback;
    void* context;
  };
  std::vector<CallbackEntry> callbacks;

  // gc.set_debug flags and gc.garbage (a reference held to each).
  unsigned debug = 0;
  std::vector<Object*> garbage;

  // Destruction (object.cc): the stack of containers releasing their items,
  // and the trashcan: lists being destroyed (nesting) and those set aside
  // beyond its limit (trash), destroyed once the outermost level ends.
  GcHead* dying = nullptr;
  bool destroying = false;
  // Finalizers and callbacks run so far: a collection in which none ran
  // cannot have resurrected anything.
  std::uint64_t user_code_runs = 0;
  GcHead* trash = nullptr;
  int trash_depth = 0;  // in Config::trashcan's units
  // What a destruction loop still owes the trashcan once the dying stack is
  // back at `dying_below` (in the same run of embedder code): the rest of a
  // destroy-chain run (Chain), or a list subclass's second END (SubtypeEnd,
  // CRecursion only).
  struct TrashFrame {
    enum class Kind : std::uint8_t { Chain, SubtypeEnd };
    Kind kind;
    GcHead* dying_below;
    int user_code_depth;
  };
  std::vector<TrashFrame> trash_frames;
  Heap::Config::Trashcan trashcan = Heap::Config::Trashcan::NestedDeaths;  // Config's
  int user_code_depth = 0;  // UserCodeScopes open

  // Finalizers and weakrefs (finalizer.cc, weakref.cc).
  std::unordered_map<const Object*, Extras> extras;

  // Object pools (list.cc, atoms.cc).
  std::array<ListObject*, kListFreeListMax> list_free_list{};
  std::size_t list_free_list_length = 0;
  std::array<std::vector<ListObject*>, kTupleFreeListSizes + 1> tuple_free_lists;  // by size
  IntObject* small_ints = nullptr;  // one block of kSmallIntCount ints

  FreeHook free_hook = nullptr;
  void* free_hook_context = nullptr;
  ChangeHook change_hook = nullptr;  // see Heap::set_change_hook
  void* change_hook_context = nullptr;

  std::size_t lists_live = 0;
  std::size_t strs_live = 0;
  std::size_t ints_live = 0;
  std::size_t weakrefs_live = 0;
};

inline GcHead* generation_head(Heap::State& state, int g) { return &state.generations[g].head; }

// Tells a verifier that the heap changed o (Heap::set_change_hook).
inline void note_state(Heap::State& state, Object* o) {
  // coverage: no-hooks
  if (state.change_hook != nullptr) state.change_hook(state.change_hook_context, o, Heap::Change::State);  // coverage: no-hooks
}
inline void note_list(Heap::State& state, Object* o) {
  // coverage: no-hooks
  if (state.change_hook != nullptr) state.change_hook(state.change_hook_context, o, Heap::Change::List);  // coverage: no-hooks
}
// note_list for every member of a list, before it is merged elsewhere.
inline void note_list_members(Heap::State& state, const GcHead* list) {
  if (state.change_hook == nullptr) return;  // coverage: no-hooks
  for (GcHead* g = gc_next(list); g != list; g = gc_next(g)) note_list(state, from_gc(g));
}

// Tells the embedder an object's memory is about to be released or free-listed.
inline void call_free_hook(Heap::State& state, Object* o) {
  if (state.free_hook != nullptr) state.free_hook(state.free_hook_context, o);  // coverage: no-hooks
}

// Allocates n bytes from the heap's allocator, throwing std::bad_alloc when it
// has none (or its failure plan refuses them).
void* allocate_or_throw(Allocator& allocator, std::size_t n);  // heap.cc

// --- lists (list.cc) ------------------------------------------------------------------
// Releases a list's memory (its items are already released): free hook, gc
// count, then the free list or the allocator.
void list_dealloc(Heap::State& state, ListObject* list);
// tp_clear: empties the list first, then drops its items last to first.
void list_clear(Heap& heap, ListObject* list);
// PyTuple_New(size) for PyObject_ClearWeakRefs: from the tuple free list of
// that size (uncounted) or new (counted: may collect first); tracked, empty.
// Its memory is taken under Allocator::Unfailing (a dying object's).
ListObject* new_callbacks_tuple(Heap& heap, std::uint32_t size);
// Appends a weakref, whose reference the caller has taken; its memory too is
// taken under Allocator::Unfailing.
void callbacks_tuple_append(Heap::State& state, ListObject* tuple, WeakrefObject* wr);

// --- atoms (atoms.cc) -----------------------------------------------------------------
bool is_small_int(const Heap::State& state, const Object* o);
void small_ints_init(Heap::State& state);
void small_ints_free(Heap::State& state);
void atom_dealloc(Heap::State& state, Object* atom);

// --- the trashcan (object.cc) -------------------------------------------------------
// C recursion a call into C code takes: `units` under Config's CRecursion,
// none under NestedDeaths (where only deaths count). Held for a scope.
class CRecursionScope {
 public:
  CRecursionScope(Heap::State& state, int units)
      : state_(state), units_(state.trashcan == Heap::Config::Trashcan::CRecursion ? units : 0) {
    state.trash_depth += units_;
  }
  ~CRecursionScope() { state_.trash_depth -= units_; }
  CRecursionScope(const CRecursionScope&) = delete;
  CRecursionScope& operator=(const CRecursionScope&) = delete;

 private:
  Heap::State& state_;
  int units_;
};

// --- finalizers (finalizer.cc, extras.cc) -----------------------------------------------

// Runs embedder code (a finalizer, a weakref callback) the way CPython runs
// Python code from a deallocator: a decref in it destroys objects completely
// before it continues. The destruction under way (the dying stack) is set
// aside meanwhile and resumed afterwards.
class UserCodeScope {
 public:
  explicit UserCodeScope(Heap::State& state)
      : state_(state), dying_(state.dying), destroying_(state.destroying) {
    state.dying = nullptr;
    state.destroying = false;
    ++state.user_code_runs;
    ++state.user_code_depth;
  }
  ~UserCodeScope() {
    state_.dying = dying_;
    state_.destroying = destroying_;
    --state_.user_code_depth;
  }
  UserCodeScope(const UserCodeScope&) = delete;
  UserCodeScope& operator=(const UserCodeScope&) = delete;

 private:
  Heap::State& state_;
  GcHead* dying_;
  bool destroying_;
};

// The side table (extras.cc). The object's Extras, creating them (and
// switching its type) if needed.
Extras& add_extras(Heap::State& state, Object* o);
// nullptr when o has none.
Extras* find_extras(Heap::State& state, const Object* o);
// Drops o's entry, if any (it is being freed).
void remove_extras(Heap::State& state, const Object* o);
void set_finalized(Object* o);
// subtype_dealloc's part for an object with extras whose count reached zero:
// its finalizer (once), then, unless that resurrected it, its weakrefs are
// cleared and their callbacks run, and its entry goes. Returns false when the
// object lives on (resurrected, or a shared small int).
bool dealloc_extras(Heap& heap, Object* o);

// --- weakrefs (weakref.cc) ---------------------------------------------------------------
// _PyWeakref_ClearRef: unlinks wr from its referent (the callback is kept).
void clear_weakref(Heap::State& state, WeakrefObject* wr);
// Calls wr's callback with wr as embedder code.
void run_weakref_callback(Heap& heap, WeakrefObject* wr);
// PyObject_ClearWeakRefs: clears every weakref to o, the basic one first and
// then newest first, then runs their callbacks in that order, each weakref
// kept alive until all have run (by a tuple unless one is left: weakref.cc).
void clear_weakrefs(Heap& heap, Object* o);
void weakref_dealloc(Heap::State& state, WeakrefObject* wr);

// tp_clear of any tracked object (delete_garbage): a list drops its items, a
// weakref is cleared and forgets its callback.
void gc_clear(Heap& heap, Object* o);

// --- the collector (gc.cc) ------------------------------------------------------------
// _PyObject_GC_Link: counts a list allocation and may run an automatic
// collection; called before the new list is tracked.
void gc_link(Heap& heap);
// The deallocation half of the counts: count0 -= 1 unless already 0.
void gc_unlink_count(Heap::State& state);
inline void gc_track(Heap::State& state, ListObject* list) {
  gc_list_append(&list->gc, generation_head(state, 0));
  note_list(state, &list->ob);
}

// The phases of one collection, in order (see gc.cc).
// update_refs returns how many objects it saw.
std::size_t update_refs(GcHead* containers);
void subtract_refs(GcHead* containers);
// Steps 1 and 2 in one walk, for a list that holds every tracked object (a
// full collection with nothing frozen): a referent is young iff tracked, and
// its gc_refs are set on first touch. Returns how many objects it walked.
std::size_t update_and_subtract_refs(GcHead* containers);
// What move_unreachable saw: how many objects stayed, and whether any object
// it set aside has extras (a finalizer, weakrefs to it) or is a weakref.
struct UnreachableScan {
  std::size_t reachable = 0;
  bool needs_care = false;
};
UnreachableScan move_unreachable(GcHead* young, GcHead* unreachable);
void clear_unreachable_mask(GcHead* unreachable);
void move_legacy_finalizers(Heap::State& state, GcHead* unreachable, GcHead* finalizers);
void move_legacy_finalizer_reachable(GcHead* finalizers);
std::int64_t handle_weakrefs(Heap& heap, GcHead* unreachable, GcHead* old);
void finalize_garbage(Heap& heap, GcHead* collectable);
void handle_resurrected_objects(GcHead* unreachable, GcHead* still_unreachable, GcHead* old);
bool check_garbage(GcHead* unreachable);
void keep_the_batch(GcHead* unreachable, GcHead* old);
void delete_garbage(Heap& heap, GcHead* collectable, GcHead* old);
void handle_legacy_finalizers(Heap& heap, GcHead* finalizers, GcHead* old);
struct CollectionResult {
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
};
CollectionResult gc_collect_main(Heap& heap, int generation);
std::int64_t collect_generations(Heap& heap);

}  // namespace gcheap
