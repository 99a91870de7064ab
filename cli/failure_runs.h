// How the failure commands (replay, minimize, explain, triage, promote) run an
// input: by default exactly as the differential fuzz target does (lenient,
// expectations ignored, CheckLevel::Fast, its step budget, a fresh heap), so a
// crash found by the fuzzer reproduces; flags adjust that.
#pragma once

#include <map>
#include <string>

#include "arguments.h"
#include "gcverify/executor.h"
#include "gcverify/minimize.h"

namespace gcv {

struct FailureOptions {
  RunOptions run = differential_fuzz_options();
  std::string geometry = "modern";
  ProgramFormat format = ProgramFormat::Auto;
  MinimizeOptions minimize;  // budget and progress; its `run` is `run` above
};

// The flags every failure command takes, for Arguments::parse:
//   --check fast|full  --geometry modern|classic  --format auto|text|binary
//   --expectations     (check the program's expect lines too)
// and, with budget, --max-tests N --max-seconds S --quiet.
std::map<std::string, bool> failure_flags(bool budget);
std::string failure_flags_help(bool budget);
bool read_failure_options(Arguments& args, bool budget, FailureOptions& options);

// A fresh system under test (gcheap) for one run.
MachineFactory heap_factory(const FailureOptions& options);

// One run of `program` on fresh machines; `model` and `sut` are left as the
// run left them (at the failing operation when it failed).
RunResult run_failure(const Program& program, const FailureOptions& options, std::unique_ptr<Machine>& model,
                      std::unique_ptr<Machine>& sut);

// Minimizes with options.minimize, progress on stderr unless --quiet.
MinimizeResult minimize_failure(const Program& program, const FailureOptions& options);

// "12 -> 4 operations, 311 tests, 0.8 s (1-minimal)".
std::string minimize_summary(const MinimizeResult& result);

}  // namespace gcv
