// The heap as a whole: construction and teardown, statistics, the free hook,
// and walking a generation's list for inspection.
//
// The heap's bookkeeping (Heap::State) lives outside the embedder's Allocator,
// so the Allocator's statistics count objects only: after the heap is
// destroyed, any block still live there is a leaked object.
#include <algorithm>
#include <new>

#include "heap_internal.h"

namespace gcheap {

Heap::State::State(Allocator& allocator_in, const Config& config) : allocator(allocator_in) {
  for (int g = 0; g < kGenerations; ++g) {
    gc_list_init(&generations[g].head);
    generations[g].threshold = config.thresholds[g];
  }
  gc_list_init(&permanent.head);
  deferred_automatic_collection = config.deferred_automatic_collection;
  resurrection_keeps_the_batch = config.resurrection_keeps_the_batch;
  weakref_clearing = config.weakref_clearing;
  trashcan = config.trashcan;
  tuple_free_list_sizes = std::min(config.tuple_free_list_sizes, kTupleFreeListSizes);
}

void* allocate_or_throw(Allocator& allocator, std::size_t n) {
  void* p = allocator.allocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

Heap::Heap(Allocator& allocator) : Heap(allocator, Config{}) {}

Heap::Heap(Allocator& allocator, const Config& config)
    : allocator_(allocator), state_(new State(allocator, config)) {
  try {
    small_ints_init(*state_);
  } catch (...) {
    delete state_;
    throw;
  }
}

Heap::~Heap() {
  clear_free_lists();
  small_ints_free(*state_);
  delete state_;
}

HeapStats Heap::stats() const {
  return {state_->lists_live, state_->strs_live, state_->ints_live, state_->list_free_list_length,
          state_->weakrefs_live};
}

void Heap::set_free_hook(FreeHook hook, void* context) {
  state_->free_hook = hook;
  state_->free_hook_context = context;
}

void Heap::set_change_hook(ChangeHook hook, void* context) {
  change_hook_ = state_->change_hook = hook;
  change_context_ = state_->change_hook_context = context;
}

Heap::GenerationCursor Heap::generation_begin(int g) const {
  const GcHead* head = nullptr;
  if (g >= 0 && g < kGenerations) head = &state_->generations[g].head;  // coverage: not-in-language
  if (g == kPermanent) head = &state_->permanent.head;
  return {head, head};
}

Object* Heap::generation_next(GenerationCursor& cursor) {
  if (cursor.sentinel == nullptr) return nullptr;  // no such generation (coverage: not-in-language)
  GcHead* next = gc_next(static_cast<const GcHead*>(cursor.at));
  if (next == cursor.sentinel) return nullptr;
  cursor.at = next;
  return from_gc(next);
}

Object* Heap::generation_prev(GenerationCursor& cursor) {
  if (cursor.sentinel == nullptr) return nullptr;  // coverage: not-in-language
  GcHead* prev = gc_prev(static_cast<const GcHead*>(cursor.at));
  if (prev == cursor.sentinel) return nullptr;
  cursor.at = prev;
  return from_gc(prev);
}

}  // namespace gcheap
