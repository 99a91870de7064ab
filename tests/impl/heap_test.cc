// gcheap's object heap without the collector: reference counting, lists and
// their item arrays, atoms, the shared small ints, the list free list, the
// free hook and the order in which a dying list releases what it holds.
#include <gtest/gtest.h>

#include <algorithm>

#include <utility>
#include <vector>

#include "gcheap/heap.h"
#include "heap_internal.h"

namespace gcheap {
namespace {

// Automatic collection off (threshold0 == 0), so only refcounting frees.
Heap::Config no_automatic_gc() { return Heap::Config{{0, 10, 10}}; }

struct FreeLog {
  std::vector<Object*> freed;
  std::vector<std::intptr_t> refcounts;  // as seen by the hook
  static void hook(void* context, Object* dying) noexcept {
    auto* log = static_cast<FreeLog*>(context);
    log->freed.push_back(dying);
    log->refcounts.push_back(dying->refcount);
  }
};

class HeapTest : public ::testing::Test {
 protected:
  HeapTest() : heap(allocator, no_automatic_gc()) { heap.set_free_hook(&FreeLog::hook, &log); }

  std::vector<Object*> generation(int g) {
    std::vector<Object*> out;
    heap.for_each_in_generation(g, [&](Object* o) { out.push_back(o); });
    return out;
  }

  Allocator allocator;
  Heap heap;
  FreeLog log;
};

TEST_F(HeapTest, NewListIsTrackedInGenerationZeroWithZeroedPayload) {
  Object* a = heap.new_list(16);
  Object* b = heap.new_list(3);
  EXPECT_EQ(a->refcount, 1);
  EXPECT_EQ(Heap::kind(a), Kind::List);
  EXPECT_TRUE(Heap::is_tracked(a));
  EXPECT_EQ(Heap::list_size(a), 0u);
  ASSERT_EQ(Heap::payload(a).size(), 16u);
  ASSERT_EQ(Heap::payload(b).size(), 3u);
  // The payload is the embedder's to write (it is not initialised).
  std::fill(Heap::payload(a).begin(), Heap::payload(a).end(), std::byte{0x5a});
  for (std::byte x : Heap::payload(a)) EXPECT_EQ(x, std::byte{0x5a});
  EXPECT_EQ(generation(0), (std::vector<Object*>{a, b}));
  EXPECT_EQ(heap.stats().lists_live, 2u);
  heap.decref(a);
  heap.decref(b);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_TRUE(generation(0).empty());
}

TEST_F(HeapTest, DecrefToZeroFreesOnceAndOnlyThen) {
  Object* s = heap.new_str(5);
  Heap::incref(s);
  heap.decref(s);
  EXPECT_TRUE(log.freed.empty());
  EXPECT_EQ(heap.stats().strs_live, 1u);
  heap.decref(s);
  EXPECT_EQ(log.freed, std::vector<Object*>{s});
  EXPECT_EQ(log.refcounts, std::vector<std::intptr_t>{0});
  EXPECT_EQ(heap.stats().strs_live, 0u);
}

TEST_F(HeapTest, ListOperationsHoldAndDropReferences) {
  Object* list = heap.new_list(0);
  Object* x = heap.new_str(1);
  Object* y = heap.new_str(1);
  Object* z = heap.new_str(1);
  Heap::incref(x);
  heap.list_append(list, x);  // x: our reference plus the slot
  heap.list_append(list, y);  // y: the slot only
  Heap::incref(x);
  heap.list_append(list, x);
  EXPECT_EQ(x->refcount, 3);
  ASSERT_EQ(Heap::list_size(list), 3u);
  EXPECT_EQ(Heap::list_get(list, 1), y);
  EXPECT_EQ(Heap::list_get(list, 3), nullptr);

  heap.list_set(list, 1, z);  // drops y
  EXPECT_EQ(log.freed, std::vector<Object*>{y});
  EXPECT_EQ(Heap::list_get(list, 1), z);

  heap.list_remove(list, 0);  // shifts z and x down
  ASSERT_EQ(Heap::list_size(list), 2u);
  EXPECT_EQ(Heap::list_get(list, 0), z);
  EXPECT_EQ(Heap::list_get(list, 1), x);
  EXPECT_EQ(x->refcount, 2);

  heap.list_remove(list, 7);  // out of range: nothing happens
  Object* w = heap.new_str(1);
  heap.list_set(list, 9, w);  // out of range: the handed-over reference is dropped
  EXPECT_EQ(log.freed.back(), w);
  EXPECT_EQ(Heap::list_size(list), 2u);

  heap.decref(list);
  EXPECT_EQ(x->refcount, 1);
  heap.decref(x);
  EXPECT_EQ(heap.stats().strs_live, 0u);
}

TEST_F(HeapTest, ItemArrayGrowsAndShrinksLikeCPythonListResize) {
  Object* list = heap.new_list(0);
  Object* item = heap.new_int(1);
  // Capacity after appending up to n items: CPython's growth pattern, except
  // that one item is held in the list's inline slot.
  const std::vector<std::pair<std::size_t, std::size_t>> pattern{
      {1, 1}, {2, 4}, {5, 8}, {9, 16}, {17, 24}, {25, 32}, {33, 40}, {41, 52}, {53, 64}, {65, 76}};
  std::size_t n = 0;
  for (const auto& [size, allocated] : pattern) {
    while (n < size) {
      Heap::incref(item);
      heap.list_append(list, item);
      ++n;
    }
    EXPECT_EQ(as_list(list)->allocated, allocated) << "at size " << size;
  }
  // Removing keeps the array until the size drops below half the capacity.
  while (Heap::list_size(list) > 38) heap.list_remove(list, 0);
  EXPECT_EQ(as_list(list)->allocated, 76u);
  heap.list_remove(list, 0);  // 37 < 76 / 2: (37 + 37 / 8 + 6) rounded down to 4s
  EXPECT_EQ(as_list(list)->allocated, 44u);
  while (Heap::list_size(list) > 0) heap.list_remove(list, Heap::list_size(list) - 1);
  EXPECT_EQ(as_list(list)->allocated, 0u);
  EXPECT_EQ(as_list(list)->items, nullptr);
  EXPECT_EQ(item->refcount, 2);  // ours and the heap's: 1 is a small int
  heap.decref(item);
  heap.decref(list);
}

TEST_F(HeapTest, AtomsAreNeverTracked) {
  Object* s = heap.new_str(7);
  Object* i = heap.new_int(1'000'000);
  EXPECT_EQ(Heap::kind(s), Kind::Str);
  EXPECT_EQ(Heap::kind(i), Kind::Int);
  EXPECT_FALSE(Heap::is_tracked(s));
  EXPECT_FALSE(Heap::is_tracked(i));
  EXPECT_EQ(Heap::payload(s).size(), 7u);
  std::fill(Heap::payload(s).begin(), Heap::payload(s).end(), std::byte{0xa5});
  for (std::byte x : Heap::payload(s)) EXPECT_EQ(x, std::byte{0xa5});
  EXPECT_TRUE(Heap::payload(i).empty());
  EXPECT_EQ(Heap::int_value(i), 1'000'000);
  EXPECT_EQ(heap.stats().strs_live, 1u);
  EXPECT_EQ(heap.stats().ints_live, 1u);
  heap.decref(s);
  heap.decref(i);
  EXPECT_EQ(log.freed, (std::vector<Object*>{s, i}));
  EXPECT_EQ(heap.stats().ints_live, 0u);
}

TEST_F(HeapTest, SmallIntsAreSharedAndHeldByTheHeap) {
  for (std::int64_t v : {-5, 0, 1, 256}) {
    Object* a = heap.new_int(v);
    Object* b = heap.new_int(v);
    EXPECT_EQ(a, b) << v;
    EXPECT_EQ(a->refcount, 3) << v;  // the heap's reference and ours
    EXPECT_EQ(Heap::int_value(a), v);
    heap.decref(a);
    heap.decref(b);
    EXPECT_EQ(a->refcount, 1);
  }
  EXPECT_EQ(heap.stats().ints_live, 0u);
  for (std::int64_t v : {-6, 257}) {
    Object* a = heap.new_int(v);
    Object* b = heap.new_int(v);
    EXPECT_NE(a, b) << v;
    EXPECT_EQ(heap.stats().ints_live, 2u);
    heap.decref(a);
    heap.decref(b);
  }
  EXPECT_EQ(log.freed.size(), 4u);  // only the four big ints
}

TEST_F(HeapTest, FreeListReusesDefaultPayloadListsLastInFirstOut) {
  Object* a = heap.new_list(16);
  Object* b = heap.new_list(16);
  Object* odd = heap.new_list(8);
  heap.decref(a);
  heap.decref(b);
  heap.decref(odd);  // not the default payload: released
  EXPECT_EQ(heap.stats().free_list_length, 2u);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(log.freed, (std::vector<Object*>{a, b, odd}));  // the hook sees free-listing too

  Object* reused = heap.new_list(16);
  EXPECT_EQ(reused, b);
  EXPECT_EQ(reused->refcount, 1);
  EXPECT_TRUE(Heap::is_tracked(reused));
  EXPECT_EQ(Heap::list_size(reused), 0u);
  EXPECT_EQ(heap.stats().free_list_length, 1u);
  Object* fresh = heap.new_list(4);  // other payloads never come from the free list
  EXPECT_EQ(heap.stats().free_list_length, 1u);
  heap.decref(fresh);
  heap.decref(reused);
}

TEST_F(HeapTest, FreeListHoldsAtMostEightyAndFullCollectionEmptiesIt) {
  std::vector<Object*> lists;
  for (int i = 0; i < 100; ++i) lists.push_back(heap.new_list(16));
  const std::size_t blocks_with_lists = allocator.stats().small_blocks_live;
  for (Object* o : lists) heap.decref(o);
  EXPECT_EQ(heap.stats().free_list_length, kListFreeListMax);
  EXPECT_EQ(allocator.stats().small_blocks_live, blocks_with_lists - 20);
  heap.collect(1);
  EXPECT_EQ(heap.stats().free_list_length, kListFreeListMax);
  heap.collect(2);
  EXPECT_EQ(heap.stats().free_list_length, 0u);
  EXPECT_EQ(allocator.stats().small_blocks_live, blocks_with_lists - 100);

  heap.decref(heap.new_list(16));
  EXPECT_EQ(heap.stats().free_list_length, 1u);
  heap.clear_free_lists();
  EXPECT_EQ(heap.stats().free_list_length, 0u);
}

TEST_F(HeapTest, ListAllocationAndDeallocationMoveCountZero) {
  Object* a = heap.new_list(0);
  Object* b = heap.new_list(16);
  Object* c = heap.new_list(16);
  EXPECT_EQ(heap.get_count()[0], 3);
  heap.decref(a);
  heap.decref(b);  // free-listed: still a deallocation
  EXPECT_EQ(heap.get_count()[0], 1);
  Object* reused = heap.new_list(16);  // from the free list: still an allocation
  EXPECT_EQ(reused, b);
  EXPECT_EQ(heap.get_count()[0], 2);
  heap.decref(heap.new_str(1));  // atoms do not count
  EXPECT_EQ(heap.get_count()[0], 2);
  heap.collect(0);
  EXPECT_EQ(heap.get_count()[0], 0);
  heap.decref(reused);
  heap.decref(c);
  EXPECT_EQ(heap.get_count()[0], 0);  // never below zero
}

TEST_F(HeapTest, ItemsAreReleasedLastToFirstDepthFirst) {
  // root = [s0, inner, s2], inner = [t0, t1]
  Object* root = heap.new_list(0);
  Object* inner = heap.new_list(0);
  Object* s0 = heap.new_str(1);
  Object* s2 = heap.new_str(1);
  Object* t0 = heap.new_str(1);
  Object* t1 = heap.new_str(1);
  heap.list_append(inner, t0);
  heap.list_append(inner, t1);
  heap.list_append(root, s0);
  heap.list_append(root, inner);
  heap.list_append(root, s2);
  heap.decref(root);
  // Recursion order: s2, then inner completely (t1, t0, inner), then s0, root.
  EXPECT_EQ(log.freed, (std::vector<Object*>{s2, t1, t0, inner, s0, root}));
  for (std::intptr_t r : log.refcounts) EXPECT_EQ(r, 0);
  EXPECT_TRUE(generation(0).empty());
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(heap.stats().strs_live, 0u);
}

TEST_F(HeapTest, SharedItemSurvivesUntilItsLastHolderDies) {
  Object* shared = heap.new_list(0);
  Object* a = heap.new_list(0);
  Object* b = heap.new_list(0);
  Heap::incref(shared);
  heap.list_append(a, shared);
  heap.list_append(b, shared);
  heap.decref(a);
  EXPECT_EQ(log.freed, std::vector<Object*>{a});
  EXPECT_TRUE(Heap::is_tracked(shared));
  heap.decref(b);
  EXPECT_EQ(log.freed, (std::vector<Object*>{a, shared, b}));
}

// A free hook may drop references itself; the heap defers those deaths to its
// running loop instead of recursing.
struct ReleasingHook {
  Heap* heap;
  Object* held;
  std::vector<Object*> freed;
  static void hook(void* context, Object* dying) noexcept {
    auto* self = static_cast<ReleasingHook*>(context);
    self->freed.push_back(dying);
    if (Object* held = std::exchange(self->held, nullptr)) self->heap->decref(held);
  }
};

TEST_F(HeapTest, FreeHookMayReleaseObjects) {
  Object* outer = heap.new_list(0);
  Object* held = heap.new_list(0);
  Object* inside = heap.new_str(1);
  heap.list_append(held, inside);
  heap.list_append(outer, heap.new_str(1));
  ReleasingHook releasing{&heap, held, {}};
  heap.set_free_hook(&ReleasingHook::hook, &releasing);
  heap.decref(outer);
  // The str's hook drops `held`, which is pushed above `outer` and finished first.
  ASSERT_EQ(releasing.freed.size(), 4u);
  EXPECT_EQ(releasing.freed[1], inside);
  EXPECT_EQ(releasing.freed[2], held);
  EXPECT_EQ(releasing.freed[3], outer);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(heap.stats().strs_live, 0u);
}

TEST(HeapLifetime, DestroyingTheHeapLeavesTheAllocatorEmpty) {
  Allocator allocator;
  {
    Heap heap(allocator);
    Object* list = heap.new_list(16);
    heap.list_append(list, heap.new_str(40));
    heap.list_append(list, heap.new_int(1 << 20));
    heap.list_append(list, heap.new_int(7));
    heap.list_append(list, heap.new_str(2000));  // a large payload
    heap.decref(list);
    heap.decref(heap.new_list(16));
    EXPECT_EQ(heap.stats().free_list_length, 1u);
  }
  EXPECT_EQ(allocator.stats().small_blocks_live, 0u);
  EXPECT_EQ(allocator.stats().large_blocks_live, 0u);
}

TEST(HeapLifetime, ObjectsLeftAliveStayVisibleInTheAllocator) {
  Allocator allocator;
  {
    Heap heap(allocator);
    heap.new_str(8);  // leaked on purpose
  }
  EXPECT_EQ(allocator.stats().small_blocks_live, 1u);
}

// CPython 3.13's trashcan (Config::Trashcan::CRecursion): a dying chain's
// list k begins at 2(k - 1) units of C recursion, so list 4976 is the first
// set aside (50 or fewer of 10,000 left); list 4975 is freed first. The trash
// is emptied as the chain unwinds past 9,900 units, at list 4950's end:
// lists 5000 down to 4976 are freed there, then the rest.
TEST(HeapTrashcan, CRecursionSetsAsideAtItsDepthAndEmptiesWhileUnwinding) {
  Allocator allocator;
  Heap::Config config;
  config.thresholds = {0, 10, 10};
  config.trashcan = Heap::Config::Trashcan::CRecursion;
  Heap heap(allocator, config);
  FreeLog log;
  heap.set_free_hook(&FreeLog::hook, &log);
  std::vector<Object*> chain{heap.new_list(0)};
  for (int i = 1; i < 5000; ++i) {
    Object* next = heap.new_list(0);
    heap.list_append(chain.back(), next);
    chain.push_back(next);
  }
  heap.decref(chain.front());
  ASSERT_EQ(log.freed.size(), 5000u);
  EXPECT_EQ(log.freed[0], chain[4974]);
  EXPECT_EQ(log.freed[25], chain[4949]);
  EXPECT_EQ(log.freed[26], chain[4999]);
  EXPECT_EQ(log.freed[50], chain[4975]);
  EXPECT_EQ(log.freed[51], chain[4948]);
  EXPECT_EQ(log.freed.back(), chain[0]);
}

}  // namespace
}  // namespace gcheap
