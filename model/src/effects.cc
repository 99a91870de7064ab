// The reference model's finalizers, weak references, and the user code they
// run (docs/design-finalizers.md).
//
// A finalizer (PEP 442 __del__) and a weakref callback are lists of effects,
// run here, inside the model, at the moment CPython would call the Python
// code: by refcount.cc when an object dies by refcount, by collector.cc during
// a collection. `self` is the object being finalized, or the weakref whose
// callback runs. Every effect is defined in every state, so none needs
// checking beforehand; a name out of range counts as unbound.
//
// A weakref is an object of its own (tracked, with a serial) that holds no
// reference to its referent; the referent keeps a list of its weakrefs,
// oldest first, and clearing one takes it off that list for good.
#include <algorithm>
#include <utility>

#include "reference_model.h"

namespace gcv {

// --- steps -----------------------------------------------------------------------

// Replaces any earlier finalizer; one that has run stays run (FINALIZED is
// per object lifetime). Small ints are never deallocated: nothing to do.
void ReferenceModel::set_finalizer(NameIndex object, const std::vector<Effect>& body) {
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
// empty callback is no callback.
void ReferenceModel::new_weakref(NameIndex dst, Serial serial, NameIndex referent,
                                 const std::vector<Effect>& callback) {
  const ObjectKey target = *names_[referent];
  hold(target);
  const Serial weakref = allocate(serial, ObjectKind::Weakref, 0, 0);
  changing(weakref).rare_fields_to_change().referent = target;
  changing(weakref).rare_fields_to_change().callback = callback;
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
void ReferenceModel::deref(NameIndex dst, NameIndex weakref) {
  const ModelObject* object = object_bound_to(weakref);
  if (object != nullptr && object->kind == ObjectKind::Weakref && object->rare_fields().referent != ObjectKey{}) {
    store_name(dst, object->rare_fields().referent);
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
  const std::vector<Effect> body = objects_[serial].rare_fields().finalizer;
  run_effects(ObjectKey::serial(serial), body);
}

// A callback runs at most once: it is taken from the weakref as it runs.
void ReferenceModel::run_callback(Serial weakref) {
  const std::vector<Effect> body = std::exchange(objects_[weakref].rare_fields_to_change().callback, {});
  record(Event::Type::CallbackRan, weakref);
  run_effects(ObjectKey::serial(weakref), body);
}

void ReferenceModel::run_effects(ObjectKey self, const std::vector<Effect>& body) {
  for (const Effect& effect : body) {
    const bool named = effect.name < names_.size();
    switch (effect.code) {
      case EffectCode::BindSelf:  // n = self
        if (named) store_name(effect.name, self);
        break;
      case EffectCode::Unbind:  // del n
        if (named) unbind(effect.name);
        break;
      case EffectCode::NewContainer:  // n = list [payload]
        if (named) new_container(effect.name, next_serial(), effect.size);
        break;
      case EffectCode::AppendSelfTo:  // n.append(self)
        if (ModelObject* list = object_bound_to(effect.name); list != nullptr && list->kind == ObjectKind::Container) {
          add_ref(self);
          list->slots.push_back(self);
        }
        break;
      case EffectCode::AppendToSelf:  // self.append(n)
        if (objects_[self.as_serial()].kind == ObjectKind::Container && named && names_[effect.name]) {
          add_ref(*names_[effect.name]);
          changing(self.as_serial()).slots.push_back(*names_[effect.name]);
        }
        break;
      case EffectCode::ClearSelf:  // self.clear()
        if (objects_[self.as_serial()].kind == ObjectKind::Container) clear_slots(changing(self.as_serial()).slots);
        break;
      case EffectCode::Collect:  // gc.collect(g): 0, doing nothing, while a collection runs
        collect(effect.generation);
        break;
      case EffectCode::LoadSlot:  // n = m[i]
        if (const ModelObject* list = object_bound_to(effect.source);
            named && list != nullptr && list->kind == ObjectKind::Container && effect.index < list->slots.size())
          store_name(effect.name, list->slots[effect.index]);
        break;
      case EffectCode::Deref:  // n = m(): the referent, or None once cleared
        if (const ModelObject* weakref = object_bound_to(effect.source);
            named && weakref != nullptr && weakref->kind == ObjectKind::Weakref)
          deref(effect.name, effect.source);
        break;
      case EffectCode::kCount:
        break;
    }
  }
}

}  // namespace gcv
