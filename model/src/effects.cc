// The reference model's finalizers, weak references, and the user code they
// run (docs/design-finalizers.md).
//
// A finalizer (PEP 442 __del__) and a weakref callback are bodies (program.h),
// run here, inside the model, at the moment CPython would call the Python
// code: by refcount.cc when an object dies by refcount, by collector.cc during
// a collection. `self` is the object being finalized, or the weakref whose
// callback runs. Every body operation is defined in every state: run_body
// checks what each needs and does nothing when it is missing; a name out of
// range counts as unbound.
//
// A weakref is an object of its own (tracked, with a serial) that holds no
// reference to its referent; the referent keeps a list of its weakrefs,
// oldest first, and clearing one takes it off that list for good. One made
// without a callback while its referent has no basic weakref is the basic
// one (refcount.cc lists the weakrefs in CPython's order from that).
#include <algorithm>
#include <utility>

#include "reference_model.h"

namespace gcv {

// --- steps -----------------------------------------------------------------------

// Replaces any earlier finalizer; one that has run stays run (FINALIZED is
// per object lifetime). Small ints are never deallocated: nothing to do.
void ReferenceModel::set_finalizer(NameIndex object, const std::vector<Op>& body) {
  ModelObject* target = object_bound_to(object);
  if (target == nullptr) return;
  target->has_finalizer = true;
  target->rare_fields_to_change().finalizer = body;
}

void ReferenceModel::set_legacy_finalizer(NameIndex object) {
  if (ModelObject* target = object_bound_to(object)) target->legacy_finalizer = true;
}

// `dst = weakref.ref(referent, callback)`. The call's argument keeps the
// referent alive while the weakref is made (its allocation may collect, and
// user code may unbind the referent's name). The argument is dropped before
// the result is stored in `dst`, so a referent that dies then has its live
// weakref cleared and calls back; the old binding of `dst` goes last. An
// empty callback is a callback: it runs, doing nothing.
void ReferenceModel::new_weakref(NameIndex dst, Serial serial, NameIndex referent, const std::vector<Op>* callback) {
  new_weakref_to(dst, serial, *names_[referent], callback);
}
void ReferenceModel::new_weakref_to(NameIndex dst, Serial serial, ObjectKey target, const std::vector<Op>* callback) {
  hold(target);
  // weakref.ref(target) is looked up before the allocation.
  const bool basic = callback == nullptr && target.is_serial() &&
                     std::ranges::none_of(objects_[target.as_serial()].rare_fields().weakrefs,
                                          [&](Serial w) { return objects_[w].rare_fields().basic; });
  const Serial weakref = allocate(serial, ObjectKind::Weakref, 0, 0);
  changing(weakref).rare_fields_to_change().referent = target;
  changing(weakref).rare_fields_to_change().basic = basic;
  if (callback != nullptr) changing(weakref).rare_fields_to_change().callback = *callback;
  if (target.is_serial()) objects_[target.as_serial()].rare_fields_to_change().weakrefs.push_back(weakref);
  // As a call: the result is held while the argument is released after the
  // call, then the result moves into the name (STORE_FAST), whose old value
  // is released last, as every name binding does.
  add_ref(ObjectKey::serial(weakref));
  held_.insert(held_.end() - 1, ObjectKey::serial(weakref));
  release_held(held_.size() - 1);
  held_.pop_back();  // the result's reference moves into dst
  move_into_name(dst, ObjectKey::serial(weakref));
}

// `dst = w()`: the referent, or unbound once the weakref has been cleared.
void ReferenceModel::deref(NameIndex dst, NameIndex weakref) { deref_of(dst, names_[weakref]->as_serial()); }
void ReferenceModel::deref_of(NameIndex dst, Serial weakref) {
  const ObjectKey referent = objects_[weakref].rare_fields().referent;
  if (referent != ObjectKey{}) {
    store_name(dst, referent);
  } else {
    unbind(dst);
  }
}

// _PyWeakref_ClearRef: the weakref no longer refers to anything and leaves
// its referent's list (a cleared weakref's callback can never be called).
void ReferenceModel::clear_weakref(Serial weakref) {
  const ObjectKey referent = std::exchange(changing(weakref).rare_fields_to_change().referent, ObjectKey{});
  if (!referent.is_serial()) return;
  std::erase(objects_[referent.as_serial()].rare_fields_to_change().weakrefs, weakref);
}

// --- user code -----------------------------------------------------------------------

// FINALIZED is set before the body runs, so an object resurrected by its own
// finalizer is never finalized again. Bodies are copied out first: the
// effects may allocate, which moves objects_.
void ReferenceModel::run_finalizer(Serial serial) {
  changing(serial).finalized = true;
  record(Event::Type::Finalized, serial);
  const std::vector<Op> body = objects_[serial].rare_fields().finalizer;
  run_body(ObjectKey::serial(serial), body);
}

// A callback runs at most once: it is taken from the weakref as it runs.
void ReferenceModel::run_callback(Serial weakref) {
  const std::optional<std::vector<Op>> body =
      std::exchange(objects_[weakref].rare_fields_to_change().callback, std::nullopt);
  record(Event::Type::CallbackRan, weakref);
  const int units = c_recursion_units(1);  // the callback is a C function's call
  trashcan_.depth += units;
  run_body(ObjectKey::serial(weakref), *body);
  trashcan_.depth -= units;
}

// The system under test skipped this operation of a body for MemoryError
// (executor.h): it is skipped here too, once.
void ReferenceModel::skip_effects(const std::vector<FailedEffect>& effects) {
  skipped_effects_.insert(skipped_effects_.end(), effects.begin(), effects.end());
}
bool ReferenceModel::skipped(ObjectKey self, std::uint32_t index) {
  if (skipped_effects_.empty()) return false;
  const auto it = std::ranges::find(skipped_effects_, FailedEffect{self, index});
  if (it == skipped_effects_.end()) return false;
  skipped_effects_.erase(it);
  return true;
}

// Each operation as its step does it, when what it reads is there: names
// bound (`self` always is), a list where it needs one, a slot that exists.
void ReferenceModel::run_body(ObjectKey self, const std::vector<Op>& body) {
  const auto object = [&](NameIndex n) -> std::optional<ObjectKey> {
    if (n == kSelf) return self;
    return n < names_.size() ? names_[n] : std::nullopt;
  };
  const auto serial_of_kind = [&](NameIndex n, ObjectKind kind) -> std::optional<Serial> {
    const std::optional<ObjectKey> key = object(n);
    if (!key || !key->is_serial() || objects_[key->as_serial()].kind != kind) return std::nullopt;
    return key->as_serial();
  };
  const auto slot_exists = [&](Serial list, std::uint32_t index) { return index < objects_[list].slots.size(); };
  for (std::uint32_t index = 0; index < body.size(); ++index) {
    const Op& op = body[index];
    if (skipped(self, index)) continue;
    const bool assignable = op.target < names_.size() && op.target != kSelf;  // the name an operation assigns
    switch (op.code) {
      case OpCode::NewContainer:
        if (assignable) new_container(op.target, next_serial(), op.size);
        break;
      case OpCode::NewStr:
        if (assignable) new_str(op.target, next_serial(), op.size);
        break;
      case OpCode::NewInt:
        if (assignable) new_int(op.target, next_serial(), op.value);
        break;
      case OpCode::Bind:
        if (const auto key = object(op.source); assignable && key) store_name(op.target, *key);
        break;
      case OpCode::LoadSlot:
        if (const auto list = serial_of_kind(op.source, ObjectKind::Container); assignable && list && slot_exists(*list, op.index))
          store_name(op.target, objects_[*list].slots[op.index]);
        break;
      case OpCode::Unbind:
        if (assignable) unbind(op.target);
        break;
      case OpCode::Append:
        if (const auto list = serial_of_kind(op.target, ObjectKind::Container); list && object(op.source))
          append_to(*list, *object(op.source));
        break;
      case OpCode::SetSlot:
        if (const auto list = serial_of_kind(op.target, ObjectKind::Container);
            list && object(op.source) && slot_exists(*list, op.index))
          set_slot_of(*list, op.index, *object(op.source));
        break;
      case OpCode::RemoveSlot:
        if (const auto list = serial_of_kind(op.target, ObjectKind::Container); list && slot_exists(*list, op.index))
          remove_slot_of(*list, op.index);
        break;
      case OpCode::Clear:
        if (const auto list = serial_of_kind(op.target, ObjectKind::Container)) clear_slots(changing(*list).slots);
        break;
      case OpCode::Collect:  // gc.collect(g): 0, doing nothing, while a collection runs
        collect(op.generation);
        break;
      case OpCode::NewWeakref:
        if (const auto referent = serial_of_kind(op.source, ObjectKind::Container); assignable && referent)
          new_weakref_to(op.target, next_serial(), ObjectKey::serial(*referent), nullptr);
        break;
      case OpCode::Deref:  // n = m(): the referent, or None once cleared
        if (const auto weakref = serial_of_kind(op.source, ObjectKind::Weakref); assignable && weakref)
          deref_of(op.target, *weakref);
        break;
      default:  // no body holds the rest (program.h)
        break;
    }
  }
}

}  // namespace gcv
