// How gcverify runs a program: see run_settings.h.
#include "run_settings.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "gcverify/cpython_machine.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"

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
     "heap|model|cpython|cpython-X.Y  system under test (default\n"
     "heap; model: the model against itself; cpython:\n"
     "the embedded CPython of the profile's version;\n"
     "cpython-X.Y: that version's)"},
    {"--sut-plugin", true,
     "LIBRARY  the system under test a shared library defines\n"
     "(gcverify/plugin.h: GCV_PLUGIN); programs that need\n"
     "more than its capabilities are skipped, with why"},
    {"--three-way", false, "model vs heap, then model vs CPython"},
    {"--cpython", true,
     "X.Y  the CPython version whose collector the model and\n"
     "gcheap follow, and --three-way's interpreter\n"
     "(default: --sut cpython-X.Y's, else the program's\n"
     "`# cpython:` header's first, else 3.11)"},
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

// "cpython-3.12" -> "3.12"; "cpython" -> the profile's version.
std::string interpreter_version(const RunSettings& settings) {
  if (settings.sut.starts_with("cpython-")) return settings.sut.substr(8);
  return settings.profile->name;
}

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
  std::vector<std::string> suts = {"heap", "model", "cpython"};
  for (const Profile& p : profiles()) suts.push_back("cpython-" + std::string(p.name));
  if (!args.choice("--sut", suts, settings.sut) ||
      !args.choice("--geometry", {"modern", "classic"}, settings.geometry) ||
      !args.choice("--check", {"changed", "exhaustive", "fast"}, check) || !read_format(args, "--format", settings.format))
    return false;
  settings.check = *check_level_named(check);
  settings.three_way = args.has("--three-way");
  if (args.has("--cpython")) {
    settings.profile = profile_named(args.get("--cpython", ""));
    if (settings.profile == nullptr)
      return args.usage_error("--cpython: no CPython version '" + args.get("--cpython", "") + "' (there are " +
                              profile_names() + ")");
    settings.profile_given = true;
  } else if (settings.sut.starts_with("cpython-")) {
    settings.profile = profile_named(settings.sut.substr(8));
  }
  if (settings.three_way && args.has("--sut")) return args.usage_error("--three-way and --sut exclude each other");
  if (args.has("--sut-plugin")) {
    if (args.has("--sut") || settings.three_way)
      return args.usage_error("--sut-plugin excludes --sut and --three-way");
    std::string error;
    // By its absolute path, so that the command lines written into failure
    // files (run_command_line) load it from anywhere.
    std::optional<Plugin> plugin = load_plugin(std::filesystem::absolute(args.get("--sut-plugin", "")).string(), error);
    if (!plugin) return args.usage_error("--sut-plugin: " + error);
    settings.plugin = std::make_shared<const Plugin>(std::move(*plugin));
    settings.sut = "plugin";
  }
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
  options.cpython = settings.profile->version;
  if (!text) options.max_steps = differential_fuzz_options().max_steps;
  return options;
}

std::vector<MachineFactory> systems_under_test(const RunSettings& settings) {
  std::vector<MachineFactory> suts;
  const Profile& profile = *settings.profile;
  if (settings.sut == "model") suts.emplace_back([&profile] { return make_reference_model(profile); });
  if (settings.plugin != nullptr)
    suts.emplace_back([plugin = settings.plugin, &profile] {
      std::unique_ptr<Machine> machine = plugin->make(profile);
      if (machine == nullptr) {
        std::fprintf(stderr, "gcverify: the plugin %s made no machine for CPython %s\n", plugin->path.c_str(), profile.name);
        std::exit(kExitUsage);
      }
      return machine;
    });
  if (settings.sut == "heap" || settings.three_way) {
    const gcheap::Geometry geometry = geometry_named(settings.geometry);
    suts.emplace_back([geometry, &profile] { return make_heap_machine({.geometry = geometry, .profile = &profile}); });
  }
  // available() made sure the interpreter is built; its module may still
  // fail to load, which ends the command with the reason.
  if (settings.sut.starts_with("cpython") || settings.three_way)
    suts.emplace_back([version = interpreter_version(settings)] {
      std::string error;
      std::unique_ptr<Machine> machine = make_cpython_machine(version, &error);
      if (machine == nullptr) {
        std::fprintf(stderr, "gcverify: %s\n", error.c_str());
        std::exit(kExitUsage);
      }
      return machine;
    });
  return suts;
}

const Profile* profile_for(const Program& program, const RunSettings& settings, std::string& skip) {
  const auto& holds_for = program.holds_for;
  if (holds_for.empty() || std::find(holds_for.begin(), holds_for.end(), settings.profile->version) != holds_for.end())
    return settings.profile;
  if (!settings.profile_given && !settings.sut.starts_with("cpython-")) return &profile(holds_for.front());
  std::string versions;
  for (CPythonVersion v : holds_for) versions += std::string(versions.empty() ? "" : " ") + profile(v).name;
  skip = "it holds for CPython " + versions + " only, and this run follows " + settings.profile->name;
  return nullptr;
}

bool available(Arguments& args, const RunSettings& settings) {
  if (!settings.three_way && !settings.sut.starts_with("cpython")) return true;
  const std::string why = cpython_unavailable(interpreter_version(settings));
  return why.empty() || args.usage_error(why);
}

std::string run_command_line(const RunSettings& settings, const std::string& file) {
  std::string line = "gcverify run";
  if (settings.three_way) line += " --three-way";
  if (settings.plugin != nullptr) line += " --sut-plugin " + settings.plugin->path;
  else if (settings.sut != "heap") line += " --sut " + settings.sut;
  if (settings.profile_given) line += std::string(" --cpython ") + settings.profile->name;
  if (settings.geometry != "modern") line += " --geometry " + settings.geometry;
  if (settings.check != CheckLevel::Changed) line += std::string(" --check ") + to_string(settings.check);
  if (settings.strict) line += *settings.strict ? " --strict" : " --lenient";
  if (settings.expectations) line += *settings.expectations ? " --expectations" : " --no-expectations";
  return line + " " + file;
}

}  // namespace gcv
