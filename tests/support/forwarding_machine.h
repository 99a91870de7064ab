// A Machine that passes every call to another one (the model by default): the
// base of fault injection. A test derives from it and falsifies one call, or
// breaks the heap behind the adapter's back, to show that the executor or a
// property reports it.
#pragma once

#include <memory>

#include "gcverify/machine.h"
#include "gcverify/model.h"

namespace gcv {

class ForwardingMachine : public Machine {
 public:
  explicit ForwardingMachine(std::unique_ptr<Machine> inner = make_reference_model()) : inner_(std::move(inner)) {}
  std::string_view name() const override { return "forwarding"; }
  Observations observations() const override { return inner_->observations(); }
  void reset(std::size_t n) override { inner_->reset(n); }
  void new_container(NameIndex d, Serial s, std::uint32_t p) override { inner_->new_container(d, s, p); }
  void new_str(NameIndex d, Serial s, std::uint32_t p) override { inner_->new_str(d, s, p); }
  void new_int(NameIndex d, Serial s, std::int64_t v) override { inner_->new_int(d, s, v); }
  void bind(NameIndex d, NameIndex s) override { inner_->bind(d, s); }
  void load_slot(NameIndex d, NameIndex c, std::uint32_t i) override { inner_->load_slot(d, c, i); }
  void unbind(NameIndex n) override { inner_->unbind(n); }
  void append(NameIndex c, NameIndex i) override { inner_->append(c, i); }
  void set_slot(NameIndex c, std::uint32_t i, NameIndex n) override { inner_->set_slot(c, i, n); }
  void remove_slot(NameIndex c, std::uint32_t i) override { inner_->remove_slot(c, i); }
  void set_finalizer(NameIndex o, const std::vector<Effect>& body) override { inner_->set_finalizer(o, body); }
  void set_legacy_finalizer(NameIndex o) override { inner_->set_legacy_finalizer(o); }
  void new_weakref(NameIndex d, Serial s, NameIndex r, const std::vector<Effect>& cb) override {
    inner_->new_weakref(d, s, r, cb);
  }
  void deref(NameIndex d, NameIndex w) override { inner_->deref(d, w); }
  std::int64_t collect(int g) override { return inner_->collect(g); }
  void set_debug(bool saveall) override { inner_->set_debug(saveall); }
  void clear_garbage() override { inner_->clear_garbage(); }
  void load_garbage(NameIndex d, std::uint32_t i) override { inner_->load_garbage(d, i); }
  void set_threshold(int a, std::array<std::int64_t, 3> v) override { inner_->set_threshold(a, v); }
  void enable() override { inner_->enable(); }
  void disable() override { inner_->disable(); }
  void freeze() override { inner_->freeze(); }
  void unfreeze() override { inner_->unfreeze(); }
  std::optional<ObjectKey> binding(NameIndex n) override { return inner_->binding(n); }
  bool read_object(ObjectKey k, ObjectState& out) override { return inner_->read_object(k, out); }
  void objects(std::vector<ObjectState>& out) override { inner_->objects(out); }
  CollectorState collector_state() override { return inner_->collector_state(); }
  const std::vector<ObjectKey>& garbage() override { return inner_->garbage(); }
  Serial next_serial() override { return inner_->next_serial(); }
  void take_events(std::vector<Event>& out) override { inner_->take_events(out); }
  std::string teardown() override { return inner_->teardown(); }

 protected:
  std::unique_ptr<Machine> inner_;
};

}  // namespace gcv
