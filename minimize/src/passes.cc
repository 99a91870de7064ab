// The minimizer's reduction passes, coarsest first. Each proposes candidates
// derived from the reducer's current program; the reducer keeps a candidate
// only when it fails the same way and costs less. A pass that succeeds goes on
// from where it was (the program is now smaller), so it ends when none of its
// candidates is kept.
#include <algorithm>
#include <map>
#include <optional>
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
  // A guide to which operations to try removing, not a verdict: the default
  // profile's collections serve for every version.
  auto model = make_reference_model(), mirror = make_reference_model();
  RunOptions options;
  options.strict = false;
  options.check_expectations = false;
  options.check = CheckLevel::Fast;
  options.teardown = false;
  options.compare = false;
  LockstepSession session(so_far, *model, *mirror, options);
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
  if (op.has_expected && (operation_info(op.code).operands & kExpectedValue)) {  // a collect's `-> n` goes first
    Program candidate = reducer.current();
    candidate.ops[i].has_expected = false;
    if (reducer.try_candidate(candidate)) return true;
  }
  for (Field field : operation_info(op.code).fields) {
    const std::int64_t simplest = field_info(field).simplest;
    if (simplest == kNotShrunk) continue;
    for (std::size_t k = 0; k < number_count(op, field); ++k)
      if (shrink_field(reducer, i, number(op, field, k), simplest,
                       [field, k](Op& o, std::int64_t v) { set_number(o, field, k, v); }))
        return true;
  }
  for (std::size_t e = 0; e < op.body.size(); ++e) {
    const Op& inner = op.body[e];
    for (Field field : operation_info(inner.code).fields) {
      const std::int64_t simplest = field_info(field).simplest;
      if (simplest == kNotShrunk) continue;
      for (std::size_t k = 0; k < number_count(inner, field); ++k)
        if (shrink_field(reducer, i, number(inner, field, k), simplest,
                         [e, field, k](Op& o, std::int64_t v) { set_number(o.body[e], field, k, v); }))
          return true;
    }
  }
  return false;
}

// The ways of dropping edges (or, keeping them, objects) from op i, each a
// candidate op.
std::vector<Op> with_fewer_edges(const Op& op) {
  std::vector<Op> simpler;
  auto recoded = [&](OpCode code) {
    Op o = op;
    o.code = code;
    simpler.push_back(o);
  };
  if (op.code == OpCode::Cycle || op.code == OpCode::Clique) recoded(OpCode::Chain);
  if (op.code == OpCode::Chain && op.count >= 2) {  // as many references, one object fewer
    Op o = op;
    o.code = OpCode::Cycle;
    --o.count;
    simpler.push_back(o);
  }
  if (has_body(op) && (!op.body.empty() || operation_info(op.code).optional_body)) {
    Op o = op;  // no callback; an empty finalizer
    o.body.clear();
    o.has_body = false;
    simpler.push_back(o);
  }
  if (op.code == OpCode::Clique) recoded(OpCode::Cycle);
  if (op.body.size() > 1) {
    for (std::size_t e = op.body.size(); e-- > 0;) {
      Op o = op;
      o.body.erase(o.body.begin() + static_cast<std::ptrdiff_t>(e));
      simpler.push_back(o);
    }
  }
  return simpler;
}

// Plainer operations that might stand for op, plainest first: what drops a
// name's reference becomes `del`, an atom a list, a shape of one a list, a
// slot overwritten a slot removed, a threshold fewer values.
std::vector<Op> plainer_kinds(const Op& op) {
  std::vector<Op> plainer;
  auto as = [&](OpCode code, auto&& adjust) {
    Op o;
    o.code = code;
    o.target = op.target;
    o.where = op.where;
    adjust(o);
    plainer.push_back(o);
  };
  const auto nothing = [](Op&) {};
  const FieldList& fields = operation_info(op.code).fields;
  const auto has = [&](Field field) { return std::ranges::find(fields, field) != fields.end(); };
  if (has(Field::Length) || has(Field::CliqueSize)) {
    if (op.count == 1) as(OpCode::NewContainer, [&](Op& o) { o.size = op.size; });
  } else if (has(Field::Target)) {  // whatever it assigns: nothing, or a new list
    as(OpCode::Unbind, nothing);
    if (op.code != OpCode::NewContainer) as(OpCode::NewContainer, nothing);
  }
  if (op.code == OpCode::SetSlot) {
    as(OpCode::RemoveSlot, [&](Op& o) { o.index = op.index; });
    as(OpCode::Append, [&](Op& o) { o.source = op.source; });
  }
  if (has(Field::Thresholds) && op.arity > 1) {
    Op o = op;
    --o.arity;
    plainer.push_back(o);
  }
  std::erase_if(plainer, [&](const Op& o) { return kind_rank(o.code) > kind_rank(op.code) || o == op; });
  return plainer;
}

// Plainer operations that might stand for operation e of op's body, as
// plainer_kinds finds them, among those a body may hold.
std::vector<Op> plainer_body_operations(const Op& op) {
  std::vector<Op> plainer;
  for (std::size_t e = 0; e < op.body.size(); ++e) {
    for (Op& inner : plainer_kinds(op.body[e])) {
      if (!in_body_vocabulary(inner.code)) continue;
      Op o = op;
      o.body[e] = std::move(inner);
      plainer.push_back(std::move(o));
    }
  }
  return plainer;
}

// Whether op (re)binds name `n`: assigns it, or deletes it.
bool binds(const Op& op, NameIndex n) {
  for (Field field : operation_info(op.code).fields)
    if (field == Field::Target || field == Field::Name) return op.target == n;
  return false;
}

// The index of the last operation before `end` that binds `n`, if it is a
// new list (`n = list`).
std::optional<std::size_t> made_as_list(const Program& program, std::size_t end, NameIndex n) {
  for (std::size_t i = end; i-- > 0;)
    if (binds(program.ops[i], n)) return program.ops[i].code == OpCode::NewContainer ? std::optional(i) : std::nullopt;
  return std::nullopt;
}

// Lists built by hand, folded into the shape macro that builds them: `a =
// list; a.append(a)` is `a = cycle 1`; `a = list; b = list; a.append(b)` is
// `a = chain 2`. So one bug's reproducers come out as one program whichever
// way the inputs built their lists.
std::vector<Program> folded_into_shapes(const Program& program) {
  std::vector<Program> folded;
  for (std::size_t j = 0; j < program.ops.size(); ++j) {
    const Op& append = program.ops[j];
    if (append.code != OpCode::Append) continue;
    const auto holder = made_as_list(program, j, append.target), item = made_as_list(program, j, append.source);
    if (!holder || !item) continue;
    Program candidate = program;
    Op& shape = candidate.ops[*holder];
    shape.code = append.target == append.source ? OpCode::Cycle : OpCode::Chain;
    shape.count = append.target == append.source ? 1 : 2;
    std::vector<std::size_t> gone{j};
    if (*item != *holder) gone.push_back(*item);
    std::sort(gone.rbegin(), gone.rend());
    for (std::size_t i : gone) candidate.ops.erase(candidate.ops.begin() + static_cast<std::ptrdiff_t>(i));
    folded.push_back(std::move(candidate));
  }
  return folded;
}

// A collection made explicit: a threshold that makes one happen, or a
// finalizer or callback whose body collects, replaced by `collect g` after
// each later operation in turn (for a threshold, of each generation,
// youngest first).
std::vector<Program> collections_made_explicit(const Program& program) {
  std::vector<Program> explicit_ones;
  const auto collect_after = [&](const Program& without, std::size_t after, int generation) {
    Program candidate = without;
    Op collect;
    collect.code = OpCode::Collect;
    collect.generation = generation;
    candidate.ops.insert(candidate.ops.begin() + static_cast<std::ptrdiff_t>(std::min(after, candidate.ops.size())),
                         collect);
    explicit_ones.push_back(std::move(candidate));
  };
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const Op& op = program.ops[i];
    if (op.code == OpCode::SetThreshold) {
      Program without = program;
      without.ops.erase(without.ops.begin() + static_cast<std::ptrdiff_t>(i));
      for (int generation = 0; generation <= 2; ++generation)
        for (std::size_t after = i + 1; after <= without.ops.size(); ++after) collect_after(without, after, generation);
    }
    for (std::size_t e = 0; e < op.body.size(); ++e) {
      if (op.body[e].code != OpCode::Collect) continue;
      // The finalizer or weakref goes too, or the program would grow.
      Program without = program;
      without.ops.erase(without.ops.begin() + static_cast<std::ptrdiff_t>(i));
      for (std::size_t after = i; after <= without.ops.size(); ++after)
        collect_after(without, after, op.body[e].generation);
    }
  }
  return explicit_ones;
}

// Every operand of the program one step toward its simplest value at once:
// `step(value, simplest)` gives the next value.
template <class Step>
Program operands_shrunk_together(const Program& program, Step step) {
  Program shrunk = program;
  for (Op& op : shrunk.ops) {
    for (Field field : operation_info(op.code).fields) {
      const std::int64_t simplest = field_info(field).simplest;
      if (simplest == kNotShrunk) continue;
      for (std::size_t k = 0; k < number_count(op, field); ++k)
        set_number(op, field, k, step(number(op, field, k), simplest));
    }
  }
  return shrunk;
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

// Tries `candidates(current)` until none is kept; whether one was.
template <class Candidates>
bool rewrite_until_none_holds(Reducer& reducer, Candidates candidates) {
  bool improved = false;
  for (bool retry = true; retry && !reducer.out_of_budget();) {
    retry = false;
    for (const Program& candidate : candidates(reducer.current()))
      if (reducer.try_candidate(candidate)) {
        improved = retry = true;
        break;
      }
  }
  return improved;
}

bool fold_shapes(Reducer& reducer) {
  return rewrite_until_none_holds(reducer, folded_into_shapes) |
         rewrite_until_none_holds(reducer, collections_made_explicit);
}

bool simplify_ops(Reducer& reducer) {
  bool improved = false;
  for (std::size_t i = 0; i < reducer.current().ops.size() && !reducer.out_of_budget(); ++i) {
    std::vector<Op> candidates = plainer_kinds(reducer.current().ops[i]);
    for (Op& o : plainer_body_operations(reducer.current().ops[i])) candidates.push_back(std::move(o));
    for (const Op& plainer : candidates) {
      Program candidate = reducer.current();
      candidate.ops[i] = plainer;
      if (reducer.try_candidate(candidate)) {
        improved = true;
        break;
      }
    }
  }
  return improved;
}

// Adjacent operations out of the canonical order swap places, bubble-sort
// fashion, while the failure holds.
bool reorder_ops(Reducer& reducer) {
  bool improved = false;
  for (bool swapped = true; swapped && !reducer.out_of_budget();) {
    swapped = false;
    for (std::size_t i = 0; i + 1 < reducer.current().ops.size() && !reducer.out_of_budget(); ++i) {
      const Program& current = reducer.current();
      if (!before_in_canonical_order(current.ops[i + 1], current.ops[i])) continue;
      Program candidate = current;
      std::swap(candidate.ops[i], candidate.ops[i + 1]);
      if (reducer.try_candidate(candidate)) improved = swapped = true;
    }
  }
  return improved;
}

bool shrink_operands(Reducer& reducer) {
  bool improved = false;
  // All at once first (a threshold and the shape that reaches it), halving,
  // then a step at a time; then one operand after another.
  const auto halfway = [](std::int64_t v, std::int64_t simplest) { return simplest + (v - simplest) / 2; };
  const auto one_step = [](std::int64_t v, std::int64_t simplest) { return v > simplest ? v - 1 : v < simplest ? v + 1 : v; };
  while (!reducer.out_of_budget() && (reducer.try_candidate(operands_shrunk_together(reducer.current(), halfway)) ||
                                      reducer.try_candidate(operands_shrunk_together(reducer.current(), one_step))))
    improved = true;
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
