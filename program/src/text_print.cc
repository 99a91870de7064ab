// Printing heap programs in their canonical text form.
//
// Each op prints with single spaces between tokens and no optional operand
// that equals its default (payload 16, collect generation 2 without an
// expected result), so printing is canonical: two equal ops print the same,
// and parse_text(print_text(p)) gives back p's ops and names. A body (of a
// finalizer or a weakref callback) prints after ": " with its effects joined
// by "; ", under the same rules.
#include <string>

#include "gcverify/text.h"

namespace gcv {

namespace {

std::string name_of(const Program& program, NameIndex i) {
  if (i < program.names.size()) return program.names[i];
  return "<name " + std::to_string(i) + ">";  // only for hand-built, invalid ops
}

std::string object_of(const Program& program, const ObjectRef& object) {
  if (object.by_serial) return "#" + std::to_string(object.value);
  return name_of(program, object.value);
}

std::string payload_suffix(std::uint32_t size) {
  return size == kDefaultPayload ? std::string() : " " + std::to_string(size);
}

std::string values_of(const Op& op, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < op.values.size(); ++i) out += " " + std::to_string(op.values[i]);
  return out;
}

std::string generation_of(int generation) {
  return generation == kPermanentGeneration ? "permanent" : std::to_string(generation);
}

std::string format_new(const Program& program, const Op& op, const char* kind) {
  return name_of(program, op.target) + " = " + kind + payload_suffix(op.size);
}

std::string format_shape(const Program& program, const Op& op, const char* shape) {
  return name_of(program, op.target) + " = " + shape + " " + std::to_string(op.count) +
         payload_suffix(op.size);
}

std::string format_collect_generation(int generation) {
  return generation == 2 ? "collect" : "collect " + std::to_string(generation);
}

std::string format_collect(const Op& op) {
  if (op.has_expected) return "collect " + std::to_string(op.generation) + " -> " + std::to_string(op.value);
  return format_collect_generation(op.generation);
}

std::string format_effect(const Program& program, const Effect& effect) {
  const std::string name = name_of(program, effect.name);
  switch (effect.code) {
    case EffectCode::BindSelf: return name + " = self";
    case EffectCode::Unbind: return "del " + name;
    case EffectCode::NewContainer: return name + " = list" + payload_suffix(effect.size);
    case EffectCode::AppendSelfTo: return name + ".append(self)";
    case EffectCode::AppendToSelf: return "self.append(" + name + ")";
    case EffectCode::ClearSelf: return "self.clear()";
    case EffectCode::Collect: return format_collect_generation(effect.generation);
    case EffectCode::LoadSlot:
      return name + " = " + name_of(program, effect.source) + "[" + std::to_string(effect.index) + "]";
    case EffectCode::Deref: return name + " = " + name_of(program, effect.source) + "()";
    case EffectCode::kCount: break;
  }
  return "<invalid effect " + std::to_string(static_cast<int>(effect.code)) + ">";
}

// ": e1; e2; ..." after a finalizer or weakref; nothing for a weakref without a callback.
std::string body_suffix(const Program& program, const std::vector<Effect>& body) {
  std::string out;
  for (const Effect& effect : body) out += (out.empty() ? ": " : "; ") + format_effect(program, effect);
  return out;
}

}  // namespace

std::string format_op(const Program& program, const Op& op) {
  const auto name = [&](NameIndex i) { return name_of(program, i); };
  const std::string index = "[" + std::to_string(op.index) + "]";
  switch (op.code) {
    case OpCode::NewContainer: return format_new(program, op, "list");
    case OpCode::NewStr: return format_new(program, op, "str");
    case OpCode::NewInt: return name(op.target) + " = int " + std::to_string(op.value);
    case OpCode::Bind: return name(op.target) + " = " + name(op.source);
    case OpCode::LoadSlot: return name(op.target) + " = " + name(op.source) + index;
    case OpCode::Unbind: return "del " + name(op.target);
    case OpCode::Append: return name(op.target) + ".append(" + name(op.source) + ")";
    case OpCode::SetSlot: return name(op.target) + index + " = " + name(op.source);
    case OpCode::RemoveSlot: return "del " + name(op.target) + index;
    case OpCode::Cycle: return format_shape(program, op, "cycle");
    case OpCode::Chain: return format_shape(program, op, "chain");
    case OpCode::Clique: return format_shape(program, op, "clique");
    case OpCode::Collect: return format_collect(op);
    case OpCode::SetThreshold: return "threshold" + values_of(op, op.arity);
    case OpCode::Enable: return "enable";
    case OpCode::Disable: return "disable";
    case OpCode::Freeze: return "freeze";
    case OpCode::Unfreeze: return "unfreeze";
    case OpCode::ExpectCount: return "expect count" + values_of(op, 3);
    case OpCode::ExpectThreshold: return "expect threshold" + values_of(op, 3);
    case OpCode::ExpectAlive: return "expect alive " + object_of(program, op.object);
    case OpCode::ExpectDead: return "expect dead " + object_of(program, op.object);
    case OpCode::ExpectRefcount:
      return "expect refcount " + object_of(program, op.object) + " " + std::to_string(op.value);
    case OpCode::ExpectGeneration:
      return "expect generation " + object_of(program, op.object) + " " + generation_of(op.generation);
    case OpCode::ExpectFreezeCount: return "expect freeze_count " + std::to_string(op.value);
    case OpCode::ExpectLive: return "expect live " + std::to_string(op.value);
    case OpCode::SetFinalizer:  // an empty body is `def __del__(self): pass`
      return "finalizer " + name(op.target) + (op.effects.empty() ? ":" : body_suffix(program, op.effects));
    case OpCode::SetLegacyFinalizer: return "legacy_finalizer " + name(op.target);
    case OpCode::NewWeakref:
      return name(op.target) + " = weakref " + name(op.source) + body_suffix(program, op.effects);
    case OpCode::Deref: return name(op.target) + " = " + name(op.source) + "()";
    case OpCode::SetDebug: return op.value ? "debug saveall" : "debug none";
    case OpCode::ClearGarbage: return "clear garbage";
    case OpCode::LoadGarbage: return name(op.target) + " = garbage" + index;
    case OpCode::ExpectGarbage: return "expect garbage " + std::to_string(op.value);
    case OpCode::ExpectFinalized: return "expect finalized " + object_of(program, op.object);
    case OpCode::ExpectNotFinalized: return "expect not_finalized " + object_of(program, op.object);
    case OpCode::kCount: break;
  }
  return "<invalid opcode " + std::to_string(static_cast<int>(op.code)) + ">";
}

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
  return *std::move(reparsed);
}

std::string print_text(const Program& program) {
  const std::string body = print_ops(program);
  // When first use would number the names differently from the program (which
  // lenient runs depend on), or a name is never used, a names line keeps them.
  ParseError ignored;
  const auto reparsed = parse_text(body, "", ignored);
  if (reparsed && reparsed->names == program.names) return body;
  std::string header = "names";
  for (const std::string& name : program.names) header += " " + name;
  return header + "\n" + body;
}

}  // namespace gcv
