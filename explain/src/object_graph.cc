// The object graph at a failing operation, as Graphviz DOT, built as a
// Boost.Graph adjacency_list and written with boost::write_graphviz.
//
// Vertices: the names bound in either machine and gc.garbage (boxes, the
// roots), and every object either machine has alive, filled by generation
// (0 light blue, 1 light yellow, 2 light grey, permanent lavender, untracked
// white). An object
// only the model has alive is red (the system freed it too early); one only
// the system under test has is orange (it kept what the model freed); one
// whose state differs gets a red border; the report's objects a thick one.
// Edges: the model's references, slot index as label; a reference only the
// system under test has is dashed red.
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <map>
#include <sstream>

#include "explain_internal.h"

namespace gcv {
namespace {

struct VertexLook {
  std::string label;
  std::string attributes;  // shape, style, colours
};
struct EdgeLook {
  std::string label;
  bool sut_only = false;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexLook, EdgeLook>;
using Vertex = Graph::vertex_descriptor;

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out + "\"";
}

const char* generation_fill(int generation) {
  switch (generation) {
    case 0: return "lightblue";
    case 1: return "lightyellow";
    case 2: return "lightgrey";
    case kPermanentGeneration: return "lavender";
    default: return "white";
  }
}

std::string generation_text(int generation) {
  const bool numbered = generation >= 0 && generation < kPermanentGeneration;
  return (numbered ? "gen " : "") + generation_name(generation);
}

VertexLook object_look(const ObjectPair& pair, const std::string& sut_name, bool named_by_report) {
  const ObjectState& shown = pair.model ? *pair.model : *pair.sut;
  std::ostringstream label;
  label << pair.key.to_string() << " " << to_string(shown.kind) << "\n";
  if (pair.model && pair.sut) {
    label << "refcount " << pair.model->refcount;
    if (pair.sut->refcount != pair.model->refcount) label << " | " << sut_name << " " << pair.sut->refcount;
    label << "\n" << generation_text(pair.model->generation);
    if (pair.sut->generation != pair.model->generation) label << " | " << sut_name << " " << generation_text(pair.sut->generation);
  } else {
    label << "refcount " << shown.refcount << ", " << generation_text(shown.generation) << "\n"
          << (pair.model ? sut_name + " freed it; the model has it alive" : "the model has it dead; " + sut_name + " kept it");
  }
  if (shown.has_finalizer) label << "\n" << (shown.finalized ? "finalized" : "finalizer pending");
  std::string fill = pair.model && pair.sut ? generation_fill(shown.generation) : pair.model ? "tomato" : "orange";
  std::string attributes = "shape=ellipse,style=filled,fillcolor=" + fill;
  if (pair.model && pair.sut && *pair.model != *pair.sut) attributes += ",color=red";
  if (named_by_report) attributes += ",penwidth=3";
  return {label.str(), attributes};
}

class GraphBuilder {
 public:
  GraphBuilder(const Program& program, const RunResult& result, const Snapshot& snapshot)
      : program_(program), result_(result), snapshot_(snapshot) {}

  Graph build() {
    const auto& involved = result_.report.objects;
    for (const ObjectPair& pair : paired_objects(snapshot_)) {
      const bool named = std::find(involved.begin(), involved.end(), pair.key) != involved.end();
      objects_[pair.key] = boost::add_vertex(object_look(pair, snapshot_.sut_name, named), graph_);
    }
    for (NameIndex n = 0; n < program_.names.size(); ++n) {
      if (!snapshot_.model.bindings[n] && !snapshot_.sut.bindings[n]) continue;  // unbound in both: no root
      add_references(root(program_.names[n]), {as_list(snapshot_.model.bindings[n]), as_list(snapshot_.sut.bindings[n])},
                     /*numbered=*/false);
    }
    if (!snapshot_.model.garbage.empty() || !snapshot_.sut.garbage.empty())
      add_references(root("gc.garbage"), {snapshot_.model.garbage, snapshot_.sut.garbage}, /*numbered=*/true);
    for (const ObjectPair& pair : paired_objects(snapshot_))
      add_references(objects_[pair.key], {pair.model ? pair.model->slots : std::vector<ObjectKey>{},
                                          pair.sut ? pair.sut->slots : std::vector<ObjectKey>{}},
                     /*numbered=*/true);
    return std::move(graph_);
  }

 private:
  static std::vector<ObjectKey> as_list(const std::optional<ObjectKey>& key) {
    return key ? std::vector<ObjectKey>{*key} : std::vector<ObjectKey>{};
  }

  Vertex root(const std::string& name) {
    return boost::add_vertex(VertexLook{name, "shape=box,style=bold"}, graph_);
  }

  // A referenced object neither machine lists: a small int, or freed memory.
  Vertex object(ObjectKey key) {
    auto found = objects_.find(key);
    if (found != objects_.end()) return found->second;
    const VertexLook look = key.raw == 0 ? VertexLook{"freed memory", "shape=octagon,style=filled,fillcolor=tomato"}
                                         : VertexLook{key.to_string(), "shape=plaintext"};
    return objects_[key] = boost::add_vertex(look, graph_);
  }

  // The model's references from `from` (index i labelled when numbered), and
  // the system's where they differ.
  void add_references(Vertex from, const std::array<std::vector<ObjectKey>, 2>& model_and_sut, bool numbered) {
    const auto& [model, sut] = model_and_sut;
    for (std::size_t i = 0; i < model.size(); ++i)
      boost::add_edge(from, object(model[i]), EdgeLook{numbered ? std::to_string(i) : "", false}, graph_);
    for (std::size_t i = 0; i < sut.size(); ++i)
      if (i >= model.size() || sut[i] != model[i])
        boost::add_edge(from, object(sut[i]), EdgeLook{(numbered ? std::to_string(i) + " " : "") + snapshot_.sut_name, true},
                        graph_);
  }

  const Program& program_;
  const RunResult& result_;
  const Snapshot& snapshot_;
  Graph graph_;
  std::map<ObjectKey, Vertex> objects_;
};

}  // namespace

std::string object_graph_dot(const Program& program, const RunResult& result, const Snapshot& snapshot) {
  const Graph graph = GraphBuilder(program, result, snapshot).build();
  std::ostringstream out;
  boost::write_graphviz(
      out, graph,
      [&](std::ostream& os, Vertex v) { os << "[label=" << quoted(graph[v].label) << "," << graph[v].attributes << "]"; },
      [&](std::ostream& os, Graph::edge_descriptor e) {
        os << "[label=" << quoted(graph[e].label) << (graph[e].sut_only ? ",style=dashed,color=red,fontcolor=red" : "") << "]";
      },
      [&](std::ostream& os) {
        os << "label=" << quoted(result.report.signature().to_string()) << ";\nlabelloc=t;\nnode [fontname=\"monospace\"];\n";
      });
  return out.str();
}

}  // namespace gcv
