// The executor's one internal header: primitive steps, operand resolution and
// the comparison of two machines.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include "gcverify/executor.h"

namespace gcv {

// Text of a step, for reports ("s.append(t)"); scratch names print as $h, $s, $t.
std::string format_step(const Program& program, const Step& step);
// A name as reports spell it: the program's own, or $h, $s, $t for scratch names.
std::string name_text(const Program& program, NameIndex name);

// A reference to a callable, for callbacks made once per step: unlike
// std::function it never allocates. The callable must outlive it (a lambda
// passed as an argument lives until the call returns).
template <typename Signature>
class FunctionRef;
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, FunctionRef>)
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like std::function
      : callable_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* callable, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(callable))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(callable_, std::forward<Args>(args)...); }

 private:
  void* callable_;
  R (*call_)(void*, Args...);
};

// Receives an operation's steps one at a time, as they are made (a shape of
// ten million members is never held whole); returns false to stop there.
using StepSink = FunctionRef<bool(Step&)>;
// Expands an already resolved operation (which must outlive its steps:
// finalizer and callback steps point at its body) into `sink`.
// Expectations have no steps. `scratch` is the first of three scratch names.
void expand_op(const Op& op, NameIndex scratch, StepSink sink);
// How many steps expand_op makes of `op`, counting no further than `limit`.
std::size_t step_count(const Op& op, std::size_t limit);

// Result of resolving an operation's operands against the model's state.
struct Resolution {
  enum class Kind : std::uint8_t { Run, Skip, Error } kind = Kind::Run;
  Op op;              // the resolved operation (Run)
  std::string error;  // why it cannot run (Error)
};
// `scratch` is storage for the model's object states, reused across calls.
Resolution resolve_op(const Program& program, const Op& op, Machine& model, bool strict, ObjectState& scratch);

// A difference between the model and the system under test.
struct Difference {
  CheckKind kind = CheckKind::ObjectState;
  std::string check;  // in words, with the objects and numbers involved
  std::string expected;
  std::string actual;
  std::vector<ObjectKey> objects;
};

// The keyword of the expectation `op` checks ("expect refcount"), for signatures.
std::string expectation_keyword(const Op& op);

// The comparisons, in the order the executor applies them.
std::optional<Difference> compare_events(const std::vector<Event>& model, const std::vector<Event>& sut);
// `seen`: what both machines declare (Machine::capabilities()); the rest is
// left out of the comparison.
std::optional<Difference> compare_collector(const CollectorState& model, const CollectorState& sut, Capabilities seen);
std::optional<Difference> compare_garbage(const std::vector<ObjectKey>& model, const std::vector<ObjectKey>& sut);
std::optional<Difference> compare_bindings(const Program& program, Machine& model, Machine& sut,
                                           std::span<const NameIndex> names);
std::optional<Difference> compare_objects(const std::vector<ObjectState>& model, const std::vector<ObjectState>& sut,
                                          Capabilities seen);
// compare_objects over the objects `keys` names only (sorted, no repeats),
// read one at a time; `model_state` and `sut_state` are reused storage.
std::optional<Difference> compare_objects_at(std::span<const ObjectKey> keys, Machine& model, Machine& sut,
                                             ObjectState& model_state, ObjectState& sut_state, Capabilities seen);


}  // namespace gcv
