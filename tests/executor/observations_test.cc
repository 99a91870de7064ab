// Machine::observations(): the executor compares only what both machines
// observe. Each test falsifies one observation in a ForwardingMachine and
// shows that the executor reports it while the machine claims it, and leaves
// it out once the machine says it cannot observe it.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/executor.h"
#include "gcverify/forwarding_machine.h"

namespace gcv {
namespace {

// Passes every call to the model, reports `seen`, and falsifies one thing.
class Falsifying : public ForwardingMachine {
 public:
  enum class Lie { ListFreeList, ContainerPayload, SmallIntRefcount, SmallIntMissing };
  Falsifying(Lie lie, Observations seen) : lie_(lie), seen_(seen) {}
  Observations observations() const override { return seen_; }
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
  Observations seen_;
};

const char* const kProgram = R"(a = list
b = list
i = int 5
a.append(i)
a.append(b)
del b
collect
)";

Outcome run_with(Falsifying::Lie lie, Observations seen, std::string* check = nullptr) {
  auto model = make_reference_model();
  Falsifying sut(lie, seen);
  const RunResult result = run_lockstep(parse_program(kProgram), *model, sut, {});
  if (check != nullptr) *check = result.report.check;
  return result.outcome;
}

struct Case {
  Falsifying::Lie lie;
  Observation observation;
  const char* check;  // the start of the check reported when observed
};

class ObservationsTest : public ::testing::TestWithParam<Case> {};

TEST_P(ObservationsTest, ComparedWhenObservedAndLeftOutWhenNot) {
  const Case& c = GetParam();
  std::string check;
  EXPECT_EQ(run_with(c.lie, Observations::all(), &check), Outcome::Divergence);
  EXPECT_EQ(check.rfind(c.check, 0), 0u) << check;
  EXPECT_EQ(run_with(c.lie, Observations::all().without(c.observation), &check), Outcome::Pass) << check;
}

INSTANTIATE_TEST_SUITE_P(
    Each, ObservationsTest,
    ::testing::Values(Case{Falsifying::Lie::ListFreeList, Observation::ListFreeList, "lists in the list free list"},
                      Case{Falsifying::Lie::ContainerPayload, Observation::ContainerPayload, "object #1"},
                      Case{Falsifying::Lie::SmallIntRefcount, Observation::SmallIntRefcounts, "object int(5) refcount"},
                      Case{Falsifying::Lie::SmallIntMissing, Observation::SmallIntRefcounts, "live objects"}));

TEST(Observations, TheExecutorComparesWhatBothMachinesObserve) {
  // The model observes everything; a machine that leaves one out is the
  // intersection, whichever side it is on.
  auto model = make_reference_model();
  Falsifying sut(Falsifying::Lie::ListFreeList, Observations::all().without(Observation::ListFreeList));
  EXPECT_EQ(run_lockstep(parse_program(kProgram), sut, *model, {}).outcome, Outcome::Pass);
}

TEST(Observations, AllAndWithout) {
  const Observations all = Observations::all();
  EXPECT_TRUE(all.complete());
  EXPECT_TRUE(all.has(Observation::SmallIntRefcounts));
  const Observations some = all.without(Observation::ContainerPayload);
  EXPECT_FALSE(some.complete());
  EXPECT_FALSE(some.has(Observation::ContainerPayload));
  EXPECT_TRUE(some.has(Observation::ListFreeList));
  EXPECT_EQ(some & all, some);
  EXPECT_EQ((some & all.without(Observation::ListFreeList)).has(Observation::ListFreeList), false);
  EXPECT_EQ(ForwardingMachine().observations(), all);
}

}  // namespace
}  // namespace gcv
