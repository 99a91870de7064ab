// expectations_now: what a machine observes now, written as the program's
// own expectations (see executor.h).
#include "gcverify/executor.h"

namespace gcv {
namespace {

Op about(OpCode code, ObjectKey key) {
  Op op = Op::of(code);
  op.object = {.by_serial = true, .value = key.as_serial()};
  return op;
}

Op triple(OpCode code, const std::array<std::int64_t, 3>& values) {
  Op op = Op::of(code);
  for (std::size_t i = 0; i < 3; ++i) op.values[i] = static_cast<std::uint32_t>(values[i]);
  return op;
}

// `expect <name> is #serial` and the like: `subject` the name (or the list,
// the weakref) the operation reads, `key` the object it must give.
Op identity(OpCode code, NameIndex subject, ObjectKey key) {
  Op op = about(code, key);
  op.source = subject;
  return op;
}

Op number(OpCode code, std::int64_t value) {
  Op op = Op::of(code);
  op.value = value;
  return op;
}

}  // namespace

std::vector<Op> expectations_now(const Program& program, Machine& machine) {
  const CollectorState state = machine.collector_state();
  std::vector<ObjectState> objects;
  machine.objects(objects);
  std::int64_t live = 0;
  for (const ObjectState& o : objects) live += o.key.is_serial();

  std::vector<Op> ops{triple(OpCode::ExpectCount, state.count), triple(OpCode::ExpectThreshold, state.threshold),
                      number(OpCode::ExpectFreezeCount, state.freeze_count), number(OpCode::ExpectLive, live),
                      number(OpCode::ExpectGarbage, static_cast<std::int64_t>(machine.garbage().size()))};
  ObjectState object;
  for (NameIndex n = 0; n < program.names.size(); ++n) {
    const std::optional<ObjectKey> key = machine.binding(n);
    if (!key) {
      Op unbound = Op::of(OpCode::ExpectUnbound);
      unbound.source = n;
      ops.push_back(unbound);
    }
    if (!key || !key->is_serial() || !machine.read_object(*key, object)) continue;
    ops.push_back(identity(OpCode::ExpectIs, n, *key));
    if (object.kind == ObjectKind::Weakref) {
      Op none = Op::of(OpCode::ExpectReferentNone);
      none.source = n;
      ops.push_back(object.referent.is_serial() ? identity(OpCode::ExpectReferentIs, n, object.referent) : none);
    }
    if (!object.slots.empty() && object.slots.front().is_serial())
      ops.push_back(identity(OpCode::ExpectSlotIs, n, object.slots.front()));  // index 0
    ops.push_back(about(OpCode::ExpectAlive, *key));
    Op refcount = about(OpCode::ExpectRefcount, *key);
    refcount.value = object.refcount;
    ops.push_back(refcount);
    ops.push_back(about(object.finalized ? OpCode::ExpectFinalized : OpCode::ExpectNotFinalized, *key));
    if (object.generation >= 0) {
      Op generation = about(OpCode::ExpectGeneration, *key);
      generation.generation = object.generation;
      ops.push_back(generation);
    }
  }
  // Only what the machine's capabilities (the system's, for a model made
  // for it) let a program say: the rest would make it not applicable.
  std::erase_if(ops, [within = machine.capabilities()](const Op& op) { return !within.contains(needed_capabilities(op)); });
  return ops;
}

}  // namespace gcv
