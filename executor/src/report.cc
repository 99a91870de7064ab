// How a failed run is told to a person (to_string) and to the tools that
// compare failures (signature).
#include <sstream>

#include "executor_internal.h"

namespace gcv {

std::string expectation_keyword(const Op& op) { return operation_info(op.code).words; }

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::Divergence: return "divergence";
    case Outcome::ExpectationFailed: return "expectation failed";
    case Outcome::ProgramError: return "program error";
    case Outcome::NotApplicable: return "not applicable";
    case Outcome::Crash: return "crash";
  }
  return "?";
}

const char* to_string(CheckKind kind) {
  switch (kind) {
#define GCV_CHECK_KIND(id, words) \
  case CheckKind::id: return words;
#include "gcverify/check_kinds.def"
#undef GCV_CHECK_KIND
  }
  return "?";
}

std::string Signature::to_string() const {
  const std::string text = gcv::to_string(outcome);
  if (outcome == Outcome::Pass || outcome == Outcome::ProgramError) return text;
  return text + ": " + (detail.empty() ? gcv::to_string(kind) : detail);
}

std::string Report::to_string(const Program& program, const std::string& sut_name) const {
  std::ostringstream out;
  out << program.origin;
  if (outcome == Outcome::NotApplicable) {
    if (where.line != 0) out << ":" << where.line << ":" << where.column;
    out << ": " << not_applicable_reason(sut_name) << "\n  reason:    " << expected
        << "\n  signature: " << signature().to_string() << "\n";
    return out.str();
  }
  if (op_index < program.ops.size()) {
    if (where.line != 0) out << ":" << where.line << ":" << where.column;
    out << ": " << gcv::to_string(outcome) << " at operation " << op_index + 1 << ": " << op_text << "\n";
  } else {
    out << ": " << gcv::to_string(outcome) << " at the teardown, after operation " << program.ops.size();
    if (!program.ops.empty() && program.ops.back().where.line != 0) out << " (line " << program.ops.back().where.line << ")";
    out << "\n";
  }
  if (!step.empty()) out << "  step:      " << step << "\n";
  out << "  check:     " << check << "\n";
  if (outcome == Outcome::ProgramError) {
    out << "  reason:    " << expected << "\n";
  } else {
    const bool vs_sut = outcome == Outcome::Divergence;
    out << "  expected:  " << expected << (vs_sut ? "   (model)" : "") << "\n";
    out << "  actual:    " << actual << (vs_sut ? "   (" + sut_name + ")" : "") << "\n";
  }
  if (!objects.empty()) {
    out << "  objects:  ";
    for (const ObjectKey& k : objects) out << " " << k.to_string();
    out << "\n";
  }
  if (program.memory_failures.any() || !memory_errors.empty()) {
    out << "  memory:    # fail: " << program.memory_failures.to_string() << "; " << memory_errors.size()
        << " MemoryError" << (memory_errors.size() == 1 ? "" : "s") << " before this\n";
    for (const std::string& error : memory_errors) out << "             " << error << "\n";
  }
  // The signature last, so a tool can read it off any report.
  out << "  signature: " << signature().to_string() << "\n";
  return out.str();
}

std::string Report::not_applicable_reason(const std::string& sut_name) const {
  if (op_text.starts_with("# ")) return "not applicable to " + sut_name + ": its '" + op_text + "' line needs " + actual;
  return "not applicable to " + sut_name + ": operation " + std::to_string(op_index + 1) + " (" + op_text + ") needs " +
         actual;
}

Signature Report::signature() const {
  return {outcome, kind,
          outcome == Outcome::ExpectationFailed ? expectation
          : outcome == Outcome::Crash || outcome == Outcome::NotApplicable ? actual
                                                                          : std::string()};
}

}  // namespace gcv
