// The out-of-memory sweep (oom_sweep.h): a clean run to count the requests,
// then one lockstep run per failure point and mode.
#include "oom_sweep.h"

#include <algorithm>
#include <chrono>

namespace gcv {

std::vector<std::uint64_t> oom_sweep_points(std::uint64_t requests, std::size_t max_runs,
                                            const std::vector<std::uint64_t>& rare) {
  std::vector<std::uint64_t> points;
  if (max_runs == 0 || requests <= max_runs) {
    for (std::uint64_t k = 1; k <= requests; ++k) points.push_back(k);
    return points;
  }
  // k_i = 1 + i (R - 1) / (n - 1): 1 and R included, distinct since R > n.
  const std::uint64_t n = max_runs < 2 ? 2 : max_runs;
  for (std::uint64_t i = 0; i < n; ++i) points.push_back(1 + i * (requests - 1) / (n - 1));
  for (const std::uint64_t k : rare)
    if (k >= 1 && k <= requests) points.push_back(k);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

namespace {

// A run whose request k was never made did not make the requests its clean
// run made: the system under test depends on something besides the program
// (an earlier run's leftovers), and its failure points cannot be trusted.
void refused_nothing(RunResult& result, Machine::MemoryRequests requests, std::uint64_t clean, std::uint64_t k) {
  if (requests.refused != 0) return;
  result.outcome = Outcome::Divergence;
  Report& r = result.report;
  r.outcome = Outcome::Divergence;
  r.kind = CheckKind::MemoryError;
  r.op_index = result.resolved.ops.size();
  r.op_text = "teardown";
  r.check = "requests of memory";
  r.expected = "request " + std::to_string(k) + " refused: the clean run made " + std::to_string(clean);
  r.actual = "none refused: this run made " + std::to_string(requests.requests);
  r.memory_errors = result.memory_errors;
}

}  // namespace

OomSweepResult oom_sweep(const Program& program, Machine& model, Machine& sut, const OomSweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  RunOptions run_options = options.run;
  run_options.check_expectations = false;  // they state what happens with memory to spare
  Executor executor;
  OomSweepResult sweep;
  Program runnable = program;
  runnable.memory_failures = {};
  const auto fail = [&](RunResult result) {
    ++sweep.failed_runs;
    if (sweep.first_failure) return;
    sweep.first_failure = std::move(result);
    sweep.first_failure_program = runnable;
  };

  sweep.clean = executor.run(runnable, model, sut, run_options);
  const Machine::MemoryRequests clean = sut.memory_requests();
  sweep.requests = clean.requests;
  sweep.rare_requests = clean.rare.size();
  if (sweep.clean.outcome != Outcome::Pass) {
    fail(sweep.clean);
    return sweep;
  }
  const std::vector<std::uint64_t> points = oom_sweep_points(sweep.requests, options.max_runs, clean.rare);
  const std::size_t total = 1 + 2 * points.size();
  std::size_t done = 1;
  for (const MemoryFailures::Mode mode : {MemoryFailures::Mode::Once, MemoryFailures::Mode::From}) {
    for (const std::uint64_t k : points) {
      if (options.progress)
        options.progress({mode, k, done, total,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
      runnable.memory_failures = {.mode = mode, .request = k};
      RunResult result = executor.run(runnable, model, sut, run_options);
      ++sweep.runs;
      ++done;
      sweep.memory_errors += result.memory_errors.size();
      if (result.outcome == Outcome::Pass) refused_nothing(result, sut.memory_requests(), sweep.requests, k);
      if (result.outcome != Outcome::Pass) fail(std::move(result));
    }
  }
  return sweep;
}

}  // namespace gcv
