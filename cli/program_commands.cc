// gcverify run, convert and print: programs as such.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "gcverify/cpython_machine.h"
#include "gcverify/executor.h"
#include "gcverify/model.h"
#include "gcverify/text.h"
#include "run_reports.h"
#include "run_settings.h"

namespace gcv {
namespace {

std::string run_help() {
  return R"(usage: gcverify run [options] PATH...

Runs each program on the reference model and on the system under test in
lockstep, comparing them after every operation, then tears both down and
checks that nothing is left. PATH may be a file or a directory (its *.heap and
*.bin files, recursively). A file is text or binary by its bytes: a text
program runs strictly with its expect lines checked; a binary one (a fuzzer's
input) as the differential fuzz target runs it: leniently, expectations not
checked, at most 4096 primitive steps. Each failure's report ends in its
signature. Exit status 0 when all pass, 1 when one failed, 2 for bad usage or
bad input.

A run that takes more than two seconds reports its progress on stderr: the
operation it is at, primitive steps, live objects and time (in place on a
terminal, a line every ten seconds otherwise). A run stopped by --max-seconds
passes with a note (it is not torn down, so nothing is said of leaks).

options:
)" + run_flags_help() +
         R"(  --max-steps N             stop each program before an operation that would
                            take it past N primitive steps (a binary input's
                            default: 4096)
  --max-seconds S           stop each program where it is after S seconds
  --report junit FILE       write JUnit XML to FILE: one test case per program,
                            a failure's report as its message (CI reads it)
  --report json FILE        write JSON to FILE: per program its outcome and, for
                            a failure, its signature, location, check, expected
                            and actual (--report may be given more than once)
  --trace[=text|json]       print every operation as it runs and under it the
                            events it caused on the system under test, in order:
                            collections (generation, result), frees, finalizers,
                            callbacks, nested collections; =json: one JSON
                            object per line (--sut model traces the model)
  --quiet                   print only failures and the summary
  --help                    this help
)";
}

// Progress lines for one program's run (see run_help).
std::function<void(const RunProgress&)> progress_printer(const std::string& file) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  return [file, terminal, next = 2.0](const RunProgress& p) mutable {
    if (p.seconds < next) return;
    next = p.seconds + (terminal ? 0.5 : 10);
    std::fprintf(stderr, "%srun: %s: operation %zu of %zu, %zu steps, %zu live objects, %.1f s%s", terminal ? "\r" : "",
                 file.c_str(), p.op_index + 1, p.ops, p.steps_run, p.live_objects, p.seconds, terminal ? "" : "\n");
  };
}

const char* const kConvertHelp = R"(usage: gcverify convert [--to text|binary] [--from text|binary] IN OUT

Converts a program. Without --to, OUT's name decides (.heap is text, anything
else binary); without --from, IN's bytes decide (printable: text). Binary
programs decode to canonical names (a, b, ..., z, a1, ...).
)";

const char* const kPrintHelp = R"(usage: gcverify print [--resolved] [--format auto|text|binary] FILE

Prints a program as text. With --resolved, the program is first run on the
reference model in lenient mode and printed as it actually ran: operands
resolved, operations that had nothing to act on left out (and a binary
program's expect records, which `run` does not check, and what lies past its
step budget).
)";

int run_command(Arguments& args) {
  std::map<std::string, bool> flags = run_flags();
  flags.insert({{"--quiet", false}, {"--help", false}, {"--max-steps", true}, {"--max-seconds", true}});
  if (!args.parse(flags, {"--report"}, {"--trace"})) return kExitUsage;
  if (args.has("--help")) return std::cout << run_help(), 0;
  RunSettings settings;
  if (!read_run_settings(args, settings)) return kExitUsage;
  std::string error;
  const std::string trace = args.get("--trace", "none");
  if (trace != "none" && trace != "" && trace != "text" && trace != "json")
    return args.usage_error("option '--trace' takes text or json after '=', not '" + trace + "'"), kExitUsage;
  for (const auto& [kind, path] : args.pairs("--report")) {
    if (std::find(std::begin(kReportKinds), std::end(kReportKinds), kind) == std::end(kReportKinds)) {
      std::string kinds;
      for (const char* known : kReportKinds) kinds += std::string(kinds.empty() ? "" : " or ") + known;
      return args.usage_error("option '--report' must be " + kinds + ", not '" + kind + "'"), kExitUsage;
    }
    if (!can_write(path, error)) return std::cerr << "gcverify run: " << error << "\n", kExitUsage;
  }
  double max_steps = 0, max_seconds = 0;
  if (!args.number("--max-steps", 1, max_steps) || !args.number("--max-seconds", 0.001, max_seconds)) return kExitUsage;
  if (args.positional().empty()) return args.usage_error("no program given"), kExitUsage;
  std::vector<std::string> files;
  if (!collect_program_files(args.positional(), files, error)) return std::cerr << "gcverify run: " << error << "\n", kExitUsage;

  const bool quiet = args.has("--quiet");
  // The machines follow settings.profile, or the profile a program's
  // `# cpython:` line chooses when no version was asked for (made anew when
  // it changes).
  RunSettings machines_settings = settings;
  // Each system under test with a model made for its capabilities.
  std::vector<std::unique_ptr<Machine>> suts, models;
  // Returns why the machines cannot be made ("" when they are).
  const auto make_machines = [&](const Profile& p) -> std::string {
    if (!suts.empty() && machines_settings.profile == &p) return {};
    machines_settings.profile = &p;
    if (settings.three_way || settings.sut == "cpython")
      if (std::string why = cpython_unavailable(p.name); !why.empty()) return why;
    suts.clear();
    models.clear();
    for (const MachineFactory& make : systems_under_test(machines_settings)) {
      suts.push_back(make());
      models.push_back(make_reference_model(p, suts.back()->capabilities()));
    }
    return {};
  };
  std::size_t passed = 0, failed = 0, invalid = 0, skipped = 0;
  std::vector<ProgramRun> runs;
  for (const std::string& file : files) {
    const auto started = std::chrono::steady_clock::now();
    ProgramRun& run = runs.emplace_back(ProgramRun{.file = file});
    ProgramFormat form;
    std::string note;
    auto program = load_program_to_run(file, settings.format, error, form, note);
    if (!program) {
      std::cerr << error << "\n";
      ++invalid;
      run.verdict = ProgramRun::Verdict::Invalid;
      run.text = error;
      continue;
    }
    if (!note.empty()) std::cerr << note << "\n";
    std::string skip;
    if (const Profile* p = profile_for(*program, settings, skip)) skip = make_machines(*p);
    if (!skip.empty()) {
      ++skipped;
      run.verdict = ProgramRun::Verdict::Skipped;
      run.text = skip;
      if (!quiet) std::cout << "SKIP " << file << "  (" << skip << ")\n";
      continue;
    }
    RunOptions options = run_options(machines_settings, form);
    if (max_steps > 0) options.max_steps = static_cast<std::size_t>(max_steps);
    options.max_seconds = max_seconds;
    if (!quiet) options.progress = progress_printer(file);
    // One run per system under test; the program passes when every one to
    // which it applies does.
    Outcome worst = Outcome::Pass;
    std::string reports, summary, not_applicable;
    std::size_t applicable = 0;
    for (std::size_t s = 0; s < suts.size(); ++s) {
      Machine& sut = *suts[s];
      if (trace != "none") options.trace = trace_printer(*program, std::string(sut.name()), trace == "json", std::cout);
      const RunResult result = run_lockstep(*program, *models[s], sut, options);
      if (result.outcome == Outcome::NotApplicable) {
        not_applicable += (not_applicable.empty() ? "" : "; ") + result.report.not_applicable_reason(std::string(sut.name()));
        continue;
      }
      ++applicable;
      if (!quiet && result.steps_run >= RunOptions::kProgressSteps && isatty(STDERR_FILENO)) std::fputc('\n', stderr);
      if (summary.empty())
        summary = std::to_string(result.ops_run) + " ops, " + std::to_string(result.steps_run) + " steps, " +
                  std::to_string(result.collections) + " collections";
      if (result.out_of_time)
        summary += "; stopped at its time budget in operation " + std::to_string(result.report.op_index + 1) +
                   ", not torn down";
      else if (result.truncated)
        summary += "; stopped at its step budget before operation " + std::to_string(result.report.op_index + 1);
      if (result.outcome == Outcome::Pass) continue;
      if (worst != Outcome::ProgramError) worst = result.outcome;
      const std::string report = result.report.to_string(*program, std::string(sut.name()));
      if (run.verdict == ProgramRun::Verdict::Pass)  // the first failure is the report's
        run = {file, ProgramRun::Verdict::Fail, 0, std::string(sut.name()), result.report, report,
               failure_location(*program, result.report)};
      reports += report;
      if (result.outcome == Outcome::ProgramError) break;  // the same for every system
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (applicable == 0) {  // within no system's capabilities: reported, never run
      ++skipped;
      run.verdict = ProgramRun::Verdict::Skipped;
      run.text = not_applicable;
      if (!quiet) std::cout << "SKIP " << file << "  (" << not_applicable << ")\n";
      continue;
    }
    if (!not_applicable.empty() && !quiet) std::cerr << file << ": " << not_applicable << "\n";
    if (worst == Outcome::Pass) {
      ++passed;
      if (!quiet) std::cout << "PASS " << file << "  (" << summary << (suts.size() > 1 ? ", three-way" : "") << ")\n";
      continue;
    }
    ++failed;  // a program error too: the program is wrong, not the input unreadable
    std::cout << "FAIL " << file << "\n" << reports;
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (skipped != 0) std::cout << ", " << skipped << " skipped";
  if (invalid != 0) std::cout << ", " << invalid << " invalid";
  std::cout << "\n";
  for (const auto& [kind, path] : args.pairs("--report")) {
    if (!write_run_report(kind, path, runs, error)) return std::cerr << "gcverify run: " << error << "\n", kExitUsage;
  }
  if (invalid != 0) return kExitUsage;
  return failed == 0 ? 0 : kExitFailed;
}

int convert_command(Arguments& args) {
  if (!args.parse({{"--to", true}, {"--from", true}, {"--help", false}})) return kExitUsage;
  if (args.has("--help")) return std::cout << kConvertHelp, 0;
  ProgramFormat from, to;
  if (!read_format(args, "--from", from) || !read_format(args, "--to", to)) return kExitUsage;
  if (args.positional().size() != 2) return args.usage_error("expected IN and OUT"), kExitUsage;
  std::string error;
  const auto program = load_program(args.positional()[0], from, error);
  if (!program) return std::cerr << error << "\n", kExitUsage;
  if (!save_program(*program, args.positional()[1], to, error)) return std::cerr << "gcverify convert: " << error << "\n", kExitUsage;
  return 0;
}

int print_command(Arguments& args) {
  if (!args.parse({{"--resolved", false}, {"--format", true}, {"--help", false}})) return kExitUsage;
  if (args.has("--help")) return std::cout << kPrintHelp, 0;
  ProgramFormat format;
  if (!read_format(args, "--format", format)) return kExitUsage;
  if (args.positional().size() != 1) return args.usage_error("expected one FILE"), kExitUsage;
  std::string error;
  ProgramFormat form;
  const auto program = load_program(args.positional()[0], format, error, &form);
  if (!program) return std::cerr << error << "\n", kExitUsage;
  if (!args.has("--resolved")) return std::cout << print_text(*program), 0;
  // Resolve against the model alone (run against a second model), as `run`
  // runs the form, but leniently.
  RunOptions options = run_options(RunSettings{}, form);
  options.strict = false;
  options.compare = false;
  options.teardown = false;
  auto model = make_reference_model(), mirror = make_reference_model();
  std::cout << print_text(run_lockstep(*program, *model, *mirror, options).reproducer());
  return 0;
}

std::string capabilities_help() {
  return R"(usage: gcverify capabilities [--sut ...|--sut-plugin LIBRARY] [--cpython X.Y] [PROGRAM...]

Prints what the system under test declares it implements and observes, one
capability per line ("yes" or "no"), with what a machine that has it does
and what happens for one that has not (capabilities.def). With programs
(files or directories), then prints what each one needs and whether the
system can run it. Exit status 0; 1 when a program needs more than the
system declares.

options:
)" + run_flags_help();
}

// One capability's line: "  yes  generations        three generations ...".
std::string capability_line(std::size_t c, bool declared) {
  std::string name = kCapabilities[c].name;
  name.resize(std::max<std::size_t>(name.size() + 1, 21), ' ');
  std::string line = std::string("  ") + (declared ? "yes  " : "no   ") + name + kCapabilities[c].what + "\n";
  if (!declared) line += std::string(28, ' ') + "without: " + kCapabilities[c].without + "\n";
  return line;
}

int capabilities_command(Arguments& args) {
  std::map<std::string, bool> flags = run_flags();
  flags.insert({"--help", false});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << capabilities_help(), 0;
  RunSettings settings;
  if (!read_run_settings(args, settings)) return kExitUsage;
  std::string error;
  std::vector<std::string> files;
  if (!collect_program_files(args.positional(), files, error))
    return std::cerr << "gcverify capabilities: " << error << "\n", kExitUsage;
  const std::unique_ptr<Machine> sut = systems_under_test(settings).front()();
  const Capabilities declared = sut->capabilities();
  std::cout << sut->name() << " declares:\n";
  for (std::size_t c = 0; c < kCapabilityCount; ++c) std::cout << capability_line(c, declared.has(static_cast<Capability>(c)));
  int status = 0;
  for (const std::string& file : files) {
    ProgramFormat form;
    const auto program = load_program(file, settings.format, error, &form);
    if (!program) return std::cerr << error << "\n", kExitUsage;
    const Capabilities needs = needed_capabilities(*program);
    const Capabilities missing = needs - declared;
    std::cout << file << ": needs " << needs.to_string();
    if (missing.empty()) {
      std::cout << ": " << sut->name() << " can run it\n";
    } else {
      std::cout << ": not applicable to " << sut->name() << " (lacks " << missing.to_string() << ")\n";
      status = kExitFailed;
    }
  }
  return status;
}

}  // namespace

const Command kCapabilitiesCommand{"capabilities", "what a system under test implements, and what programs need",
                                   capabilities_help, capabilities_command};
const Command kRunCommand{"run", "run programs (files or directories) and print a pass/fail summary", run_help,
                          run_command};
const Command kConvertCommand{"convert", "convert a program between the text (.heap) and binary forms",
                              [] { return std::string(kConvertHelp); }, convert_command};
const Command kPrintCommand{"print", "print a program as text", [] { return std::string(kPrintHelp); }, print_command};

}  // namespace gcv
