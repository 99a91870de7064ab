// The reference model's objects: the store, the mutator's steps, reference
// counting and observation.
//
// Objects live in a vector indexed by their serial. Every reference, from a
// name or from a container slot, is one count on its target, taken by
// add_ref() and given back by drop_ref() (through release()); nothing else
// touches a refcount. When a count reaches zero the object dies at once
// (CPython section 2) and then gives back its own references. Those deaths can
// cascade through long chains, so they go through a worklist instead of
// recursion (CPython's trashcan serves the same purpose). The model records
// each death (a Freed event) when the count reaches zero, so the order of
// Freed events within one step is not CPython's; which objects are freed is.
// The shared small ints are objects too, keyed by value, whose count starts at
// 1 for the cache's own reference; they are never freed.
#include <memory>
#include <utility>

#include "reference_model.h"

namespace gcv {

std::unique_ptr<Machine> make_reference_model() { return std::make_unique<ReferenceModel>(); }

ReferenceModel::ReferenceModel() { small_int_refs_.fill(1); }

void ReferenceModel::reset(std::size_t name_count) {
  names_.assign(name_count, std::nullopt);
  objects_.clear();
  live_.clear();
  small_int_refs_.fill(1);
  gc_ = GcModuleState{};
  events_.clear();
}

// --- reference counting ------------------------------------------------------

static bool is_small_int_key(ObjectKey key) {
  return key.raw < 0 && key.raw >= ObjectKey::small_int(kSmallIntMax).raw;
}

std::int64_t& ReferenceModel::small_int_refcount(ObjectKey key) {
  return small_int_refs_[key.small_int_value() - kSmallIntMin];
}

void ReferenceModel::add_ref(ObjectKey key) {
  if (key.is_serial()) {
    objects_[key.as_serial()].refcount += 1;
  } else {
    small_int_refcount(key) += 1;
  }
}

void ReferenceModel::drop_ref(ObjectKey key) {
  std::vector<Serial> dying;
  release(key, dying);
  release_all(dying);
}

// Gives back one reference. An allocated object whose count reaches zero dies
// now; its own references are given back later by release_all().
void ReferenceModel::release(ObjectKey key, std::vector<Serial>& dying) {
  if (!key.is_serial()) {
    small_int_refcount(key) -= 1;  // the cache's reference keeps it above 0
    return;
  }
  ModelObject& object = objects_[key.as_serial()];
  object.refcount -= 1;
  if (object.refcount == 0) {
    free_object(key.as_serial());
    if (!object.slots.empty()) dying.push_back(key.as_serial());
  }
}

// A container gives back its items last to first, as list_dealloc and
// list_clear do. The slots are emptied first, so a container that dies while
// its own items are being released (a cycle through it) has nothing left to
// release twice.
void ReferenceModel::release_slots(Serial serial, std::vector<Serial>& dying) {
  std::vector<ObjectKey> items = std::exchange(objects_[serial].slots, {});
  for (auto item = items.rbegin(); item != items.rend(); ++item) release(*item, dying);
}

void ReferenceModel::release_all(std::vector<Serial>& dying) {
  while (!dying.empty()) {
    Serial serial = dying.back();
    dying.pop_back();
    release_slots(serial, dying);
  }
}

// The object is deallocated: it is no longer alive, and a container leaves
// the collector (PyObject_GC_Del).
void ReferenceModel::free_object(Serial serial) {
  ModelObject& object = objects_[serial];
  object.alive = false;  // live() drops it from live_
  Event freed;
  freed.type = Event::Type::Freed;
  freed.key = ObjectKey::serial(serial);
  events_.push_back(freed);
  if (object.generation == kPermanentGeneration) gc_.permanent_count -= 1;
  if (object.kind == ObjectKind::Container) container_freed();
  object.generation = kUntracked;
}

// --- mutator steps -------------------------------------------------------------

// Binds `dst` to `key`: the new reference is taken before the old binding is
// dropped, so `a = a` or `a = a[0]` never frees what it is about to bind.
void ReferenceModel::store_name(NameIndex dst, ObjectKey key) {
  add_ref(key);
  std::optional<ObjectKey> old = std::exchange(names_[dst], key);
  if (old) drop_ref(*old);
}

// A new container is counted (and may trigger an automatic collection) before
// it exists, as in _PyObject_GC_Alloc of 3.8–3.11: it is never part of that
// collection. It is then tracked in generation 0; atoms are never tracked.
void ReferenceModel::allocate(NameIndex dst, Serial serial, ObjectKind kind, std::uint32_t payload,
                              std::int64_t int_value) {
  if (kind == ObjectKind::Container) container_allocated();
  if (objects_.size() <= serial) objects_.resize(serial + 1);
  ModelObject& object = objects_[serial];
  object = ModelObject{};
  object.kind = kind;
  object.payload = payload;
  object.int_value = int_value;
  object.generation = kind == ObjectKind::Container ? 0 : kUntracked;
  object.alive = true;
  live_.push_back(serial);
  store_name(dst, ObjectKey::serial(serial));
}

void ReferenceModel::new_container(NameIndex dst, Serial serial, std::uint32_t payload) {
  allocate(dst, serial, ObjectKind::Container, payload, 0);
}

void ReferenceModel::new_str(NameIndex dst, Serial serial, std::uint32_t payload) {
  allocate(dst, serial, ObjectKind::Str, payload, 0);
}

void ReferenceModel::new_int(NameIndex dst, Serial serial, std::int64_t value) {
  if (value >= kSmallIntMin && value <= kSmallIntMax) {
    store_name(dst, ObjectKey::small_int(value));  // the shared object, no allocation
  } else {
    allocate(dst, serial, ObjectKind::Int, 0, value);
  }
}

ModelObject& ReferenceModel::container_bound_to(NameIndex name) {
  return objects_[names_[name]->as_serial()];
}

void ReferenceModel::bind(NameIndex dst, NameIndex src) { store_name(dst, *names_[src]); }

void ReferenceModel::load_slot(NameIndex dst, NameIndex container, std::uint32_t index) {
  store_name(dst, container_bound_to(container).slots[index]);
}

void ReferenceModel::unbind(NameIndex name) {
  std::optional<ObjectKey> old = std::exchange(names_[name], std::nullopt);
  if (old) drop_ref(*old);
}

void ReferenceModel::append(NameIndex container, NameIndex item) {
  add_ref(*names_[item]);
  container_bound_to(container).slots.push_back(*names_[item]);
}

// The overwritten item is dropped after the new one is stored (list_ass_item).
void ReferenceModel::set_slot(NameIndex container, std::uint32_t index, NameIndex item) {
  add_ref(*names_[item]);
  ObjectKey old = std::exchange(container_bound_to(container).slots[index], *names_[item]);
  drop_ref(old);
}

// Later items shift down, then the removed reference is dropped (list.pop(i)).
void ReferenceModel::remove_slot(NameIndex container, std::uint32_t index) {
  std::vector<ObjectKey>& slots = container_bound_to(container).slots;
  ObjectKey removed = slots[index];
  slots.erase(slots.begin() + index);
  drop_ref(removed);
}

// --- observation ----------------------------------------------------------------

std::optional<ObjectKey> ReferenceModel::binding(NameIndex name) {
  if (name >= names_.size()) return std::nullopt;
  return names_[name];
}

const std::vector<Serial>& ReferenceModel::live() {
  std::erase_if(live_, [&](Serial serial) { return !objects_[serial].alive; });
  return live_;
}

void ReferenceModel::read_state(Serial serial, ObjectState& out) const {
  const ModelObject& object = objects_[serial];
  out.key = ObjectKey::serial(serial);
  out.kind = object.kind;
  out.refcount = object.refcount;
  out.generation = object.generation;
  out.payload = object.payload;
  out.int_value = object.int_value;
  out.slots.assign(object.slots.begin(), object.slots.end());
  out.intact = true;
}

void ReferenceModel::read_small_int_state(ObjectKey key, ObjectState& out) {
  out.key = key;
  out.kind = ObjectKind::Int;
  out.refcount = small_int_refcount(key);
  out.generation = kUntracked;
  out.payload = 0;
  out.int_value = key.small_int_value();
  out.slots.clear();
  out.intact = true;
}

bool ReferenceModel::read_object(ObjectKey key, ObjectState& out) {
  if (is_small_int_key(key)) {
    read_small_int_state(key, out);
    return true;
  }
  if (!key.is_serial() || key.as_serial() >= objects_.size() || !objects_[key.as_serial()].alive) return false;
  read_state(key.as_serial(), out);
  return true;
}

// Small-int keys are all below serial keys, so small ints (in key order) come
// first, then the live objects in serial order. The elements of `out` are
// overwritten in place, so their slot vectors keep their storage.
void ReferenceModel::objects(std::vector<ObjectState>& out) {
  std::size_t n = 0;
  auto next = [&]() -> ObjectState& {
    if (n == out.size()) out.emplace_back();
    return out[n++];
  };
  for (std::int64_t value = kSmallIntMax; value >= kSmallIntMin; --value) {
    ObjectKey key = ObjectKey::small_int(value);
    if (small_int_refcount(key) > 1) read_small_int_state(key, next());
  }
  for (Serial serial : live()) read_state(serial, next());
  out.resize(n);
}

void ReferenceModel::take_events(std::vector<Event>& out) {
  out.insert(out.end(), events_.begin(), events_.end());
  events_.clear();
}

// Everything held by names is dropped and every cycle collected; whatever is
// still alive then (never, in a correct model) is reported.
std::string ReferenceModel::teardown() {
  for (NameIndex name = 0; name < names_.size(); ++name) unbind(name);
  unfreeze();
  collect(2);
  std::vector<ObjectKey> leftovers;
  for (Serial serial : live()) leftovers.push_back(ObjectKey::serial(serial));
  for (std::int64_t value = kSmallIntMin; value <= kSmallIntMax; ++value) {
    ObjectKey key = ObjectKey::small_int(value);
    if (small_int_refcount(key) != 1) leftovers.push_back(key);
  }
  if (leftovers.empty()) return "";
  std::string description = "still alive after teardown:";
  for (ObjectKey key : leftovers) description += " " + key.to_string();
  return description;
}

}  // namespace gcv
