// gcverify run, convert and print: programs as such.
#include <iostream>

#include "commands.h"
#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"
#ifdef GCV_HAVE_CPYTHON
#include "gcverify/cpython_machine.h"
#endif

namespace gcv {
namespace {

const char* const kRunHelp = R"(usage: gcverify run [options] PATH...

Runs each program on the reference model and on the system under test in
lockstep, comparing them after every operation, then tears both down and
checks that nothing is left. PATH may be a file or a directory (its *.heap and
*.bin files, recursively).

options:
  --sut heap|model|cpython  system under test (default heap; model runs the
                            model against itself; cpython runs the program on
                            the embedded CPython 3.11, when built with it)
  --three-way               model vs heap, then model vs CPython, on each
                            program: it passes when both pass
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

#ifdef GCV_HAVE_CPYTHON
constexpr bool kHaveCPython = true;
std::unique_ptr<Machine> make_cpython() { return make_cpython_machine(); }
#else
constexpr bool kHaveCPython = false;
std::unique_ptr<Machine> make_cpython() { return nullptr; }
#endif

int run_command(Arguments& args) {
  if (!args.parse({{"--sut", true}, {"--three-way", false}, {"--geometry", true}, {"--check", true}, {"--strict", false},
                   {"--lenient", false}, {"--no-expectations", false}, {"--format", true}, {"--quiet", false},
                   {"--help", false}}))
    return kExitUsage;
  if (args.has("--help")) return std::cout << kRunHelp, 0;
  std::string sut_name, geometry, check;
  ProgramFormat format;
  if (!args.choice("--sut", {"heap", "model", "cpython"}, sut_name) || !args.choice("--geometry", {"modern", "classic"}, geometry) ||
      !args.choice("--check", {"full", "fast"}, check) || !read_format(args, "--format", format))
    return kExitUsage;
  if (args.has("--strict") && args.has("--lenient")) return args.usage_error("--strict and --lenient exclude each other"), kExitUsage;
  if (args.positional().empty()) return args.usage_error("no program given"), kExitUsage;
  const bool three_way = args.has("--three-way");
  if (three_way && args.has("--sut")) return args.usage_error("--three-way and --sut exclude each other"), kExitUsage;
  if ((three_way || sut_name == "cpython") && !kHaveCPython)
    return args.usage_error("this gcverify was built without libpython3.11: no CPython adapter"), kExitUsage;
  std::vector<std::string> files;
  std::string error;
  if (!collect_program_files(args.positional(), files, error)) return std::cerr << "gcverify run: " << error << "\n", kExitUsage;
  if (files.empty()) return std::cerr << "gcverify run: no .heap or .bin files found\n", kExitUsage;

  const bool quiet = args.has("--quiet");
  std::unique_ptr<Machine> model = make_reference_model();
  std::vector<std::unique_ptr<Machine>> suts;
  if (sut_name != "cpython" && sut_name != "model") suts.push_back(make_heap_machine({.geometry = geometry_named(geometry)}));
  if (sut_name == "model") suts.push_back(make_reference_model());
  if (sut_name == "cpython" || three_way) suts.push_back(make_cpython());
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
    // One run per system under test; the program passes when every one does.
    Outcome worst = Outcome::Pass;
    std::string reports, summary;
    for (const std::unique_ptr<Machine>& sut : suts) {
      const RunResult result = run_lockstep(*program, *model, *sut, options);
      if (summary.empty())
        summary = std::to_string(result.ops_run) + " ops, " + std::to_string(result.steps_run) + " steps, " +
                  std::to_string(result.collections) + " collections";
      if (result.outcome == Outcome::Pass) continue;
      if (worst != Outcome::ProgramError) worst = result.outcome;
      reports += result.report.to_string(*program, std::string(sut->name()));
      if (result.outcome == Outcome::ProgramError) break;  // the same for every system
    }
    if (worst == Outcome::Pass) {
      ++passed;
      if (!quiet) std::cout << "PASS " << file << "  (" << summary << (suts.size() > 1 ? ", three-way" : "") << ")\n";
      continue;
    }
    ++(worst == Outcome::ProgramError ? invalid : failed);
    std::cout << "FAIL " << file << "\n" << reports;
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (invalid != 0) std::cout << ", " << invalid << " invalid";
  std::cout << "\n";
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

}  // namespace

const Command kRunCommand{"run", "run programs (files or directories) and print a pass/fail summary",
                          [] { return std::string(kRunHelp); }, run_command};
const Command kConvertCommand{"convert", "convert a program between the text (.heap) and binary forms",
                              [] { return std::string(kConvertHelp); }, convert_command};
const Command kPrintCommand{"print", "print a program as text", [] { return std::string(kPrintHelp); }, print_command};

}  // namespace gcv
