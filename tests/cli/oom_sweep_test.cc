// The out-of-memory sweep (cli/oom_sweep.h): a program run once per
// request of memory and mode, sampled with max_runs (the rare requests
// always in), and an error path that keeps what it made is found.
#include <gtest/gtest.h>

#include <new>

#include "parse_program.h"

#include "gcverify/forwarding_machine.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "oom_sweep.h"

namespace gcv {
namespace {

TEST(OomSweep, RunsEveryRequestInEachMode) {
  const Program program =
      parse_program("a = list\nb = list\na.append(b)\nb.append(a)\nfinalizer a: x = list\ndel a\ndel b\ncollect\n");
  const std::unique_ptr<Machine> heap = make_heap_machine();
  const std::unique_ptr<Machine> model = make_reference_model(profile(), heap->capabilities());
  std::size_t progress_calls = 0;
  const OomSweepResult sweep =
      oom_sweep(program, *model, *heap, {.progress = [&](const OomSweepProgress&) { ++progress_calls; }});
  EXPECT_TRUE(sweep.passed());
  EXPECT_GE(sweep.requests, 3u);  // two lists and the finalizer's
  EXPECT_EQ(sweep.runs, 2 * sweep.requests);
  EXPECT_EQ(progress_calls, sweep.runs);
  EXPECT_GE(sweep.memory_errors, sweep.runs);  // every run refused something
}

TEST(OomSweep, SamplesEvenlyWithMaxRuns) {
  EXPECT_EQ(oom_sweep_points(4, 0), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(oom_sweep_points(4, 10), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(oom_sweep_points(100, 5), (std::vector<std::uint64_t>{1, 25, 50, 75, 100}));
  EXPECT_TRUE(oom_sweep_points(0, 5).empty());
  EXPECT_EQ(oom_sweep_points(100, 5, {3, 25, 101}), (std::vector<std::uint64_t>{1, 3, 25, 50, 75, 100}));
}

// A system that loses a block on an error path: the sweep finds it.
class LeaksOnMemoryError : public ForwardingMachine {
 public:
  LeaksOnMemoryError() : ForwardingMachine(make_heap_machine()) {}
  void new_container(NameIndex dst, Serial serial, std::uint32_t payload) override {
    try {
      inner_->new_container(dst, serial, payload);
    } catch (const std::bad_alloc&) {
      inner_->new_str(dst, serial, 8);  // made something after all
      throw;
    }
  }
};

TEST(OomSweep, FindsAnErrorPathThatKeepsWhatItMade) {
  const Program program = parse_program("a = list\nb = list\n");
  LeaksOnMemoryError sut;
  const std::unique_ptr<Machine> model = make_reference_model(profile(), sut.capabilities());
  const OomSweepResult sweep = oom_sweep(program, *model, sut, {});
  ASSERT_FALSE(sweep.passed());
  ASSERT_TRUE(sweep.first_failure.has_value());
  EXPECT_EQ(sweep.first_failure->outcome, Outcome::Divergence);
  EXPECT_TRUE(sweep.first_failure_program.memory_failures.any());
  EXPECT_EQ(sweep.first_failure->reproducer().memory_failures, sweep.first_failure_program.memory_failures);
}

// gcheap names its arena mappings as rare requests, which a sampled sweep
// always includes.
TEST(OomSweep, SweepsTheArenaMappingsOfASample) {
  const Program program = parse_program("a = chain 5000 400\ncollect\n");
  const std::unique_ptr<Machine> heap = make_heap_machine();
  const std::unique_ptr<Machine> model = make_reference_model(profile(), heap->capabilities());
  const OomSweepResult sweep = oom_sweep(program, *model, *heap, {.max_runs = 2});
  EXPECT_TRUE(sweep.passed());
  EXPECT_GE(sweep.rare_requests, 2u);  // 5000 blocks of 464 bytes fill more than two 1 MiB arenas
  EXPECT_EQ(sweep.runs, 2 * (2 + sweep.rare_requests));
}

}  // namespace
}  // namespace gcv
