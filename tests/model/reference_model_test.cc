// The reference model, driven through the Machine interface: reference
// counting and the mutator's steps, the cycle collector's rules (generations,
// counts, thresholds, the long-lived rule, freeze) and teardown. Expected
// values are CPython 3.8–3.11's (Modules/gcmodule.c).
#include <gtest/gtest.h>

#include "model_fixture.h"

namespace gcv::model_test {
namespace {

// --- reference counting ----------------------------------------------------------

// a = []; b = [a]; a.append(b); del a; del b; gc.collect() == 2
TEST_F(ModelTest, TwoListCycleIsFreedOnlyByTheCollector) {
  Serial first = list(a);
  Serial second = list(b);
  model->append(b, a);
  model->append(a, b);
  model->unbind(a);
  model->unbind(b);
  EXPECT_TRUE(alive(first) && alive(second));
  EXPECT_EQ(refcount(first), 1);
  EXPECT_TRUE(events().empty());

  EXPECT_EQ(model->collect(2), 2);
  std::vector<Event> happened = events();
  ASSERT_EQ(happened.size(), 4u);
  EXPECT_EQ(happened.front(), collection_event(Event::Type::CollectionStart, 2, 0));
  EXPECT_EQ(happened.back(), collection_event(Event::Type::CollectionStop, 2, 2));
  EXPECT_FALSE(alive(first) || alive(second));
}

TEST_F(ModelTest, SelfCycleIsACycleOfOne) {
  Serial self = list(a);
  model->append(a, a);
  EXPECT_EQ(refcount(self), 2);
  model->unbind(a);
  EXPECT_EQ(refcount(self), 1);
  EXPECT_EQ(model->collect(0), 1);
  EXPECT_FALSE(alive(self));
}

TEST_F(ModelTest, ListHoldingAnItemTwiceHoldsTwoReferences) {
  Serial item = list(a);
  Serial outer = list(b);
  model->append(b, a);
  model->append(b, a);
  EXPECT_EQ(refcount(item), 3);
  EXPECT_EQ(model->object(ObjectKey::serial(outer))->slots,
            (std::vector<ObjectKey>{ObjectKey::serial(item), ObjectKey::serial(item)}));
  model->unbind(b);
  EXPECT_EQ(refcount(item), 1);
  EXPECT_EQ(freed(), std::vector<Serial>{outer});
}

// a = [] while a is bound: the old list is still a root during the automatic
// collection the allocation triggers, and is freed only once a is rebound.
TEST_F(ModelTest, RebindingDropsTheOldObjectAfterTheNewOneExists) {
  model->set_threshold(1, {1, 0, 0});
  Serial old = list(a);
  list(a);
  EXPECT_EQ(events(), (std::vector<Event>{collection_event(Event::Type::CollectionStart, 0, 0),
                                          collection_event(Event::Type::CollectionStop, 0, 0),
                                          freed_event(old)}));
  EXPECT_FALSE(alive(old));
}

// From 3.12 an allocation only schedules the collection, which runs at the
// eval breaker on the counts as they are then, even after gc.disable(): the
// new list is tracked by then and is collected with generation 0.
TEST_F(ModelTest, FromThreePointTwelveTheCollectionWaitsForTheEvalBreaker) {
  model = make_reference_model(profile(CPythonVersion::V3_12));
  model->reset(kNameCount);
  model->set_threshold(1, {1, 0, 0});
  list(a);
  Serial young = list(b);
  EXPECT_TRUE(events().empty());
  model->disable();
  model->eval_breaker();
  EXPECT_EQ(events(), (std::vector<Event>{collection_event(Event::Type::CollectionStart, 0, 0),
                                          collection_event(Event::Type::CollectionStop, 0, 0)}));
  EXPECT_EQ(generation(young), 1);
  model->eval_breaker();  // nothing waits any more
  EXPECT_TRUE(events().empty());
  // Scheduled, but the rebinding freed the old list: count0 is back at the
  // threshold when the eval breaker looks, and nothing is collected.
  model->enable();
  Serial old = list(d);
  list(d);
  EXPECT_EQ(freed(), std::vector<Serial>{old});
  EXPECT_EQ(model->collector_state().count[0], 1);
  model->eval_breaker();
  EXPECT_TRUE(events().empty());
}

// 3.13's default threshold is 2000.
TEST_F(ModelTest, ThreePointThirteenStartsAtThreshold2000) {
  model = make_reference_model(profile(CPythonVersion::V3_13));
  model->reset(kNameCount);
  EXPECT_EQ(model->collector_state().threshold, (std::array<std::int64_t, 3>{2000, 10, 10}));
}

// a = a[0] takes the item before the list holding it is dropped.
TEST_F(ModelTest, LoadSlotIntoTheContainersOwnNameKeepsTheItem) {
  Serial outer = list(a);
  Serial item = list(b);
  model->append(a, b);
  model->unbind(b);
  model->load_slot(a, a, 0);
  EXPECT_EQ(freed(), std::vector<Serial>{outer});
  EXPECT_EQ(refcount(item), 1);
  EXPECT_EQ(model->binding(a), ObjectKey::serial(item));
  model->bind(a, a);
  EXPECT_EQ(refcount(item), 1);
}

TEST_F(ModelTest, SetSlotDropsTheOverwrittenItemAfterStoringTheNewOne) {
  list(a);
  Serial first = list(b);
  model->append(a, b);
  model->unbind(b);
  model->load_slot(c, a, 0);
  model->set_slot(a, 0, c);  // a[0] = a[0]
  model->unbind(c);
  EXPECT_EQ(refcount(first), 1);
  Serial second = list(b);
  model->set_slot(a, 0, b);
  EXPECT_EQ(freed(), std::vector<Serial>{first});
  EXPECT_EQ(refcount(second), 2);
}

TEST_F(ModelTest, RemoveSlotShiftsLaterItemsDownThenDropsTheItem) {
  Serial outer = list(a);
  Serial x = list(b);
  model->append(a, b);
  Serial y = list(b);
  model->append(a, b);
  Serial z = list(b);
  model->append(a, b);
  model->unbind(b);
  model->remove_slot(a, 0);
  EXPECT_EQ(freed(), std::vector<Serial>{x});
  EXPECT_EQ(model->object(ObjectKey::serial(outer))->slots,
            (std::vector<ObjectKey>{ObjectKey::serial(y), ObjectKey::serial(z)}));
}

TEST_F(ModelTest, ChainDiesByRefcountInOneCascade) {
  Serial head = list(a);
  list(b);
  model->append(a, b);  // a -> b
  list(c);
  model->append(b, c);  // b -> c
  model->unbind(b);
  model->unbind(c);
  model->unbind(a);
  EXPECT_EQ(freed(), (std::vector<Serial>{head, head + 1, head + 2}));
  EXPECT_EQ(count()[0], 0);
}

// 100k containers in one chain die by refcount without deep recursion.
TEST_F(ModelTest, VeryLongChainCascadesWithoutRecursion) {
  constexpr int kLength = 100000;
  list(a);
  model->bind(b, a);
  for (int i = 1; i < kLength; ++i) {
    list(c);
    model->append(b, c);
    model->bind(b, c);
  }
  model->unbind(b);
  model->unbind(c);
  events();
  model->unbind(a);
  EXPECT_EQ(freed().size(), static_cast<std::size_t>(kLength));
  EXPECT_EQ(model->teardown(), "");
}

TEST_F(ModelTest, SmallIntsAreSharedAndNeverFreed) {
  model->new_int(a, 0, 5);
  model->new_int(b, 0, 5);
  ObjectKey five = ObjectKey::small_int(5);
  EXPECT_EQ(model->binding(a), five);
  EXPECT_EQ(model->object(five)->refcount, 3);  // two names and the cache
  EXPECT_EQ(model->object(five)->int_value, 5);
  model->unbind(a);
  model->unbind(b);
  EXPECT_EQ(model->object(five)->refcount, 1);
  EXPECT_TRUE(events().empty());
}

TEST_F(ModelTest, AtomsAreAllocatedUntrackedAndUncounted) {
  Serial number = big_int(a, 1000);
  Serial text = str(b, 40);
  ObjectState big = *model->object(ObjectKey::serial(number));
  EXPECT_EQ(big.kind, ObjectKind::Int);
  EXPECT_EQ(big.int_value, 1000);
  EXPECT_EQ(big.generation, kUntracked);
  EXPECT_EQ(model->object(ObjectKey::serial(text))->payload, 40u);
  EXPECT_EQ(model->object(ObjectKey::serial(text))->kind, ObjectKind::Str);
  EXPECT_EQ(count()[0], 0);
  model->unbind(a);
  EXPECT_EQ(freed(), std::vector<Serial>{number});
  EXPECT_FALSE(model->object(ObjectKey::serial(99)).has_value());
}

TEST_F(ModelTest, ObjectsListsSmallIntsInUseThenLiveObjectsByKey) {
  Serial text = str(a, 8);
  model->new_int(b, 0, 256);
  model->new_int(c, 0, -5);
  Serial container = list(d);
  std::vector<ObjectState> all(3);  // replaced, not appended to
  model->objects(all);
  std::vector<ObjectKey> keys;
  for (const ObjectState& state : all) keys.push_back(state.key);
  EXPECT_EQ(keys, (std::vector<ObjectKey>{ObjectKey::small_int(256), ObjectKey::small_int(-5),
                                          ObjectKey::serial(text), ObjectKey::serial(container)}));
  EXPECT_EQ(all[0].refcount, 2);
}

// --- collections and generations ---------------------------------------------------

TEST_F(ModelTest, SurvivorsMoveUpOneGenerationAndStayInTheOldest) {
  Serial x = list(a);
  EXPECT_EQ(generation(x), 0);
  model->collect(0);
  EXPECT_EQ(generation(x), 1);
  Serial y = list(b);
  model->collect(1);  // gens 0 and 1 together; both move to 2
  EXPECT_EQ(generation(x), 2);
  EXPECT_EQ(generation(y), 2);
  model->collect(2);
  EXPECT_EQ(generation(x), 2);
}

// An older object pointing into a young cycle keeps it alive through young
// collections even when that object is garbage too.
TEST_F(ModelTest, YoungCycleHeldByOldGarbageSurvivesUntilFullCollection) {
  Serial holder = list(a);
  model->append(a, a);
  model->collect(0);
  ASSERT_EQ(generation(holder), 1);
  Serial x = list(b);
  Serial y = list(c);
  model->append(b, c);
  model->append(c, b);
  model->append(a, b);  // holder -> x <-> y
  model->unbind(a);
  model->unbind(b);
  model->unbind(c);

  EXPECT_EQ(model->collect(0), 0);
  EXPECT_EQ(generation(x), 1);
  EXPECT_EQ(generation(y), 1);
  EXPECT_EQ(generation(holder), 1);
  events();
  EXPECT_EQ(model->collect(2), 3);
  EXPECT_EQ(freed(), (std::vector<Serial>{holder, x, y}));
}

// An old object held only by young garbage dies by refcount when the garbage
// is cleared, and is not counted as collected.
TEST_F(ModelTest, OldObjectHeldOnlyByYoungGarbageDiesUncounted) {
  Serial old = list(a);
  model->collect(0);
  Serial x = list(b);
  Serial y = list(c);
  model->append(b, c);
  model->append(c, b);
  model->append(b, a);  // x -> old
  model->unbind(a);
  model->unbind(b);
  model->unbind(c);
  events();
  EXPECT_EQ(model->collect(0), 2);
  EXPECT_EQ(freed(), (std::vector<Serial>{old, x, y}));
  EXPECT_EQ(model->collector_state().stats[0].collected, 2);
}

TEST_F(ModelTest, CountsFollowContainerAllocationsDeallocationsAndCollections) {
  list(a);
  list(b);
  list(c);
  str(d, 8);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{3, 0, 0}));
  model->unbind(c);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{2, 0, 0}));
  model->collect(0);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  model->unbind(b);  // count0 never goes below 0
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  list(b);
  model->collect(1);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 1}));
  model->collect(0);
  model->collect(2);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 0}));
}

// With (700, 10, 10), the 701st container allocation collects generation 0
// before the new container exists, so it stays in generation 0 and count0 is 0.
TEST_F(ModelTest, AutomaticCollectionRunsOnThe701stContainerAllocation) {
  list(a);
  append_lists(a, b, 699);
  EXPECT_EQ(count()[0], 700);
  EXPECT_TRUE(events().empty());
  Serial newest = list(b);
  EXPECT_EQ(events(), (std::vector<Event>{collection_event(Event::Type::CollectionStart, 0, 0),
                                          collection_event(Event::Type::CollectionStop, 0, 0)}));
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  EXPECT_EQ(generation(newest), 0);
  EXPECT_EQ(generation(newest - 1), 1);
  EXPECT_EQ(model->collector_state().stats[0].collections, 1);
}

TEST_F(ModelTest, SetThresholdChangesOnlyTheGivenValues) {
  EXPECT_EQ(model->collector_state().threshold, (std::array<std::int64_t, 3>{700, 10, 10}));
  model->set_threshold(1, {5, 99, 99});
  EXPECT_EQ(model->collector_state().threshold, (std::array<std::int64_t, 3>{5, 10, 10}));
  model->set_threshold(2, {6, 7, 99});
  EXPECT_EQ(model->collector_state().threshold, (std::array<std::int64_t, 3>{6, 7, 10}));
  model->set_threshold(3, {700, 10, 5});
  EXPECT_EQ(model->collector_state().threshold, (std::array<std::int64_t, 3>{700, 10, 5}));
}

TEST_F(ModelTest, ThresholdZeroDisablesOnlyAutomaticCollection) {
  model->set_threshold(1, {0, 0, 0});
  list(a);
  append_lists(a, b, 999);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(count()[0], 1000);
  EXPECT_EQ(model->collect(0), 0);
  EXPECT_EQ(collections(), std::vector<int>{0});
}

TEST_F(ModelTest, DisableStopsAutomaticCollectionAndEnableResumesIt) {
  model->set_threshold(1, {3, 0, 0});
  model->disable();
  EXPECT_FALSE(model->collector_state().enabled);
  list(a);
  append_lists(a, b, 9);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(model->collect(1), 0);  // explicit collections still run
  EXPECT_EQ(collections(), std::vector<int>{1});
  model->enable();
  append_lists(a, b, 3);
  EXPECT_TRUE(collections().empty());
  list(b);  // count0 4 > 3
  EXPECT_EQ(collections(), std::vector<int>{0});
}

// Generation 2 is collected automatically only once the containers moved into
// it by generation-1 collections since the last full collection reach
// long_lived_total / 4 (integer division).
TEST_F(ModelTest, LongLivedRuleDefersFullCollections) {
  list(a);
  append_lists(a, b, 8);
  model->collect(2);  // long_lived_total = 9, pending = 0
  model->collect(1);  // nothing in generations 0..1: pending stays 0
  model->collect(1);
  events();
  model->set_threshold(3, {1, 10, 1});
  ASSERT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 2}));

  list(c);
  Serial second = list(d);  // count0 2 > 1; count2 2 > 1 but pending 0 < 9 / 4
  EXPECT_EQ(collections(), std::vector<int>{0});
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 2}));
  model->collect(1);  // c and d move into generation 2: pending = 2 = 9 / 4
  EXPECT_EQ(generation(second), 2);
  events();

  list(e);
  list(f);  // count0 2 > 1; count2 3 > 1 and pending 2 >= 9 / 4
  EXPECT_EQ(collections(), std::vector<int>{2});
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 0}));
  EXPECT_EQ(model->collector_state().stats[2].collections, 2);
}

TEST_F(ModelTest, AutomaticCollectionPicksTheOldestGenerationOverItsThreshold) {
  model->set_threshold(3, {1, 1, 100});
  list(a);
  list(b);  // count0 2 > 1: generation 0 (count1 becomes 1)
  list(c);
  list(d);  // generation 0 again (count1 becomes 2)
  list(e);
  list(f);  // count1 2 > 1: generation 1
  EXPECT_EQ(collections(), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 1}));
}

TEST_F(ModelTest, StatsCountCollectionsAndCollectedPerGeneration) {
  garbage_cycle_of(3);
  model->collect(0);
  model->collect(0);
  garbage_cycle_of(2);
  model->collect(1);
  model->collect(2);
  std::array<GcStats, 3> stats = model->collector_state().stats;
  EXPECT_EQ(stats[0], (GcStats{2, 3, 0}));
  EXPECT_EQ(stats[1], (GcStats{1, 2, 0}));
  EXPECT_EQ(stats[2], (GcStats{1, 0, 0}));
}

TEST_F(ModelTest, InvalidGenerationIsRefusedAndDoesNothing) {
  garbage_cycle_of(2);
  EXPECT_EQ(model->collect(3), 0);
  EXPECT_EQ(model->collect(-1), 0);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(model->collect(2), 2);
}

// --- the permanent generation ---------------------------------------------------------

TEST_F(ModelTest, FreezeMovesEveryTrackedObjectToThePermanentGeneration) {
  list(a);
  model->collect(0);
  list(b);
  Serial frozen_cycle = garbage_cycle_of(2);
  str(c, 8);
  ASSERT_EQ(count(), (std::array<std::int64_t, 3>{3, 1, 0}));
  model->freeze();
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 0, 0}));
  EXPECT_EQ(model->collector_state().freeze_count, 4);  // atoms are not tracked
  EXPECT_EQ(generation(frozen_cycle), kPermanentGeneration);
  EXPECT_EQ(model->collect(2), 0);  // frozen garbage is ignored
  model->unbind(b);                 // a frozen object dies by refcount
  EXPECT_EQ(model->collector_state().freeze_count, 3);
  Serial young = list(d);
  EXPECT_EQ(generation(young), 0);

  model->unfreeze();
  EXPECT_EQ(model->collector_state().freeze_count, 0);
  EXPECT_EQ(generation(frozen_cycle), 2);
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{1, 0, 0}));  // unfreeze leaves counts alone
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_FALSE(alive(frozen_cycle));
}

TEST_F(ModelTest, YoungCycleReachableOnlyFromFrozenGarbageSurvivesUntilUnfreeze) {
  Serial holder = list(a);
  model->append(a, a);
  model->freeze();
  Serial x = list(b);
  model->append(b, b);
  model->append(a, b);  // frozen holder -> x -> x
  model->unbind(a);
  model->unbind(b);
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(generation(x), 2);
  model->unfreeze();
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_FALSE(alive(holder) || alive(x));
}

TEST_F(ModelTest, TeardownLeavesNothingBehind) {
  garbage_cycle_of(4);
  list(a);
  model->append(a, a);
  model->new_int(b, 0, 7);
  big_int(c, 1 << 20);
  model->freeze();
  garbage_cycle_of(2);
  EXPECT_EQ(model->teardown(), "");
  std::vector<ObjectState> left;
  model->objects(left);
  EXPECT_TRUE(left.empty());
  EXPECT_EQ(collections(), std::vector<int>{2});
}

}  // namespace
}  // namespace gcv::model_test
