// The differential target's work (fuzz.h): bytes -> heap program (binary
// form, which every byte string is) -> the reference model and a system under
// test in lockstep, and the checks of the checker on a sample of inputs.
//
// Operands are resolved modulo what exists (lenient mode), so every input runs
// to its end or to the step budget (see differential_fuzz_options()). Each
// input starts from fresh machines (every run resets them) and ends with a
// lockstep teardown that requires the system to hold nothing (gcheap: no
// block and no arena), so no input depends on an earlier one. Any divergence
// prints the executor's report and the program as it ran (a ready .heap
// reproducer), then aborts so that libFuzzer keeps the input.
//
// It also checks the checker, on a sample of passing inputs chosen by a hash
// of their bytes (so a rerun makes the same choice; see kInjectionPeriod),
// every input when CTest replays the seeds:
//   reproducer   the program as it ran, printed as a .heap file with the
//                model's end state (where that run of the reproducer ends)
//                appended as expectations, parses back and passes as
//                `gcverify run` runs it (strict, expectations checked), with as
//                many steps and collections: the reproducer a failure would
//                print reproduces, and the expectation checks agree with the
//                model's own answers;
//   injection    the same program against the system behind a machine that
//                tells one lie of GCV_LIES (a collect result, a free, a
//                refcount, a generation, a slot, a binding, each part of the
//                collector's state) is reported as a divergence of that lie's
//                kind, or passes when the program never gave the lie a
//                chance. Lies about what the system's capabilities leave out
//                of the comparison are not told.
// Either one failing aborts with what the harness got wrong.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gcverify/binary.h"
#include "gcverify/executor.h"
#include "gcverify/forwarding_machine.h"
#include "gcverify/fuzz.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

// Defined by the replay main (replay_main.cc), which runs the seeds once
// under CTest; weak, so that under an engine it is absent.
extern "C" __attribute__((weak)) const bool gcv_fuzz_replay_main;

namespace gcv::fuzz {
namespace {

// Whether the inputs are replayed (CTest) rather than fuzzed (an engine).
bool replaying() { return &gcv_fuzz_replay_main != nullptr; }

// Under an engine the injection check takes one passing input in 16 (with
// one lie) and the reproducer check (the costlier: print, parse, a strict
// run) one in 32, so that checking the checker costs about a fifth of the
// fuzzing; replayed by CTest (the replay main), every input takes both, with
// every lie.
std::uint64_t injection_period() { return replaying() ? 1 : 16; }
std::uint64_t reproducer_period() { return replaying() ? 1 : 32; }

// Prints what failed and the program as it ran (a ready .heap reproducer),
// then aborts so that libFuzzer keeps the input.
[[noreturn]] void fail(const std::string& title, const std::string& detail, const Program& program) {
  std::fprintf(stderr, "\n==== gcverify %s ====\n%s\n---- the program as it ran (.heap) ----\n%s----\n",
               title.c_str(), detail.c_str(), print_text(program).c_str());
  std::abort();
}

// A self-check that found the harness wrong.
[[noreturn]] void harness_fault(const char* what, const std::string& detail, const Program& program) {
  fail(std::string("harness fault: ") + what, detail, program);
}

// FNV-1a: which inputs the self-checks take.
std::uint64_t hash_of(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3u;
  return h;
}

void check_reproducer(const RunResult& result, Machine& model, Machine& sut) {
  const Program ran = result.reproducer();
  ParseError error;
  const std::string text = print_text(ran);
  auto program = parse_text(text, "reproducer.heap", error);
  if (!program) harness_fault("the reproducer does not parse", error.to_string(), ran);
  RunOptions options;  // strict, expectations checked, as `gcverify run` runs a .heap
  options.cpython = fuzz_profile().version;
  if (!replaying()) options.check = CheckLevel::Fast;  // under an engine, compared after each operation (cheaper)
  LockstepSession session(*program, model, sut, options);  // resets both, as every run does
  session.run_pending();
  for (Op& op : expectations_now(*program, model)) program->ops.push_back(std::move(op));
  session.run_pending();
  session.finish();
  const RunResult& again = session.result();
  if (again.outcome != Outcome::Pass)
    harness_fault("the reproducer of a passing run fails", again.report.to_string(*program, std::string(sut.name())),
                  *program);
  if (again.steps_run != result.steps_run || again.collections != result.collections)
    harness_fault("the reproducer runs differently",
                  std::to_string(result.steps_run) + " steps and " + std::to_string(result.collections) +
                      " collections, then " + std::to_string(again.steps_run) + " and " +
                      std::to_string(again.collections),
                  *program);
}

// The lies the injection check tells, one per checked input (chosen by its
// hash), each with the kind of divergence the executor must report it as
// (and the kind it may report instead: a finalizer missing from a collection
// is that collection's garbage counted short, a leak): together they make
// every comparison of the executor fire. A lie about what the capability it
// names ("" for none) leaves out of the comparison when the system lacks it
// is not told.
#define GCV_LIES(X)                                                                                \
  X(CollectResult, CollectResult, CollectResult, "", "one more in the first collect() result")         \
  X(HiddenFree, Leak, Leak, "", "the first object freed left out of the events")                       \
  X(Refcount, Leak, Leak, "", "one more in the refcount of the first object read")                     \
  X(Generation, Generation, Generation, "generations", "the first tracked object read in the next generation")    \
  X(Slot, Slots, Slots, "", "another object in the first slot read")                                   \
  X(Binding, Binding, Binding, "", "the first name read bound to another object")                      \
  X(Count, Counts, Counts, "generations", "one more in generation 0's count")                                     \
  X(Threshold, Thresholds, Thresholds, "generations", "one more in generation 0's threshold")                     \
  X(Enabled, Enabled, Enabled, "generations", "automatic collection the other way")                               \
  X(Stats, Stats, Stats, "", "one more collection in generation 0's stats")                            \
  X(FreezeCount, FreezeCount, FreezeCount, "freeze", "one more in the freeze count")                         \
  X(FreeList, FreeList, FreeList, "list_free_list", "one more list in the list free list")                           \
  X(HiddenFinalizer, UserCode, Leak, "", "the first finalizer or callback run left out of the events") \
  X(HiddenCollection, Collections, Collections, "", "the first collection left out of the events")     \
  X(Garbage, Garbage, Garbage, "garbage", "gc.garbage one entry short")                                      \
  X(CollectedCount, PrematureFree, PrematureFree, "", "one more collected in the first collection's stop") \
  X(CollectedGeneration, Collections, Collections, "", "the first collection of the next generation")  \
  X(HiddenObject, PrematureFree, PrematureFree, "", "the first object read said to be dead")

enum class Lie {
#define GCV_LIE(id, kind, also, needs, what) id,
  GCV_LIES(GCV_LIE)
#undef GCV_LIE
};
struct LieInfo {
  CheckKind kind, also;  // what the executor must call it, or may
  std::string_view needs;  // the capability without which it is not compared
  const char* what;
};
constexpr LieInfo kLies[] = {
#define GCV_LIE(id, kind, also, needs, what) {CheckKind::kind, CheckKind::also, needs, what},
    GCV_LIES(GCV_LIE)
#undef GCV_LIE
};
constexpr std::uint64_t kLieCount = std::size(kLies);

// An object key no run reaches (serials count objects allocated).
const ObjectKey kNoSuchObject = ObjectKey::serial(1u << 30);

// Whether the executor compares what `lie` falsifies, on a system of `capabilities`.
bool compared(const LieInfo& lie, Capabilities capabilities) {
  return lie.needs.empty() || capabilities.has(*capability_named(lie.needs));
}

// The system under test behind one lie, told once.
class LyingMachine : public ForwardingMachine {
 public:
  explicit LyingMachine(std::unique_ptr<Machine> sut) : ForwardingMachine(std::move(sut)) {}
  std::string_view name() const override { return inner_->name(); }
  // The lie of the next run (the machines are kept across inputs, as the
  // target's own are: every run resets them).
  void arm(Lie lie) {
    lie_ = lie;
    lied_ = false;
  }
  bool lied() const { return lied_; }

  std::int64_t collect(int generation) override {
    const std::int64_t found = ForwardingMachine::collect(generation);
    return tell(Lie::CollectResult) ? found + 1 : found;
  }
  void take_events(std::vector<Event>& out) override {
    using Type = Event::Type;
    ForwardingMachine::take_events(out);
    for (auto e = out.begin(); e != out.end(); ++e) {
      if ((e->type == Type::Freed && tell(Lie::HiddenFree)) ||
          ((e->type == Type::Finalized || e->type == Type::CallbackRan) && tell(Lie::HiddenFinalizer))) {
        out.erase(e);
        return;
      }
      if (e->type == Type::CollectionStop && tell(Lie::CollectedCount)) {
        ++e->collected;
        return;
      }
      if (e->type == Type::CollectionStart && tell(Lie::CollectedGeneration)) {  // and its stop
        const int generation = (e->generation + 1) % 3;
        for (auto x = e; x != out.end() && (x == e || x->type != Type::CollectionStart); ++x)
          if (x->type == Type::CollectionStart || x->type == Type::CollectionStop) x->generation = generation;
        return;
      }
      if (e->type == Type::CollectionStart && tell(Lie::HiddenCollection)) {  // and its stop
        const auto stop = std::find_if(e, out.end(), [](const Event& x) { return x.type == Type::CollectionStop; });
        out.erase(e, stop == out.end() ? stop : stop + 1);
        return;
      }
    }
  }
  const std::vector<ObjectKey>& garbage() override {
    garbage_ = ForwardingMachine::garbage();
    if (!garbage_.empty() && tell(Lie::Garbage)) garbage_.pop_back();
    return garbage_;
  }
  // The heap's record of what changed, so that the executor compares what it
  // compares on the heap itself (and a fuzzing run pays for no more).
  bool take_changed(std::vector<ObjectKey>& out) override { return inner_->take_changed(out); }
  bool read_object(ObjectKey key, ObjectState& out) override {
    const bool live = ForwardingMachine::read_object(key, out);
    if (live && key.is_serial() && tell(Lie::HiddenObject)) return false;
    if (live) falsify(out);
    return live;
  }
  void objects(std::vector<ObjectState>& out) override {
    ForwardingMachine::objects(out);
    const auto allocated = std::find_if(out.begin(), out.end(), [](const ObjectState& x) { return x.key.is_serial(); });
    if (allocated != out.end() && tell(Lie::HiddenObject)) out.erase(allocated);
    for (ObjectState& state : out) falsify(state);
  }
  std::optional<ObjectKey> binding(NameIndex n) override {
    const std::optional<ObjectKey> key = ForwardingMachine::binding(n);
    return key && key->is_serial() && tell(Lie::Binding) ? kNoSuchObject : key;
  }
  CollectorState collector_state() override {
    CollectorState state = ForwardingMachine::collector_state();
    if (tell(Lie::Count)) ++state.count[0];
    if (tell(Lie::Threshold)) ++state.threshold[0];
    if (tell(Lie::Enabled)) state.enabled = !state.enabled;
    if (tell(Lie::Stats)) ++state.stats[0].collections;
    if (tell(Lie::FreezeCount)) ++state.freeze_count;
    if (tell(Lie::FreeList)) ++state.list_free_list;
    return state;
  }

 private:
  // True, once, when `lie` is this machine's.
  bool tell(Lie lie) {
    if (lie != lie_ || lied_) return false;
    return lied_ = true;
  }
  void falsify(ObjectState& state) {
    if (!state.key.is_serial()) return;
    if (tell(Lie::Refcount)) ++state.refcount;
    if (state.generation >= 0 && state.generation < 3 && tell(Lie::Generation))
      state.generation = (state.generation + 1) % 3;
    if (!state.slots.empty() && tell(Lie::Slot)) state.slots[0] = kNoSuchObject;
  }

  Lie lie_ = Lie::CollectResult;
  bool lied_ = false;
  std::vector<ObjectKey> garbage_;
};

// A told lie must be reported as a divergence of its kind, in a report that
// names the lying machine and ends in its signature line, which the triage
// and minimizer scripts read off the text; a lie never told, not at all.
void check_injection(const Program& program, Lie lie, LyingMachine& liar, Machine& model, Executor& executor) {
  liar.arm(lie);
  const RunResult result = executor.run(program, model, liar, fuzz_run_options());
  const LieInfo& info = kLies[static_cast<int>(lie)];
  const bool passed = result.outcome == Outcome::Pass;
  const std::string told = std::string("the lie: ") + info.what + (liar.lied() ? "" : " (never told)");
  if (!liar.lied() && passed) return;
  if (passed) harness_fault("the executor missed an injected lie", told + "; the run passed", result.reproducer());
  const std::string report = result.report.to_string(program, std::string(liar.name()));
  if (!liar.lied()) harness_fault("a lie never told was reported", told + ", reported:\n" + report, result.reproducer());
  if (result.outcome != Outcome::Divergence || (result.report.kind != info.kind && result.report.kind != info.also))
    harness_fault("an injected lie reported as the wrong kind",
                  told + "; expected " + to_string(info.kind) + ", reported:\n" + report, result.reproducer());
  const std::string signature_line = "  signature: " + result.report.signature().to_string() + "\n";
  const bool ends_in_signature = report.size() >= signature_line.size() &&
                                 report.compare(report.size() - signature_line.size(), std::string::npos, signature_line) == 0;
  if (!ends_in_signature || report.find("   (" + std::string(liar.name()) + ")\n") == std::string::npos)
    harness_fault("a report that does not name the machine or end in its signature", told + ", reported:\n" + report,
                  result.reproducer());
}

}  // namespace

// Kept across inputs for their storage only: every run resets the machines.
// Each model is made for the system's capabilities.
struct DifferentialTarget::Impl {
  explicit Impl(const MachineFactory& make_sut)
      : sut(make_sut()), capabilities(sut->capabilities()), name(sut->name()),
        model(make_reference_model(fuzz_profile(), capabilities)),
        checked_sut(make_sut()), checked_model(make_reference_model(fuzz_profile(), capabilities)),
        liar(make_sut()), liar_model(make_reference_model(fuzz_profile(), capabilities)) {
    for (std::uint64_t lie = 0; lie < kLieCount; ++lie)
      if (compared(kLies[lie], capabilities)) lies.push_back(static_cast<Lie>(lie));
  }
  std::unique_ptr<Machine> sut;
  Capabilities capabilities;
  std::string name;
  std::unique_ptr<Machine> model;
  Executor executor;
  std::unique_ptr<Machine> checked_sut, checked_model;  // the reproducer check's
  LyingMachine liar;                                    // the injection check's
  std::unique_ptr<Machine> liar_model;
  Executor liar_executor;
  std::vector<Lie> lies;  // those the executor compares on this system
};

DifferentialTarget::DifferentialTarget(MachineFactory make_sut) : impl_(std::make_unique<Impl>(make_sut)) {}
DifferentialTarget::~DifferentialTarget() = default;

int DifferentialTarget::run_input(const std::uint8_t* data, std::size_t size) {
  Impl& m = *impl_;
  const Program program = decode_binary({data, size});
  static const RunOptions options = fuzz_run_options();
  const RunResult result = m.executor.run(program, *m.model, *m.sut, options);
  if (result.outcome != Outcome::Pass)
    fail(to_string(result.outcome), result.report.to_string(program, m.name), result.reproducer());
  const std::uint64_t hash = hash_of(data, size);
  if (hash % reproducer_period() == 0) check_reproducer(result, *m.checked_model, *m.checked_sut);
  if (hash % injection_period() == 0) {
    if (replaying()) {
      for (Lie lie : m.lies) check_injection(program, lie, m.liar, *m.liar_model, m.liar_executor);
    } else {
      const Lie lie = m.lies[hash / 32 % m.lies.size()];  // bits the sampling does not use
      check_injection(program, lie, m.liar, *m.liar_model, m.liar_executor);
    }
  }
  return 0;
}

std::size_t DifferentialTarget::mutate(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                       unsigned int seed) const {
  return mutate_program(data, size, max_size, seed, impl_->capabilities);
}

}  // namespace gcv::fuzz
