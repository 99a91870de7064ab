// The reference model's state, shared by its two halves:
//   model.cc      the object store, the mutator's steps, reference counting
//                 and observation;
//   collector.cc  the gc module: counts, thresholds, automatic and explicit
//                 collections, freeze.
// See gcverify/model.h for what the model promises.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gcverify/machine.h"

namespace gcv {

// One allocated object: what CPython's object header and body hold.
struct ModelObject {
  ObjectKind kind = ObjectKind::Container;
  std::uint32_t payload = 0;
  std::int64_t int_value = 0;
  std::vector<ObjectKey> slots;  // containers only
  std::int64_t refcount = 0;
  int generation = kUntracked;  // 0..2, kPermanentGeneration, or kUntracked
  bool alive = false;
};

// The gc module's own state (CPython's GCState).
struct GcModuleState {
  std::array<std::int64_t, 3> count{};
  std::array<std::int64_t, 3> threshold{700, 10, 10};
  bool enabled = true;
  bool collecting = false;
  std::int64_t long_lived_total = 0;    // survivors of the last full collection
  std::int64_t long_lived_pending = 0;  // moved into generation 2 since then
  std::int64_t permanent_count = 0;     // live objects in the permanent generation
  std::array<GcStats, 3> stats{};
};

class ReferenceModel final : public Machine {
 public:
  ReferenceModel();
  std::string_view name() const override { return "model"; }
  void reset(std::size_t name_count) override;

  void new_container(NameIndex dst, Serial serial, std::uint32_t payload) override;
  void new_str(NameIndex dst, Serial serial, std::uint32_t payload) override;
  void new_int(NameIndex dst, Serial serial, std::int64_t value) override;
  void bind(NameIndex dst, NameIndex src) override;
  void load_slot(NameIndex dst, NameIndex container, std::uint32_t index) override;
  void unbind(NameIndex name) override;
  void append(NameIndex container, NameIndex item) override;
  void set_slot(NameIndex container, std::uint32_t index, NameIndex item) override;
  void remove_slot(NameIndex container, std::uint32_t index) override;

  std::int64_t collect(int generation) override;
  void set_threshold(int arity, std::array<std::int64_t, 3> values) override;
  void enable() override;
  void disable() override;
  void freeze() override;
  void unfreeze() override;

  std::optional<ObjectKey> binding(NameIndex name) override;
  bool read_object(ObjectKey key, ObjectState& out) override;
  void objects(std::vector<ObjectState>& out) override;
  CollectorState collector_state() override;
  void take_events(std::vector<Event>& out) override;
  std::string teardown() override;

 private:
  // --- model.cc: objects and reference counting ---
  void allocate(NameIndex dst, Serial serial, ObjectKind kind, std::uint32_t payload,
                std::int64_t int_value);
  void store_name(NameIndex dst, ObjectKey key);
  ModelObject& container_bound_to(NameIndex name);
  std::int64_t& small_int_refcount(ObjectKey key);
  void add_ref(ObjectKey key);
  void drop_ref(ObjectKey key);
  void release(ObjectKey key, std::vector<Serial>& dying);
  void release_slots(Serial serial, std::vector<Serial>& dying);
  void release_all(std::vector<Serial>& dying);
  void free_object(Serial serial);
  const std::vector<Serial>& live();
  void read_state(Serial serial, ObjectState& out) const;
  void read_small_int_state(ObjectKey key, ObjectState& out);

  // --- collector.cc: the gc module ---
  void container_allocated();
  void container_freed();
  void collect_automatically();
  std::int64_t collect_unless_collecting(int generation);
  std::int64_t collect_generation(int generation);
  std::vector<Serial> find_unreachable(const std::vector<Serial>& collected);
  void delete_garbage(const std::vector<Serial>& garbage);

  std::vector<std::optional<ObjectKey>> names_;
  std::vector<ModelObject> objects_;  // indexed by serial; [0] is never used
  // Serials of the live objects, ascending (serials only grow), plus dead ones
  // not yet dropped: live() drops them before anyone iterates.
  std::vector<Serial> live_;
  std::array<std::int64_t, kSmallIntMax - kSmallIntMin + 1> small_int_refs_;
  GcModuleState gc_;
  std::vector<Event> events_;
};

}  // namespace gcv
