// The minheap adapter (minheap_machine.h): each name is a root slot of the
// heap, each object's tag is its serial, and the heap's hooks report frees
// and collections as the executor's events.
//
// Exactness: a refcount is what minheap counts (root slots plus list items);
// the adapter takes no reference of its own. A list's items are named by the
// serial of the object they point to, looked up among the live objects: an
// item that points at freed memory (a premature free) reads as an object the
// machine cannot name, never as a read of that memory.
#include "minheap_machine.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "minheap/heap.h"

namespace minheap {
namespace {

using gcv::ObjectKey;

class MinheapMachine final : public gcv::Machine {
 public:
  std::string_view name() const override { return "minheap"; }
  gcv::Capabilities capabilities() const override { return machine_capabilities(); }

  void reset(std::size_t name_count) override {
    heap_.reset();  // its destructor calls no hook
    live_.clear();
    serial_of_.clear();
    events_.clear();
    changed_.clear();
    changes_unknown_ = false;
    highest_serial_ = 0;
    heap_ = std::make_unique<Heap>(name_count);
    heap_->set_hooks({.on_free = [this](const Object& o) { freed(o); },
                      .on_collection_start = [this] { events_.push_back({.type = gcv::Event::Type::CollectionStart, .generation = 2}); },
                      .on_collection_stop = [this](std::int64_t collected) {
                        events_.push_back({.type = gcv::Event::Type::CollectionStop, .generation = 2, .collected = collected});
                      }});
  }

  // --- steps: what a step touches is recorded before it runs (take_changed) ---
  void new_container(gcv::NameIndex dst, gcv::Serial serial, std::uint32_t payload) override {
    bind_new(dst, serial, heap_->new_list(payload));
  }
  void new_str(gcv::NameIndex dst, gcv::Serial serial, std::uint32_t payload) override {
    bind_new(dst, serial, heap_->new_str(payload));
  }
  void new_int(gcv::NameIndex dst, gcv::Serial serial, std::int64_t value) override {
    bind_new(dst, serial, heap_->new_int(value));  // no small ints: every int has a serial
  }
  void bind(gcv::NameIndex dst, gcv::NameIndex src) override { set_root(dst, heap_->root(src)); }
  void load_slot(gcv::NameIndex dst, gcv::NameIndex container, std::uint32_t index) override {
    set_root(dst, heap_->root(container)->item(index));
  }
  void unbind(gcv::NameIndex name) override {
    touch(heap_->root(name));
    heap_->unbind(name);
  }
  void append(gcv::NameIndex container, gcv::NameIndex item) override {
    touch(heap_->root(container));
    touch(heap_->root(item));
    heap_->append(heap_->root(container), heap_->root(item));
  }
  void set_slot(gcv::NameIndex container, std::uint32_t index, gcv::NameIndex item) override {
    Object* list = heap_->root(container);
    touch(list);
    touch(list->item(index));
    touch(heap_->root(item));
    heap_->set_item(list, index, heap_->root(item));
  }
  void remove_slot(gcv::NameIndex container, std::uint32_t index) override {
    Object* list = heap_->root(container);
    touch(list);
    touch(list->item(index));
    heap_->remove_item(list, index);
  }
  void clear_list(gcv::NameIndex container) override {
    Object* list = heap_->root(container);
    touch(list);
    for (std::size_t i = 0; i < list->size(); ++i) touch(list->item(i));
    heap_->clear(list);
  }
  // Without generations every collection is full: `generation` is always 2.
  std::int64_t collect(int) override {
    changes_unknown_ = true;  // a collection may change any list
    return heap_->collect();
  }

  // --- observation ---
  std::optional<ObjectKey> binding(gcv::NameIndex name) override {
    const Object* object = heap_->root(name);
    if (object == nullptr) return std::nullopt;
    return key_of(object);
  }
  bool read_object(ObjectKey key, gcv::ObjectState& out) override {
    const auto found = key.is_serial() ? live_.find(key.as_serial()) : live_.end();
    if (found == live_.end()) return false;
    describe(*found->second, out);
    return true;
  }
  std::optional<std::size_t> slot_count(ObjectKey key) override {
    const auto found = key.is_serial() ? live_.find(key.as_serial()) : live_.end();
    if (found == live_.end() || found->second->kind() != Kind::List) return std::nullopt;
    return found->second->size();
  }
  void objects(std::vector<gcv::ObjectState>& out) override {
    out.resize(heap_->live_objects());
    std::size_t i = 0;
    heap_->for_each_live_object([&](const Object& object) { describe(object, out[i++]); });
    std::sort(out.begin(), out.end(), [](const gcv::ObjectState& a, const gcv::ObjectState& b) { return a.key < b.key; });
  }
  // Only the statistics: the rest is generations' (not compared here).
  gcv::CollectorState collector_state() override {
    gcv::CollectorState state;
    state.stats[2] = {.collections = heap_->collections(), .collected = heap_->collected(), .uncollectable = 0};
    return state;
  }
  const std::vector<ObjectKey>& garbage() override { return no_garbage_; }
  // Nothing allocates inside minheap (it runs no user code): the next serial
  // is one past the highest the executor gave.
  gcv::Serial next_serial() override { return highest_serial_ + 1; }
  void take_events(std::vector<gcv::Event>& out) override { gcv::hand_over(events_, out); }
  // What the step touched and what it freed; unknown after a collection or
  // when a list died (a cascade drops references of objects that survive it).
  bool take_changed(std::vector<ObjectKey>& out) override {
    if (std::exchange(changes_unknown_, false)) {
      changed_.clear();
      return false;
    }
    gcv::hand_over(changed_, out);
    return true;
  }

  std::string teardown() override {
    const std::size_t leaked = heap_->teardown();
    std::string left;
    if (leaked != 0) {
      left = std::to_string(leaked) + " objects still allocated:";
      heap_->for_each_live_object([&](const Object& o) { left += " #" + std::to_string(o.tag()); });
    }
    heap_.reset();
    live_.clear();
    serial_of_.clear();
    return left;
  }

 private:
  void bind_new(gcv::NameIndex dst, gcv::Serial serial, Object* object) {
    object->set_tag(serial);
    highest_serial_ = std::max(highest_serial_, serial);
    live_.emplace(serial, object);
    serial_of_.emplace(object, serial);
    changed_.push_back(ObjectKey::serial(serial));
    touch(heap_->root(dst));
    heap_->bind(dst, object);
  }
  void set_root(gcv::NameIndex dst, Object* object) {
    touch(object);
    touch(heap_->root(dst));
    heap_->set_root(dst, object);
  }
  void touch(const Object* object) {
    if (object != nullptr) changed_.push_back(key_of(object));
  }
  void freed(const Object& object) {
    live_.erase(object.tag());
    serial_of_.erase(&object);
    events_.push_back({.type = gcv::Event::Type::Freed, .key = ObjectKey::serial(object.tag())});
    changed_.push_back(ObjectKey::serial(object.tag()));
    if (object.kind() == Kind::List) changes_unknown_ = true;
  }
  // The key of a live object; {} (an object the machine cannot name) for a
  // pointer to anything else, such as a freed object.
  ObjectKey key_of(const Object* object) const {
    const auto found = serial_of_.find(object);
    return found != serial_of_.end() ? ObjectKey::serial(found->second) : ObjectKey{};
  }
  void describe(const Object& object, gcv::ObjectState& out) const {
    out.key = ObjectKey::serial(object.tag());
    out.refcount = object.refcount();
    out.payload = object.payload_size();
    out.int_value = object.int_value();
    out.slots.clear();
    switch (object.kind()) {
      case Kind::List:
        out.kind = gcv::ObjectKind::Container;
        out.generation = 0;  // tracked: the collector may free it
        for (std::size_t i = 0; i < object.size(); ++i) out.slots.push_back(key_of(object.item(i)));
        break;
      case Kind::Str: out.kind = gcv::ObjectKind::Str, out.generation = gcv::kUntracked; break;
      case Kind::Int: out.kind = gcv::ObjectKind::Int, out.generation = gcv::kUntracked; break;
    }
  }

  std::unique_ptr<Heap> heap_;
  std::unordered_map<gcv::Serial, Object*> live_;           // what read_object reads
  std::unordered_map<const Object*, gcv::Serial> serial_of_;  // what an item or a root points at
  std::vector<gcv::Event> events_;
  std::vector<ObjectKey> changed_;
  bool changes_unknown_ = false;
  gcv::Serial highest_serial_ = 0;
  const std::vector<ObjectKey> no_garbage_;
};

}  // namespace

gcv::Capabilities machine_capabilities() { return gcv::Capabilities().with(gcv::Capability::ContainerPayload); }

std::unique_ptr<gcv::Machine> make_machine() { return std::make_unique<MinheapMachine>(); }

}  // namespace minheap
