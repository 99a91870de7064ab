// The executor's one internal header: primitive steps, operand resolution and
// the comparison of two machines.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gcverify/executor.h"

namespace gcv {

// A primitive step: one call on the Machine interface.
struct Step {
  enum class Kind : std::uint8_t {
    NewContainer, NewStr, NewInt, Bind, LoadSlot, Unbind, Append, SetSlot, RemoveSlot,
    Collect, SetThreshold, Enable, Disable, Freeze, Unfreeze,
  };
  Kind kind = Kind::Collect;
  NameIndex target = 0;
  NameIndex source = 0;
  std::uint32_t index = 0;
  std::uint32_t size = 0;
  Serial serial = 0;
  std::int64_t value = 0;
  int arity = 3;
  std::array<std::int64_t, 3> values{};
  int generation = 2;
};

// Calls `step` on `machine`; returns collect()'s result for Collect, else 0.
std::int64_t apply_step(Machine& machine, const Step& step);

// Text of a step, for reports ("s.append(t)"); scratch names print as $h, $s, $t.
std::string format_step(const Program& program, const Step& step);

// Appends the steps of an already resolved operation. `next_serial` is the
// serial the next allocation takes; it is advanced past the new objects.
// Expectations have no steps. `scratch` is the first of three scratch names.
void expand_op(const Op& op, NameIndex scratch, Serial& next_serial, std::vector<Step>& steps);

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
  std::string check;
  std::string expected;
  std::string actual;
  std::vector<ObjectKey> objects;
};

// The comparisons, in the order the executor applies them.
std::optional<Difference> compare_events(const std::vector<Event>& model, const std::vector<Event>& sut);
std::optional<Difference> compare_collector(const CollectorState& model, const CollectorState& sut);
std::optional<Difference> compare_bindings(const Program& program, Machine& model, Machine& sut,
                                           const std::vector<NameIndex>& names);
std::optional<Difference> compare_objects(const std::vector<ObjectState>& model, const std::vector<ObjectState>& sut);
// One object in both machines; `model_state` and `sut_state` are reused storage.
std::optional<Difference> compare_object(ObjectKey key, Machine& model, Machine& sut, ObjectState& model_state,
                                         ObjectState& sut_state);


}  // namespace gcv
