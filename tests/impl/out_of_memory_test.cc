// gcheap out of memory (CPython's MemoryError, heap.h's "Out of memory"): an
// Allocator's FailurePlan refuses requests on purpose, and every Heap
// function that needs memory either completes or throws std::bad_alloc having
// changed nothing an embedder can observe, while memory the heap needs to
// finish a destruction is never refused.
//
// The sweep runs one scenario (lists growing past the inline slot and several
// capacities, strs on both allocator paths, big ints, the list free list,
// weakrefs with callbacks, a cycle with a finalizer collected, automatic
// collections) once to count its requests R, then again for every k in 1..R
// with request k refused (Once) and with every request from k on refused
// (From), as CPython's test_capi and Lua's memerr.lua do, and with requests
// refused at random. Each operation that throws must have changed nothing;
// after each operation the heap's and the allocator's invariants hold; and
// once everything is dropped the allocator holds no block, no busy arena and
// no arena outside its table.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>
#include <optional>
#include <vector>

#include "gcheap/allocator.h"
#include "gcheap/heap.h"
#include "heap_internal.h"
#include "invariants.h"

namespace gcheap {
namespace {

using Mode = FailurePlan::Mode;

// What an embedder can observe of an object it holds.
struct HeldState {
  std::intptr_t refcount;
  const Type* type;  // switches to a "with extras" variant when given a weakref or a finalizer
  std::vector<Object*> items;  // a list's
  Object* referent;            // a weakref's
  bool operator==(const HeldState&) const = default;
};

// What an embedder can observe of the heap, and the allocator's blocks.
struct Observed {
  std::array<std::size_t, 5> stats{};  // HeapStats, field by field
  std::array<std::int64_t, kGenerations> counts{};
  std::array<std::int64_t, kGenerations> collections{};
  std::array<std::size_t, kGenerations + 1> generation_sizes{};
  std::size_t garbage = 0;
  std::size_t blocks_live = 0;
  std::vector<HeldState> held;
};

void expect_unchanged(const Observed& after, const Observed& before, const char* what) {
  EXPECT_EQ(after.stats, before.stats) << what << ": HeapStats changed";
  EXPECT_EQ(after.counts, before.counts) << what << ": gc counts changed";
  EXPECT_EQ(after.collections, before.collections) << what << ": a collection ran";
  EXPECT_EQ(after.generation_sizes, before.generation_sizes) << what << ": a generation changed";
  EXPECT_EQ(after.garbage, before.garbage) << what << ": gc.garbage changed";
  EXPECT_EQ(after.blocks_live, before.blocks_live) << what << ": the allocator's live blocks changed";
  ASSERT_EQ(after.held.size(), before.held.size());
  for (std::size_t i = 0; i < after.held.size(); ++i)
    EXPECT_TRUE(after.held[i] == before.held[i]) << what << ": held object " << i << " changed";
}

// One run of the scenario under a plan, holding the references it owns.
class ScenarioRun {
 public:
  explicit ScenarioRun(const FailurePlan& plan) { allocator.set_failure_plan(plan); }

  // The heap's constructor allocates the small ints: false when refused.
  bool make_heap() {
    Heap::Config config;
    config.thresholds = {6, 2, 2};  // automatic collections within the scenario
    try {
      heap.emplace(allocator, config);
    } catch (const std::bad_alloc&) {
      expect_allocator_empty();
      return false;
    }
    return true;
  }

  // Runs an operation that may run out of memory. Thrown, it must have
  // changed nothing; either way the invariants hold after it.
  template <typename Operation>
  bool attempt(const char* what, Operation&& operation) {
    const Observed before = observe();
    bool done = true;
    try {
      operation();
    } catch (const std::bad_alloc&) {
      done = false;
      ++failed_operations;
      expect_unchanged(observe(), before, what);
    }
    check_invariants();
    return done;
  }

  // A new object held by the run, or nullptr when out of memory.
  template <typename Make>
  Object* make(const char* what, Make&& make) {
    Object* made = nullptr;
    attempt(what, [&] { made = make(); });
    if (made != nullptr) held.push_back(made);
    return made;
  }

  // list -> item, with a new reference to item (dropped again if it fails).
  bool append(Object* list, Object* item) {
    return attempt("list_append", [&] {
      Heap::incref(item);
      heap->list_append(list, item);
    });
  }

  void drop(Object* o) {
    held.erase(std::find(held.begin(), held.end(), o));
    heap->decref(o);
    check_invariants();
  }

  void check_invariants() {
    validate_heap(Heap::State::of(*heap));  // the generations and the allocator (GCHEAP_CHECKS builds)
    const AllocatorStats stats = allocator.stats();
    EXPECT_EQ(stats.arena_mappings_live, stats.arenas_mapped) << "an arena mapping outside the table";
    for (Object* o : held) {
      if (Heap::kind(o) != Kind::List) continue;
      const ListObject* list = as_list(o);
      ASSERT_LE(list->size, list->allocated) << "a list claims more items than it has room for";
      for (std::size_t i = 0; i < list->size; ++i) {
        ASSERT_TRUE(Heap::has_valid_type(list->items[i])) << "a list slot holds no object";
        EXPECT_GT(list->items[i]->refcount, 0);
      }
    }
  }

  // Everything dropped and collected, and the heap destroyed: nothing may be
  // left in the allocator.
  void tear_down() {
    while (!held.empty()) drop(held.back());
    heap->collect(2);
    check_invariants();
    heap.reset();
    expect_allocator_empty();
  }

  void expect_allocator_empty() {
    const AllocatorStats stats = allocator.stats();
    EXPECT_EQ(stats.small_blocks_live, 0u);
    EXPECT_EQ(stats.large_blocks_live, 0u);
    EXPECT_EQ(stats.arenas_free, stats.arenas_mapped) << "a busy arena";
    EXPECT_EQ(stats.arena_mappings_live, stats.arenas_mapped) << "a leaked arena";
    allocator.check_invariants();
  }

  Observed observe() const {
    Observed o;
    const HeapStats stats = heap->stats();
    o.stats = {stats.lists_live, stats.strs_live, stats.ints_live, stats.free_list_length, stats.weakrefs_live};
    o.counts = heap->get_count();
    for (int g = 0; g < kGenerations; ++g) o.collections[g] = heap->get_stats()[g].collections;
    for (int g : {0, 1, 2, kPermanent}) {
      std::size_t n = 0;
      heap->for_each_in_generation(g, [&](Object*) { ++n; });
      o.generation_sizes[g == kPermanent ? kGenerations : g] = n;
    }
    o.garbage = heap->garbage_size();
    const AllocatorStats blocks = allocator.stats();
    o.blocks_live = blocks.small_blocks_live + blocks.large_blocks_live;
    for (Object* h : held) {
      HeldState s{h->refcount, h->type, {}, nullptr};
      if (Heap::kind(h) == Kind::List)
        for (std::size_t i = 0; i < Heap::list_size(h); ++i) s.items.push_back(Heap::list_get(h, i));
      if (Heap::kind(h) == Kind::Weakref) s.referent = Heap::weakref_get(h);
      o.held.push_back(std::move(s));
    }
    return o;
  }

  Allocator allocator;
  std::optional<Heap> heap;
  std::vector<Object*> held;  // one reference each
  int failed_operations = 0;
  int user_code_runs = 0;  // finalizers and weakref callbacks
};

// Embedder code run by a destruction or a collection: it allocates too, and
// must handle its own MemoryError (it is noexcept).
void user_code(void* context, Heap& heap, Object*) noexcept {
  ++static_cast<ScenarioRun*>(context)->user_code_runs;
  try {
    heap.decref(heap.new_str(24));
  } catch (const std::bad_alloc&) {
  }
}

void scenario(ScenarioRun& r) {
  if (!r.make_heap()) return;
  Heap& heap = *r.heap;

  // A list grown past its inline slot and through the capacities 4, 8, 16,
  // 24, 32 and 40, holding strs (from pools and from the large path), big
  // ints and small ints; then shrunk by removals.
  Object* root = r.make("new_list", [&] { return heap.new_list(0); });
  for (int i = 0; i < 36; ++i) {
    Object* item;
    switch (i % 4) {
      case 0: item = r.make("new_str", [&] { return heap.new_str(8); }); break;
      case 1: item = r.make("new_int", [&] { return heap.new_int(1000 + i); }); break;
      case 2: item = r.make("new_str (large)", [&] { return heap.new_str(700); }); break;
      default: item = r.make("new_int (small)", [&] { return heap.new_int(i); }); break;
    }
    if (root != nullptr && item != nullptr) r.append(root, item);
    if (item != nullptr && i % 2 == 0) r.drop(item);  // the list holds it alone
  }
  if (root != nullptr) {
    for (std::size_t size = Heap::list_size(root); size > 2; --size) {
      heap.list_remove(root, 0);  // a refused shrink keeps the larger array
      EXPECT_EQ(Heap::list_size(root), size - 1);
      r.check_invariants();
    }
  }

  // Lists of the default payload go to the free list; one taken from it
  // needs no memory, so it cannot fail.
  for (int i = 0; i < 3; ++i)
    if (Object* list = r.make("new_list(16)", [&] { return heap.new_list(16); })) r.drop(list);
  if (heap.stats().free_list_length > 0) {
    EXPECT_NE(r.make("new_list(16) from the free list", [&] { return heap.new_list(16); }), nullptr);
  }

  // Weakrefs to a list that dies: the basic one and two with callbacks, so
  // PyObject_ClearWeakRefs needs a tuple (taken under Unfailing).
  if (Object* referent = r.make("new_list (referent)", [&] { return heap.new_list(0); })) {
    std::vector<Object*> weakrefs;
    for (Heap::WeakrefCallback callback : {Heap::WeakrefCallback{nullptr}, &user_code, &user_code})
      if (Object* wr = r.make("new_weakref", [&] { return heap.new_weakref(referent, callback, &r); }))
        weakrefs.push_back(wr);
    r.drop(referent);
    for (Object* wr : weakrefs) EXPECT_EQ(Heap::weakref_get(wr), nullptr);
  }

  // A cycle through a list with a finalizer, collected.
  Object* a = r.make("new_list (cycle)", [&] { return heap.new_list(0); });
  Object* b = r.make("new_list (cycle)", [&] { return heap.new_list(0); });
  if (a != nullptr && b != nullptr) {
    heap.set_finalizer(a, &user_code, &r);
    r.append(a, b);
    r.append(b, a);
  }
  const int runs_before = r.user_code_runs;
  if (a != nullptr) r.drop(a);
  if (b != nullptr) r.drop(b);
  heap.collect(2);
  r.check_invariants();
  if (a != nullptr && b != nullptr) {
    EXPECT_EQ(r.user_code_runs, runs_before + 1) << "the finalizer ran once";
  }

  r.tear_down();
}

TEST(OutOfMemory, EveryRequestOfAScenarioCanBeRefused) {
  ScenarioRun counting({});
  scenario(counting);
  const std::uint64_t requests = counting.allocator.requests();
  ASSERT_GT(requests, 40u);
  EXPECT_EQ(counting.failed_operations, 0);
  int failed_operations = 0;
  for (Mode mode : {Mode::Once, Mode::From}) {
    for (std::uint64_t k = 1; k <= requests; ++k) {
      SCOPED_TRACE(testing::Message() << (mode == Mode::Once ? "Once " : "From ") << k << " of " << requests);
      ScenarioRun run({mode, k});
      scenario(run);
      // The run is the counting run's up to request k, so k is reached.
      if (mode == Mode::Once) {
        EXPECT_EQ(run.allocator.refusals(), 1u);
      }
      EXPECT_GE(run.allocator.refusals(), 1u);
      failed_operations += run.failed_operations;
      if (testing::Test::HasFailure()) return;  // one k's report is enough
    }
  }
  EXPECT_GT(failed_operations, 0);
}

// Several refusals in one run, scattered: a failed operation among
// completed ones, later ones failing again.
TEST(OutOfMemory, RandomRefusalsLeaveNoTrace) {
  int failed_operations = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(testing::Message() << "Random, seed " << seed << ", one in 5");
    ScenarioRun run({Mode::Random, 0, seed, 5});
    scenario(run);
    failed_operations += run.failed_operations;
    if (testing::Test::HasFailure()) return;
  }
  EXPECT_GT(failed_operations, 40);
}

// The heap's first request is its small ints'.
TEST(OutOfMemory, RefusedHeapConstructionLeavesTheAllocatorEmpty) {
  ScenarioRun run({Mode::Once, 1});
  EXPECT_FALSE(run.make_heap());
  EXPECT_EQ(run.allocator.refusals(), 1u);
}

TEST(OutOfMemory, ADyingObjectsWeakrefTupleIsNeverRefused) {
  ScenarioRun run({});
  ASSERT_TRUE(run.make_heap());
  Heap& heap = *run.heap;
  Object* referent = heap.new_list(0);
  Object* basic = heap.new_weakref(referent, nullptr, nullptr);
  Object* first = heap.new_weakref(referent, &user_code, &run);
  Object* second = heap.new_weakref(referent, &user_code, &run);
  run.allocator.set_failure_plan({Mode::From, 1});
  heap.decref(referent);  // the tuple and its item array: under Unfailing, neither counted nor refused
  EXPECT_EQ(run.user_code_runs, 2);
  for (Object* wr : {basic, first, second}) EXPECT_EQ(Heap::weakref_get(wr), nullptr);
  EXPECT_EQ(run.allocator.requests(), 2u) << "only the callbacks' own new_str";
  EXPECT_EQ(run.allocator.refusals(), 2u);
  run.held = {basic, first, second};
  run.allocator.set_failure_plan({});
  run.tear_down();
}

TEST(OutOfMemory, NewListCountsAndCollectsOnlyWithItsMemory) {
  Allocator allocator;
  Heap heap(allocator, Heap::Config{{1, 10, 10}});
  Object* kept = heap.new_list(0);
  const auto counts = heap.get_count();
  allocator.set_failure_plan({Mode::Once, 1});
  EXPECT_THROW(heap.new_list(0), std::bad_alloc);
  EXPECT_EQ(heap.get_count(), counts);
  EXPECT_EQ(heap.get_stats()[0].collections, 0);
  EXPECT_EQ(heap.stats().lists_live, 1u);
  Object* next = heap.new_list(0);  // request 2: granted, and over threshold0 it collects
  EXPECT_EQ(heap.get_stats()[0].collections, 1);
  heap.decref(next);
  heap.decref(kept);
}

TEST(OutOfMemory, AListFromTheFreeListNeedsNoMemory) {
  Allocator allocator;
  Heap heap(allocator);
  heap.decref(heap.new_list(16));
  allocator.set_failure_plan({Mode::From, 1});
  Object* reused = heap.new_list(16);
  EXPECT_EQ(allocator.requests(), 0u);
  heap.decref(reused);
}

// Growing out of the inline slot (an allocate) and growing an item array (a
// reallocate that moves it), each refused: the list as it was, the item's
// reference dropped.
TEST(OutOfMemory, FailedAppendLeavesTheListAndDropsTheItem) {
  Allocator allocator;
  Heap heap(allocator);
  Object* list = heap.new_list(0);
  Object* item = heap.new_str(0);
  for (std::size_t size : {1u, 4u}) {
    while (Heap::list_size(list) < size) {
      Heap::incref(item);
      heap.list_append(list, item);
    }
    std::vector<Object*> items;
    for (std::size_t i = 0; i < size; ++i) items.push_back(Heap::list_get(list, i));
    const std::intptr_t refcount = item->refcount;
    allocator.set_failure_plan({Mode::Once, 1});
    Heap::incref(item);
    EXPECT_THROW(heap.list_append(list, item), std::bad_alloc);
    EXPECT_EQ(item->refcount, refcount);
    ASSERT_EQ(Heap::list_size(list), size);
    for (std::size_t i = 0; i < size; ++i) EXPECT_EQ(Heap::list_get(list, i), items[i]);
    allocator.set_failure_plan({});
  }
  heap.decref(list);
  heap.decref(item);
  EXPECT_EQ(allocator.stats().small_blocks_live, 0u);
}

}  // namespace
}  // namespace gcheap
