// gcverify replay, minimize and explain: one failing input at a time.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "failure_runs.h"
#include "gcverify/explain.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

extern char** environ;

namespace gcv {
namespace {

const char* const kRunsAsRun = R"(An input runs exactly as `gcverify run` runs it with the same options (a
text program strictly with its expect lines checked; a binary one, a fuzzer's
input, as the differential fuzz target runs it), in a child process, so that
a crash only a sanitizer sees is reported like any other failure (use the
fuzz build's gcverify, build-fuzz/cli/gcverify, for those). Every program
written is first run from its file as `gcverify run` would run it, and kept
only when it fails with the input's signature on the same system; otherwise
nothing is written and the exit status is 3.
)";

std::string replay_help() {
  return std::string(R"(usage: gcverify replay [options] INPUT...

Runs each input and prints its failure report and the program as it ran, in
text form: operands resolved, only the operations that ran, up to the
failure. Exit status 1 when any input fails, 0 when none does (the failure
did not reproduce).

)") + kRunsAsRun + R"(
options:
)" + failure_flags_help(false) +
         R"(  --save FILE.heap          write the first failing input's program as it ran
  --help                    this help
)";
}

std::string minimize_help() {
  return std::string(R"(usage: gcverify minimize [options] INPUT

Reduces a failing input (a fuzzer crash in the binary form, or a text
program) to a small program that fails the same way: the same signature (the
outcome and the kind of check, such as "divergence: leak") on the same system.
Coarse to fine: operation ranges (ddmin), an object and every operation on it,
two names merged, edges dropped (cycle -> chain, body operations), lists folded
into shapes, plainer operations, a canonical order, operands shrunk, names
renumbered; repeated until nothing more goes. The result is
1-minimal for those steps unless the budget runs out, and deterministic. It is
printed on stdout as a text program headed by its signature and the command
that reproduces it; progress goes to stderr. Exit status 0 when minimized, 1
when INPUT does not fail.

)") + kRunsAsRun + R"(
options:
)" + failure_flags_help(true) +
         R"(  --output FILE.heap        also write the result there
  --help                    this help
)";
}

std::string explain_help() {
  return std::string(R"(usage: gcverify explain [options] INPUT

Minimizes INPUT (unless --no-minimize), writes the program it explains
(--save), and prints that program with the failing operation marked and the
state of both machines there: names, every object either has alive (model |
system under test, differences flagged), counts, gc.garbage (for a crash:
the state before the operation during which the process died). Writes the
object graph at that point as Graphviz DOT (Boost.Graph's write_graphviz):
names and gc.garbage as roots, objects filled by generation and labelled with
refcounts; red: the system freed it while the model has it alive; orange: it
kept it while the model has it dead; dashed red: references only the system
has. Also a PNG when Graphviz's `dot` is installed. An INPUT that passes is
shown as it ends: its program, and the state after its last operation, before
the teardown. Exit status 0 when explained.

)") + kRunsAsRun + R"(
options:
)" + failure_flags_help(true) +
         R"(  --no-minimize             explain INPUT as it ran
  --save FILE.heap          the program explained (default: INPUT's name with
                            .explained.heap, in the current directory)
  --dot FILE.dot            where to write the graph (default: INPUT's name
                            with .dot, in the current directory)
  --png FILE.png            where to draw it (default: beside the .dot)
  --help                    this help
)";
}

// Whether this gcverify is built with AddressSanitizer (GCC and clang say so differently).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// Why an input that passes may still hold a failure elsewhere.
void say_does_not_fail(const std::string& command, const std::string& input, const std::string& what) {
  std::cerr << "gcverify " << command << ": " << input << " does not fail: " << what << "\n";
  if (!kAddressSanitizer)
    std::cerr << "  (this gcverify is built without AddressSanitizer, which a crash in a pool's freed memory needs:\n"
                 "   try the fuzz build's, build-fuzz/cli/gcverify)\n";
}

int replay_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(false);
  flags["--save"] = true;
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << replay_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, false, options)) return kExitUsage;
  if (args.positional().empty()) return args.usage_error("no input given"), kExitUsage;
  std::string unwritable;
  if (args.has("--save") && !can_write(args.get("--save", ""), unwritable))
    return std::cerr << "gcverify replay: " << unwritable << "\n", kExitUsage;
  std::size_t failing = 0;
  bool saved = false;
  for (const std::string& path : args.positional()) {
    const auto input = load_input(path, options);
    if (!input) return kExitUsage;
    const Trial trial = run_input(*input, options);
    if (trial.outcome() == Outcome::Pass) {
      std::cout << "passes: " << path << " (the failure did not reproduce)\n";
      continue;
    }
    ++failing;
    std::cout << trial.report << "---- the program as it ran (.heap) ----\n" << print_text(trial.ran) << "----\n";
    if (!args.has("--save") || saved) continue;
    const std::string file = args.get("--save", "");
    const std::string text = reproducer_header(trial, file, options) + "# replayed from " + path + "\n" + print_text(trial.ran);
    Trial verified;
    std::string error;
    if (const Written written = write_reproducer(file, text, trial, options, verified, error); written != Written::Yes)
      return std::cerr << "gcverify replay: " << error << "\n", exit_status(written);
    std::cout << "saved: " << file << " (verified: `" << run_command_line(options.settings, file)
              << "` fails the same way)\n";
    saved = true;
  }
  return failing == 0 ? 0 : kExitFailed;
}

int minimize_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags["--output"] = true;
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << minimize_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  if (args.positional().size() != 1) return args.usage_error("expected one INPUT"), kExitUsage;
  const std::string& path = args.positional()[0];
  std::string unwritable;
  if (args.has("--output") && !can_write(args.get("--output", ""), unwritable))
    return std::cerr << "gcverify minimize: " << unwritable << "\n", kExitUsage;
  const auto input = load_input(path, options);
  if (!input) return kExitUsage;
  const Trial failure = run_input(*input, options);
  if (failure.outcome() == Outcome::Pass) return say_does_not_fail("minimize", path, "nothing to minimize"), kExitFailed;
  const MinimizeResult result = minimize_input(*input, options.settings, options.minimize);
  if (!result.reproduced || !result.failure.same_failure(failure))
    return std::cerr << "gcverify minimize: " << path << " failed with " << failure.signature.to_string() << ", then "
                     << (result.reproduced ? "with " + result.failure.signature.to_string() : "not")
                     << " when run again: the system under test is not deterministic\n",
           kExitFailed;
  const std::string output = args.get("--output", "");
  const std::string text = reproducer_header(result.failure, output.empty() ? "repro.heap" : output,
                                             options) +
                           "# minimized from " + path + ": " + minimize_summary(result) + "\n" +
                           print_text(result.program);
  Trial verified;
  std::string error;
  if (const Written written = write_reproducer(output, text, result.failure, options, verified, error);
      written != Written::Yes)
    return std::cerr << "gcverify minimize: " << error << "\n", exit_status(written);
  std::cout << text;
  std::cerr << "minimized: " << minimize_summary(result) << (output.empty() ? "" : "; written: " + output) << "\n";
  return 0;
}

// Runs Graphviz's dot on `dot_file`, for at most kDotSeconds (dot's layout of
// a dense graph, a clique of forty lists, takes minutes); false (with the
// reason) when it cannot.
constexpr int kDotSeconds = 20;
bool draw_png(const std::string& dot_file, const std::string& png_file, std::string& why) {
  const std::string output = "-o" + png_file;
  char* const argv[] = {const_cast<char*>("dot"), const_cast<char*>("-Tpng"), const_cast<char*>(output.c_str()),
                        const_cast<char*>(dot_file.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "dot", nullptr, nullptr, argv, environ) != 0) {
    why = "Graphviz's dot is not installed (apt-get install graphviz): no PNG";
    return false;
  }
  int status = 0;
  pid_t done = 0;
  for (int waited_ms = 0; (done = waitpid(pid, &status, WNOHANG)) == 0 && waited_ms < kDotSeconds * 1000; waited_ms += 50)
    usleep(50'000);
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    why = "dot took more than " + std::to_string(kDotSeconds) + " s to lay out " + dot_file + ": no PNG";
    return false;
  }
  if (done < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = "dot failed on " + dot_file;
    return false;
  }
  return true;
}

// Writes the DOT graph and draws it; the exit status.
int write_graph(const std::string& dot, const std::string& dot_file, const std::string& png_file) {
  std::string error;
  if (!save_text(dot_file, dot, error)) return std::cerr << "gcverify explain: " << error << "\n", kExitUsage;
  std::cout << "\nobject graph: " << dot_file << "\n";
  std::string why;
  if (draw_png(dot_file, png_file, why))
    std::cout << "drawn: " << png_file << "\n";
  else
    std::cout << why << "\n";
  return 0;
}

// A passing input has no failure: what is shown is the state it leaves, after
// its last operation and before the teardown (run in a child process, as the
// system under test may damage the process it runs in).
int explain_passing(const Input& input, const FailureOptions& options, const std::string& dot_file,
                    const std::string& png_file) {
  RunOptions run = run_options(options.settings, input.form);
  run.teardown = false;
  const auto render = [&] {
    std::unique_ptr<Machine> sut = systems_under_test(options.settings).front()();
    std::unique_ptr<Machine> model = make_reference_model(*options.settings.profile, sut->capabilities());
    const RunResult result = run_lockstep(input.program, *model, *sut, run);
    const Program& shown = result.resolved;
    const Snapshot snapshot = take_snapshot(shown, *model, *sut);
    return annotate(shown, result, snapshot) + '\0' + object_graph_dot(shown, result, snapshot);
  };
  std::string died;
  const std::optional<std::string> rendered = run_isolated(render, died);
  if (!rendered) return std::cerr << "gcverify explain: " << input.path << " passes, but its state cannot be read: " << died << "\n", kExitUnverified;
  const auto split = rendered->find('\0');
  std::cout << input.path << " passes: nothing failed to explain; its state after its last operation, before the teardown\n\n"
            << rendered->substr(0, split);
  return write_graph(rendered->substr(split + 1), dot_file, png_file);
}

int explain_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags.insert({{"--no-minimize", false}, {"--save", true}, {"--dot", true}, {"--png", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << explain_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  if (args.positional().size() != 1) return args.usage_error("expected one INPUT"), kExitUsage;
  const std::string& path = args.positional()[0];
  const std::string stem = std::filesystem::path(path).stem().string();
  const std::string file = args.get("--save", stem + ".explained.heap"), dot_file = args.get("--dot", stem + ".dot");
  const std::string png_file =
      args.get("--png", std::filesystem::path(dot_file).replace_extension(".png").string());
  std::string error;
  for (const std::string& output : {file, dot_file, png_file})
    if (!can_write(output, error)) return std::cerr << "gcverify explain: " << error << "\n", kExitUsage;
  const auto input = load_input(path, options);
  if (!input) return kExitUsage;
  Trial failure = run_input(*input, options);
  if (failure.outcome() == Outcome::Pass) return explain_passing(*input, options, dot_file, png_file);
  const Reproducer explained = reproducer_of(*input, failure, !args.has("--no-minimize"), options);
  failure = explained.failure;
  if (explained.how != "as it ran") std::cout << explained.how << "\n";
  const std::string text = reproducer_header(failure, file, options) + "# explained from " + path + " (" +
                           explained.how + ")\n" + print_text(explained.program);
  Trial verified;
  if (const Written written = write_reproducer(file, text, failure, options, verified, error); written != Written::Yes)
    return std::cerr << "gcverify explain: " << error << "\n", exit_status(written);
  std::cout << "explained program: " << file << "\n\n";

  // The written file, run up to its failure, is what is explained: in a
  // child process, since the system under test may damage the process it
  // runs in; and if it dies there, the state from before the failure.
  FailureOptions as_run = options;
  as_run.settings.format = ProgramFormat::Auto;
  const auto written = load_input(file, as_run);
  if (!written) return kExitUnverified;
  const auto render = [&](bool stop_before) {
    return [&, stop_before] {
      std::unique_ptr<Machine> model, sut;
      const RunResult result = rerun_to_failure(written->program, verified, options, model, sut, stop_before);
      if (!stop_before && (result.outcome == Outcome::Pass || result.report.signature() != verified.signature))
        return std::string("!");  // not the same failure here
      const Snapshot snapshot = take_snapshot(written->program, *model, *sut);
      return annotate(written->program, result, snapshot) + '\0' + object_graph_dot(written->program, result, snapshot);
    };
  };
  std::string died;
  std::optional<std::string> rendered = run_isolated(render(false), died);
  if (!rendered || *rendered == "!") {
    std::cout << "(" << file << (rendered ? " fails another way" : " crashed (" + died + ")")
              << " when run again to read its state: shown is the state before the failing operation)\n\n";
    rendered = run_isolated(render(true), died);
  }
  // The heap was damaged before its failing operation, so that reading it
  // kills the reader: the written program is what can be explained.
  if (!rendered)
    return std::cout << "(the state before the failing operation cannot be read either: reading it crashed (" << died
                     << "): the heap was damaged earlier; no object graph)\n",
           0;
  const auto split = rendered->find('\0');
  std::cout << rendered->substr(0, split);
  return write_graph(rendered->substr(split + 1), dot_file, png_file);
}

}  // namespace

const Command kReplayCommand{"replay", "run failing inputs (fuzzer crashes) and print each as the program that ran",
                             replay_help, replay_command};
const Command kMinimizeCommand{"minimize", "reduce a failing input to a small reproducer with the same signature",
                               minimize_help, minimize_command};
const Command kExplainCommand{"explain", "the failing operation's state, annotated, and its object graph (DOT, PNG)",
                              explain_help, explain_command};

}  // namespace gcv
