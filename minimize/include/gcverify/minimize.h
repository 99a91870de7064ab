// The minimizer: reduces a failing heap program to a small one that fails the
// same way.
//
// "The same way" is the failure's signature (Signature: the outcome and the
// kind of check, never a name, number or operation) on the same system under
// test. Every candidate runs from scratch through a Runner: in this process on
// a fresh model and a fresh system under test, or in a child process each
// (what gcverify's commands use: a bug that corrupts memory cannot change the
// next candidate's outcome, and a crash only a sanitizer sees is an outcome,
// as libFuzzer's -minimize_crash forks). Candidates run leniently, so every
// candidate is a valid program. A candidate that fails the same way and costs
// less (fewer operations, then fewer objects made by macros, fewer references
// they make, fewer body operations, plainer kinds, fewer pairs out of the canonical
// order, smaller operands) replaces the current program by the program as it
// actually ran (resolved operands, only the operations that ran, up to the
// failure).
//
// Reduction works on the program's structure, coarsest first, and repeats
// until a whole round changes nothing:
//   delete_ranges     ddmin over operations: chunks of n/2, n/4, ..., 1
//   delete_objects    an object and every operation that touches it
//   merge_names       every use of one name becomes another
//   drop_edges        cycle or clique k -> chain k, clique k -> cycle k,
//                     chain k -> cycle k-1, one effect or a whole body out
//   fold_shapes       lists built by hand into the shape that builds them
//                     (a = list; a.append(a) -> a = cycle 1), and a
//                     collection a threshold or a body causes made explicit
//   simplify_ops      plainer kinds: `del a` for what drops a's reference, a
//                     list for an atom or a shape of one, fewer threshold
//                     values, `n = self` for what keeps self
//   reorder_ops       adjacent operations into the canonical order
//                     (configuration, new objects, links, drops, collections)
//   shrink_operands   every operand at once, then each: macro lengths,
//                     payload sizes, thresholds, generations, slot indexes,
//                     int values and expected values, toward their simplest
//   renumber_names    names a, b, c... in order of first use
// The plainer kinds, the canonical order and the folds are what make one
// bug's reproducers, reduced from different inputs, come out as one program
// (docs/minimizer.md measures it per seeded bug). The result is 1-minimal
// for these steps (no single step of any pass still fails the same way)
// unless the budget ran out, and deterministic: the same input gives the
// same output.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gcverify/executor.h"
#include "gcverify/machine.h"
#include "gcverify/program.h"

namespace gcv {

// Makes a fresh system under test for each candidate.
using MachineFactory = std::function<std::unique_ptr<Machine>()>;

// One run of a program, as the tools that compare failures see it.
struct Trial {
  Signature signature;  // its outcome is the trial's: Pass when nothing failed
  std::string sut;      // the system under test that failed (a three-way run has two)
  Program ran;          // the program as it ran up to the failure: operands
                        // resolved, only the operations that ran, names by first use
  std::size_t op_index = 0;  // the failing operation's index in the program
                             // run, its number of operations for the teardown
  std::string report;   // the failure told to a person (Report::to_string, or
                        // the sanitizer's report and where the process died)
  Outcome outcome() const { return signature.outcome; }
  // Whether `other` fails the same way: same signature (outcome included) and system.
  bool same_failure(const Trial& other) const { return signature == other.signature && sut == other.sut; }
};

// The trial of `result`, a run of `program` on the system under test `sut`.
Trial trial_of(const Program& program, const RunResult& result, std::string_view sut);

// Runs a program and tells how it failed.
using Runner = std::function<Trial(const Program&)>;

// Runs on each system under test in turn (a fresh model and a fresh system
// each time), in this process; the first failure is the trial's.
Runner in_process_runner(std::vector<MachineFactory> suts, RunOptions options);

// The same runs, each in a child process (fork), so that a crash is a trial's
// outcome (Outcome::Crash, its signature's detail the sanitizer's error kind
// or the signal) rather than the end of the caller; `ran` of a crash is the
// program up to the operation during which the child died. A child that
// runs longer than `timeout_seconds` is killed: a crash with detail "timeout".
Runner child_process_runner(std::vector<MachineFactory> suts, RunOptions options, double timeout_seconds = 30);

// Runs `work` in a child process and returns what it returned, or nullopt
// when the child died, with `how` saying how (as a crash's signature detail
// does). For work on a system under test whose outcome must not depend on,
// or be able to damage, this process.
std::optional<std::string> run_isolated(const std::function<std::string()>& work, std::string& how,
                                        double timeout_seconds = 30);
// run_isolated for long work that says how far it has got: `work` calls
// progress(n) as it goes, and `at` is the last n it gave (when the child
// died: where).
std::optional<std::string> run_isolated_with_progress(
    const std::function<std::string(const std::function<void(std::uint64_t)>& progress)>& work, std::string& how,
    std::uint64_t& at, double timeout_seconds);

struct MinimizeProgress {
  const char* pass = "";          // the pass running
  std::size_t tests = 0;          // candidates run so far
  std::size_t original_ops = 0;
  std::size_t ops = 0;            // operations of the smallest failing program
  double seconds = 0;
};

struct MinimizeOptions {
  std::size_t max_tests = 0;                 // 0: no limit
  std::chrono::duration<double> max_time{0}; // 0: no limit
  // Called after every improvement and at the start of every pass.
  std::function<void(const MinimizeProgress&)> progress;
};

struct MinimizeResult {
  bool reproduced = false;      // the input failed at all; nothing else is set otherwise
  Trial failure;                // the smallest program's failing run: every accepted
                                // candidate failed the same way as the input
  Program program;              // the smallest failing program, names spelled a, b, c...
  std::size_t original_ops = 0;
  std::size_t tests = 0;        // candidates run
  double seconds = 0;
  bool budget_exhausted = false;  // stopped by max_tests or max_time: maybe not 1-minimal
};

// The shape of a program, for telling minimized reproducers of one bug from
// those of another: its operations as text with every name spelled `_` and
// every number `N`, joined by "; " ("_ = list; _.append(_); del _; collect").
std::string program_shape(const Program& program);

// `run` runs candidates leniently (the runners above, given lenient options).
MinimizeResult minimize(const Program& failing, const Runner& run, const MinimizeOptions& options);

// One system under test in this process, with `run_options` made lenient.
MinimizeResult minimize(const Program& failing, const MachineFactory& make_sut, RunOptions run_options,
                        const MinimizeOptions& options);

}  // namespace gcv
