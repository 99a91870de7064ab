// gcverify triage and promote: many failing inputs, and the regression corpus.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "commands.h"
#include "failure_runs.h"
#include "gcverify/explain.h"
#include "gcverify/text.h"

namespace gcv {
namespace {
namespace fs = std::filesystem;

std::string triage_help() {
  return std::string(R"(usage: gcverify triage [options] PATH...

Runs every input (files, or every file under a directory: libFuzzer's crash
files have no extension) as `gcverify run` runs it, each in a child process,
minimizes each failing one, and buckets them by root cause: the signature
(the outcome and the kind of check, on which system) and the shape of the
minimized reproducer (its operations with names and numbers abstracted), so
that one bug found through different operations lands in one bucket. Prints
one row per bucket, most inputs first: how many inputs, the smallest, and the
representative (the smallest reproducer); with --out, writes each
representative there as bucket-N.heap, verified as every written reproducer
is (see `gcverify minimize --help`). Progress goes to stderr. Exit status 1
when any input fails, 0 when none does.

options:
)") + failure_flags_help(true) +
         R"(                            (the minimizing budget is per input)
  --no-minimize             bucket by signature alone; the representative is
                            the smallest input as it ran
  --out DIR                 write one representative per bucket into DIR
  --help                    this help
)";
}

std::string promote_help() {
  return std::string(R"(usage: gcverify promote [options] INPUT

Minimizes INPUT (unless --no-minimize) and saves it into the regression corpus
of the gcverify checkout around the current directory (the nearest directory
from here up holding gcverify's CMakeLists.txt and corpus/; or --corpus DIR),
under a readable name made from its signature (or --name), headed by what
failed, where it came from and the expected outcome, and ending in expect
lines that pin the model's view of the objects involved at the failing
operation. A reproducer whose operations a corpus file already has is
reported, not copied. The file is verified before it is written: run as
`gcverify run` runs it, it fails the same way as INPUT (it passes once the
bug is fixed). CTest replays every file of the corpus from the next build on.

options:
)") + failure_flags_help(true) +
         R"(  --no-minimize             save INPUT as it ran
  --name NAME               file name (without .heap); letters, digits, _ and -
  --corpus DIR              where to save (default: corpus/regressions of the
                            checkout), and where to look for duplicates
  --help                    this help
)";
}

// The inputs that failed one way, and their smallest reproducer.
struct Bucket {
  std::string key;                 // system, signature, shape
  std::vector<std::string> inputs;
  std::string smallest_input;
  std::size_t smallest_input_ops = 0;
  Reproducer representative;       // the smallest
  std::string representative_input;  // the input it was minimized from
};

int triage_command(Arguments& args) {
  std::map<std::string, bool> flags = failure_flags(true);
  flags.insert({{"--no-minimize", false}, {"--out", true}});
  if (!args.parse(flags)) return kExitUsage;
  if (args.has("--help")) return std::cout << triage_help(), 0;
  FailureOptions options;
  if (!read_failure_options(args, true, options)) return kExitUsage;
  options.minimize.progress = nullptr;  // one progress line per input instead
  if (args.positional().empty()) return args.usage_error("no input given"), kExitUsage;
  std::vector<std::string> paths;
  std::string error;
  if (!collect_program_files(args.positional(), paths, error, FileFilter::AnyFile))
    return std::cerr << "gcverify triage: " << error << "\n", kExitUsage;
  const std::string out_dir = args.get("--out", "");
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return std::cerr << "gcverify triage: " << out_dir << ": " << ec.message() << "\n", kExitUsage;
  }
  const bool minimizing = !args.has("--no-minimize");
  // Progress on stderr: in place on a terminal, else a line per tenth of the inputs.
  const bool progress = !args.has("--quiet"), terminal = isatty(STDERR_FILENO) != 0;
  const std::size_t line_every = std::max<std::size_t>(1, paths.size() / 10);

  std::vector<Bucket> buckets;
  std::size_t passing = 0, invalid = 0, done = 0;
  for (const std::string& path : paths) {
    if (progress && (terminal || done % line_every == 0))
      std::cerr << "triage: " << done << "/" << paths.size() << " inputs, " << done - passing - invalid << " failing in "
                << buckets.size() << " buckets" << (terminal ? "\r" : "\n") << std::flush;
    ++done;
    const auto input = load_input(path, options);
    if (!input) {
      ++invalid;
      continue;
    }
    const Trial trial = run_input(*input, options);
    if (trial.outcome() == Outcome::Pass) {
      ++passing;
      continue;
    }
    Reproducer reproducer = reproducer_of(*input, trial, minimizing, options);
    const std::string key = reproducer.failure.signature.to_string() + " (" + reproducer.failure.sut + ")" +
                            (minimizing ? "\n  shape:     " + program_shape(reproducer.program) : "");
    auto bucket = std::find_if(buckets.begin(), buckets.end(), [&](const Bucket& b) { return b.key == key; });
    if (bucket == buckets.end()) {
      bucket = buckets.insert(buckets.end(), Bucket{});
      bucket->key = key;
    }
    bucket->inputs.push_back(path);
    if (bucket->smallest_input.empty() || input->program.ops.size() < bucket->smallest_input_ops) {
      bucket->smallest_input = path;
      bucket->smallest_input_ops = input->program.ops.size();
    }
    if (bucket->inputs.size() == 1 || reproducer.program.ops.size() < bucket->representative.program.ops.size()) {
      bucket->representative = std::move(reproducer);
      bucket->representative_input = path;
    }
  }
  if (progress && terminal) std::cerr << std::string(60, ' ') << "\r" << std::flush;

  // Most inputs first; keys break ties.
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& x, const Bucket& y) {
    return x.inputs.size() != y.inputs.size() ? x.inputs.size() > y.inputs.size() : x.key < y.key;
  });
  std::cout << paths.size() << " inputs: " << passing << " pass, " << paths.size() - passing - invalid << " fail in "
            << buckets.size() << (buckets.size() == 1 ? " bucket" : " buckets");
  if (invalid != 0) std::cout << ", " << invalid << " unreadable";
  std::cout << "\n";
  int status = buckets.empty() ? 0 : kExitFailed;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    const Bucket& bucket = buckets[b];
    std::cout << "\nbucket " << b + 1 << ": " << bucket.key << "\n  inputs:    " << bucket.inputs.size()
              << "\n  smallest:  " << bucket.smallest_input << " (" << bucket.smallest_input_ops << " operations)\n"
              << "  reproducer: " << bucket.representative.program.ops.size() << " operations, from "
              << bucket.representative_input << " (" << bucket.representative.how << ")\n";
    if (out_dir.empty()) continue;
    const std::string file = (fs::path(out_dir) / ("bucket-" + std::to_string(b + 1) + ".heap")).string();
    const Reproducer& representative = bucket.representative;
    const std::string text = reproducer_header(representative.failure, file, options) + "# from: " +
                             bucket.representative_input + " (one of " + std::to_string(bucket.inputs.size()) + " inputs)\n" +
                             print_text(representative.program);
    Trial verified;
    if (const Written written = write_reproducer(file, text, representative.failure, options, verified, error);
        written != Written::Yes) {
      std::cerr << "gcverify triage: " << error << "\n";
      status = exit_status(written);
      continue;
    }
    std::cout << "  written:   " << file << "\n";
  }
  return invalid != 0 && (status == 0 || status == kExitFailed) ? kExitUsage : status;
}

// `text` for a comment line: a machine's multi-line account (a teardown's
// leftovers) joined by "; ", without its final newline.
std::string on_one_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at))
    text.replace(at, 1, "; ");
  return text;
}

// "divergence: premature free" and `a = chain 2; finalizer a: b = self` ->
// "divergence_premature_free_chain_finalizer": the signature, then the first
// three kinds of operation the program uses.
std::string name_from_signature(const std::string& signature, const Program& program) {
  std::string words = signature;
  std::vector<std::string> kinds;
  for (const Op& op : program.ops) {
    // The operation's first word that is not a name: its keyword.
    std::string text = format_op(program, op);
    for (char& c : text) c = std::isalpha(static_cast<unsigned char>(c)) || c == '_' ? c : ' ';
    std::istringstream in(text);
    for (std::string word; in >> word;) {
      if (std::find(program.names.begin(), program.names.end(), word) != program.names.end()) continue;
      if (word == "expect") break;  // the signature names the expectation
      if (kinds.size() < 3 && std::find(kinds.begin(), kinds.end(), word) == kinds.end()) kinds.push_back(word);
      break;
    }
  }
  for (const std::string& kind : kinds) words += " " + kind;
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

// `path` as a person in the current directory would name it: relative when
// it lies below, else as it is.
fs::path as_seen_from_here(const fs::path& path) {
  std::error_code ec;
  const fs::path relative = fs::relative(path, ec);
  return !ec && !relative.empty() && *relative.begin() != ".." ? relative : path;
}

// The gcverify checkout around the current directory: the nearest directory
// from here up with gcverify's CMakeLists.txt and a corpus/ directory.
std::optional<fs::path> checkout_root() {
  std::error_code ec;
  for (fs::path dir = fs::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
    std::ifstream cmake(dir / "CMakeLists.txt");
    const std::string text((std::istreambuf_iterator<char>(cmake)), std::istreambuf_iterator<char>());
    if (text.find("project(gcverify") != std::string::npos && fs::is_directory(dir / "corpus", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

// A corpus file with the operations of `program` (or of its first `body`
// operations, before the pins), if there is one.
std::optional<std::string> already_in(const fs::path& corpus, const Program& program, std::size_t body) {
  std::vector<std::string> files;
  std::string error;
  if (!collect_program_files({corpus.string()}, files, error)) return std::nullopt;
  for (const std::string& file : files) {
    auto existing = load_program(file, ProgramFormat::Auto, error);
    if (!existing) continue;
    const bool same = existing->ops == program.ops ||
                      (existing->ops.size() == body && std::equal(existing->ops.begin(), existing->ops.end(), program.ops.begin()));
    if (same) return file;
  }
  return std::nullopt;
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
  // Where to save, and which files a duplicate would be among.
  fs::path corpus, target, root;  // root: what the file's reproduce line is relative to
  if (args.has("--corpus")) {
    corpus = target = args.get("--corpus", "");
  } else if (const auto checkout = checkout_root()) {
    root = *checkout;
    corpus = root / "corpus";
    target = corpus / "regressions";
  } else {
    std::cerr << "gcverify promote: not inside a gcverify checkout (no directory from here up holds gcverify's "
                 "CMakeLists.txt and corpus/): give --corpus DIR\n";
    return kExitUsage;
  }
  const std::string& path = args.positional()[0];
  const auto input = load_input(path, options);
  if (!input) return kExitUsage;
  Trial failure = run_input(*input, options);
  if (failure.outcome() == Outcome::Pass) return std::cerr << "gcverify promote: " << path << " does not fail\n", kExitFailed;
  Reproducer reproducer = reproducer_of(*input, failure, !args.has("--no-minimize"), options);
  Program& regression = reproducer.program;
  failure = reproducer.failure;
  const std::string& how = reproducer.how;
  // The model's view of the objects the failure involves, pinned after the
  // failing operation (a run that fails stops there; a fixed heap checks
  // them), read in a child process as every run of the system under test.
  const std::size_t body = regression.ops.size();
  const bool at_an_operation = failure.op_index < regression.ops.size();
  const std::string where = at_an_operation ? "operation " + std::to_string(failure.op_index + 1) + " (" +
                                                  format_op(regression, regression.ops[failure.op_index]) + ")"
                                            : "the teardown";
  std::string what = failure.signature.to_string();
  if (failure.outcome() != Outcome::Crash) {
    std::string how;
    const auto details = run_isolated(
        [&] {
          std::unique_ptr<Machine> model, sut;
          const RunResult result = rerun_to_failure(regression, failure, options, model, sut, false);
          const Report& r = result.report;
          std::string text = r.check + ": the model has " + r.expected + ", " + failure.sut + " had " + r.actual + '\0';
          if (result.outcome == Outcome::Pass || !at_an_operation) return text;
          const Snapshot snapshot = take_snapshot(regression, *model, *sut);
          for (const Op& pin : pinned_expectations(result, snapshot)) text += format_op(regression, pin) + "\n";
          return text;
        },
        how);
    if (details) {
      what = on_one_line(details->substr(0, details->find('\0')));
      ParseError parse_error;
      if (const auto pins = parse_text(details->substr(details->find('\0') + 1), "<pins>", parse_error))
        regression.ops.insert(regression.ops.end(), pins->ops.begin(), pins->ops.end());
    }
  }
  if (const auto existing = already_in(corpus, regression, body)) {
    std::cout << "already in the corpus: " << *existing << " (nothing written)\n";
    return 0;
  }

  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) return std::cerr << "gcverify promote: " << target.string() << ": " << ec.message() << "\n", kExitUsage;
  const std::string signature = failure.signature.to_string();
  const std::string base = args.get("--name", name_from_signature(signature, regression));
  fs::path file = target / (base + ".heap");
  for (int n = 2; fs::exists(file); ++n) file = target / (base + "_" + std::to_string(n) + ".heap");
  file = as_seen_from_here(file);
  std::string text = "# Regression: " + signature + " (" + failure.sut + ")\n# From " + path + " (" +
                     std::to_string(input->program.ops.size()) + " operations), " + how + ", promoted " + today() +
                     ".\n# Expected outcome: passes once the bug is fixed. When promoted, " + failure.sut +
                     " failed at " + where + ": " + what + ".\n";
  if (regression.ops.size() > body) text += "# The expect lines at the end pin the model's view of the objects involved.\n";
  const std::string from_root = root.empty() ? file.string() : fs::relative(fs::absolute(file), root).string();
  text += "# reproduce: " + run_command_line(options.settings, from_root) +
          (root.empty() ? "" : "   (from the checkout's top)") + "\n" + print_text(regression);
  Trial verified;
  std::string error;
  if (const Written written = write_reproducer(file.string(), text, failure, options, verified, error);
      written != Written::Yes)
    return std::cerr << "gcverify promote: " << error << "\n", exit_status(written);
  std::cout << "promoted: " << file.string() << "\n"
            << "it fails now (" << verified.signature.to_string() << "), as the input did: CTest reports it until the "
            << "bug is fixed, then replays it as a regression test\n" << verified.report;
  return 0;
}

}  // namespace

const Command kTriageCommand{"triage", "bucket failing inputs by root cause, one verified reproducer each",
                             triage_help, triage_command};
const Command kPromoteCommand{"promote", "save a minimized reproducer into corpus/regressions for CTest",
                              promote_help, promote_command};

}  // namespace gcv
