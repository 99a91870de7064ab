// Machine::capabilities(): the executor runs only programs within the system
// under test's capabilities, the model follows the rules of a machine
// without one, and only what both machines observe is compared. The
// observation tests falsify one observation in a ForwardingMachine and show
// that the executor reports it while the machine claims it, and leaves it out
// once the machine says it cannot observe it.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/executor.h"
#include "gcverify/forwarding_machine.h"
#include "gcverify/text.h"

#include <stdexcept>

namespace gcv {
namespace {

// Passes every call to the model, reports `seen`, and falsifies one thing.
class Falsifying : public ForwardingMachine {
 public:
  enum class Lie { ListFreeList, ContainerPayload, SmallIntRefcount, SmallIntMissing };
  Falsifying(Lie lie, Capabilities seen) : lie_(lie), seen_(seen) {}
  Capabilities capabilities() const override { return seen_; }
  CollectorState collector_state() override {
    CollectorState s = inner_->collector_state();
    if (lie_ == Lie::ListFreeList) s.list_free_list += 7;
    return s;
  }
  bool read_object(ObjectKey key, ObjectState& out) override {
    if (!inner_->read_object(key, out)) return false;
    falsify(out);
    return true;
  }
  void objects(std::vector<ObjectState>& out) override {
    inner_->objects(out);
    if (lie_ == Lie::SmallIntMissing) std::erase_if(out, [](const ObjectState& s) { return !s.key.is_serial(); });
    for (ObjectState& s : out) falsify(s);
  }

 private:
  void falsify(ObjectState& s) const {
    if (lie_ == Lie::ContainerPayload && s.kind == ObjectKind::Container) s.payload += 1;
    if (lie_ == Lie::SmallIntRefcount && !s.key.is_serial()) s.refcount += 1000;
  }
  Lie lie_;
  Capabilities seen_;
};

const char* const kProgram = R"(a = list
b = list
i = int 5
a.append(i)
a.append(b)
del b
collect
)";

Outcome run_with(Falsifying::Lie lie, Capabilities seen, std::string* check = nullptr) {
  auto model = make_reference_model();
  Falsifying sut(lie, seen);
  const RunResult result = run_lockstep(parse_program(kProgram), *model, sut, {});
  if (check != nullptr) *check = result.report.check;
  return result.outcome;
}

struct Case {
  Falsifying::Lie lie;
  Capability observation;
  const char* check;  // the start of the check reported when observed
};

class ObservationsTest : public ::testing::TestWithParam<Case> {};

TEST_P(ObservationsTest, ComparedWhenObservedAndLeftOutWhenNot) {
  const Case& c = GetParam();
  std::string check;
  EXPECT_EQ(run_with(c.lie, Capabilities::all(), &check), Outcome::Divergence);
  EXPECT_EQ(check.rfind(c.check, 0), 0u) << check;
  EXPECT_EQ(run_with(c.lie, Capabilities::all().without(c.observation), &check), Outcome::Pass) << check;
}

INSTANTIATE_TEST_SUITE_P(
    Each, ObservationsTest,
    ::testing::Values(Case{Falsifying::Lie::ListFreeList, Capability::ListFreeList, "lists in the list free list"},
                      Case{Falsifying::Lie::ContainerPayload, Capability::ContainerPayload, "object #1"},
                      Case{Falsifying::Lie::SmallIntRefcount, Capability::SmallIntRefcounts, "object int(5) refcount"},
                      Case{Falsifying::Lie::SmallIntMissing, Capability::SmallIntRefcounts, "live objects"}));

TEST(Observations, TheExecutorComparesWhatBothMachinesObserve) {
  // The model observes everything; a machine that leaves one out is the
  // intersection, whichever side it is on.
  auto model = make_reference_model();
  Falsifying sut(Falsifying::Lie::ListFreeList, Capabilities::all().without(Capability::ListFreeList));
  EXPECT_EQ(run_lockstep(parse_program(kProgram), sut, *model, {}).outcome, Outcome::Pass);
}

TEST(Capabilities, AllAndWithout) {
  const Capabilities all = Capabilities::all();
  EXPECT_TRUE(all.complete());
  EXPECT_TRUE(all.has(Capability::SmallIntRefcounts));
  const Capabilities some = all.without(Capability::ContainerPayload);
  EXPECT_FALSE(some.complete());
  EXPECT_FALSE(some.has(Capability::ContainerPayload));
  EXPECT_TRUE(some.has(Capability::ListFreeList));
  EXPECT_EQ(some & all, some);
  EXPECT_EQ((some & all.without(Capability::ListFreeList)).has(Capability::ListFreeList), false);
  EXPECT_EQ(ForwardingMachine().capabilities(), all.without(Capability::MemoryFailures));  // the model refuses none
}

// A machine of fewer capabilities: the model made for them, behind a name.
class Fewer : public ForwardingMachine {
 public:
  explicit Fewer(Capabilities capabilities)
      : ForwardingMachine(make_reference_model(profile(), capabilities)) {}
  std::string_view name() const override { return "fewer"; }
};

const Capabilities kNoGenerations = Capabilities::all().without(Capability::Generations);

RunResult run_on(const char* text, Capabilities capabilities, RunOptions options = {}) {
  auto model = make_reference_model(profile(), capabilities);
  Fewer sut(capabilities);
  return run_lockstep(parse_program(text), *model, sut, options);
}

TEST(Capabilities, AProgramThatNeedsMoreIsNotApplicableAndNothingRuns) {
  const RunResult result = run_on("a = list\nw = weakref a\ncollect\n", Capabilities::all().without(Capability::Weakrefs));
  ASSERT_EQ(result.outcome, Outcome::NotApplicable);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.kind, CheckKind::Capability);
  EXPECT_EQ(result.ops_run, 0u);
  const std::string report = result.report.to_string(parse_program("a = list\nw = weakref a\ncollect\n"), "fewer");
  EXPECT_NE(report.find("not applicable to fewer: operation 2 (w = weakref a) needs weakrefs"), std::string::npos) << report;
  EXPECT_EQ(result.report.signature().to_string(), "not applicable: weakrefs");
}

TEST(Capabilities, ACallbackNeedsWeakrefCallbacksAndABodyWhatItsOperationsNeed) {
  const Capabilities no_callbacks = Capabilities::all().without(Capability::WeakrefCallbacks);
  EXPECT_EQ(run_on("a = list\nw = weakref a\n", no_callbacks).outcome, Outcome::Pass);
  const RunResult callback = run_on("a = list\nw = weakref a:\n", no_callbacks);
  EXPECT_EQ(callback.outcome, Outcome::NotApplicable);
  EXPECT_EQ(callback.report.signature().to_string(), "not applicable: weakref_callbacks");
  const RunResult body = run_on("a = list\nfinalizer a: w = weakref self\n", Capabilities::all().without(Capability::Weakrefs));
  EXPECT_EQ(body.report.signature().to_string(), "not applicable: weakrefs");
  EXPECT_EQ(needed_capabilities(parse_program("a = list\ndebug saveall\nfreeze\n").ops),
            Capabilities().with(Capability::Garbage).with(Capability::Freeze));
}

TEST(Capabilities, LenientRunsSkipWhatTheSystemCannotRun) {
  RunOptions lenient;
  lenient.strict = false;
  const RunResult result = run_on("a = list\nfreeze\nb = list\nw = weakref a\nunfreeze\n",
                                  Capabilities::all().without(Capability::Freeze).without(Capability::Weakrefs), lenient);
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program("a = list\n"), "fewer");
  EXPECT_EQ(result.ops_run, 2u);
  EXPECT_EQ(print_text(result.resolved), "names a b w\na = list\nb = list\n");
}

TEST(Capabilities, WithoutGenerationsEveryCollectionIsFullAndNoneAutomatic) {
  // 800 lists pass threshold 0 (700): no automatic collection; `collect 0`
  // runs as a full one and says so in what ran.
  std::string text = "a = cycle 2\ndel a\n";
  for (int i = 0; i < 800; ++i) text += "b = list\n";
  text += "collect 0 -> 2\n";
  const RunResult result = run_on(text.c_str(), kNoGenerations);
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program(text), "fewer");
  EXPECT_EQ(result.collections, 2u);  // the collect, and the teardown's
  EXPECT_EQ(result.resolved.ops.back().generation, 2);
  auto model = make_reference_model(profile(), kNoGenerations);
  model->reset(2);
  model->new_container(0, 1, 16);
  model->collect(0);
  EXPECT_EQ(model->collector_state().stats[2].collections, 1);
  EXPECT_EQ(model->collector_state().stats[0].collections, 0);
}

TEST(Capabilities, ProgramsOfTheGenerationalCollectorAreNotApplicableWithoutGenerations) {
  for (const char* line : {"threshold 5\n", "disable\n", "expect count 0 0 0\n", "a = list\nexpect generation a 0\n"})
    EXPECT_EQ(run_on(line, kNoGenerations).outcome, Outcome::NotApplicable) << line;
}

TEST(Capabilities, WithoutSmallIntsEveryIntIsAllocated) {
  const char* text = "a = int 5\nb = int 5\nexpect live 2\nexpect refcount a 1\n";
  const RunResult result = run_on(text, Capabilities::all().without(Capability::SmallInts));
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program(text), "fewer");
  EXPECT_EQ(run_on("a = int 5\nb = int 5\nexpect live 0\n", Capabilities::all()).outcome, Outcome::Pass);
}

TEST(Capabilities, AModelMadeForOtherRulesIsRefused) {
  auto model = make_reference_model();  // every capability
  Fewer sut(kNoGenerations);
  EXPECT_THROW(run_lockstep(parse_program("a = list\n"), *model, sut, {}), std::invalid_argument);
  // Observations alone do not change the model's rules.
  Fewer observes_less(Capabilities::all().without(Capability::ContainerPayload));
  EXPECT_EQ(run_lockstep(parse_program("a = list\n"), *model, observes_less, {}).outcome, Outcome::Pass);
}

TEST(Capabilities, NamesAndTheirPrintedList) {
  EXPECT_EQ(capability_named("weakrefs"), Capability::Weakrefs);
  EXPECT_EQ(capability_named("weakref"), std::nullopt);
  EXPECT_EQ(Capabilities().with(Capability::Freeze).with(Capability::Generations).to_string(), "generations, freeze");
  EXPECT_EQ(Capabilities().to_string(), "none");
}

// A machine without a capability need not define its steps: the definition
// it inherits is never called by the executor, and says so if called.
class WithoutWeakrefs final : public Machine {
 public:
  std::string_view name() const override { return "bare"; }
  Capabilities capabilities() const override { return Capabilities().with(Capability::Freeze); }
  void reset(std::size_t) override {}
  void new_container(NameIndex, Serial, std::uint32_t) override {}
  void new_str(NameIndex, Serial, std::uint32_t) override {}
  void new_int(NameIndex, Serial, std::int64_t) override {}
  void bind(NameIndex, NameIndex) override {}
  void load_slot(NameIndex, NameIndex, std::uint32_t) override {}
  void unbind(NameIndex) override {}
  void append(NameIndex, NameIndex) override {}
  void set_slot(NameIndex, std::uint32_t, NameIndex) override {}
  void remove_slot(NameIndex, std::uint32_t) override {}
  void clear_list(NameIndex) override {}
  std::int64_t collect(int) override { return 0; }
  void freeze() override {}
  void unfreeze() override {}
  std::optional<ObjectKey> binding(NameIndex) override { return std::nullopt; }
  bool read_object(ObjectKey, ObjectState&) override { return false; }
  void objects(std::vector<ObjectState>& out) override { out.clear(); }
  CollectorState collector_state() override { return {}; }
  const std::vector<ObjectKey>& garbage() override { return garbage_; }
  Serial next_serial() override { return 1; }
  void take_events(std::vector<Event>&) override {}
  std::string teardown() override { return {}; }

 private:
  std::vector<ObjectKey> garbage_;
};

TEST(CapabilitiesDeathTest, AStepOfACapabilityNotDeclaredSaysSoIfCalled) {
  WithoutWeakrefs machine;
  EXPECT_DEATH(machine.new_weakref(0, 1, 0, nullptr),
               "bare::new_weakref was called, but the machine does not define it: it is a step of weakrefs, which the "
               "machine does not declare \\(freeze\\)");
  EXPECT_DEATH(machine.set_threshold(1, {5, 0, 0}), "bare::set_threshold .* a step of generations");
}

}  // namespace
}  // namespace gcv
