// A plugin for the plugin tests: the reference model itself, made for a
// machine without generations, freeze, weakrefs, gc.garbage or small ints
// (and so following those rules: every collection full, every int
// allocated), behind the name "model-lite". A heap of fewer capabilities, as
// `gcverify run --sut-plugin` sees one.
#include "gcverify/forwarding_machine.h"
#include "gcverify/model.h"
#include "gcverify/plugin.h"

namespace {

const gcv::Capabilities kLite = gcv::Capabilities::all()
                                    .without(gcv::Capability::Generations)
                                    .without(gcv::Capability::Freeze)
                                    .without(gcv::Capability::Weakrefs)
                                    .without(gcv::Capability::WeakrefCallbacks)
                                    .without(gcv::Capability::Garbage)
                                    .without(gcv::Capability::LegacyFinalizers)
                                    .without(gcv::Capability::SmallInts);

class ModelLite : public gcv::ForwardingMachine {
 public:
  explicit ModelLite(const gcv::Profile& profile) : ForwardingMachine(gcv::make_reference_model(profile, kLite)) {}
  std::string_view name() const override { return "model-lite"; }
  bool take_changed(std::vector<gcv::ObjectKey>& out) override { return inner_->take_changed(out); }
};

}  // namespace

GCV_PLUGIN("model-lite", [](const gcv::Profile& profile) { return std::make_unique<ModelLite>(profile); })
