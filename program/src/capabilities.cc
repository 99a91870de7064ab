// Capability names, and what operations need: both read off capabilities.def.
#include "gcverify/capabilities.h"

namespace gcv {

std::string Capabilities::to_string() const {
  std::string text;
  for (std::size_t c = 0; c < kCapabilityCount; ++c)
    if (has(static_cast<Capability>(c))) text += (text.empty() ? "" : ", ") + std::string(kCapabilities[c].name);
  return text.empty() ? "none" : text;
}

std::optional<Capability> capability_named(std::string_view name) {
  for (std::size_t c = 0; c < kCapabilityCount; ++c)
    if (name == kCapabilities[c].name) return static_cast<Capability>(c);
  return std::nullopt;
}

Capabilities needed_capabilities(const Op& op) {
  Capabilities needs = kOperationNeeds[static_cast<std::size_t>(op.code)];
  if (op.code == OpCode::NewWeakref && op.has_body) needs = needs.with(Capability::WeakrefCallbacks);
  for (const Op& inner : op.body) needs = needs | needed_capabilities(inner);
  return needs;
}

Capabilities needed_capabilities(const std::vector<Op>& ops) {
  Capabilities needs;
  for (const Op& op : ops) needs = needs | needed_capabilities(op);
  return needs;
}

Capabilities needed_capabilities(const Program& program) {
  const Capabilities needs = needed_capabilities(program.ops);
  return program.memory_failures.any() ? needs.with(Capability::MemoryFailures) : needs;
}

}  // namespace gcv
