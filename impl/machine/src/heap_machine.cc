// HeapMachine: gcheap behind the Machine interface (see heap_machine.h).
//
// Handles. A table indexed by serial gives each live object's pointer; the
// key of a pointer found in a list slot is read from the object itself: the
// serial in its payload stamp (lists and strs), its value (small ints), or a
// small table (the few other ints). A key counts only if the serial table
// points back at the same address, so a slot holding a pointer to freed
// memory reads as an unknown key, or as the key of the object that now lives
// there, and the executor reports the difference. The stamp also catches what
// the free hook cannot: a block freed without the hook and handed out again.
//
// Changes and generations. The heap's change hook names every object the heap
// changes; with the objects this adapter changes itself (its own increfs, new
// objects) that is take_changed()'s answer. gcheap, like CPython, does not
// store an object's generation: it is the list the object is on. A cache
// keeps each object's generation as last read off the lists. The objects that
// joined or moved between lists since (Change::List) are at the end of the
// lists they are on now, since lists only grow at their end, so walking each
// list back from its end while it shows such objects places them all, in time
// proportional to their number. An object not found that way (a heap that
// broke that order) costs one walk of every list.
// Nothing here allocates per operation once its tables have grown.
#include "gcverify/heap_machine.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>
#include <unordered_map>

#include "gcheap/heap.h"
#include "gcverify/effects.h"

namespace gcv {
namespace {

using gcheap::Heap;
using gcheap::Object;

constexpr std::uint64_t kStampMagic = 0x9c5a'11fe'0000'0000ull;

// The stamp: the serial (with a magic) in the first word of the payload and,
// when the payload has room for a second word that does not overlap it, in the
// last. A block freed and handed out again gets its first words rewritten (the
// allocator's free-list link, a new header or new items), and a payload of the
// wrong size moves the last word, so two words catch reuse without touching
// every byte.
std::uint64_t stamp_word(Serial serial) { return kStampMagic | serial; }
constexpr std::size_t kStampBytes = sizeof(std::uint64_t);

void stamp(std::span<std::byte> payload, Serial serial) {
  const std::uint64_t word = stamp_word(serial);
  std::memcpy(payload.data(), &word, kStampBytes);
  if (payload.size() >= 2 * kStampBytes) std::memcpy(payload.data() + payload.size() - kStampBytes, &word, kStampBytes);
}

bool stamp_intact(std::span<const std::byte> payload, Serial serial) {
  std::uint64_t head, tail;
  std::memcpy(&head, payload.data(), kStampBytes);
  if (head != stamp_word(serial)) return false;  // coverage: damage
  if (payload.size() < 2 * kStampBytes) return true;
  std::memcpy(&tail, payload.data() + payload.size() - kStampBytes, kStampBytes);
  return tail == stamp_word(serial);
}

ObjectKind kind_of(const Object* o) {
  switch (Heap::kind(o)) {
    case gcheap::Kind::List: return ObjectKind::Container;
    case gcheap::Kind::Str: return ObjectKind::Str;
    case gcheap::Kind::Int: return ObjectKind::Int;
    case gcheap::Kind::Weakref: return ObjectKind::Weakref;
  }
  return ObjectKind::Int;
}

bool is_small_int(std::int64_t v) { return v >= kSmallIntMin && v <= kSmallIntMax; }

class HeapMachine final : public Machine {
  // A finalizer's or callback's body, with the machine that runs them: the
  // context the heap hands back. Owned here until the next reset.
  struct Body {
    HeapMachine* machine;
    std::vector<Op> ops;
  };

 public:
  // Working storage reserved up front, as the model's (see ReferenceModel()).
  explicit HeapMachine(const HeapMachineOptions& options) : options_(options) {
    constexpr std::size_t kTypicalObjects = 4096;
    by_serial_.reserve(kTypicalObjects);
    payload_of_.reserve(kTypicalObjects);
    generation_.reserve(kTypicalObjects);
    mark_.reserve(kTypicalObjects);
    changed_.reserve(kTypicalObjects);
    moved_.reserve(kTypicalObjects);
    events_.reserve(kTypicalObjects);
  }

  std::string_view name() const override { return "gcheap"; }
  Capabilities capabilities() const override { return Capabilities::all(); }
  void eval_breaker() override { heap_->run_scheduled_collection(); }
  Heap* heap() { return heap_.get(); }
  Object* live_object(ObjectKey key) const { return pointer_of(key); }

  // A run starts from an allocator in one state: its one arena as freshly
  // mapped (Allocator::reset), so no run depends on where an earlier one left
  // blocks, a fuzz target maps no arena per input, and a program makes the
  // same requests of memory in every run (which `# fail:` lines count). That
  // is the last run's allocator, if its run ended in a clean teardown, else a
  // new one brought to that state.
  void reset(std::size_t name_count) override {
    heap_.reset();
    if (!allocator_clean_) allocator_.reset();
    if (!allocator_) {
      allocator_ = std::make_unique<gcheap::Allocator>(
          gcheap::Allocator::Options{options_.geometry, options_.debug_fill});
      allocator_->free(allocator_->allocate(1));
      allocator_->reset();
    }
    allocator_clean_ = false;
    allocator_->set_failure_plan({});  // the heap's own setup (its small ints) never fails
    heap_ = std::make_unique<Heap>(*allocator_, heap_config());
    allocator_->set_failure_plan({});  // requests count from here
    heap_->set_free_hook(&HeapMachine::on_free, this);
    heap_->set_change_hook(&HeapMachine::on_change, this);
    heap_->add_callback(&HeapMachine::on_collection, this);
    names_.assign(name_count, nullptr);
    by_serial_.assign(1, nullptr);
    payload_of_.assign(1, 0);
    generation_.assign(1, kUntracked);
    mark_.assign(1, 0);
    small_int_changed_.fill(false);
    changed_.clear();
    moved_.clear();
    small_ints_.fill(nullptr);
    unstamped_serials_.clear();
    highest_serial_ = 0;
    bodies_.clear();
    finalizer_of_.clear();
    events_.clear();
    failed_effects_.clear();
  }

  // --- out of memory -----------------------------------------------------------
  void fail_memory(const MemoryFailures& failures) override {
    using Mode = gcheap::FailurePlan::Mode;
    constexpr Mode modes[] = {Mode::Never, Mode::Once, Mode::From, Mode::Random, Mode::Never};  // never Operation
    allocator_->set_failure_plan({.mode = modes[static_cast<std::size_t>(failures.mode)],
                                  .k = failures.request,
                                  .seed = failures.seed,
                                  .one_in = failures.one_in});
  }
  MemoryRequests memory_requests() override {
    return {allocator_->requests(), allocator_->refusals(), allocator_->system_requests()};
  }
  void take_failed_effects(std::vector<FailedEffect>& out) override { hand_over(failed_effects_, out); }

  // --- mutator steps ---------------------------------------------------------
  void new_container(NameIndex dst, Serial serial, std::uint32_t payload) override {
    adopt(dst, allocating(serial, [&] { return heap_->new_list(payload); }), serial, payload);
  }
  void new_str(NameIndex dst, Serial serial, std::uint32_t payload) override {
    adopt(dst, allocating(serial, [&] { return heap_->new_str(payload); }), serial, payload);
  }
  void new_int(NameIndex dst, Serial serial, std::int64_t value) override {
    if (is_small_int(value)) {
      Object* o = heap_->new_int(value);
      small_ints_[value - kSmallIntMin] = o;
      note(ObjectKey::small_int(value));
      store(dst, o);
    } else {
      adopt(dst, allocating(serial, [&] { return heap_->new_int(value); }), serial, 0);
    }
  }
  void bind(NameIndex dst, NameIndex src) override { bind_to(dst, names_[src]); }
  void load_slot(NameIndex dst, NameIndex container, std::uint32_t index) override {
    bind_to(dst, Heap::list_get(names_[container], index));
  }
  void unbind(NameIndex name) override { store(name, nullptr); }
  void append(NameIndex container, NameIndex item) override { append_to(names_[container], names_[item]); }
  void set_slot(NameIndex container, std::uint32_t index, NameIndex item) override {
    set_slot_of(names_[container], index, names_[item]);
  }
  void remove_slot(NameIndex container, std::uint32_t index) override { remove_slot_of(names_[container], index); }
  void clear_list(NameIndex container) override { clear_of(names_[container]); }

  // --- finalizers and weak references ----------------------------------------
  void set_finalizer(NameIndex object, const std::vector<Op>& body) override {
    Body* b = keep(body);
    finalizer_of_[names_[object]] = b;
    note(key_of(names_[object]));
    heap_->set_finalizer(names_[object], &HeapMachine::run_finalizer, b);
  }
  void set_legacy_finalizer(NameIndex object) override { heap_->set_legacy_finalizer(names_[object]); }
  void new_weakref(NameIndex dst, Serial serial, NameIndex referent, const std::vector<Op>* callback) override {
    new_weakref_to(dst, serial, names_[referent], callback);
  }
  void deref(NameIndex dst, NameIndex weakref) override { deref_of(dst, names_[weakref]); }

  // --- the gc module ---------------------------------------------------------
  std::int64_t collect(int generation) override { return heap_->collect(generation); }
  void set_debug(bool saveall) override { heap_->set_debug(saveall ? Heap::kDebugSaveAll : 0); }
  // The entries are released in key order, last first, as the model does
  // (gc.garbage's own order is the collector's business): hold them, let the
  // heap empty gc.garbage, then drop the holds in that order.
  void clear_garbage() override {
    std::vector<std::pair<ObjectKey, Object*>> held;
    for (std::size_t i = 0; i < heap_->garbage_size(); ++i) {
      Object* o = heap_->garbage_get(i);
      hold(o);
      held.emplace_back(key_of(o), o);
    }
    heap_->clear_garbage();
    std::sort(held.begin(), held.end());
    for (auto it = held.rbegin(); it != held.rend(); ++it) heap_->decref(it->second);
  }
  void load_garbage(NameIndex dst, std::uint32_t index) override {
    const ObjectKey wanted = garbage()[index];
    for (std::size_t i = 0; i < heap_->garbage_size(); ++i) {
      Object* o = heap_->garbage_get(i);
      if (key_of(o) != wanted) continue;
      hold(o);
      store(dst, o);
      return;
    }
  }
  void set_threshold(int arity, std::array<std::int64_t, 3> values) override {
    heap_->set_threshold(arity, values);
  }
  void enable() override { heap_->enable(); }
  void disable() override { heap_->disable(); }
  void freeze() override { heap_->freeze(); }
  void unfreeze() override { heap_->unfreeze(); }

  // --- observation -----------------------------------------------------------
  std::optional<ObjectKey> binding(NameIndex name) override {
    if (names_[name] == nullptr) return std::nullopt;
    return key_of(names_[name]);
  }

  bool read_object(ObjectKey key, ObjectState& out) override {
    Object* o = pointer_of(key);
    if (o == nullptr) return false;
    describe(key, o, out);
    if (out.intact && Heap::is_tracked(o) && key.is_serial()) {
      place_moved_objects();
      out.generation = generation_[key.as_serial()];
    }
    return true;
  }

  // What read_object would say, without its walk of the generations.
  std::optional<std::size_t> slot_count(ObjectKey key) override {
    Object* o = pointer_of(key);
    // coverage: damage
    if (o == nullptr || !Heap::has_valid_type(o) || kind_of(o) != ObjectKind::Container) return std::nullopt;  // coverage: damage
    if (key.is_serial() && !payload_intact(key.as_serial(), Heap::payload(o))) return std::nullopt;  // coverage: damage
    return Heap::list_size(o);
  }

  void objects(std::vector<ObjectState>& out) override {
    read_all_generations();
    std::size_t n = 0;
    auto next = [&]() -> ObjectState& {
      if (n == out.size()) out.emplace_back();
      return out[n++];
    };
    // Small ints first (their keys are negative, int(256) lowest), then serials.
    for (std::int64_t v = kSmallIntMax; v >= kSmallIntMin; --v) {
      Object* o = small_ints_[v - kSmallIntMin];
      if (o != nullptr && o->refcount > 1) describe(ObjectKey::small_int(v), o, next());
    }
    for (Serial serial = 1; serial < by_serial_.size(); ++serial) {
      if (by_serial_[serial] == nullptr) continue;
      ObjectState& state = next();
      describe(ObjectKey::serial(serial), by_serial_[serial], state);
      // coverage: damage
      if (state.intact && Heap::is_tracked(by_serial_[serial])) state.generation = generation_[serial];  // coverage: damage
    }
    out.resize(n);
  }

  CollectorState collector_state() override {
    CollectorState s;
    s.count = heap_->get_count();
    s.threshold = heap_->get_threshold();
    s.enabled = heap_->is_enabled();
    const auto stats = heap_->get_stats();
    for (int g = 0; g < 3; ++g) s.stats[g] = {stats[g].collections, stats[g].collected, stats[g].uncollectable};
    s.freeze_count = static_cast<std::int64_t>(heap_->get_freeze_count());
    s.list_free_list = static_cast<std::int64_t>(heap_->stats().free_list_length);
    return s;
  }

  const std::vector<ObjectKey>& garbage() override {
    garbage_keys_.clear();
    for (std::size_t i = 0; i < heap_->garbage_size(); ++i) garbage_keys_.push_back(key_of(heap_->garbage_get(i)));
    std::sort(garbage_keys_.begin(), garbage_keys_.end());
    return garbage_keys_;
  }
  Serial next_serial() override { return highest_serial_ + 1; }

  void take_events(std::vector<Event>& out) override { hand_over(events_, out); }

  bool take_changed(std::vector<ObjectKey>& out) override {
    place_moved_objects();
    for (const ObjectKey key : changed_) {
      if (key.is_serial()) mark_[key.as_serial()] &= ~kChanged;
      else small_int_changed_[key.small_int_value() - kSmallIntMin] = false;
    }
    hand_over(changed_, out);
    return true;
  }

  std::string teardown() override {
    if (!heap_) return {};  // coverage: defensive
    for (NameIndex n = 0; n < names_.size(); ++n) store(n, nullptr);
    heap_->unfreeze();
    heap_->collect(2);
    std::string leftover;
    for (Serial serial = 1; serial < by_serial_.size(); ++serial)
      if (by_serial_[serial] != nullptr) leftover += " " + ObjectKey::serial(serial).to_string();
    if (!leftover.empty()) leftover = "objects still alive after teardown:" + leftover + "\n";
    heap_.reset();
    // What the run allocated goes with it, so that a fuzz target's run frees
    // as much as it allocates (libFuzzer rechecks any run that does not for
    // leaks, at great cost).
    bodies_.clear();
    const gcheap::AllocatorStats held = allocator_->stats();
    if (held.small_blocks_live != 0 || held.large_blocks_live != 0)  // coverage: damage
      leftover += "allocator still holds " + std::to_string(held.small_blocks_live) + " small blocks (" +
                  std::to_string(held.small_bytes_live) + " bytes) and " +
                  std::to_string(held.large_blocks_live) + " large blocks after the heap was destroyed\n";
    if (held.arenas_mapped != held.arenas_free)  // coverage: damage
      leftover += "allocator counts " + std::to_string(held.arenas_mapped - held.arenas_free) +
                  " arenas busy after the heap was destroyed\n";
    if (held.arena_mappings_live != held.arenas_mapped)  // coverage: damage
      leftover += "allocator holds " + std::to_string(held.arena_mappings_live) + " arena mappings but accounts for " +
                  std::to_string(held.arenas_mapped) + " arenas: a mapping was lost\n";
    allocator_clean_ = leftover.empty() && allocator_->reset();  // coverage: damage
    return leftover;
  }

 private:
  // Takes `serial` before the heap allocates: the allocation may run a
  // collection whose finalizers and callbacks allocate the serials after it.
  void reserve(Serial serial) { highest_serial_ = std::max(highest_serial_, serial); }

  // Runs `allocate` with `serial` reserved; on MemoryError the serial is
  // given back (nothing was made) and the error goes on to the caller.
  template <typename Allocate>
  Object* allocating(Serial serial, Allocate&& allocate) {
    const Serial before = highest_serial_;
    reserve(serial);
    try {
      return allocate();
    } catch (const std::bad_alloc&) {
      highest_serial_ = before;
      throw;
    }
  }

  // The steps on objects, for the steps on names and for bodies.
  void bind_to(NameIndex dst, Object* o) {
    hold(o);
    store(dst, o);
  }
  void append_to(Object* list, Object* item) {
    hold(item);
    heap_->list_append(list, item);
  }
  void set_slot_of(Object* list, std::size_t index, Object* item) {
    hold(item);
    heap_->list_set(list, index, item);
  }
  void remove_slot_of(Object* list, std::size_t index) { heap_->list_remove(list, index); }
  void clear_of(Object* list) { heap_->list_clear(list); }
  // As a call: the referent is held as the argument while the weakref is made
  // (the allocation may collect and run user code), and released after the
  // call while the result is held; then the result moves into dst.
  void new_weakref_to(NameIndex dst, Serial serial, Object* argument, const std::vector<Op>* callback) {
    hold(argument);
    Object* w;
    try {
      w = allocating(serial, [&] {
        return callback == nullptr ? heap_->new_weakref(argument, nullptr, nullptr)
                                   : heap_->new_weakref(argument, &HeapMachine::run_callback, keep(*callback));
      });
    } catch (const std::bad_alloc&) {
      heap_->decref(argument);  // the call's argument, as CPython drops it on error
      throw;
    }
    register_object(w, serial, 0);
    heap_->decref(argument);
    store(dst, w);
  }
  void deref_of(NameIndex dst, Object* weakref) {
    Object* referent = Heap::weakref_get(weakref);
    if (referent != nullptr) hold(referent);
    store(dst, referent);
  }

  // Registers a freshly allocated object under `serial`, stamps it, binds it.
  void adopt(NameIndex dst, Object* o, Serial serial, std::uint32_t payload) {
    register_object(o, serial, payload);
    store(dst, o);
  }

  void register_object(Object* o, Serial serial, std::uint32_t payload) {
    const gcheap::Kind kind = Heap::kind(o);
    if (kind == gcheap::Kind::List || kind == gcheap::Kind::Str) stamp(Heap::payload(o), serial);
    else unstamped_serials_[o] = serial;
    reserve(serial);
    if (by_serial_.size() <= serial) {
      by_serial_.resize(serial + 1, nullptr);
      payload_of_.resize(serial + 1, 0);
      generation_.resize(serial + 1, kUntracked);
      mark_.resize(serial + 1, 0);
    }
    by_serial_[serial] = o;
    payload_of_[serial] = payload;
    // The heap noted it before it had a key here.
    note(ObjectKey::serial(serial));
    if (Heap::is_tracked(o)) note_moved(ObjectKey::serial(serial));
  }

  // A new reference the adapter takes itself (Heap::incref tells no one).
  void hold(Object* o) {
    Heap::incref(o);
    note(key_of(o));
  }

  void note(ObjectKey key) {
    if (key.is_serial()) {
      if (key.as_serial() >= mark_.size() || (mark_[key.as_serial()] & kChanged)) return;  // coverage: defensive
      mark_[key.as_serial()] |= kChanged;
    } else if (key.raw != 0) {
      bool& changed = small_int_changed_[key.small_int_value() - kSmallIntMin];
      if (changed) return;
      changed = true;
    } else {
      return;  // not an object known here (yet)
    }
    changed_.push_back(key);
  }

  void note_moved(ObjectKey key) {
    note(key);
    if (!key.is_serial() || (mark_[key.as_serial()] & kMoved)) return;
    mark_[key.as_serial()] |= kMoved;
    moved_.push_back(key.as_serial());
  }

  static void on_change(void* context, Object* o, Heap::Change change) noexcept {
    auto* self = static_cast<HeapMachine*>(context);
    const ObjectKey key = self->registered_key_of(o);
    if (change == Heap::Change::List) self->note_moved(key);
    else self->note(key);
  }

  // Updates the generation cache for the objects that moved (see the top
  // of this file).
  void place_moved_objects() {
    if (moved_.empty()) return;
    std::size_t placed = 0;
    for (int g = 0; g <= gcheap::kPermanent; ++g)
      heap_->for_each_in_generation_from_end(g, [&](Object* o) {
        const ObjectKey key = registered_key_of(o);
        if (!key.is_serial() || !(mark_[key.as_serial()] & kMoved)) return false;  // coverage: defensive
        mark_[key.as_serial()] &= ~kMoved;
        generation_[key.as_serial()] = static_cast<std::int8_t>(g);
        ++placed;
        return true;
      });
    bool lost = false;
    for (const Serial serial : moved_) {
      if (!(mark_[serial] & kMoved)) continue;
      mark_[serial] &= ~kMoved;
      generation_[serial] = kUntracked;
      lost |= by_serial_[serial] != nullptr && Heap::is_tracked(by_serial_[serial]);  // coverage: damage
    }
    moved_.clear();
    if (lost) read_all_generations();  // coverage: damage
  }

  // The generation cache from a walk of every list.
  void read_all_generations() {
    for (const Serial serial : moved_) mark_[serial] &= ~kMoved;
    moved_.clear();
    std::fill(generation_.begin(), generation_.end(), static_cast<std::int8_t>(kUntracked));
    for (int g = 0; g <= gcheap::kPermanent; ++g)
      heap_->for_each_in_generation(g, [&](Object* o) {
        const ObjectKey key = key_of(o);
        if (key.is_serial()) generation_[key.as_serial()] = static_cast<std::int8_t>(g);  // coverage: defensive
      });
  }

  // Binds `dst` to `o` (already a new reference), then drops the old binding.
  void store(NameIndex dst, Object* o) {
    Object* old = names_[dst];
    names_[dst] = o;
    if (old != nullptr) heap_->decref(old);
  }

  // The key of the object at `o`, or the unknown key {} when `o` is not an
  // object this adapter knows to be alive there.
  ObjectKey key_of(Object* o) const {
    // coverage: damage
    if (const ObjectKey key = registered_key_of(o); key.raw != 0 || !Heap::has_valid_type(o)) return key;  // coverage: damage
    // A damaged stamp: find the handle the slow way, so the report can name
    // the object whose stamp is damaged. Never taken while the heap is right.
    for (Serial s = 1; s < by_serial_.size(); ++s)  // coverage: damage
      if (by_serial_[s] == o) return ObjectKey::serial(s);
    return {};
  }

  // key_of without the slow way: {} also for an object not registered yet.
  ObjectKey registered_key_of(Object* o) const {
    if (!Heap::has_valid_type(o)) return {};  // coverage: damage
    if (Heap::kind(o) == gcheap::Kind::Int || Heap::kind(o) == gcheap::Kind::Weakref) {
      if (Heap::kind(o) == gcheap::Kind::Int) {
        const std::int64_t v = Heap::int_value(o);
        if (is_small_int(v)) return small_ints_[v - kSmallIntMin] == o ? ObjectKey::small_int(v) : ObjectKey{};  // coverage: damage
      }
      const auto it = unstamped_serials_.find(o);
      return it == unstamped_serials_.end() ? ObjectKey{} : ObjectKey::serial(it->second);
    }
    const std::span<std::byte> payload = Heap::payload(o);
    std::uint64_t word = 0;
    if (payload.size() >= kStampBytes) std::memcpy(&word, payload.data(), kStampBytes);  // coverage: defensive
    const std::uint64_t serial = word & 0xffff'ffffu;
    // coverage: damage
    if ((word & ~std::uint64_t{0xffff'ffffu}) == kStampMagic && serial < by_serial_.size() && by_serial_[serial] == o)  // coverage: damage
      return ObjectKey::serial(static_cast<Serial>(serial));
    return {};
  }

  Object* pointer_of(ObjectKey key) const {
    if (key.is_serial()) return key.as_serial() < by_serial_.size() ? by_serial_[key.as_serial()] : nullptr;  // coverage: defensive
    if (key.raw == 0) return nullptr;  // coverage: defensive
    return small_ints_[key.small_int_value() - kSmallIntMin];
  }

  // The state of the object behind a handle, written into `s` in place. A
  // stale handle is followed only as far as it checks out: a bad type word or
  // payload size ends the description with the object marked damaged.
  void describe(ObjectKey key, Object* o, ObjectState& s) const {
    s.key = key;
    s.refcount = o->refcount;
    s.kind = ObjectKind::Container;
    s.generation = kUntracked;
    s.payload = 0;
    s.int_value = 0;
    s.slots.clear();
    s.intact = Heap::has_valid_type(o);
    if (!s.intact) return;  // coverage: damage
    s.kind = kind_of(o);
    s.referent = {};
    s.has_finalizer = finalizer_of_.count(o) != 0;
    s.finalized = Heap::is_finalized(o);
    if (s.kind == ObjectKind::Int) {
      s.int_value = Heap::int_value(o);
      return;
    }
    if (s.kind == ObjectKind::Weakref) {
      if (Object* referent = Heap::weakref_get(o)) s.referent = key_of(referent);
      return;
    }
    const std::span<std::byte> payload = Heap::payload(o);
    s.payload = static_cast<std::uint32_t>(payload.size());
    if (key.is_serial()) {
      s.intact = payload_intact(key.as_serial(), payload);
      if (!s.intact) return;  // coverage: damage
    }
    if (s.kind != ObjectKind::Container) return;
    const std::size_t n = Heap::list_size(o);
    for (std::size_t i = 0; i < n; ++i) s.slots.push_back(key_of(Heap::list_get(o, i)));
  }

  // The payload of `serial` is the size it was made with and still stamped.
  bool payload_intact(Serial serial, std::span<const std::byte> payload) const {
    return payload.size() == payload_of_[serial] && stamp_intact(payload, serial);  // coverage: damage
  }

  Body* keep(const std::vector<Op>& ops) {
    bodies_.push_back(std::make_unique<Body>(Body{this, ops}));
    return bodies_.back().get();
  }

  static void run_finalizer(void* context, Heap&, Object* self) noexcept {
    const auto* body = static_cast<const Body*>(context);
    body->machine->events_.push_back({Event::Type::Finalized, body->machine->key_of(self)});
    body->machine->run_body(body->ops, self);
  }
  static void run_callback(void* context, Heap&, Object* weakref) noexcept {
    const auto* body = static_cast<const Body*>(context);
    body->machine->events_.push_back({Event::Type::CallbackRan, body->machine->key_of(weakref)});
    body->machine->run_body(body->ops, weakref);
  }

  // What gcverify/effects.h reads a body's operands with, besides the steps.
  // `self` is borrowed from the heap while a body runs.
  template <typename Adapter, typename Object>
  friend void gcv::run_body(Adapter& machine, const std::vector<Op>& body, Object self);
  template <typename Adapter, typename Object>
  friend void gcv::run_body_operation(Adapter& machine, const Op& op, Object self);
  bool named(NameIndex n) const { return n < names_.size(); }
  Object* bound(NameIndex n) const { return named(n) ? names_[n] : nullptr; }  // coverage: defensive
  static bool is_list(Object* o) { return o != nullptr && Heap::kind(o) == gcheap::Kind::List; }
  static bool is_weakref(Object* o) { return o != nullptr && Heap::kind(o) == gcheap::Kind::Weakref; }
  static std::size_t list_size(Object* list) { return Heap::list_size(list); }
  static Object* list_get(Object* list, std::size_t i) { return Heap::list_get(list, i); }
  void run_body(const std::vector<Op>& body, Object* self) { gcv::run_body(*this, body, self); }
  void skipped_for_memory(Object* self, std::uint32_t index) { failed_effects_.push_back({key_of(self), index}); }

  static void on_free(void* context, Object* dying) noexcept {
    auto* self = static_cast<HeapMachine*>(context);
    const ObjectKey key = self->key_of(dying);
    self->note(key);
    if (key.is_serial()) self->by_serial_[key.as_serial()] = nullptr;  // coverage: defensive
    self->unstamped_serials_.erase(dying);
    self->finalizer_of_.erase(dying);
    self->events_.push_back({Event::Type::Freed, key});
  }

  static void on_collection(void* context, gcheap::CollectionPhase phase, const gcheap::CollectionInfo& info) noexcept {
    auto* self = static_cast<HeapMachine*>(context);
    const bool start = phase == gcheap::CollectionPhase::Start;
    self->events_.push_back({start ? Event::Type::CollectionStart : Event::Type::CollectionStop, ObjectKey{},
                             info.generation, info.collected, info.uncollectable});
  }

  // The heap's settings for the profile's rules.
  Heap::Config heap_config() const {
    const Profile& p = options_.profile != nullptr ? *options_.profile : profile();
    return {.thresholds = {p.threshold0, 10, 10},
            .deferred_automatic_collection = p.automatic == AutomaticCollection::AtEvalBreaker,
            .resurrection_keeps_the_batch = p.resurrection == Resurrection::BlocksBatch,
            .weakref_clearing = p.weakref_clearing == WeakrefClearing::StripsBasic
                                    ? Heap::Config::WeakrefClearing::StripsBasic
                                    : Heap::Config::WeakrefClearing::StripsTwo,
            .tuple_free_list_sizes = p.tuple_free_list_sizes,
            .trashcan = p.trashcan == TrashcanRule::CRecursion ? Heap::Config::Trashcan::CRecursion
                                                               : Heap::Config::Trashcan::NestedDeaths};
  }

  HeapMachineOptions options_;
  std::unique_ptr<gcheap::Allocator> allocator_;
  bool allocator_clean_ = false;  // reset after a clean teardown: the next run reuses it
  // Declared after allocator_, so destroyed first; unmapping the allocator's
  // arenas then frees whatever a failed run left alive.
  std::unique_ptr<Heap> heap_;
  std::vector<Object*> names_;
  std::vector<Object*> by_serial_;          // serial -> live object, nullptr once freed
  std::vector<std::uint32_t> payload_of_;   // serial -> payload bytes requested
  std::array<Object*, kSmallIntMax - kSmallIntMin + 1> small_ints_{};  // the shared ints seen
  // Objects without a payload to stamp: ints outside the small range, weakrefs.
  std::unordered_map<const Object*, Serial> unstamped_serials_;
  Serial highest_serial_ = 0;
  std::vector<std::unique_ptr<Body>> bodies_;
  std::unordered_map<const Object*, const Body*> finalizer_of_;  // objects given a __del__
  // serial -> generation as last read off the lists (see the top of this file)
  std::vector<std::int8_t> generation_;
  static constexpr std::uint8_t kChanged = 1, kMoved = 2;
  std::vector<std::uint8_t> mark_;                           // serial -> kChanged | kMoved
  std::array<bool, kSmallIntMax - kSmallIntMin + 1> small_int_changed_{};
  std::vector<ObjectKey> changed_;                           // for take_changed
  std::vector<Serial> moved_;                                // to place in the lists
  std::vector<Event> events_;
  std::vector<FailedEffect> failed_effects_;                 // body operations skipped for MemoryError
  std::vector<ObjectKey> garbage_keys_;                      // what garbage() returns
};

}  // namespace

std::unique_ptr<Machine> make_heap_machine(const HeapMachineOptions& options) {
  return std::make_unique<HeapMachine>(options);
}

gcheap::Heap* heap_machine_heap(Machine& machine) {  // coverage: not-in-language
  auto* heap_machine = dynamic_cast<HeapMachine*>(&machine);
  return heap_machine ? heap_machine->heap() : nullptr;
}

gcheap::Object* heap_machine_object(Machine& machine, ObjectKey key) {
  auto* heap_machine = dynamic_cast<HeapMachine*>(&machine);
  return heap_machine ? heap_machine->live_object(key) : nullptr;  // coverage: not-in-language
}

}  // namespace gcv
