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
//      runs. Every weakref to the dying object is cleared, its basic weakref
//      first and then newest first, and the callbacks of those that have one
//      run in that order, each weakref held until all have run (released
//      last to first). When the profile says so, a tuple holds them: a
//      counted container of its own (clear_weakrefs_to).
//   3. Its items are released last to first, each one's death completing
//      before the next item is released (depth first, like CPython's
//      recursive deallocation); then it is freed (the Freed event; count0
//      goes down for a tracked kind).
// The trashcan (Py_TRASHCAN_BEGIN in list_dealloc, subtype_dealloc and
// tupledealloc), as the profile's `trashcan` rule says: a death in progress
// takes units of depth from step 1 until it is freed or resurrected. Under
// NestedDeaths (3.8 to 3.12) a container takes one, and one is set aside at
// 50. Under CRecursion (3.13) the units are C recursion: a container takes
// one, and one more while its items go; a weakref callback's call and
// gc.collect one, the eval breaker's Python frame two; one is set aside once
// the depth leaves 50 or fewer of 10,000. A set-aside container (untracked,
// count 0, still alive; a callbacks tuple with its references) waits on the
// trash list. When an END leaves room (NestedDeaths: the outermost level
// ended; CRecursion: more than 100 remain), a destroy-chain run, one unit
// deep, takes the list newest first, each entry dying from step 1; deaths
// there may add to the list, and under CRecursion their ENDs start runs of
// their own (_PyTrash_thread_destroy_chain). Weakrefs and atoms take no unit.
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
void ReferenceModel::release_held(std::size_t base) { release_held_within(base, deallocating_.size()); }

// release_held, where the deallocations above `outer_deallocations` are this
// call's to finish (one may have begun already: a callbacks tuple's).
void ReferenceModel::release_held_within(std::size_t base, std::size_t outer_deallocations) {
  using enum Dying::Kind;
  for (;;) {
    // An END (a death's last, or the first of a list subclass's two under
    // CRecursion) found set-aside deaths and room: a destroy-chain run
    // starts, one unit deeper, and takes them newest first.
    if (!trashcan_.deferred.empty() && trashcan_has_room_to_empty()) {
      trashcan_.depth += 1;
      deallocating_.push_back({{Chain}, held_.size()});
      begin_set_aside(trashcan_.deferred.back());
      continue;
    }
    if (deallocating_.size() > outer_deallocations && deallocating_.back().items_begin == held_.size()) {
      Deallocation& done = deallocating_.back();
      if (done.dying.kind == Chain) {
        if (trashcan_.deferred.empty()) {
          trashcan_.depth -= 1;
          deallocating_.pop_back();
        } else {
          begin_set_aside(trashcan_.deferred.back());  // the run's loop goes on
        }
        continue;
      }
      if (!done.freed) {
        done.freed = true;
        if (done.dying.kind == Tuple) free_callbacks_tuple(done.dying.id);
        else free_object(done.dying.id);
      }
      if (done.ends > 0) {
        done.ends -= 1;
        trashcan_.depth -= 1;
        if (done.ends > 0) continue;  // another END to come, after this one's check
      }
      deallocating_.pop_back();
      continue;
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

// --- the trashcan (the profile's rule: cpython_versions.def) ---

// Py_TRASHCAN_BEGIN would set the dying container aside.
bool ReferenceModel::trashcan_full() const {
  if (profile_.trashcan == TrashcanRule::NestedDeaths) return trashcan_.depth >= kTrashcanLevels;
  return kCRecursionLimit - trashcan_.depth <= kTrashcanHeadroom;
}

// Py_TRASHCAN_END would empty the trash now: the outermost level ended
// (NestedDeaths; a destroy-chain run holds one level itself, so the deaths it
// runs never start another), or more than twice the headroom remains
// (CRecursion).
bool ReferenceModel::trashcan_has_room_to_empty() const {
  if (profile_.trashcan == TrashcanRule::NestedDeaths) return trashcan_.depth == 0;
  return kCRecursionLimit - trashcan_.depth > 2 * kTrashcanHeadroom;
}

// The newest set-aside death starts again from its trashcan BEGIN.
void ReferenceModel::begin_set_aside(Dying dying) {
  trashcan_.deferred.pop_back();
  if (dying.kind == Dying::Kind::Tuple) begin_tuple_death(dying.id);
  else begin_death(dying.id);
}

// C recursion taken by a call into C code (`units` under CRecursion; none
// under NestedDeaths, where only deaths count).
int ReferenceModel::c_recursion_units(int units) const {
  return profile_.trashcan == TrashcanRule::CRecursion ? units : 0;
}

// Steps 1 and 2 of a death, and the start of 3: the object's items go onto
// held_ for release_held to release. A container the trashcan finds full is
// set aside instead. Its death takes one unit (subtype_dealloc's BEGIN) and,
// under CRecursion, one more while its items go (list_dealloc's BEGIN).
void ReferenceModel::begin_death(Serial serial) {
  untrack(serial);
  const bool container = objects_[serial].kind == ObjectKind::Container;
  if (container) {
    if (trashcan_full()) {
      trashcan_.deferred.push_back({Dying::Kind::Object, serial});
      return;
    }
    trashcan_.depth += 1;
  }
  if (survives_finalizer(serial)) {
    if (container) trashcan_.depth -= 1;
    return;
  }
  if (objects_[serial].kind == ObjectKind::Weakref) clear_weakref(serial);
  clear_weakrefs_to(serial);
  const int items_units = container ? c_recursion_units(1) : 0;
  trashcan_.depth += items_units;
  deallocating_.push_back({{Dying::Kind::Object, serial}, held_.size(), static_cast<std::uint8_t>(container + items_units)});
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

// Step 2 of a death: PyObject_ClearWeakRefs, as the profile's
// weakref_clearing says (cpython_versions.def). The callback-less weakrefs at
// the head of the list are cleared first: up to two (StripsTwo), or the basic
// one (StripsBasic). Under StripsTwo a lone weakref left is cleared and its
// callback, if any, runs with the weakref held. Otherwise the tuple is made
// (which may collect), then every weakref still listed is cleared and held
// in it, in list order; the callbacks run in that order, and the tuple's
// death releases the weakrefs last to first.
void ReferenceModel::clear_weakrefs_to(Serial serial) {
  const std::vector<Serial> listed = weakref_list_of(serial);
  const bool strips_two = profile_.weakref_clearing == WeakrefClearing::StripsTwo;
  std::size_t first = 0;
  for (; first < listed.size() && first < (strips_two ? 2u : 1u); ++first) {
    const ModelObject::Rare& weakref = objects_[listed[first]].rare_fields();
    if (strips_two ? weakref.callback.has_value() : !weakref.basic) break;
    clear_weakref(listed[first]);
  }
  const std::size_t left = listed.size() - first;
  if (left == 0) return;
  const std::size_t base = held_.size();
  if (strips_two && left == 1) {
    const Serial lone = listed[first];
    clear_weakref(lone);
    if (!objects_[lone].rare_fields().callback) return;
    hold(ObjectKey::serial(lone));
    run_callback(lone);
    release_held(base);
    return;
  }
  const std::uint32_t tuple = new_callbacks_tuple(static_cast<std::uint32_t>(2 * left));
  std::vector<Serial> due;
  for (std::size_t i = first; i < listed.size(); ++i) {
    const Serial weakref = listed[i];
    // Gone from the list if the tuple's collection cleared it (CPython 3.8 to
    // 3.11 walk a stale count there: see docs/cpython-versions.md).
    if (objects_[weakref].rare_fields().referent != ObjectKey::serial(serial)) continue;
    clear_weakref(weakref);
    hold(ObjectKey::serial(weakref));
    if (objects_[weakref].rare_fields().callback) due.push_back(weakref);
  }
  for (Serial weakref : due) run_callback(weakref);
  release_callbacks_tuple(tuple, base);
}

// The referent's weakrefs in CPython's list order: its basic weakref first
// (insert_head), then the others newest first (insert_after the basic one).
std::vector<Serial> ReferenceModel::weakref_list_of(Serial serial) const {
  const std::vector<Serial>& oldest_first = objects_[serial].rare_fields().weakrefs;
  std::vector<Serial> listed;
  listed.reserve(oldest_first.size());
  for (Serial weakref : oldest_first)
    if (objects_[weakref].rare_fields().basic) listed.push_back(weakref);
  for (auto weakref = oldest_first.rbegin(); weakref != oldest_first.rend(); ++weakref)
    if (!objects_[*weakref].rare_fields().basic) listed.push_back(*weakref);
  return listed;
}

// PyTuple_New: a kept tuple of that size, or a new one counted (which may
// collect before it exists, or schedule a collection); tracked in generation 0.
std::uint32_t ReferenceModel::new_callbacks_tuple(std::uint32_t size) {
  if (!tuple_free_list_.take(size)) container_allocated();
  std::uint32_t tuple = 0;
  while (tuple < callbacks_tuples_.size() && callbacks_tuples_[tuple].alive) ++tuple;
  if (tuple == callbacks_tuples_.size()) callbacks_tuples_.emplace_back();
  callbacks_tuples_[tuple] = {.alive = true, .generation = 0, .size = size, .items = {}};
  return tuple;
}

// tupledealloc: untracked, then within the trashcan its items (held_ from
// `items_begin`) are released last to first and it is freed; beyond the
// trashcan's limit it is set aside with its references.
void ReferenceModel::release_callbacks_tuple(std::uint32_t tuple, std::size_t items_begin) {
  CallbacksTuple& dying = callbacks_tuples_[tuple];
  count_frozen(dying.generation, kUntracked);
  dying.generation = kUntracked;
  if (trashcan_full()) {
    dying.items.assign(held_.begin() + static_cast<std::ptrdiff_t>(items_begin), held_.end());
    held_.resize(items_begin);
    trashcan_.deferred.push_back({Dying::Kind::Tuple, tuple});
    return;
  }
  const std::size_t outer_deallocations = deallocating_.size();
  trashcan_.depth += 1;
  deallocating_.push_back({{Dying::Kind::Tuple, tuple}, items_begin, 1});
  release_held_within(items_begin, outer_deallocations);
}

// A set-aside tuple's turn in the trashcan (release_held empties it).
void ReferenceModel::begin_tuple_death(std::uint32_t tuple) {
  if (trashcan_full()) {
    trashcan_.deferred.push_back({Dying::Kind::Tuple, tuple});
    return;
  }
  trashcan_.depth += 1;
  deallocating_.push_back({{Dying::Kind::Tuple, tuple}, held_.size(), 1});
  std::vector<ObjectKey>& items = callbacks_tuples_[tuple].items;
  held_.insert(held_.end(), items.begin(), items.end());
  items.clear();
}

// Into its free list, uncounted, or PyObject_GC_Del.
void ReferenceModel::free_callbacks_tuple(std::uint32_t tuple) {
  CallbacksTuple& freed = callbacks_tuples_[tuple];
  freed.alive = false;
  if (!tuple_free_list_.keep(freed.size, profile_.tuple_free_list_sizes)) container_freed();
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
