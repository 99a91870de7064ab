// gcheap's finalizers (PEP 442 and legacy), weak references, gc.garbage and
// DEBUG_SAVEALL: on refcount death and in collections, checking collect()'s
// results, generations, gc.garbage and the order in which finalizers,
// callbacks and frees happen (CPython 3.11's behaviour, as in
// docs/design-finalizers.md and the semantics reference, sections 4 and 6).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "gcheap/heap.h"
#include "heap_builders.h"
#include "heap_internal.h"

namespace gcheap {
namespace {

enum class What { Finalized, Callback, Freed };
struct Event {
  What what;
  Object* object;
  bool operator==(const Event&) const = default;
};
Event finalized(Object* o) { return {What::Finalized, o}; }
Event callback(Object* o) { return {What::Callback, o}; }
Event freed(Object* o) { return {What::Freed, o}; }

class FinalizerTest : public ::testing::Test {
 public:
  using Action = std::function<void(Object* self)>;

  FinalizerTest() : heap(allocator, Heap::Config{{0, 10, 10}}) {
    heap.set_free_hook(&FinalizerTest::on_free, this);
    heap.add_callback(&FinalizerTest::on_collection, this);
  }

  // Gives o a finalizer that records its run, then does `action`.
  void finalizer(Object* o, Action action = {}) {
    bodies.push_back({this, std::move(action)});
    heap.set_finalizer(o, &FinalizerTest::run_finalizer, &bodies.back());
  }
  // A new weakref to referent whose callback records its run, then does `action`.
  Object* weakref(Object* referent, Action action = {}) {
    bodies.push_back({this, std::move(action)});
    return heap.new_weakref(referent, &FinalizerTest::run_callback, &bodies.back());
  }

  Object* list() { return heap.new_list(0); }
  // n lists, each holding the next; the caller owns the first.
  std::vector<Object*> chain_of(int n) {
    std::vector<Object*> chain{list()};
    for (int i = 1; i < n; ++i) {
      Object* next = list();
      heap.list_append(chain.back(), next);
      chain.push_back(next);
    }
    return chain;
  }
  void link(Object* a, Object* b) { test::link(heap, a, b); }
  std::pair<Object*, Object*> garbage_pair() { return test::garbage_pair(heap); }
  // Stores a new reference to o in a root: what `n = self` does.
  void keep(Object* o) {
    Heap::incref(o);
    roots.push_back(o);
  }
  void drop_roots() {
    std::vector<Object*> held;
    held.swap(roots);
    for (Object* o : held) heap.decref(o);
  }

  std::vector<Object*> generation(int g) const {
    std::vector<Object*> out;
    heap.for_each_in_generation(g, [&](Object* o) { out.push_back(o); });
    return out;
  }
  std::vector<Object*> garbage() const {
    std::vector<Object*> out;
    for (std::size_t i = 0; i < heap.garbage_size(); ++i) out.push_back(heap.garbage_get(i));
    return out;
  }
  // The events of one kind, in order.
  std::vector<Object*> events_of(What what) const {
    std::vector<Object*> out;
    for (const Event& e : events)
      if (e.what == what) out.push_back(e.object);
    return out;
  }
  // Position of an event in the log (events.size() if absent).
  std::size_t position(const Event& e) const {
    return static_cast<std::size_t>(std::find(events.begin(), events.end(), e) - events.begin());
  }
  std::vector<Object*> sorted(std::vector<Object*> v) const {
    std::sort(v.begin(), v.end());
    return v;
  }

  struct Body {
    FinalizerTest* test;
    Action action;
  };
  static void run_finalizer(void* context, Heap&, Object* self) noexcept {
    auto* body = static_cast<Body*>(context);
    body->test->events.push_back(finalized(self));
    body->test->note_stack_depth();
    if (body->action) body->action(self);
  }
  static void run_callback(void* context, Heap&, Object* weakref) noexcept {
    auto* body = static_cast<Body*>(context);
    body->test->events.push_back(callback(weakref));
    body->test->note_stack_depth();
    if (body->action) body->action(weakref);
  }
  static void on_free(void* context, Object* dying) noexcept {
    static_cast<FinalizerTest*>(context)->events.push_back(freed(dying));
  }
  static void on_collection(void* context, CollectionPhase phase, const CollectionInfo& info) noexcept {
    auto* self = static_cast<FinalizerTest*>(context);
    if (phase == CollectionPhase::Stop) self->stops.push_back(info);
  }
  // The lowest and highest stack addresses user code ran at: recursion would
  // spread them apart. The frame address, not a local's: under ASan locals
  // may live on its heap-allocated fake stack.
  void note_stack_depth() {
    const auto at = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    stack_low = std::min(stack_low, at);
    stack_high = std::max(stack_high, at);
  }

  Allocator allocator;
  Heap heap;
  std::deque<Body> bodies;  // stable addresses: the heap holds pointers to them
  std::vector<Object*> roots;
  std::vector<Event> events;
  std::vector<CollectionInfo> stops;
  std::uintptr_t stack_low = UINTPTR_MAX;
  std::uintptr_t stack_high = 0;
};

// --- refcount death ---------------------------------------------------------------------

TEST_F(FinalizerTest, FinalizerRunsBeforeTheFreeOnRefcountDeath) {
  Object* a = list();
  Object* item = list();
  heap.list_append(a, item);
  finalizer(a, [&](Object* self) {
    EXPECT_EQ(self->refcount, 1);  // alive while it runs
    EXPECT_TRUE(Heap::is_finalized(self));
    EXPECT_EQ(Heap::list_get(self, 0), item);  // its slots are intact
  });
  EXPECT_FALSE(Heap::is_finalized(a));
  heap.decref(a);
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), freed(item), freed(a)}));
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

TEST_F(FinalizerTest, ResurrectionOnRefcountDeathKeepsTheObjectAtTheEndOfGenerationZero) {
  Object* b = list();
  Object* c = list();
  Object* old = list();
  heap.collect(0);  // b, c, old to generation 1
  Object* d = list();
  finalizer(b, [&](Object* self) { keep(self); });
  heap.decref(b);
  EXPECT_EQ(events, std::vector<Event>{finalized(b)});
  EXPECT_EQ(b->refcount, 1);  // the root's reference
  EXPECT_TRUE(Heap::is_finalized(b));
  EXPECT_EQ(generation(0), (std::vector<Object*>{d, b}));
  EXPECT_EQ(generation(1), (std::vector<Object*>{c, old}));
  // The second death does not run the finalizer again.
  events.clear();
  drop_roots();
  EXPECT_EQ(events, std::vector<Event>{freed(b)});
  heap.decref(c);
  heap.decref(old);
  heap.decref(d);
}

TEST_F(FinalizerTest, ResurrectionOfAFrozenObjectMovesItToGenerationZero) {
  Object* a = list();
  finalizer(a, [&](Object* self) { keep(self); });
  heap.freeze();
  heap.decref(a);
  EXPECT_EQ(generation(0), std::vector<Object*>{a});
  EXPECT_EQ(heap.get_freeze_count(), 0u);
  drop_roots();
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), freed(a)}));
}

TEST_F(FinalizerTest, AtomFinalizerRunsOnceToo) {
  Object* s = heap.new_str(4);
  finalizer(s, [&](Object* self) { keep(self); });
  heap.decref(s);
  EXPECT_TRUE(Heap::is_finalized(s));
  EXPECT_EQ(Heap::kind(s), Kind::Str);
  EXPECT_TRUE(Heap::has_valid_type(s));
  drop_roots();
  EXPECT_EQ(events, (std::vector<Event>{finalized(s), freed(s)}));
  EXPECT_EQ(heap.stats().strs_live, 0u);
}

TEST_F(FinalizerTest, WeakrefsAreClearedAfterTheFinalizerThenCallbacksRunNewestFirst) {
  Object* a = list();
  Object* w1 = weakref(a);
  Object* w2 = heap.new_weakref(a, nullptr, nullptr);
  Object* w3 = weakref(a, [&](Object*) {
    // Every weakref to a is cleared before the first callback runs.
    EXPECT_EQ(Heap::weakref_get(w1), nullptr);
    EXPECT_EQ(Heap::weakref_get(w2), nullptr);
  });
  finalizer(a, [&](Object* self) { EXPECT_EQ(Heap::weakref_get(w1), self); });
  EXPECT_EQ(Heap::weakref_get(w3), a);
  EXPECT_EQ(Heap::kind(w3), Kind::Weakref);
  EXPECT_TRUE(Heap::is_tracked(w3));
  EXPECT_EQ(heap.stats().weakrefs_live, 3u);
  heap.decref(a);
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), callback(w3), callback(w1), freed(a)}));
  for (Object* w : {w1, w2, w3}) EXPECT_EQ(Heap::weakref_get(w), nullptr);
  events.clear();
  for (Object* w : {w1, w2, w3}) heap.decref(w);
  EXPECT_EQ(events, (std::vector<Event>{freed(w1), freed(w2), freed(w3)}));
  EXPECT_EQ(heap.stats().weakrefs_live, 0u);
}

TEST_F(FinalizerTest, ResurrectionOnRefcountDeathKeepsWeakrefsAlive) {
  Object* a = list();
  Object* w = weakref(a);
  finalizer(a, [&](Object* self) { keep(self); });
  heap.decref(a);
  EXPECT_EQ(Heap::weakref_get(w), a);
  EXPECT_EQ(events, std::vector<Event>{finalized(a)});
  drop_roots();  // now it dies: no finalizer, the callback runs
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), callback(w), freed(a)}));
  heap.decref(w);
}

TEST_F(FinalizerTest, WeakrefWhoseCallbackDropsItIsFreedAfterTheCallbacks) {
  Object* a = list();
  Object* w1 = weakref(a, [&](Object*) { drop_roots(); });
  Object* w2 = weakref(a);
  roots.push_back(w1);  // the root owns w1's only reference
  heap.decref(a);
  // Callbacks newest first; the weakrefs are released after all of them.
  EXPECT_EQ(events, (std::vector<Event>{callback(w2), callback(w1), freed(w1), freed(a)}));
  heap.decref(w2);
}

// PyObject_ClearWeakRefs' tuple (StripsTwo, the default): two weakrefs left
// make a tuple of 4, counted when new, uncounted when it comes back from the
// tuple free list it joined; a full collection frees that list.
TEST_F(FinalizerTest, CallbacksTupleIsCountedThenFreeListed) {
  Object* a = list();
  Object* w1 = weakref(a);
  Object* w2 = weakref(a);
  heap.collect();
  Object* b = list();
  EXPECT_EQ(heap.get_count()[0], 1);
  heap.decref(a);  // the tuple counts (2), a's free takes one back (1)
  EXPECT_EQ(heap.get_count()[0], 1);
  EXPECT_EQ(events, (std::vector<Event>{callback(w2), callback(w1), freed(a)}));  // no hook hears of the tuple
  Object* c = list();
  Object* w3 = weakref(c);
  Object* w4 = weakref(c);
  EXPECT_EQ(heap.get_count()[0], 4);
  heap.decref(c);  // the tuple of 4 comes from its free list: only c's free counts
  EXPECT_EQ(heap.get_count()[0], 3);
  for (Object* o : {b, w1, w2, w3, w4}) heap.decref(o);
}

// A basic weakref (no callback, the first) and a newer plain one are the
// callback-less head StripsTwo clears: the callback weakref left alone runs
// without a tuple, so nothing is counted beyond the frees.
TEST_F(FinalizerTest, StripsTwoClearsTheBasicAndTheNewestPlainWeakrefFirst) {
  Object* a = list();
  Object* basic = heap.new_weakref(a, nullptr, nullptr);
  Object* w = weakref(a);
  Object* plain = heap.new_weakref(a, nullptr, nullptr);
  heap.collect();
  Object* b = list();
  heap.decref(a);
  EXPECT_EQ(heap.get_count()[0], 0);
  EXPECT_EQ(events, (std::vector<Event>{callback(w), freed(a)}));
  for (Object* o : {b, basic, w, plain}) heap.decref(o);
}

TEST_F(FinalizerTest, WeakrefDyingFirstUnlinksItself) {
  Object* a = heap.new_str(0);
  Object* w1 = weakref(a);
  Object* w2 = weakref(a);
  Object* w3 = weakref(a);
  heap.decref(w2);  // the middle one
  heap.decref(w3);  // the head
  heap.decref(a);
  EXPECT_EQ(events, (std::vector<Event>{freed(w2), freed(w3), callback(w1), freed(a)}));
  heap.decref(w1);
}

TEST_F(FinalizerTest, WeakrefToAWeakref) {
  Object* a = list();
  Object* w = weakref(a);
  Object* ww = weakref(w);
  heap.decref(w);
  EXPECT_EQ(events, (std::vector<Event>{callback(ww), freed(w)}));
  EXPECT_EQ(Heap::weakref_get(ww), nullptr);
  heap.decref(ww);
  heap.decref(a);
}

TEST_F(FinalizerTest, WeakrefAllocationCountsAndMayCollect) {
  heap.set_threshold(1, {2});
  auto [a, b] = garbage_pair();  // count0 = 2
  Object* keep_alive = list();   // count0 = 3 > 2: collects before tracking
  EXPECT_EQ(stops.size(), 1u);
  EXPECT_EQ(heap.get_count()[0], 0);
  Object* w = heap.new_weakref(keep_alive, nullptr, nullptr);
  EXPECT_EQ(heap.get_count()[0], 1);
  EXPECT_EQ(generation(0), (std::vector<Object*>{keep_alive, w}));
  Object* more = list();
  Object* w2 = heap.new_weakref(more, nullptr, nullptr);  // count0 = 3 > 2
  EXPECT_EQ(stops.size(), 2u);
  EXPECT_EQ(generation(0), std::vector<Object*>{w2});
  heap.decref(w2);  // deallocation counts too
  EXPECT_EQ(heap.get_count()[0], 0);
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({a, b, w2}));
  heap.decref(w);
  heap.decref(more);
  heap.decref(keep_alive);
}

// --- collections --------------------------------------------------------------------------

TEST_F(FinalizerTest, JohnAndMaryAreBothFinalizedAndCollected) {
  auto [john, mary] = garbage_pair();
  finalizer(john);
  finalizer(mary);
  EXPECT_EQ(heap.collect(), 2);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ((std::vector<Event>{events[0], events[1]}), (std::vector<Event>{finalized(john), finalized(mary)}));
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({john, mary}));
  EXPECT_EQ(heap.get_stats()[2].collected, 2);
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

TEST_F(FinalizerTest, ResurrectedObjectsSurviveUncountedInTheOlderGeneration) {
  auto [a, b] = garbage_pair();
  Object* c = list();
  heap.list_append(a, c);  // reached only from a
  auto [d, e] = garbage_pair();  // plain garbage, collected all the same
  Object* w = weakref(a);
  keep(w);
  heap.decref(w);
  finalizer(a, [&](Object* self) {
    EXPECT_EQ(Heap::weakref_get(w), nullptr);  // weakrefs go first
    keep(self);
  });
  EXPECT_EQ(heap.collect(0), 2);
  EXPECT_EQ(stops.back().collected, 2);
  EXPECT_EQ(events_of(What::Callback), std::vector<Object*>{w});
  EXPECT_LT(position(callback(w)), position(finalized(a)));
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({d, e}));
  EXPECT_EQ(sorted(generation(1)), sorted({a, b, c, w}));
  EXPECT_TRUE(generation(0).empty());
  EXPECT_TRUE(Heap::is_finalized(a));
  EXPECT_FALSE(Heap::is_finalized(b));
  EXPECT_EQ(Heap::list_size(a), 2u);  // intact
  EXPECT_EQ(Heap::weakref_get(w), nullptr);  // and stays with a dead weakref
  // Once garbage again it is collected without a second finalization.
  events.clear();
  Object* kept_w = roots[0];
  roots.erase(roots.begin());
  heap.decref(kept_w);
  drop_roots();
  EXPECT_EQ(heap.collect(1), 3);
  EXPECT_EQ(events_of(What::Finalized), std::vector<Object*>{});
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({w, a, b, c}));
}

TEST_F(FinalizerTest, TransitiveResurrectionKeepsWhatTheResurrectedObjectReaches) {
  // a -> b -> c -> a; every finalizer runs before reachability is rechecked,
  // and c's resurrection saves the whole cycle.
  Object* a = list();
  Object* b = list();
  Object* c = list();
  link(a, b);
  link(b, c);
  link(c, a);
  for (Object* o : {a, b, c}) heap.decref(o);
  auto [x, y] = garbage_pair();
  finalizer(a);
  finalizer(c, [&](Object* self) { keep(self); });
  finalizer(x);
  EXPECT_EQ(heap.collect(2), 2);
  EXPECT_EQ(events_of(What::Finalized), (std::vector<Object*>{a, c, x}));
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({x, y}));
  EXPECT_EQ(sorted(generation(2)), sorted({a, b, c}));
  EXPECT_EQ(heap.get_stats()[2].collected, 2);
  drop_roots();
  EXPECT_EQ(heap.collect(2), 3);
  EXPECT_EQ(events_of(What::Finalized), (std::vector<Object*>{a, c, x}));  // no second run
}

TEST_F(FinalizerTest, LegacyFinalizerMakesACycleAndWhatItReachesUncollectable) {
  auto [a, b] = garbage_pair();
  Object* c = list();
  heap.list_append(b, c);
  auto [x, y] = garbage_pair();
  heap.set_legacy_finalizer(a);
  finalizer(b);  // b is uncollectable too: its finalizer does not run
  EXPECT_EQ(heap.collect(0), 5);
  EXPECT_EQ(stops.back().collected, 2);
  EXPECT_EQ(stops.back().uncollectable, 3);
  EXPECT_EQ(heap.get_stats()[0].uncollectable, 3);
  // Only the object with the legacy finalizer is in gc.garbage; the others are
  // held through it (CPython's handle_legacy_finalizers).
  EXPECT_EQ(garbage(), std::vector<Object*>{a});
  EXPECT_EQ(a->refcount, 2);  // b and gc.garbage
  EXPECT_EQ(generation(1), (std::vector<Object*>{a, b, c}));
  EXPECT_EQ(events_of(What::Finalized), std::vector<Object*>{});
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({x, y}));
  // Still uncollectable in the next collection.
  EXPECT_EQ(heap.collect(1), 0);  // reachable from gc.garbage
  EXPECT_EQ(garbage(), std::vector<Object*>{a});
  // Breaking the cycle by hand: b dies by refcount (its finalizer runs now),
  // then clearing gc.garbage frees a.
  events.clear();
  heap.list_remove(a, 0);
  EXPECT_EQ(events, (std::vector<Event>{finalized(b), freed(c), freed(b)}));
  heap.clear_garbage();
  EXPECT_EQ(heap.garbage_size(), 0u);
  EXPECT_EQ(events.back(), freed(a));
  EXPECT_EQ(heap.stats().lists_live, 0u);
}

TEST_F(FinalizerTest, LegacyCycleStaysUncollectableAfterGarbageIsCleared) {
  auto [a, b] = garbage_pair();
  heap.set_legacy_finalizer(b);
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(garbage(), std::vector<Object*>{b});
  heap.clear_garbage();
  EXPECT_EQ(b->refcount, 1);
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(garbage(), std::vector<Object*>{b});
  EXPECT_TRUE(events.empty());
}

TEST_F(FinalizerTest, DebugSaveAllKeepsTheGarbageInGcGarbage) {
  auto [x, y] = garbage_pair();
  auto [l, m] = garbage_pair();
  heap.set_legacy_finalizer(l);
  finalizer(x);
  heap.set_debug(Heap::kDebugSaveAll);
  EXPECT_EQ(heap.get_debug(), Heap::kDebugSaveAll);
  EXPECT_EQ(heap.collect(0), 4);
  // Saved garbage counts as collected (delete_garbage), the legacy cycle as
  // uncollectable; all of both are in gc.garbage, the saved ones first.
  EXPECT_EQ(stops.back().collected, 2);
  EXPECT_EQ(stops.back().uncollectable, 2);
  EXPECT_EQ(garbage(), (std::vector<Object*>{x, y, l, m}));
  EXPECT_EQ(events, std::vector<Event>{finalized(x)});  // finalizers still run
  EXPECT_EQ(generation(1), (std::vector<Object*>{x, y, l, m}));
  EXPECT_EQ(Heap::list_size(x), 1u);  // not cleared
  heap.set_debug(0);
  heap.clear_garbage();
  EXPECT_EQ(x->refcount, 1);
  EXPECT_EQ(heap.collect(1), 4);  // x, y collected; l, m uncollectable again
  EXPECT_EQ(events_of(What::Finalized), std::vector<Object*>{x});
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({x, y}));
  EXPECT_EQ(garbage(), std::vector<Object*>{l});
}

TEST_F(FinalizerTest, WeakrefsInACollection) {
  // a <-> b is garbage. wa and wf are live weakrefs to a with callbacks; wt is
  // a weakref to b inside the garbage (a holds it): its callback never runs.
  // wf's callback drops the last reference to it: it is freed and counted.
  auto [a, b] = garbage_pair();
  Object* wa = weakref(a, [&](Object*) { EXPECT_EQ(heap.collect(), 0); });
  Object* wf = weakref(a, [&](Object* self) {
    EXPECT_EQ(Heap::weakref_get(wa), nullptr);  // all cleared before any runs
    EXPECT_EQ(Heap::weakref_get(self), nullptr);
    drop_roots();
  });
  roots.push_back(wf);
  Object* wt = weakref(b);
  heap.list_append(a, wt);
  finalizer(a, [&](Object*) {
    EXPECT_EQ(Heap::weakref_get(wa), nullptr);
    EXPECT_EQ(Heap::weakref_get(wt), nullptr);
  });
  EXPECT_EQ(heap.collect(0), 4);  // a, b, wt and wf
  EXPECT_EQ(stops.back().collected, 4);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ((std::vector<Event>(events.begin(), events.begin() + 4)),
            (std::vector<Event>{callback(wf), freed(wf), callback(wa), finalized(a)}));
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({wf, a, b, wt}));
  EXPECT_EQ(generation(1), std::vector<Object*>{wa});
  EXPECT_EQ(heap.stats().weakrefs_live, 1u);
  heap.decref(wa);
}

TEST_F(FinalizerTest, WeakrefWhoseCallbackRanMovesToTheNextGenerationEvenFromFrozen) {
  Object* a = list();
  Object* w = weakref(a);
  finalizer(a, [&](Object* self) { keep(self); });
  heap.freeze();
  heap.decref(a);  // resurrected: back in generation 0, w stays frozen
  link(a, a);
  drop_roots();
  EXPECT_EQ(heap.get_freeze_count(), 1u);
  EXPECT_EQ(heap.collect(0), 1);
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), callback(w), freed(a)}));
  EXPECT_EQ(generation(1), std::vector<Object*>{w});
  EXPECT_EQ(heap.get_freeze_count(), 0u);
  heap.decref(w);
}

TEST_F(FinalizerTest, TrashWeakrefInAFullCollectionStaysInGenerationTwoWhenAlive) {
  // w is garbage with its referent and held by it; clearing w itself frees
  // nothing, so delete_garbage moves it to old before the list's clear frees it.
  Object* w_owner = list();
  Object* w = weakref(w_owner);
  heap.list_append(w_owner, w);
  link(w_owner, w_owner);
  heap.decref(w_owner);
  EXPECT_EQ(heap.collect(2), 2);
  EXPECT_TRUE(events_of(What::Callback).empty());
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({w_owner, w}));
  EXPECT_TRUE(generation(2).empty());
}

TEST_F(FinalizerTest, CollectFromAFinalizerRunByACollectionReturnsZero) {
  auto [a, b] = garbage_pair();
  std::vector<std::int64_t> nested;
  finalizer(a, [&](Object*) { nested.push_back(heap.collect()); });
  EXPECT_EQ(heap.collect(), 2);
  EXPECT_EQ(nested, std::vector<std::int64_t>{0});
  EXPECT_EQ(stops.size(), 1u);
}

TEST_F(FinalizerTest, CollectFromARefcountDeathFinalizerIsReal) {
  auto [x, y] = garbage_pair();
  Object* a = list();
  std::vector<std::int64_t> nested;
  finalizer(a, [&](Object*) { nested.push_back(heap.collect()); });
  heap.decref(a);
  EXPECT_EQ(nested, std::vector<std::int64_t>{2});
  EXPECT_EQ(stops.size(), 1u);
  // The cycle went during the finalizer, a itself after it.
  EXPECT_EQ(events.front(), finalized(a));
  EXPECT_EQ(events.back(), freed(a));
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({x, y, a}));
}

TEST_F(FinalizerTest, OldObjectHeldOnlyByYoungGarbageDiesByRefcountUncounted) {
  // o is frozen, held only by the young cycle: it dies by refcount when the
  // cycle is cleared, inside the collection, so its finalizer's collect() is
  // refused.
  Object* o = list();
  std::vector<std::int64_t> nested;
  finalizer(o, [&](Object*) { nested.push_back(heap.collect()); });
  heap.freeze();
  auto [a, b] = garbage_pair();
  heap.list_append(a, o);
  EXPECT_EQ(heap.collect(0), 2);
  EXPECT_EQ(nested, std::vector<std::int64_t>{0});
  EXPECT_EQ(sorted(events_of(What::Freed)), sorted({a, b, o}));
  EXPECT_EQ(heap.get_freeze_count(), 0u);
}

TEST_F(FinalizerTest, FinalizerDroppingAnotherMembersLastReferenceFreesItByRefcount) {
  // a -> b -> a; a's finalizer clears a, so b dies by refcount (its own
  // finalizer runs then), and a dies when the collector lets go of it: neither
  // is left for delete_garbage to count.
  auto [a, b] = garbage_pair();
  finalizer(a, [&](Object* self) { heap.list_remove(self, 0); });
  finalizer(b);
  EXPECT_EQ(heap.collect(), 0);
  EXPECT_EQ(events, (std::vector<Event>{finalized(a), finalized(b), freed(b), freed(a)}));
}

TEST_F(FinalizerTest, FinalizerMayAllocateAndNewObjectsJoinGenerationZero) {
  auto [a, b] = garbage_pair();
  Object* made = nullptr;
  finalizer(a, [&](Object*) {
    made = list();
    roots.push_back(made);
  });
  EXPECT_EQ(heap.collect(1), 2);
  EXPECT_EQ(generation(0), std::vector<Object*>{made});
  EXPECT_TRUE(generation(2).empty());
  drop_roots();
}

// --- deep structures --------------------------------------------------------------------------

constexpr int kDeep = 10000;

TEST_F(FinalizerTest, DeepChainWithFinalizersAndWeakrefsIsFreedWithoutRecursion) {
  const std::vector<Object*> chain = chain_of(kDeep);
  Object* head = chain.front();
  std::vector<Object*> weakrefs;
  for (Object* o : chain) {
    finalizer(o);
    weakrefs.push_back(weakref(o));
  }
  heap.decref(head);
  // The trashcan cuts the chain into batches: 50 nested destructions, then
  // (from the trash, at one level already) 49 at a time. Each batch runs its
  // finalizers and callbacks top down and frees bottom up.
  std::vector<Event> expected;
  for (int begin = 0, size = 50; begin < kDeep; begin += size, size = 49) {
    const int end = std::min(begin + size, kDeep);
    for (int i = begin; i < end; ++i) {
      expected.push_back(finalized(chain[i]));
      expected.push_back(callback(weakrefs[i]));
    }
    for (int i = end - 1; i >= begin; --i) expected.push_back(freed(chain[i]));
  }
  EXPECT_EQ(events, expected);
  // All user code ran at the same depth, give or take a few frames.
  EXPECT_LT(stack_high - stack_low, 4096u);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  for (Object* w : weakrefs) heap.decref(w);
}

// Finalizers that clear their own list nest one destruction inside another
// through embedder code; the trashcan stops that after 50 levels and finishes
// the rest once the outermost returns.
TEST_F(FinalizerTest, FinalizersThatDestroyTheirItemsNestAtMostFiftyDeep) {
  const std::vector<Object*> chain = chain_of(kDeep);
  for (Object* o : chain) finalizer(o, [&](Object* self) { heap.list_remove(self, 0); });
  std::uintptr_t deepest_frame_spread = 0;
  finalizer(chain[60], [&](Object* self) {
    deepest_frame_spread = stack_high - stack_low;
    heap.list_remove(self, 0);
  });
  heap.decref(chain.front());
  EXPECT_EQ(events_of(What::Finalized), chain);  // top down, each once
  EXPECT_EQ(events_of(What::Freed).size(), static_cast<std::size_t>(kDeep));
  EXPECT_EQ(heap.stats().lists_live, 0u);
  // The spread grows over the first 50 levels (all passed when chain[60]'s
  // finalizer runs), and no further, give or take a few frames.
  EXPECT_GT(deepest_frame_spread, 0u);
  EXPECT_LT(stack_high - stack_low, deepest_frame_spread + 4096);
}

TEST_F(FinalizerTest, DeepGarbageCycleWithFinalizersIsCollectedWithoutRecursion) {
  const std::vector<Object*> chain = chain_of(kDeep);
  link(chain.back(), chain.front());
  heap.decref(chain.front());
  for (Object* o : chain) finalizer(o);
  Object* w = weakref(chain[kDeep / 2]);
  EXPECT_EQ(heap.collect(), kDeep);
  EXPECT_EQ(events_of(What::Finalized), chain);
  EXPECT_EQ(events_of(What::Callback), std::vector<Object*>{w});
  EXPECT_EQ(events_of(What::Freed).size(), static_cast<std::size_t>(kDeep));
  EXPECT_LT(stack_high - stack_low, 4096u);
  EXPECT_EQ(heap.stats().lists_live, 0u);
  heap.decref(w);
}

// --- the flag and the side table ----------------------------------------------------------------

TEST_F(FinalizerTest, FinalizedFlagSurvivesCollectionsAndGenerationMoves) {
  auto [a, b] = garbage_pair();
  finalizer(a, [&](Object* self) { keep(self); });
  heap.collect(0);
  ASSERT_TRUE(Heap::is_finalized(a));
  heap.collect(1);
  heap.collect(2);
  heap.freeze();
  heap.unfreeze();
  EXPECT_TRUE(Heap::is_finalized(a));
  EXPECT_FALSE(Heap::is_finalized(b));
  EXPECT_EQ(sorted(generation(2)), sorted({a, b}));
  EXPECT_EQ(events_of(What::Finalized), std::vector<Object*>{a});
}

TEST_F(FinalizerTest, ObjectsWithoutExtrasHaveNoSideTableEntry) {
  Object* plain = list();
  Object* with = list();
  finalizer(with);
  EXPECT_EQ(Heap::State::of(heap).extras.size(), 1u);
  EXPECT_FALSE(plain->type->has_extras);
  EXPECT_TRUE(with->type->has_extras);
  EXPECT_EQ(Heap::kind(with), Kind::List);
  heap.decref(with);
  EXPECT_TRUE(Heap::State::of(heap).extras.empty());  // the entry goes with the object
  heap.decref(plain);
}

TEST_F(FinalizerTest, FreeListedListComesBackWithoutExtras) {
  Object* a = heap.new_list(kListFreeListPayload);
  finalizer(a);
  heap.decref(a);
  Object* again = heap.new_list(kListFreeListPayload);
  ASSERT_EQ(again, a);  // reused from the free list
  EXPECT_FALSE(again->type->has_extras);
  EXPECT_FALSE(Heap::is_finalized(again));
  heap.decref(again);
  EXPECT_EQ(events_of(What::Finalized), std::vector<Object*>{a});
}

}  // namespace
}  // namespace gcheap
