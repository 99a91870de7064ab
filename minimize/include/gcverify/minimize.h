// The minimizer: reduces a failing heap program to a small one that fails the
// same way.
//
// "The same way" is the failure's signature (Report::signature): the outcome,
// the check that diverged and the kind of operation it diverged at. Every
// candidate runs from scratch on a fresh model and a fresh system under test,
// leniently (so every candidate is a valid program); a candidate that fails
// with the signature and costs less (fewer operations, then fewer objects made
// by macros, fewer references they make, fewer effects, smaller operands)
// replaces the current program by
// the program as it actually ran (resolved operands, only the operations that
// ran, up to the failure).
//
// Reduction works on the program's structure, coarsest first, and repeats
// until a whole round changes nothing:
//   delete_ranges     ddmin over operations: chunks of n/2, n/4, ..., 1
//   delete_objects    an object and every operation that touches it
//   merge_names       every use of one name becomes another
//   drop_edges        cycle k -> chain k, clique k -> cycle k, one effect
//                     out of a body, a weakref's callback
//   shrink_operands   macro lengths, payload sizes, thresholds, generations,
//                     slot indexes, int values and expected values, toward 0
//   renumber_names    names a, b, c... in order of first use
// The result is 1-minimal for these steps (no single step of any pass still
// fails the same way) unless the budget ran out, and deterministic: the same
// input gives the same output.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "gcverify/executor.h"
#include "gcverify/machine.h"
#include "gcverify/program.h"

namespace gcv {

// Makes a fresh system under test for each candidate.
using MachineFactory = std::function<std::unique_ptr<Machine>()>;

struct MinimizeProgress {
  const char* pass = "";          // the pass running
  std::size_t tests = 0;          // candidates run so far
  std::size_t original_ops = 0;
  std::size_t ops = 0;            // operations of the smallest failing program
  double seconds = 0;
};

struct MinimizeOptions {
  // How candidates run: strict is ignored (always lenient); the rest (check
  // level, expectations, step budget) should be what found the failure.
  RunOptions run = differential_fuzz_options();
  std::size_t max_tests = 0;                 // 0: no limit
  std::chrono::duration<double> max_time{0}; // 0: no limit
  // Called after every improvement and at the start of every pass.
  std::function<void(const MinimizeProgress&)> progress;
};

struct MinimizeResult {
  bool reproduced = false;      // the input failed at all; nothing else is set otherwise
  std::string signature;        // what every accepted candidate failed with
  Program program;              // the smallest failing program, as it ran
  RunResult run;                // its failing run
  std::size_t original_ops = 0;
  std::size_t tests = 0;        // candidates run
  double seconds = 0;
  bool budget_exhausted = false;  // stopped by max_tests or max_time: maybe not 1-minimal
};

MinimizeResult minimize(const Program& failing, const MachineFactory& make_sut, const MinimizeOptions& options);

}  // namespace gcv
