// Explaining a failure: what the model and the system under test hold at the
// operation where a run stopped, as annotated text and as a Graphviz graph.
//
// A Snapshot is read from both machines right after Executor::run returned a
// failure (the executor leaves both machines as they were at the failing
// operation). annotate() prints the program with the failing operation marked
// and, under it, the state there: names, every object either machine has
// alive (model | system under test, differences flagged), counts, gc.garbage;
// all as the executor compares them (observed_part: what either machine's
// capabilities leave out is blanked in both).
// object_graph_dot() draws the same state: names and gc.garbage as roots,
// objects filled by generation, labelled with both refcounts; red for what the
// system freed while the model has it alive (a premature free), orange for
// what it kept while the model has it dead (a leak), a thick border for the
// objects the report names, dashed red edges for references only the system
// under test has.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gcverify/executor.h"
#include "gcverify/machine.h"

namespace gcv {

struct MachineSnapshot {
  std::vector<std::optional<ObjectKey>> bindings;  // per name of the program
  std::vector<ObjectState> objects;                // alive, by key
  CollectorState collector;
  std::vector<ObjectKey> garbage;
};

struct Snapshot {
  MachineSnapshot model;
  MachineSnapshot sut;
  std::string sut_name;
};

Snapshot take_snapshot(const Program& program, Machine& model, Machine& sut);

// `result` is the failing run of `program` that left the machines in `snapshot`.
std::string annotate(const Program& program, const RunResult& result, const Snapshot& snapshot);

// The object graph at the failing operation, in Graphviz's DOT language.
std::string object_graph_dot(const Program& program, const RunResult& result, const Snapshot& snapshot);

}  // namespace gcv
