// Operations to primitive steps: macro expansion, and a step's text.
//
// Shapes are built the way Python code would build them in a loop, with the
// partial shape held by scratch names ($h the head, $s and $t the members
// being linked), so automatic collections may run in the middle of a macro on
// both machines alike. The target name is bound last, like `a = make_cycle(k)`,
// so its old object is dropped only once the new shape exists.
#include <algorithm>
#include <string>

#include "executor_internal.h"
#include "gcverify/text.h"

namespace gcv {

std::string name_text(const Program& program, NameIndex n) {
  if (n < program.names.size()) return program.names[n];
  static const char* const kScratch[] = {"$h", "$s", "$t"};
  const std::size_t k = n - program.names.size();
  return k < 3 ? kScratch[k] : "$" + std::to_string(k);
}

namespace {

// Builds steps over the scratch names h, s, t.
class ShapeBuilder {
 public:
  ShapeBuilder(NameIndex scratch, std::uint32_t payload, StepSink sink)
      : h_(scratch), s_(scratch + 1), t_(scratch + 2), payload_(payload), sink_(sink) {}

  void new_member(NameIndex dst) {
    emit({.kind = Step::Kind::NewContainer, .target = dst, .size = payload_});
    bound(dst);
  }
  void append(NameIndex container, NameIndex item) {
    emit({.kind = Step::Kind::Append, .target = container, .source = item});
  }
  void bind(NameIndex dst, NameIndex src) {
    emit({.kind = Step::Kind::Bind, .target = dst, .source = src});
    bound(dst);
  }
  void load(NameIndex dst, NameIndex container, std::uint32_t index) {
    emit({.kind = Step::Kind::LoadSlot, .target = dst, .source = container, .index = index});
    bound(dst);
  }

  // $h -> m2 -> ... -> mk, with $s at mk.
  void chain(std::uint32_t k) {
    new_member(h_);
    bind(s_, h_);
    for (std::uint32_t i = 1; i < k && !stopped_; ++i) {
      new_member(t_);
      append(s_, t_);
      bind(s_, t_);
    }
  }
  void cycle(std::uint32_t k) {
    chain(k);
    append(s_, h_);
  }
  // $h refers to m2..mk and each of them to $h first, then to the others.
  void clique(std::uint32_t k) {
    new_member(h_);
    for (std::uint32_t i = 1; i < k && !stopped_; ++i) {
      new_member(t_);
      append(h_, t_);
      append(t_, h_);
    }
    for (std::uint32_t i = 0; i + 1 < k && !stopped_; ++i) {
      load(s_, h_, i);
      for (std::uint32_t j = 0; j + 1 < k && !stopped_; ++j) {
        if (i == j) continue;
        load(t_, h_, j);
        append(s_, t_);
      }
    }
  }
  // Binds the target and drops the scratch names a short shape may not
  // have used (unbinding an unbound name is not a valid step).
  void finish(NameIndex target) {
    bind(target, h_);
    for (NameIndex n : {h_, s_, t_})
      if (is_bound_[n - h_]) emit({.kind = Step::Kind::Unbind, .target = n});
  }

 private:
  void emit(Step step) {
    if (!stopped_) stopped_ = !sink_(step);
  }
  void bound(NameIndex n) {
    if (n >= h_ && n <= t_) is_bound_[n - h_] = true;
  }

  NameIndex h_, s_, t_;
  bool is_bound_[3] = {false, false, false};
  std::uint32_t payload_;
  StepSink sink_;
  bool stopped_ = false;
};

}  // namespace

// The step as its operation's text form spells it (scratch names as $h, $s,
// $t), with the serial it allocated.
std::string format_step(const Program& program, const Step& s) {
  Program named;
  named.names = program.names;
  for (NameIndex k = 0; k < 3; ++k) named.names.push_back(name_text(program, static_cast<NameIndex>(program.names.size() + k)));
  Op op;
  op.code = s.kind;
  op.target = s.target, op.source = s.source, op.index = s.index, op.size = s.size, op.value = s.value;
  op.arity = static_cast<std::uint8_t>(s.arity), op.generation = s.generation;
  for (std::size_t i = 0; i < op.values.size(); ++i) op.values[i] = static_cast<std::uint32_t>(s.values[i]);
  if (s.body != nullptr) op.body = *s.body, op.has_body = true;
  return format_op(named, op) + (s.serial ? "  (#" + std::to_string(s.serial) + ")" : "");
}

void expand_op(const Op& op, NameIndex scratch, StepSink sink) {
  if (is_expectation(op.code)) return;  // checked against the model: no steps
  if (op.code == OpCode::Cycle || op.code == OpCode::Chain || op.code == OpCode::Clique) {
    ShapeBuilder shape(scratch, op.size, sink);
    if (op.code == OpCode::Cycle) shape.cycle(op.count);
    if (op.code == OpCode::Chain) shape.chain(op.count);
    if (op.code == OpCode::Clique) shape.clique(op.count);
    shape.finish(op.target);
    return;
  }
  Step step{.kind = op.code, .target = op.target, .source = op.source, .index = op.index, .size = op.size,
            .value = op.value, .arity = op.arity, .generation = op.generation, .body = has_body(op) ? &op.body : nullptr};
  for (std::size_t i = 0; i < op.values.size(); ++i) step.values[i] = op.values[i];
  sink(step);
}

// Counted from ShapeBuilder's loops rather than by expanding, so that the
// step budget costs the same for a shape of ten million members as for one.
std::size_t step_count(const Op& op, std::size_t limit) {
  const std::uint64_t k = op.count;
  std::uint64_t count = 1;
  switch (op.code) {
    case OpCode::Chain:
    case OpCode::Cycle:  // $h, $s = $h, then 3 steps a member; bind; del $h $s [$t]; the closing append
      count = 2 + 3 * (k > 0 ? k - 1 : 0) + 1 + 2 + (k >= 2) + (op.code == OpCode::Cycle);
      break;
    case OpCode::Clique:  // $h, 3 steps a member; k - 1 loads, each with k - 2 load-appends; bind; del
      count = k < 2 ? 3 : 1 + 3 * (k - 1) + (k - 1) * (1 + 2 * (k - 2)) + 1 + 3;
      break;
    default:
      if (is_expectation(op.code)) count = 0;
      break;
  }
  return static_cast<std::size_t>(std::min<std::uint64_t>(count, limit));
}

}  // namespace gcv
