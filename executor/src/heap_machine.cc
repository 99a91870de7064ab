// HeapMachine: gcheap behind the Machine interface (see heap_machine.h).
//
// Handles. The adapter knows each object it created by pointer and by key: a
// table indexed by serial gives the pointer, and a hash map gives the key of a
// pointer found in a list slot. A slot holding a pointer the adapter does not
// know (its object was freed) reads as an unknown key, which the executor
// reports as a divergence. The payload stamp catches the case the free hook
// cannot: a block freed without the hook and handed out again.
#include "gcverify/heap_machine.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "gcheap/heap.h"

namespace gcv {
namespace {

using gcheap::Heap;
using gcheap::Object;

constexpr std::uint64_t kStampMagic = 0x9c5a'11fe'0000'0000ull;

std::byte pattern_byte(Serial serial, std::size_t i) {
  return static_cast<std::byte>((serial * 131u + i * 7u) & 0xffu);
}

// Writes the serial and the serial-derived pattern into a payload.
void stamp(std::span<std::byte> payload, Serial serial) {
  const std::uint64_t word = kStampMagic | serial;
  std::memcpy(payload.data(), &word, sizeof word);
  for (std::size_t i = sizeof word; i < payload.size(); ++i) payload[i] = pattern_byte(serial, i);
}

bool stamp_intact(std::span<const std::byte> payload, Serial serial) {
  std::uint64_t word;
  std::memcpy(&word, payload.data(), sizeof word);
  if (word != (kStampMagic | serial)) return false;
  for (std::size_t i = sizeof word; i < payload.size(); ++i)
    if (payload[i] != pattern_byte(serial, i)) return false;
  return true;
}

ObjectKind kind_of(const Object* o) {
  switch (Heap::kind(o)) {
    case gcheap::Kind::List: return ObjectKind::Container;
    case gcheap::Kind::Str: return ObjectKind::Str;
    case gcheap::Kind::Int: return ObjectKind::Int;
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
    keys_.clear();
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
      keys_.try_emplace(o, ObjectKey::small_int(value));
      store(dst, o);
    } else {
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

  std::optional<ObjectState> object(ObjectKey key) override {
    Object* o = pointer_of(key);
    if (o == nullptr) return std::nullopt;
    ObjectState state = describe(key, o);
    if (Heap::is_tracked(o)) state.generation = generation_of(o);
    return state;
  }

  void objects(std::vector<ObjectState>& out) override {
    out.clear();
    std::unordered_map<const Object*, int> generations;
    for (int g = 0; g <= gcheap::kPermanent; ++g)
      heap_->for_each_in_generation(g, [&](Object* o) { generations.emplace(o, g); });
    for (const auto& [o, key] : keys_) {
      if (!key.is_serial() && o->refcount <= 1) continue;  // small int held by the cache only
      ObjectState state = describe(key, o);
      if (auto it = generations.find(o); it != generations.end()) state.generation = it->second;
      out.push_back(std::move(state));
    }
    std::sort(out.begin(), out.end(), [](const ObjectState& a, const ObjectState& b) { return a.key < b.key; });
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
    for (const auto& [o, key] : keys_)
      if (key.is_serial()) leftover += " " + key.to_string();
    if (!leftover.empty()) leftover = "objects still alive after teardown:" + leftover + "\n";
    heap_.reset();
    keys_.clear();
    const gcheap::AllocatorStats held = allocator_->stats();
    if (held.small_blocks_live != 0 || held.large_blocks_live != 0)
      leftover += "allocator still holds " + std::to_string(held.small_blocks_live) + " small blocks (" +
                  std::to_string(held.small_bytes_live) + " bytes) and " +
                  std::to_string(held.large_blocks_live) + " large blocks after the heap was destroyed\n";
    allocator_->release_reserve();
    if (const std::size_t mapped = allocator_->stats().arenas_mapped; mapped != 0)
      leftover += "allocator still maps " + std::to_string(mapped) + " arenas after teardown\n";
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
    keys_[o] = ObjectKey::serial(serial);
    store(dst, o);
  }

  // Binds `dst` to `o` (already a new reference), then drops the old binding.
  void store(NameIndex dst, Object* o) {
    Object* old = names_[dst];
    names_[dst] = o;
    if (old != nullptr) heap_->decref(old);
  }

  ObjectKey key_of(Object* o) const {
    auto it = keys_.find(o);
    return it == keys_.end() ? ObjectKey{} : it->second;  // {} reads as "unknown object"
  }

  Object* pointer_of(ObjectKey key) const {
    if (key.is_serial()) return key.as_serial() < by_serial_.size() ? by_serial_[key.as_serial()] : nullptr;
    for (const auto& [o, k] : keys_)
      if (k == key) return o->refcount > 1 ? o : nullptr;
    return nullptr;
  }

  // The state of the object behind a handle. A stale handle is followed only
  // as far as it checks out: a bad type word or payload size ends the
  // description with the object marked damaged.
  ObjectState describe(ObjectKey key, Object* o) const {
    ObjectState s;
    s.key = key;
    s.refcount = o->refcount;
    if (!Heap::has_valid_type(o)) {
      s.intact = false;
      return s;
    }
    s.kind = kind_of(o);
    if (s.kind == ObjectKind::Int) {
      s.int_value = Heap::int_value(o);
    } else {
      const std::span<std::byte> payload = Heap::payload(o);
      s.payload = static_cast<std::uint32_t>(payload.size());
      if (key.is_serial() && payload.size() != payload_of_[key.as_serial()]) {
        s.intact = false;
        return s;
      }
      s.intact = !key.is_serial() || stamp_intact(payload, key.as_serial());
      if (!s.intact) return s;
    }
    if (s.kind == ObjectKind::Container) {
      const std::size_t n = Heap::list_size(o);
      s.slots.reserve(n);
      for (std::size_t i = 0; i < n; ++i) s.slots.push_back(key_of(Heap::list_get(o, i)));
    }
    return s;
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
    auto it = self->keys_.find(dying);
    const ObjectKey key = it == self->keys_.end() ? ObjectKey{} : it->second;
    if (it != self->keys_.end()) self->keys_.erase(it);
    if (key.is_serial()) self->by_serial_[key.as_serial()] = nullptr;
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
  std::vector<Object*> by_serial_;  // serial -> live object, nullptr once freed
  std::vector<std::uint32_t> payload_of_;  // serial -> payload bytes requested
  std::unordered_map<Object*, ObjectKey> keys_;
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
