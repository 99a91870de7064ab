// Explaining a failure: the snapshot of both machines, the annotated program
// and the DOT graph, against systems under test with known faults.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/explain.h"
#include "gcverify/forwarding_machine.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

// Reports the second object as gone: a premature free, as observed.
struct LosesObjectTwo : ForwardingMachine {
  std::string_view name() const override { return "lossy"; }
  void objects(std::vector<ObjectState>& out) override {
    ForwardingMachine::objects(out);
    std::erase_if(out, [](const ObjectState& o) { return o.key == ObjectKey::serial(2); });
  }
  bool read_object(ObjectKey key, ObjectState& out) override {
    return key != ObjectKey::serial(2) && ForwardingMachine::read_object(key, out);
  }
};

// Keeps a slot pointing at object 1 in every list with two items, and
// reports one more reference on it.
struct ExtraSlot : ForwardingMachine {
  std::string_view name() const override { return "extra"; }
  void objects(std::vector<ObjectState>& out) override {
    ForwardingMachine::objects(out);
    for (ObjectState& o : out)
      if (o.slots.size() == 2) o.slots.push_back(ObjectKey::serial(1));
  }
};

struct Explained {
  Program program;
  RunResult result;
  Snapshot snapshot;
};

Explained explain_run(const std::string& text, Machine& sut) {
  Explained e{parse_program(text), {}, {}};
  auto model = make_reference_model();
  e.result = run_lockstep(e.program, *model, sut, {});
  e.snapshot = take_snapshot(e.program, *model, sut);
  return e;
}

TEST(Explain, SnapshotHoldsBothMachinesAtTheFailingOperation) {
  LosesObjectTwo sut;
  const Explained e = explain_run("a = list\nb = list\na.append(b)\nc = list\n", sut);
  ASSERT_EQ(e.result.outcome, Outcome::Divergence);
  EXPECT_EQ(e.result.report.op_index, 1u);  // b = list: object 2 missing at once
  ASSERT_EQ(e.snapshot.model.bindings.size(), 3u);
  EXPECT_EQ(e.snapshot.model.bindings[1], ObjectKey::serial(2));
  EXPECT_EQ(e.snapshot.model.objects.size(), 2u);
  EXPECT_EQ(e.snapshot.sut.objects.size(), 1u);
  EXPECT_EQ(e.snapshot.sut_name, "lossy");
}

TEST(Explain, AnnotationMarksTheOperationAndFlagsDifferences) {
  LosesObjectTwo sut;
  const Explained e = explain_run("a = list\nb = list\na.append(b)\n", sut);
  const std::string text = annotate(e.program, e.result, e.snapshot);
  EXPECT_NE(text.find("signature: " + e.result.report.signature().to_string()), std::string::npos) << text;
  EXPECT_NE(text.find(">> 2  line 2  b = list"), std::string::npos) << text;
  EXPECT_NE(text.find("   1  line 1  a = list"), std::string::npos) << text;
  EXPECT_NE(text.find("   3  line 3  a.append(b)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lossy: #2 freed   <- differs"), std::string::npos) << text;
  EXPECT_NE(text.find("b -> #2"), std::string::npos) << text;
}

TEST(Explain, GraphShowsRootsGenerationsAndWhatTheSystemDidWrong) {
  LosesObjectTwo sut;
  const Explained e = explain_run("a = list\nb = list\n", sut);
  const std::string dot = object_graph_dot(e.program, e.result, e.snapshot);
  EXPECT_EQ(dot.rfind("digraph G {", 0), 0u) << dot;
  EXPECT_NE(dot.find("label=\"a\",shape=box"), std::string::npos) << dot;
  EXPECT_NE(dot.find("#1 list\\nrefcount 1\\ngen 0\",shape=ellipse,style=filled,fillcolor=lightblue"), std::string::npos)
      << dot;
  EXPECT_NE(dot.find("lossy freed it; the model has it alive\",shape=ellipse,style=filled,fillcolor=tomato"),
            std::string::npos)
      << dot;
}

TEST(Explain, GraphLeavesOutNamesBoundInNeitherMachine) {
  LosesObjectTwo sut;
  const Explained e = explain_run("gone = list\ndel gone\nb = list\n", sut);
  ASSERT_EQ(e.result.outcome, Outcome::Divergence);
  const std::string dot = object_graph_dot(e.program, e.result, e.snapshot);
  EXPECT_EQ(dot.find("label=\"gone\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"b\",shape=box"), std::string::npos) << dot;
}

TEST(Explain, GraphDrawsReferencesOnlyTheSystemHasDashed) {
  ExtraSlot sut;
  const Explained e = explain_run("a = list\nb = list\nb.append(a)\nb.append(a)\n", sut);
  ASSERT_EQ(e.result.outcome, Outcome::Divergence);
  const std::string dot = object_graph_dot(e.program, e.result, e.snapshot);
  EXPECT_NE(dot.find("[label=\"0\"]"), std::string::npos) << dot;  // the model's slots
  EXPECT_NE(dot.find("[label=\"1\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("[label=\"2 extra\",style=dashed,color=red,fontcolor=red]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("color=red,penwidth=3"), std::string::npos) << "the report's object, whose state differs: " << dot;
}

}  // namespace
}  // namespace gcv
