// minheap's unit tests: refcounts after each call, the order of frees where
// heap.h specifies it, the collector, teardown and the hooks. Tests named
// after a seeded bug show the correct behaviour that bug breaks.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "minheap/heap.h"

namespace minheap {
namespace {

Object* tagged(Object* object, std::uint64_t tag) {
  object->set_tag(tag);
  return object;
}

// Records the hooks' calls as "free <tag>", "start" and "stop <collected>".
struct Recorder {
  std::vector<std::string> events;

  Hooks hooks() {
    return {
        .on_free = [this](const Object& object) { events.push_back("free " + std::to_string(object.tag())); },
        .on_collection_start = [this] { events.push_back("start"); },
        .on_collection_stop =
            [this](std::int64_t collected) { events.push_back("stop " + std::to_string(collected)); },
    };
  }
};

using Events = std::vector<std::string>;

// --- Objects ---------------------------------------------------------------

TEST(Objects, NewObjectsAreNewReferences) {
  Heap heap(1);
  Object* list = heap.new_list(16);
  Object* str = heap.new_str(5);
  Object* number = heap.new_int(-42);

  EXPECT_EQ(list->kind(), Kind::List);
  EXPECT_EQ(str->kind(), Kind::Str);
  EXPECT_EQ(number->kind(), Kind::Int);
  for (const Object* object : {list, str, number}) EXPECT_EQ(object->refcount(), 1);
  EXPECT_EQ(list->payload_size(), 16u);
  EXPECT_EQ(str->payload_size(), 5u);
  EXPECT_EQ(number->payload_size(), 0u);
  EXPECT_EQ(number->int_value(), -42);
  EXPECT_EQ(list->size(), 0u);
  EXPECT_EQ(heap.live_objects(), 3u);

  heap.decref(list);
  heap.decref(str);
  heap.decref(number);
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(Objects, PayloadIsZeroedAndWritable) {
  Heap heap(1);
  Object* str = heap.new_str(8);
  for (std::byte byte : str->payload()) EXPECT_EQ(byte, std::byte{0});
  str->payload()[7] = std::byte{0x5A};
  EXPECT_EQ(str->payload()[7], std::byte{0x5A});
  EXPECT_EQ(str->payload().size(), 8u);
  heap.decref(str);
}

TEST(Objects, TagIsTheUsers) {
  Heap heap(1);
  Object* str = heap.new_str(0);
  EXPECT_EQ(str->tag(), 0u);
  str->set_tag(0xFFFF'FFFF'FFFF'FFFFu);
  EXPECT_EQ(str->tag(), 0xFFFF'FFFF'FFFF'FFFFu);
  heap.decref(str);
}

TEST(Objects, ForEachLiveObjectVisitsTheLiveOldestFirst) {
  Heap heap(1);
  Object* a = tagged(heap.new_str(0), 1);
  Object* b = tagged(heap.new_int(0), 2);
  Object* c = tagged(heap.new_list(0), 3);
  heap.decref(b);
  std::vector<std::uint64_t> tags;
  heap.for_each_live_object([&tags](const Object& object) { tags.push_back(object.tag()); });
  EXPECT_EQ(tags, (std::vector<std::uint64_t>{1, 3}));
  heap.decref(a);
  heap.decref(c);
}

// --- Reference counting ----------------------------------------------------

TEST(Refcount, IncrefAndDecref) {
  Recorder recorder;
  Heap heap(1);
  heap.set_hooks(recorder.hooks());
  Object* str = tagged(heap.new_str(0), 1);
  heap.incref(str);
  EXPECT_EQ(str->refcount(), 2);
  heap.decref(str);
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_TRUE(recorder.events.empty());
  heap.decref(str);
  EXPECT_EQ(recorder.events, (Events{"free 1"}));
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(Refcount, RootSlots) {
  Heap heap(2);
  EXPECT_EQ(heap.root_count(), 2u);
  EXPECT_EQ(heap.root(0), nullptr);
  Object* str = heap.new_str(0);
  heap.bind(0, str);  // the new reference moves into the slot
  EXPECT_EQ(heap.root(0), str);
  EXPECT_EQ(str->refcount(), 1);
  heap.set_root(1, str);
  EXPECT_EQ(heap.root(1), str);
  EXPECT_EQ(str->refcount(), 2);
  heap.unbind(1);
  EXPECT_EQ(heap.root(1), nullptr);
  EXPECT_EQ(str->refcount(), 1);
  heap.unbind(1);  // already empty
  EXPECT_EQ(str->refcount(), 1);
  heap.unbind(0);
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(Refcount, BindDropsTheOldObjectAfterStoringTheNew) {
  Heap heap(1);
  Object* old = tagged(heap.new_str(0), 1);
  heap.bind(0, old);
  Object* replacement = tagged(heap.new_str(0), 2);
  Object* root_when_freed = nullptr;
  heap.set_hooks({.on_free = [&](const Object&) { root_when_freed = heap.root(0); }});
  heap.bind(0, replacement);
  EXPECT_EQ(root_when_freed, replacement);
  EXPECT_EQ(replacement->refcount(), 1);
  EXPECT_EQ(heap.live_objects(), 1u);
}

TEST(Refcount, RebindingTheSameObjectIsSafe) {
  Heap heap(1);
  Object* str = heap.new_str(0);
  heap.bind(0, str);
  heap.incref(str);
  heap.bind(0, str);
  EXPECT_EQ(str->refcount(), 1);
  heap.set_root(0, heap.root(0));
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(heap.root(0), str);
  EXPECT_EQ(heap.live_objects(), 1u);
}

TEST(Refcount, ListItems) {
  Heap heap(1);
  Object* list = heap.new_list(0);
  heap.bind(0, list);
  Object* a = heap.new_str(0);
  Object* b = heap.new_int(1);

  heap.append(list, a);
  heap.append(list, a);
  heap.append(list, b);
  EXPECT_EQ(a->refcount(), 3);
  EXPECT_EQ(b->refcount(), 2);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(list->item(0), a);
  EXPECT_EQ(list->item(2), b);

  heap.set_item(list, 0, b);
  EXPECT_EQ(a->refcount(), 2);
  EXPECT_EQ(b->refcount(), 3);

  heap.remove_item(list, 1);
  EXPECT_EQ(a->refcount(), 1);
  EXPECT_EQ(b->refcount(), 3);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->item(0), b);
  EXPECT_EQ(list->item(1), b);

  heap.clear(list);
  EXPECT_EQ(list->size(), 0u);
  EXPECT_EQ(b->refcount(), 1);
  EXPECT_EQ(list->refcount(), 1);
  heap.decref(a);
  heap.decref(b);
  EXPECT_EQ(heap.live_objects(), 1u);
}

TEST(Refcount, ListGrowsShrinksAndRefills) {
  Heap heap(1);
  Object* list = heap.new_list(8);
  heap.bind(0, list);
  std::vector<Object*> numbers;
  for (std::int64_t value = 0; value < 100; ++value) {
    numbers.push_back(heap.new_int(value));
    heap.append(list, numbers.back());
    heap.decref(numbers.back());
  }
  ASSERT_EQ(list->size(), 100u);
  for (std::size_t index = 0; index < 100; ++index) EXPECT_EQ(list->item(index), numbers[index]);
  heap.remove_item(list, 0);
  heap.remove_item(list, 98);  // the last
  ASSERT_EQ(list->size(), 98u);
  EXPECT_EQ(list->item(0)->int_value(), 1);
  EXPECT_EQ(list->item(97)->int_value(), 98);
  EXPECT_EQ(heap.live_objects(), 99u);
  heap.clear(list);
  EXPECT_EQ(heap.live_objects(), 1u);
  heap.append(list, list);
  heap.append(list, list);
  EXPECT_EQ(list->size(), 2u);
  EXPECT_EQ(list->refcount(), 3);
}

TEST(Refcount, ListHoldingItself) {
  Heap heap(1);
  Object* list = heap.new_list(0);
  heap.append(list, list);
  EXPECT_EQ(list->refcount(), 2);
  heap.decref(list);
  EXPECT_EQ(list->refcount(), 1);  // only the cycle keeps it
  EXPECT_EQ(heap.collect(), 1);
  EXPECT_EQ(heap.live_objects(), 0u);
}

// --- Order of frees --------------------------------------------------------

// Seeded bug dealloc_skips_first_item breaks this: item 0 ("free 1") leaks.
TEST(FreeOrder, FreedListDropsItsItemsLastFirstDepthFirst) {
  Recorder recorder;
  Heap heap(1);
  Object* outer = tagged(heap.new_list(0), 10);
  Object* inner = tagged(heap.new_list(0), 20);
  for (std::uint64_t tag : {21, 22}) {
    Object* str = tagged(heap.new_str(0), tag);
    heap.append(inner, str);
    heap.decref(str);
  }
  Object* first = tagged(heap.new_str(0), 1);
  Object* last = tagged(heap.new_int(3), 3);
  for (Object* item : {first, inner, last}) {
    heap.append(outer, item);
    heap.decref(item);
  }
  std::size_t size_when_freed = 99;
  heap.set_hooks({.on_free = [&](const Object& object) {
    recorder.events.push_back("free " + std::to_string(object.tag()));
    if (&object == outer) size_when_freed = object.size();
  }});

  heap.decref(outer);
  EXPECT_EQ(recorder.events, (Events{"free 3", "free 22", "free 21", "free 20", "free 1", "free 10"}));
  EXPECT_EQ(size_when_freed, 0u);
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(FreeOrder, FreedListDropsItemsItSharesWithARoot) {
  Heap heap(1);
  Object* str = heap.new_str(0);
  heap.bind(0, str);
  Object* list = heap.new_list(0);
  heap.append(list, str);
  heap.append(list, str);
  EXPECT_EQ(str->refcount(), 3);
  heap.decref(list);
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(heap.live_objects(), 1u);
}

TEST(FreeOrder, ClearEmptiesTheListThenDropsItsItemsLastFirst) {
  Recorder recorder;
  Heap heap(1);
  Object* list = tagged(heap.new_list(0), 10);
  heap.bind(0, list);
  for (std::uint64_t tag : {1, 2, 3}) {
    Object* str = tagged(heap.new_str(0), tag);
    heap.append(list, str);
    heap.decref(str);
  }
  std::vector<std::size_t> sizes_when_freed;
  heap.set_hooks({.on_free = [&](const Object& object) {
    recorder.events.push_back("free " + std::to_string(object.tag()));
    sizes_when_freed.push_back(list->size());
  }});
  heap.clear(list);
  EXPECT_EQ(recorder.events, (Events{"free 3", "free 2", "free 1"}));
  EXPECT_EQ(sizes_when_freed, (std::vector<std::size_t>{0, 0, 0}));
}

// Seeded bug remove_item_drops_twice breaks this: the root's str is freed.
TEST(FreeOrder, RemoveItemShiftsThenDropsTheRemovedOnce) {
  Heap heap(2);
  Object* list = heap.new_list(0);
  heap.bind(0, list);
  Object* shared = heap.new_str(0);
  heap.bind(1, shared);
  Object* a = heap.new_str(0);
  Object* b = tagged(heap.new_str(0), 2);
  Object* c = heap.new_str(0);
  for (Object* item : {a, b, c}) {
    heap.append(list, item);
    heap.decref(item);
  }
  heap.append(list, shared);
  EXPECT_EQ(shared->refcount(), 2);

  std::vector<std::uint64_t> freed;
  std::vector<Object*> items_when_freed;
  heap.set_hooks({.on_free = [&](const Object& object) {
    freed.push_back(object.tag());
    for (std::size_t index = 0; index < list->size(); ++index) items_when_freed.push_back(list->item(index));
  }});
  heap.remove_item(list, 1);
  EXPECT_EQ(freed, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(items_when_freed, (std::vector<Object*>{a, c, shared}));
  EXPECT_EQ(heap.live_objects(), 4u);

  heap.remove_item(list, 2);
  EXPECT_EQ(freed.size(), 1u);
  EXPECT_EQ(shared->refcount(), 1);
  EXPECT_EQ(heap.root(1), shared);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(heap.live_objects(), 4u);
}

// Seeded bug set_item_keeps_old breaks this: the old item leaks.
TEST(FreeOrder, SetItemStoresTheNewItemThenDropsTheOld) {
  Heap heap(1);
  Object* list = heap.new_list(0);
  heap.bind(0, list);
  Object* old = heap.new_str(0);
  heap.append(list, old);
  heap.decref(old);
  Object* replacement = heap.new_int(7);
  Object* item_when_freed = nullptr;
  int frees = 0;
  heap.set_hooks({.on_free = [&](const Object&) {
    ++frees;
    item_when_freed = list->item(0);
  }});
  heap.set_item(list, 0, replacement);
  EXPECT_EQ(frees, 1);
  EXPECT_EQ(item_when_freed, replacement);
  EXPECT_EQ(replacement->refcount(), 2);
  heap.decref(replacement);
  EXPECT_EQ(heap.live_objects(), 2u);
}

TEST(FreeOrder, SetItemToTheSameObjectIsSafe) {
  Heap heap(1);
  Object* list = heap.new_list(0);
  heap.bind(0, list);
  Object* str = heap.new_str(0);
  heap.append(list, str);
  heap.decref(str);
  heap.set_item(list, 0, list->item(0));
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(list->item(0), str);
  EXPECT_EQ(heap.live_objects(), 2u);
}

// A list whose only reference is held by its own item dies mid-call; the
// call must not touch it afterwards (AddressSanitizer would say).
TEST(FreeOrder, ListFreedByDroppingItsOwnItem) {
  Heap heap(1);
  for (int call = 0; call < 3; ++call) {
    Object* list = heap.new_list(0);
    Object* holder = heap.new_list(0);
    heap.append(list, holder);
    heap.append(holder, list);
    heap.decref(holder);
    heap.decref(list);  // list <-> holder, held by nothing else
    ASSERT_EQ(list->refcount(), 1);
    switch (call) {
      case 0: heap.clear(list); break;
      case 1: heap.remove_item(list, 0); break;
      case 2: {
        Object* str = heap.new_str(0);
        heap.set_item(list, 0, str);  // list now only holds str, and dies
        heap.decref(str);
        break;
      }
    }
    EXPECT_EQ(heap.live_objects(), 0u) << "call " << call;
  }
}

// --- Cascades --------------------------------------------------------------

constexpr std::size_t kChainLength = 10'000'000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A chain of lists tagged 0..length-1, each holding the next, the head bound
// to root slot 0.
Object* bind_chain(Heap& heap, std::size_t length) {
  Object* head = tagged(heap.new_list(0), 0);
  heap.bind(0, head);
  Object* tail = head;
  for (std::size_t index = 1; index < length; ++index) {
    Object* next = tagged(heap.new_list(0), index);
    heap.append(tail, next);
    heap.decref(next);
    tail = next;
  }
  return tail;
}

// Recursion 10 million deep would overflow the stack.
TEST(Cascade, FreesATenMillionListChainWithoutRecursion) {
  Heap heap(1);
  auto start = std::chrono::steady_clock::now();
  bind_chain(heap, kChainLength);
  const double build_seconds = seconds_since(start);
  ASSERT_EQ(heap.live_objects(), kChainLength);

  std::size_t frees = 0;
  std::uint64_t first_freed = 0;
  std::uint64_t last_freed = 0;
  heap.set_hooks({.on_free = [&](const Object& object) {
    if (frees++ == 0) first_freed = object.tag();
    last_freed = object.tag();
  }});
  start = std::chrono::steady_clock::now();
  heap.unbind(0);
  const double free_seconds = seconds_since(start);

  EXPECT_EQ(frees, kChainLength);
  EXPECT_EQ(first_freed, kChainLength - 1);  // depth first: the tail first,
  EXPECT_EQ(last_freed, 0u);                 // the head last
  EXPECT_EQ(heap.live_objects(), 0u);
  std::printf("10M-list chain: built in %.3f s, freed in %.3f s\n", build_seconds, free_seconds);
}

TEST(Cascade, CollectsATenMillionListCycle) {
  Heap heap(1);
  Object* tail = bind_chain(heap, kChainLength);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(heap.collect(), 0);  // marking follows the whole chain
  const double mark_seconds = seconds_since(start);
  EXPECT_EQ(heap.live_objects(), kChainLength);
  EXPECT_EQ(tail->refcount(), 1);

  heap.append(tail, heap.root(0));
  heap.unbind(0);
  ASSERT_EQ(heap.live_objects(), kChainLength);
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(heap.collect(), static_cast<std::int64_t>(kChainLength));
  const double collect_seconds = seconds_since(start);
  EXPECT_EQ(heap.live_objects(), 0u);
  std::printf("10M-list chain: marked in %.3f s; as a cycle, collected in %.3f s\n", mark_seconds,
              collect_seconds);
}

// --- Collection ------------------------------------------------------------

// Two lists a <-> b, a holding a str and an int, b a str, held by nothing else.
struct Cycle {
  Object* a;
  Object* b;
};

Cycle make_cycle(Heap& heap, std::uint64_t tag) {
  Object* a = tagged(heap.new_list(0), tag);
  Object* b = tagged(heap.new_list(0), tag + 1);
  Object* a_str = tagged(heap.new_str(4), tag + 2);
  Object* a_int = tagged(heap.new_int(5), tag + 3);
  Object* b_str = tagged(heap.new_str(6), tag + 4);
  for (Object* item : {a_str, a_int, b}) heap.append(a, item);
  for (Object* item : {b_str, a}) heap.append(b, item);
  for (Object* object : {a, b, a_str, a_int, b_str}) heap.decref(object);
  return {a, b};
}

// Seeded bug collect_counts_strs breaks this: it returns 4.
TEST(Collect, FindsACycleAndCountsOnlyItsLists) {
  Heap heap(1);
  make_cycle(heap, 10);
  ASSERT_EQ(heap.live_objects(), 5u);
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(heap.live_objects(), 0u);
  EXPECT_EQ(heap.collections(), 1);
  EXPECT_EQ(heap.collected(), 2);
}

// The holds: every garbage list is emptied (freeing its strs and ints)
// before any garbage list is freed, oldest first.
TEST(Collect, HooksFireInOrder) {
  Recorder recorder;
  Heap heap(1);
  make_cycle(heap, 10);
  heap.set_hooks(recorder.hooks());
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(recorder.events,
            (Events{"start", "free 13", "free 12", "free 14", "free 10", "free 11", "stop 2"}));
}

TEST(Collect, StopHookSeesTheStatisticsUpdated) {
  Heap heap(1);
  make_cycle(heap, 10);
  std::int64_t collections = -1;
  std::int64_t collected = -1;
  heap.set_hooks({.on_collection_stop = [&](std::int64_t) {
    collections = heap.collections();
    collected = heap.collected();
  }});
  heap.collect();
  EXPECT_EQ(collections, 1);
  EXPECT_EQ(collected, 2);
}

// Seeded bug sweep_misses_last breaks this: the last cycle leaks.
TEST(Collect, FreesEveryGarbageList) {
  Heap heap(1);
  for (std::uint64_t tag : {10, 20, 30}) make_cycle(heap, tag);
  Object* alone = heap.new_list(0);
  heap.append(alone, alone);
  heap.decref(alone);
  ASSERT_EQ(heap.live_objects(), 16u);
  EXPECT_EQ(heap.collect(), 7);
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(Collect, RootKeepsACycleAlive) {
  Heap heap(1);
  const Cycle cycle = make_cycle(heap, 10);
  heap.set_root(0, cycle.b);
  EXPECT_EQ(heap.collect(), 0);
  EXPECT_EQ(heap.live_objects(), 5u);
  EXPECT_EQ(cycle.a->refcount(), 1);
  EXPECT_EQ(cycle.b->refcount(), 2);
  EXPECT_EQ(cycle.a->size(), 3u);
  EXPECT_EQ(heap.collect(), 0);  // the marks were reset
  heap.unbind(0);
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(heap.live_objects(), 0u);
  EXPECT_EQ(heap.collections(), 3);
  EXPECT_EQ(heap.collected(), 2);
}

TEST(Collect, ObjectsHeldByAReachableListStayAlive) {
  Heap heap(1);
  Object* root = heap.new_list(0);
  heap.bind(0, root);
  const Cycle cycle = make_cycle(heap, 10);
  Object* str = heap.new_str(0);
  heap.append(root, str);
  heap.decref(str);
  heap.append(root, cycle.a);
  EXPECT_EQ(heap.collect(), 0);
  EXPECT_EQ(heap.live_objects(), 7u);
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(cycle.a->refcount(), 2);
  EXPECT_EQ(cycle.b->size(), 2u);
}

// Seeded bug mark_skips_item_zero breaks this: the inner list is emptied
// (its str freed) and counted.
TEST(Collect, ListReachableOnlyThroughItemZeroSurvives) {
  Heap heap(1);
  Object* outer = heap.new_list(0);
  heap.bind(0, outer);
  Object* inner = heap.new_list(0);
  heap.append(outer, inner);
  heap.decref(inner);
  Object* str = heap.new_str(0);
  heap.append(inner, str);
  heap.decref(str);
  EXPECT_EQ(heap.collect(), 0);
  EXPECT_EQ(inner->size(), 1u);
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(heap.live_objects(), 3u);
}

// Only roots keep a list alive across a collection: a list the caller holds
// outside the roots is garbage. Emptied and counted, it survives while held.
TEST(Collect, ListHeldOutsideTheRootsIsEmptiedButSurvives) {
  Recorder recorder;
  Heap heap(1);
  Object* list = tagged(heap.new_list(0), 10);
  Object* str = tagged(heap.new_str(0), 1);
  heap.append(list, str);
  heap.decref(str);
  heap.set_hooks(recorder.hooks());
  EXPECT_EQ(heap.collect(), 1);
  EXPECT_EQ(recorder.events, (Events{"start", "free 1", "stop 1"}));
  EXPECT_EQ(list->refcount(), 1);
  EXPECT_EQ(list->size(), 0u);
  heap.decref(list);
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(Collect, StrsAndIntsAreNeverGarbageThemselves) {
  Heap heap(1);
  Object* str = heap.new_str(0);
  Object* number = heap.new_int(1);
  EXPECT_EQ(heap.collect(), 0);
  EXPECT_EQ(heap.live_objects(), 2u);
  heap.decref(str);
  heap.decref(number);
}

// --- Teardown --------------------------------------------------------------

TEST(Teardown, UnbindsRootsInOrderThenCollects) {
  Recorder recorder;
  Heap heap(3);
  heap.bind(0, tagged(heap.new_str(0), 1));
  const Cycle cycle = make_cycle(heap, 10);
  heap.set_root(1, cycle.a);
  heap.bind(2, tagged(heap.new_int(0), 2));
  heap.set_hooks(recorder.hooks());
  EXPECT_EQ(heap.teardown(), 0u);
  EXPECT_EQ(recorder.events,
            (Events{"free 1", "free 2", "start", "free 13", "free 12", "free 14", "free 10", "free 11", "stop 2"}));
  for (std::size_t slot = 0; slot < 3; ++slot) EXPECT_EQ(heap.root(slot), nullptr);
}

TEST(Teardown, ReturnsTheNumberOfLeakedObjects) {
  Heap heap(2);
  Object* str = heap.new_str(0);
  heap.bind(0, str);
  heap.incref(str);  // never dropped
  Object* list = heap.new_list(0);
  heap.bind(1, list);
  heap.incref(list);  // never dropped
  Object* item = heap.new_str(0);
  heap.append(list, item);
  heap.decref(item);
  EXPECT_EQ(heap.teardown(), 2u);
  EXPECT_EQ(str->refcount(), 1);
  EXPECT_EQ(list->size(), 0u);  // emptied by the collection
  EXPECT_EQ(heap.collected(), 1);
}

// Hook targets may die before the heap, so the destructor calls none. The
// leaked memory is released too: AddressSanitizer's leak check would say.
TEST(Teardown, DestructorCallsNoHookAndReleasesLeaks) {
  Recorder recorder;
  {
    Heap heap(1);
    heap.set_hooks(recorder.hooks());
    heap.bind(0, heap.new_str(0));
    heap.new_list(0);  // a new reference never dropped
  }
  EXPECT_TRUE(recorder.events.empty());
}

}  // namespace
}  // namespace minheap
