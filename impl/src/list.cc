// Lists: the heap's only container, laid out as CPython's list.
//
// A list is one block: GC header, object header, the item-array pointer with
// size and capacity, one inline item slot, then the embedder's payload. A list
// of at most one item keeps it in the inline slot (heap_internal.h says why).
// Longer lists keep their items in a separate array from the Allocator, grown
// and shrunk by list_resize with CPython's over-allocation (capacity newsize +
// newsize/8 + 6, rounded down to a multiple of 4: 4, 8, 16, 24, 32, 40, 52,
// 64, 76, ...), so appends are amortized O(1); it shrinks only when the size
// falls below half the capacity, and back to the inline slot at one item.
//
// Free list: up to 80 freed lists with the default payload are kept (LIFO)
// and reused by new_list, as CPython's list free list; a full collection
// empties it. Unlike CPython 3.11 (which skips the gc count for free-listed
// lists), taking a list from the free list counts as an allocation for the
// gc counts and putting one there as a deallocation, since the semantics
// reference defines count0 by container allocations and deallocations.
//
// Callbacks tuples (PyObject_ClearWeakRefs', weakref.cc) are lists of the
// tuple type: their items are the weakrefs they hold, their payload their
// CPython size (twice the weakrefs: a callback slot each). They are no
// program object: no hook hears of them. Freed, one is kept in the tuple free
// list of its size (at most Config::tuple_free_list_sizes, 2000 each)
// without touching count0, and reused the same way, as CPython's tuples are;
// a full collection frees them, each taking one from count0. They are made
// while an object dies, which cannot be undone halfway, so their memory is
// taken under Allocator::Unfailing: a failure plan never refuses it.
//
// Out of memory: a list's growth either succeeds or throws std::bad_alloc
// with the list unchanged (list_resize sets the size only once the items
// have room); new_list obtains its memory before it counts the allocation.
#include <cstring>
#include <new>

#include "heap_internal.h"

namespace gcheap {
namespace {

ListObject* take_from_free_list(Heap::State& state, std::uint32_t payload_bytes) {
  if (payload_bytes != kListFreeListPayload || state.list_free_list_length == 0) return nullptr;
  return state.list_free_list[--state.list_free_list_length];
}

bool items_inline(const ListObject* list) { return list->items == &list->inline_item; }

// Gives an item array back to the allocator (the inline slot is not one).
void free_items(Allocator& allocator, ListObject* list, Object** items) {
  if (items != &list->inline_item) allocator.free(items);
}

// Sets the size to newsize: the inline slot for at most one item, otherwise an
// array reallocated when the capacity is too small or more than twice too
// large. Throws std::bad_alloc when growing fails (the list is unchanged); a
// failed shrink keeps the larger array.
void list_resize(Allocator& allocator, ListObject* list, std::size_t newsize) {
  const std::size_t allocated = list->allocated;
  if (allocated >= newsize && newsize >= (allocated >> 1) && newsize != 0) {
    list->size = static_cast<std::uint32_t>(newsize);
    return;
  }
  if (newsize <= 1) {
    Object* item = newsize == 1 && list->size >= 1 ? list->items[0] : nullptr;
    free_items(allocator, list, list->items);
    list->inline_item = item;
    list->items = newsize == 1 ? &list->inline_item : nullptr;
    list->size = list->allocated = static_cast<std::uint32_t>(newsize);
    return;
  }
  std::size_t new_allocated = (newsize + (newsize >> 3) + 6) & ~std::size_t{3};
  // Do not over-allocate when the new size is closer to that than to the old
  // size; leaving the inline slot takes what CPython's first array (4) would.
  if (newsize > list->size && (newsize - list->size > new_allocated - newsize || items_inline(list)))
    new_allocated = (newsize + 3) & ~std::size_t{3};
  if (new_allocated > UINT32_MAX) throw std::bad_alloc();  // coverage: oom
  void* items;
  if (items_inline(list)) {
    items = allocator.allocate(new_allocated * sizeof(Object*));
    if (items != nullptr) static_cast<Object**>(items)[0] = list->inline_item;
  } else {
    items = allocator.reallocate(list->items, new_allocated * sizeof(Object*));
  }
  if (items == nullptr) {
    if (newsize <= allocated) {  // a failed shrink: the larger array still holds the items
      list->size = static_cast<std::uint32_t>(newsize);
      return;
    }
    // A failed growth: the items are where they were (a refused reallocate
    // leaves its block valid), and the list keeps them and its size.
    if (GCHEAP_SEEDED(failed_growth_frees_items, false, true)) free_items(allocator, list, list->items);
    if (GCHEAP_SEEDED(append_keeps_size_on_failed_growth, false, true)) list->size = static_cast<std::uint32_t>(newsize);
    throw std::bad_alloc();
  }
  list->items = static_cast<Object**>(items);
  list->size = static_cast<std::uint32_t>(newsize);
  list->allocated = static_cast<std::uint32_t>(new_allocated);
}

}  // namespace

Object* Heap::new_list(std::uint32_t payload_bytes) {
  State& state = *state_;
  ListObject* list = take_from_free_list(state, payload_bytes);
  const bool reused = list != nullptr;
  if (list == nullptr)
    list = static_cast<ListObject*>(allocate_or_throw(allocator_, sizeof(ListObject) + payload_bytes));
  if (GCHEAP_SEEDED(free_list_keeps_finalized_flag, false, true) && reused)
    list->gc = {0, list->gc.prev & kPrevMaskFinalized};
  else
    list->gc = {0, 0};
  list->ob = {1, &list_type};
  list->items = nullptr;
  list->size = 0;
  list->allocated = 0;
  list->payload_bytes = payload_bytes;
  list->inline_item = nullptr;
  ++state.lists_live;
  gc_link(*this);  // counts the allocation (free-list reuse included); may collect
  gc_track(state, list);
  return &list->ob;
}

std::size_t Heap::list_size(const Object* list) { return as_list(list)->size; }

Object* Heap::list_get(const Object* list, std::size_t i) {
  const ListObject* l = as_list(list);
  return i < l->size ? l->items[i] : nullptr;  // coverage: not-in-language
}

void Heap::list_append(Object* list, Object* item) {
  ListObject* l = as_list(list);
  const std::size_t n = l->size;
  try {
    list_resize(allocator_, l, n + 1);
  } catch (const std::bad_alloc&) {
    decref(item);  // the reference was handed to us
    throw;
  }
  l->items[n] = item;
  note_state(*state_, list);
  if (GCHEAP_SEEDED(list_append_double_counts_item, false, true)) incref(item);
}

void Heap::list_set(Object* list, std::size_t i, Object* item) {
  ListObject* l = as_list(list);
  if (i >= l->size) {  // out of range: the slot does not exist, drop the reference (coverage: not-in-language)
    decref(item);
    return;
  }
  note_state(*state_, list);
  if (GCHEAP_SEEDED(list_set_decrefs_before_store, false, true)) {
    decref(l->items[i]);
    l->items[i] = item;
    return;
  }
  Object* old = l->items[i];
  l->items[i] = item;
  decref(old);
}

void Heap::list_remove(Object* list, std::size_t i) {
  ListObject* l = as_list(list);
  if (i >= l->size) return;  // coverage: not-in-language
  note_state(*state_, list);
  Object* removed = l->items[i];
  std::memmove(l->items + i, l->items + i + 1, (l->size - i - 1) * sizeof(Object*));
  if (GCHEAP_SEEDED(list_remove_decrefs_successor, false, true)) removed = l->items[i];  // read after the shift
  list_resize(allocator_, l, l->size - 1);  // shrinking never throws
  decref(removed);  // last, so the list is consistent if this frees anything
}

void Heap::list_clear(Object* list) { gcheap::list_clear(*this, as_list(list)); }

void list_clear(Heap& heap, ListObject* list) {
  Object* inline_item = list->inline_item;
  Object** items = items_inline(list) ? &inline_item : list->items;
  std::size_t i = list->size;
  list->items = nullptr;
  list->size = 0;
  list->allocated = 0;
  list->inline_item = nullptr;
  note_state(Heap::State::of(heap), &list->ob);
  while (i > 0) heap.decref(items[--i]);
  if (items != &inline_item) heap.allocator().free(items);
}

ListObject* new_callbacks_tuple(Heap& heap, std::uint32_t size) {
  Heap::State& state = Heap::State::of(heap);
  ListObject* tuple = nullptr;
  if (size <= state.tuple_free_list_sizes && !state.tuple_free_lists[size].empty()) {
    tuple = state.tuple_free_lists[size].back();
    state.tuple_free_lists[size].pop_back();
  } else {
    gc_link(heap);  // before it exists, as PyObject_GC_NewVar's count
    // An object is dying: its destruction cannot stop for want of memory.
    const Allocator::Unfailing unfailing(heap.allocator());
    tuple = static_cast<ListObject*>(allocate_or_throw(heap.allocator(), sizeof(ListObject) + sizeof size));
  }
  tuple->gc = {0, 0};
  tuple->ob = {1, &tuple_type};
  tuple->items = nullptr;
  tuple->size = 0;
  tuple->allocated = 0;
  tuple->payload_bytes = sizeof size;
  tuple->inline_item = nullptr;
  std::memcpy(list_payload(tuple), &size, sizeof size);
  gc_list_append(&tuple->gc, generation_head(state, 0));
  return tuple;
}

void callbacks_tuple_append(Heap::State& state, ListObject* tuple, WeakrefObject* wr) {
  const Allocator::Unfailing unfailing(state.allocator);  // as new_callbacks_tuple's
  list_resize(state.allocator, tuple, tuple->size + 1);
  tuple->items[tuple->size - 1] = &wr->ob;
}

namespace {

// The tuple free list's part of list_dealloc.
void callbacks_tuple_dealloc(Heap::State& state, ListObject* tuple) {
  std::uint32_t size = 0;
  std::memcpy(&size, list_payload(tuple), sizeof size);
  if (size <= state.tuple_free_list_sizes && state.tuple_free_lists[size].size() < kTupleFreeListMax) {
    state.tuple_free_lists[size].push_back(tuple);
    return;
  }
  gc_unlink_count(state);
  state.allocator.free(tuple);
}

}  // namespace

void list_dealloc(Heap::State& state, ListObject* list) {
  free_items(state.allocator, list, list->items);
  if (list->ob.type == &tuple_type) return callbacks_tuple_dealloc(state, list);
  call_free_hook(state, &list->ob);
  gc_unlink_count(state);  // free-listing counts as a deallocation too (see above)
  --state.lists_live;
  if (list->payload_bytes == kListFreeListPayload && state.list_free_list_length < kListFreeListMax)
    state.list_free_list[state.list_free_list_length++] = list;
  else
    state.allocator.free(list);
}

void Heap::clear_free_lists() {
  State& state = *state_;
  while (state.list_free_list_length > 0) allocator_.free(state.list_free_list[--state.list_free_list_length]);
  for (std::vector<ListObject*>& tuples : state.tuple_free_lists) {
    for (ListObject* tuple : tuples) {
      gc_unlink_count(state);  // PyObject_GC_Del
      allocator_.free(tuple);
    }
    tuples.clear();
  }
}

}  // namespace gcheap
