// Shared by annotate (snapshot.cc) and the graph (object_graph.cc).
#pragma once

#include <optional>
#include <vector>

#include "gcverify/explain.h"

namespace gcv {

// One object as each machine has it (nullopt: dead there).
struct ObjectPair {
  ObjectKey key;
  std::optional<ObjectState> model;
  std::optional<ObjectState> sut;
};

// Every object either machine has alive, by key.
std::vector<ObjectPair> paired_objects(const Snapshot& snapshot);

}  // namespace gcv
