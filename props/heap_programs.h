// Random heap-program operations for the property suites, as RapidCheck
// generators, and the harness that runs a growing program on the reference
// model and a system under test through the lockstep executor's rules.
//
// Operations are generated without regard to the state: they run in lenient
// mode (a name that is unbound, or not a list where a list is needed, becomes
// one that is; a slot index is taken modulo the length; an operation with
// nothing to act on is skipped), exactly as the differential fuzz target runs
// its inputs. So every subsequence of a failing sequence is a valid program,
// which is what lets RapidCheck shrink freely, and a property failure and a
// fuzzer divergence mean the same thing.
#pragma once

#include <rapidcheck.h>

#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace gcv::props {

inline constexpr NameIndex kNames = 6;  // programs use names a..f
// The longest chain or cycle generated (past the trashcan's 50 levels and the
// list free list's 80 entries), and the largest clique.
inline constexpr std::uint32_t kLongestShape = 160;
inline constexpr std::uint32_t kLargestClique = 12;

// The names every generated program uses.
Program empty_program();

// One operation of the given kind (not an expectation), or of any kind.
rc::Gen<Op> operation(OpCode code);
// A payload as operations get theirs.
rc::Gen<std::uint32_t> payload();
rc::Gen<Op> any_operation();
rc::Gen<std::vector<Op>> any_program();

// Makes a system under test; a property runs on a fresh one per test case.
using SutFactory = std::function<std::unique_ptr<Machine>()>;
// The CPython version the properties' model and gcheap follow: GCV_CPYTHON=X.Y
// in the environment, 3.11 without; an unknown version exits 2 naming the
// known ones.
const Profile& props_profile();
inline std::unique_ptr<Machine> real_heap() { return make_heap_machine({.profile = &props_profile()}); }

// A program growing one operation at a time, run in lockstep on the model and
// a system under test. With `compare`, the executor checks everything it
// checks for the fuzzer; without, the caller checks what its property says.
class LockstepRun {
 public:
  LockstepRun(std::unique_ptr<Machine> sut, bool compare);
  // Appends and runs `op`; fails the property with the executor's report
  // when the executor finds a divergence.
  void run(const Op& op);
  // The lockstep teardown; fails the property with the report on a leftover.
  void finish();

  Machine& model() { return *model_; }
  Machine& sut() { return *sut_; }
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
  Op op;
  op.code = OpCode::Collect;
  op.generation = generation;
  return op;
}

}  // namespace gcv::props

namespace gcv {

// How RapidCheck shows the language's values in counterexamples (found by ADL).
void showValue(const Op& op, std::ostream& os);
void showValue(const ObjectKey& key, std::ostream& os);
void showValue(const ObjectState& state, std::ostream& os);
void showValue(const GcStats& stats, std::ostream& os);

}  // namespace gcv
