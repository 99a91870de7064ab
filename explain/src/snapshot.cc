// Reading both machines' state (take_snapshot) and printing it beside the
// program (annotate).
#include <algorithm>
#include <map>
#include <sstream>

#include "explain_internal.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

// What the executor compares of `machine` (`seen`: both machines'
// capabilities), so that a difference shown is one it would report.
MachineSnapshot snapshot_of(const Program& program, Machine& machine, Capabilities seen) {
  MachineSnapshot snapshot;
  for (NameIndex n = 0; n < program.names.size(); ++n) snapshot.bindings.push_back(machine.binding(n));
  machine.objects(snapshot.objects);
  std::sort(snapshot.objects.begin(), snapshot.objects.end(),
            [](const ObjectState& x, const ObjectState& y) { return x.key < y.key; });
  for (ObjectState& object : snapshot.objects) observed_part(ObjectState(object), seen, object);
  snapshot.collector = observed_part(machine.collector_state(), seen);
  snapshot.garbage = machine.garbage();
  return snapshot;
}

std::string binding_text(const std::optional<ObjectKey>& key) { return key ? key->to_string() : "unbound"; }

std::string counts_text(const CollectorState& state) {
  std::ostringstream out;
  out << "count " << state.count[0] << " " << state.count[1] << " " << state.count[2] << ", freeze_count "
      << state.freeze_count << ", list free list " << state.list_free_list;
  return out.str();
}

// "model | sut", or one value when they agree.
std::string both(const std::string& model, const std::string& sut) {
  return model == sut ? model : model + " | " + sut + "   <- differs";
}

}  // namespace

Snapshot take_snapshot(const Program& program, Machine& model, Machine& sut) {
  const Capabilities seen = model.capabilities() & sut.capabilities();
  return {snapshot_of(program, model, seen), snapshot_of(program, sut, seen), std::string(sut.name())};
}

std::vector<ObjectPair> paired_objects(const Snapshot& snapshot) {
  std::map<ObjectKey, ObjectPair> pairs;
  for (const ObjectState& o : snapshot.model.objects) pairs[o.key].model = o;
  for (const ObjectState& o : snapshot.sut.objects) pairs[o.key].sut = o;
  std::vector<ObjectPair> out;
  for (auto& [key, pair] : pairs) {
    pair.key = key;
    out.push_back(std::move(pair));
  }
  return out;
}

std::string annotate(const Program& program, const RunResult& result, const Snapshot& snapshot) {
  const Report& report = result.report;
  const bool passed = result.outcome == Outcome::Pass;  // shown as it ends: no failure to mark
  std::ostringstream out;
  if (!passed) out << "signature: " << report.signature().to_string() << "\n\n";
  // Each operation's number and its line in the program's file.
  const std::size_t width = std::to_string(program.ops.size()).size();
  const std::size_t line_width = program.ops.empty() ? 1 : std::to_string(program.ops.back().where.line).size() + 5;
  auto padded = [](std::string text, std::size_t size) {
    text.insert(0, size > text.size() ? size - text.size() : 0, ' ');
    return text;
  };
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const std::uint32_t line = program.ops[i].where.line;
    const bool marked = !passed && i == report.op_index;
    out << (marked ? ">> " : "   ") << padded(std::to_string(i + 1), width) << "  "
        << padded(line != 0 ? "line " + std::to_string(line) : "", line_width) << "  "
        << format_op(program, program.ops[i]);
    if (marked) out << "      <- " << report.check;
    out << "\n";
  }
  if (!passed && report.op_index >= program.ops.size())
    out << ">> " << std::string(width + line_width + 2, ' ') << "  teardown      <- " << report.check << "\n";
  if (!passed) out << "\n" << report.to_string(program, snapshot.sut_name);
  out << "\n" << (passed ? "state at the end" : "state there") << " (model | " << snapshot.sut_name << "):\n  names:\n";
  for (NameIndex n = 0; n < program.names.size(); ++n)
    out << "    " << program.names[n] << " -> "
        << both(binding_text(snapshot.model.bindings[n]), binding_text(snapshot.sut.bindings[n])) << "\n";
  out << "  objects:\n";
  for (const ObjectPair& pair : paired_objects(snapshot)) {
    const std::string model = pair.model ? to_string(*pair.model) : pair.key.to_string() + " dead";
    const std::string sut = pair.sut ? to_string(*pair.sut) : pair.key.to_string() + " freed";
    out << "    " << (model == sut ? model : model + "\n      " + snapshot.sut_name + ": " + sut + "   <- differs") << "\n";
  }
  out << "  collector: " << both(counts_text(snapshot.model.collector), counts_text(snapshot.sut.collector)) << "\n";
  out << "  gc.garbage: " << both(to_string(snapshot.model.garbage), to_string(snapshot.sut.garbage)) << "\n";
  return out.str();
}

}  // namespace gcv
