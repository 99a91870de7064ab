// The CPython adapter on its own: each test drives the real interpreter
// through the Machine interface and asserts what CPython 3.11 reports.
#include "gcverify/cpython_machine.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gcv {
namespace {

// A body's operation: `target = ...source...` as its row spells it.
Op body_op(OpCode code, NameIndex target, NameIndex source = 0) {
  Op op = Op::of(code);
  op.target = target;
  op.source = source;
  return op;
}

constexpr NameIndex a = 0, b = 1, c = 2, w = 3, keep = 4;

class CPythonMachineTest : public ::testing::Test {
 protected:
  void SetUp() override { m->reset(8); }
  void TearDown() override { EXPECT_EQ(m->teardown(), ""); }

  std::vector<Event> events() {
    std::vector<Event> out;
    m->take_events(out);
    return out;
  }
  static std::vector<ObjectKey> freed(const std::vector<Event>& events) {
    std::vector<ObjectKey> keys;
    for (const Event& e : events)
      if (e.type == Event::Type::Freed) keys.push_back(e.key);
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  static std::size_t count(const std::vector<Event>& events, Event::Type type) {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.type == type; }));
  }
  ObjectState state(Serial s) {
    auto o = m->object(ObjectKey::serial(s));
    EXPECT_TRUE(o.has_value()) << "#" << s << " is dead";
    return o.value_or(ObjectState{});
  }
  Serial next() { return m->next_serial(); }
  void cycle_of_two() {  // a -> b -> a, then both names dropped
    m->new_container(a, next(), 16);
    m->new_container(b, next(), 16);
    m->append(a, b);
    m->append(b, a);
  }

  std::unique_ptr<Machine> m = make_cpython_machine(profile().name);
};

TEST_F(CPythonMachineTest, ResetGivesAFreshCollector) {
  const CollectorState s = m->collector_state();
  EXPECT_EQ(s.count, (std::array<std::int64_t, 3>{0, 0, 0}));
  EXPECT_EQ(s.threshold, (std::array<std::int64_t, 3>{700, 10, 10}));
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.stats[2], GcStats{});
  EXPECT_EQ(s.freeze_count, 0);
  EXPECT_TRUE(m->garbage().empty());
  EXPECT_EQ(cpython_long_lived(profile().name), (std::array<std::int64_t, 2>{0, 0}));
}

TEST_F(CPythonMachineTest, ContainersCountRefcountAndGeneration) {
  m->new_container(a, 1, 16);
  ObjectState s = state(1);
  EXPECT_EQ(s.kind, ObjectKind::Container);
  EXPECT_EQ(s.refcount, 1);
  EXPECT_EQ(s.generation, 0);
  EXPECT_EQ(m->collector_state().count[0], 1);
  m->bind(b, a);
  m->new_container(c, 2, 16);
  m->append(c, a);
  m->append(c, a);
  EXPECT_EQ(state(1).refcount, 4);
  EXPECT_EQ(state(2).slots, (std::vector<ObjectKey>{ObjectKey::serial(1), ObjectKey::serial(1)}));
  EXPECT_EQ(m->binding(b), ObjectKey::serial(1));
  EXPECT_EQ(m->collect(0), 0);
  EXPECT_EQ(state(1).generation, 1);
  EXPECT_EQ(m->collector_state().count, (std::array<std::int64_t, 3>{0, 1, 0}));
}

TEST_F(CPythonMachineTest, CollectorFreesATwoListCycle) {
  cycle_of_two();
  events();
  m->unbind(a);
  m->unbind(b);
  EXPECT_TRUE(freed(events()).empty());
  EXPECT_EQ(m->collect(2), 2);
  const std::vector<Event> e = events();
  ASSERT_GE(e.size(), 4u);
  EXPECT_EQ(e.front().type, Event::Type::CollectionStart);
  EXPECT_EQ(e.back().type, Event::Type::CollectionStop);
  EXPECT_EQ(e.back().collected, 2);
  EXPECT_EQ(freed(e), (std::vector<ObjectKey>{ObjectKey::serial(1), ObjectKey::serial(2)}));
  const CollectorState s = m->collector_state();
  EXPECT_EQ(s.count, (std::array<std::int64_t, 3>{0, 0, 0}));  // the callback's info dict is not counted
  EXPECT_EQ(s.stats[2], (GcStats{1, 2, 0}));
}

TEST_F(CPythonMachineTest, AtomsAreFreedWhenTheirLastReferenceGoes) {
  m->new_str(a, 1, 100);
  m->new_int(b, 2, 100000);
  m->new_int(c, 0, 5);  // a shared small int: no serial
  EXPECT_EQ(state(1).kind, ObjectKind::Str);
  EXPECT_EQ(state(1).payload, 100u);
  EXPECT_EQ(state(1).refcount, 1);
  EXPECT_EQ(state(1).generation, kUntracked);
  EXPECT_EQ(state(2).int_value, 100000);
  EXPECT_EQ(m->binding(c), ObjectKey::small_int(5));
  EXPECT_EQ(m->collector_state().count[0], 0);  // atoms are not counted
  m->new_container(w, 3, 16);
  m->append(w, a);
  m->append(w, c);
  EXPECT_EQ(state(3).slots, (std::vector<ObjectKey>{ObjectKey::serial(1), ObjectKey::small_int(5)}));
  m->unbind(a);
  EXPECT_TRUE(freed(events()).empty());
  m->unbind(w);
  EXPECT_EQ(freed(events()), (std::vector<ObjectKey>{ObjectKey::serial(1), ObjectKey::serial(3)}));
}

TEST_F(CPythonMachineTest, FinalizersRunInACollectionAndCanResurrect) {
  cycle_of_two();
  m->set_finalizer(a, {body_op(OpCode::Bind, keep, kSelf)});
  m->set_finalizer(b, {body_op(OpCode::NewContainer, c)});
  EXPECT_TRUE(state(1).has_finalizer);
  m->unbind(a);
  m->unbind(b);
  events();
  EXPECT_EQ(m->collect(2), 0);  // resurrected objects are not counted
  const std::vector<Event> e = events();
  EXPECT_EQ(count(e, Event::Type::Finalized), 2u);
  EXPECT_TRUE(freed(e).empty());
  EXPECT_EQ(m->binding(keep), ObjectKey::serial(1));
  EXPECT_EQ(m->binding(c), ObjectKey::serial(3));  // the finalizer's new list took the next serial
  EXPECT_TRUE(state(1).finalized);
  EXPECT_TRUE(state(2).finalized);
  EXPECT_EQ(state(2).generation, 2);
  m->unbind(keep);
  EXPECT_EQ(m->collect(2), 2);  // finalizers run once: now they die
  EXPECT_EQ(count(events(), Event::Type::Finalized), 0u);
}

TEST_F(CPythonMachineTest, WeakrefCallbackRunsOnRefcountDeath) {
  m->new_container(a, 1, 16);
  const std::vector<Op> callback = {body_op(OpCode::Deref, c, w)};
  m->new_weakref(w, 2, a, &callback);
  EXPECT_EQ(state(2).kind, ObjectKind::Weakref);
  EXPECT_EQ(state(2).referent, ObjectKey::serial(1));
  EXPECT_EQ(state(2).generation, 0);
  EXPECT_EQ(state(1).refcount, 1);  // a weakref holds no reference
  m->deref(b, w);
  EXPECT_EQ(m->binding(b), ObjectKey::serial(1));
  m->unbind(b);
  events();
  m->unbind(a);
  const std::vector<Event> e = events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].type, Event::Type::CallbackRan);
  EXPECT_EQ(e[1].type, Event::Type::Freed);
  EXPECT_FALSE(m->binding(c).has_value());  // the callback saw its weakref cleared
  EXPECT_EQ(state(2).referent, ObjectKey{});
}

// A callback that does nothing is still called; no callback is not.
TEST_F(CPythonMachineTest, AnEmptyCallbackRunsAndNoCallbackDoesNot) {
  m->new_container(a, 1, 16);
  const std::vector<Op> empty;
  m->new_weakref(w, 2, a, &empty);
  m->new_weakref(b, 3, a, nullptr);
  events();
  m->unbind(a);
  const std::vector<Event> e = events();
  EXPECT_EQ(count(e, Event::Type::CallbackRan), 1u);
  EXPECT_EQ(freed(e), (std::vector<ObjectKey>{ObjectKey::serial(1)}));
}

// A finalizer's body allocates a str and an int as a program line does, each
// with the next serial, and sets a slot of a list other than self.
TEST_F(CPythonMachineTest, BodiesAllocateAtomsAndSetSlotsOfOtherLists) {
  m->new_container(keep, 1, 16);
  m->new_container(c, 2, 16);
  m->append(keep, c);
  m->new_container(a, 3, 16);
  Op str = body_op(OpCode::NewStr, b), big = body_op(OpCode::NewInt, w), set = body_op(OpCode::SetSlot, keep, b);
  str.size = 40;
  big.value = 1000;
  m->set_finalizer(a, {str, big, set});
  m->unbind(a);  // its finalizer: b = str 40; w = int 1000; keep[0] = b
  EXPECT_EQ(state(4).kind, ObjectKind::Str);
  EXPECT_EQ(state(4).payload, 40u);
  EXPECT_EQ(state(5).int_value, 1000);
  EXPECT_EQ(state(1).slots, (std::vector<ObjectKey>{ObjectKey::serial(4)}));
  EXPECT_EQ(state(2).refcount, 1);  // c only: the slot let go of it
}

TEST_F(CPythonMachineTest, EachWeakrefIsANewObject) {
  m->new_container(a, 1, 16);
  m->new_weakref(w, 2, a, nullptr);
  m->new_weakref(b, 3, a, nullptr);
  EXPECT_EQ(m->binding(w), ObjectKey::serial(2));
  EXPECT_EQ(m->binding(b), ObjectKey::serial(3));
}

TEST_F(CPythonMachineTest, ASecondCallbacklessWeakrefIsANewObjectToo) {
  m->new_container(a, 1, 16);
  m->new_weakref(w, 2, a, nullptr);
  m->new_weakref(b, 3, a, nullptr);  // weakref.ref(a) would return #2: a Ref instead
  m->new_weakref(c, 4, a, nullptr);
  EXPECT_EQ(state(1).refcount, 1);
  m->unbind(a);
  EXPECT_EQ(freed(events()), (std::vector<ObjectKey>{ObjectKey::serial(1)}));
  EXPECT_EQ(state(3).referent, ObjectKey{});
  EXPECT_EQ(state(4).kind, ObjectKind::Weakref);
}

// A known disagreement (docs/cpython-adapter.md): an object dying with two
// or more weakrefs that PyObject_ClearWeakRefs cannot clear up front (any
// with a callback, or callback-less ones behind them) makes it allocate a
// tuple for the callbacks: a counted container allocation, which the tuple
// free list keeps afterwards. Right after a full collection emptied the free
// lists, get_count()[0] is one higher than the model says.
TEST_F(CPythonMachineTest, ClearWeakRefsCountsItsTupleOfCallbacks) {
  m->new_container(a, 1, 16);
  const std::vector<Op> callback = {body_op(OpCode::Unbind, keep)};
  m->new_weakref(w, 2, a, &callback);
  m->new_weakref(b, 3, a, &callback);
  m->collect(2);  // empties the free lists
  m->new_container(c, 4, 16);
  EXPECT_EQ(m->collector_state().count[0], 1);
  m->unbind(a);
  EXPECT_EQ(count(events(), Event::Type::CallbackRan), 2u);
  EXPECT_EQ(m->collector_state().count[0], 1);  // 1 + 1 (the tuple) - 1 (#1 freed), as the model counts
}

TEST_F(CPythonMachineTest, LegacyFinalizerMakesACycleUncollectable) {
  cycle_of_two();
  m->set_legacy_finalizer(a);
  m->unbind(a);
  m->unbind(b);
  EXPECT_EQ(m->collect(2), 2);
  const std::vector<Event> e = events();
  EXPECT_EQ(e.back().uncollectable, 2);
  EXPECT_TRUE(freed(e).empty());
  EXPECT_EQ(m->garbage(), (std::vector<ObjectKey>{ObjectKey::serial(1)}));
  m->load_garbage(c, 0);
  EXPECT_EQ(state(1).refcount, 3);  // b's slot, gc.garbage, c
}

TEST_F(CPythonMachineTest, SaveallKeepsGarbage) {
  m->set_debug(true);
  cycle_of_two();
  m->unbind(a);
  m->unbind(b);
  EXPECT_EQ(m->collect(2), 2);
  EXPECT_EQ(m->garbage().size(), 2u);
  m->set_debug(false);
  m->clear_garbage();
  EXPECT_TRUE(freed(events()).empty());  // still a cycle
  EXPECT_EQ(m->collect(2), 2);
}

TEST_F(CPythonMachineTest, FreezeCountsTheProgramsObjects) {
  m->new_container(a, 1, 16);
  m->new_container(b, 2, 16);
  m->freeze();
  EXPECT_EQ(m->collector_state().freeze_count, 2);
  EXPECT_EQ(state(1).generation, kPermanentGeneration);
  EXPECT_EQ(m->collector_state().count, (std::array<std::int64_t, 3>{0, 0, 0}));
  m->unfreeze();
  EXPECT_EQ(m->collector_state().freeze_count, 0);
  EXPECT_EQ(state(2).generation, 2);
}

TEST_F(CPythonMachineTest, AutomaticCollectionRunsPastTheThreshold) {
  m->set_threshold(1, {3, 0, 0});
  for (NameIndex n = 0; n < 3; ++n) m->new_container(n, next(), 16);
  EXPECT_EQ(count(events(), Event::Type::CollectionStart), 0u);
  m->new_container(w, next(), 16);  // count0 4 > 3: generation 0 is collected first
  const std::vector<Event> e = events();
  ASSERT_EQ(count(e, Event::Type::CollectionStart), 1u);
  EXPECT_EQ(e.front().generation, 0);
  EXPECT_EQ(m->collector_state().count, (std::array<std::int64_t, 3>{0, 1, 0}));
  EXPECT_EQ(state(4).generation, 0);
  EXPECT_EQ(state(1).generation, 1);
}

TEST_F(CPythonMachineTest, ObjectsListsTheProgramsObjectsInSerialOrder) {
  m->new_container(a, 1, 16);
  m->new_str(b, 2, 8);
  m->new_int(c, 0, 7);
  m->append(a, c);
  std::vector<ObjectState> all;
  m->objects(all);
  ASSERT_EQ(all.size(), 2u);  // small ints are left out
  EXPECT_EQ(all[0].key, ObjectKey::serial(1));
  EXPECT_EQ(all[0].generation, 0);
  EXPECT_EQ(all[1].key, ObjectKey::serial(2));
}

TEST_F(CPythonMachineTest, AMachineCanBeResetAfterAFailedRun) {
  cycle_of_two();
  m->set_legacy_finalizer(a);
  m->new_container(keep, next(), 16);
  m->reset(8);  // the abandoned run's objects are released
  EXPECT_EQ(m->collector_state().count, (std::array<std::int64_t, 3>{0, 0, 0}));
  EXPECT_TRUE(m->garbage().empty());
  m->new_container(a, 1, 16);
  EXPECT_EQ(state(1).refcount, 1);
}

}  // namespace
}  // namespace gcv
