// How a failed run is told to a person (to_string) and to a bucketing tool
// (signature).
#include <cctype>
#include <iterator>
#include <sstream>

#include "gcverify/executor.h"

namespace gcv {
namespace {

// The kind of an operation, without its operands, for signatures.
const char* op_kind(OpCode code) {
  static const char* const kNames[] = {
      "new list", "new str", "new int", "bind", "load slot", "del", "append", "set slot", "del slot",
      "cycle", "chain", "clique", "collect", "threshold", "enable", "disable", "freeze", "unfreeze",
      "expect count", "expect threshold", "expect alive", "expect dead", "expect refcount",
      "expect generation", "expect freeze_count", "expect live", "finalizer", "legacy_finalizer", "weakref",
      "deref", "debug", "clear garbage", "load garbage", "expect garbage", "expect finalized",
      "expect not_finalized"};
  static_assert(std::size(kNames) == kOpCodeCount, "one name per opcode");
  return kNames[static_cast<std::size_t>(code)];
}

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::Divergence: return "divergence";
    case Outcome::ExpectationFailed: return "expectation failed";
    case Outcome::ProgramError: return "program error";
  }
  return "?";
}

std::string Report::to_string(const Program& program, const std::string& sut_name) const {
  std::ostringstream out;
  out << program.origin;
  if (where.line != 0) out << ":" << where.line << ":" << where.column;
  out << ": " << gcv::to_string(outcome) << " at operation " << op_index << ": " << op_text << "\n";
  if (!step.empty()) out << "  step:      " << step << "\n";
  out << "  check:     " << check << "\n";
  if (outcome == Outcome::ProgramError) {
    out << "  reason:    " << expected << "\n";
    return out.str();
  }
  const bool vs_sut = outcome == Outcome::Divergence;
  out << "  expected:  " << expected << (vs_sut ? "   (model)" : "") << "\n";
  out << "  actual:    " << actual << (vs_sut ? "   (" + sut_name + ")" : "") << "\n";
  if (!objects.empty()) {
    out << "  objects:  ";
    for (const ObjectKey& k : objects) out << " " << k.to_string();
    out << "\n";
  }
  return out.str();
}

std::string Report::signature(const Program& program) const {
  const std::string kind = op_index < program.ops.size() ? op_kind(program.ops[op_index].code) : "teardown";
  // Numbers (serials, generations) become N, so the same bug found at other
  // objects buckets together.
  std::string shape;
  for (char c : check) {
    if (!std::isdigit(static_cast<unsigned char>(c))) shape += c;
    else if (shape.empty() || shape.back() != 'N') shape += 'N';
  }
  return std::string(gcv::to_string(outcome)) + ": " + shape + " @ " + kind;
}

}  // namespace gcv
