// Printable spellings of the Machine interface's observation types, used in
// divergence reports: objects as "#serial" or "int(value)", kinds by their
// Python type name.
#include "gcverify/machine.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace gcv {

std::string ObjectKey::to_string() const {
  if (is_serial()) return "#" + std::to_string(as_serial());
  if (raw == 0) return "<unknown object>";  // a pointer the system under test cannot name
  return "int(" + std::to_string(small_int_value()) + ")";
}

std::string generation_name(int generation) {
  if (generation == kUntracked) return "untracked";
  if (generation == kPermanentGeneration) return "permanent";
  return std::to_string(generation);
}

std::string to_string(const std::vector<ObjectKey>& keys) {
  std::string text = "{";
  for (std::size_t i = 0; i < keys.size(); ++i) text += (i ? ", " : "") + keys[i].to_string();
  return text + "}";
}

std::string to_string(const ObjectState& s) {
  std::ostringstream out;
  out << s.key.to_string() << " " << to_string(s.kind) << " refcount " << s.refcount << " generation "
      << generation_name(s.generation);
  if (s.kind == ObjectKind::Int) out << " value " << s.int_value;
  else if (s.kind == ObjectKind::Weakref) out << " referent " << (s.referent.raw ? s.referent.to_string() : "none");
  else out << " payload " << s.payload;
  if (s.kind == ObjectKind::Container) out << " slots " << to_string(s.slots);
  if (s.has_finalizer) out << (s.finalized ? " finalized" : " finalizer pending");
  if (!s.intact) out << " STAMP DAMAGED";
  return out.str();
}

// coverage: defensive
void Machine::step_outside_capabilities(const char* method, OpCode code) const {
  std::fprintf(stderr,
               "gcverify: %.*s::%s was called, but the machine does not define it: it is a step of %s, which the "
               "machine does not declare (%s)\n",
               static_cast<int>(name().size()), name().data(), method, needed_capabilities(Op::of(code)).to_string().c_str(),
               capabilities().to_string().c_str());
  std::abort();
}

// coverage: defensive
void Machine::memory_failures_outside_capabilities() const {
  std::fprintf(stderr,
               "gcverify: %.*s::fail_memory was called, but the machine does not define it: it belongs to "
               "memory_failures, which the machine does not declare (%s)\n",
               static_cast<int>(name().size()), name().data(), capabilities().to_string().c_str());
  std::abort();
}

const char* to_string(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Container: return "list";
    case ObjectKind::Str: return "str";
    case ObjectKind::Int: return "int";
    case ObjectKind::Weakref: return "weakref";
  }
  return "unknown";
}

}  // namespace gcv
