// gcverify oom-sweep: every program run once per request of memory it
// makes, with that request refused (gcverify/oom_sweep.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "failure_runs.h"
#include "gcverify/model.h"
#include "gcverify/minimize.h"
#include "oom_sweep.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

constexpr double kSweepTimeoutSeconds = 24 * 3600;  // a whole sweep of one program, in its child

std::string oom_sweep_help() {
  return R"(usage: gcverify oom-sweep [options] PATH...

Runs each program once for every request of memory it makes, with that
request refused, and again with every request from it on refused (a `# fail:
request K` and a `# fail: from request K` line), and checks each run: the
system under test fails with MemoryError only where memory is needed, leaves
everything as if the operation had not run, agrees with the model at every
step, and holds nothing at its teardown. A clean run first counts the
requests. Programs (PATH: files or directories) run as `gcverify run` runs
them, but without their expect lines, which state what happens with memory
to spare; a text program runs strictly up to its first MemoryError and
leniently after it (a later operation may read a name the failed one left
unbound). The system under test must declare memory_failures (gcheap
does); other programs are reported SKIP. Each program prints a PASS or FAIL
line; a failure's report is followed by its reproducer, the program as it
ran with its `# fail:` line, verified to fail the same way under `gcverify
run` (with --save, written there). Progress goes to stderr every ten seconds.
Ends with "oom-sweep: P programs, R runs, F failures, M MemoryErrors
accepted". Exit status 0 when every run passes, 1 when one failed, 2 for bad
usage or bad input, 3 when a reproducer did not reproduce.

options:
)" + run_flags_help() +
         R"(  --max-runs N              at most N failure points per program and mode,
                            spread evenly over its requests (default: all)
  --save DIR                write each failing program's reproducer to
                            DIR/NAME.oom.heap
  --quiet                   print only failures and the summary
  --help                    this help
)";
}

// Where a sweep is, as one number (ChildProgress): the mode in the top
// bits, k in the rest; 0 for the clean run.
std::uint64_t sweep_point(MemoryFailures::Mode mode, std::uint64_t k) {
  return static_cast<std::uint64_t>(mode) << 56 | k;
}
MemoryFailures failures_at(std::uint64_t point) {
  return {.mode = static_cast<MemoryFailures::Mode>(point >> 56), .request = point & ((std::uint64_t{1} << 56) - 1)};
}

// What a program's sweep tells the parent: its counts, and the first run
// that failed (its point; none when every run passed).
struct SweepSummary {
  unsigned long long requests = 0, rare = 0, runs = 0, memory_errors = 0, failed_runs = 0, first_failure = 0;
  bool failed = false;
  std::string encode() const {
    return std::to_string(requests) + " " + std::to_string(rare) + " " + std::to_string(runs) + " " +
           std::to_string(memory_errors) + " " + std::to_string(failed_runs) + " " + std::to_string(failed) + " " +
           std::to_string(first_failure);
  }
  bool decode(const std::string& text) {
    int failed_flag = 0;
    const bool read = std::sscanf(text.c_str(), "%llu %llu %llu %llu %llu %d %llu", &requests, &rare, &runs,
                                  &memory_errors, &failed_runs, &failed_flag, &first_failure) == 7;
    failed = failed_flag != 0;
    return read;
  }
};

// Sweeps one program in a child process, so that a crash (a sanitizer's
// report, a signal) is the sweep's finding and not the end of gcverify; the
// child says where it is, and its progress lines go to the terminal.
// Returns nullopt when the child died, with `how` and `at` (its point).
std::optional<SweepSummary> sweep_in_child(const Program& program, const RunSettings& settings, ProgramFormat form,
                                           std::size_t max_runs, bool quiet, const std::string& file, std::string& how,
                                           std::uint64_t& at) {
  const int terminal = dup(STDERR_FILENO);  // the child's stderr is captured for its crash report
  const auto message = run_isolated_with_progress(
      [&](const std::function<void(std::uint64_t)>& progress) {
        const std::unique_ptr<Machine> sut = systems_under_test(settings).front()();
        const std::unique_ptr<Machine> model = make_reference_model(*settings.profile, sut->capabilities());
        OomSweepOptions options{.run = run_options(settings, form), .max_runs = max_runs};
        options.progress = [&, next = 10.0](const OomSweepProgress& p) mutable {
          progress(sweep_point(p.mode, p.request));
          if (quiet || p.seconds < next) return;
          next = p.seconds + 10;
          dprintf(terminal, "oom-sweep: %s: %s (run %zu of %zu), %.1f s\n", file.c_str(),
                  MemoryFailures{.mode = p.mode, .request = p.request}.to_string().c_str(), p.run + 1, p.runs, p.seconds);
        };
        const OomSweepResult sweep = oom_sweep(program, *model, *sut, options);
        SweepSummary summary{sweep.requests, sweep.rare_requests, sweep.runs, sweep.memory_errors, sweep.failed_runs};
        summary.failed = !sweep.passed();
        if (summary.failed)
          summary.first_failure = sweep_point(sweep.first_failure_program.memory_failures.mode,
                                              sweep.first_failure_program.memory_failures.request);
        return summary.encode();
      },
      how, at, kSweepTimeoutSeconds);
  close(terminal);
  SweepSummary summary;
  if (message && !summary.decode(*message)) {  // coverage: defensive
    how = "garbled child report";
    return std::nullopt;
  }
  if (!message) return std::nullopt;
  return summary;
}

int oom_sweep_command(Arguments& args) {
  std::map<std::string, bool> flags = run_flags();
  flags.insert({{"--quiet", false}, {"--help", false}, {"--max-runs", true}, {"--save", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << oom_sweep_help(), 0;
  FailureOptions failure_options;
  RunSettings& settings = failure_options.settings;
  if (!read_run_settings(args, settings)) return kExitUsage;
  if (args.has("--expectations")) return args.usage_error("a sweep runs without expect lines (see --help)"), kExitUsage;
  settings.expectations = false;  // as the sweep runs, and so its reproducers' `# reproduce:` lines
  if (settings.three_way) return args.usage_error("--three-way: a sweep runs on one system under test"), kExitUsage;
  double max_runs = 0;
  if (!args.number("--max-runs", 2, max_runs)) return kExitUsage;
  const std::string save = args.get("--save", "");
  if (!save.empty() && !std::filesystem::is_directory(save))
    return args.usage_error("--save: '" + save + "' is not a directory"), kExitUsage;
  if (args.positional().empty()) return args.usage_error("no program given"), kExitUsage;
  std::string error;
  std::vector<std::string> files;
  if (!collect_program_files(args.positional(), files, error))
    return std::cerr << "gcverify oom-sweep: " << error << "\n", kExitUsage;

  const bool quiet = args.has("--quiet");
  std::size_t programs = 0, skipped = 0, invalid = 0, runs = 0, memory_errors = 0, failed_runs = 0;
  int status = 0;
  for (const std::string& file : files) {
    ProgramFormat form;
    std::string note;
    const auto program = load_program_to_run(file, settings.format, error, form, note);
    if (!program) {
      std::cerr << error << "\n";
      ++invalid;
      continue;
    }
    if (!note.empty()) std::cerr << note << "\n";
    RunSettings program_settings = settings;
    std::string skip;
    if (const Profile* p = profile_for(*program, settings, skip)) program_settings.profile = p;
    const std::unique_ptr<Machine> sut = skip.empty() ? systems_under_test(program_settings).front()() : nullptr;
    if (sut != nullptr && !sut->capabilities().contains(needed_capabilities(*program).with(Capability::MemoryFailures)))
      skip = std::string(sut->name()) + " lacks " +
             (needed_capabilities(*program).with(Capability::MemoryFailures) - sut->capabilities()).to_string();
    if (!skip.empty()) {
      ++skipped;
      if (!quiet) std::cout << "SKIP " << file << "  (" << skip << ")\n";
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    std::string how;
    std::uint64_t at = 0;
    const std::optional<SweepSummary> sweep =
        sweep_in_child(*program, program_settings, form, static_cast<std::size_t>(max_runs), quiet, file, how, at);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ++programs;
    char summary[200] = "";
    if (sweep) {
      runs += sweep->runs;
      memory_errors += sweep->memory_errors;
      failed_runs += sweep->failed_runs;
      std::snprintf(summary, sizeof summary, "%llu requests (%llu of the system), %llu runs, %llu MemoryErrors, %.1f s",
                    sweep->requests, sweep->rare, sweep->runs, sweep->memory_errors, seconds);
      if (!sweep->failed) {
        if (!quiet) std::cout << "PASS " << file << "  (" << summary << ")\n";
        continue;
      }
    } else {
      ++failed_runs;
      std::snprintf(summary, sizeof summary, "crashed (%s) after %.1f s", how.c_str(), seconds);
    }
    status = std::max(status, kExitFailed);
    // The failing run again, alone in a child, for its report; then its
    // reproducer: the program as it ran, verified to fail the same way.
    FailureOptions as_swept = failure_options;
    as_swept.settings = program_settings;
    as_swept.settings.profile_given = program_settings.profile != settings.profile || settings.profile_given;
    Program failing = *program;
    failing.memory_failures = failures_at(sweep ? sweep->first_failure : at);
    const Trial trial =
        child_process_runner(systems_under_test(program_settings), run_options(program_settings, form))(failing);
    std::cout << "FAIL " << file << "  (" << summary << "; "
              << (sweep ? std::to_string(sweep->failed_runs) + " runs failed, the first" : std::string("the run"))
              << " with '# fail: " << failing.memory_failures.to_string() << "')\n"
              << trial.report;
    if (trial.outcome() == Outcome::Pass) {  // coverage: defensive
      std::cerr << "gcverify oom-sweep: " << file << ": the failing run passed when run again alone: the system under "
                   "test is not deterministic\n";
      status = std::max(status, kExitUnverified);
      continue;
    }
    const std::string path =
        save.empty() ? "" : (std::filesystem::path(save) / (std::filesystem::path(file).stem().string() + ".oom.heap")).string();
    const std::string text = reproducer_header(trial, path.empty() ? "FILE" : path, as_swept) + print_text(trial.ran);
    Trial verified;
    const Written written = write_reproducer(path, text, trial, as_swept, verified, error);
    if (written != Written::Yes) {
      std::cerr << "gcverify oom-sweep: " << file << ": the reproducer was not written: " << error << "\n";
      status = std::max(status, exit_status(written));
      continue;
    }
    if (path.empty()) std::cout << "  reproducer (fails the same way under its reproduce line):\n" << text;
    else std::cout << "  reproducer: " << path << "\n";
  }
  std::cout << "oom-sweep: " << programs << " programs, " << runs << " runs, " << failed_runs << " failures, "
            << memory_errors << " MemoryErrors accepted";
  if (skipped != 0) std::cout << "; " << skipped << " skipped";
  if (invalid != 0) std::cout << "; " << invalid << " invalid";
  std::cout << "\n";
  if (invalid != 0) return std::max(status, kExitUsage);
  return status;
}

}  // namespace

const Command kOomSweepCommand{"oom-sweep", "run programs with each request of memory refused in turn: no leak, no corruption",
                               oom_sweep_help, oom_sweep_command};

}  // namespace gcv
