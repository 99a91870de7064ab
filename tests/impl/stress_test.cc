// gcheap at scale: destruction of a ten-million-list chain in constant stack
// space, and one full collection of a million objects in cycles, each checked
// down to the Allocator's live-block counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "gcheap/heap.h"

namespace gcheap {
namespace {

struct Blocks {
  std::size_t small, large;
  bool operator==(const Blocks&) const = default;
};
Blocks live_blocks(const Allocator& allocator) {
  const AllocatorStats s = allocator.stats();
  return {s.small_blocks_live, s.large_blocks_live};
}

struct FreeCount {
  std::size_t count = 0;
  Object* first = nullptr;
  Object* last = nullptr;
  static void hook(void* context, Object* dying) noexcept {
    auto* self = static_cast<FreeCount*>(context);
    if (self->count++ == 0) self->first = dying;
    self->last = dying;
  }
};

TEST(Stress, TenMillionListChainIsFreedByOneDecref) {
  constexpr std::size_t kChain = 10'000'000;
  Allocator allocator;
  Heap heap(allocator, Heap::Config{{0, 10, 10}});  // refcounting only
  const Blocks baseline = live_blocks(allocator);
  ASSERT_EQ(baseline, (Blocks{0, 1}));  // only the small ints' block
  FreeCount frees;
  heap.set_free_hook(&FreeCount::hook, &frees);

  // Built bottom up: the list created k-th is kChain - 1 - k below the head.
  // The trashcan destroys the top 50 nested (innermost first), then batches
  // of 49 from the trash; the last batch starts at depth 50 + 49 * n.
  constexpr std::size_t kLastBatchTop = 50 + 49 * ((kChain - 50 - 1) / 49);
  Object* first_freed = nullptr;  // depth 49
  Object* last_freed = nullptr;   // depth kLastBatchTop
  Object* head = nullptr;
  for (std::size_t i = 0; i < kChain; ++i) {
    Object* next = heap.new_list(0);
    if (head != nullptr) heap.list_append(next, head);  // next holds the chain so far
    head = next;
    if (kChain - 1 - i == 49) first_freed = head;
    if (kChain - 1 - i == kLastBatchTop) last_freed = head;
  }
  EXPECT_EQ(heap.stats().lists_live, kChain);

  const auto start = std::chrono::steady_clock::now();
  heap.decref(head);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  EXPECT_EQ(frees.count, kChain);
  EXPECT_EQ(frees.first, first_freed);
  EXPECT_EQ(frees.last, last_freed);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(live_blocks(allocator), baseline);
  RecordProperty("decref_seconds", std::to_string(seconds));  // reported, not asserted
}

TEST(Stress, MillionObjectsInCyclesAreCollectedByOneFullCollection) {
  Allocator allocator;
  Heap heap(allocator, Heap::Config{{0, 10, 10}});  // everything stays in generation 0
  const Blocks baseline = live_blocks(allocator);
  Object* keeper = heap.new_list(0);

  // Rings of 1..7 lists, each list also holding a str; every tenth ring is
  // kept alive from `keeper`. The garbage rings hold exactly a million lists.
  constexpr std::int64_t kGarbageLists = 1'000'000;
  std::int64_t garbage = 0, kept = 0;
  for (std::size_t ring = 0; garbage < kGarbageLists; ++ring) {
    const bool keep = ring % 10 == 0;
    std::int64_t length = static_cast<std::int64_t>(ring % 7) + 1;
    if (!keep) length = std::min(length, kGarbageLists - garbage);
    Object* first = heap.new_list(16);
    Object* last = first;
    for (std::int64_t i = 1; i < length; ++i) {
      Object* next = heap.new_list(16);
      heap.list_append(last, next);  // last holds next; our reference passes to it
      last = next;
    }
    Heap::incref(first);
    heap.list_append(last, first);  // closes the ring
    heap.list_append(first, heap.new_str(8));
    if (keep) {
      heap.list_append(keeper, first);
      kept += length;
    } else {
      heap.decref(first);
      garbage += length;
    }
  }

  EXPECT_EQ(heap.collect(2), kGarbageLists);
  EXPECT_EQ(heap.stats().lists_live, static_cast<std::size_t>(kept) + 1);
  EXPECT_EQ(heap.stats().free_list_length, 0u);  // emptied by the full collection

  heap.decref(keeper);
  EXPECT_EQ(heap.collect(2), kept);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(heap.stats().strs_live, 0u);
  EXPECT_EQ(live_blocks(allocator), baseline);
}

}  // namespace
}  // namespace gcheap
