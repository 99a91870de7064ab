// minheap's collector: a full, non-generational mark-sweep from the root
// slots, one function per phase.
#include "heap_internal.h"
#include "minheap/heap.h"

namespace minheap {

std::int64_t Heap::collect() {
  if (hooks_.on_collection_start) hooks_.on_collection_start();
#if MINHEAP_SEEDED_BUGS
  const std::int64_t strs_freed_before = strs_freed_;
#endif
  mark_from_roots();
  const std::vector<Object*> garbage = sweep_unmarked();
  free_garbage(garbage);
  auto collected = static_cast<std::int64_t>(garbage.size());
#if MINHEAP_SEEDED_BUGS
  if (seeded_bug_ == SeededBug::collect_counts_strs) collected += strs_freed_ - strs_freed_before;
#endif
  ++collections_;
  collected_ += collected;
  if (hooks_.on_collection_stop) hooks_.on_collection_stop(collected);
  return collected;
}

// Marks every object reachable from the roots through list items. The mark
// stack holds the marked lists whose items are still to be marked, so deep
// chains need no recursion.
void Heap::mark_from_roots() {
  std::vector<Object*> to_scan;
  auto mark = [&to_scan](Object* object) {
    if (object->marked_) return;
    object->marked_ = true;
    if (object->kind_ == Kind::List) to_scan.push_back(object);
  };
  for (Object* root : roots_) {
    if (root != nullptr) mark(root);
  }
  while (!to_scan.empty()) {
    const Object* list = to_scan.back();
    to_scan.pop_back();
    std::size_t first = 0;
#if MINHEAP_SEEDED_BUGS
    if (seeded_bug_ == SeededBug::mark_skips_item_zero) first = 1;
#endif
    for (std::size_t index = first; index < list->size_; ++index) mark(list->item_slots()[index]);
  }
}

// Walks the live set: unmarks the marked objects for the next collection and
// returns the unmarked lists, the garbage, oldest first.
std::vector<Object*> Heap::sweep_unmarked() {
  std::vector<Object*> garbage;
  for (Object* object = oldest_; object != nullptr; object = object->next_) {
    if (object->marked_) {
      object->marked_ = false;
    } else if (object->kind_ == Kind::List) {
      garbage.push_back(object);
    }
  }
#if MINHEAP_SEEDED_BUGS
  if (seeded_bug_ == SeededBug::sweep_misses_last && !garbage.empty()) garbage.pop_back();
#endif
  return garbage;
}

// Breaks the garbage's references. The holds keep every garbage list alive
// while the others are cleared (a cleared list may drop the last reference
// to another); releasing them frees each list, now empty.
void Heap::free_garbage(const std::vector<Object*>& garbage) {
  for (Object* list : garbage) incref(list);
  for (Object* list : garbage) clear(list);
  for (Object* list : garbage) decref(list);
}

}  // namespace minheap
