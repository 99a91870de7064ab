// The lockstep run: resolve, expand, apply to both machines, compare.
// See executor.h for the contract.
#include <algorithm>
#include <bit>
#include <chrono>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "executor_internal.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

constexpr std::size_t kScratchNames = 3;

// What a run compares and runs: what both machines declare. A model made for
// other capabilities than the system's where its rules differ would predict
// another machine: refused.
Capabilities run_capabilities(const Machine& model, const Machine& sut) {
  const Capabilities rules = Capabilities::model_rules();
  if ((model.capabilities() & rules) != (sut.capabilities() & rules))
    throw std::invalid_argument("gcverify: the model follows " + (model.capabilities() & rules).to_string() + " but " +
                                std::string(sut.name()) + " declares " + (sut.capabilities() & rules).to_string() +
                                " of the capabilities the model's rules depend on: make the model with "
                                "make_reference_model(profile, sut.capabilities())");
  return model.capabilities() & sut.capabilities();
}

std::string triple(const std::array<std::int64_t, 3>& v) {
  return std::to_string(v[0]) + " " + std::to_string(v[1]) + " " + std::to_string(v[2]);
}

}  // namespace

// Storage that outlives one run.
struct Executor::Buffers {
  std::vector<NameIndex> all_names;
  std::vector<ObjectKey> changed;
  std::vector<Event> model_events, sut_events;
  std::vector<ObjectState> model_objects, sut_objects;
  ObjectState model_state, sut_state;  // one object's state
};

namespace {

class Lockstep {
 public:
  Lockstep(const Program& program, Machine& model, Machine& sut, const RunOptions& options, Executor::Buffers& buffers)
      : program_(program), model_(model), sut_(sut), options_(options),
        capabilities_(run_capabilities(model, sut)), sut_capabilities_(sut.capabilities()),
        scratch_(static_cast<NameIndex>(program.names.size())), name_count_(program.names.size() + kScratchNames),
        all_names_(buffers.all_names), changed_(buffers.changed),
        model_events_(buffers.model_events), sut_events_(buffers.sut_events),
        model_objects_(buffers.model_objects), sut_objects_(buffers.sut_objects),
        model_state_(buffers.model_state), sut_state_(buffers.sut_state) {
    all_names_.clear();
    for (NameIndex n = 0; n < name_count_; ++n) all_names_.push_back(n);
    result_.resolved.names = program.names;
    result_.resolved.origin = program.origin;
    // What ran holds for the version it ran under: said when not the default,
    // so that a reproducer written from it runs under that version again.
    result_.resolved.holds_for = program.holds_for;
    if (program.holds_for.empty() && options.cpython != kDefaultCPythonVersion)
      result_.resolved.holds_for = {options.cpython};
    // What ran refused memory only on a system that can (lenient runs ignore
    // the line elsewhere); `operation N` is numbered when N runs (run_op).
    if (sut_capabilities_.has(Capability::MemoryFailures) &&
        program.memory_failures.mode != MemoryFailures::Mode::Operation)
      result_.resolved.memory_failures = program.memory_failures;
    result_.resolved.ops.reserve(program.ops.size());
  }

  // Both machines start empty with the program's names and the scratch
  // names; the system under test then refuses the memory the program says.
  void start() {
    model_.reset(name_count_);
    sut_.reset(name_count_);
    if (refuses_memory() && program_.memory_failures.mode != MemoryFailures::Mode::Operation)
      sut_.fail_memory(program_.memory_failures);
  }

  // Runs the operations not run yet; the program may have grown since. In
  // strict mode, none of them runs when one needs what the system under test
  // lacks.
  void run_pending() {
    if (options_.strict && result_.outcome == Outcome::Pass) refuse_if_not_applicable();
    for (; next_op_ < program_.ops.size() && result_.outcome == Outcome::Pass && !result_.truncated; ++next_op_)
      run_op(next_op_);
  }

  void finish() {
    if (result_.outcome == Outcome::Pass && options_.teardown && !result_.out_of_time) teardown();
  }

  const RunResult& result() const { return result_; }
  RunResult take_result() { return std::move(result_); }
  const std::vector<Event>& model_events() const { return model_events_; }
  const std::vector<Event>& sut_events() const { return sut_events_; }

 private:
  // The first pending operation that needs a capability the system under
  // test does not declare (or the program's `# fail:` line), reported as not
  // applicable.
  void refuse_if_not_applicable() {
    if (next_op_ == 0 && program_.memory_failures.any() && !sut_capabilities_.has(Capability::MemoryFailures))
      return not_applicable(Capabilities().with(Capability::MemoryFailures),
                            "# fail: " + program_.memory_failures.to_string());
    for (std::size_t i = next_op_; i < program_.ops.size(); ++i) {
      const Op& op = program_.ops[i];
      if (is_expectation(op.code) && !options_.check_expectations) continue;
      const Capabilities missing = needed_capabilities(op) - sut_capabilities_;
      if (missing.empty()) continue;
      op_index_ = i;
      op_ = op;
      return not_applicable(missing, {});
    }
  }

  void not_applicable(Capabilities missing, std::string op_text) {
    std::string reasons;
    for (std::size_t c = 0; c < kCapabilityCount; ++c)
      if (missing.has(static_cast<Capability>(c)))
        reasons += (reasons.empty() ? "" : "; ") + std::string(kCapabilities[c].name) + ": " + kCapabilities[c].what;
    fail(Outcome::NotApplicable,
         {CheckKind::Capability, "capabilities",
          reasons + " (" + std::string(sut_.name()) + " declares: " + sut_capabilities_.to_string() + ")",
          missing.to_string(), {}},
         std::move(op_text));
  }

  void run_op(std::size_t index) {
    model_events_.clear();  // a skipped operation reports no events
    sut_events_.clear();
    const Op& original = program_.ops[index];
    // An expectation that is not checked does nothing: it is not run, and
    // not part of the program as it ran (whose text would check it).
    if (is_expectation(original.code) && !options_.check_expectations) return;
    // Lenient: an operation the system under test cannot run is skipped.
    if (!sut_capabilities_.contains(needed_capabilities(original))) return;
    const Resolution resolution = resolve_op(program_, original, model_, strict_, model_state_);
    if (resolution.kind == Resolution::Kind::Skip) return;
    op_index_ = index;
    op_ = resolution.op;
    // Without generations every collection is a full one: said so in what ran.
    if (op_.code == OpCode::Collect && !capabilities_.has(Capability::Generations)) op_.generation = 2;
    if (resolution.kind == Resolution::Kind::Error)
      return fail(Outcome::ProgramError, {CheckKind::ProgramError, "program error", resolution.error, "", {}},
                  format_op(program_, original));
    if (options_.max_steps != 0 && !within_budget()) {
      result_.truncated = true;
      result_.report.op_index = index;
      return;
    }
    if (!options_.check_expectations) op_.has_expected = false;  // `collect -> n` checks n
    result_.resolved.ops.push_back(op_);
    ++result_.ops_run;
    if (options_.trace) options_.trace({.op_index = index, .text = format_op(program_, op_)});
    if (is_expectation(op_.code)) return check_expectation();
    // `# fail: operation N`: every request refused while it runs.
    const bool refusing = refuses_memory() && program_.memory_failures.mode == MemoryFailures::Mode::Operation &&
                          program_.memory_failures.request == index + 1;
    if (refusing) {
      sut_.fail_memory({.mode = MemoryFailures::Mode::From, .request = 1});
      // The operation's number in the program as it ran, where skipped
      // operations are left out.
      result_.resolved.memory_failures = {.mode = MemoryFailures::Mode::Operation, .request = result_.resolved.ops.size()};
    }
    // Steps are made as they run; a report names the step when there are several.
    const bool several = step_count(op_, 2) > 1;
    const bool once_per_op = options_.check == CheckLevel::Fast;
    Step last;
    expand_op(op_, scratch_, [&](Step& step) {
      step_ = several ? &step : nullptr;
      run_step(step);
      if (once_per_op) last = step;
      else compare_state(/*everything=*/false);
      step_ = nullptr;
      // A MemoryError ends a shape, as an exception ends the loop building it:
      // its later steps read what the failed one would have made.
      return result_.outcome == Outcome::Pass && !result_.out_of_time && !memory_error_;
    });
    if (refusing) sut_.fail_memory({});
    if (once_per_op && !result_.out_of_time) {
      step_ = several ? &last : nullptr;
      compare_state(/*everything=*/false);
      step_ = nullptr;
    }
  }

  // The program's `# fail:` line applies to this system.
  bool refuses_memory() const {
    return program_.memory_failures.any() && sut_capabilities_.has(Capability::MemoryFailures);
  }

  // Tells the caller how far the run has got, and stops it (where it is:
  // between two steps) once it is past its time budget.
  void report_progress() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (options_.progress)
      options_.progress({.op_index = op_index_, .ops = program_.ops.size(), .steps_run = result_.steps_run,
                         .live_objects = live_objects(), .seconds = seconds});
    if (options_.max_seconds > 0 && seconds >= options_.max_seconds) {
      result_.truncated = result_.out_of_time = true;
      result_.report.op_index = op_index_;
    }
  }

  // Whether op_ fits in what is left of the step budget. In lenient mode a
  // shape too long for it is resolved to one that fits, as other operands are
  // resolved modulo what exists (its length k becomes 1 + (k - 1) mod the
  // longest that fits), so a fuzzer's long shapes still run.
  bool within_budget() {
    const std::size_t left = options_.max_steps - std::min(options_.max_steps, result_.steps_run);
    const auto fits = [&](const Op& op) { return step_count(op, left + 1) <= left; };
    if (fits(op_)) return true;
    if (strict_ || (op_.code != OpCode::Cycle && op_.code != OpCode::Chain && op_.code != OpCode::Clique))
      return false;
    Op shorter = op_;
    std::uint32_t low = 0, high = op_.count;  // the longest that fits is in (low, high)
    while (high - low > 1) {
      shorter.count = low + (high - low) / 2;
      (fits(shorter) ? low : high) = shorter.count;
    }
    if (low == 0) return false;
    op_.count = 1 + (op_.count - 1) % low;
    return true;
  }

  void run_step(Step& step) {
    if (std::optional<Difference> d = unrunnable_on_sut(step)) return fail(Outcome::Divergence, std::move(*d));
    if (++result_.steps_run % RunOptions::kProgressSteps == 0) report_progress();
    if (step.allocates(capabilities_)) step.serial = model_.next_serial();
    // The system under test first: the model follows its MemoryErrors.
    std::int64_t actual = 0;
    memory_error_ = false;
    try {
      actual = apply_step(sut_, step);
    } catch (const std::bad_alloc&) {
      memory_error_ = true;
    }
    follow_failed_effects();
    if (memory_error_) return follow_memory_error(step);
    const std::int64_t expected = apply_step(model_, step);
    if (step.kind != Step::Kind::Collect || !options_.compare) return;
    if (op_.code == OpCode::Collect && op_.has_expected && expected != op_.value)
      return fail(Outcome::ExpectationFailed, {CheckKind::Expectation, "collect result",
                                               "the program expects " + std::to_string(op_.value),
                                               "the model returns " + std::to_string(expected), {}});
    if (expected != actual)
      collect_result_ = Difference{CheckKind::CollectResult, "gc.collect(" + std::to_string(step.generation) + ") result",
                                   std::to_string(expected), std::to_string(actual), {}};
  }

  // A step the system under test failed with MemoryError did not run there;
  // the model does not run it either, unless it needs no memory, which no
  // MemoryError excuses.
  void follow_memory_error(const Step& step) {
    if (!step.needs_memory(sut_capabilities_))
      return fail(Outcome::Divergence, {CheckKind::MemoryError, "MemoryError",
                                        "no MemoryError: " + format_step(program_, step) + " needs no memory",
                                        "MemoryError", {}});
    note_memory_error("MemoryError at " + where_now() + ": not run");
  }

  // The body operations the system under test skipped for MemoryError in the
  // step it just ran: the model skips them too.
  void follow_failed_effects() {
    failed_effects_.clear();
    sut_.take_failed_effects(failed_effects_);
    if (failed_effects_.empty()) return;
    model_.skip_effects(failed_effects_);
    for (const Machine::FailedEffect& effect : failed_effects_) {
      const std::optional<ObjectState> self = model_.object(effect.self);
      const char* body = self && self->kind == ObjectKind::Weakref ? "callback" : "finalizer";
      note_memory_error("MemoryError at " + where_now() + ": operation " + std::to_string(effect.index + 1) + " of the " +
                        body + " of " + effect.self.to_string() + " skipped");
    }
  }

  // After a MemoryError the operations run leniently: they may read what it
  // left unbound, or a slot it did not fill.
  void note_memory_error(std::string text) {
    strict_ = false;
    if (options_.trace) options_.trace({.kind = TraceEntry::Kind::MemoryError, .op_index = op_index_, .text = text});
    result_.memory_errors.push_back(std::move(text));
  }

  // "operation 3 (b = list)", or "the teardown (step)".
  std::string where_now() const {
    if (op_index_ >= program_.ops.size()) return "the teardown" + (step_ != nullptr ? " (" + format_step(program_, *step_) + ")" : "");
    return "operation " + std::to_string(op_index_ + 1) + " (" + format_op(program_, op_) + ")";
  }

  // Steps are resolved against the model. A system under test that diverged
  // where this run does not look (a property checking only its own invariant,
  // or between two comparisons) could be handed a step it cannot run, and an
  // adapter may trust its arguments: report the divergence instead. Every
  // name the step reads must be bound to the model's object there too, and
  // every index must be in range there.
  std::optional<Difference> unrunnable_on_sut(const Step& step) {
    std::optional<Difference> d;
    const auto reads = [&](NameIndex name) {
      if (!d) d = compare_bindings(program_, model_, sut_, std::span(&name, 1));
    };
    const auto indexes = [&](NameIndex container) {  // read just before
      const std::optional<ObjectKey> key = sut_.binding(container);
      if (d || !key) return;
      const std::optional<std::size_t> slots = sut_.slot_count(*key);
      if (slots && step.index < *slots) return;
      d = Difference{CheckKind::Slots, "slot " + std::to_string(step.index) + " of '" + name_text(program_, container) + "'", "present",
                     slots ? "out of range (" + std::to_string(*slots) + " slots)" : "not a live container", {*key}};
    };
    NameIndex list = 0;  // the list an index indexes: its form names it first
    for (Field field : operation_info(step.kind).fields) {
      const Need need = field_info(field).need;
      if (field == Field::Index) {
        indexes(list);
      } else if (field == Field::GarbageIndex && !options_.compare) {  // compared after every step when comparing
        if (const std::size_t size = sut_.garbage().size(); step.index >= size)
          d = Difference{CheckKind::Garbage, "entry " + std::to_string(step.index) + " of gc.garbage", "present",
                         "out of range (" + std::to_string(size) + " entries)", {}};
      } else if (is_name_field(field) && need != Need::Nothing) {
        const NameIndex name = field_info(field).operand == kTarget ? step.target : step.source;
        if (need == Need::List) list = name;
        reads(name);
      }
    }
    return d;
  }

  // Compares the two machines after a step; `everything` compares every
  // live object whatever the check level.
  void compare_state(bool everything) {
    if (result_.outcome != Outcome::Pass) return;
    model_events_.clear();
    sut_events_.clear();
    model_.take_events(model_events_);
    sut_.take_events(sut_events_);
    if (options_.trace && !sut_events_.empty())
      options_.trace({.kind = TraceEntry::Kind::Events, .op_index = op_index_, .events = &sut_events_});
    changed_.clear();
    const bool model_knows = model_.take_changed(changed_);  // both drained, whatever each says
    const bool changes_known = sut_.take_changed(changed_) && model_knows;
    for (const Event& e : model_events_) {
      result_.collections += e.type == Event::Type::CollectionStop;
      freed_ += e.type == Event::Type::Freed && e.key.is_serial();
    }
    if (!options_.compare) return;
    // Which objects a collection freed is the cause, the number it returned a
    // consequence: the events are compared first.
    std::optional<Difference> d = compare_events(model_events_, sut_events_);
    if (!d) d = std::move(collect_result_);
    collect_result_.reset();
    if (!d) d = compare_collector(model_.collector_state(), sut_.collector_state(), capabilities_);
    if (!d) d = compare_garbage(model_.garbage(), sut_.garbage());
    if (!d) d = compare_bindings(program_, model_, sut_, all_names_);
    if (!d && (everything || options_.check == CheckLevel::Exhaustive || !changes_known)) {
      model_.objects(model_objects_);
      sut_.objects(sut_objects_);
      d = compare_objects(model_objects_, sut_objects_, capabilities_);
    } else if (!d) {
      sort_changed();
      d = compare_objects_at(changed_, model_, sut_, model_state_, sut_state_, capabilities_);
    }
    if (d) fail(Outcome::Divergence, std::move(*d));
  }

  void check_expectation() {
    const CollectorState state = model_.collector_state();
    std::optional<ObjectState> object;
    std::string subject;
    if (op_.code == OpCode::ExpectAlive || op_.code == OpCode::ExpectDead || op_.code == OpCode::ExpectRefcount ||
        op_.code == OpCode::ExpectGeneration || op_.code == OpCode::ExpectFinalized ||
        op_.code == OpCode::ExpectNotFinalized) {
      const auto key = op_.object.by_serial ? std::optional(ObjectKey::serial(op_.object.value)) : model_.binding(op_.object.value);
      if (key) object = model_.object(*key);
      subject = op_.object.by_serial ? "#" + std::to_string(op_.object.value) : program_.names[op_.object.value];
    }
    std::string expected, actual;
    switch (op_.code) {
      case OpCode::ExpectCount:
        expected = triple({op_.values[0], op_.values[1], op_.values[2]});
        actual = triple(state.count);
        break;
      case OpCode::ExpectThreshold:
        expected = triple({op_.values[0], op_.values[1], op_.values[2]});
        actual = triple(state.threshold);
        break;
      case OpCode::ExpectAlive:
      case OpCode::ExpectDead:
        expected = subject + (op_.code == OpCode::ExpectAlive ? " alive" : " dead");
        actual = subject + (object ? " alive" : " dead");
        break;
      case OpCode::ExpectRefcount:
        expected = "refcount of " + subject + " " + std::to_string(op_.value);
        actual = object ? "refcount of " + subject + " " + std::to_string(object->refcount) : subject + " dead";
        break;
      case OpCode::ExpectGeneration:
        expected = subject + " in generation " + generation_name(op_.generation);
        actual = object ? subject + " in generation " + generation_name(object->generation) : subject + " dead";
        break;
      case OpCode::ExpectFreezeCount:
        expected = std::to_string(op_.value);
        actual = std::to_string(state.freeze_count);
        break;
      case OpCode::ExpectGarbage:
        expected = std::to_string(op_.value) + " objects in gc.garbage";
        actual = std::to_string(model_.garbage().size()) + " objects in gc.garbage";
        break;
      case OpCode::ExpectFinalized:
      case OpCode::ExpectNotFinalized:
        expected = subject + (op_.code == OpCode::ExpectFinalized ? " finalized" : " not finalized");
        actual = object ? subject + (object->finalized ? " finalized" : " not finalized") : subject + " dead";
        break;
      case OpCode::ExpectLive: {
        model_.objects(model_objects_);
        std::int64_t live = 0;
        for (const ObjectState& o : model_objects_) live += o.key.is_serial();
        expected = std::to_string(op_.value) + " live objects";
        actual = std::to_string(live) + " live objects";
        break;
      }
      case OpCode::ExpectIs:
      case OpCode::ExpectUnbound: {
        const std::string& name = program_.names[op_.source];
        expected = name + " " + (op_.code == OpCode::ExpectIs ? identity(op_.object) : "unbound");
        actual = name + " " + identity_of(model_.binding(op_.source));
        break;
      }
      case OpCode::ExpectSlotIs: {
        const std::string slot = program_.names[op_.source] + "[" + std::to_string(op_.index) + "]";
        const std::optional<ObjectState> list = model_.object(*model_.binding(op_.source));
        expected = slot + " " + identity(op_.object);
        actual = op_.index < list->slots.size() ? slot + " " + identity_of(list->slots[op_.index])
                                                : "no " + slot + ": " + std::to_string(list->slots.size()) + " items";
        break;
      }
      case OpCode::ExpectReferentIs:
      case OpCode::ExpectReferentNone: {
        const std::string call = program_.names[op_.source] + "()";
        const ObjectKey referent = model_.object(*model_.binding(op_.source))->referent;
        expected = call + " " + (op_.code == OpCode::ExpectReferentIs ? identity(op_.object) : "is none");
        actual = call + " " + (referent == ObjectKey{} ? "is none" : identity_of(referent));
        break;
      }
      default: return;
    }
    if (expected == actual) return;
    const bool object_by_name = (op_.code == OpCode::ExpectIs || op_.code == OpCode::ExpectSlotIs ||
                                 op_.code == OpCode::ExpectReferentIs) && !op_.object.by_serial;
    if (object_by_name) expected += " (" + program_.names[op_.object.value] + "'s object)";
    fail(Outcome::ExpectationFailed, {CheckKind::Expectation, "expectation", expected, "the model has " + actual, {}});
  }

  // "is #3" for an expectation's object: a serial, or the object a name is
  // bound to now.
  std::string identity(const ObjectRef& object) const {
    if (object.by_serial) return "is #" + std::to_string(object.value);
    return identity_of(model_.binding(object.value));
  }
  static std::string identity_of(const std::optional<ObjectKey>& key) {
    return key ? "is " + key->to_string() : "unbound";
  }

  // Unfreeze, then in rounds: break the cycles in gc.garbage, drop it and
  // every name (drop_names), and collect; all in lockstep. Rounds repeat while
  // finalizers bind names again (resurrection), uncollectable cycles come back
  // to gc.garbage, or objects a legacy finalizer kept uncollectable are left
  // for the next collection: while anything is bound or in gc.garbage, or a
  // round freed something. Each finalizer runs once, so they end. The first
  // round always runs, so every teardown ends in a compared collection. Then
  // ask both machines whether anything is left.
  void teardown() {
    op_index_ = program_.ops.size();
    op_ = Op{};
    if (options_.trace) options_.trace({.op_index = op_index_, .text = "teardown"});
    if (capabilities_.has(Capability::Freeze)) teardown_step({.kind = Step::Kind::Unfreeze});
    if (capabilities_.has(Capability::Garbage)) teardown_step({.kind = Step::Kind::SetDebug, .value = 0});
    std::size_t live_before = live_objects() + 1;
    for (int round = 0; round < 16 && result_.outcome == Outcome::Pass; ++round) {
      const std::size_t live = live_objects();
      if (round > 0 && (live == 0 || (machines_empty() && live == live_before))) break;
      live_before = live;
      break_garbage_cycles();
      if (!model_.garbage().empty()) teardown_step({.kind = Step::Kind::ClearGarbage});
      drop_names();
      teardown_step({.kind = Step::Kind::Collect, .generation = 2});
    }
    compare_state(/*everything=*/true);  // every live object, once, at the end
    if (result_.outcome != Outcome::Pass) return;
    step_ = nullptr;
    const std::string model_left = model_.teardown();
    const std::string sut_left = sut_.teardown();
    if (!model_left.empty() || !sut_left.empty())
      fail(Outcome::Divergence, {CheckKind::Leftovers, "teardown", model_left.empty() ? "nothing left" : model_left,
                                 sut_left.empty() ? "nothing left" : sut_left, {}});
  }

  // Unbinds every bound name, in the order of the objects they are bound to
  // (oldest serial first), and names bound to one object in the order of
  // their spelling, so that what the teardown does never depends on how the
  // names are numbered: renumbering a program's names (as its printed
  // reproducer does) keeps its teardown. The order among names of one object
  // matters: a finalizer run when the last of them goes may bind one of them
  // again, and a name a finalizer binds meanwhile is dropped in this round if
  // it comes later in the order, else in the next.
  void drop_names() {
    bound_.clear();
    for (NameIndex n = 0; n < name_count_; ++n)
      if (const auto key = model_.binding(n)) bound_.emplace_back(*key, n);
    std::sort(bound_.begin(), bound_.end(), [&](const auto& x, const auto& y) {
      // A shape a MemoryError cut short leaves scratch names bound.
      return x.first != y.first ? x.first < y.first : name_text(program_, x.second) < name_text(program_, y.second);
    });
    for (const auto& [key, n] : bound_)
      if (model_.binding(n)) teardown_step({.kind = Step::Kind::Unbind, .target = n});
  }

  // changed_ in key order without repeats. A collection or a cascade of
  // deaths changes many objects of a narrow range of serials: those are
  // ordered by one pass over a bitmap of the range instead of a sort.
  void sort_changed() {
    const auto serials = std::partition(changed_.begin(), changed_.end(), [](ObjectKey k) { return !k.is_serial(); });
    std::sort(changed_.begin(), serials);  // small ints, few
    Serial low = std::numeric_limits<Serial>::max(), high = 0;
    for (auto it = serials; it != changed_.end(); ++it) low = std::min(low, it->as_serial()), high = std::max(high, it->as_serial());
    const std::size_t count = static_cast<std::size_t>(changed_.end() - serials);
    if (count < 64 || count * 8 < static_cast<std::size_t>(high - low)) {
      std::sort(serials, changed_.end());
    } else {
      seen_serials_.assign((high - low) / 64 + 1, 0);
      for (auto it = serials; it != changed_.end(); ++it) {
        const Serial offset = it->as_serial() - low;
        seen_serials_[offset / 64] |= std::uint64_t{1} << (offset % 64);
      }
      auto out = serials;
      for (std::size_t word = 0; word < seen_serials_.size(); ++word)
        for (std::uint64_t bits = seen_serials_[word]; bits != 0; bits &= bits - 1)
          *out++ = ObjectKey::serial(low + static_cast<Serial>(word * 64 + std::countr_zero(bits)));
      changed_.erase(out, changed_.end());
    }
    changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  }

  // Allocated objects the model has alive: serials are handed out densely
  // from 1, and every death is an event (counted by compare_state).
  std::size_t live_objects() const { return model_.next_serial() - 1 - freed_; }

  // Nothing bound and gc.garbage empty, as far as the model says.
  bool machines_empty() {
    for (NameIndex n = 0; n < name_count_; ++n)
      if (model_.binding(n)) return false;
    return model_.garbage().empty();
  }

  // An uncollectable cycle (legacy finalizers) returns to gc.garbage on every
  // collection: empty each entry's slots (obj.partner = None), as CPython's
  // own tests do, through the scratch name.
  // (User code run by a removal may refill the list: the removals are bounded.)
  void break_garbage_cycles() {
    for (std::uint32_t i = 0; i < model_.garbage().size() && result_.outcome == Outcome::Pass; ++i) {
      teardown_step({.kind = Step::Kind::LoadGarbage, .target = scratch_, .index = i});
      for (int removals = 0; removals < 4096 && result_.outcome == Outcome::Pass && model_.binding(scratch_) &&
                             model_.read_object(*model_.binding(scratch_), model_state_) && !model_state_.slots.empty();
           ++removals)
        teardown_step({.kind = Step::Kind::RemoveSlot, .target = scratch_,
                       .index = static_cast<std::uint32_t>(model_state_.slots.size() - 1)});
      if (model_.binding(scratch_)) teardown_step({.kind = Step::Kind::Unbind, .target = scratch_});
    }
  }

  // One step of the teardown, compared like any other (a no-op once failed).
  void teardown_step(Step step) {
    if (result_.outcome != Outcome::Pass) return;
    step_ = &step;
    run_step(step);
    compare_state(/*everything=*/false);
    step_ = nullptr;
  }

  void fail(Outcome outcome, Difference d, std::string op_text = {}) {
    if (result_.outcome != Outcome::Pass) return;
    result_.outcome = outcome;
    Report& r = result_.report;
    r.outcome = outcome;
    r.op_index = op_index_;
    const bool in_teardown = op_index_ >= program_.ops.size();
    r.op_text = !op_text.empty() ? op_text : in_teardown ? "teardown" : format_op(program_, op_);
    r.where = in_teardown ? SourceLocation{} : program_.ops[op_index_].where;
    r.step = step_ != nullptr ? format_step(program_, *step_) : "";
    r.kind = d.kind;
    r.check = std::move(d.check);
    if (outcome == Outcome::ExpectationFailed) r.expectation = expectation_keyword(op_);
    r.expected = std::move(d.expected);
    r.actual = std::move(d.actual);
    r.objects = std::move(d.objects);
    r.memory_errors = result_.memory_errors;
  }

  const Program& program_;
  Machine& model_;
  Machine& sut_;
  const RunOptions& options_;
  const Capabilities capabilities_;      // what both machines declare: all that is compared
  const Capabilities sut_capabilities_;  // what the system under test can run
  const NameIndex scratch_;
  const std::size_t name_count_;
  RunResult result_;
  std::size_t next_op_ = 0;
  std::size_t op_index_ = 0;
  Op op_;
  const Step* step_ = nullptr;  // the step running, when it is one of several
  std::vector<NameIndex>& all_names_;
  std::vector<ObjectKey>& changed_;
  std::size_t freed_ = 0;  // allocated objects the model freed so far
  std::vector<std::uint64_t> seen_serials_;  // sort_changed's bitmap
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::vector<std::pair<ObjectKey, NameIndex>> bound_;  // drop_names' order
  std::vector<Machine::FailedEffect> failed_effects_;   // the system under test's, in the last step
  bool memory_error_ = false;                           // the last step failed with MemoryError
  bool strict_ = options_.strict;                       // until the first MemoryError
  std::optional<Difference> collect_result_;  // a collection's result the machines disagree on
  std::vector<Event>& model_events_;
  std::vector<Event>& sut_events_;
  std::vector<ObjectState>& model_objects_;
  std::vector<ObjectState>& sut_objects_;
  ObjectState& model_state_;
  ObjectState& sut_state_;
};

}  // namespace

Executor::Executor() : buffers_(std::make_unique<Buffers>()) {}
Executor::~Executor() = default;

RunResult Executor::run(const Program& program, Machine& model, Machine& sut, const RunOptions& options) {
  Lockstep run(program, model, sut, options, *buffers_);
  run.start();
  run.run_pending();
  run.finish();
  return run.take_result();
}

const char* to_string(CheckLevel level) {
  switch (level) {
    case CheckLevel::Changed: return "changed";
    case CheckLevel::Exhaustive: return "exhaustive";
    case CheckLevel::Fast: return "fast";
  }
  return "?";
}

std::optional<CheckLevel> check_level_named(std::string_view name) {
  for (const CheckLevel level : {CheckLevel::Changed, CheckLevel::Exhaustive, CheckLevel::Fast})
    if (name == to_string(level)) return level;
  return std::nullopt;
}

RunOptions differential_fuzz_options() {
  RunOptions options;
  options.strict = false;
  options.check_expectations = false;
  options.check = CheckLevel::Fast;
  options.max_steps = 4096;
  return options;
}

Program RunResult::reproducer() const { return with_names_in_first_use_order(resolved); }

struct LockstepSession::Impl {
  Impl(const Program& program, Machine& model, Machine& sut, const RunOptions& options)
      : options(options), run(program, model, sut, this->options, buffers) {}
  RunOptions options;
  Executor::Buffers buffers;
  Lockstep run;
};

LockstepSession::LockstepSession(const Program& program, Machine& model, Machine& sut, const RunOptions& options)
    : impl_(std::make_unique<Impl>(program, model, sut, options)) {
  impl_->run.start();
}
LockstepSession::~LockstepSession() = default;

Outcome LockstepSession::run_pending() {
  impl_->run.run_pending();
  return impl_->run.result().outcome;
}

Outcome LockstepSession::finish() {
  impl_->run.finish();
  return impl_->run.result().outcome;
}

const RunResult& LockstepSession::result() const { return impl_->run.result(); }
const std::vector<Event>& LockstepSession::model_events() const { return impl_->run.model_events(); }
const std::vector<Event>& LockstepSession::sut_events() const { return impl_->run.sut_events(); }

RunResult run_lockstep(const Program& program, Machine& model, Machine& sut, const RunOptions& options) {
  return Executor().run(program, model, sut, options);
}

}  // namespace gcv
