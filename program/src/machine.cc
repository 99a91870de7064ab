// Printable spellings of the Machine interface's observation types, used in
// divergence reports: objects as "#serial" or "int(value)", kinds by their
// Python type name.
#include "gcverify/machine.h"

namespace gcv {

std::string ObjectKey::to_string() const {
  if (is_serial()) return "#" + std::to_string(as_serial());
  if (raw == 0) return "<unknown object>";  // a pointer the system under test cannot name
  return "int(" + std::to_string(small_int_value()) + ")";
}

const char* to_string(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Container: return "list";
    case ObjectKind::Str: return "str";
    case ObjectKind::Int: return "int";
  }
  return "unknown";
}

}  // namespace gcv
