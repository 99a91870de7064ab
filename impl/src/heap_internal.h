// gcheap's heap internals: object layouts, the GC header and its intrusive
// lists, and Heap::State. Shared by object.cc, list.cc, atoms.cc, gc.cc and
// heap.cc, and by the unit tests that drive the collector's phases one by one.
//
// The GC header (GcHead) is CPython 3.8+'s PyGC_Head: two words in front of
// the object header.
//   next  the next object in its generation list, 0 when untracked. During a
//         collection, bit 0 (kNextMaskUnreachable) marks members of the
//         tentatively unreachable list, whose next links carry the flag.
//   prev  the previous object, with two flag bits below it (objects are at
//         least 8-byte aligned). Bit 1 (kPrevMaskCollecting) marks the objects
//         of the generations being collected; bit 0 is left free for PEP 442's
//         FINALIZED flag. Between update_refs and move_unreachable the pointer
//         part holds gc_refs instead, so the collector needs no side table.
// A list being destroyed is untracked (next == 0) and its prev word links it
// into the heap's stack of dying lists.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gcheap/heap.h"

namespace gcheap {

struct Type {
  Kind kind;
  const char* name;
};
extern const Type list_type;  // list.cc
extern const Type str_type;   // atoms.cc
extern const Type int_type;   // atoms.cc

// --- the GC header ---------------------------------------------------------------

struct GcHead {
  std::uintptr_t next;
  std::uintptr_t prev;
};
static_assert(sizeof(GcHead) == 16);

inline constexpr std::uintptr_t kNextMaskUnreachable = 1;
inline constexpr std::uintptr_t kPrevMaskCollecting = 2;
inline constexpr int kPrevShift = 2;
inline constexpr std::uintptr_t kPrevMask = ~std::uintptr_t{0} << kPrevShift;

inline GcHead* as_gc(const Object* o) {
  return reinterpret_cast<GcHead*>(const_cast<Object*>(o)) - 1;
}
inline Object* from_gc(GcHead* g) { return reinterpret_cast<Object*>(g + 1); }
inline bool is_gc(const Object* o) { return o->type == &list_type; }

inline GcHead* gc_next(const GcHead* g) { return reinterpret_cast<GcHead*>(g->next); }
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
// Starts a collection for g: gc_refs = refs and the collecting flag set.
inline void gc_reset_refs(GcHead* g, std::intptr_t refs) {
  g->prev = kPrevMaskCollecting | (static_cast<std::uintptr_t>(refs) << kPrevShift);
}
inline void gc_decref(GcHead* g) { g->prev -= std::uintptr_t{1} << kPrevShift; }
inline bool gc_is_collecting(const GcHead* g) { return (g->prev & kPrevMaskCollecting) != 0; }
inline void gc_clear_collecting(GcHead* g) { g->prev &= ~kPrevMaskCollecting; }

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

// Unlinks node and marks it untracked.
inline void gc_list_remove(GcHead* node) {
  GcHead* prev = gc_prev(node);
  GcHead* next = gc_next(node);
  gc_set_next(prev, next);
  gc_set_prev(next, prev);
  node->next = 0;
  node->prev = 0;
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

struct ListObject {
  GcHead gc;
  Object ob;
  Object** items;  // nullptr when allocated == 0
  std::uint32_t size;
  std::uint32_t allocated;
  std::uint32_t payload_bytes;  // the payload follows the struct
};
static_assert(offsetof(ListObject, ob) == sizeof(GcHead));
// No larger than CPython's list with its PyGC_Head (16 + 16 + 3 * 8 bytes).
static_assert(sizeof(ListObject) <= 56);

struct StrObject {
  Object ob;
  std::uint64_t payload_bytes;  // the payload follows the struct
};

struct IntObject {
  Object ob;
  std::int64_t value;
};

inline ListObject* as_list(const Object* o) {
  return reinterpret_cast<ListObject*>(reinterpret_cast<char*>(const_cast<Object*>(o)) -
                                       offsetof(ListObject, ob));
}
inline std::byte* list_payload(ListObject* list) { return reinterpret_cast<std::byte*>(list + 1); }
inline StrObject* as_str(const Object* o) { return reinterpret_cast<StrObject*>(const_cast<Object*>(o)); }
inline const IntObject* as_int(const Object* o) { return reinterpret_cast<const IntObject*>(o); }

// Visits every item of a list, first to last (tp_traverse).
template <typename Visit>
inline void list_traverse(const ListObject* list, Visit&& visit) {
  for (std::size_t i = 0; i < list->size; ++i) visit(list->items[i]);
}

// --- object pools ----------------------------------------------------------------------

inline constexpr std::int64_t kSmallIntMin = -5;
inline constexpr std::int64_t kSmallIntMax = 256;
inline constexpr std::size_t kSmallIntCount = kSmallIntMax - kSmallIntMin + 1;
inline constexpr std::size_t kListFreeListMax = 80;
// Only lists of this payload size are free-listed, so any free-listed list
// fits any request for the default payload.
inline constexpr std::uint32_t kListFreeListPayload = 16;

// --- the heap's state ---------------------------------------------------------------

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
  std::int64_t long_lived_total = 0;    // survivors of the last full collection
  std::int64_t long_lived_pending = 0;  // moved into generation 2 since then
  std::array<GenerationStats, kGenerations> stats{};
  struct CallbackEntry {
    Callback callback;
    void* context;
  };
  std::vector<CallbackEntry> callbacks;

  // Destruction (object.cc): the stack of lists releasing their items.
  ListObject* dying = nullptr;
  bool destroying = false;

  // Object pools (list.cc, atoms.cc).
  std::array<ListObject*, kListFreeListMax> list_free_list{};
  std::size_t list_free_list_length = 0;
  IntObject* small_ints = nullptr;  // one block of kSmallIntCount ints

  FreeHook free_hook = nullptr;
  void* free_hook_context = nullptr;

  std::size_t lists_live = 0;
  std::size_t strs_live = 0;
  std::size_t ints_live = 0;
};

inline GcHead* generation_head(Heap::State& state, int g) { return &state.generations[g].head; }

// Tells the embedder an object's memory is about to be released or free-listed.
inline void call_free_hook(Heap::State& state, Object* o) {
  if (state.free_hook != nullptr) state.free_hook(state.free_hook_context, o);
}

// Allocates n bytes from the heap's allocator, throwing std::bad_alloc when it
// has none.
void* allocate_or_throw(Allocator& allocator, std::size_t n);  // heap.cc

// --- lists (list.cc) ------------------------------------------------------------------
// Releases a list's memory (its items are already released): free hook, gc
// count, then the free list or the allocator.
void list_dealloc(Heap::State& state, ListObject* list);
// tp_clear: empties the list first, then drops its items last to first.
void list_clear(Heap& heap, ListObject* list);

// --- atoms (atoms.cc) -----------------------------------------------------------------
void small_ints_init(Heap::State& state);
void small_ints_free(Heap::State& state);
void atom_dealloc(Heap::State& state, Object* atom);

// --- the collector (gc.cc) ------------------------------------------------------------
// _PyObject_GC_Link: counts a list allocation and may run an automatic
// collection; called before the new list is tracked.
void gc_link(Heap& heap);
// The deallocation half of the counts: count0 -= 1 unless already 0.
void gc_unlink_count(Heap::State& state);
inline void gc_track(Heap::State& state, ListObject* list) { gc_list_append(&list->gc, generation_head(state, 0)); }

// The phases of one collection, in order (see gc.cc).
void update_refs(GcHead* containers);
void subtract_refs(GcHead* containers);
void move_unreachable(GcHead* young, GcHead* unreachable);
void clear_unreachable_mask(GcHead* unreachable);
void delete_garbage(Heap& heap, GcHead* collectable, GcHead* old);
struct CollectionResult {
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
};
CollectionResult gc_collect_main(Heap& heap, int generation);
std::int64_t collect_generations(Heap& heap);

}  // namespace gcheap
