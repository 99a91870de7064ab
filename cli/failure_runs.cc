// How the failure commands run, reduce and write: see failure_runs.h.
#include "failure_runs.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "gcverify/model.h"
#include "gcverify/text.h"

namespace gcv {
namespace fs = std::filesystem;

std::map<std::string, bool> failure_flags(bool budget) {
  std::map<std::string, bool> flags = run_flags();
  flags["--help"] = false;
  if (budget) flags.insert({{"--max-tests", true}, {"--max-seconds", true}, {"--quiet", false}});
  return flags;
}

std::string failure_flags_help(bool budget) {
  std::string help = run_flags_help();
  if (budget)
    help += R"(  --max-tests N             stop minimizing after N candidate runs
  --max-seconds S           stop minimizing after S seconds (default 60)
  --quiet                   no progress lines on stderr
)";
  return help;
}

bool read_failure_options(Arguments& args, bool budget, FailureOptions& options) {
  if (!read_run_settings(args, options.settings)) return false;
  if (!budget) return true;
  double max_tests = 0, max_seconds = 60;
  if (!args.number("--max-tests", 1, max_tests) || !args.number("--max-seconds", 0.1, max_seconds)) return false;
  options.minimize.max_tests = static_cast<std::size_t>(max_tests);
  options.minimize.max_time = std::chrono::duration<double>(max_seconds);
  if (!args.has("--quiet")) {
    // One line per pass; on a terminal, also the figures as they improve.
    const bool terminal = isatty(STDERR_FILENO) != 0;
    options.minimize.progress = [terminal, last_pass = std::string()](const MinimizeProgress& p) mutable {
      const bool new_pass = p.pass != last_pass;
      if (!terminal && !new_pass) return;
      if (new_pass && terminal && !last_pass.empty()) std::fputc('\n', stderr);
      last_pass = p.pass;
      std::fprintf(stderr, "%sminimize: %-16s %zu -> %zu ops  %zu tests  %.1f s%s", terminal ? "\r" : "", p.pass,
                   p.original_ops, p.ops, p.tests, p.seconds, terminal ? "" : "\n");
    };
  }
  return true;
}

std::optional<Input> load_input(const std::string& path, const FailureOptions& options) {
  Input input;
  input.path = path;
  std::string error;
  std::string note;
  auto program = load_program_to_run(path, options.settings.format, error, input.form, note);
  if (!program) {
    std::cerr << error << "\n";
    return std::nullopt;
  }
  if (!note.empty()) std::cerr << note << "\n";
  // A failure command runs every input under the version it was given: an
  // input whose `# cpython:` line leaves that version out says which to give.
  std::string skip;
  const Profile* chosen = profile_for(*program, options.settings, skip);
  if (chosen != options.settings.profile) {
    std::cerr << path << ": " << (chosen == nullptr ? skip : "it holds for CPython " + std::string(chosen->name) +
                                                               " and not " + options.settings.profile->name +
                                                               ": give --cpython " + chosen->name)
              << "\n";
    return std::nullopt;
  }
  input.program = std::move(*program);
  return input;
}

Trial run_input(const Input& input, const FailureOptions& options) {
  return child_process_runner(systems_under_test(options.settings), run_options(options.settings, input.form))(
      input.program);
}

MinimizeResult minimize_input(const Input& input, const RunSettings& settings, const MinimizeOptions& budget) {
  RunOptions lenient = run_options(settings, input.form);
  lenient.strict = false;
  MinimizeResult result = minimize(input.program, child_process_runner(systems_under_test(settings), lenient), budget);
  if (budget.progress && isatty(STDERR_FILENO)) std::fputc('\n', stderr);
  return result;
}

Reproducer reproducer_of(const Input& input, const Trial& failure, bool minimizing, const FailureOptions& options) {
  Reproducer as_ran{failure.ran, failure, "as it ran"};
  if (!minimizing) return as_ran;
  MinimizeResult minimized = minimize_input(input, options.settings, options.minimize);
  if (!minimized.reproduced || !minimized.failure.same_failure(failure)) {
    std::cerr << "gcverify: " << input.path << " failed with " << failure.signature.to_string()
              << ", then " << (minimized.reproduced ? "with " + minimized.failure.signature.to_string() : "not")
              << " when run again: the system under test is not deterministic; kept as it ran\n";
    return as_ran;
  }
  std::string how = "minimized: " + minimize_summary(minimized);  // before the program moves out
  return {std::move(minimized.program), std::move(minimized.failure), std::move(how)};
}

std::string minimize_summary(const MinimizeResult& result) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", result.seconds);
  return std::to_string(result.original_ops) + " -> " + std::to_string(result.program.ops.size()) + " operations, " +
         std::to_string(result.tests) + " tests, " + seconds + " s" +
         (result.budget_exhausted ? " (budget spent: may not be 1-minimal)" : " (1-minimal)");
}

std::string reproducer_header(const Trial& failure, const std::string& file, const FailureOptions& options) {
  return "# signature: " + failure.signature.to_string() + " (" + failure.sut + ")\n# reproduce: " +
         run_command_line(options.settings, file) + "\n";
}

namespace {

// A temporary file for verifying what goes to stdout.
std::string temporary_path() {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/gcverify-XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd < 0) return "";
  close(fd);
  return pattern;
}

}  // namespace

Written write_reproducer(const std::string& path, const std::string& text, const Trial& expected,
                         const FailureOptions& options, Trial& verified, std::string& error) {
  const std::string trial_file = path.empty() ? temporary_path() : path + ".unverified";
  if (trial_file.empty()) {
    error = "cannot make a temporary file to verify the reproducer in";
    return Written::CannotWrite;
  }
  std::error_code ignored;
  if (!path.empty() && !can_write(path, error)) return Written::CannotWrite;
  if (!save_text(trial_file, text, error)) {
    // save_text names its temporary file; the person named `path`.
    if (!path.empty()) error = path + ": cannot write: " + error.substr(error.rfind(": ") + 2);
    fs::remove(trial_file, ignored);
    return Written::CannotWrite;
  }
  // Read back and run as `gcverify run` reads and runs the file.
  FailureOptions as_run = options;
  as_run.settings.format = ProgramFormat::Auto;
  auto input = load_input(trial_file, as_run);
  if (!input) {
    error = "the reproducer does not read back as a program";
    fs::remove(trial_file, ignored);
    return Written::DoesNotReproduce;
  }
  input->program.origin = path.empty() ? "<stdout>" : path;
  verified = run_input(*input, as_run);
  if (!verified.same_failure(expected)) {
    fs::remove(trial_file, ignored);
    error = "the reproducer, run as `" + run_command_line(as_run.settings, path.empty() ? "FILE" : path) +
            "` would run it, " +
            (verified.outcome() == Outcome::Pass ? std::string("passes")
                                               : "fails otherwise: " + verified.signature.to_string() + " (" +
                                                     verified.sut + ")") +
            ", where the input fails with " + expected.signature.to_string() + " (" + expected.sut +
            "): not written. This is a bug in gcverify; please report it with the input.";
    return Written::DoesNotReproduce;
  }
  if (path.empty()) {
    fs::remove(trial_file, ignored);
    return Written::Yes;
  }
  return move_into_place(trial_file, path, error) ? Written::Yes : Written::CannotWrite;
}

int exit_status(Written written) {
  return written == Written::Yes ? 0 : written == Written::CannotWrite ? kExitUsage : kExitUnverified;
}

RunResult rerun_to_failure(const Program& program, const Trial& failure, const FailureOptions& options,
                           std::unique_ptr<Machine>& model, std::unique_ptr<Machine>& sut, bool stop_before) {
  for (const MachineFactory& make : systems_under_test(options.settings)) {
    sut = make();
    model = make_reference_model(*options.settings.profile, sut->capabilities());
    if (sut->name() == failure.sut) break;
  }
  RunOptions run = run_options(options.settings, ProgramFormat::Text);
  if (!stop_before && failure.outcome() != Outcome::Crash) return run_lockstep(program, *model, *sut, run);
  Program before = program;
  before.ops.resize(std::min(failure.op_index, program.ops.size()));
  run.teardown = false;
  RunResult result = run_lockstep(before, *model, *sut, run);
  result.outcome = failure.outcome();
  Report& r = result.report;
  r.outcome = failure.outcome();
  r.kind = failure.signature.kind;
  r.expectation = r.actual = failure.signature.detail;
  r.op_index = failure.op_index;
  r.where = failure.op_index < program.ops.size() ? program.ops[failure.op_index].where : SourceLocation{};
  r.op_text = failure.op_index < program.ops.size() ? format_op(program, program.ops[failure.op_index]) : "teardown";
  r.check = (failure.outcome() == Outcome::Crash ? "the process died: " + failure.signature.detail
                                               : failure.signature.to_string()) +
            " (the state shown is from before this operation)";
  r.expected = failure.outcome() == Outcome::Crash ? "no crash" : "see the failure's report";
  return result;
}

}  // namespace gcv
