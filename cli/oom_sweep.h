// The out-of-memory sweep: a program run once for every request of memory
// it makes, with that request refused, as CPython's tests do with
// _testcapi.set_nomemory and Lua's memerr.lua with every allocation.
//
// A clean run (no `# fail:` line) counts the requests R the system under test
// makes (Machine::memory_requests, teardown included). Then, for each mode
// (one request refused: `# fail: request k`; every request from k on: `#
// fail: from request k`) and every k in 1..R, the program runs in lockstep
// with that line: the system under test must refuse a request (it makes
// the same requests in every run), fail with MemoryError only where memory
// is needed, leave everything as if the operation had not run, agree with
// the model at every step, and hold nothing at the teardown (no block, no
// arena, no mapping lost). With max_runs, a program with more requests is
// swept at max_runs values of k per mode, spread evenly from 1 to R (1 and R
// always among them), and at the rare requests its clean run named
// (Machine::MemoryRequests: gcheap's arena mappings).
//
// Expectations are not checked: they state what happens with memory to
// spare. (A strict run goes on leniently after its first MemoryError:
// executor.h.) The system under test must declare memory_failures; the
// program's own `# fail:` line, if any, is replaced.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "gcverify/executor.h"

namespace gcv {

struct OomSweepProgress {
  MemoryFailures::Mode mode = MemoryFailures::Mode::Once;
  std::uint64_t request = 0;   // the k running
  std::size_t run = 0;         // runs done so far (the clean one included) ...
  std::size_t runs = 0;        // ... of this many
  double seconds = 0;          // since the sweep started
};

struct OomSweepOptions {
  RunOptions run = {};         // how each run runs (but expectations are not checked)
  std::size_t max_runs = 0;    // >0: at most this many values of k per mode
  std::function<void(const OomSweepProgress&)> progress = nullptr;  // before every run
};

struct OomSweepResult {
  RunResult clean;                  // the run without failures
  std::uint64_t requests = 0;       // R: what the clean run requested
  std::size_t rare_requests = 0;    // of which rare (MemoryRequests::rare), swept whatever max_runs
  std::size_t runs = 0;             // runs with a `# fail:` line
  std::size_t memory_errors = 0;    // MemoryErrors those runs reported, all accepted
  std::size_t failed_runs = 0;      // runs that failed
  // The first run that failed (or the clean run, when it failed): its
  // program carries its `# fail:` line; RunResult::reproducer() keeps it.
  std::optional<RunResult> first_failure;
  Program first_failure_program;
  bool passed() const { return failed_runs == 0; }
};

// The values of k a sweep of `requests` requests runs, in order: all of
// 1..requests, or max_runs of them spread evenly and the `rare` ones.
std::vector<std::uint64_t> oom_sweep_points(std::uint64_t requests, std::size_t max_runs,
                                            const std::vector<std::uint64_t>& rare = {});

OomSweepResult oom_sweep(const Program& program, Machine& model, Machine& sut, const OomSweepOptions& options);

}  // namespace gcv
