// Small graph builders shared by gcheap's unit tests.
#pragma once

#include <utility>

#include "gcheap/heap.h"

namespace gcheap::test {

// a -> b, with a new reference to b (the caller keeps its own).
inline void link(Heap& heap, Object* a, Object* b) {
  Heap::incref(b);
  heap.list_append(a, b);
}

// a <-> b with no other reference: garbage for the next collection.
inline std::pair<Object*, Object*> garbage_pair(Heap& heap) {
  Object* a = heap.new_list(0);
  Object* b = heap.new_list(0);
  link(heap, a, b);
  link(heap, b, a);
  heap.decref(a);
  heap.decref(b);
  return {a, b};
}

}  // namespace gcheap::test
