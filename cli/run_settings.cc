// How gcverify runs a program: see run_settings.h.
#include "run_settings.h"

#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#ifdef GCV_HAVE_CPYTHON
#include "gcverify/cpython_machine.h"
#endif

namespace gcv {
namespace {

struct RunFlag {
  const char* flag;
  bool takes_value;
  const char* help;  // lines after the first are indented by the help's layout
};

// The one table of the run options.
constexpr RunFlag kRunFlags[] = {
    {"--sut", true,
     "heap|model|cpython  system under test (default heap; model: the\n"
     "model against itself; cpython: the embedded\n"
     "CPython 3.11, when built with it)"},
    {"--three-way", false, "model vs heap, then model vs CPython"},
    {"--geometry", true, "modern|classic  allocator geometry of the heap (default\nmodern)"},
    {"--check", true,
     "changed|exhaustive|fast  what is compared after\n"
     "every step: the objects either machine changed\n"
     "(changed, the default) or every live object\n"
     "(exhaustive, which finds the same); fast: once per\n"
     "operation, as the fuzz targets do"},
    {"--strict", false, "an unbound name or a bad index is a program\nerror (a text program's default)"},
    {"--lenient", false, "operands resolved modulo what exists (a binary\nprogram's default)"},
    {"--expectations", false, "check expect lines (text's default)"},
    {"--no-expectations", false, "skip expect lines (binary's default)"},
    {"--format", true, "auto|text|binary  how to read inputs (default auto: by their\nbytes, whatever the file is called)"},
};

#ifdef GCV_HAVE_CPYTHON
constexpr bool kHaveCPython = true;
#else
constexpr bool kHaveCPython = false;
#endif

}  // namespace

std::map<std::string, bool> run_flags() {
  std::map<std::string, bool> flags;
  for (const RunFlag& f : kRunFlags) flags[f.flag] = f.takes_value;
  return flags;
}

std::string run_flags_help() {
  std::string help;
  for (const RunFlag& f : kRunFlags) {
    std::string text = f.help, first = f.flag;
    // "--sut heap|model|cpython  what it does": the values join the flag.
    if (f.takes_value) {
      const auto gap = text.find("  ");
      first += " " + text.substr(0, gap);
      text = text.substr(gap + 2);
    }
    first.resize(std::max<std::size_t>(first.size() + 1, 26), ' ');
    std::string indented;
    for (char c : text) indented += c == '\n' ? std::string("\n") + std::string(28, ' ') : std::string(1, c);
    help += "  " + first + indented + "\n";
  }
  return help;
}

bool read_run_settings(Arguments& args, RunSettings& settings) {
  std::string check;
  if (!args.choice("--sut", {"heap", "model", "cpython"}, settings.sut) ||
      !args.choice("--geometry", {"modern", "classic"}, settings.geometry) ||
      !args.choice("--check", {"changed", "exhaustive", "fast"}, check) || !read_format(args, "--format", settings.format))
    return false;
  settings.check = *check_level_named(check);
  settings.three_way = args.has("--three-way");
  if (settings.three_way && args.has("--sut")) return args.usage_error("--three-way and --sut exclude each other");
  if (args.has("--strict") && args.has("--lenient")) return args.usage_error("--strict and --lenient exclude each other");
  if (args.has("--expectations") && args.has("--no-expectations"))
    return args.usage_error("--expectations and --no-expectations exclude each other");
  if (args.has("--strict") || args.has("--lenient")) settings.strict = args.has("--strict");
  if (args.has("--expectations") || args.has("--no-expectations")) settings.expectations = args.has("--expectations");
  return available(args, settings);
}

RunOptions run_options(const RunSettings& settings, ProgramFormat form) {
  const bool text = form == ProgramFormat::Text;
  RunOptions options;
  options.strict = settings.strict.value_or(text);
  options.check_expectations = settings.expectations.value_or(text);
  options.check = settings.check;
  if (!text) options.max_steps = differential_fuzz_options().max_steps;
  return options;
}

std::vector<MachineFactory> systems_under_test(const RunSettings& settings) {
  std::vector<MachineFactory> suts;
  if (settings.sut == "model") suts.emplace_back([] { return make_reference_model(); });
  if (settings.sut == "heap" || settings.three_way) {
    const gcheap::Geometry geometry = geometry_named(settings.geometry);
    suts.emplace_back([geometry] { return make_heap_machine({.geometry = geometry}); });
  }
#ifdef GCV_HAVE_CPYTHON
  if (settings.sut == "cpython" || settings.three_way) suts.emplace_back([] { return make_cpython_machine(); });
#endif
  return suts;
}

bool available(Arguments& args, const RunSettings& settings) {
  if ((settings.three_way || settings.sut == "cpython") && !kHaveCPython)
    return args.usage_error("this gcverify was built without libpython3.11: no CPython adapter");
  return true;
}

std::string run_command_line(const RunSettings& settings, const std::string& file) {
  std::string line = "gcverify run";
  if (settings.three_way) line += " --three-way";
  if (settings.sut != "heap") line += " --sut " + settings.sut;
  if (settings.geometry != "modern") line += " --geometry " + settings.geometry;
  if (settings.check != CheckLevel::Changed) line += std::string(" --check ") + to_string(settings.check);
  return line + " " + file;
}

}  // namespace gcv
