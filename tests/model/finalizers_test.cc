// The reference model's finalizers (PEP 442), legacy finalizers, weak
// references with callbacks, gc.garbage and DEBUG_SAVEALL, driven through the
// Machine interface (docs/design-finalizers.md). Scenarios follow CPython's
// Lib/test/test_gc.py where this language can express them; the expected
// numbers are CPython 3.11's for the same object graph. Python objects of
// test_gc.py also carry an instance __dict__ (one more object per instance in
// CPython's counts); here an instance is one list, so counts are per list.
#include <gtest/gtest.h>

#include "model_fixture.h"

namespace gcv::model_test {
namespace {

using Events = std::vector<Event>;
using Keys = std::vector<ObjectKey>;
ObjectKey key(Serial s) { return ObjectKey::serial(s); }

// --- legacy finalizers and gc.garbage ---------------------------------------------

// test_legacy_finalizer: a cycle through an object with tp_del is
// uncollectable and shows up in gc.garbage; a plain cycle beside it is not.
TEST_F(ModelTest, LegacyFinalizerCycleIsUncollectableAndGoesToGarbage) {
  const auto [x, y] = old_garbage_self_cycles([&](Serial) { model->set_legacy_finalizer(a); });
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_EQ(events(), (Events{start_event(2), freed_event(y), stop_event(2, 1, 1)}));
  EXPECT_EQ(model->garbage(), Keys{key(x)});
  EXPECT_EQ(refcount(x), 2);  // its own slot and gc.garbage's entry
  EXPECT_EQ(generation(x), 2);
  EXPECT_EQ(stats(2), (GcStats{2, 1, 1}));

  // gc.garbage is a root: the next collection leaves it alone.
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(model->garbage(), Keys{key(x)});

  // for obj in gc.garbage: del obj.a; gc.garbage.remove(obj)
  model->load_garbage(c, 0);
  model->remove_slot(c, 0);
  model->clear_garbage();
  EXPECT_EQ(refcount(x), 1);
  events();
  model->unbind(c);
  EXPECT_EQ(freed(), std::vector<Serial>{x});
}

// GCCallbackTests.test_collect_garbage: everything a tp_del object reaches in
// the garbage is uncollectable too, but only the tp_del objects are appended
// to gc.garbage; they are uncollectable again at every collection.
TEST_F(ModelTest, UncollectableCountsWhatLegacyFinalizersReachButGarbageHoldsOnlyThem) {
  auto uncollectable_pair = [&]() {  // Uncollectable(): partners with tp_del, each with a plain list
    Serial first = list(a);
    model->set_legacy_finalizer(a);
    list(c);
    model->append(a, c);
    Serial second = list(b);
    model->set_legacy_finalizer(b);
    list(c);
    model->append(b, c);
    model->append(a, b);
    model->append(b, a);
    for (NameIndex name : {a, b, c}) model->unbind(name);
    return std::pair{first, second};
  };
  auto [x1, y1] = uncollectable_pair();
  auto [x2, y2] = uncollectable_pair();
  garbage_cycle_of(1);  // C1055820(666)
  events();
  EXPECT_EQ(model->collect(2), 9);
  Events happened = events();
  EXPECT_EQ(happened.back(), stop_event(2, 1, 8));
  EXPECT_EQ(model->garbage(), (Keys{key(x1), key(y1), key(x2), key(y2)}));

  model->clear_garbage();
  EXPECT_EQ(model->collect(2), 8);
  EXPECT_EQ(model->garbage().size(), 4u);
  EXPECT_EQ(stats(2), (GcStats{2, 1, 16}));
}

// Phase 1 comes before finalizers: what a legacy finalizer keeps
// uncollectable is never finalized by the collection.
TEST_F(ModelTest, ObjectsReachableFromLegacyFinalizersAreNotFinalized) {
  Serial x = list(a);
  model->set_legacy_finalizer(a);
  Serial y = list(b);
  model->set_finalizer(b, {});
  model->append(a, b);
  model->append(b, a);
  model->unbind(a);
  model->unbind(b);
  events();
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_EQ(events(), (Events{start_event(2), stop_event(2, 0, 2)}));
  EXPECT_EQ(model->garbage(), Keys{key(x)});
  EXPECT_FALSE(state(y).finalized);
}

// Uncollectable objects are counted after the garbage is deleted: a tp_del
// object that only the garbage kept alive dies by refcount and is not counted.
TEST_F(ModelTest, LegacyFinalizerObjectFreedWithTheGarbageIsNotCounted) {
  Serial cycle = self_cycle(a);
  Serial legacy = list(b);
  model->set_legacy_finalizer(b);
  model->append(a, b);
  model->unbind(a);
  model->unbind(b);
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(events(), (Events{start_event(2), freed_event(legacy), freed_event(cycle), stop_event(2, 1, 0)}));
  EXPECT_TRUE(model->garbage().empty());
}

// del gc.garbage[:] empties the list, then drops its entries last to first.
TEST_F(ModelTest, ClearGarbageDropsEntriesLastToFirst) {
  Serial holder = self_cycle(a);
  Serial held = list(b);
  model->append(a, b);
  model->unbind(b);
  model->unbind(a);
  model->set_debug(true);
  model->collect(2);
  model->set_debug(false);
  ASSERT_EQ(model->garbage(), (Keys{key(holder), key(held)}));
  model->load_garbage(a, 0);
  model->remove_slot(a, 0);  // break the holder's self-reference
  model->unbind(a);
  events();
  model->clear_garbage();  // held's entry first (held stays), then holder's: both die
  EXPECT_EQ(events(), (Events{freed_event(held), freed_event(holder)}));
  EXPECT_TRUE(model->garbage().empty());
}

// --- DEBUG_SAVEALL --------------------------------------------------------------------

// test_saveall: cyclic garbage goes to gc.garbage instead of being freed; it
// is counted as collected (gc_collect_main adds final_unreachable's size
// before delete_garbage looks at DEBUG_SAVEALL).
TEST_F(ModelTest, SaveAllPutsCyclicGarbageInGarbage) {
  Serial cycle = self_cycle(a);
  model->set_debug(true);
  model->unbind(a);
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(events(), (Events{start_event(2), stop_event(2, 1, 0)}));
  model->set_debug(false);
  EXPECT_EQ(model->garbage(), Keys{key(cycle)});
  EXPECT_EQ(refcount(cycle), 2);
  EXPECT_EQ(generation(cycle), 2);

  // obj = gc.garbage.pop(): the list is garbage again once obj goes.
  model->load_garbage(b, 0);
  model->clear_garbage();
  model->unbind(b);
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_FALSE(alive(cycle));
}

TEST_F(ModelTest, SaveAllStillRunsCallbacksAndFinalizersAndSavesWhatLegacyFinalizersReach) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {});
  Serial w = weakref(b, a, {del(g)});
  Serial legacy = list(c);
  model->set_legacy_finalizer(c);
  Serial reached = list(d);
  model->append(c, d);
  model->append(d, c);
  for (NameIndex name : {a, c, d}) model->unbind(name);
  model->set_debug(true);
  events();
  EXPECT_EQ(model->collect(2), 3);
  EXPECT_EQ(events(), (Events{start_event(2), callback_event(w), finalized_event(x), stop_event(2, 1, 2)}));
  EXPECT_EQ(model->garbage(), (Keys{key(x), key(legacy), key(reached)}));
  EXPECT_TRUE(state(x).finalized);
}

// --- PEP 442 finalizers in collections ---------------------------------------------------

// test_finalizer_newclass-like: since PEP 442 a cycle through an object with
// __del__ is collected; the finalizer runs once, before anything is cleared.
TEST_F(ModelTest, FinalizerInACycleRunsAndTheCycleIsCollected) {
  const auto [x, y] = old_garbage_self_cycles([&](Serial x) {
    model->set_finalizer(a, {});
    EXPECT_TRUE(state(x).has_finalizer);
  });
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_EQ(events(), (Events{start_event(2), finalized_event(x), freed_event(x), freed_event(y), stop_event(2, 2)}));
  EXPECT_TRUE(model->garbage().empty());
}

// test_resurrection_is_transitive: the finalizer stores self somewhere live;
// self and everything it reaches survive, uncounted, in the older generation.
TEST_F(ModelTest, ResurrectionIsTransitive) {
  Serial instances = list(e);  // Lazarus.resurrected_instances
  Serial laz = list(a);
  model->set_finalizer(a, {append_self_to(e)});
  Serial cargo = self_cycle(b);
  model->append(a, b);
  model->append(b, a);
  model->unbind(a);
  model->unbind(b);
  events();
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(events(), (Events{start_event(2), finalized_event(laz), stop_event(2, 0)}));
  EXPECT_EQ(state(instances).slots, Keys{key(laz)});
  EXPECT_EQ(state(laz).slots, Keys{key(cargo)});
  EXPECT_TRUE(state(laz).finalized);
  EXPECT_EQ(generation(laz), 2);
  EXPECT_EQ(generation(cargo), 2);
  EXPECT_EQ(stats(2), (GcStats{1, 0, 0}));

  // Once dropped again the pair is collected, and __del__ does not run twice.
  model->remove_slot(e, 0);
  events();
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_EQ(events(), (Events{start_event(2), freed_event(laz), freed_event(cargo), stop_event(2, 2)}));
}

// test_resurrection_does_not_block_cleanup_of_other_objects (CPython's 2*N
// and 4 count each instance's __dict__ too).
TEST_F(ModelTest, ResurrectionDoesNotBlockCleanupOfOtherObjects) {
  constexpr int kN = 100;
  auto plain_garbage = [&]() {  // A(): a simple self-loop
    for (int i = 0; i < kN; ++i) garbage_cycle_of(1);
  };
  Serial zs = list(e);
  auto resurrecting = [&]() {  // Z(): a self-loop whose __del__ does zs.append(self)
    self_cycle(c);
    model->set_finalizer(c, {append_self_to(e)});
    model->unbind(c);
  };
  plain_garbage();
  EXPECT_EQ(model->collect(2), kN);
  EXPECT_EQ(stats(2), (GcStats{1, kN, 0}));

  resurrecting();
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(stats(2), (GcStats{2, kN, 0}));

  plain_garbage();
  resurrecting();
  EXPECT_EQ(model->collect(2), kN);
  EXPECT_EQ(stats(2), (GcStats{3, 2 * kN, 0}));

  model->remove_slot(e, 1);  // zs.clear()
  model->remove_slot(e, 0);
  EXPECT_TRUE(state(zs).slots.empty());
  events();
  EXPECT_EQ(model->collect(2), 2);
  for (const Event& event : events()) EXPECT_NE(event.type, Event::Type::Finalized);
}

// test_bug21435: B.__del__ drops B's references, which frees the whole trash
// by refcount while finalize_garbage runs; nothing is left in the final
// unreachable set, so nothing is counted (CPython >= 3.9 counts only that set).
TEST_F(ModelTest, FinalizerThatDropsItsReferencesFreesTheTrashByRefcount) {
  Serial first = list(a);   // a = A()
  Serial inner = list(c);   // A() passed to B
  Serial second = list(b);  // b = B(A())
  model->set_finalizer(b, {clear_self()});
  model->append(b, c);  // b.x
  model->append(a, b);  // a.attr = b
  model->append(b, a);  // b.attr = a
  for (NameIndex name : {a, b, c}) model->unbind(name);
  events();
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(events(), (Events{start_event(2), finalized_event(second), freed_event(first), freed_event(inner),
                              freed_event(second), stop_event(2, 0)}));
}

// gc.collect() from code run by a collection returns 0 and does nothing.
TEST_F(ModelTest, CollectFromUserCodeInACollectionDoesNothing) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {collect_effect(0), collect_effect(2)});
  model->unbind(a);
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(events(), (Events{start_event(2), finalized_event(x), freed_event(x), stop_event(2, 1)}));
  EXPECT_EQ(stats(0).collections, 0);
}

// A finalizer set again replaces the body; FINALIZED stays set for life.
TEST_F(ModelTest, FinalizerRunsOncePerObjectLifetime) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {bind_self(c)});
  model->unbind(a);
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_EQ(model->binding(c), key(x));
  model->set_finalizer(c, {bind_self(d)});
  model->unbind(c);
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(events(), (Events{start_event(2), freed_event(x), stop_event(2, 1)}));
  EXPECT_FALSE(model->binding(d).has_value());
}

// User code run inside a collection allocates (new objects join generation
// 0) but never triggers an automatic collection.
TEST_F(ModelTest, AllocationsByUserCodeDuringACollectionNeverCollect) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {new_list(b), new_list(c), new_list(d)});
  model->unbind(a);
  model->set_threshold(1, {1, 0, 0});
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(collections(), std::vector<int>{2});
  EXPECT_EQ(model->binding(b), key(x + 1));
  EXPECT_EQ(generation(x + 3), 0);
  EXPECT_EQ(count()[0], 2);  // zeroed, three allocations, then x freed
  EXPECT_EQ(model->next_serial(), x + 4);
}

// --- death by refcount ---------------------------------------------------------------------

// test_del: a __del__ run by a refcount death may trigger an automatic
// collection; the dying object is held meanwhile, so it survives that
// collection, and is freed afterwards.
TEST_F(ModelTest, DelMayTriggerAnAutomaticCollection) {
  model->set_threshold(1, {1, 0, 0});
  Serial x = list(a);
  model->set_finalizer(a, {new_list(b)});  // dir(self) allocates
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{finalized_event(x), start_event(0), stop_event(0, 0), freed_event(x)}));
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  EXPECT_EQ(model->binding(b), key(x + 1));
}

// gc.collect() from a finalizer run by a refcount death is a real collection.
TEST_F(ModelTest, CollectFromARefcountDeathIsARealCollection) {
  Serial cycle = garbage_cycle_of(2);
  Serial x = list(a);
  model->set_finalizer(a, {collect_effect(2)});
  events();
  model->unbind(a);
  // Clearing the ring's first list frees the second, whose release of the
  // first leaves only the collector's hold on it.
  EXPECT_EQ(events(), (Events{finalized_event(x), start_event(2), freed_event(cycle + 1), freed_event(cycle),
                              stop_event(2, 2), freed_event(x)}));
  EXPECT_EQ(stats(2), (GcStats{1, 2, 0}));
}

// Deaths are depth first: an item's whole death (finalizer included)
// completes before the next item, released last to first, starts.
TEST_F(ModelTest, RefcountDeathsCascadeDepthFirstLastItemFirst) {
  Serial outer = list(a);
  Serial first = list(b);
  model->set_finalizer(b, {});
  Serial second = list(c);
  model->set_finalizer(c, {});
  Serial inner = list(d);
  model->set_finalizer(d, {});
  model->append(c, d);
  model->append(a, b);
  model->append(a, c);
  for (NameIndex name : {b, c, d}) model->unbind(name);
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{finalized_event(second), finalized_event(inner), freed_event(inner),
                              freed_event(second), finalized_event(first), freed_event(first), freed_event(outer)}));
}

// A refcount death: the finalizer first, then every weakref is cleared and
// the callbacks run newest first, then the object is freed.
TEST_F(ModelTest, RefcountDeathRunsTheFinalizerThenCallbacksNewestFirst) {
  Serial x = list(a);
  model->set_finalizer(a, {});
  Serial older = weakref(b, a, {del(g)});
  Serial newer = weakref(c, a, {bind_self(f)});
  Serial plain = weakref(d, a);
  model->deref(e, d);
  EXPECT_EQ(model->binding(e), key(x));
  model->unbind(e);
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{finalized_event(x), callback_event(newer), callback_event(older), freed_event(x)}));
  EXPECT_EQ(model->binding(f), key(newer));
  for (Serial w : {older, newer, plain}) EXPECT_EQ(state(w).referent, ObjectKey{});
  model->deref(e, d);
  EXPECT_FALSE(model->binding(e).has_value());
}

// A finalizer that resurrects its object after a refcount death: the object
// is not freed, its weakrefs stay live, and it is put at the end of
// generation 0 even if it was frozen. Its next death runs no finalizer.
TEST_F(ModelTest, ResurrectedAfterARefcountDeathKeepsWeakrefsAndJoinsGenerationZero) {
  Serial x = list(a);
  model->set_finalizer(a, {bind_self(c)});
  Serial w = weakref(b, a, {del(g)});
  model->freeze();
  ASSERT_EQ(model->collector_state().freeze_count, 2);
  events();
  model->unbind(a);
  EXPECT_EQ(events(), Events{finalized_event(x)});
  EXPECT_EQ(generation(x), 0);
  EXPECT_EQ(model->collector_state().freeze_count, 1);
  EXPECT_TRUE(state(x).finalized);
  model->deref(d, b);
  EXPECT_EQ(model->binding(d), key(x));
  model->unbind(c);
  model->unbind(d);
  EXPECT_EQ(events(), (Events{callback_event(w), freed_event(x)}));
}

// A weakref's callback is held while it runs: one that drops the last name
// of its own weakref frees it afterwards.
TEST_F(ModelTest, CallbackMayDropItsOwnWeakref) {
  Serial x = list(a);
  Serial w = weakref(b, a, {del(b)});
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{callback_event(w), freed_event(w), freed_event(x)}));
}

// --- weak references in collections ------------------------------------------------------

// Callbacks of weakrefs outside the garbage run before any finalizer, newest
// first, after every weakref to the garbage is cleared.
TEST_F(ModelTest, CallbacksRunBeforeFinalizersInACollection) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {});
  Serial older = weakref(b, a, {del(g)});
  Serial newer = weakref(c, a, {del(g)});
  model->unbind(a);
  events();
  EXPECT_EQ(model->collect(2), 1);
  EXPECT_EQ(events(), (Events{start_event(2), callback_event(newer), callback_event(older), finalized_event(x),
                              freed_event(x), stop_event(2, 1)}));
  model->deref(d, b);
  EXPECT_FALSE(model->binding(d).has_value());
  EXPECT_EQ(generation(older), 2);
}

// test_callback_in_cycle-like: a weakref that is itself trash never calls
// back, even though its referent is trash too.
TEST_F(ModelTest, TrashWeakrefsCallbackNeverRuns) {
  Serial i = list(a);
  Serial j = list(b);
  model->append(a, b);                       // I.J = J
  Serial w = weakref(c, b, {bind_self(f)});  // I.wr = weakref.ref(J, callback)
  model->append(a, c);
  model->append(b, a);
  for (NameIndex name : {a, b, c}) model->unbind(name);
  events();
  EXPECT_EQ(model->collect(2), 3);
  EXPECT_EQ(freed(), (std::vector<Serial>{i, j, w}));
  EXPECT_FALSE(model->binding(f).has_value());
}

// A weakref freed because its own callback dropped the last reference to it
// is counted as collected.
TEST_F(ModelTest, WeakrefFreedByItsOwnCallbackIsCountedAsCollected) {
  Serial x = self_cycle(a);
  Serial w = weakref(b, a, {del(b)});
  model->unbind(a);
  events();
  EXPECT_EQ(model->collect(2), 2);
  EXPECT_EQ(events(), (Events{start_event(2), callback_event(w), freed_event(w), freed_event(x), stop_event(2, 2)}));
}

// A weakref whose callback ran during collect(g) ends in generation
// min(g+1, 2), even if it was older or frozen.
TEST_F(ModelTest, WeakrefWhoseCallbackRanMovesToTheNextGenerationEvenIfOlderOrFrozen) {
  Serial x = list(a);
  model->set_finalizer(a, {bind_self(c)});
  Serial frozen = weakref(b, a, {del(g)});
  model->freeze();
  Serial old = weakref(d, a, {del(g)});
  model->collect(2);
  ASSERT_EQ(generation(old), 2);
  model->unbind(a);  // resurrected into generation 0; its weakrefs stay live
  model->append(c, c);
  model->unbind(c);
  ASSERT_EQ(generation(x), 0);
  events();
  EXPECT_EQ(model->collect(0), 1);
  EXPECT_EQ(events(), (Events{start_event(0), callback_event(old), callback_event(frozen), freed_event(x),
                              stop_event(0, 1)}));
  EXPECT_EQ(generation(old), 1);
  EXPECT_EQ(generation(frozen), 1);
  EXPECT_EQ(model->collector_state().freeze_count, 0);
}

// A resurrected object keeps its cleared weakrefs.
TEST_F(ModelTest, ResurrectedObjectKeepsItsWeakrefsCleared) {
  Serial x = self_cycle(a);
  model->set_finalizer(a, {bind_self(c)});
  Serial w = weakref(b, a);
  model->unbind(a);
  EXPECT_EQ(model->collect(2), 0);
  EXPECT_TRUE(alive(x));
  EXPECT_EQ(state(w).referent, ObjectKey{});
  model->deref(d, b);
  EXPECT_FALSE(model->binding(d).has_value());
}

// A weakref in the garbage is cleared even when its referent lives on, so
// resurrecting it brings back a dead weakref (handle_weakrefs, bpo-38006).
TEST_F(ModelTest, TrashWeakrefIsClearedEvenIfItsReferentLives) {
  Serial referent = list(a);
  self_cycle(b);
  model->set_finalizer(b, {bind_self(c)});
  Serial w = weakref(d, a);
  model->append(b, d);
  model->unbind(b);
  model->unbind(d);
  EXPECT_EQ(model->collect(2), 0);
  model->load_slot(e, c, 1);
  EXPECT_EQ(model->binding(e), key(w));
  model->deref(f, e);
  EXPECT_FALSE(model->binding(f).has_value());
  EXPECT_TRUE(alive(referent));
}

// --- weakref objects, serials, effects ---------------------------------------------------

// A weakref is a tracked allocation: it counts like a container and may
// trigger an automatic collection before it exists.
TEST_F(ModelTest, WeakrefAllocationCountsLikeAContainer) {
  Serial x = list(a);
  model->set_threshold(1, {1, 0, 0});
  events();
  Serial w = weakref(b, a);
  EXPECT_EQ(events(), (Events{start_event(0), stop_event(0, 0)}));
  ObjectState made = state(w);
  EXPECT_EQ(made.kind, ObjectKind::Weakref);
  EXPECT_EQ(made.referent, key(x));
  EXPECT_EQ(made.refcount, 1);
  EXPECT_EQ(made.generation, 0);
  EXPECT_EQ(refcount(x), 1);  // a weakref holds no reference
  EXPECT_EQ(count(), (std::array<std::int64_t, 3>{0, 1, 0}));
  list(c);
  EXPECT_EQ(count()[0], 1);
  model->unbind(b);
  EXPECT_EQ(count()[0], 0);
}

// weakref.ref(a, cb): the argument keeps the referent alive while the
// weakref is made, even if the collection that allocation triggers unbinds
// the referent's name; the referent then dies with its new weakref live.
TEST_F(ModelTest, NewWeakrefHoldsItsReferentWhileItIsMade) {
  Serial z = self_cycle(c);
  model->set_finalizer(c, {del(a)});
  model->unbind(c);
  Serial x = list(a);
  model->set_threshold(1, {1, 0, 0});
  events();
  Serial w = weakref(b, a, {bind_self(d)});
  EXPECT_EQ(events(), (Events{start_event(0), finalized_event(z), freed_event(z), stop_event(0, 1),
                              callback_event(w), freed_event(x)}));
  EXPECT_EQ(model->binding(b), key(w));
  EXPECT_EQ(model->binding(d), key(w));
  EXPECT_EQ(refcount(w), 2);
}

// Effects allocate with the model's next serial, one above the highest seen,
// including the executor's.
TEST_F(ModelTest, EffectsAllocateWithTheNextSerial) {
  model->new_container(a, 10, kDefaultPayload);
  EXPECT_EQ(model->next_serial(), 11u);
  model->set_finalizer(a, {new_list(b), new_list(c)});
  model->unbind(a);
  EXPECT_EQ(model->binding(b), key(11));
  EXPECT_EQ(model->binding(c), key(12));
  EXPECT_EQ(model->next_serial(), 13u);
}

// Every effect is defined in every state: unbound names, out-of-range names,
// non-list operands do nothing.
TEST_F(ModelTest, EffectsAreTotal) {
  Serial holder = list(b);
  Serial text = str(a, 8);
  constexpr NameIndex kOutOfRange = 200;
  model->set_finalizer(a, {append_to_self(b), clear_self(), del(g), append_self_to(g), bind_self(kOutOfRange),
                           new_list(kOutOfRange), del(kOutOfRange), append_self_to(b)});
  const Serial next = model->next_serial();
  model->unbind(a);
  EXPECT_EQ(state(holder).slots, Keys{key(text)});  // resurrected by the last effect only
  EXPECT_EQ(refcount(text), 1);
  EXPECT_TRUE(state(text).finalized);
  EXPECT_EQ(model->next_serial(), next);
}

// `l[0] = n` stores n before dropping the old item (list_ass_item): the old
// item's finalizer reading the slot sees n, and the old item dies.
TEST_F(ModelTest, FinalizerReadingTheSlotBeingReplacedSeesTheNewItem) {
  Serial holder = list(a);
  Serial old_item = list(b);
  model->set_finalizer(b, {load_slot(c, a, 0)});
  model->append(a, b);
  model->unbind(b);
  Serial new_item = list(d);
  events();
  model->set_slot(a, 0, d);
  EXPECT_EQ(events(), (Events{finalized_event(old_item), freed_event(old_item)}));
  EXPECT_EQ(model->binding(c), key(new_item));
  EXPECT_EQ(refcount(new_item), 3);  // d, the slot, c
  EXPECT_EQ(state(holder).slots, Keys{key(new_item)});
}

// PyObject_ClearWeakRefs clears every weakref before any callback runs: a
// callback calling a sibling weakref gets None (its name is unbound).
TEST_F(ModelTest, CallbackCallingASiblingWeakrefSeesItCleared) {
  Serial referent = list(a);
  weakref(b, a);
  Serial marker = list(c);
  Serial calling = weakref(d, a, {deref_effect(c, b)});
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{callback_event(calling), freed_event(marker), freed_event(referent)}));
  EXPECT_EQ(model->binding(c), std::nullopt);
}

// A weakref still alive derefs to its referent from user code too.
TEST_F(ModelTest, DerefEffectBindsALiveReferent) {
  Serial referent = list(a);
  weakref(b, a);
  list(e);
  model->set_finalizer(e, {deref_effect(c, b), load_slot(d, c, 0)});
  model->append(a, a);
  model->unbind(e);
  EXPECT_EQ(model->binding(c), key(referent));
  EXPECT_EQ(model->binding(d), key(referent));  // c[0]: the referent's own slot
  EXPECT_EQ(refcount(referent), 4);              // a, its slot, c, d
}

// The read effects do nothing when their operand is unbound, of the wrong
// kind, or (n = m[i]) out of range; n keeps its binding then.
TEST_F(ModelTest, ReadEffectsAreTotal) {
  Serial text = str(a, 8);
  Serial holder = list(b);
  model->append(b, a);
  Serial kept = list(c);
  weakref(e, b);
  Serial finalized = list(f);
  constexpr NameIndex kOutOfRange = 200;
  model->set_finalizer(f, {load_slot(c, b, 1), load_slot(c, a, 0), load_slot(c, g, 0), load_slot(c, kOutOfRange, 0),
                           deref_effect(c, b), deref_effect(c, g), deref_effect(kOutOfRange, e),
                           load_slot(kOutOfRange, b, 0)});
  model->unbind(f);
  EXPECT_EQ(freed(), std::vector<Serial>{finalized});
  EXPECT_EQ(model->binding(c), key(kept));
  EXPECT_EQ(refcount(kept), 1);
  EXPECT_EQ(refcount(holder), 1);
  EXPECT_EQ(refcount(text), 2);  // a and the slot
}

// A body holds what a program line holds: here every allocation, a bind,
// slots of a list other than self set, deleted and cleared, and a weakref to
// self, which is cleared when self dies after its finalizer.
TEST_F(ModelTest, BodiesRunEveryNameLevelOperation) {
  constexpr NameIndex h = g, x = kRingFirst, y = kRingTail;
  Serial holder = list(h);
  Serial first = list(x);
  Serial second = list(y);
  model->append(h, x);
  model->append(h, y);
  model->unbind(x);
  model->unbind(y);
  Serial dying = list(a);
  Op str_op = body_op(OpCode::NewStr, b), int_op = body_op(OpCode::NewInt, c), set = body_op(OpCode::SetSlot, h, kSelf);
  str_op.size = 40;
  int_op.value = 1000;
  Op remove = body_op(OpCode::RemoveSlot, h);
  remove.index = 1;
  model->set_finalizer(a, {str_op, int_op, body_op(OpCode::Bind, d, h), set, remove,
                           body_op(OpCode::NewWeakref, e, kSelf), body_op(OpCode::Clear, h)});
  events();
  model->unbind(a);
  // h[0] = self drops #2; del h[1] drops #3; h.clear() drops self's last
  // reference: the weakref to it is cleared and it is freed.
  EXPECT_EQ(events(), (Events{finalized_event(dying), freed_event(first), freed_event(second), freed_event(dying)}));
  EXPECT_EQ(state(dying + 1).kind, ObjectKind::Str);
  EXPECT_EQ(state(dying + 1).payload, 40u);
  EXPECT_EQ(state(dying + 2).int_value, 1000);
  EXPECT_EQ(model->binding(d), key(holder));
  EXPECT_EQ(refcount(holder), 2);  // h and d
  EXPECT_TRUE(state(holder).slots.empty());
  EXPECT_EQ(state(dying + 3).kind, ObjectKind::Weakref);
  EXPECT_EQ(state(dying + 3).referent, ObjectKey{});  // cleared as self died
}

// An empty callback is a callback: it runs (an event), where none does not.
TEST_F(ModelTest, AnEmptyCallbackRuns) {
  Serial referent = list(a);
  Serial empty = weakref(b, a, {});
  weakref(c, a);
  events();
  model->unbind(a);
  EXPECT_EQ(events(), (Events{callback_event(empty), freed_event(referent)}));
}

// The list free list (Objects/listobject.c): freed lists of the default
// payload are kept, at most 80; a new one takes one; a generation-2
// collection, and only that, empties it.
TEST_F(ModelTest, ListFreeListKeepsAtMost80AndAFullCollectionEmptiesIt) {
  const auto free_list = [&] { return model->collector_state().list_free_list; };
  EXPECT_EQ(free_list(), 0);
  list(a);
  append_lists(a, b, 89);
  model->unbind(b);
  model->unbind(a);
  EXPECT_EQ(free_list(), 80);
  list(a);
  EXPECT_EQ(free_list(), 79);
  model->new_container(b, model->next_serial(), 600);  // another payload is neither taken ...
  model->new_str(c, model->next_serial(), kDefaultPayload);
  weakref(d, a);
  EXPECT_EQ(free_list(), 79);
  model->unbind(b);  // ... nor kept
  model->unbind(c);
  model->unbind(d);
  EXPECT_EQ(free_list(), 79);
  model->collect(0);
  model->collect(1);
  EXPECT_EQ(free_list(), 79);
  model->collect(2);
  EXPECT_EQ(free_list(), 0);
  model->unbind(a);
  EXPECT_EQ(free_list(), 1);
}

// Lists freed by a collection go to the free list too, until a full one.
TEST_F(ModelTest, ListsFreedByACollectionAreKeptUntilAFullOne) {
  garbage_cycle_of(3);
  model->collect(0);
  EXPECT_EQ(model->collector_state().list_free_list, 3);
  garbage_cycle_of(2);
  model->collect(2);
  EXPECT_EQ(model->collector_state().list_free_list, 0);
}

// Teardown drops names and gc.garbage and collects: finalizers, weakrefs and
// saved garbage leave nothing; a legacy-finalizer cycle stays uncollectable.
TEST_F(ModelTest, TeardownLeavesOnlyLegacyFinalizerCycles) {
  self_cycle(a);
  model->set_finalizer(a, {del(b)});
  weakref(c, a, {new_list(d)});
  model->set_debug(true);
  garbage_cycle_of(2);
  model->collect(2);
  ASSERT_EQ(model->garbage().size(), 2u);
  EXPECT_EQ(model->teardown(), "");

  model->reset(kNameCount);
  Serial legacy = self_cycle(a);
  model->set_legacy_finalizer(a);
  EXPECT_EQ(model->teardown(), "still alive after teardown: " + key(legacy).to_string());
}

}  // namespace
}  // namespace gcv::model_test
