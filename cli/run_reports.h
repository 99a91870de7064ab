// What `gcverify run` reports besides its PASS and FAIL lines: the reports
// CI reads, JUnit XML (one test case per program, a failure's report as its
// message) and JSON (per program: outcome, signature, location, check,
// expected, actual), written with `--report junit FILE` and `--report json
// FILE`; and the trace of a run (`--trace`, `--trace=json`).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "gcverify/executor.h"

namespace gcv {

// What one program's run came to.
struct ProgramRun {
  std::string file;
  enum class Verdict { Pass, Fail, Invalid, Skipped } verdict = Verdict::Pass;
  double seconds = 0;
  std::string system;       // the system under test that failed ("gcheap"), or ""
  Report report;            // Fail: the failure's report
  std::string text;         // Fail: the report as `run` prints it; Invalid: why it could not be read
  std::string location;     // Fail: "file:line:column", or "file: teardown"
};

// The report kinds, one row each: what `--report KIND FILE` accepts.
inline constexpr const char* kReportKinds[] = {"junit", "json"};

// Writes the report of `runs` in `kind` to `path` (whole, or not at all);
// false with the reason in `error`.
bool write_run_report(const std::string& kind, const std::string& path, const std::vector<ProgramRun>& runs,
                      std::string& error);

// "a.heap:4:1" where the report points, "a.heap: teardown" at the teardown.
std::string failure_location(const Program& program, const Report& report);

// Prints a run's TraceEntry stream to `out`: as text, every operation (its
// number, line and text) and under it the events it caused, indented by how
// many collections are open; as JSON, one object per line, an operation's
// ({"file", "system", "op", "line", "operation"}) or an event's ({"file",
// "system", "op", "event", "object" or "generation", "collected",
// "uncollectable", "depth"}). "op" counts from 1, null for the teardown.
std::function<void(const TraceEntry&)> trace_printer(const Program& program, const std::string& system, bool json,
                                                     std::ostream& out);

}  // namespace gcv
