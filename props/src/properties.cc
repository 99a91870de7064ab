// The properties of property_suite.h's tests (declared in props.h): the
// invariants the stateful ones check after every operation, and the
// metamorphic ones. The tests themselves are the header's, defined in the
// user's test executable.
#include <rapidcheck/state.h>

#include <algorithm>
#include <array>

#include "gcverify/binary.h"
#include "gcverify/props.h"
#include "gcverify/text.h"

namespace gcv::props {
namespace {

// ---- invariants checked after every operation ---------------------------------
//
// Each compares only what the system's capabilities let the executor compare
// (run.capabilities()).

// What an invariant may remember from one operation to the next of a run.
struct Memory {
  std::set<ObjectKey> finalized;  // objects whose finalizer has run
};

using Invariant = void (*)(LockstepRun&, Memory&);

void nothing_more(LockstepRun&, Memory&) {}

void nothing_reachable_freed(LockstepRun& run, Memory&) {
  const bool container_payloads = run.capabilities().has(Capability::ContainerPayload);
  ObjectState in_model, in_sut;
  for (ObjectKey key : reachable(run.model())) {
    run.model().read_object(key, in_model);
    if (!run.sut().read_object(key, in_sut)) RC_FAIL(key.to_string() + " is reachable but the system freed it");
    const bool payload_observed = container_payloads || in_model.kind != ObjectKind::Container;
    if (!in_sut.intact || in_sut.kind != in_model.kind || (payload_observed && in_sut.payload != in_model.payload))
      RC_FAIL(key.to_string() + " is reachable but damaged: " + to_string(in_sut));
  }
  for (const Event& e : run.sut_events())
    if (e.type == Event::Type::Freed && run.model().read_object(e.key, in_model))
      RC_FAIL("the system freed " + e.key.to_string() + ", which the model keeps alive");
}

void nothing_dead_kept(LockstepRun& run, Memory&) {
  const std::set<ObjectKey> alive = live_keys(run.model());
  for (ObjectKey key : live_keys(run.sut()))
    if (alive.count(key) == 0) RC_FAIL("the system keeps " + key.to_string() + " alive; the model freed it");
}

// A small int's refcount counts only with small_int_refcounts.
void refcounts_are_the_models(LockstepRun& run, Memory&) {
  const bool small_int_refcounts = run.capabilities().has(Capability::SmallIntRefcounts);
  std::vector<ObjectState> expected;
  run.model().objects(expected);
  ObjectState actual;
  for (const ObjectState& m : expected)
    if ((small_int_refcounts || m.key.is_serial()) && run.sut().read_object(m.key, actual) &&
        actual.refcount != m.refcount)
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

// Counts, thresholds and isenabled() only with generations, the freeze count
// only with freeze (as the executor's compare_collector).
void collections_are_the_models(LockstepRun& run, Memory&) {
  RC_ASSERT(collections_in(run.sut_events()) == collections_in(run.model_events()));
  const Capabilities observed = run.capabilities();
  const CollectorState expected = run.model().collector_state(), actual = run.sut().collector_state();
  if (observed.has(Capability::Generations)) {
    RC_ASSERT(actual.count == expected.count);
    RC_ASSERT(actual.threshold == expected.threshold);
    RC_ASSERT(actual.enabled == expected.enabled);
  }
  RC_ASSERT(actual.stats == expected.stats);
  if (observed.has(Capability::Freeze)) RC_ASSERT(actual.freeze_count == expected.freeze_count);
}

std::vector<int> generations_collected(const std::vector<Event>& events) {
  std::vector<int> out;
  for (const Event& e : events)
    if (e.type == Event::Type::CollectionStart) out.push_back(e.generation);
  return out;
}

void collections_happen_when_the_model_says(LockstepRun& run, Memory&) {
  RC_ASSERT(generations_collected(run.sut_events()) == generations_collected(run.model_events()));
}

// A system without generations reports none, so only with generations is a
// frozen object seen to stay in the permanent generation.
void frozen_objects_stay(LockstepRun& run, Memory&) {
  const bool generations = run.capabilities().has(Capability::Generations);
  std::vector<ObjectState> expected;
  run.model().objects(expected);
  ObjectState actual;
  for (const ObjectState& m : expected) {
    if (m.generation != kPermanentGeneration) continue;
    if (!run.sut().read_object(m.key, actual)) RC_FAIL("frozen " + m.key.to_string() + " was freed");
    if (generations && actual.generation != kPermanentGeneration)
      RC_FAIL("frozen " + m.key.to_string() + " left the permanent generation");
  }
}

// A finalizer runs at most once per object, and only for an object that had one.
void no_finalizer_ran_twice(LockstepRun& run, Memory& memory) {
  for (const Event& e : run.sut_events())
    if (e.type == Event::Type::Finalized && !memory.finalized.insert(e.key).second)
      RC_FAIL("the finalizer of " + e.key.to_string() + " ran twice");
}

// gc.garbage holds exactly what the model says is uncollectable (or saved);
// its order follows the collector's lists, which only CPython's own code fixes.
void garbage_is_the_models(LockstepRun& run, Memory&) {
  std::vector<ObjectKey> expected = run.model().garbage(), actual = run.sut().garbage();
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  RC_ASSERT(actual == expected);
}

// ---- the stateful properties ---------------------------------------------------------

// RapidCheck's model. The reference model's state is a function of the
// program run so far, and the executor computes it in lockstep as the
// commands run: a Machine cannot be copied the way RapidCheck copies models,
// so the program (here, its length) stands for it. Generating a command needs
// nothing of it, since operands are resolved when they run, but the
// capabilities operations are generated within.
struct ProgramSoFar {
  Capabilities capabilities;
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

// One heap-program operation as a command, of each kind within the
// capabilities as often as its row's weight in operations.def says.
struct AnyOperation : rc::state::Command<ProgramSoFar, PropertyRun> {
  explicit AnyOperation(const ProgramSoFar& so_far) : op(*any_operation(so_far.capabilities)) {}
  Op op;
  void apply(ProgramSoFar& model) const override { ++model.operations; }
  void run(const ProgramSoFar&, PropertyRun& sut) const override { sut.run(op); }
  void show(std::ostream& os) const override { showValue(op, os); }
};

struct StatefulProperty {
  bool compare;       // the executor's own comparisons too
  Invariant invariant;
  bool teardown;      // end with the lockstep teardown
};

void check_stateful(const StatefulProperty& property, const SutFactory& make, Capabilities capabilities) {
  PropertyRun run(make(), property.compare, property.invariant);
  rc::state::check(ProgramSoFar{capabilities}, run, rc::state::gen::execOneOfWithArgs<AnyOperation>());
  if (property.teardown) run.finish();
}

// ---- the metamorphic properties ------------------------------------------------------

// User code run during a collection (finalizers, weakref callbacks) may
// depend on which collection runs it, and what a legacy finalizer keeps
// uncollectable on what it reaches when a collection finds it (a collection
// of generation 0 may free it before a full one would), so programs here
// have none.
std::vector<Op> program_without_user_code(Capabilities capabilities) {
  std::vector<Op> program = *any_program(capabilities);
  std::erase_if(program, [](const Op& op) {
    return op.code == OpCode::SetFinalizer || op.code == OpCode::SetLegacyFinalizer;
  });
  for (Op& op : program)
    if (op.code == OpCode::NewWeakref) op.body.clear(), op.has_body = false;
  return program;
}

// The final state of a run: each live object, as the system describes it.
std::vector<ObjectState> final_state(const std::vector<Op>& ops, const SutFactory& make) {
  LockstepRun run(make(), /*compare=*/true);
  for (const Op& op : ops) run.run(op);
  std::vector<ObjectState> states;
  run.sut().objects(states);
  return states;
}

}  // namespace

namespace properties {

void lockstep(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = true, .invariant = nothing_more, .teardown = true}, make, capabilities);
}
void no_premature_free(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = nothing_reachable_freed, .teardown = false}, make, capabilities);
}
void no_leak(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = nothing_dead_kept, .teardown = true}, make, capabilities);
}
void exact_refcounts(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = refcounts_are_the_models, .teardown = false}, make, capabilities);
}
void exact_collections(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = collections_are_the_models, .teardown = false}, make, capabilities);
}
void automatic_collections(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = collections_happen_when_the_model_says, .teardown = false}, make,
                 capabilities);
}
void freeze_protects(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = frozen_objects_stay, .teardown = false}, make, capabilities);
}
void finalizers_run_at_most_once(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = no_finalizer_ran_twice, .teardown = false}, make, capabilities);
}
void garbage_is_the_uncollectable(const SutFactory& make, Capabilities capabilities) {
  check_stateful({.compare = false, .invariant = garbage_is_the_models, .teardown = false}, make, capabilities);
}

// Freezing is left out: a frozen object that only garbage refers to is freed
// when the garbage is, which makes what it held garbage only after the
// collection has passed it; collect(1) and collect(2) then find it, one full
// collection does not.
void collecting_each_generation_equals_a_full_collection(const SutFactory& make, Capabilities capabilities) {
  std::vector<Op> program = program_without_user_code(capabilities);
  std::erase_if(program, [](const Op& op) { return op.code == OpCode::Freeze; });
  const auto one_by_one = live_after(program, {collect_op(0), collect_op(1), collect_op(2)}, make);
  const auto at_once = live_after(program, {collect_op(2)}, make);
  RC_ASSERT(one_by_one == at_once);
}

// Left out, because each observes garbage the thresholds may or may not have
// collected yet: freezing and DEBUG_SAVEALL (they keep it), dereferencing a
// weakref (it makes it reachable again), reading or clearing gc.garbage (its
// contents so far); and user code, which runs in whichever collection finds
// its object.
void thresholds_never_change_what_survives_a_full_collection(const SutFactory& make, Capabilities capabilities) {
  std::vector<Op> program = program_without_user_code(capabilities);
  std::erase_if(program, [](const Op& op) {
    return op.code == OpCode::Freeze || op.code == OpCode::SetDebug || op.code == OpCode::Deref ||
           op.code == OpCode::LoadGarbage || op.code == OpCode::ClearGarbage;
  });
  std::vector<Op> untuned = program;
  std::erase_if(untuned, [](const Op& op) {
    return op.code == OpCode::SetThreshold || op.code == OpCode::Enable || op.code == OpCode::Disable;
  });
  untuned.insert(untuned.begin(), *operation(OpCode::SetThreshold, capabilities));
  RC_ASSERT(live_after(program, {collect_op(2)}, make) == live_after(untuned, {collect_op(2)}, make));
}

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

void round_trip_behaves_identically(const SutFactory& make, Capabilities capabilities, RoundTrip round_trip) {
  Program program = empty_program();
  program.ops = *any_program(capabilities);
  const Program back = round_trip(program);
  RC_ASSERT(final_state(back.ops, make) == final_state(program.ops, make));
}

void text_binary_round_trip_behaves_identically(const SutFactory& make, Capabilities capabilities) {
  round_trip_behaves_identically(make, capabilities, text_binary_text);
}

}  // namespace properties

}  // namespace gcv::props
