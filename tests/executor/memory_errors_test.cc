// Out of memory (executor.h, oom_sweep.h): a program's `# fail:` line is
// handed to the system under test, whose MemoryErrors the model follows (an
// operation not run, a body operation skipped) and the run goes on in
// lockstep; a MemoryError where no memory is needed is a divergence; and a
// system that cannot refuse memory is not applicable.
#include <gtest/gtest.h>

#include <new>

#include "parse_program.h"

#include "gcverify/executor.h"
#include "gcverify/forwarding_machine.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

RunResult run_on_heap(const Program& program, RunOptions options = {}) {
  const std::unique_ptr<Machine> heap = make_heap_machine();
  const std::unique_ptr<Machine> model = make_reference_model(profile(), heap->capabilities());
  return run_lockstep(program, *model, *heap, options);
}

TEST(MemoryErrors, AnAllocationThatFailsIsNotRunAndTheRunGoesOn) {
  const Program program = parse_program("# fail: request 1\na = list\nb = list\nb.append(b)\ndel b\ncollect\n");
  const RunResult result = run_on_heap(program);
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(program, "gcheap");
  EXPECT_EQ(result.memory_errors, std::vector<std::string>{"MemoryError at operation 1 (a = list): not run"});
  EXPECT_EQ(result.ops_run, 5u);  // the failed operation ran, as far as the program goes
  EXPECT_EQ(result.reproducer().memory_failures, program.memory_failures);
}

TEST(MemoryErrors, EveryRequestFromOneOnFailsEveryAllocationAfterIt) {
  const Program program =
      parse_program("# fail: from request 2\na = list\nb = list\nc = str 100\nd = int 100000\na.append(a)\ncollect\n");
  const RunResult result = run_on_heap(program, {.strict = false});
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(program, "gcheap");
  // a = list took request 1; then b, c and d fail, and the append's item array.
  EXPECT_EQ(result.memory_errors.size(), 3u) << ::testing::PrintToString(result.memory_errors);
}

// `# fail: operation N` refuses every request while operation N runs, and
// none before or after it.
TEST(MemoryErrors, AnOperationRefusesEveryRequestWhileItRuns) {
  const Program program = parse_program("# fail: operation 3\na = list\nb = str 8\nc = chain 3\nd = list\nd.append(b)\n");
  const RunResult result = run_on_heap(program);
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(program, "gcheap");
  EXPECT_EQ(result.memory_errors, std::vector<std::string>{"MemoryError at operation 3 (c = chain 3): not run"});
  const Program needs_none = parse_program("# fail: operation 2\na = list\ndel a\nb = list\n");
  EXPECT_TRUE(run_on_heap(needs_none).memory_errors.empty());
  // In the program as it ran, the operation keeps its failure where skipped
  // operations before it are left out.
  const Program lenient = parse_program("# fail: operation 3\ndel x\na = list\nb = list\nc = list\n");
  const RunResult ran = run_on_heap(lenient, {.strict = false});
  ASSERT_EQ(ran.outcome, Outcome::Pass);
  EXPECT_EQ(ran.memory_errors, std::vector<std::string>{"MemoryError at operation 3 (b = list): not run"});
  EXPECT_EQ(ran.reproducer().memory_failures, (MemoryFailures{.mode = MemoryFailures::Mode::Operation, .request = 2}));
}

// A shape is cut short where an allocation fails, as an exception ends the
// loop that builds it; what it built so far stays, and goes at the teardown.
TEST(MemoryErrors, AShapeStopsAtItsFirstMemoryError) {
  const Program program = parse_program("# fail: request 3\na = chain 6\nb = clique 3\ncollect\n");
  const RunResult result = run_on_heap(program);
  ASSERT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(program, "gcheap");
  ASSERT_EQ(result.memory_errors.size(), 1u);
  EXPECT_TRUE(result.memory_errors[0].starts_with("MemoryError at operation 1 (a = chain 6): not run"))
      << result.memory_errors[0];
}

// A finalizer's allocation that fails is skipped, and the model skips it too.
TEST(MemoryErrors, ABodyOperationThatFailsIsSkippedByBothMachines) {
  const Program base = parse_program(
      "a = list\nfinalizer a: x = list; y = str 8; self.append(x)\ndel a\nz = list\ncollect\n");
  bool skipped = false;
  for (std::uint64_t k = 1; k <= 6; ++k) {
    Program program = base;
    program.memory_failures = {.mode = MemoryFailures::Mode::Once, .request = k};
    const RunResult result = run_on_heap(program, {.strict = false});
    ASSERT_EQ(result.outcome, Outcome::Pass) << "request " << k << "\n" << result.report.to_string(program, "gcheap");
    for (const std::string& error : result.memory_errors)
      skipped |= error == "MemoryError at operation 3 (del a): operation 1 of the finalizer of #1 skipped";
  }
  EXPECT_TRUE(skipped);
}

// Passes every call to gcheap, but fails `del` with MemoryError.
class FailsUnbind : public ForwardingMachine {
 public:
  FailsUnbind() : ForwardingMachine(make_heap_machine()) {}
  void unbind(NameIndex name) override {
    (void)name;
    throw std::bad_alloc();
  }
};

TEST(MemoryErrors, AMemoryErrorWhereNoMemoryIsNeededIsADivergence) {
  const Program program = parse_program("a = list\ndel a\n");
  FailsUnbind sut;
  const std::unique_ptr<Machine> model = make_reference_model(profile(), sut.capabilities());
  const RunResult result = run_lockstep(program, *model, sut, {});
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.kind, CheckKind::MemoryError);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.expected, "no MemoryError: del a needs no memory");
  EXPECT_EQ(result.report.signature().to_string(), "divergence: memory error");
}

TEST(MemoryErrors, AReportListsTheMemoryErrorsBeforeIt) {
  Program program = parse_program("# fail: request 1\na = list\n");
  Report report;
  report.outcome = Outcome::Divergence;
  report.kind = CheckKind::Leak;
  report.op_text = "a = list";
  report.memory_errors = {"MemoryError at operation 1 (a = list): not run"};
  EXPECT_NE(report.to_string(program, "gcheap")
                .find("  memory:    # fail: request 1; 1 MemoryError before this\n"
                      "             MemoryError at operation 1 (a = list): not run\n"),
            std::string::npos)
      << report.to_string(program, "gcheap");
}

// The model declares no memory_failures: a `# fail:` program is not
// applicable to it in strict mode, and runs without failures leniently.
TEST(MemoryErrors, ASystemThatCannotRefuseMemoryIsNotApplicable) {
  const Program program = parse_program("# fail: request 1\na = list\n");
  const std::unique_ptr<Machine> model = make_reference_model(), sut = make_reference_model();
  EXPECT_FALSE(sut->capabilities().has(Capability::MemoryFailures));
  const RunResult strict = run_lockstep(program, *model, *sut, {});
  ASSERT_EQ(strict.outcome, Outcome::NotApplicable);
  EXPECT_EQ(strict.report.not_applicable_reason("model"),
            "not applicable to model: its '# fail: request 1' line needs memory_failures");
  const RunResult lenient = run_lockstep(program, *model, *sut, {.strict = false});
  EXPECT_EQ(lenient.outcome, Outcome::Pass);
  EXPECT_TRUE(lenient.memory_errors.empty());
}

}  // namespace
}  // namespace gcv

namespace gcv {
namespace {

// A `# fail:` line means the same requests whoever refuses them: the
// definition (MemoryFailures::refuses, which the CPython adapter uses) and
// gcheap's FailurePlan agree request by request.
TEST(MemoryErrors, TheLineAndGcheapsPlanRefuseTheSameRequests) {
  using Mode = MemoryFailures::Mode;
  const MemoryFailures lines[] = {{.mode = Mode::Once, .request = 7},
                                  {.mode = Mode::From, .request = 300},
                                  {.mode = Mode::Random, .one_in = 5, .seed = 11},
                                  {.mode = Mode::Random, .one_in = 1, .seed = 0}};
  constexpr gcheap::FailurePlan::Mode plans[] = {gcheap::FailurePlan::Mode::Never, gcheap::FailurePlan::Mode::Once,
                                                 gcheap::FailurePlan::Mode::From, gcheap::FailurePlan::Mode::Random};
  for (const MemoryFailures& line : lines) {
    gcheap::Allocator allocator;
    allocator.free(allocator.allocate(8));  // its arena mapped: one request per allocate from here
    allocator.set_failure_plan({plans[static_cast<int>(line.mode)], line.request, line.seed, line.one_in});
    std::size_t refused = 0;
    for (std::uint64_t n = 1; n <= 1000; ++n) {
      void* p = allocator.allocate(8);
      ASSERT_EQ(p == nullptr, line.refuses(n)) << line.to_string() << ", request " << n;
      refused += p == nullptr;
      allocator.free(p);
    }
    EXPECT_GT(refused, 0u) << line.to_string();
  }
  EXPECT_FALSE((MemoryFailures{.mode = Mode::Operation, .request = 1}.refuses(1)));
}

}  // namespace
}  // namespace gcv
