// gcheap's cycle collector: each phase of gc_collect_main on its own (through
// heap_internal.h), then whole collections, the counts and automatic trigger,
// and the rest of the gc module (thresholds, enable, freeze, stats, callbacks).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "gcheap/heap.h"
#include "heap_internal.h"

namespace gcheap {
namespace {

struct Event {
  CollectionPhase phase;
  int generation;
  std::int64_t collected;
  std::int64_t uncollectable;
  bool operator==(const Event&) const = default;
};

class GcTest : public ::testing::Test {
 public:
  explicit GcTest(Heap::Config config = Heap::Config{{0, 10, 10}}) : heap(allocator, config) {
    heap.set_free_hook(&GcTest::on_free, this);
    heap.add_callback(&GcTest::on_collection, this);
  }

  std::vector<Object*> generation(int g) const {
    std::vector<Object*> out;
    heap.for_each_in_generation(g, [&](Object* o) { out.push_back(o); });
    return out;
  }
  std::vector<Object*> list_members(GcHead* head) const {
    std::vector<Object*> out;
    for (GcHead* g = gc_next(head); g != head; g = reinterpret_cast<GcHead*>(g->next & ~kNextMaskUnreachable))
      out.push_back(from_gc(g));
    return out;
  }
  bool freed(Object* o) const { return std::find(freed_.begin(), freed_.end(), o) != freed_.end(); }

  // a -> b with a reference handed over: a holds b.
  void link(Object* a, Object* b) {
    Heap::incref(b);
    heap.list_append(a, b);
  }
  // The phase tests' graph: roots (ours) -> a <-> b, c rooted and pointing
  // at a, d a garbage self-cycle, a str in a (atoms are skipped by
  // traversal). c is allocated first or third, so that it sits behind or
  // ahead of a in generation 0.
  struct PhaseGraph {
    Object* a;
    Object* b;
    Object* c;
    Object* d;
  };
  PhaseGraph phase_graph(bool c_first) {
    PhaseGraph g{};
    if (c_first) g.c = heap.new_list(0);
    g.a = heap.new_list(0);
    g.b = heap.new_list(0);
    if (!c_first) g.c = heap.new_list(0);
    g.d = heap.new_list(0);
    link(g.a, g.b);
    link(g.b, g.a);
    link(g.c, g.a);
    link(g.d, g.d);
    heap.decref(g.b);
    heap.decref(g.d);
    heap.list_append(g.a, heap.new_str(1));
    return g;
  }

  // Two lists referring to each other, with no other reference: garbage.
  std::pair<Object*, Object*> garbage_pair() {
    Object* a = heap.new_list(0);
    Object* b = heap.new_list(0);
    link(a, b);
    link(b, a);
    heap.decref(a);
    heap.decref(b);
    return {a, b};
  }

  static void on_free(void* context, Object* dying) noexcept { static_cast<GcTest*>(context)->freed_.push_back(dying); }
  static void on_collection(void* context, CollectionPhase phase, const CollectionInfo& info) noexcept {
    auto* self = static_cast<GcTest*>(context);
    self->events.push_back({phase, info.generation, info.collected, info.uncollectable});
    if (phase == CollectionPhase::Start) {
      self->gen0_at_start.push_back(self->generation(0).size());
      if (self->collect_from_callback) self->nested_results.push_back(self->heap.collect(2));
    }
  }

  Allocator allocator;
  Heap heap;
  std::vector<Object*> freed_;
  std::vector<Event> events;
  std::vector<std::size_t> gen0_at_start;
  bool collect_from_callback = false;
  std::vector<std::int64_t> nested_results;
};

// --- the phases, one at a time ------------------------------------------------------

TEST_F(GcTest, PhasesFindExactlyTheUnreachableObjects) {
  const auto [a, b, c, d] = phase_graph(/*c_first=*/false);
  ASSERT_EQ(a->refcount, 3);
  GcHead* young = generation_head(Heap::State::of(heap), 0);

  update_refs(young);
  EXPECT_EQ(gc_get_refs(as_gc(a)), 3);
  EXPECT_EQ(gc_get_refs(as_gc(b)), 1);
  EXPECT_EQ(gc_get_refs(as_gc(c)), 1);
  EXPECT_EQ(gc_get_refs(as_gc(d)), 1);
  for (Object* o : {a, b, c, d}) EXPECT_TRUE(gc_is_collecting(as_gc(o)));

  subtract_refs(young);
  EXPECT_EQ(gc_get_refs(as_gc(a)), 1);  // the root
  EXPECT_EQ(gc_get_refs(as_gc(b)), 0);
  EXPECT_EQ(gc_get_refs(as_gc(c)), 1);  // the root
  EXPECT_EQ(gc_get_refs(as_gc(d)), 0);

  GcHead unreachable;
  gc_list_init(&unreachable);
  move_unreachable(young, &unreachable);
  EXPECT_EQ(generation(0), (std::vector<Object*>{a, b, c}));
  EXPECT_EQ(list_members(&unreachable), std::vector<Object*>{d});
  for (Object* o : {a, b, c}) EXPECT_FALSE(gc_is_collecting(as_gc(o)));
  EXPECT_TRUE(gc_is_collecting(as_gc(d)));
  EXPECT_TRUE(as_gc(d)->next & kNextMaskUnreachable);
  // young is a valid doubly linked list again.
  EXPECT_EQ(gc_prev(as_gc(b)), as_gc(a));
  EXPECT_EQ(gc_prev(young), as_gc(c));

  clear_unreachable_mask(&unreachable);
  EXPECT_FALSE(as_gc(d)->next & kNextMaskUnreachable);
  EXPECT_EQ(gc_next(as_gc(d)), &unreachable);
  delete_garbage(heap, &unreachable, young);
  EXPECT_TRUE(gc_list_is_empty(&unreachable));
  EXPECT_TRUE(freed(d));
  EXPECT_FALSE(freed(a));
  heap.decref(c);
  heap.decref(a);
  EXPECT_EQ(heap.collect(0), 2);
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

TEST_F(GcTest, UpdateAndSubtractRefsInOneWalkMatchesTheTwoPhases) {
  // The same graph as above, with referents ahead of and behind their
  // holders in the list, and a weakref (tracked, holds nothing) held by a
  // list: one walk leaves every object's gc_refs as steps 1 and 2 do.
  const auto [a, b, c, d] = phase_graph(/*c_first=*/true);
  Object* w = heap.new_weakref(c, nullptr, nullptr);
  link(d, w);
  GcHead* young = generation_head(Heap::State::of(heap), 0);

  EXPECT_EQ(update_and_subtract_refs(young), 5u);
  EXPECT_EQ(gc_get_refs(as_gc(a)), 1);  // the root
  EXPECT_EQ(gc_get_refs(as_gc(b)), 0);
  EXPECT_EQ(gc_get_refs(as_gc(c)), 1);  // the root
  EXPECT_EQ(gc_get_refs(as_gc(d)), 0);
  EXPECT_EQ(gc_get_refs(as_gc(w)), 1);  // ours
  for (Object* o : {a, b, c, d, w}) EXPECT_TRUE(gc_is_collecting(as_gc(o)));
  GcHead unreachable;
  gc_list_init(&unreachable);
  move_unreachable(young, &unreachable);
  EXPECT_EQ(list_members(&unreachable), std::vector<Object*>{d});
  clear_unreachable_mask(&unreachable);
  delete_garbage(heap, &unreachable, young);
  EXPECT_TRUE(freed(d));
  heap.decref(w);
  heap.decref(c);
  heap.decref(a);
  EXPECT_EQ(heap.collect(2), 2);
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

TEST_F(GcTest, MoveUnreachableRescuesAnObjectFoundReachableLater) {
  // x comes first but is held only by y, which is rooted: the scan moves x
  // to the unreachable list, then moves it back when it traverses y.
  Object* x = heap.new_list(0);
  Object* y = heap.new_list(0);
  Object* z = heap.new_list(0);  // garbage, scanned after the rescue
  link(y, x);
  heap.decref(x);
  link(z, z);
  heap.decref(z);
  GcHead* young = generation_head(Heap::State::of(heap), 0);
  update_refs(young);
  subtract_refs(young);
  EXPECT_EQ(gc_get_refs(as_gc(x)), 0);
  GcHead unreachable;
  gc_list_init(&unreachable);
  move_unreachable(young, &unreachable);
  EXPECT_EQ(generation(0), (std::vector<Object*>{y, x}));
  EXPECT_EQ(list_members(&unreachable), std::vector<Object*>{z});
  EXPECT_FALSE(gc_is_collecting(as_gc(x)));
  EXPECT_EQ(gc_prev(as_gc(x)), as_gc(y));
  clear_unreachable_mask(&unreachable);
  delete_garbage(heap, &unreachable, young);
  EXPECT_TRUE(freed(z));
  heap.decref(y);
  EXPECT_TRUE(freed(x));
}

TEST_F(GcTest, DeleteGarbageMovesObjectsThatStayAliveToOld) {
  // A garbage cycle a <-> b whose clearing does not free b: an outside
  // reference appears after the unreachable set is known (as a finalizer
  // might add one). b is moved to the older list instead of being freed.
  auto [a, b] = garbage_pair();
  Heap::State& state = Heap::State::of(heap);
  GcHead* young = generation_head(state, 0);
  GcHead* old = generation_head(state, 1);
  update_refs(young);
  subtract_refs(young);
  GcHead unreachable;
  gc_list_init(&unreachable);
  move_unreachable(young, &unreachable);
  clear_unreachable_mask(&unreachable);
  Heap::incref(b);
  delete_garbage(heap, &unreachable, old);
  EXPECT_TRUE(freed(a));
  EXPECT_FALSE(freed(b));
  EXPECT_EQ(generation(1), std::vector<Object*>{b});
  EXPECT_FALSE(gc_is_collecting(as_gc(b)));
  EXPECT_EQ(Heap::list_size(b), 0u);  // cleared
  heap.decref(b);
  EXPECT_TRUE(freed(b));
}

// --- whole collections ------------------------------------------------------------------

TEST_F(GcTest, TwoListCycleIsCollected) {
  auto [a, b] = garbage_pair();
  EXPECT_FALSE(freed(a));
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_TRUE(freed(a));
  EXPECT_TRUE(freed(b));
  EXPECT_EQ(heap.stats().lists_live, 0u);
  EXPECT_EQ(heap.collect(), 0);
}

TEST_F(GcTest, SelfCycleIsCollected) {
  Object* a = heap.new_list(0);
  link(a, a);
  heap.decref(a);
  EXPECT_EQ(a->refcount, 1);
  EXPECT_EQ(heap.collect(0), 1);
  EXPECT_TRUE(freed(a));
}

TEST_F(GcTest, AtomsHeldByGarbageDieByRefcountAndAreNotCounted) {
  auto [a, b] = garbage_pair();
  Object* s = heap.new_str(3);
  heap.list_append(a, s);
  heap.list_append(b, heap.new_int(1000));
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_TRUE(freed(s));
  EXPECT_EQ(heap.stats().strs_live, 0u);
  EXPECT_EQ(heap.stats().ints_live, 0u);
}

TEST_F(GcTest, YoungCycleHeldByOldGarbageSurvivesYoungCollection) {
  Object* old = heap.new_list(0);
  link(old, old);
  heap.collect(0);  // old moves to generation 1
  auto [a, b] = garbage_pair();
  link(old, a);
  heap.decref(old);  // now old is garbage too, but in generation 1
  EXPECT_EQ(heap.collect(0), 0);
  EXPECT_FALSE(freed(a));
  EXPECT_EQ(generation(1), (std::vector<Object*>{old, a, b}));
  EXPECT_EQ(heap.collect(1), 3);
  EXPECT_TRUE(freed(old) && freed(a) && freed(b));
}

TEST_F(GcTest, OldObjectsHeldOnlyByYoungGarbageDieUncounted) {
  Object* old = heap.new_list(0);
  heap.collect(0);
  auto [a, b] = garbage_pair();
  heap.list_append(a, old);  // hands over the only reference
  EXPECT_EQ(heap.collect(0), 2);
  EXPECT_TRUE(freed(old));
}

TEST_F(GcTest, SurvivorsMoveToTheNextGenerationInScanOrder) {
  Object* first = heap.new_list(0);
  heap.collect(0);
  Object* second = heap.new_list(0);
  EXPECT_EQ(generation(1), std::vector<Object*>{first});
  EXPECT_EQ(generation(0), std::vector<Object*>{second});
  heap.collect(1);  // generation 1 first, then generation 0
  EXPECT_EQ(generation(2), (std::vector<Object*>{first, second}));
  EXPECT_TRUE(generation(0).empty() && generation(1).empty());
  heap.collect(2);  // generation 2 survivors stay
  EXPECT_EQ(generation(2), (std::vector<Object*>{first, second}));
  heap.decref(first);
  heap.decref(second);
  EXPECT_TRUE(generation(2).empty());
}

TEST_F(GcTest, CollectingAGenerationUpdatesTheCounts) {
  std::vector<Object*> lists;
  for (int i = 0; i < 3; ++i) lists.push_back(heap.new_list(0));
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{3, 0, 0}));
  heap.decref(lists.back());
  lists.pop_back();
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{2, 0, 0}));
  heap.collect(0);
  heap.collect(0);
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 2, 0}));
  lists.push_back(heap.new_list(0));
  heap.collect(1);
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 1}));
  heap.collect(2);
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 0}));
  for (Object* o : lists) heap.decref(o);
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 0}));  // never below 0
}

TEST_F(GcTest, InvalidGenerationIsRejected) {
  garbage_pair();
  EXPECT_EQ(heap.collect(3), -1);
  EXPECT_EQ(heap.collect(-1), -1);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(heap.collect(2), 2);
}

TEST_F(GcTest, StatsChangeOnlyForTheCollectedGeneration) {
  garbage_pair();
  heap.collect(1);
  garbage_pair();
  Object* a = heap.new_list(0);
  link(a, a);
  heap.decref(a);
  heap.collect(1);
  const auto stats = heap.get_stats();
  EXPECT_EQ(stats[0].collections, 0);
  EXPECT_EQ(stats[1].collections, 2);
  EXPECT_EQ(stats[1].collected, 5);
  EXPECT_EQ(stats[1].uncollectable, 0);
  EXPECT_EQ(stats[2].collections, 0);
}

TEST_F(GcTest, CallbacksSeeStartAndStopWithInfoInRegistrationOrder) {
  std::vector<int> order;
  auto second = [](void* context, CollectionPhase phase, const CollectionInfo&) noexcept {
    static_cast<std::vector<int>*>(context)->push_back(phase == CollectionPhase::Start ? 2 : -2);
  };
  heap.add_callback(second, &order);
  garbage_pair();
  EXPECT_EQ(heap.collect(1), 2);
  EXPECT_EQ(events, (std::vector<Event>{{CollectionPhase::Start, 1, 0, 0}, {CollectionPhase::Stop, 1, 2, 0}}));
  EXPECT_EQ(order, (std::vector<int>{2, -2}));
}

TEST_F(GcTest, CollectRequestedDuringACollectionReturnsZero) {
  collect_from_callback = true;
  garbage_pair();
  EXPECT_EQ(heap.collect(0), 2);
  EXPECT_EQ(nested_results, std::vector<std::int64_t>{0});
  EXPECT_EQ(events.size(), 2u);  // no nested Start/Stop
  EXPECT_EQ(heap.get_stats()[2].collections, 0);
}

TEST_F(GcTest, IsTrackedOnlyForLiveLists) {
  Object* list = heap.new_list(0);
  Object* str = heap.new_str(1);
  Object* num = heap.new_int(5);
  EXPECT_TRUE(Heap::is_tracked(list));
  EXPECT_FALSE(Heap::is_tracked(str));
  EXPECT_FALSE(Heap::is_tracked(num));
  heap.freeze();
  EXPECT_TRUE(Heap::is_tracked(list));
  heap.unfreeze();
  for (Object* o : {list, str, num}) heap.decref(o);
}

// --- automatic collection --------------------------------------------------------------

class AutomaticGcTest : public GcTest {
 public:
  AutomaticGcTest() : GcTest(Heap::Config{{5, 10, 10}}) {}
  std::vector<int> collected_generations() const {
    std::vector<int> out;
    for (const Event& e : events)
      if (e.phase == CollectionPhase::Start) out.push_back(e.generation);
    return out;
  }
  std::vector<Object*> roots;
  ~AutomaticGcTest() override {
    for (Object* o : roots) heap.decref(o);
  }
};

TEST_F(AutomaticGcTest, RunsWhenCountZeroExceedsThresholdBeforeTrackingTheNewList) {
  auto [a, b] = garbage_pair();
  for (int i = 0; i < 3; ++i) roots.push_back(heap.new_list(0));
  EXPECT_EQ(heap.get_count()[0], 5);
  EXPECT_TRUE(events.empty());
  Object* sixth = heap.new_list(0);  // count0 = 6 > 5
  roots.push_back(sixth);
  EXPECT_EQ(collected_generations(), std::vector<int>{0});
  EXPECT_EQ(events.back(), (Event{CollectionPhase::Stop, 0, 2, 0}));
  EXPECT_EQ(gen0_at_start, std::vector<std::size_t>{5});  // the new list was not in it
  EXPECT_TRUE(freed(a) && freed(b));
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  EXPECT_EQ(generation(0), std::vector<Object*>{sixth});
  EXPECT_EQ(generation(1).size(), 3u);
}

TEST_F(AutomaticGcTest, FreeListReuseCountsAsAnAllocation) {
  for (int i = 0; i < 5; ++i) roots.push_back(heap.new_list(16));
  heap.decref(roots.back());  // free-listed: count0 4
  roots.pop_back();
  EXPECT_EQ(heap.get_count()[0], 4);
  roots.push_back(heap.new_list(16));  // reused: count0 5
  EXPECT_EQ(heap.stats().free_list_length, 0u);
  EXPECT_TRUE(events.empty());
  roots.push_back(heap.new_list(16));  // count0 6 > 5
  EXPECT_EQ(collected_generations(), std::vector<int>{0});
}

TEST_F(AutomaticGcTest, CollectsTheOldestGenerationOverItsThreshold) {
  heap.set_threshold(3, {2, 1, 100});
  for (int i = 0; i < 9; ++i) roots.push_back(heap.new_list(0));
  // Allocations 3, 6, 9 trigger; the third finds count1 = 2 > 1.
  EXPECT_EQ(collected_generations(), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 1}));
}

// What collect_generations saw when it chose a generation.
struct Decision {
  int generation;
  std::int64_t count2, pending, total;
};
struct DecisionLog {
  const Heap::State* state;
  std::vector<Decision> decisions;
  static void record(void* context, CollectionPhase phase, const CollectionInfo& info) noexcept {
    auto* self = static_cast<DecisionLog*>(context);
    const Heap::State& s = *self->state;
    if (phase == CollectionPhase::Start)
      self->decisions.push_back({info.generation, s.generations[2].count, s.long_lived_pending, s.long_lived_total});
  }
};

TEST_F(AutomaticGcTest, FullCollectionWaitsForAQuarterOfTheLongLivedObjects) {
  for (int i = 0; i < 100; ++i) roots.push_back(heap.new_list(0));
  heap.collect(2);
  const Heap::State& state = Heap::State::of(heap);
  EXPECT_EQ(state.long_lived_total, 100);
  EXPECT_EQ(state.long_lived_pending, 0);
  heap.set_threshold(3, {1, 0, 0});  // generations 1 and 2 are over threshold once counted
  DecisionLog log{&state, {}};
  heap.add_callback(&DecisionLog::record, &log);
  for (int i = 0; i < 200; ++i) roots.push_back(heap.new_list(0));
  int full = 0, gated = 0;
  for (const Decision& d : log.decisions) {
    if (d.count2 == 0) {
      EXPECT_NE(d.generation, 2);
    } else if (d.pending < d.total / 4) {
      EXPECT_NE(d.generation, 2);
      ++gated;
    } else {
      EXPECT_EQ(d.generation, 2);
      ++full;
    }
  }
  EXPECT_GE(full, 1);
  EXPECT_GE(gated, 1);
  heap.collect(2);  // a full collection counts its survivors afresh
  EXPECT_EQ(state.long_lived_total, 300);
  EXPECT_EQ(state.long_lived_pending, 0);
}

TEST_F(AutomaticGcTest, ThresholdZeroDisablesAutomaticCollection) {
  heap.set_threshold(1, {0, 99, 99});
  EXPECT_EQ(heap.get_threshold(), (std::array<std::int64_t, 3>{0, 10, 10}));
  for (int i = 0; i < 50; ++i) roots.push_back(heap.new_list(0));
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(heap.get_count()[0], 50);
  EXPECT_EQ(heap.collect(0), 0);  // explicit collection still works
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(AutomaticGcTest, DisableStopsOnlyAutomaticCollection) {
  heap.disable();
  EXPECT_FALSE(heap.is_enabled());
  auto [a, b] = garbage_pair();
  for (int i = 0; i < 20; ++i) roots.push_back(heap.new_list(0));
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(freed(a));
  heap.enable();
  EXPECT_TRUE(heap.is_enabled());
  roots.push_back(heap.new_list(0));
  EXPECT_EQ(collected_generations(), std::vector<int>{0});
  EXPECT_TRUE(freed(a) && freed(b));
}

TEST_F(AutomaticGcTest, NoAutomaticCollectionInsideACollection) {
  // A callback that allocates lists must not start a collection of its own.
  auto allocate = [](void* context, CollectionPhase, const CollectionInfo&) noexcept {
    auto* self = static_cast<AutomaticGcTest*>(context);
    for (int i = 0; i < 10; ++i) self->roots.push_back(self->heap.new_list(0));
  };
  heap.add_callback(allocate, this);
  EXPECT_EQ(heap.collect(0), 0);
  EXPECT_EQ(collected_generations(), std::vector<int>{0});
  EXPECT_EQ(roots.size(), 20u);
  EXPECT_EQ(heap.get_count()[0], 10);  // the Stop callback's lists, counted after the zeroing
}

// --- freeze ---------------------------------------------------------------------------------

TEST_F(GcTest, FreezeMovesEverythingToThePermanentGeneration) {
  Object* old = heap.new_list(0);
  heap.collect(1);
  Object* mid = heap.new_list(0);
  heap.collect(0);
  Object* young = heap.new_list(0);
  auto [a, b] = garbage_pair();
  EXPECT_NE(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 0}));
  heap.freeze();
  EXPECT_EQ(heap.get_freeze_count(), 5u);
  EXPECT_EQ(generation(kPermanent), (std::vector<Object*>{young, a, b, mid, old}));
  for (int g = 0; g < kGenerations; ++g) EXPECT_TRUE(generation(g).empty());
  EXPECT_EQ(heap.get_count(), (std::array<std::int64_t, 3>{0, 0, 0}));

  // Frozen garbage is ignored and acts as a root for younger objects.
  auto [c, d] = garbage_pair();
  link(a, c);
  EXPECT_EQ(heap.collect(2), 0);
  EXPECT_FALSE(freed(a) || freed(c));
  EXPECT_EQ(generation(2), (std::vector<Object*>{c, d}));

  heap.unfreeze();  // appended to generation 2
  EXPECT_EQ(heap.get_freeze_count(), 0u);
  EXPECT_EQ(generation(2), (std::vector<Object*>{c, d, young, a, b, mid, old}));
  EXPECT_EQ(heap.collect(2), 4);  // a, b, c, d
  for (Object* o : {old, mid, young}) heap.decref(o);
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

}  // namespace
}  // namespace gcheap
