// The reference model's reference counting and death by refcount.
//
// Every reference is one count on its target, taken by add_ref() and given
// back through release_held(); nothing else lowers a count. Besides names,
// container slots and gc.garbage, the machinery itself holds references for a
// while (held_): a finalizer's self, a weakref whose callback is due, the
// items of a list being cleared or deallocated. Those are roots for the
// collector like names, so every count is explained by some reference the
// collector can see.
//
// An object whose count reaches zero dies at once (CPython section 2 and 4),
// in CPython's order (subtype_dealloc, then list_dealloc):
//   1. It leaves its generation. If it has a finalizer that has not run, it
//      is tracked again at the end of generation 0 and the finalizer runs
//      (FINALIZED is set first) with a temporary reference to it; if its
//      count is above 0 afterwards it is resurrected and stays where it is.
//   2. A weakref that dies leaves its referent's list; its callback never
//      runs. Every weakref to the dying object is cleared, newest first, and
//      then the callbacks of those that have one run, newest first, each
//      weakref held until all have run (released last to first).
//   3. Its items are released last to first, each one's death completing
//      before the next item is released (depth first, like CPython's
//      recursive deallocation); then it is freed (the Freed event; count0
//      goes down for a tracked kind).
// The trashcan (Py_TRASHCAN_BEGIN in list_dealloc and subtype_dealloc, 50
// levels): a container's death counts one nesting level from step 1 until it
// is freed or resurrected. A container whose count reaches zero while 50
// levels are in progress is set aside (untracked, count 0, still alive) on
// the trash list and nothing else happens yet. When the outermost level
// ends, the trash list is emptied, newest first, each entry dying from step 1
// at one level of nesting (_PyTrash_thread_destroy_chain); deaths nested
// there may add to the list. Weakrefs and atoms take no level.
// Deaths cascade through long chains without recursion: a chain's items wait
// on held_ and the objects whose items they are on deallocating_. Only user
// code (effects) nests one death inside another, and the trashcan bounds how
// deep.
#include <utility>

#include "reference_model.h"

namespace gcv {

void ReferenceModel::add_ref(ObjectKey key) {
  if (key.is_serial()) {
    changing(key.as_serial()).refcount += 1;
  } else {
    small_int_changing(key);
    small_int_refcount(key) += 1;
  }
}

// A temporary reference of the machinery (Py_INCREF on the C stack).
void ReferenceModel::hold(ObjectKey key) {
  add_ref(key);
  held_.push_back(key);
}

// Gives back one reference: it becomes a held one, released at once.
void ReferenceModel::drop_ref(ObjectKey key) {
  held_.push_back(key);
  release_held(held_.size() - 1);
}

// list_clear: the list is emptied first (so user code run meanwhile sees it
// empty and may refill it), then the old items are released last to first.
void ReferenceModel::clear_slots(std::vector<ObjectKey>& slots) {
  const std::size_t base = held_.size();
  held_.insert(held_.end(), slots.begin(), slots.end());
  slots.clear();
  release_held(base);
}

// Releases the held references above `base`, last first. An object whose
// count reaches zero dies (see the top of this file); its items join held_
// above the reference just released, so they go next, and the object is
// freed once they are all gone.
void ReferenceModel::release_held(std::size_t base) {
  const std::size_t outer_deallocations = deallocating_.size();
  for (;;) {
    if (deallocating_.size() > outer_deallocations && deallocating_.back().items_begin == held_.size()) {
      const Serial done = deallocating_.back().serial;
      deallocating_.pop_back();
      if (objects_[done].kind == ObjectKind::Container) trashcan_.nesting -= 1;
      free_object(done);
      continue;
    }
    if (!trashcan_.deferred.empty() && trashcan_.nesting == (trashcan_.emptying ? 1 : 0)) {
      // The outermost level ended, or the death of the previous entry did.
      trashcan_.emptying = true;
      trashcan_.nesting = 1;
      const Serial next = trashcan_.deferred.back();
      trashcan_.deferred.pop_back();
      begin_death(next);
      continue;
    }
    if (trashcan_.emptying && trashcan_.nesting == 1) {
      trashcan_.emptying = false;
      trashcan_.nesting = 0;
    }
    if (held_.size() == base) return;
    const ObjectKey key = held_.back();
    held_.pop_back();
    if (!key.is_serial()) {
      small_int_changing(key);
      small_int_refcount(key) -= 1;  // the cache's reference keeps it above 0
      continue;
    }
    const Serial serial = key.as_serial();
    if (--changing(serial).refcount > 0) continue;
    begin_death(serial);
  }
}

// Steps 1 and 2 of a death, and the start of 3: the object's items go onto
// held_ for release_held to release. A container beyond the trashcan's
// nesting limit is set aside instead.
void ReferenceModel::begin_death(Serial serial) {
  untrack(serial);
  const bool container = objects_[serial].kind == ObjectKind::Container;
  if (container) {
    if (trashcan_.nesting >= kTrashcanLevels) {
      trashcan_.deferred.push_back(serial);
      return;
    }
    trashcan_.nesting += 1;
  }
  if (survives_finalizer(serial)) {
    if (container) trashcan_.nesting -= 1;
    return;
  }
  if (objects_[serial].kind == ObjectKind::Weakref) clear_weakref(serial);
  clear_weakrefs_to(serial);
  deallocating_.push_back({serial, held_.size()});
  std::vector<ObjectKey>& items = changing(serial).slots;
  held_.insert(held_.end(), items.begin(), items.end());
  items.clear();
}

// Step 1 of a death: true when the finalizer resurrected the object.
// PyObject_CallFinalizerFromDealloc: the count is set to 1 for the call and
// taken back afterwards without dying again.
bool ReferenceModel::survives_finalizer(Serial serial) {
  const ModelObject& object = objects_[serial];
  if (!object.has_finalizer || object.finalized) return false;
  if (is_tracked_kind(object.kind)) track(serial, 0);
  changing(serial).refcount = 1;
  held_.push_back(ObjectKey::serial(serial));
  run_finalizer(serial);
  held_.pop_back();
  if (--changing(serial).refcount > 0) return true;
  untrack(serial);
  return false;
}

// Step 2 of a death: PyObject_ClearWeakRefs.
void ReferenceModel::clear_weakrefs_to(Serial serial) {
  const std::vector<Serial> weakrefs = objects_[serial].rare_fields().weakrefs;  // oldest first
  const std::size_t base = held_.size();
  std::vector<Serial> due;
  for (auto weakref = weakrefs.rbegin(); weakref != weakrefs.rend(); ++weakref) {
    clear_weakref(*weakref);
    if (!objects_[*weakref].rare_fields().callback) continue;
    hold(ObjectKey::serial(*weakref));
    due.push_back(*weakref);
  }
  for (Serial weakref : due) run_callback(weakref);
  release_held(base);
}

// Step 3's end: PyObject_GC_Del, or for a list maybe the list free list. The
// object has left its generation already.
void ReferenceModel::free_object(Serial serial) {
  ModelObject& object = changing(serial);
  object.alive = false;  // live() drops it from live_
  std::vector<ObjectKey>().swap(object.slots);  // its storage goes with it (emptied already)
  object.rare.reset();
  record(Event::Type::Freed, serial);
  if (is_tracked_kind(object.kind)) container_freed();
  if (object.kind == ObjectKind::Container) list_free_list_.list_freed(object.payload);
}

}  // namespace gcv
