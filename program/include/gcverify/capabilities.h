// Capabilities: what a machine implements and observes (capabilities.def).
//
// A machine declares its capabilities (Machine::capabilities()); CPython and
// gcheap declare every one. A program needs the capabilities of the
// operations it uses (needed_capabilities), and the executor runs it on a
// system under test only when the system declares them all: otherwise the
// run is "not applicable" and names the first operation that needs more. The
// reference model, made for a system's capabilities, follows the rules of
// a machine without those it lacks (without generations every collection is
// a full one and none is automatic; without small ints every int is
// allocated), and the executor compares only what both machines observe.
//
//   Capabilities c = Capabilities::all().without(Capability::Weakrefs);
//   c.has(Capability::Generations)                 // true
//   capability_named("weakrefs")                   // Capability::Weakrefs
//   c.to_string()                                  // "generations, freeze, ..."
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

enum class Capability : std::uint8_t {
#define GCV_CAPABILITY(id, name, model_follows, operations, what, without) id,
#include "gcverify/capabilities.def"
#undef GCV_CAPABILITY
  kCount
};
inline constexpr std::size_t kCapabilityCount = static_cast<std::size_t>(Capability::kCount);

// A capability's row of capabilities.def.
struct CapabilityInfo {
  const char* name;     // "weakrefs"
  bool model_follows;   // the model's rules change without it
  const char* what;     // what a machine that declares it implements
  const char* without;  // what happens for a machine that does not
};
inline constexpr CapabilityInfo kCapabilities[] = {
#define GCV_CAPABILITY(id, name, model_follows, operations, what, without) {name, model_follows != 0, what, without},
#include "gcverify/capabilities.def"
#undef GCV_CAPABILITY
};
static_assert(std::size(kCapabilities) == kCapabilityCount, "one row per capability");

// A set of capabilities.
class Capabilities {
 public:
  constexpr Capabilities() = default;  // none
  static constexpr Capabilities all() { return Capabilities(kAll); }
  constexpr bool has(Capability c) const { return (bits_ & bit(c)) != 0; }
  constexpr bool complete() const { return bits_ == kAll; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool contains(Capabilities other) const { return (bits_ & other.bits_) == other.bits_; }
  constexpr Capabilities with(Capability c) const { return Capabilities(bits_ | bit(c)); }
  constexpr Capabilities without(Capability c) const { return Capabilities(bits_ & ~bit(c)); }
  constexpr Capabilities operator&(Capabilities other) const { return Capabilities(bits_ & other.bits_); }
  constexpr Capabilities operator|(Capabilities other) const { return Capabilities(bits_ | other.bits_); }
  constexpr Capabilities operator-(Capabilities other) const { return Capabilities(bits_ & ~other.bits_); }
  // The ones whose absence the reference model follows (model_follows).
  static constexpr Capabilities model_rules() {
    Capabilities rules;
    for (std::size_t c = 0; c < kCapabilityCount; ++c)
      if (kCapabilities[c].model_follows) rules = rules.with(static_cast<Capability>(c));
    return rules;
  }
  // "generations, freeze" in the table's order; "none" when empty.
  std::string to_string() const;
  friend constexpr bool operator==(Capabilities, Capabilities) = default;

 private:
  static constexpr std::uint32_t kAll = (std::uint32_t{1} << kCapabilityCount) - 1;
  static constexpr std::uint32_t bit(Capability c) { return std::uint32_t{1} << static_cast<unsigned>(c); }
  constexpr explicit Capabilities(std::uint32_t bits) : bits_(bits) {}
  std::uint32_t bits_ = 0;
};

// What each operation needs by its kind alone: the rows of capabilities.def
// that list it. (needed_capabilities adds what its operands need.)
#define GCV_UNPARENTHESIZED(...) __VA_ARGS__
inline constexpr std::array<Capabilities, kOpCodeCount> kOperationNeeds = [] {
  std::array<Capabilities, kOpCodeCount> needs{};
  using enum OpCode;
#define GCV_CAPABILITY(id, name, model_follows, operations, what, without)            \
  for (OpCode code : std::initializer_list<OpCode>{GCV_UNPARENTHESIZED operations}) \
    needs[static_cast<std::size_t>(code)] = needs[static_cast<std::size_t>(code)].with(Capability::id);
#include "gcverify/capabilities.def"
#undef GCV_CAPABILITY
  return needs;
}();
#undef GCV_UNPARENTHESIZED

// The capability spelled `name` ("weakrefs"), or nullopt.
std::optional<Capability> capability_named(std::string_view name);

// What `op` needs: its row's capabilities, WeakrefCallbacks for a weakref
// with a callback, and what the operations of its body need.
Capabilities needed_capabilities(const Op& op);
// What a sequence of operations needs.
Capabilities needed_capabilities(const std::vector<Op>& ops);
// What a whole program needs: its operations', and memory_failures for a
// `# fail:` line.
Capabilities needed_capabilities(const Program& program);

}  // namespace gcv
