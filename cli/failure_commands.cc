// gcverify replay, minimize and explain: one failing input at a time.
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "failure_runs.h"
#include "gcverify/explain.h"
#include "gcverify/text.h"

extern char** environ;

namespace gcv {
namespace {

std::string replay_help() {
  return std::string(R"(usage: gcverify replay [options] INPUT...

Runs each input as the differential fuzz target does (operands resolved modulo
what exists, expectations ignored, at most 4096 primitive steps, a fresh heap,
teardown checked) and prints the divergence report, its signature and the
program as it ran, in text form: a ready reproducer. Exit status 1 when any
input still fails, 0 when none does (the failure did not reproduce).

options:
)") + failure_flags_help(false) +
         R"(  --save FILE.heap          write the program as it ran (first failing input)
  --help                    this help
)";
}

std::string minimize_help() {
  return std::string(R"(usage: gcverify minimize [options] INPUT

Reduces a failing input (a fuzzer crash in the binary form, or a .heap
program) to a small program that fails the same way: the same outcome, at the
same check, at the same kind of operation (its signature). Coarse to fine:
operation ranges (ddmin), an object and every operation on it, two names
merged, edges dropped (cycle -> chain, body effects), operands shrunk, names
renumbered; repeated until nothing more goes. The result is 1-minimal for those
steps unless the budget runs out, and deterministic. It is printed on stdout as
a .heap program, headed by its signature; progress goes to stderr.
Exit status 0 when minimized, 1 when INPUT does not fail.

options:
)") + failure_flags_help(true) +
         R"(  --output FILE.heap        also write the result there
  --help                    this help
)";
}

std::string explain_help() {
  return std::string(R"(usage: gcverify explain [options] INPUT

Minimizes INPUT (unless --no-minimize), runs it, and at the operation where it
fails prints the program with that operation marked and the state of both
machines there: names, every object either has alive (model | gcheap,
differences flagged), counts, gc.garbage. Writes the object graph at that point
as Graphviz DOT (Boost.Graph's write_graphviz): names and gc.garbage as roots,
objects filled by generation and labelled with refcounts; red: gcheap freed it
while the model has it alive; orange: gcheap kept it while the model has it
dead; dashed red: references only gcheap has. Also a PNG when Graphviz's `dot`
is installed. Exit status 0 when explained, 1 when INPUT does not fail.

options:
)") + failure_flags_help(true) +
         R"(  --no-minimize             explain INPUT as it is
  --dot FILE.dot            where to write the graph (default: INPUT's name
                            with .dot, in the current directory)
  --png FILE.png            where to draw it (default: beside the .dot)
  --help                    this help
)";
}

// Loads INPUT; the message is printed on failure.
std::optional<Program> load_input(const std::string& path, const FailureOptions& options) {
  std::string error;
  auto program = load_program(path, options.format, error);
  if (!program) std::cerr << error << "\n";
  return program;
}

int replay_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(false);
  flags["--save"] = true;
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << replay_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, false, options)) return kExitUsage;
  if (args.positional().empty()) return args.usage_error("no input given"), kExitUsage;
  std::size_t failing = 0;
  bool saved = false;
  for (const std::string& input : args.positional()) {
    const auto program = load_input(input, options);
    if (!program) return kExitUsage;
    std::unique_ptr<Machine> model, heap;
    const RunResult result = run_failure(*program, options, model, heap);
    if (result.outcome == Outcome::Pass) {
      std::cout << "did not reproduce: " << input << " (" << result.ops_run << " ops ran)\n";
      continue;
    }
    ++failing;
    std::cout << result.report.to_string(*program, std::string(heap->name()))
              << "  signature: " << result.report.signature(*program) << "\n"
              << "---- the program as it ran (.heap) ----\n" << print_text(result.reproducer()) << "----\n";
    if (args.has("--save") && !saved) {
      std::string error;
      if (!save_program(result.reproducer(), args.get("--save", ""), ProgramFormat::Text, error))
        return std::cerr << "gcverify replay: " << error << "\n", kExitUsage;
      saved = true;
    }
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
  const auto program = load_input(args.positional()[0], options);
  if (!program) return kExitUsage;
  const MinimizeResult result = minimize_failure(*program, options);
  if (!result.reproduced) {
    std::cerr << "gcverify minimize: " << args.positional()[0] << " does not fail: nothing to minimize\n";
    return kExitFailed;
  }
  const std::string text = "# signature: " + result.signature + "\n# minimized from " + args.positional()[0] + ": " +
                           minimize_summary(result) + "\n" + print_text(result.program);
  std::cout << text;
  std::cerr << "minimized: " << minimize_summary(result) << "\n";
  if (args.has("--output")) {
    std::string error;
    if (!save_text(args.get("--output", ""), text, error)) return std::cerr << "gcverify minimize: " << error << "\n", kExitUsage;
  }
  return 0;
}

// Runs Graphviz's dot on `dot_file`; false (with the reason) when it cannot.
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
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = "dot failed on " + dot_file;
    return false;
  }
  return true;
}

int explain_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags.insert({{"--no-minimize", false}, {"--dot", true}, {"--png", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << explain_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  if (args.positional().size() != 1) return args.usage_error("expected one INPUT"), kExitUsage;
  const std::string& input = args.positional()[0];
  auto program = load_input(input, options);
  if (!program) return kExitUsage;
  if (!args.has("--no-minimize")) {
    MinimizeResult minimized = minimize_failure(*program, options);
    if (minimized.reproduced) {
      std::cout << "minimized: " << minimize_summary(minimized) << "\n\n";
      program = std::move(minimized.program);
    }
  }
  std::unique_ptr<Machine> model, heap;
  const RunResult result = run_failure(*program, options, model, heap);
  if (result.outcome == Outcome::Pass) {
    std::cerr << "gcverify explain: " << input << " does not fail: nothing to explain\n";
    return kExitFailed;
  }
  const Snapshot snapshot = take_snapshot(*program, *model, *heap);
  std::cout << annotate(*program, result, snapshot);

  const std::string stem = std::filesystem::path(input).stem().string();
  const std::string dot_file = args.get("--dot", stem + ".dot");
  std::string error;
  if (!save_text(dot_file, object_graph_dot(*program, result, snapshot), error))
    return std::cerr << "gcverify explain: " << error << "\n", kExitUsage;
  std::cout << "\nobject graph: " << dot_file << "\n";
  const std::string png_file =
      args.get("--png", std::filesystem::path(dot_file).replace_extension(".png").string());
  std::string why;
  if (draw_png(dot_file, png_file, why))
    std::cout << "drawn: " << png_file << "\n";
  else
    std::cout << why << "\n";
  return 0;
}

}  // namespace

const Command kReplayCommand{"replay", "replay fuzzer inputs (crashes) through the executor, readably", replay_help,
                             replay_command};
const Command kMinimizeCommand{"minimize", "reduce a failing input to a small reproducer with the same signature",
                               minimize_help, minimize_command};
const Command kExplainCommand{"explain", "the failing operation's state, annotated, and its object graph (DOT, PNG)",
                              explain_help, explain_command};

}  // namespace gcv
