// Operations and programs: equality by meaning, name interning, canonical names.
//
// An Op carries every operand field, but each opcode reads only some of them
// (see program.h). Equality compares exactly the fields the opcode reads, so two
// ops that run the same are equal whatever the unused fields or their source
// location hold; this is what lets text and binary forms round-trip.
#include "gcverify/program.h"

#include <algorithm>

namespace gcv {

namespace {

// The first `n` threshold/count values; the rest are unused by the op.
bool same_values(const Op& x, const Op& y, std::size_t n) {
  return std::equal(x.values.begin(), x.values.begin() + n, y.values.begin());
}

}  // namespace

bool Effect::operator==(const Effect& other) const {
  if (code != other.code) return false;
  switch (code) {
    case EffectCode::BindSelf:
    case EffectCode::Unbind:
    case EffectCode::AppendSelfTo:
    case EffectCode::AppendToSelf:
      return name == other.name;
    case EffectCode::NewContainer:
      return name == other.name && size == other.size;
    case EffectCode::LoadSlot:
      return name == other.name && source == other.source && index == other.index;
    case EffectCode::Deref:
      return name == other.name && source == other.source;
    case EffectCode::Collect:
      return generation == other.generation;
    case EffectCode::ClearSelf:
    case EffectCode::kCount:
      return true;
  }
  return false;
}

bool Op::operator==(const Op& other) const {
  if (code != other.code) return false;
  const Op& o = other;
  switch (code) {
    case OpCode::NewContainer:
    case OpCode::NewStr:
      return target == o.target && size == o.size;
    case OpCode::NewInt:
      return target == o.target && value == o.value;
    case OpCode::Bind:
    case OpCode::Append:
      return target == o.target && source == o.source;
    case OpCode::LoadSlot:
    case OpCode::SetSlot:
      return target == o.target && source == o.source && index == o.index;
    case OpCode::Unbind:
      return target == o.target;
    case OpCode::RemoveSlot:
      return target == o.target && index == o.index;
    case OpCode::Cycle:
    case OpCode::Chain:
    case OpCode::Clique:
      return target == o.target && count == o.count && size == o.size;
    case OpCode::Collect:
      return generation == o.generation && has_expected == o.has_expected &&
             (!has_expected || value == o.value);
    case OpCode::SetThreshold:
      return arity == o.arity && same_values(*this, o, std::min<std::size_t>(arity, 3));
    case OpCode::Enable:
    case OpCode::Disable:
    case OpCode::Freeze:
    case OpCode::Unfreeze:
    case OpCode::ClearGarbage:
    case OpCode::kCount:
      return true;
    case OpCode::ExpectCount:
    case OpCode::ExpectThreshold:
      return same_values(*this, o, 3);
    case OpCode::ExpectAlive:
    case OpCode::ExpectDead:
      return object == o.object;
    case OpCode::ExpectRefcount:
      return object == o.object && value == o.value;
    case OpCode::ExpectGeneration:
      return object == o.object && generation == o.generation;
    case OpCode::ExpectFreezeCount:
    case OpCode::ExpectLive:
    case OpCode::ExpectGarbage:
    case OpCode::SetDebug:
      return value == o.value;
    case OpCode::SetFinalizer:
      return target == o.target && effects == o.effects;
    case OpCode::SetLegacyFinalizer:
      return target == o.target;
    case OpCode::NewWeakref:
      return target == o.target && source == o.source && effects == o.effects;
    case OpCode::Deref:
      return target == o.target && source == o.source;
    case OpCode::LoadGarbage:
      return target == o.target && index == o.index;
    case OpCode::ExpectFinalized:
    case OpCode::ExpectNotFinalized:
      return object == o.object;
  }
  return false;
}

bool Program::intern(const std::string& name, NameIndex& out) {
  auto found = std::find(names.begin(), names.end(), name);
  if (found != names.end()) {
    out = static_cast<NameIndex>(found - names.begin());
    return true;
  }
  if (names.size() >= kMaxNames) return false;
  out = static_cast<NameIndex>(names.size());
  names.push_back(name);
  return true;
}

std::string canonical_name(NameIndex i) {
  std::string name(1, static_cast<char>('a' + i % 26));
  if (i >= 26) name += std::to_string(i / 26);
  return name;
}

void for_each_name(Op& op, const std::function<void(NameIndex&)>& visit) {
  switch (op.code) {
    case OpCode::NewContainer:
    case OpCode::NewStr:
    case OpCode::NewInt:
    case OpCode::Unbind:
    case OpCode::RemoveSlot:
    case OpCode::Cycle:
    case OpCode::Chain:
    case OpCode::Clique:
    case OpCode::SetLegacyFinalizer:
    case OpCode::LoadGarbage:
      visit(op.target);
      break;
    case OpCode::Bind:
    case OpCode::LoadSlot:
    case OpCode::Append:
    case OpCode::SetSlot:
    case OpCode::Deref:
    case OpCode::SetFinalizer:
    case OpCode::NewWeakref:
      visit(op.target);
      if (op.code != OpCode::SetFinalizer) visit(op.source);
      break;
    case OpCode::ExpectAlive:
    case OpCode::ExpectDead:
    case OpCode::ExpectRefcount:
    case OpCode::ExpectGeneration:
    case OpCode::ExpectFinalized:
    case OpCode::ExpectNotFinalized:
      if (!op.object.by_serial) visit(op.object.value);
      break;
    default:
      break;
  }
  for (Effect& effect : op.effects) {
    if (effect.code == EffectCode::ClearSelf || effect.code == EffectCode::Collect) continue;
    visit(effect.name);
    if (effect.code == EffectCode::LoadSlot || effect.code == EffectCode::Deref) visit(effect.source);
  }
}

}  // namespace gcv
