// Printing heap programs in their canonical text form.
//
// Each op prints as its row's form in operations.def spells it, with no
// optional part whose fields are at their defaults (payload 16, collect
// generation 2 without an expected result, no body), so printing is
// canonical: two equal ops print the same, and parse_text(print_text(p))
// gives back p's ops and names. A body (of a finalizer or a weakref
// callback) prints its operations joined by "; ", under the same rules.
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/text.h"

namespace gcv {

namespace {

// `self` only inside a body: a step's printout names the executor's scratch
// names past the program's, where kSelf may be one of them.
std::string name_of(const Program& program, NameIndex i, bool in_body = false) {
  if (in_body && i == kSelf) return "self";
  if (i < program.names.size()) return program.names[i];
  return "<name " + std::to_string(i) + ">";  // only for hand-built, invalid ops
}

std::string object_of(const Program& program, const ObjectRef& object) {
  if (object.by_serial) return "#" + std::to_string(object.value);
  return name_of(program, object.value);
}

std::string generation_of(int generation) {
  return generation == kPermanentGeneration ? "permanent" : std::to_string(generation);
}

std::string values_of(const Op& op, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < op.values.size(); ++i) out += (i ? " " : "") + std::to_string(op.values[i]);
  return out;
}

std::string format_op_of(const Program& program, const Op& op, bool in_body);

// How `field` of `op` prints.
std::string format_field(const Program& program, const Op& op, Field field, bool in_body) {
  if (is_name_field(field)) return name_of(program, name_operand(op, field), in_body);
  switch (field) {
    case Field::Index:
    case Field::GarbageIndex:
    case Field::SmallIndex: return std::to_string(op.index);
    case Field::Size: return std::to_string(op.size);
    case Field::Length:
    case Field::CliqueSize: return std::to_string(op.count);
    case Field::CollectGeneration:
    case Field::Generation: return generation_of(op.generation);
    case Field::Thresholds: return values_of(op, op.arity);
    case Field::Counts:
    case Field::ThresholdValues: return values_of(op, 3);
    case Field::Object: return object_of(program, op.object);
    case Field::DebugFlag: return op.value ? "saveall" : "none";
    case Field::Body: {  // after its ':', a space before each operation but the empty body's none
      std::string out;
      for (const Op& inner : op.body) out += (out.empty() ? " " : "; ") + format_op_of(program, inner, true);
      return out;
    }
    case Field::Int:
    case Field::Result:
    case Field::Refcount:
    case Field::FreezeCount:
    case Field::LiveCount:
    case Field::GarbageCount: return std::to_string(op.value);
    default: break;  // the names, above
  }
  return {};
}

// Whether `field` differs from the default an optional part leaves it at:
// no body, no expected result, or the field's simplest value.
bool differs_from_default(const Op& op, Field field) {
  if (field == Field::Body) return operation_info(op.code).optional_body ? op.has_body : !op.body.empty();
  if (field == Field::Result) return op.has_expected;
  return number(op, field) != field_info(field).simplest;
}

// The field a form's placeholder at `at` ('<') names, and the position after its '>'.
Field field_at(std::string_view form, std::size_t at, std::size_t& after) {
  after = form.find('>', at) + 1;
  return field_named(form.substr(at + 1, after - at - 2));
}

// Whether each optional part ('{' ... '}') of `form` prints, in order: when
// a field in it differs from its default, or a later part prints.
std::vector<bool> printed_parts(std::string_view form, const Op& op) {
  std::vector<bool> printed;
  for (std::size_t at = form.find('{'); at != std::string_view::npos; at = form.find('{', at + 1)) {
    bool differs = false;
    const std::size_t close = form.find('}', at);
    for (std::size_t field = form.find('<', at), after = 0; field < close; field = form.find('<', after))
      differs = differs_from_default(op, field_at(form, field, after)) || differs;
    printed.push_back(differs);
  }
  for (std::size_t i = printed.size(); i-- > 1;) printed[i - 1] = printed[i - 1] || printed[i];
  return printed;
}

// The row's form (operations.def) with its fields filled in and the optional
// parts that print.
std::string format_op_of(const Program& program, const Op& op, bool in_body) {
  if (op.code >= OpCode::kCount) return "<invalid opcode " + std::to_string(static_cast<int>(op.code)) + ">";
  const std::string_view form = operation_info(op.code).form;
  const std::vector<bool> printed = printed_parts(form, op);
  std::string out;
  std::size_t part = 0;
  for (std::size_t at = 0; at < form.size();) {
    if (form[at] == '<') {
      out += format_field(program, op, field_at(form, at, at), in_body);
    } else if (form[at] == '{') {
      at = printed[part++] ? at + 1 : form.find('}', at) + 1;
    } else if (form[at] == '}') {
      ++at;
    } else {
      out += form[at++];
    }
  }
  return out;
}

}  // namespace

std::string format_op(const Program& program, const Op& op) { return format_op_of(program, op, false); }

namespace {

std::string print_ops(const Program& program) {
  std::string body;
  for (const Op& op : program.ops) {
    body += format_op(program, op);
    body += '\n';
  }
  return body;
}

}  // namespace

// Parsing a program's printed operations numbers its names in order of first
// use; reading them back that way answers "in which order are names first
// used" without a second copy of each operation's operand order.
Program with_names_in_first_use_order(const Program& program) {
  ParseError ignored;
  auto reparsed = parse_text(print_ops(program), program.origin, ignored);
  if (!reparsed) return program;  // only for hand-built, invalid operations
  for (std::size_t i = 0; i < program.ops.size(); ++i) reparsed->ops[i].where = program.ops[i].where;
  reparsed->holds_for = program.holds_for;
  reparsed->memory_failures = program.memory_failures;
  return *std::move(reparsed);
}

std::string print_text(const Program& program) {
  std::string header;
  if (!program.holds_for.empty()) {
    header = "# cpython:";
    for (CPythonVersion v : program.holds_for) header += std::string(" ") + profile(v).name;
    header += "\n";
  }
  if (program.memory_failures.any()) header += "# fail: " + program.memory_failures.to_string() + "\n";
  const std::string body = print_ops(program);
  // When first use would number the names differently from the program (which
  // lenient runs depend on), or a name is never used, a names line keeps them.
  ParseError ignored;
  const auto reparsed = parse_text(body, "", ignored);
  if (reparsed && reparsed->names == program.names) return header + body;
  header += "names";
  for (const std::string& name : program.names) header += " " + name;
  return header + "\n" + body;
}

}  // namespace gcv
