// Operations to primitive steps: macro expansion and the dispatch of a step to
// a Machine.
//
// Shapes are built the way Python code would build them in a loop, with the
// partial shape held by scratch names ($h the head, $s and $t the members
// being linked), so automatic collections may run in the middle of a macro on
// both machines alike. The target name is bound last, like `a = make_cycle(k)`,
// so its old object is dropped only once the new shape exists.
#include <algorithm>
#include <string>

#include "executor_internal.h"

namespace gcv {

std::int64_t apply_step(Machine& m, const Step& s) {
  switch (s.kind) {
    case Step::Kind::NewContainer: m.new_container(s.target, s.serial, s.size); return 0;
    case Step::Kind::NewStr: m.new_str(s.target, s.serial, s.size); return 0;
    case Step::Kind::NewInt: m.new_int(s.target, s.serial, s.value); return 0;
    case Step::Kind::Bind: m.bind(s.target, s.source); return 0;
    case Step::Kind::LoadSlot: m.load_slot(s.target, s.source, s.index); return 0;
    case Step::Kind::Unbind: m.unbind(s.target); return 0;
    case Step::Kind::Append: m.append(s.target, s.source); return 0;
    case Step::Kind::SetSlot: m.set_slot(s.target, s.index, s.source); return 0;
    case Step::Kind::RemoveSlot: m.remove_slot(s.target, s.index); return 0;
    case Step::Kind::Collect: return m.collect(s.generation);
    case Step::Kind::SetThreshold: m.set_threshold(s.arity, s.values); return 0;
    case Step::Kind::Enable: m.enable(); return 0;
    case Step::Kind::Disable: m.disable(); return 0;
    case Step::Kind::Freeze: m.freeze(); return 0;
    case Step::Kind::Unfreeze: m.unfreeze(); return 0;
    case Step::Kind::SetFinalizer: m.set_finalizer(s.target, *s.effects); return 0;
    case Step::Kind::SetLegacyFinalizer: m.set_legacy_finalizer(s.target); return 0;
    case Step::Kind::NewWeakref: m.new_weakref(s.target, s.serial, s.source, *s.effects); return 0;
    case Step::Kind::Deref: m.deref(s.target, s.source); return 0;
    case Step::Kind::SetDebug: m.set_debug(s.value != 0); return 0;
    case Step::Kind::ClearGarbage: m.clear_garbage(); return 0;
    case Step::Kind::LoadGarbage: m.load_garbage(s.target, s.index); return 0;
  }
  return 0;
}

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

std::string format_step(const Program& program, const Step& s) {
  const std::string t = name_text(program, s.target);
  const std::string src = name_text(program, s.source);
  switch (s.kind) {
    case Step::Kind::NewContainer: return t + " = list " + std::to_string(s.size) + "  (#" + std::to_string(s.serial) + ")";
    case Step::Kind::NewStr: return t + " = str " + std::to_string(s.size) + "  (#" + std::to_string(s.serial) + ")";
    case Step::Kind::NewInt: return t + " = int " + std::to_string(s.value) + (s.serial ? "  (#" + std::to_string(s.serial) + ")" : "");
    case Step::Kind::Bind: return t + " = " + src;
    case Step::Kind::LoadSlot: return t + " = " + src + "[" + std::to_string(s.index) + "]";
    case Step::Kind::Unbind: return "del " + t;
    case Step::Kind::Append: return t + ".append(" + src + ")";
    case Step::Kind::SetSlot: return t + "[" + std::to_string(s.index) + "] = " + src;
    case Step::Kind::RemoveSlot: return "del " + t + "[" + std::to_string(s.index) + "]";
    case Step::Kind::Collect: return "collect " + std::to_string(s.generation);
    case Step::Kind::SetThreshold: {
      std::string text = "threshold";
      for (int i = 0; i < s.arity; ++i) text += " " + std::to_string(s.values[i]);
      return text;
    }
    case Step::Kind::Enable: return "enable";
    case Step::Kind::Disable: return "disable";
    case Step::Kind::Freeze: return "freeze";
    case Step::Kind::Unfreeze: return "unfreeze";
    case Step::Kind::SetFinalizer: return "finalizer " + t + ": ...";
    case Step::Kind::SetLegacyFinalizer: return "legacy_finalizer " + t;
    case Step::Kind::NewWeakref: return t + " = weakref " + src + "  (#" + std::to_string(s.serial) + ")";
    case Step::Kind::Deref: return t + " = " + src + "()";
    case Step::Kind::SetDebug: return s.value != 0 ? "debug saveall" : "debug none";
    case Step::Kind::ClearGarbage: return "clear garbage";
    case Step::Kind::LoadGarbage: return t + " = garbage[" + std::to_string(s.index) + "]";
  }
  return "?";
}

void expand_op(const Op& op, NameIndex scratch, StepSink sink) {
  const auto one = [&](Step step) { sink(step); };
  switch (op.code) {
    case OpCode::NewContainer:
      one({.kind = Step::Kind::NewContainer, .target = op.target, .size = op.size});
      return;
    case OpCode::NewStr: one({.kind = Step::Kind::NewStr, .target = op.target, .size = op.size}); return;
    case OpCode::NewInt: one({.kind = Step::Kind::NewInt, .target = op.target, .value = op.value}); return;
    case OpCode::Bind: one({.kind = Step::Kind::Bind, .target = op.target, .source = op.source}); return;
    case OpCode::LoadSlot:
      one({.kind = Step::Kind::LoadSlot, .target = op.target, .source = op.source, .index = op.index});
      return;
    case OpCode::Unbind: one({.kind = Step::Kind::Unbind, .target = op.target}); return;
    case OpCode::Append: one({.kind = Step::Kind::Append, .target = op.target, .source = op.source}); return;
    case OpCode::SetSlot:
      one({.kind = Step::Kind::SetSlot, .target = op.target, .source = op.source, .index = op.index});
      return;
    case OpCode::RemoveSlot: one({.kind = Step::Kind::RemoveSlot, .target = op.target, .index = op.index}); return;
    case OpCode::Cycle:
    case OpCode::Chain:
    case OpCode::Clique: {
      ShapeBuilder shape(scratch, op.size, sink);
      if (op.code == OpCode::Cycle) shape.cycle(op.count);
      if (op.code == OpCode::Chain) shape.chain(op.count);
      if (op.code == OpCode::Clique) shape.clique(op.count);
      shape.finish(op.target);
      return;
    }
    case OpCode::Collect: one({.kind = Step::Kind::Collect, .generation = op.generation}); return;
    case OpCode::SetThreshold: {
      Step s{.kind = Step::Kind::SetThreshold, .arity = op.arity};
      for (int i = 0; i < 3; ++i) s.values[i] = op.values[i];
      one(s);
      return;
    }
    case OpCode::Enable: one({.kind = Step::Kind::Enable}); return;
    case OpCode::Disable: one({.kind = Step::Kind::Disable}); return;
    case OpCode::Freeze: one({.kind = Step::Kind::Freeze}); return;
    case OpCode::Unfreeze: one({.kind = Step::Kind::Unfreeze}); return;
    case OpCode::SetFinalizer:
      one({.kind = Step::Kind::SetFinalizer, .target = op.target, .effects = &op.effects});
      return;
    case OpCode::SetLegacyFinalizer: one({.kind = Step::Kind::SetLegacyFinalizer, .target = op.target}); return;
    case OpCode::NewWeakref:
      one({.kind = Step::Kind::NewWeakref, .target = op.target, .source = op.source, .effects = &op.effects});
      return;
    case OpCode::Deref: one({.kind = Step::Kind::Deref, .target = op.target, .source = op.source}); return;
    case OpCode::SetDebug: one({.kind = Step::Kind::SetDebug, .value = op.value}); return;
    case OpCode::ClearGarbage: one({.kind = Step::Kind::ClearGarbage}); return;
    case OpCode::LoadGarbage:
      one({.kind = Step::Kind::LoadGarbage, .target = op.target, .index = op.index});
      return;
    default: return;  // expectations have no steps
  }
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
