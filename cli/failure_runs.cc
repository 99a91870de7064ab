// How the failure commands run an input: see failure_runs.h.
#include "failure_runs.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "gcverify/heap_machine.h"
#include "gcverify/model.h"

namespace gcv {

std::map<std::string, bool> failure_flags(bool budget) {
  std::map<std::string, bool> flags = {{"--check", true},         {"--geometry", true}, {"--format", true},
                                       {"--expectations", false}, {"--help", false}};
  if (budget) flags.insert({{"--max-tests", true}, {"--max-seconds", true}, {"--quiet", false}});
  return flags;
}

std::string failure_flags_help(bool budget) {
  std::string help = R"(  --check fast|full         fast (default) is what the fuzz target checks; full
                            compares every object after every step
  --geometry modern|classic allocator geometry of the heap (default modern)
  --format auto|text|binary how to read inputs (default auto: .heap is text)
  --expectations            also check the program's expect lines (for a
                            hand-written program whose expectation fails)
)";
  if (budget)
    help += R"(  --max-tests N             stop minimizing after N candidate runs
  --max-seconds S           stop minimizing after S seconds (default 60)
  --quiet                   no progress lines on stderr
)";
  return help;
}

bool read_failure_options(Arguments& args, bool budget, FailureOptions& options) {
  std::string check;
  if (!args.choice("--check", {"fast", "full"}, check) || !args.choice("--geometry", {"modern", "classic"}, options.geometry) ||
      !read_format(args, "--format", options.format))
    return false;
  options.run = differential_fuzz_options();
  if (check == "full") options.run.check = CheckLevel::Full;
  options.run.check_expectations = args.has("--expectations");
  options.minimize.run = options.run;
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

MachineFactory heap_factory(const FailureOptions& options) {
  const gcheap::Geometry geometry = geometry_named(options.geometry);
  return [geometry] { return make_heap_machine({.geometry = geometry}); };
}

RunResult run_failure(const Program& program, const FailureOptions& options, std::unique_ptr<Machine>& model,
                      std::unique_ptr<Machine>& sut) {
  model = make_reference_model();
  sut = heap_factory(options)();
  return run_lockstep(program, *model, *sut, options.run);
}

MinimizeResult minimize_failure(const Program& program, const FailureOptions& options) {
  MinimizeResult result = minimize(program, heap_factory(options), options.minimize);
  if (options.minimize.progress && isatty(STDERR_FILENO)) std::fputc('\n', stderr);
  return result;
}

std::string minimize_summary(const MinimizeResult& result) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", result.seconds);
  return std::to_string(result.original_ops) + " -> " + std::to_string(result.program.ops.size()) + " operations, " +
         std::to_string(result.tests) + " tests, " + seconds + " s" +
         (result.budget_exhausted ? " (budget spent: may not be 1-minimal)" : " (1-minimal)");
}

}  // namespace gcv
