// The runners: how a program's trial is run, in this process or in a child
// process. See gcverify/minimize.h.
#include <memory>
#include <string_view>

#include "child_process.h"
#include "gcverify/minimize.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace gcv {

Trial trial_of(const Program& program, const RunResult& result, std::string_view sut) {
  Trial trial;
  trial.signature = result.report.signature();
  trial.sut = std::string(sut);
  trial.ran = result.reproducer();
  trial.op_index = result.report.op_index;
  trial.report = result.report.to_string(program, trial.sut);
  return trial;
}

namespace {

using minimize_internal::ChildOutcome;
using minimize_internal::ChildProgress;
using minimize_internal::run_in_child;

// A trial through a pipe: length-prefixed fields.
std::string encode(const Trial& trial) {
  std::string out;
  auto field = [&](const std::string& value) { out += std::to_string(value.size()) + ":" + value; };
  field(std::to_string(static_cast<int>(trial.signature.outcome)));
  field(std::to_string(static_cast<int>(trial.signature.kind)));
  field(trial.signature.detail);
  field(trial.sut);
  field(std::to_string(trial.op_index));
  field(trial.report);
  field(trial.outcome() == Outcome::Pass ? std::string() : print_text(trial.ran));
  return out;
}

bool decode(std::string_view in, Trial& trial) {
  std::vector<std::string> fields;
  while (!in.empty()) {
    const auto colon = in.find(':');
    if (colon == std::string_view::npos) return false;
    const std::size_t size = std::stoul(std::string(in.substr(0, colon)));
    if (colon + 1 + size > in.size()) return false;
    fields.emplace_back(in.substr(colon + 1, size));
    in.remove_prefix(colon + 1 + size);
  }
  if (fields.size() != 7) return false;
  trial.signature = {static_cast<Outcome>(std::stoi(fields[0])), static_cast<CheckKind>(std::stoi(fields[1])), fields[2]};
  trial.sut = fields[3];
  trial.op_index = std::stoul(fields[4]);
  trial.report = fields[5];
  if (trial.outcome() == Outcome::Pass) return true;
  ParseError error;
  auto ran = parse_text(fields[6], "<child>", error);
  if (!ran) return false;
  trial.ran = std::move(*ran);
  return true;
}

// The first `ops` operations of `program` as they run on the model alone:
// what a run that died during the last of them had run.
Program resolved_prefix(const Program& program, std::size_t ops, const RunOptions& options) {
  Program prefix = program;
  prefix.ops.resize(std::min(ops, program.ops.size()));
  auto model = make_reference_model(profile(options.cpython)), mirror = make_reference_model(profile(options.cpython));
  RunOptions model_only = options;
  model_only.compare = false;
  model_only.teardown = false;
  return run_lockstep(prefix, *model, *mirror, model_only).reproducer();
}

// resolved_prefix for a program that refuses memory, whose resolution
// depends on where its MemoryErrors fall, which the model alone cannot tell:
// the operations before the last one are run again on the system under test
// (in a child; they ran there before without dying) and taken as they ran.
// The last follows as written when a MemoryError came before it (the run is
// lenient from there, as the one that died was); with none, the model's
// resolution holds for the whole prefix.
Program resolved_prefix_refusing_memory(const Program& program, std::size_t ops, const MachineFactory& make_sut,
                                        const RunOptions& options, double timeout_seconds) {
  const std::size_t before = std::min(ops == 0 ? 0 : ops - 1, program.ops.size());
  std::string how;
  const std::optional<std::string> ran = run_isolated(
      [&] {
        auto sut = make_sut();
        auto model = make_reference_model(profile(options.cpython), sut->capabilities());
        Program prefix = program;
        prefix.ops.resize(before);
        RunOptions up_to_it = options;
        up_to_it.teardown = false;
        const RunResult result = run_lockstep(prefix, *model, *sut, up_to_it);
        return std::string(result.memory_errors.empty() ? "0" : "1") + print_text(result.resolved);
      },
      how, timeout_seconds);
  ParseError error;
  std::optional<Program> resolved = ran ? parse_text(ran->substr(1), program.origin, error) : std::nullopt;
  if (!resolved || (*ran)[0] == '0') {
    Program without = program;
    without.memory_failures = {};
    Program prefix = resolved_prefix(without, ops, options);
    prefix.memory_failures = program.memory_failures;
    return prefix;
  }
  if (before < program.ops.size() && ops > before) resolved->ops.push_back(program.ops[before]);
  return with_names_in_first_use_order(*resolved);
}

}  // namespace

std::optional<std::string> run_isolated(const std::function<std::string()>& work, std::string& how,
                                        double timeout_seconds) {
  std::uint64_t at = 0;
  return run_isolated_with_progress([&](const std::function<void(std::uint64_t)>&) { return work(); }, how, at,
                                    timeout_seconds);
}

std::optional<std::string> run_isolated_with_progress(
    const std::function<std::string(const std::function<void(std::uint64_t)>& progress)>& work, std::string& how,
    std::uint64_t& at, double timeout_seconds) {
  const ChildOutcome child = run_in_child(
      [&](ChildProgress& progress) { return work([&](std::uint64_t value) { progress.set(value); }); }, timeout_seconds);
  at = child.progress;
  if (child.finished) return child.message;
  how = child.crash_kind;
  return std::nullopt;
}

Runner in_process_runner(std::vector<MachineFactory> suts, RunOptions options) {
  auto executor = std::make_shared<Executor>();
  return [suts = std::move(suts), options, executor](const Program& program) {
    for (const MachineFactory& make : suts) {
      auto sut = make();
      auto model = make_reference_model(profile(options.cpython), sut->capabilities());
      const RunResult result = executor->run(program, *model, *sut, options);
      if (result.outcome != Outcome::Pass) return trial_of(program, result, sut->name());
    }
    return Trial{};
  };
}

Runner child_process_runner(std::vector<MachineFactory> suts, RunOptions options, double timeout_seconds) {
  std::vector<std::string> names;  // of the systems, for a crash's trial
  for (const MachineFactory& make : suts) names.emplace_back(make()->name());
  return [suts = std::move(suts), names, options, timeout_seconds](const Program& program) {
    const ChildOutcome child = run_in_child(
        [&](ChildProgress& progress) {
          for (std::size_t k = 0; k < suts.size(); ++k) {
            auto sut = suts[k]();
            auto model = make_reference_model(profile(options.cpython), sut->capabilities());
            // One operation at a time, saying which, so that a crash can be
            // placed: progress is the system's index in the high half, the
            // 1-based operation in the low one (size + 1: the teardown).
            Program growing;
            growing.names = program.names;
            growing.origin = program.origin;
            growing.holds_for = program.holds_for;
            growing.memory_failures = program.memory_failures;
            LockstepSession session(growing, *model, *sut, options);
            Outcome outcome = Outcome::Pass;
            for (std::size_t i = 0; i < program.ops.size() && outcome == Outcome::Pass; ++i) {
              progress.set(k << 32 | (i + 1));
              growing.ops.push_back(program.ops[i]);
              outcome = session.run_pending();
            }
            progress.set(k << 32 | (program.ops.size() + 1));
            if (outcome == Outcome::Pass) outcome = session.finish();
            if (outcome != Outcome::Pass) return encode(trial_of(growing, session.result(), sut->name()));
          }
          return encode(Trial{});
        },
        timeout_seconds);
    Trial trial;
    if (child.finished && decode(child.message, trial)) return trial;
    const std::size_t sut = child.progress >> 32, op = child.progress & 0xffffffffu;
    trial.signature = {Outcome::Crash, CheckKind::Crash, child.finished ? "garbled child report" : child.crash_kind};
    trial.sut = sut < names.size() ? names[sut] : "";
    trial.ran = program.memory_failures.any() && sut < suts.size()
                    ? resolved_prefix_refusing_memory(program, op, suts[sut], options, timeout_seconds)
                    : resolved_prefix(program, op, options);
    trial.op_index = op == 0 ? 0 : std::min(op - 1, program.ops.size());
    const std::string where = op == 0                    ? std::string("before the first operation")
                              : op > program.ops.size() ? "at the teardown, after operation " + std::to_string(program.ops.size())
                                                        : "during operation " + std::to_string(op) + ": " +
                                                              format_op(program, program.ops[op - 1]);
    trial.report = program.origin + ": crash " + where + " (" + trial.sut + ")\n" + child.crash_report +
                   "  signature: " + trial.signature.to_string() + "\n";
    return trial;
  };
}

}  // namespace gcv
