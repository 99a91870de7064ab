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

std::optional<Capabilities> parse_capabilities(std::string_view list, std::string* error) {
  if (list == "all") return Capabilities::all();
  Capabilities result;
  if (list == "none") return result;
  for (std::size_t at = 0; at <= list.size();) {
    std::size_t end = list.find(',', at);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(at, end - at);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    const std::optional<Capability> c = capability_named(name);
    if (!c) {
      if (error) *error = "unknown capability '" + std::string(name) + "' (known: " + capability_names() + ", or all, or none)";
      return std::nullopt;
    }
    result = result.with(*c);
    at = end + 1;
  }
  return result;
}

std::string capability_names() { return Capabilities::all().to_string(); }

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

std::optional<std::size_t> first_not_within(const std::vector<Op>& ops, Capabilities declared) {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!declared.contains(needed_capabilities(ops[i]))) return i;
  return std::nullopt;
}

}  // namespace gcv
