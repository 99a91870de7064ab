// The reference model's objects: the store, the mutator's steps, gc.garbage's
// steps and observation.
//
// Objects live in a vector indexed by their serial. Every reference, from a
// name, a container slot, an entry of gc.garbage or the machinery itself (see
// refcount.cc), is one count on its target. The shared small ints are objects
// too, keyed by value, whose count starts at 1 for the cache's own reference;
// they are never freed. Serials come from the executor, except for objects an
// effect allocates: those take next_serial(), one above the highest serial
// seen, so the executor's next allocation (which takes the model's
// next_serial() too) never collides with them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "reference_model.h"

namespace gcv {

std::unique_ptr<Machine> make_reference_model(const Profile& profile, Capabilities capabilities) {
  return std::make_unique<ReferenceModel>(profile, capabilities);
}

// Working storage is reserved for a typical fuzz input up front, so that
// runs after the first rarely allocate more than they free (libFuzzer
// rechecks such a run for leaks, at great cost).
ReferenceModel::ReferenceModel(const Profile& profile, Capabilities capabilities)
    : profile_(profile), capabilities_(capabilities) {
  small_int_refs_.fill(1);
  constexpr std::size_t kTypicalObjects = 4096;
  live_.reserve(kTypicalObjects);
  events_.reserve(kTypicalObjects);
  changed_.reserve(kTypicalObjects);
  held_.reserve(256);
  for (std::vector<ListEntry>& list : generation_lists_) list.reserve(kTypicalObjects);
}

void ReferenceModel::reset(std::size_t name_count) {
  names_.assign(name_count, std::nullopt);
  objects_.clear();
  live_.clear();
  highest_serial_ = 0;
  list_clock_ = 0;
  for (std::vector<ListEntry>& list : generation_lists_) list.clear();
  frozen_ = 0;
  small_int_refs_.fill(1);
  held_.clear();
  skipped_effects_.clear();
  deallocating_.clear();
  trashcan_ = Trashcan{};
  gc_ = GcModuleState{};
  gc_.threshold[0] = profile_.threshold0;
  list_free_list_ = ListFreeList{};
  tuple_free_list_ = TupleFreeList{};
  callbacks_tuples_.clear();
  events_.clear();
  changed_.clear();
  small_int_changed_.fill(false);
}

ModelObject& ReferenceModel::changing(Serial serial) {
  ModelObject& object = objects_[serial];
  if (!object.changed) {
    object.changed = true;
    changed_.push_back(ObjectKey::serial(serial));
  }
  return object;
}

void ReferenceModel::small_int_changing(ObjectKey key) {
  bool& changed = small_int_changed_[key.small_int_value() - kSmallIntMin];
  if (!changed) changed_.push_back(key);
  changed = true;
}

bool ReferenceModel::take_changed(std::vector<ObjectKey>& out) {
  for (const ObjectKey key : changed_) {
    if (key.is_serial()) objects_[key.as_serial()].changed = false;
    else small_int_changed_[key.small_int_value() - kSmallIntMin] = false;
  }
  hand_over(changed_, out);
  return true;
}

static bool is_small_int_key(ObjectKey key) {
  return key.raw < 0 && key.raw >= ObjectKey::small_int(kSmallIntMax).raw;
}

std::int64_t& ReferenceModel::small_int_refcount(ObjectKey key) {
  return small_int_refs_[key.small_int_value() - kSmallIntMin];
}

void ReferenceModel::record(Event::Type type, Serial serial) {
  Event event;
  event.type = type;
  event.key = ObjectKey::serial(serial);
  events_.push_back(event);
}

// --- mutator steps -------------------------------------------------------------

// Binds `dst` to `key`: the new reference is taken before the old binding is
// dropped, so `a = a` or `a = a[0]` never frees what it is about to bind.
void ReferenceModel::store_name(NameIndex dst, ObjectKey key) {
  add_ref(key);
  move_into_name(dst, key);
}

// Binds `dst` to `key` with a reference already taken (STORE_FAST moves the
// value's reference into the local), then releases the old binding.
void ReferenceModel::move_into_name(NameIndex dst, ObjectKey key) {
  std::optional<ObjectKey> old = std::exchange(names_[dst], key);
  if (old) drop_ref(*old);
}

// A new object, not yet referenced by anything. A tracked one (container or
// weakref) is counted, and may trigger an automatic collection, before it
// exists, as in _PyObject_GC_Alloc of 3.8–3.11: it is never part of that
// collection, and what that collection's user code allocates takes the
// serials after it. It is then tracked at the end of generation 0; atoms are
// never tracked. A list may come from the list free list, which it leaves
// before that count.
Serial ReferenceModel::allocate(Serial serial, ObjectKind kind, std::uint32_t payload, std::int64_t int_value) {
  highest_serial_ = std::max(highest_serial_, serial);
  if (objects_.size() <= serial) objects_.resize(serial + 1);
  if (kind == ObjectKind::Container) list_free_list_.list_allocated(payload);
  if (is_tracked_kind(kind)) container_allocated();
  objects_[serial] = ModelObject{};
  ModelObject& object = changing(serial);
  object.kind = kind;
  object.payload = payload;
  object.int_value = int_value;
  object.alive = true;
  if (is_tracked_kind(kind)) track(serial, 0);
  live_.insert(std::upper_bound(live_.begin(), live_.end(), serial), serial);
  return serial;
}

void ReferenceModel::new_container(NameIndex dst, Serial serial, std::uint32_t payload) {
  store_name(dst, ObjectKey::serial(allocate(serial, ObjectKind::Container, payload, 0)));
}

void ReferenceModel::new_str(NameIndex dst, Serial serial, std::uint32_t payload) {
  store_name(dst, ObjectKey::serial(allocate(serial, ObjectKind::Str, payload, 0)));
}

// Without SmallInts (a heap with no small-int cache), every int is allocated.
void ReferenceModel::new_int(NameIndex dst, Serial serial, std::int64_t value) {
  if (value >= kSmallIntMin && value <= kSmallIntMax && capabilities_.has(Capability::SmallInts)) {
    store_name(dst, ObjectKey::small_int(value));  // the shared object, no allocation
  } else {
    store_name(dst, ObjectKey::serial(allocate(serial, ObjectKind::Int, 0, value)));
  }
}

// The allocated object bound to `name`, or null (unbound, a small int, or a
// name out of range): for effects, which are defined in every state.
ModelObject* ReferenceModel::object_bound_to(NameIndex name) {
  if (name >= names_.size() || !names_[name] || !names_[name]->is_serial()) return nullptr;
  return &changing(names_[name]->as_serial());
}

void ReferenceModel::bind(NameIndex dst, NameIndex src) { store_name(dst, *names_[src]); }

void ReferenceModel::load_slot(NameIndex dst, NameIndex container, std::uint32_t index) {
  store_name(dst, objects_[names_[container]->as_serial()].slots[index]);
}

void ReferenceModel::unbind(NameIndex name) {
  std::optional<ObjectKey> old = std::exchange(names_[name], std::nullopt);
  if (old) drop_ref(*old);
}

void ReferenceModel::append(NameIndex container, NameIndex item) {
  append_to(names_[container]->as_serial(), *names_[item]);
}
void ReferenceModel::append_to(Serial list, ObjectKey item) {
  add_ref(item);
  changing(list).slots.push_back(item);
}

// The overwritten item is dropped after the new one is stored (list_ass_item).
void ReferenceModel::set_slot(NameIndex container, std::uint32_t index, NameIndex item) {
  set_slot_of(names_[container]->as_serial(), index, *names_[item]);
}
void ReferenceModel::set_slot_of(Serial list, std::uint32_t index, ObjectKey item) {
  add_ref(item);
  drop_ref(std::exchange(changing(list).slots[index], item));
}

// Later items shift down, then the removed reference is dropped (list.pop(i)).
void ReferenceModel::remove_slot(NameIndex container, std::uint32_t index) {
  remove_slot_of(names_[container]->as_serial(), index);
}
void ReferenceModel::remove_slot_of(Serial list, std::uint32_t index) {
  std::vector<ObjectKey>& slots = changing(list).slots;
  const ObjectKey removed = slots[index];
  slots.erase(slots.begin() + index);
  drop_ref(removed);
}

// list.clear(): emptied first, then the items dropped last to first.
void ReferenceModel::clear_list(NameIndex container) { clear_slots(changing(names_[container]->as_serial()).slots); }

// --- gc.garbage -------------------------------------------------------------------

void ReferenceModel::set_debug(bool saveall) { gc_.saveall = saveall; }

// del gc.garbage[:]: the list is emptied, then its references are dropped
// last to first (list_ass_slice).
void ReferenceModel::clear_garbage() {
  // Released in key order, last first: gc.garbage's own order is the
  // collector's business (see garbage()), and which entry dies first shows.
  std::sort(gc_.garbage.begin(), gc_.garbage.end());
  clear_slots(gc_.garbage);
}

// `b = garbage[i]` takes the i-th entry in key order: gc.garbage's own order
// follows the collector's lists, which the Machine contract leaves open.
void ReferenceModel::load_garbage(NameIndex dst, std::uint32_t index) {
  const std::vector<ObjectKey>& entries = garbage();
  if (index < entries.size()) store_name(dst, entries[index]);
}

const std::vector<ObjectKey>& ReferenceModel::garbage() {
  garbage_in_key_order_.assign(gc_.garbage.begin(), gc_.garbage.end());
  std::sort(garbage_in_key_order_.begin(), garbage_in_key_order_.end());
  return garbage_in_key_order_;
}

Serial ReferenceModel::next_serial() { return highest_serial_ + 1; }

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
  out.referent = object.rare_fields().referent;
  out.has_finalizer = object.has_finalizer;
  out.finalized = object.finalized;
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
  out.referent = {};
  out.has_finalizer = false;
  out.finalized = false;
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

// The invariant the collector's search relies on (collector.cc): every
// object's refcount is the number of references to it, from names, slots of
// live objects, gc.garbage and the machinery's held references. Checked on
// every exhaustive look at the model (objects()), in time proportional to it.
void ReferenceModel::audit_refcounts() {
  std::vector<std::int64_t> references(objects_.size(), 0);
  const auto count = [&](ObjectKey key) {
    if (key.is_serial()) references[key.as_serial()] += 1;
  };
  for (const std::optional<ObjectKey>& name : names_)
    if (name) count(*name);
  for (ObjectKey entry : gc_.garbage) count(entry);
  for (ObjectKey held : held_) count(held);
  for (const CallbacksTuple& tuple : callbacks_tuples_)
    for (ObjectKey item : tuple.items) count(item);
  for (Serial serial : live())
    for (ObjectKey item : objects_[serial].slots) count(item);
  for (Serial serial : live()) {
    if (objects_[serial].refcount == references[serial]) continue;
    std::fprintf(stderr, "reference model: #%u has refcount %lld but %lld references\n", serial,
                 static_cast<long long>(objects_[serial].refcount), static_cast<long long>(references[serial]));
    std::abort();
  }
}

// Small-int keys are all below serial keys, so small ints (in key order) come
// first, then the live objects in serial order. The elements of `out` are
// overwritten in place, so their slot vectors keep their storage.
void ReferenceModel::objects(std::vector<ObjectState>& out) {
  audit_refcounts();
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

void ReferenceModel::take_events(std::vector<Event>& out) { hand_over(events_, out); }

// Everything held by names and by gc.garbage is dropped and every cycle
// collected; whatever is still alive then is reported: only objects a legacy
// finalizer keeps uncollectable (back in gc.garbage), in a correct model.
std::string ReferenceModel::teardown() {
  for (NameIndex name = 0; name < names_.size(); ++name) unbind(name);
  set_debug(false);
  clear_garbage();
  unfreeze();
  collect(2);
  std::vector<ObjectKey> leftovers;
  for (Serial serial : live()) leftovers.push_back(ObjectKey::serial(serial));
  for (std::int64_t value = kSmallIntMin; value <= kSmallIntMax; ++value) {
    ObjectKey key = ObjectKey::small_int(value);
    if (small_int_refcount(key) != 1) leftovers.push_back(key);
  }
  // The object store goes with the run (see HeapMachine::teardown).
  objects_.clear();
  objects_.shrink_to_fit();
  if (leftovers.empty()) return "";
  std::string description = "still alive after teardown:";
  for (ObjectKey key : leftovers) description += " " + key.to_string();
  return description;
}

}  // namespace gcv
