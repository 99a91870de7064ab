// How the failure commands (replay, minimize, explain, triage, promote) run
// an input, reduce it and write what they make of it.
//
// An input runs exactly as `gcverify run` runs it with the same options
// (run_settings.h), in a child process, so that a crash only a sanitizer sees
// is an outcome to report and minimize rather than the end of the tool. Every
// program a failure command writes is verified before it is written: it is
// run from its file as `gcverify run` would run it, and written only when it
// fails the same way as the input (write_reproducer).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "arguments.h"
#include "gcverify/minimize.h"
#include "run_settings.h"

namespace gcv {

// Exit status when a failure command cannot make a reproducer that
// reproduces: a bug in gcverify, never the input's fault.
constexpr int kExitUnverified = 3;

struct FailureOptions {
  RunSettings settings;
  MinimizeOptions minimize;  // budget and progress
};

// The run options (run_settings.h) and, with budget, --max-tests N
// --max-seconds S --quiet; for Arguments::parse, with their help.
std::map<std::string, bool> failure_flags(bool budget);
std::string failure_flags_help(bool budget);
bool read_failure_options(Arguments& args, bool budget, FailureOptions& options);

struct Input {
  std::string path;
  Program program;
  ProgramFormat form = ProgramFormat::Text;
};
// Loads an input; the message is printed when it cannot be read, or when
// its `# cpython:` line leaves out the version the command runs under.
std::optional<Input> load_input(const std::string& path, const FailureOptions& options);

// Runs the input as `gcverify run` would, in a child process.
Trial run_input(const Input& input, const FailureOptions& options);

// Minimizes a failing input, every candidate run leniently as the input runs,
// each in a child process of its own: a bug that corrupts memory in one
// candidate cannot change what the next one does, and a crash or a hang is
// an outcome like any other. Progress goes to stderr unless --quiet.
MinimizeResult minimize_input(const Input& input, const RunSettings& settings, const MinimizeOptions& budget);

// What a failure command writes for a failing input: the minimized program,
// or the input as it ran (`minimizing` false, or a minimizer that did not see
// the input fail the same way again: a flaky system, said on stderr).
struct Reproducer {
  Program program;
  Trial failure;    // the program's
  std::string how;  // "as it ran", or "minimized: 12 -> 4 operations, ..."
};
Reproducer reproducer_of(const Input& input, const Trial& failure, bool minimizing, const FailureOptions& options);

// "12 -> 4 operations, 311 tests, 0.8 s (1-minimal)".
std::string minimize_summary(const MinimizeResult& result);

// The lines every written reproducer starts with: its signature (and the
// system it fails on) and the command that runs it.
std::string reproducer_header(const Trial& failure, const std::string& file, const FailureOptions& options);

// Writes `text` (a text program) to `path` only when it is shown to
// reproduce: written first beside `path`, it is run in a child process as
// `gcverify run` runs that file with the same options, and kept only when it
// fails the same way as `expected` (outcome, signature, system). `verified`
// is then that run's trial, whose report names the lines of `path`. An empty
// `path` verifies through a temporary file and writes nothing. Otherwise
// nothing is written and `error` says why: the file cannot be written, or
// what it did instead of failing the same way.
enum class Written { Yes, CannotWrite, DoesNotReproduce };
Written write_reproducer(const std::string& path, const std::string& text, const Trial& expected,
                         const FailureOptions& options, Trial& verified, std::string& error);
// The exit status for what write_reproducer did: 0, 2 (cannot write) or 3.
int exit_status(Written written);

// Runs `program` (a verified reproducer, read from its file) up to its
// failure, `failure` being its trial, and leaves the failing system's
// machines there. With `stop_before`, or for a crash, which is not rerun,
// the run stops before the failing operation (or the teardown), and the
// report says how it failed. Call it in a child process (run_isolated): the
// system under test may damage the process it runs in.
RunResult rerun_to_failure(const Program& program, const Trial& failure, const FailureOptions& options,
                           std::unique_ptr<Machine>& model, std::unique_ptr<Machine>& sut, bool stop_before);

}  // namespace gcv
