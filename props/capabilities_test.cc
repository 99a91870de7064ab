// The property suite for a machine that lacks a capability, as a user's
// instantiation for their own machine: the reference model itself, made
// without generations (every collection a full one, none automatic) and
// named apart. The properties that need generations are skipped; the others
// run on programs within its capabilities and pass, the model agreeing with
// itself. And the generators, for every capability a system may lack, make
// only operations within what it has.
#include <gtest/gtest.h>

#include <set>

#include "gcverify/forwarding_machine.h"
#include "gcverify/model.h"
#include "gcverify/property_suite.h"
#include "gcverify/text.h"

namespace gcv::props {
namespace {

constexpr Capabilities kWithoutGenerations = Capabilities::all().without(Capability::Generations);

class ModelWithoutGenerations : public ForwardingMachine {
 public:
  ModelWithoutGenerations() : ForwardingMachine(make_reference_model(props_profile(), kWithoutGenerations)) {}
  std::string_view name() const override { return "model_without_generations"; }
  // ForwardingMachine leaves this out for the faults its subclasses inject
  // behind the model's back; none here, so the executor compares what changed
  // rather than every live object after every step.
  bool take_changed(std::vector<ObjectKey>& out) override { return inner_->take_changed(out); }
};

GCV_INSTANTIATE_PROPERTY_SUITE(model_without_generations, "model_without_generations",
                               [] { return std::make_unique<ModelWithoutGenerations>(); });

// Every capability missing in turn, and all of them.
std::vector<Capabilities> lacking_one_or_all() {
  std::vector<Capabilities> systems{Capabilities()};
  for (std::size_t c = 0; c < kCapabilityCount; ++c)
    systems.push_back(Capabilities::all().without(static_cast<Capability>(c)));
  return systems;
}

TEST(Generators, MakeEveryOperationWithinTheCapabilitiesAndNoOther) {
  static const Program names = empty_program();
  rc::Random random(3);
  for (Capabilities capabilities : lacking_one_or_all()) {
    SCOPED_TRACE("capabilities: " + capabilities.to_string());
    std::set<OpCode> made;
    for (int i = 0; i < 10000; ++i) {
      const Op op = any_operation(capabilities)(random.split()).value();
      ASSERT_TRUE(capabilities.contains(needed_capabilities(op)))
          << format_op(names, op) << " needs " << (needed_capabilities(op) - capabilities).to_string();
      made.insert(op.code);
    }
    for (std::size_t c = 0; c < kOpCodeCount; ++c) {
      const OpCode code = static_cast<OpCode>(c);
      const bool within = !kOperations[c].expectation && capabilities.contains(needed_capabilities(Op::of(code)));
      EXPECT_EQ(made.count(code), within ? 1u : 0u) << kOperations[c].words;
    }
  }
}

}  // namespace
}  // namespace gcv::props
