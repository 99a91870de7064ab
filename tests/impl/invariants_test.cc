// gcheap's invariant checks (impl/src/invariants.h) find what they are for: a
// GC list whose links do not point back or whose members carry the wrong
// flags, and a pool whose blocks do not add up. Each is broken by hand and
// must abort with the checker's message; a healthy heap passes after every
// kind of collection. Skipped in a build without GCHEAP_CHECKS (Release, the
// seeded-bugs builds).
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "allocator_internal.h"  // pymalloc::unpoison
#include "gcheap/heap.h"
#include "invariants.h"

namespace gcheap {
namespace {

class InvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kChecks) GTEST_SKIP() << "gcheap is built without GCHEAP_CHECKS";
  }
  Allocator allocator;
  Heap heap{allocator, Heap::Config{{0, 10, 10}}};
  GcHead* young() { return generation_head(Heap::State::of(heap), 0); }
};

TEST_F(InvariantsTest, AHealthyHeapPassesAfterEveryKindOfCollection) {
  std::vector<Object*> roots;
  for (int i = 0; i < 2000; ++i) {
    Object* a = heap.new_list(i % 3 == 0 ? 600 : 16);
    Object* b = heap.new_list(16);
    Heap::incref(b);
    heap.list_append(a, b);
    Heap::incref(a);
    heap.list_append(b, a);  // a <-> b
    if (i % 2 == 0) roots.push_back(a);
    else heap.decref(a);
    heap.decref(b);
    if (i % 500 == 0) heap.collect(i / 500 % 3);
  }
  heap.collect(2);
  validate_heap(Heap::State::of(heap));
  for (Object* o : roots) heap.decref(o);
  heap.collect(2);
  validate_heap(Heap::State::of(heap));
  allocator.check_invariants();
}

TEST_F(InvariantsTest, ALinkThatDoesNotPointBackAborts) {
  Object* a = heap.new_list(16);
  Object* b = heap.new_list(16);
  GcHead* gb = as_gc(b);
  EXPECT_DEATH(
      {
        gc_set_prev(gb, gb);  // b's prev no longer names a
        validate_list(young(), kCollectingClearUnreachableClear);
      },
      "invariant broken: a GC list's prev link does not point back");
  heap.decref(a);
  heap.decref(b);
}

TEST_F(InvariantsTest, AFlagOutOfPlaceAborts) {
  Object* a = heap.new_list(16);
  EXPECT_DEATH(
      {
        as_gc(a)->prev |= kPrevMaskCollecting;  // collecting outside a collection
        heap.collect(0);
      },
      "invariant broken: a GC list member's collecting flag");
  heap.decref(a);
}

TEST_F(InvariantsTest, APoolWhoseBlocksDoNotAddUpAborts) {
  void* p = allocator.allocate(32);
  void* q = allocator.allocate(32);
  void* r = allocator.allocate(32);
  EXPECT_DEATH(
      {
        allocator.free(q);
        allocator.free(r);  // the pool's free list: r, then q
        allocator.check_invariants();
        std::fprintf(stderr, "consistent\n");
        // A stray write into a free block cuts q off the list. (AddressSanitizer
        // would stop it first: free blocks are poisoned, so it is let through.)
        pymalloc::unpoison(r, sizeof(void*));
        *static_cast<void**>(r) = nullptr;
        allocator.check_invariants();
      },
      "consistent(.|\n)*invariant broken: a pool's blocks in use, free and never used do not add up");
  allocator.free(p);
  allocator.free(q);
  allocator.free(r);
}

}  // namespace
}  // namespace gcheap
