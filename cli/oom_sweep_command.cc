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
#include "gcverify/oom_sweep.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

std::string oom_sweep_help() {
  return R"(usage: gcverify oom-sweep [options] PATH...

Runs each program once for every request of memory it makes, with that
request refused, and again with every request from it on refused (a `# fail:
request K` and a `# fail: from request K` line), and checks each run: the
system under test fails with MemoryError only where memory is needed, leaves
everything as if the operation had not run, agrees with the model at every
step, and holds nothing at its teardown. A clean run first counts the
requests. Programs (PATH: files or directories) run leniently, as binary
inputs do (a name an allocation that failed left unbound, a later operation
may read), and without their expect lines, which state what happens with
memory to spare. The system under test must declare memory_failures (gcheap
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

// "oom-sweep: corpus/x.heap: from request 120 (run 241 of 1401), 5.2 s".
std::function<void(const OomSweepProgress&)> sweep_progress(const std::string& file) {
  return [file, next = 10.0](const OomSweepProgress& p) mutable {
    if (p.seconds < next) return;
    next = p.seconds + 10;
    const MemoryFailures failures{.mode = p.mode, .request = p.request};
    std::fprintf(stderr, "oom-sweep: %s: %s (run %zu of %zu), %.1f s\n", file.c_str(), failures.to_string().c_str(),
                 p.run + 1, p.runs, p.seconds);
  };
}

int oom_sweep_command(Arguments& args) {
  std::map<std::string, bool> flags = run_flags();
  flags.insert({{"--quiet", false}, {"--help", false}, {"--max-runs", true}, {"--save", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << oom_sweep_help(), 0;
  FailureOptions failure_options;
  RunSettings& settings = failure_options.settings;
  if (!read_run_settings(args, settings)) return kExitUsage;
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
  std::size_t programs = 0, skipped = 0, invalid = 0, failed = 0, runs = 0, memory_errors = 0, failed_runs = 0;
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
    const std::unique_ptr<Machine> model = make_reference_model(*program_settings.profile, sut->capabilities());
    OomSweepOptions options{.run = run_options(program_settings, form), .max_runs = static_cast<std::size_t>(max_runs)};
    if (!quiet) options.progress = sweep_progress(file);
    const auto started = std::chrono::steady_clock::now();
    const OomSweepResult sweep = oom_sweep(*program, *model, *sut, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ++programs;
    runs += sweep.runs;
    memory_errors += sweep.memory_errors;
    failed_runs += sweep.failed_runs;
    char summary[160];
    std::snprintf(summary, sizeof summary, "%llu requests, %zu runs, %zu MemoryErrors, %.1f s",
                  static_cast<unsigned long long>(sweep.requests), sweep.runs, sweep.memory_errors, seconds);
    if (sweep.passed()) {
      if (!quiet) std::cout << "PASS " << file << "  (" << summary << ")\n";
      continue;
    }
    ++failed;
    status = std::max(status, kExitFailed);
    const RunResult& first = *sweep.first_failure;
    std::cout << "FAIL " << file << "  (" << summary << "; " << sweep.failed_runs << " runs failed, the first with '# fail: "
              << sweep.first_failure_program.memory_failures.to_string() << "')\n"
              << first.report.to_string(sweep.first_failure_program, std::string(sut->name()));
    // The reproducer: the program as it ran, verified to fail the same way.
    const Trial trial = trial_of(sweep.first_failure_program, first, sut->name());
    const std::string path =
        save.empty() ? "" : (std::filesystem::path(save) / (std::filesystem::path(file).stem().string() + ".oom.heap")).string();
    const std::string text = reproducer_header(trial, path.empty() ? "FILE" : path, failure_options) + print_text(trial.ran);
    Trial verified;
    const Written written = write_reproducer(path, text, trial, failure_options, verified, error);
    if (written != Written::Yes) {
      std::cerr << "gcverify oom-sweep: " << file << ": the reproducer was not written: " << error << "\n";
      status = std::max(status, exit_status(written));
      continue;
    }
    if (path.empty()) std::cout << "  reproducer (fails the same way under `gcverify run`):\n" << text;
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
