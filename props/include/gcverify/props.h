// RapidCheck building blocks over heap programs: generators of operations
// within a system's capabilities, and the harness that runs a growing program
// in lockstep on the reference model and a system under test through the
// executor's rules. property_suite.h makes gcverify's properties of them; a
// property of your own is made the same way:
//
//   #include <rapidcheck/gtest.h>
//   #include "gcverify/props.h"
//
//   RC_GTEST_PROP(MyHeap, RunsAnyProgramAsTheModelDoes, ()) {
//     gcv::props::LockstepRun run(make_my_heap_machine(), /*compare=*/true);
//     for (const gcv::Op& op : *gcv::props::any_program(run.capabilities())) run.run(op);
//     run.finish();
//   }
//
// Operations are generated without regard to the state: they run in lenient
// mode (a name that is unbound, or not a list where a list is needed, becomes
// one that is; a slot index is taken modulo the length; an operation with
// nothing to act on is skipped), exactly as the differential fuzz target runs
// its inputs. So every subsequence of a failing sequence is a valid program,
// which is what lets RapidCheck shrink freely, and a property failure and a
// fuzzer divergence mean the same thing. Generators take the system's
// capabilities (capabilities.h) and make only operations within them: with
// every capability, every operation of operations.def but the expectations.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <vector>

#include "gcverify/capabilities.h"
#include "gcverify/executor.h"
#include "gcverify/machine.h"
#include "gcverify/profile.h"
#include "gcverify/program.h"

namespace gcv::props {

inline constexpr NameIndex kNames = 6;  // programs use names a..f
// The longest chain or cycle generated (past the trashcan's 50 levels and the
// list free list's 80 entries), and the largest clique.
inline constexpr std::uint32_t kLongestShape = 160;
inline constexpr std::uint32_t kLargestClique = 12;

// The names every generated program uses.
Program empty_program();

// One operation of the given kind (not an expectation), whose body, when it
// has one, holds only operations within `capabilities`.
rc::Gen<Op> operation(OpCode code, Capabilities capabilities);
// A payload as operations get theirs.
rc::Gen<std::uint32_t> payload();
// Any operation within `capabilities`, each kind as often as its row's weight
// in operations.def says; a weakref gets a callback only with
// weakref_callbacks. With every capability, what the generators always made.
rc::Gen<Op> any_operation(Capabilities capabilities);
rc::Gen<std::vector<Op>> any_program(Capabilities capabilities);

// Makes a system under test; a property runs on a fresh one per test case.
using SutFactory = std::function<std::unique_ptr<Machine>()>;
// The CPython version whose rules the properties' model follows (and a
// system under test that has versions should follow): GCV_CPYTHON=X.Y in the
// environment, 3.11 without; an unknown version exits 2 naming the known ones.
const Profile& props_profile();

// How many cases each property runs: 1000 of at most 150 operations, or with
// GCV_PROPS_DEEP=1 (nightly) 20000 of at most 400; GCV_PROPS_SEED=N fixes
// RapidCheck's seed (a number, else this exits 2). An RC_PARAMS of the user's
// (a reproduce string, say) wins over all of them. It sets RC_PARAMS, which
// RapidCheck reads at its first check in a process: call it before that.
// PropertySuite does; a suite of your own calls it in its SetUpTestSuite.
void set_case_budget();

// A program growing one operation at a time, run in lockstep on the model
// (made with props_profile() for the system's capabilities) and a system
// under test. With `compare`, the executor checks everything it checks for
// the fuzzer; without, the caller checks what its property says.
class LockstepRun {
 public:
  LockstepRun(std::unique_ptr<Machine> sut, bool compare);
  // Appends and runs `op` (skipped, as the executor's lenient mode skips it,
  // when it needs a capability the system lacks); fails the property with
  // the executor's report when the executor finds a divergence.
  void run(const Op& op);
  // The lockstep teardown; fails the property with the report on a leftover.
  void finish();

  Machine& model() { return *model_; }
  Machine& sut() { return *sut_; }
  // The system's capabilities: what the run's programs may use, and all
  // that the executor compares.
  Capabilities capabilities() const { return sut_->capabilities(); }
  const Program& program() const { return program_; }
  const std::vector<Event>& model_events() const { return session_.model_events(); }
  const std::vector<Event>& sut_events() const { return session_.sut_events(); }

 private:
  void fail_if_diverged();

  Program program_;
  std::unique_ptr<Machine> model_;
  std::unique_ptr<Machine> sut_;
  LockstepSession session_;
};

// Runs `ops` (then `tail`) on a fresh lockstep pair; returns the serial keys
// the system under test holds alive at the end.
std::set<ObjectKey> live_after(const std::vector<Op>& ops, const std::vector<Op>& tail, const SutFactory& make_sut);

// The keys of every live object a machine reports.
std::set<ObjectKey> live_keys(Machine& machine);

// The keys the model can reach from the names, through slots.
std::set<ObjectKey> reachable(Machine& model);

inline Op collect_op(int generation) {
  Op op = Op::of(OpCode::Collect);
  op.generation = generation;
  return op;
}

// The properties of property_suite.h (which says what each checks), named
// after its tests, as one RapidCheck test case each: programs within
// `capabilities` run on fresh systems from `make` (systems of those
// capabilities), checked with RC_ASSERT and RC_FAIL only where the
// capabilities let the executor compare. A test of your own may check one
// with rc::check, say against a system broken on purpose to see it fail.
using Property = void (*)(const SutFactory& make, Capabilities capabilities);
namespace properties {
// Stateful: one RapidCheck command per operation, through a LockstepRun.
void lockstep(const SutFactory& make, Capabilities capabilities);
void no_premature_free(const SutFactory& make, Capabilities capabilities);
void no_leak(const SutFactory& make, Capabilities capabilities);
void exact_refcounts(const SutFactory& make, Capabilities capabilities);
void exact_collections(const SutFactory& make, Capabilities capabilities);
void automatic_collections(const SutFactory& make, Capabilities capabilities);
void freeze_protects(const SutFactory& make, Capabilities capabilities);
void finalizers_run_at_most_once(const SutFactory& make, Capabilities capabilities);
void garbage_is_the_uncollectable(const SutFactory& make, Capabilities capabilities);
// Metamorphic: whole generated programs, run twice.
void collecting_each_generation_equals_a_full_collection(const SutFactory& make, Capabilities capabilities);
void thresholds_never_change_what_survives_a_full_collection(const SutFactory& make, Capabilities capabilities);
void text_binary_round_trip_behaves_identically(const SutFactory& make, Capabilities capabilities);

// A program and its image through `round_trip` leave the same objects in the
// same states on the system: text_binary_round_trip_behaves_identically with
// text_binary_text, which prints a program, parses it back, encodes it in
// the binary form and decodes it.
using RoundTrip = Program (*)(const Program&);
Program text_binary_text(const Program& program);
void round_trip_behaves_identically(const SutFactory& make, Capabilities capabilities, RoundTrip round_trip);
}  // namespace properties

}  // namespace gcv::props

namespace gcv {

// How RapidCheck shows the language's values in counterexamples (found by ADL).
void showValue(const Op& op, std::ostream& os);
void showValue(const ObjectKey& key, std::ostream& os);
void showValue(const ObjectState& state, std::ostream& os);
void showValue(const GcStats& stats, std::ostream& os);

}  // namespace gcv
