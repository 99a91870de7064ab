// A Machine that passes every call to another one (the model by default): the
// base of fault injection. A test derives from it and falsifies one call, or
// breaks the heap behind the adapter's back, to show that the executor or a
// property reports it; the differential fuzz target does the same to check
// the checker as it fuzzes.
#pragma once

#include <memory>

#include "gcverify/machine.h"
#include "gcverify/model.h"

namespace gcv {

class ForwardingMachine : public Machine {
 public:
  explicit ForwardingMachine(std::unique_ptr<Machine> inner = make_reference_model()) : inner_(std::move(inner)) {}
  std::string_view name() const override { return "forwarding"; }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  void reset(std::size_t n) override { inner_->reset(n); }
#define GCV_STEP(id, result, method, parameters, names, arguments) \
  result method parameters override { return inner_->method names; }
#include "gcverify/machine_steps.def"
#undef GCV_STEP
  std::optional<ObjectKey> binding(NameIndex n) override { return inner_->binding(n); }
  bool read_object(ObjectKey k, ObjectState& out) override { return inner_->read_object(k, out); }
  std::optional<std::size_t> slot_count(ObjectKey k) override { return inner_->slot_count(k); }
  void objects(std::vector<ObjectState>& out) override { inner_->objects(out); }
  CollectorState collector_state() override { return inner_->collector_state(); }
  const std::vector<ObjectKey>& garbage() override { return inner_->garbage(); }
  Serial next_serial() override { return inner_->next_serial(); }
  void take_events(std::vector<Event>& out) override { inner_->take_events(out); }
  void eval_breaker() override { inner_->eval_breaker(); }
  void fail_memory(const MemoryFailures& failures) override { inner_->fail_memory(failures); }
  MemoryRequests memory_requests() override { return inner_->memory_requests(); }
  void take_failed_effects(std::vector<FailedEffect>& out) override { inner_->take_failed_effects(out); }
  void skip_effects(const std::vector<FailedEffect>& effects) override { inner_->skip_effects(effects); }
  std::string teardown() override { return inner_->teardown(); }

 protected:
  std::unique_ptr<Machine> inner_;
};

}  // namespace gcv
