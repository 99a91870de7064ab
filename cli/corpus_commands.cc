// gcverify triage and promote: many failing inputs, and the regression corpus.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>

#include "commands.h"
#include "failure_runs.h"
#include "gcverify/explain.h"
#include "gcverify/text.h"

namespace gcv {
namespace {
namespace fs = std::filesystem;

std::string triage_help() {
  return std::string(R"(usage: gcverify triage [options] PATH...

Replays every input (files, or every file under a directory: libFuzzer's crash
files have no extension) as the differential fuzz target does, and buckets the
failing ones by signature (outcome, the check that diverged, the kind of
operation). Prints one row per bucket, most inputs first: how many inputs, the
smallest, and a minimized representative's size; with --out, writes each
representative there as bucket-N.heap. Exit status 1 when any input fails, 0
when none does.

options:
)") + failure_flags_help(true) +
         R"(                            (the minimizing budget is per bucket)
  --no-minimize             report the smallest input of each bucket as it is
  --out DIR                 write one representative per bucket into DIR
  --help                    this help
)";
}

std::string promote_help() {
  return std::string(R"(usage: gcverify promote [options] INPUT

Minimizes INPUT (unless --no-minimize) and saves it into the regression corpus
under a readable name made from its signature (or --name), headed by what
failed, where it came from and the expected outcome, and ending in expect lines
that pin the model's view of the objects involved at the failing operation.
CTest replays every file of the corpus (`gcverify run`, model against gcheap)
from the next build on. Prints the file written and whether it passes now: a
regression passes once the bug is fixed.

options:
)") + failure_flags_help(true) +
         R"(  --no-minimize             save INPUT as it ran
  --name NAME               file name (without .heap); letters, digits, _ and -
  --corpus DIR              where to save (default: corpus/regressions)
  --help                    this help
)";
}

struct Bucket {
  std::vector<std::string> inputs;
  std::string smallest;
  Program smallest_program;
};

int triage_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags.insert({{"--no-minimize", false}, {"--out", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << triage_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  if (args.positional().empty()) return args.usage_error("no input given"), kExitUsage;
  std::vector<std::string> inputs;
  std::string error;
  if (!collect_program_files(args.positional(), inputs, error, FileFilter::AnyFile))
    return std::cerr << "gcverify triage: " << error << "\n", kExitUsage;
  const std::string out_dir = args.get("--out", "");
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return std::cerr << "gcverify triage: " << out_dir << ": " << ec.message() << "\n", kExitUsage;
  }

  std::map<std::string, Bucket> buckets;
  std::size_t passing = 0;
  for (const std::string& input : inputs) {
    auto program = load_program(input, options.format, error);
    if (!program) return std::cerr << error << "\n", kExitUsage;
    std::unique_ptr<Machine> model, heap;
    const RunResult result = run_failure(*program, options, model, heap);
    if (result.outcome == Outcome::Pass) {
      ++passing;
      continue;
    }
    Bucket& bucket = buckets[result.report.signature(*program)];
    bucket.inputs.push_back(input);
    if (bucket.smallest.empty() || program->ops.size() < bucket.smallest_program.ops.size()) {
      bucket.smallest = input;
      bucket.smallest_program = *std::move(program);
    }
  }

  std::vector<std::pair<std::string, Bucket*>> order;
  for (auto& [signature, bucket] : buckets) order.emplace_back(signature, &bucket);
  // Most inputs first; signatures break ties (std::sort: libstdc++ 12's
  // stable_sort trips clang's deprecation warning).
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return x.second->inputs.size() != y.second->inputs.size() ? x.second->inputs.size() > y.second->inputs.size()
                                                               : x.first < y.first;
  });
  std::cout << inputs.size() << " inputs: " << passing << " pass, " << inputs.size() - passing << " fail in "
            << buckets.size() << " buckets\n";
  for (std::size_t b = 0; b < order.size(); ++b) {
    const auto& [signature, bucket] = order[b];
    std::cout << "\nbucket " << b + 1 << ": " << signature << "\n  inputs:    " << bucket->inputs.size()
              << "\n  smallest:  " << bucket->smallest << " (" << bucket->smallest_program.ops.size() << " operations)\n";
    Program representative = bucket->smallest_program;
    if (!args.has("--no-minimize")) {
      MinimizeResult minimized = minimize_failure(representative, options);
      if (minimized.reproduced && minimized.signature == signature) {
        std::cout << "  minimized: " << minimize_summary(minimized) << "\n";
        representative = std::move(minimized.program);
      } else {
        std::cout << "  minimized: the smallest input did not fail the same way again (flaky?)\n";
      }
    }
    if (!out_dir.empty()) {
      const std::string file = (fs::path(out_dir) / ("bucket-" + std::to_string(b + 1) + ".heap")).string();
      const std::string text = "# signature: " + signature + "\n# from: " + bucket->smallest + " (one of " +
                               std::to_string(bucket->inputs.size()) + " inputs)\n" + print_text(representative);
      if (!save_text(file, text, error)) return std::cerr << "gcverify triage: " << error << "\n", kExitUsage;
      std::cout << "  written:   " << file << "\n";
    }
  }
  return buckets.empty() ? 0 : kExitFailed;
}

// "divergence: refcount of #N @ del" -> "divergence_refcount_of_n_at_del".
std::string name_from_signature(const std::string& signature) {
  std::string words;
  for (char c : signature) words += c == '@' ? std::string(" at ") : std::string(1, c);
  std::string name;
  for (char c : words) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name.empty() ? "regression" : name;
}

bool valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// The model's view of each object the report names, as expect lines.
std::vector<Op> pinned_expectations(const RunResult& result, const Snapshot& snapshot) {
  std::vector<Op> pins;
  for (ObjectKey key : result.report.objects) {
    if (!key.is_serial()) continue;
    const auto found = std::find_if(snapshot.model.objects.begin(), snapshot.model.objects.end(),
                                    [&](const ObjectState& o) { return o.key == key; });
    Op op;
    op.object = {.by_serial = true, .value = key.as_serial()};
    op.code = found == snapshot.model.objects.end() ? OpCode::ExpectDead : OpCode::ExpectAlive;
    pins.push_back(op);
    if (found == snapshot.model.objects.end()) continue;
    op.code = OpCode::ExpectRefcount;
    op.value = found->refcount;
    pins.push_back(op);
  }
  return pins;
}

std::string today() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&now));
  return text;
}

int promote_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags.insert({{"--no-minimize", false}, {"--name", true}, {"--corpus", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << promote_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  if (args.positional().size() != 1) return args.usage_error("expected one INPUT"), kExitUsage;
  if (args.has("--name") && !valid_name(args.get("--name", "")))
    return args.usage_error("--name takes letters, digits, _ and -, not '" + args.get("--name", "") + "'"), kExitUsage;
  const std::string& input = args.positional()[0];
  std::string error;
  auto program = load_program(input, options.format, error);
  if (!program) return std::cerr << error << "\n", kExitUsage;
  const std::size_t original_ops = program->ops.size();

  std::string how = "as it ran";
  if (!args.has("--no-minimize")) {
    MinimizeResult minimized = minimize_failure(*program, options);
    if (!minimized.reproduced) return std::cerr << "gcverify promote: " << input << " does not fail\n", kExitFailed;
    how = "minimized to " + std::to_string(minimized.program.ops.size()) + " by gcverify minimize";
    program = std::move(minimized.program);
  }
  std::unique_ptr<Machine> model, heap;
  const RunResult result = run_failure(*program, options, model, heap);
  if (result.outcome == Outcome::Pass) return std::cerr << "gcverify promote: " << input << " does not fail\n", kExitFailed;
  Program regression = result.reproducer();
  const Snapshot snapshot = take_snapshot(regression, *model, *heap);
  const std::string signature = result.report.signature(regression);
  if (result.report.op_index < regression.ops.size())
    for (const Op& pin : pinned_expectations(result, snapshot)) regression.ops.push_back(pin);

  const fs::path corpus = args.get("--corpus", "corpus/regressions");
  std::error_code ec;
  fs::create_directories(corpus, ec);
  if (ec) return std::cerr << "gcverify promote: " << corpus.string() << ": " << ec.message() << "\n", kExitUsage;
  const std::string base = args.get("--name", name_from_signature(signature));
  fs::path file = corpus / (base + ".heap");
  for (int n = 2; fs::exists(file); ++n) file = corpus / (base + "_" + std::to_string(n) + ".heap");

  const Report& r = result.report;
  std::string text = "# Regression: " + signature + "\n# From " + input + " (" + std::to_string(original_ops) +
                     " operations), " + how + ", promoted " + today() + ".\n" +
                     "# Expected outcome: passes (the model and gcheap agree). When promoted, gcheap\n# diverged at " +
                     (r.op_index < regression.ops.size() ? "operation " + std::to_string(r.op_index + 1) + " (" + r.op_text + ")"
                                                         : std::string("the teardown")) +
                     ": " + r.check + ": the model has " + r.expected + ", gcheap had " + r.actual + ".\n" +
                     "# The expect lines at the end pin the model's view of the objects involved.\n" +
                     print_text(regression);
  if (!save_text(file.string(), text, error)) return std::cerr << "gcverify promote: " << error << "\n", kExitUsage;

  // Run it as CTest will: strict, expectations checked, every object compared.
  auto reparsed = load_program(file.string(), ProgramFormat::Text, error);
  if (!reparsed) return std::cerr << "gcverify promote: the saved file does not parse: " << error << "\n", kExitUsage;
  std::unique_ptr<Machine> check_model, check_heap;
  FailureOptions as_ctest = options;
  as_ctest.run = RunOptions{};
  const RunResult now = run_failure(*reparsed, as_ctest, check_model, check_heap);
  std::cout << "promoted: " << file.string() << "\n"
            << (now.outcome == Outcome::Pass
                    ? "it passes now: CTest replays it from the next build on\n"
                    : "it fails now (" + now.report.signature(*reparsed) +
                          "): CTest will report it until the bug is fixed\n");
  return 0;
}

}  // namespace

const Command kTriageCommand{"triage", "bucket failing inputs by signature, one minimized representative each",
                             triage_help, triage_command};
const Command kPromoteCommand{"promote", "save a minimized reproducer into corpus/regressions for CTest",
                              promote_help, promote_command};

}  // namespace gcv
