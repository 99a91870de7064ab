// The minimizer's reduction passes, coarsest first. Each proposes candidates
// derived from the reducer's current program; the reducer keeps a candidate
// only when it fails the same way and costs less. A pass that succeeds goes on
// from where it was (the program is now smaller), so it ends when none of its
// candidates is kept.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "gcverify/model.h"
#include "minimize_internal.h"

namespace gcv::minimize_internal {
namespace {

Program without_ops(const Program& program, std::size_t begin, std::size_t end) {
  Program candidate = program;
  candidate.ops.erase(candidate.ops.begin() + static_cast<std::ptrdiff_t>(begin),
                      candidate.ops.begin() + static_cast<std::ptrdiff_t>(end));
  return candidate;
}

// For each object the program allocates (by serial), the operations that
// touch it: the one that made it, and every one whose names were bound to it
// when it ran. Found by running the program on the model alone.
std::map<Serial, std::set<std::size_t>> operations_by_object(const Program& program) {
  std::map<Serial, std::set<std::size_t>> touched;
  Program so_far;
  so_far.names = program.names;
  auto model = make_reference_model(), mirror = make_reference_model();
  LockstepSession session(so_far, *model, *mirror,
                          {.strict = false, .check_expectations = false, .check = CheckLevel::Fast, .teardown = false,
                           .compare = false});
  auto note = [&](std::size_t i, Op& op) {
    for_each_name(op, [&](NameIndex& name) {
      if (const auto key = model->binding(name); key && key->is_serial()) touched[key->as_serial()].insert(i);
    });
  };
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    Op op = program.ops[i];
    note(i, op);
    so_far.ops.push_back(op);
    if (session.run_pending() != Outcome::Pass) break;
    note(i, op);  // the objects it bound
  }
  return touched;
}

// Candidate values for a field, simplest first: the simplest value, then
// halfway there, then one step closer.
std::vector<std::int64_t> simpler_values(std::int64_t value, std::int64_t simplest) {
  std::vector<std::int64_t> values;
  if (value == simplest) return values;
  values.push_back(simplest);
  const std::int64_t half = simplest + (value - simplest) / 2;
  if (half != simplest && half != value) values.push_back(half);
  const std::int64_t step = value > simplest ? value - 1 : value + 1;
  if (step != half && step != simplest) values.push_back(step);
  return values;
}

// Tries each simpler value of one field of op `i`, set by `assign`.
template <class Assign>
bool shrink_field(Reducer& reducer, std::size_t i, std::int64_t value, std::int64_t simplest, Assign assign) {
  for (std::int64_t simpler : simpler_values(value, simplest)) {
    Program candidate = reducer.current();
    assign(candidate.ops[i], simpler);
    if (reducer.try_candidate(candidate)) return true;
  }
  return false;
}

// One round of shrinking over op i's operands; true when one got simpler.
bool shrink_op(Reducer& reducer, std::size_t i) {
  const Op op = reducer.current().ops[i];
  auto size = [](Op& o, std::int64_t v) { o.size = static_cast<std::uint32_t>(v); };
  auto index = [](Op& o, std::int64_t v) { o.index = static_cast<std::uint32_t>(v); };
  switch (op.code) {
    case OpCode::Cycle:
    case OpCode::Chain:
    case OpCode::Clique:
      if (shrink_field(reducer, i, op.count, 1, [](Op& o, std::int64_t v) { o.count = static_cast<std::uint32_t>(v); }))
        return true;
      [[fallthrough]];
    case OpCode::NewContainer:
    case OpCode::NewStr:
      return shrink_field(reducer, i, op.size, kDefaultPayload, size);
    case OpCode::NewInt:
      return shrink_field(reducer, i, op.value, 0, [](Op& o, std::int64_t v) { o.value = v; });
    case OpCode::LoadSlot:
    case OpCode::SetSlot:
    case OpCode::RemoveSlot:
    case OpCode::LoadGarbage:
      return shrink_field(reducer, i, op.index, 0, index);
    case OpCode::Collect:
      if (op.has_expected) {
        Program candidate = reducer.current();
        candidate.ops[i].has_expected = false;
        if (reducer.try_candidate(candidate)) return true;
      }
      return shrink_field(reducer, i, op.generation, 2, [](Op& o, std::int64_t v) { o.generation = static_cast<int>(v); });
    case OpCode::SetThreshold:
      for (std::size_t k = 0; k < op.arity && k < op.values.size(); ++k)
        if (shrink_field(reducer, i, op.values[k], 0,
                         [k](Op& o, std::int64_t v) { o.values[k] = static_cast<std::uint32_t>(v); }))
          return true;
      return false;
    default:
      break;
  }
  for (std::size_t e = 0; e < op.effects.size(); ++e) {
    const Effect& effect = op.effects[e];
    if (effect.code == EffectCode::NewContainer &&
        shrink_field(reducer, i, effect.size, kDefaultPayload,
                     [e](Op& o, std::int64_t v) { o.effects[e].size = static_cast<std::uint32_t>(v); }))
      return true;
    if (effect.code == EffectCode::Collect &&
        shrink_field(reducer, i, effect.generation, 2,
                     [e](Op& o, std::int64_t v) { o.effects[e].generation = static_cast<int>(v); }))
      return true;
    if (effect.code == EffectCode::LoadSlot &&
        shrink_field(reducer, i, effect.index, 0,
                     [e](Op& o, std::int64_t v) { o.effects[e].index = static_cast<std::uint32_t>(v); }))
      return true;
  }
  return false;
}

// The ways of dropping edges from op i, each a candidate op.
std::vector<Op> with_fewer_edges(const Op& op) {
  std::vector<Op> simpler;
  auto recoded = [&](OpCode code) {
    Op o = op;
    o.code = code;
    simpler.push_back(o);
  };
  if (op.code == OpCode::Cycle || op.code == OpCode::Clique) recoded(OpCode::Chain);
  if ((op.code == OpCode::NewWeakref || op.code == OpCode::SetFinalizer) && !op.effects.empty()) {
    Op o = op;  // no callback; an empty finalizer
    o.effects.clear();
    simpler.push_back(o);
  }
  if (op.code == OpCode::Clique) recoded(OpCode::Cycle);
  if (op.effects.size() > 1) {
    for (std::size_t e = op.effects.size(); e-- > 0;) {
      Op o = op;
      o.effects.erase(o.effects.begin() + static_cast<std::ptrdiff_t>(e));
      simpler.push_back(o);
    }
  }
  return simpler;
}

}  // namespace

// ddmin over operations, from the end: a failure usually needs its last
// operations, and deleting later operations first keeps earlier indexes valid.
bool delete_ranges(Reducer& reducer) {
  bool improved = false;
  for (std::size_t chunk = std::max<std::size_t>(1, reducer.current().ops.size() / 2);; chunk /= 2) {
    std::size_t end = reducer.current().ops.size();
    while (end > 0 && !reducer.out_of_budget()) {
      const std::size_t begin = end >= chunk ? end - chunk : 0;
      if (reducer.try_candidate(without_ops(reducer.current(), begin, end))) {
        improved = true;
        end = std::min(begin, reducer.current().ops.size());
      } else {
        end = begin;
      }
    }
    if (chunk <= 1 || reducer.out_of_budget()) break;
  }
  return improved;
}

bool delete_objects(Reducer& reducer) {
  bool improved = false;
  for (bool retry = true; retry && !reducer.out_of_budget();) {
    retry = false;
    for (const auto& [serial, ops] : operations_by_object(reducer.current())) {
      Program candidate = reducer.current();
      for (auto i = ops.rbegin(); i != ops.rend(); ++i)
        candidate.ops.erase(candidate.ops.begin() + static_cast<std::ptrdiff_t>(*i));
      if (reducer.try_candidate(candidate)) {
        improved = retry = true;  // serials changed: look again
        break;
      }
      if (reducer.out_of_budget()) break;
    }
  }
  return improved;
}

bool merge_names(Reducer& reducer) {
  bool improved = false;
  for (bool retry = true; retry && !reducer.out_of_budget();) {
    retry = false;
    const NameIndex names = static_cast<NameIndex>(reducer.current().names.size());
    for (NameIndex keep = 0; keep < names && !retry && !reducer.out_of_budget(); ++keep) {
      for (NameIndex gone = keep + 1; gone < names && !retry && !reducer.out_of_budget(); ++gone) {
        Program candidate = reducer.current();
        for (Op& op : candidate.ops)
          for_each_name(op, [&](NameIndex& name) {
            if (name == gone) name = keep;
          });
        retry = reducer.try_candidate(candidate);
        improved |= retry;
      }
    }
  }
  return improved;
}

bool drop_edges(Reducer& reducer) {
  bool improved = false;
  for (std::size_t i = 0; i < reducer.current().ops.size() && !reducer.out_of_budget(); ++i) {
    for (bool retry = true; retry && i < reducer.current().ops.size();) {
      retry = false;
      for (const Op& simpler : with_fewer_edges(reducer.current().ops[i])) {
        Program candidate = reducer.current();
        candidate.ops[i] = simpler;
        if (reducer.try_candidate(candidate)) {
          improved = retry = true;
          break;
        }
      }
    }
  }
  return improved;
}

bool shrink_operands(Reducer& reducer) {
  bool improved = false;
  for (std::size_t i = 0; i < reducer.current().ops.size() && !reducer.out_of_budget(); ++i)
    while (i < reducer.current().ops.size() && shrink_op(reducer, i)) improved = true;
  return improved;
}

Program renumber_names(const Program& program) {
  Program renamed = program;
  for (NameIndex i = 0; i < renamed.names.size(); ++i) renamed.names[i] = canonical_name(i);
  return renamed;
}

}  // namespace gcv::minimize_internal
