// gcverify: the command-line tool.
//
//   gcverify run PATH...          run programs in lockstep, model vs heap
//   gcverify convert IN OUT       text <-> binary
//   gcverify print FILE           print a program as text
//   gcverify replay INPUT...      replay fuzzer inputs as the differential target does
//
// Exit status: 0 success, 1 a program failed (divergence or expectation),
// 2 bad usage or bad input (unreadable file, parse error, program error).
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"
#include "program_files.h"

namespace gcv {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

const char* const kMainHelp = R"(usage: gcverify <command> [options] [arguments]

Runs heap programs on the reference model and on gcheap in lockstep.

commands:
  run       run programs (files or directories) and print a pass/fail summary
  convert   convert a program between the text (.heap) and binary forms
  print     print a program as text
  replay    replay fuzzer inputs (crashes) through the executor, readably
  help      show help for a command

'gcverify <command> --help' describes a command's options.
exit status: 0 success, 1 a program failed, 2 bad usage or bad input.
)";

const char* const kRunHelp = R"(usage: gcverify run [options] PATH...

Runs each program on the reference model and on the system under test in
lockstep, comparing them after every operation, then tears both down and
checks that nothing is left. PATH may be a file or a directory (its *.heap and
*.bin files, recursively).

options:
  --sut heap|model          system under test (default heap; model runs the
                            model against itself)
  --geometry modern|classic allocator geometry of the heap (default modern)
  --check full|fast         full: every live object after every operation
                            (default); fast: see the README
  --strict | --lenient      strict: an unbound name or a bad index is an error;
                            lenient: operands are resolved modulo what exists.
                            Default: strict for text, lenient for binary.
  --no-expectations         skip the program's expect lines
  --format auto|text|binary how to read files (default auto: .heap is text)
  --quiet                   print only failures and the summary
  --help                    this help
)";

const char* const kConvertHelp = R"(usage: gcverify convert [--to text|binary] [--from text|binary] IN OUT

Converts a program. Without --to, OUT's name decides (.heap is text, anything
else binary); without --from, IN's name decides. Binary programs decode to
canonical names (a, b, ..., z, a1, ...).
)";

const char* const kPrintHelp = R"(usage: gcverify print [--resolved] [--format auto|text|binary] FILE

Prints a program as text. With --resolved, the program is first run on the
reference model in lenient mode and printed as it actually ran: operands
resolved, operations that had nothing to act on left out.
)";

const char* const kReplayHelp = R"(usage: gcverify replay [options] INPUT...

Runs each input as the differential fuzz target does (binary form, operands
resolved modulo what exists, expectations ignored, at most 4096 primitive
steps, a fresh heap, teardown checked) and prints the divergence report and the program as it ran, in text
form: a ready reproducer. Exit status 1 when any input still fails, 0 when
none does (the failure did not reproduce).

options:
  --check fast|full         fast (default) is what the fuzz target checks; full
                            compares every object after every step and may
                            report the same bug earlier
  --geometry modern|classic allocator geometry of the heap (default modern)
  --format auto|text|binary how to read inputs (default auto: .heap is text)
  --save FILE.heap          write the program as it ran (first failing input)
  --help                    this help
)";

// Options of one subcommand: flags with a value, switches, positionals.
class Arguments {
 public:
  Arguments(std::string command, std::vector<std::string> args) : command_(std::move(command)), args_(std::move(args)) {}

  // Parses; known maps each option to whether it takes a value.
  bool parse(const std::map<std::string, bool>& known) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      const std::string& a = args_[i];
      if (a.size() < 2 || a.rfind("--", 0) != 0) {
        positional_.push_back(a);
        continue;
      }
      const auto eq = a.find('=');
      const std::string flag = a.substr(0, eq);
      const auto it = known.find(flag);
      if (it == known.end()) return usage_error("unknown option '" + flag + "'");
      if (!it->second) {
        if (eq != std::string::npos) return usage_error("option '" + flag + "' takes no value");
        values_[flag] = "";
      } else if (eq != std::string::npos) {
        values_[flag] = a.substr(eq + 1);
      } else if (i + 1 < args_.size()) {
        values_[flag] = args_[++i];
      } else {
        return usage_error("option '" + flag + "' needs a value");
      }
    }
    return true;
  }

  bool has(const std::string& flag) const { return values_.count(flag) != 0; }
  std::string get(const std::string& flag, const std::string& fallback) const {
    auto it = values_.find(flag);
    return it == values_.end() ? fallback : it->second;
  }
  // The value of `flag`, which must be one of `choices`.
  bool choice(const std::string& flag, const std::vector<std::string>& choices, std::string& out) {
    out = get(flag, choices.front());
    for (const auto& c : choices)
      if (c == out) return true;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    return usage_error("option '" + flag + "' must be one of " + list + ", not '" + out + "'");
  }
  const std::vector<std::string>& positional() const { return positional_; }

  bool usage_error(const std::string& why) {
    std::cerr << "gcverify " << command_ << ": " << why << " (see 'gcverify " << command_ << " --help')\n";
    return false;
  }

 private:
  std::string command_;
  std::vector<std::string> args_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

bool read_format(Arguments& args, const std::string& flag, ProgramFormat& format) {
  std::string value;
  if (!args.choice(flag, {"auto", "text", "binary"}, value)) return false;
  format = value == "text" ? ProgramFormat::Text : value == "binary" ? ProgramFormat::Binary : ProgramFormat::Auto;
  return true;
}

gcheap::Geometry geometry_named(const std::string& name) {
  return name == "classic" ? gcheap::Geometry::classic() : gcheap::Geometry::modern();
}

int run_command(Arguments& args) {
  if (!args.parse({{"--sut", true}, {"--geometry", true}, {"--check", true}, {"--strict", false},
                   {"--lenient", false}, {"--no-expectations", false}, {"--format", true}, {"--quiet", false},
                   {"--help", false}}))
    return kExitUsage;
  if (args.has("--help")) return std::cout << kRunHelp, 0;
  std::string sut_name, geometry, check;
  ProgramFormat format;
  if (!args.choice("--sut", {"heap", "model"}, sut_name) || !args.choice("--geometry", {"modern", "classic"}, geometry) ||
      !args.choice("--check", {"full", "fast"}, check) || !read_format(args, "--format", format))
    return kExitUsage;
  if (args.has("--strict") && args.has("--lenient")) return args.usage_error("--strict and --lenient exclude each other"), kExitUsage;
  if (args.positional().empty()) return args.usage_error("no program given"), kExitUsage;
  std::vector<std::string> files;
  std::string error;
  if (!collect_program_files(args.positional(), files, error)) return std::cerr << "gcverify run: " << error << "\n", kExitUsage;
  if (files.empty()) return std::cerr << "gcverify run: no .heap or .bin files found\n", kExitUsage;

  const bool quiet = args.has("--quiet");
  std::unique_ptr<Machine> model = make_reference_model();
  std::unique_ptr<Machine> sut =
      sut_name == "model" ? make_reference_model() : make_heap_machine({.geometry = geometry_named(geometry)});
  std::size_t passed = 0, failed = 0, invalid = 0;
  for (const std::string& file : files) {
    auto program = load_program(file, format, error);
    if (!program) {
      std::cerr << error << "\n";
      ++invalid;
      continue;
    }
    RunOptions options;
    options.strict = args.has("--strict") || (!args.has("--lenient") && format_of(file, format) == ProgramFormat::Text);
    options.check_expectations = !args.has("--no-expectations");
    options.check = check == "fast" ? CheckLevel::Fast : CheckLevel::Full;
    const RunResult result = run_lockstep(*program, *model, *sut, options);
    if (result.outcome == Outcome::Pass) {
      ++passed;
      if (!quiet)
        std::cout << "PASS " << file << "  (" << result.ops_run << " ops, " << result.steps_run << " steps, "
                  << result.collections << " collections)\n";
      continue;
    }
    ++(result.outcome == Outcome::ProgramError ? invalid : failed);
    std::cout << "FAIL " << file << "\n" << result.report.to_string(*program, std::string(sut->name()));
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (invalid != 0) std::cout << ", " << invalid << " invalid";
  std::cout << "\n";
  if (invalid != 0) return kExitUsage;
  return failed == 0 ? 0 : kExitFailed;
}

int replay_command(Arguments& args) {
  if (!args.parse({{"--check", true}, {"--geometry", true}, {"--format", true}, {"--save", true}, {"--help", false}}))
    return kExitUsage;
  if (args.has("--help")) return std::cout << kReplayHelp, 0;
  std::string check, geometry;
  ProgramFormat format;
  if (!args.choice("--check", {"fast", "full"}, check) || !args.choice("--geometry", {"modern", "classic"}, geometry) ||
      !read_format(args, "--format", format))
    return kExitUsage;
  if (args.positional().empty()) return args.usage_error("no input given"), kExitUsage;
  auto model = make_reference_model();
  auto heap = make_heap_machine({.geometry = geometry_named(geometry)});
  RunOptions options = differential_fuzz_options();
  if (check == "full") options.check = CheckLevel::Full;
  std::size_t failing = 0;
  bool saved = false;
  for (const std::string& input : args.positional()) {
    std::string error;
    const auto program = load_program(input, format, error);
    if (!program) return std::cerr << error << "\n", kExitUsage;
    const RunResult result = run_lockstep(*program, *model, *heap, options);
    if (result.outcome == Outcome::Pass) {
      std::cout << "did not reproduce: " << input << " (" << result.ops_run << " ops ran)\n";
      continue;
    }
    ++failing;
    std::cout << result.report.to_string(*program, std::string(heap->name()))
              << "  signature: " << result.report.signature(*program) << "\n"
              << "---- the program as it ran (.heap) ----\n" << print_text(result.reproducer()) << "----\n";
    if (args.has("--save") && !saved) {
      if (!save_program(result.reproducer(), args.get("--save", ""), ProgramFormat::Text, error))
        return std::cerr << "gcverify replay: " << error << "\n", kExitUsage;
      saved = true;
    }
  }
  return failing == 0 ? 0 : kExitFailed;
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
  const auto program = load_program(args.positional()[0], format, error);
  if (!program) return std::cerr << error << "\n", kExitUsage;
  if (!args.has("--resolved")) return std::cout << print_text(*program), 0;
  // Resolve against the model alone: the model is run against a second model.
  auto model = make_reference_model(), mirror = make_reference_model();
  const RunResult result =
      run_lockstep(*program, *model, *mirror, {.strict = false, .check_expectations = false, .check = CheckLevel::Fast});
  std::cout << print_text(result.reproducer());
  return 0;
}

int help_command(const std::vector<std::string>& args) {
  const std::map<std::string, const char*> texts = {
      {"run", kRunHelp}, {"convert", kConvertHelp}, {"print", kPrintHelp}, {"replay", kReplayHelp}};
  if (args.empty()) return std::cout << kMainHelp, 0;
  const auto it = texts.find(args[0]);
  if (it == texts.end()) return std::cerr << "gcverify help: unknown command '" << args[0] << "'\n", kExitUsage;
  return std::cout << it->second, 0;
}

}  // namespace
}  // namespace gcv

int main(int argc, char** argv) {
  using namespace gcv;
  if (argc < 2) return std::cerr << kMainHelp, kExitUsage;
  const std::string command = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  if (command == "--help" || command == "-h") return std::cout << kMainHelp, 0;
  if (command == "help") return help_command(rest);
  const std::map<std::string, std::function<int(Arguments&)>> commands = {
      {"run", run_command}, {"convert", convert_command}, {"print", print_command}, {"replay", replay_command}};
  const auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << "gcverify: unknown command '" << command << "' (see 'gcverify --help')\n";
    return kExitUsage;
  }
  Arguments args(command, std::move(rest));
  return it->second(args);
}
