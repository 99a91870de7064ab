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
// Nothing here allocates per operation once its tables have grown.
#include "gcverify/heap_machine.h"

#include <array>
#include <cstring>
#include <unordered_map>

#include "gcheap/heap.h"

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
  if (head != stamp_word(serial)) return false;
  if (payload.size() < 2 * kStampBytes) return true;
  std::memcpy(&tail, payload.data() + payload.size() - kStampBytes, kStampBytes);
  return tail == stamp_word(serial);
}

ObjectKind kind_of(const Object* o) {
  switch (Heap::kind(o)) {
    case gcheap::Kind::List: return ObjectKind::Container;
    case gcheap::Kind::Str: return ObjectKind::Str;
    case gcheap::Kind::Int: return ObjectKind::Int;
    case gcheap::Kind::Weakref: break;  // the language makes none yet
  }
  return ObjectKind::Int;
}

bool is_small_int(std::int64_t v) { return v >= kSmallIntMin && v <= kSmallIntMax; }

class HeapMachine final : public Machine {
 public:
  explicit HeapMachine(const HeapMachineOptions& options) : options_(options) {}

  std::string_view name() const override { return "gcheap"; }
  Heap* heap() { return heap_.get(); }
  Object* live_object(ObjectKey key) const { return pointer_of(key); }

  void reset(std::size_t name_count) override {
    heap_.reset();
    allocator_ = std::make_unique<gcheap::Allocator>(
        gcheap::Allocator::Options{options_.geometry, options_.debug_fill});
    heap_ = std::make_unique<Heap>(*allocator_);
    heap_->set_free_hook(&HeapMachine::on_free, this);
    heap_->add_callback(&HeapMachine::on_collection, this);
    names_.assign(name_count, nullptr);
    by_serial_.assign(1, nullptr);
    payload_of_.assign(1, 0);
    small_ints_.fill(nullptr);
    int_serials_.clear();
    events_.clear();
  }

  // --- mutator steps ---------------------------------------------------------
  void new_container(NameIndex dst, Serial serial, std::uint32_t payload) override {
    adopt(dst, heap_->new_list(payload), serial, payload);
  }
  void new_str(NameIndex dst, Serial serial, std::uint32_t payload) override {
    adopt(dst, heap_->new_str(payload), serial, payload);
  }
  void new_int(NameIndex dst, Serial serial, std::int64_t value) override {
    Object* o = heap_->new_int(value);
    if (is_small_int(value)) {
      small_ints_[value - kSmallIntMin] = o;
      store(dst, o);
    } else {
      int_serials_[o] = serial;
      adopt(dst, o, serial, 0);
    }
  }
  void bind(NameIndex dst, NameIndex src) override {
    Heap::incref(names_[src]);
    store(dst, names_[src]);
  }
  void load_slot(NameIndex dst, NameIndex container, std::uint32_t index) override {
    Object* item = Heap::list_get(names_[container], index);
    Heap::incref(item);
    store(dst, item);
  }
  void unbind(NameIndex name) override { store(name, nullptr); }
  void append(NameIndex container, NameIndex item) override {
    Heap::incref(names_[item]);
    heap_->list_append(names_[container], names_[item]);
  }
  void set_slot(NameIndex container, std::uint32_t index, NameIndex item) override {
    Heap::incref(names_[item]);
    heap_->list_set(names_[container], index, names_[item]);
  }
  void remove_slot(NameIndex container, std::uint32_t index) override {
    heap_->list_remove(names_[container], index);
  }

  // --- the gc module ---------------------------------------------------------
  std::int64_t collect(int generation) override { return heap_->collect(generation); }
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
    if (out.intact && Heap::is_tracked(o)) out.generation = generation_of(o);
    return true;
  }

  void objects(std::vector<ObjectState>& out) override {
    generation_of_serial_.assign(by_serial_.size(), kUntracked);
    for (int g = 0; g <= gcheap::kPermanent; ++g)
      heap_->for_each_in_generation(g, [&](Object* o) {
        const ObjectKey key = key_of(o);
        if (key.is_serial()) generation_of_serial_[key.as_serial()] = static_cast<std::int8_t>(g);
      });
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
      if (state.intact && state.kind == ObjectKind::Container) state.generation = generation_of_serial_[serial];
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
    return s;
  }

  void take_events(std::vector<Event>& out) override {
    out.insert(out.end(), events_.begin(), events_.end());
    events_.clear();
  }

  std::string teardown() override {
    if (!heap_) return {};
    for (NameIndex n = 0; n < names_.size(); ++n) store(n, nullptr);
    heap_->unfreeze();
    heap_->collect(2);
    std::string leftover;
    for (Serial serial = 1; serial < by_serial_.size(); ++serial)
      if (by_serial_[serial] != nullptr) leftover += " " + ObjectKey::serial(serial).to_string();
    if (!leftover.empty()) leftover = "objects still alive after teardown:" + leftover + "\n";
    heap_.reset();
    const gcheap::AllocatorStats held = allocator_->stats();
    if (held.small_blocks_live != 0 || held.large_blocks_live != 0)
      leftover += "allocator still holds " + std::to_string(held.small_blocks_live) + " small blocks (" +
                  std::to_string(held.small_bytes_live) + " bytes) and " +
                  std::to_string(held.large_blocks_live) + " large blocks after the heap was destroyed\n";
    allocator_->release_reserve();
    if (const std::size_t mapped = allocator_->stats().arenas_mapped; mapped != 0)
      leftover += "allocator still maps " + std::to_string(mapped) + " arenas after teardown\n";
    allocator_.reset();  // a run allocates and frees its own allocator: no growth between runs
    return leftover;
  }

 private:
  // Registers a freshly allocated object under `serial`, stamps it, binds it.
  void adopt(NameIndex dst, Object* o, Serial serial, std::uint32_t payload) {
    if (Heap::kind(o) != gcheap::Kind::Int) stamp(Heap::payload(o), serial);
    if (by_serial_.size() <= serial) {
      by_serial_.resize(serial + 1, nullptr);
      payload_of_.resize(serial + 1, 0);
    }
    by_serial_[serial] = o;
    payload_of_[serial] = payload;
    store(dst, o);
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
    if (!Heap::has_valid_type(o)) return {};
    if (Heap::kind(o) == gcheap::Kind::Int) {
      const std::int64_t v = Heap::int_value(o);
      if (is_small_int(v)) return small_ints_[v - kSmallIntMin] == o ? ObjectKey::small_int(v) : ObjectKey{};
      const auto it = int_serials_.find(o);
      return it == int_serials_.end() ? ObjectKey{} : ObjectKey::serial(it->second);
    }
    const std::span<std::byte> payload = Heap::payload(o);
    std::uint64_t word = 0;
    if (payload.size() >= kStampBytes) std::memcpy(&word, payload.data(), kStampBytes);
    const std::uint64_t serial = word & 0xffff'ffffu;
    if ((word & ~std::uint64_t{0xffff'ffffu}) == kStampMagic && serial < by_serial_.size() && by_serial_[serial] == o)
      return ObjectKey::serial(static_cast<Serial>(serial));
    // A damaged stamp: find the handle the slow way, so the report can name
    // the object whose stamp is damaged. Never taken while the heap is right.
    for (Serial s = 1; s < by_serial_.size(); ++s)
      if (by_serial_[s] == o) return ObjectKey::serial(s);
    return {};
  }

  Object* pointer_of(ObjectKey key) const {
    if (key.is_serial()) return key.as_serial() < by_serial_.size() ? by_serial_[key.as_serial()] : nullptr;
    if (key.raw == 0) return nullptr;
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
    if (!s.intact) return;
    s.kind = kind_of(o);
    if (s.kind == ObjectKind::Int) {
      s.int_value = Heap::int_value(o);
      return;
    }
    const std::span<std::byte> payload = Heap::payload(o);
    s.payload = static_cast<std::uint32_t>(payload.size());
    if (key.is_serial()) {
      s.intact = payload.size() == payload_of_[key.as_serial()] && stamp_intact(payload, key.as_serial());
      if (!s.intact) return;
    }
    if (s.kind != ObjectKind::Container) return;
    const std::size_t n = Heap::list_size(o);
    for (std::size_t i = 0; i < n; ++i) s.slots.push_back(key_of(Heap::list_get(o, i)));
  }

  int generation_of(const Object* target) const {
    int found = kUntracked;
    for (int g = 0; g <= gcheap::kPermanent && found == kUntracked; ++g)
      heap_->for_each_in_generation(g, [&](Object* o) {
        if (o == target) found = g;
      });
    return found;
  }

  static void on_free(void* context, Object* dying) {
    auto* self = static_cast<HeapMachine*>(context);
    const ObjectKey key = self->key_of(dying);
    if (key.is_serial()) self->by_serial_[key.as_serial()] = nullptr;
    if (Heap::has_valid_type(dying) && Heap::kind(dying) == gcheap::Kind::Int) self->int_serials_.erase(dying);
    self->events_.push_back({Event::Type::Freed, key});
  }

  static void on_collection(void* context, gcheap::CollectionPhase phase, const gcheap::CollectionInfo& info) {
    auto* self = static_cast<HeapMachine*>(context);
    const bool start = phase == gcheap::CollectionPhase::Start;
    self->events_.push_back({start ? Event::Type::CollectionStart : Event::Type::CollectionStop, ObjectKey{},
                             info.generation, info.collected, info.uncollectable});
  }

  HeapMachineOptions options_;
  std::unique_ptr<gcheap::Allocator> allocator_;
  // Declared after allocator_, so destroyed first; unmapping the allocator's
  // arenas then frees whatever a failed run left alive.
  std::unique_ptr<Heap> heap_;
  std::vector<Object*> names_;
  std::vector<Object*> by_serial_;          // serial -> live object, nullptr once freed
  std::vector<std::uint32_t> payload_of_;   // serial -> payload bytes requested
  std::array<Object*, kSmallIntMax - kSmallIntMin + 1> small_ints_{};  // the shared ints seen
  std::unordered_map<const Object*, Serial> int_serials_;  // ints outside the small range
  std::vector<std::int8_t> generation_of_serial_;            // scratch for objects()
  std::vector<Event> events_;
};

}  // namespace

std::unique_ptr<Machine> make_heap_machine(const HeapMachineOptions& options) {
  return std::make_unique<HeapMachine>(options);
}

gcheap::Heap* heap_machine_heap(Machine& machine) {
  auto* heap_machine = dynamic_cast<HeapMachine*>(&machine);
  return heap_machine ? heap_machine->heap() : nullptr;
}

gcheap::Object* heap_machine_object(Machine& machine, ObjectKey key) {
  auto* heap_machine = dynamic_cast<HeapMachine*>(&machine);
  return heap_machine ? heap_machine->live_object(key) : nullptr;
}

}  // namespace gcv
