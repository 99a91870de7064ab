// Properties of the production heap, checked with RapidCheck against the
// reference model.
//
// Stateful properties: rc::state with one command per heap-program operation.
// A command's run() appends its operation to the program and runs it in
// lockstep on the model and on the system under test (see heap_programs.h),
// then checks the property's own invariant. Each property is a named test:
//   Lockstep              everything the fuzzer's executor compares
//   NoPrematureFree       every object the model can reach from a name is
//                         alive in the heap, intact, of the same kind and size;
//                         the heap frees nothing the model keeps alive
//   NoLeak                the heap keeps nothing alive the model freed, and at
//                         teardown the allocator holds no block and no arena
//   ExactRefcounts        every live object's refcount is the model's
//   ExactCollections      every collection's generation and result, the
//                         counts, stats, thresholds and freeze count
//   AutomaticCollections  collections happen exactly when the model says
//   FreezeProtects        frozen objects stay alive and frozen until unfrozen
//   FinalizersRunAtMostOnce   no object's finalizer runs twice
//   GarbageIsTheUncollectable gc.garbage holds what the model says
// Metamorphic properties, over whole generated programs:
//   CollectingEachGenerationEqualsAFullCollection
//   ThresholdsNeverChangeWhatSurvivesAFullCollection
//   TextBinaryRoundTripBehavesIdentically
// Every property is shown to be able to fail: BrokenSystemsAreRejected runs
// each one against a system under test broken in the way it exists to catch.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "gcverify/binary.h"
#include "gcverify/forwarding_machine.h"
#include "heap_programs.h"

namespace gcv::props {
namespace {

// ---- invariants checked after every operation ---------------------------------

// What an invariant may remember from one operation to the next of a run.
struct Memory {
  std::set<ObjectKey> finalized;  // objects whose finalizer has run
};

using Invariant = void (*)(LockstepRun&, Memory&);

void nothing_more(LockstepRun&, Memory&) {}

void no_premature_free(LockstepRun& run, Memory&) {
  ObjectState in_model, in_sut;
  for (ObjectKey key : reachable(run.model())) {
    run.model().read_object(key, in_model);
    if (!run.sut().read_object(key, in_sut)) RC_FAIL(key.to_string() + " is reachable but the heap freed it");
    if (!in_sut.intact || in_sut.kind != in_model.kind || in_sut.payload != in_model.payload)
      RC_FAIL(key.to_string() + " is reachable but damaged: " + to_string(in_sut));
  }
  for (const Event& e : run.sut_events())
    if (e.type == Event::Type::Freed && run.model().read_object(e.key, in_model))
      RC_FAIL("the heap freed " + e.key.to_string() + ", which the model keeps alive");
}

void no_leak(LockstepRun& run, Memory&) {
  const std::set<ObjectKey> alive = live_keys(run.model());
  for (ObjectKey key : live_keys(run.sut()))
    if (alive.count(key) == 0) RC_FAIL("the heap keeps " + key.to_string() + " alive; the model freed it");
}

void exact_refcounts(LockstepRun& run, Memory&) {
  std::vector<ObjectState> expected;
  run.model().objects(expected);
  ObjectState actual;
  for (const ObjectState& m : expected)
    if (run.sut().read_object(m.key, actual) && actual.refcount != m.refcount)
      RC_FAIL(m.key.to_string() + " has refcount " + std::to_string(actual.refcount) + ", the model says " +
              std::to_string(m.refcount));
}

// (generation, collected, uncollectable) of each collection in the events.
std::vector<std::array<std::int64_t, 3>> collections_in(const std::vector<Event>& events) {
  std::vector<std::array<std::int64_t, 3>> out;
  for (const Event& e : events)
    if (e.type == Event::Type::CollectionStop) out.push_back({e.generation, e.collected, e.uncollectable});
  return out;
}

void exact_collections(LockstepRun& run, Memory&) {
  RC_ASSERT(collections_in(run.sut_events()) == collections_in(run.model_events()));
  const CollectorState expected = run.model().collector_state(), actual = run.sut().collector_state();
  RC_ASSERT(actual.count == expected.count);
  RC_ASSERT(actual.threshold == expected.threshold);
  RC_ASSERT(actual.enabled == expected.enabled);
  RC_ASSERT(actual.stats == expected.stats);
  RC_ASSERT(actual.freeze_count == expected.freeze_count);
}

std::vector<int> generations_collected(const std::vector<Event>& events) {
  std::vector<int> out;
  for (const Event& e : events)
    if (e.type == Event::Type::CollectionStart) out.push_back(e.generation);
  return out;
}

void automatic_collections(LockstepRun& run, Memory&) {
  RC_ASSERT(generations_collected(run.sut_events()) == generations_collected(run.model_events()));
}

void freeze_protects(LockstepRun& run, Memory&) {
  std::vector<ObjectState> expected;
  run.model().objects(expected);
  ObjectState actual;
  for (const ObjectState& m : expected) {
    if (m.generation != kPermanentGeneration) continue;
    if (!run.sut().read_object(m.key, actual)) RC_FAIL("frozen " + m.key.to_string() + " was freed");
    if (actual.generation != kPermanentGeneration) RC_FAIL("frozen " + m.key.to_string() + " left the permanent generation");
  }
}

// A finalizer runs at most once per object, and only for an object that had one.
void finalizers_run_at_most_once(LockstepRun& run, Memory& memory) {
  for (const Event& e : run.sut_events())
    if (e.type == Event::Type::Finalized && !memory.finalized.insert(e.key).second)
      RC_FAIL("the finalizer of " + e.key.to_string() + " ran twice");
}

// gc.garbage holds exactly what the model says is uncollectable (or saved);
// its order follows the collector's lists, which only CPython's own code fixes.
void garbage_is_the_uncollectable(LockstepRun& run, Memory&) {
  std::vector<ObjectKey> expected = run.model().garbage(), actual = run.sut().garbage();
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  RC_ASSERT(actual == expected);
}

// ---- the stateful test -----------------------------------------------------------------

// RapidCheck's model. The reference model's state is a function of the
// program run so far, and the executor computes it in lockstep as the
// commands run: a Machine cannot be copied the way RapidCheck copies models,
// so the program (here, its length) stands for it. Generating a command needs
// nothing of it, since operands are resolved when they run.
struct ProgramSoFar {
  std::size_t operations = 0;
};

class PropertyRun {
 public:
  PropertyRun(std::unique_ptr<Machine> sut, bool compare, Invariant invariant)
      : lockstep_(std::move(sut), compare), invariant_(invariant) {}
  void run(const Op& op) {
    lockstep_.run(op);
    invariant_(lockstep_, memory_);
  }
  void finish() { lockstep_.finish(); }

 private:
  LockstepRun lockstep_;
  Invariant invariant_;
  Memory memory_;
};

// One heap-program operation as a command, of each kind as often as its
// row's weight in operations.def says.
struct AnyOperation : rc::state::Command<ProgramSoFar, PropertyRun> {
  Op op = *any_operation();
  void apply(ProgramSoFar& model) const override { ++model.operations; }
  void run(const ProgramSoFar&, PropertyRun& sut) const override { sut.run(op); }
  void show(std::ostream& os) const override { showValue(op, os); }
};

auto any_command() { return rc::state::gen::execOneOfWithArgs<AnyOperation>(); }

struct StatefulProperty {
  const char* name;
  bool compare;       // the executor's own comparisons too
  Invariant invariant;
  bool teardown;      // end with the lockstep teardown
};

const StatefulProperty kLockstep{"Lockstep", true, nothing_more, true};
const StatefulProperty kNoPrematureFree{"NoPrematureFree", false, no_premature_free, false};
const StatefulProperty kNoLeak{"NoLeak", false, no_leak, true};
const StatefulProperty kExactRefcounts{"ExactRefcounts", false, exact_refcounts, false};
const StatefulProperty kExactCollections{"ExactCollections", false, exact_collections, false};
const StatefulProperty kAutomaticCollections{"AutomaticCollections", false, automatic_collections, false};
const StatefulProperty kFreezeProtects{"FreezeProtects", false, freeze_protects, false};
const StatefulProperty kFinalizersRunOnce{"FinalizersRunAtMostOnce", false, finalizers_run_at_most_once, false};
const StatefulProperty kGarbage{"GarbageIsTheUncollectable", false, garbage_is_the_uncollectable, false};

void check_stateful(const StatefulProperty& property, const SutFactory& make_sut) {
  PropertyRun run(make_sut(), property.compare, property.invariant);
  rc::state::check(ProgramSoFar{}, run, any_command());
  if (property.teardown) run.finish();
}

RC_GTEST_PROP(HeapProperties, Lockstep, ()) { check_stateful(kLockstep, real_heap); }
RC_GTEST_PROP(HeapProperties, NoPrematureFree, ()) { check_stateful(kNoPrematureFree, real_heap); }
RC_GTEST_PROP(HeapProperties, NoLeak, ()) { check_stateful(kNoLeak, real_heap); }
RC_GTEST_PROP(HeapProperties, ExactRefcounts, ()) { check_stateful(kExactRefcounts, real_heap); }
RC_GTEST_PROP(HeapProperties, ExactCollections, ()) { check_stateful(kExactCollections, real_heap); }
RC_GTEST_PROP(HeapProperties, AutomaticCollections, ()) { check_stateful(kAutomaticCollections, real_heap); }
RC_GTEST_PROP(HeapProperties, FreezeProtects, ()) { check_stateful(kFreezeProtects, real_heap); }
RC_GTEST_PROP(HeapProperties, FinalizersRunAtMostOnce, ()) { check_stateful(kFinalizersRunOnce, real_heap); }
RC_GTEST_PROP(HeapProperties, GarbageIsTheUncollectable, ()) { check_stateful(kGarbage, real_heap); }

// ---- metamorphic properties ------------------------------------------------------------

// User code run during a collection (finalizers, weakref callbacks) may
// depend on which collection runs it, and what a legacy finalizer keeps
// uncollectable on what it reaches when a collection finds it (a collection
// of generation 0 may free it before a full one would), so programs here
// have none.
std::vector<Op> program_without_user_code() {
  std::vector<Op> program = *any_program();
  std::erase_if(program, [](const Op& op) {
    return op.code == OpCode::SetFinalizer || op.code == OpCode::SetLegacyFinalizer;
  });
  for (Op& op : program)
    if (op.code == OpCode::NewWeakref) op.body.clear(), op.has_body = false;
  return program;
}

// Freezing is left out: a frozen object that only garbage refers to is freed
// when the garbage is, which makes what it held garbage only after the
// collection has passed it; collect(1) and collect(2) then find it, one full
// collection does not.
void collecting_each_generation_equals_a_full_collection(const SutFactory& make_sut) {
  std::vector<Op> program = program_without_user_code();
  std::erase_if(program, [](const Op& op) { return op.code == OpCode::Freeze; });
  const auto one_by_one = live_after(program, {collect_op(0), collect_op(1), collect_op(2)}, make_sut);
  const auto at_once = live_after(program, {collect_op(2)}, make_sut);
  RC_ASSERT(one_by_one == at_once);
}

// Left out, because each observes garbage the thresholds may or may not have
// collected yet: freezing and DEBUG_SAVEALL (they keep it), dereferencing a
// weakref (it makes it reachable again), reading or clearing gc.garbage (its
// contents so far); and user code, which runs in whichever collection finds
// its object.
void thresholds_never_change_what_survives(const SutFactory& make_sut) {
  std::vector<Op> program = program_without_user_code();
  std::erase_if(program, [](const Op& op) {
    return op.code == OpCode::Freeze || op.code == OpCode::SetDebug || op.code == OpCode::Deref ||
           op.code == OpCode::LoadGarbage || op.code == OpCode::ClearGarbage;
  });
  std::vector<Op> untuned = program;
  std::erase_if(untuned, [](const Op& op) {
    return op.code == OpCode::SetThreshold || op.code == OpCode::Enable || op.code == OpCode::Disable;
  });
  untuned.insert(untuned.begin(), *operation(OpCode::SetThreshold));
  RC_ASSERT(live_after(program, {collect_op(2)}, make_sut) == live_after(untuned, {collect_op(2)}, make_sut));
}

using RoundTrip = Program (*)(const Program&);

Program text_binary_text(const Program& program) {
  ParseError error;
  const auto parsed = parse_text(print_text(program), "round trip", error);
  if (!parsed) RC_FAIL("the printed program does not parse: " + error.to_string());
  std::string why;
  const auto bytes = encode_binary(*parsed, why);
  if (!bytes) RC_FAIL("the program has no binary form: " + why);
  Program decoded = decode_binary(*bytes);
  decoded.names = program.names;  // decoding spells names canonically, as empty_program() does
  return decoded;
}

// The final state of a run: each live object, as the heap describes it.
std::vector<ObjectState> final_state(const std::vector<Op>& ops) {
  LockstepRun run(real_heap(), /*compare=*/true);
  for (const Op& op : ops) run.run(op);
  std::vector<ObjectState> states;
  run.sut().objects(states);
  return states;
}

void round_trip_behaves_identically(RoundTrip round_trip) {
  Program program = empty_program();
  program.ops = *any_program();
  const Program back = round_trip(program);
  RC_ASSERT(final_state(back.ops) == final_state(program.ops));
}

RC_GTEST_PROP(HeapProperties, CollectingEachGenerationEqualsAFullCollection, ()) {
  collecting_each_generation_equals_a_full_collection(real_heap);
}
RC_GTEST_PROP(HeapProperties, ThresholdsNeverChangeWhatSurvivesAFullCollection, ()) {
  thresholds_never_change_what_survives(real_heap);
}
RC_GTEST_PROP(HeapProperties, TextBinaryRoundTripBehavesIdentically, ()) {
  round_trip_behaves_identically(text_binary_text);
}

// ---- every property can fail --------------------------------------------------------

// The real heap with one deliberate bug, made behind the adapter's back or in
// what the adapter reports.
class BrokenHeap : public ForwardingMachine {
 public:
  BrokenHeap() : ForwardingMachine(real_heap()) {}

 protected:
  gcheap::Heap& heap() { return *heap_machine_heap(*inner_); }
  // The object bound to n (nullptr when the adapter holds none for its key:
  // the fault is then skipped, never applied to a null pointer).
  gcheap::Object* held_by(NameIndex n) { return heap_machine_object(*inner_, *binding(n)); }
};

// A list stores an item without taking a reference: the item is freed while
// the list still holds it.
struct AppendTakesNoReference : BrokenHeap {
  void append(NameIndex list, NameIndex item) override {
    BrokenHeap::append(list, item);
    if (gcheap::Object* o = held_by(item)) heap().decref(o);
  }
};
// Unbinding a name forgets to drop its reference.
struct UnbindKeepsTheReference : BrokenHeap {
  void unbind(NameIndex n) override {
    if (gcheap::Object* o = held_by(n)) gcheap::Heap::incref(o);
    BrokenHeap::unbind(n);
  }
};
// Binding a name takes two references.
struct BindTakesTwoReferences : BrokenHeap {
  void bind(NameIndex dst, NameIndex src) override {
    BrokenHeap::bind(dst, src);
    if (gcheap::Object* o = held_by(dst)) gcheap::Heap::incref(o);
  }
};
// The statistics count one object too many per collection.
struct StatsCountOneMore : BrokenHeap {
  CollectorState collector_state() override {
    CollectorState s = BrokenHeap::collector_state();
    for (GcStats& g : s.stats) g.collected += g.collections;
    return s;
  }
};
// Automatic collection never runs, while the heap claims to be enabled.
struct NeverCollectsAutomatically : BrokenHeap {
  void reset(std::size_t names) override {
    BrokenHeap::reset(names);
    BrokenHeap::disable();
  }
  void enable() override {}
  void disable() override {}
  CollectorState collector_state() override {
    CollectorState s = BrokenHeap::collector_state();
    s.enabled = true;
    return s;
  }
};
// freeze() does nothing.
struct FreezeIgnored : BrokenHeap {
  void freeze() override {}
};
// A young collection freezes everything.
struct YoungCollectionFreezes : BrokenHeap {
  std::int64_t collect(int g) override {
    const std::int64_t collected = BrokenHeap::collect(g);
    if (g == 0) BrokenHeap::freeze();
    return collected;
  }
};
// A low threshold freezes everything.
struct LowThresholdFreezes : BrokenHeap {
  void set_threshold(int arity, std::array<std::int64_t, 3> values) override {
    BrokenHeap::set_threshold(arity, values);
    if (values[0] <= 2) BrokenHeap::freeze();
  }
};
// The collector undercounts.
struct CollectReturnsOneLess : BrokenHeap {
  std::int64_t collect(int g) override { return BrokenHeap::collect(g) - 1; }
};
// Every finalizer is reported to have run twice.
struct FinalizersReportedTwice : BrokenHeap {
  void take_events(std::vector<Event>& out) override {
    std::vector<Event> events;
    BrokenHeap::take_events(events);
    for (const Event& e : events) {
      out.push_back(e);
      if (e.type == Event::Type::Finalized) out.push_back(e);
    }
  }
};
// gc.garbage is reported empty.
struct GarbageForgotten : BrokenHeap {
  const std::vector<ObjectKey>& garbage() override { return none_; }
  const std::vector<ObjectKey> none_;
};
// A round trip that loses payload sizes.
Program round_trip_dropping_payloads(const Program& program) {
  Program back = text_binary_text(program);
  for (Op& op : back.ops) op.size = kMinPayload;
  return back;
}

template <typename Broken>
SutFactory broken() {
  return [] { return std::make_unique<Broken>(); };
}

// True when RapidCheck finds a counterexample to `property`.
template <typename Property>
bool rejects(Property property) {
  std::ostringstream report;
  std::streambuf* const saved = std::cout.rdbuf(report.rdbuf());
  const bool passed = rc::check("a property run against a broken system", property);
  std::cout.rdbuf(saved);
  return !passed;
}

// The property generators make every operation of operations.def but the
// expectations (as the fuzz generator does; tests/fuzz/program_generator_test).
TEST(Generators, MakeEveryOperationButTheExpectations) {
  rc::Random random(1);
  std::set<OpCode> made;
  for (int i = 0; i < 20000; ++i) made.insert(any_operation()(random.split()).value().code);
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    EXPECT_EQ(made.count(static_cast<OpCode>(c)), kOperations[c].expectation ? 0u : 1u) << kOperations[c].words;
}

// The generators still reach the heap's limits: a chain or cycle past the
// trashcan's 50 nesting levels and the list free list's 80 entries, the
// largest clique, a payload in every 16-byte size class up to the small-object
// limit, one past it and one past a pool. A change that narrows them fails
// here rather than silently shrinking what the properties reach.
TEST(Generators, ReachTheHeapsLimits) {
  rc::Random random(2);
  std::uint32_t longest = 0, largest_clique = 0, largest_payload = 0;
  std::set<std::uint32_t> small_classes;
  for (int i = 0; i < 20000; ++i) {
    const Op op = any_operation()(random.split()).value();
    if (op.code == OpCode::Chain || op.code == OpCode::Cycle) longest = std::max(longest, op.count);
    if (op.code == OpCode::Clique) largest_clique = std::max(largest_clique, op.count);
  }
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t size = payload()(random.split()).value();
    largest_payload = std::max(largest_payload, size);
    if (size <= 512) small_classes.insert((size - 1) / 16);
  }
  EXPECT_GT(longest, 80u) << "no chain or cycle past the trashcan's 50 levels and the free list's 80 entries";
  EXPECT_EQ(largest_clique, kLargestClique);
  EXPECT_EQ(small_classes.size(), 32u) << "payloads miss a 16-byte size class up to 512 bytes";
  EXPECT_EQ(largest_payload, kMaxPayload);
}

TEST(BrokenSystemsAreRejected, ByTheirStatefulProperties) {
  EXPECT_TRUE(rejects([] { check_stateful(kLockstep, broken<CollectReturnsOneLess>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kNoLeak, broken<UnbindKeepsTheReference>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kExactRefcounts, broken<BindTakesTwoReferences>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kExactCollections, broken<StatsCountOneMore>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kAutomaticCollections, broken<NeverCollectsAutomatically>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kFreezeProtects, broken<FreezeIgnored>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kFinalizersRunOnce, broken<FinalizersReportedTwice>()); }));
  EXPECT_TRUE(rejects([] { check_stateful(kGarbage, broken<GarbageForgotten>()); }));
}

// Without a sanitizer, a premature free that frees an object twice within one
// operation (a.append(a), then del a) crashes the heap before the property
// can look: that crash is the report.
void report_crash(int) {
  constexpr char kMessage[] = "the heap crashed on freed memory\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(1);
}

// A premature free may read freed memory when the heap is next observed; with
// AddressSanitizer that read is itself the report. Either way the run ends.
TEST(BrokenSystemsAreRejected, ByNoPrematureFree) {
  EXPECT_DEATH(
      {
        std::signal(SIGSEGV, report_crash);
        std::signal(SIGBUS, report_crash);
        if (rejects([] { check_stateful(kNoPrematureFree, broken<AppendTakesNoReference>()); })) {
          std::fputs("premature free rejected\n", stderr);
          std::abort();
        }
      },
      "premature free rejected|the heap crashed on freed memory|use-after-poison|heap-use-after-free");
}

TEST(BrokenSystemsAreRejected, ByTheMetamorphicProperties) {
  EXPECT_TRUE(rejects([] { collecting_each_generation_equals_a_full_collection(broken<YoungCollectionFreezes>()); }));
  EXPECT_TRUE(rejects([] { thresholds_never_change_what_survives(broken<LowThresholdFreezes>()); }));
  EXPECT_TRUE(rejects([] { round_trip_behaves_identically(round_trip_dropping_payloads); }));
}

}  // namespace
}  // namespace gcv::props
