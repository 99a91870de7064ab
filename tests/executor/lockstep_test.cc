// The lockstep executor: passing runs, operand resolution, macro shapes, and
// that each comparison reports a disagreement precisely. Disagreements are
// made with a ForwardingMachine that passes every call to the model except the
// one it falsifies.
#include <gtest/gtest.h>

#include "parse_program.h"

#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"
#include "gcverify/forwarding_machine.h"

namespace gcv {
namespace {

RunResult run(const std::string& text, Machine& sut, RunOptions options = {}) {
  auto model = make_reference_model();
  return run_lockstep(parse_program(text), *model, sut, options);
}

RunResult run_on_heap(const std::string& text, RunOptions options = {}) {
  auto heap = make_heap_machine();
  return run(text, *heap, options);
}

const char* const kCycleProgram = R"(a = list
b = list
a.append(b)
b.append(a)
del a
del b
collect -> 2
)";

TEST(Lockstep, ModelAgainstItselfPasses) {
  ForwardingMachine sut;
  const RunResult result = run(kCycleProgram, sut);
  EXPECT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program(kCycleProgram), "model");
  EXPECT_EQ(result.ops_run, 7u);
  EXPECT_EQ(result.collections, 2u);  // the program's and the teardown's
}

TEST(Lockstep, HeapAgreesWithModelOnCycles) {
  const RunResult result = run_on_heap(kCycleProgram);
  EXPECT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program(kCycleProgram), "gcheap");
}

TEST(Lockstep, HeapAgreesOnEveryShapeBothGeometries) {
  const std::string text = R"(a = cycle 30
b = chain 30 700
c = clique 6
a.append(b)
c[0] = a
del a
collect 0
del b
s = str 3000
c.append(s)
del c
collect
)";
  for (auto geometry : {gcheap::Geometry::modern(), gcheap::Geometry::classic()}) {
    auto heap = make_heap_machine({.geometry = geometry});
    const RunResult result = run(text, *heap);
    EXPECT_EQ(result.outcome, Outcome::Pass) << result.report.to_string(parse_program(text), "gcheap");
  }
}

TEST(Lockstep, CollectResultDivergenceNamesTheOperation) {
  struct Undercounting : ForwardingMachine {
    std::int64_t collect(int g) override { return inner_->collect(g) - 1; }
  } sut;
  const RunResult result = run(kCycleProgram, sut);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 6u);
  EXPECT_EQ(result.report.op_text, "collect 2 -> 2");
  EXPECT_EQ(result.report.check, "gc.collect(2) result");
  EXPECT_EQ(result.report.expected, "2");
  EXPECT_EQ(result.report.actual, "1");
  EXPECT_EQ(result.report.where.line, 7u);
}

// A report names the primitive step only for an operation of several; no
// step of an earlier macro is left over, at any check level.
TEST(Lockstep, AStepIsNamedOnlyForTheMacroThatRanIt) {
  struct Undercounting : ForwardingMachine {
    std::int64_t collect(int g) override { return inner_->collect(g) - 1; }
  } sut;
  for (CheckLevel level : {CheckLevel::Changed, CheckLevel::Exhaustive, CheckLevel::Fast}) {
    const RunResult result = run("a = cycle 3\ndel a\ncollect\n", sut, {.check = level});
    ASSERT_EQ(result.outcome, Outcome::Divergence) << to_string(level);
    EXPECT_EQ(result.report.op_text, "collect") << to_string(level);
    EXPECT_EQ(result.report.step, "") << to_string(level);
    EXPECT_EQ(result.report.to_string(parse_program("a = cycle 3\ndel a\ncollect\n"), "x").find("step:"),
              std::string::npos);
  }
  struct LeftBehind : ForwardingMachine {
    std::string teardown() override { return inner_->teardown() + "objects still alive after teardown: #9\n"; }
  } leaky;
  const RunResult result = run("a = cycle 3\n", leaky);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_text, "teardown");
  EXPECT_EQ(result.report.step, "");  // not the teardown's last collect
}

TEST(Lockstep, MissingFreeIsALeakAtTheOperation) {
  // Drops every Freed event: the heap "forgot" to free.
  struct Forgetful : ForwardingMachine {
    void take_events(std::vector<Event>& out) override {
      std::vector<Event> all;
      inner_->take_events(all);
      for (const Event& e : all)
        if (e.type != Event::Type::Freed) out.push_back(e);
    }
  } sut;
  const RunResult result = run("a = list\nb = list\ndel a\n", sut);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 2u);
  EXPECT_EQ(result.report.check, "freed objects outside collections");
  EXPECT_EQ(result.report.expected, "{#1}");
  EXPECT_EQ(result.report.actual, "{}");
  EXPECT_EQ(result.report.objects, std::vector<ObjectKey>{ObjectKey::serial(1)});
}

TEST(Lockstep, PrematureFreeIsReportedWithTheObject) {
  // Reports #2 dead while the model has it alive.
  struct Hiding : ForwardingMachine {
    void objects(std::vector<ObjectState>& out) override {
      inner_->objects(out);
      std::erase_if(out, [](const ObjectState& s) { return s.key == ObjectKey::serial(2); });
    }
  } sut;
  const RunResult result = run("a = list\nb = list\nc = list\n", sut);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.check, "live objects (premature free)");
  EXPECT_EQ(result.report.objects, std::vector<ObjectKey>{ObjectKey::serial(2)});
}

TEST(Lockstep, RefcountAndGenerationDifferencesAreNamed) {
  struct OffByOne : ForwardingMachine {
    void objects(std::vector<ObjectState>& out) override {
      inner_->objects(out);
      for (ObjectState& s : out)
        if (s.key == ObjectKey::serial(1) && s.slots.size() == 1) ++s.refcount;
    }
  } refcount;
  RunResult result = run("a = list\na.append(a)\n", refcount);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.check, "object #1 refcount");

  struct Stale : ForwardingMachine {
    void objects(std::vector<ObjectState>& out) override {
      inner_->objects(out);
      for (ObjectState& s : out)
        if (s.generation == 1) s.generation = 0;
    }
  } generation;
  result = run("a = list\ncollect 0\nb = list\n", generation);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.check, "object #1 generation");
}

TEST(Lockstep, CountsThresholdsAndAutomaticCollectionsAreCompared) {
  struct NoAutomatic : ForwardingMachine {
    void take_events(std::vector<Event>& out) override {
      std::vector<Event> all;
      inner_->take_events(all);
      if (all.empty() || all.front().type != Event::Type::CollectionStart || explicit_) out.insert(out.end(), all.begin(), all.end());
      explicit_ = false;
    }
    std::int64_t collect(int g) override {
      explicit_ = true;
      return inner_->collect(g);
    }
    bool explicit_ = false;
  } sut;
  const RunResult result = run("threshold 2\na = list\nb = list\nc = list\n", sut);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.op_index, 3u);
  EXPECT_EQ(result.report.check, "collections");

  struct WrongCount : ForwardingMachine {
    CollectorState collector_state() override {
      CollectorState s = inner_->collector_state();
      s.count[0] += s.count[0] == 2;
      return s;
    }
  } counts;
  const RunResult miscount = run("a = list\nb = list\n", counts);
  ASSERT_EQ(miscount.outcome, Outcome::Divergence);
  EXPECT_EQ(miscount.report.op_index, 1u);
  EXPECT_EQ(miscount.report.check, "get_count()");
  EXPECT_EQ(miscount.report.expected, "(2, 0, 0)");
  EXPECT_EQ(miscount.report.actual, "(3, 0, 0)");
}

TEST(Lockstep, TeardownLeftoversAreADivergence) {
  struct Leaky : ForwardingMachine {
    std::string teardown() override { return inner_->teardown() + "allocator still holds 1 small block\n"; }
  } sut;
  const RunResult result = run("a = list\n", sut);
  ASSERT_EQ(result.outcome, Outcome::Divergence);
  EXPECT_EQ(result.report.check, "teardown");
  EXPECT_EQ(result.report.op_text, "teardown");
  EXPECT_NE(result.report.actual.find("1 small block"), std::string::npos);
}

// Steps are resolved against the model. Where a run does not compare (a
// property with its own invariant), a system that diverged is reported when
// it is handed a step it cannot run, before the heap's adapter, which trusts
// its arguments, runs it.
// The heap machine, to be given one dropped call.
struct OnTheHeap : ForwardingMachine {
  OnTheHeap() : ForwardingMachine(make_heap_machine()) {}
};
struct AppendDropped : OnTheHeap {
  void append(NameIndex, NameIndex) override {}
};
struct BindDropped : OnTheHeap {
  void bind(NameIndex, NameIndex) override {}
};
struct LegacyFinalizerDropped : OnTheHeap {
  void set_legacy_finalizer(NameIndex) override {}
};

TEST(Lockstep, StepsTheSystemCannotRunAreADivergenceWithoutComparisons) {
  struct Case {
    const char* program;
    std::unique_ptr<Machine> sut;
    const char* where;  // the operation's text
    const char* check;
    const char* actual;
  };
  Case cases[] = {
      {"a = list\nb = list\na.append(b)\nc = a[0]\n", std::make_unique<AppendDropped>(), "c = a[0]", "slot 0 of 'a'",
       "out of range (0 slots)"},
      {"a = list\nb = a\nb.append(a)\n", std::make_unique<BindDropped>(), "b.append(a)", "binding of 'b'", "unbound"},
      // The teardown empties the slots of gc.garbage's entries one by one.
      {"a = list\na.append(a)\nlegacy_finalizer a\ndel a\ncollect\n", std::make_unique<LegacyFinalizerDropped>(),
       "teardown", "entry 0 of gc.garbage", "out of range (0 entries)"},
  };
  for (Case& c : cases) {
    const RunResult r = run(c.program, *c.sut, {.compare = false});
    ASSERT_EQ(r.outcome, Outcome::Divergence) << c.program;
    EXPECT_EQ(r.report.op_text, c.where);
    EXPECT_EQ(r.report.check, c.check);
    EXPECT_EQ(r.report.actual, c.actual);
  }
}

TEST(Lockstep, ExpectationsAreCheckedAgainstTheModel) {
  ForwardingMachine sut;
  RunResult result = run("a = list\nexpect refcount a 2\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.op_index, 1u);
  EXPECT_EQ(result.report.expected, "refcount of a 2");
  result = run("a = list\na.append(a)\ndel a\ncollect -> 3\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.check, "collect result");
  result = run("a = list\nexpect refcount a 2\n", sut, {.check_expectations = false});
  EXPECT_EQ(result.outcome, Outcome::Pass);
}

// Identity expectations compare objects, and say which ones they found.
TEST(Lockstep, IdentityExpectationsNameTheObjectsTheyCompare) {
  ForwardingMachine sut;
  RunResult result = run("a = list\nb = list\nexpect a is b\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.expected, "a is #2 (b's object)");
  EXPECT_EQ(result.report.actual, "the model has a is #1");
  EXPECT_EQ(result.report.signature().to_string(), "expectation failed: expect is");
  result = run("a = list\nexpect a is unbound\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.actual, "the model has a is #1");
  result = run("a = list\nexpect a[3] is a\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.actual, "the model has no a[3]: 0 items");
  result = run("a = list\nw = weakref a\nexpect w() is none\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.expected, "w() is none");
  EXPECT_EQ(result.report.actual, "the model has w() is #1");
  EXPECT_EQ(run("a = list\nw = weakref a\nb = a\nexpect w() is b\nexpect b is #1\ndel a\ndel b\nexpect w() is none\n"
                "expect dead #1\nexpect b is unbound\n", sut).outcome,
            Outcome::Pass);
}

// Generations are spelled as the language spells them, never 3 or -1.
TEST(Lockstep, GenerationsAreNamedAsTheLanguageNamesThem) {
  ForwardingMachine sut;
  RunResult result = run("a = list\nfreeze\nexpect generation a 0\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.expected, "a in generation 0");
  EXPECT_EQ(result.report.actual, "the model has a in generation permanent");
  result = run("s = str\nexpect generation s 0\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ExpectationFailed);
  EXPECT_EQ(result.report.actual, "the model has s in generation untracked");
  EXPECT_EQ(generation_name(kPermanentGeneration), "permanent");
  EXPECT_EQ(generation_name(kUntracked), "untracked");
  EXPECT_EQ(generation_name(2), "2");
}

TEST(Resolution, StrictModeRejectsWhatPythonRejects) {
  ForwardingMachine sut;
  RunResult result = run("a = list\nb.append(a)\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ProgramError);
  EXPECT_EQ(result.report.expected, "name 'b' is not bound");
  EXPECT_EQ(result.report.where.line, 2u);
  result = run("s = str 10\ns.append(s)\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ProgramError);
  EXPECT_EQ(result.report.expected, "'s' is bound to str #1, not to a list");
  result = run("a = list\na.append(a)\ndel a[1]\n", sut);
  ASSERT_EQ(result.outcome, Outcome::ProgramError);
  EXPECT_EQ(result.report.expected, "index 1 is out of range: 'a' has 1 item");
}

TEST(Resolution, LenientModeResolvesModuloWhatExists) {
  ForwardingMachine sut;
  // b is unbound: the append's item resolves to a bound name; the index 7 of
  // a 2-item list becomes 1; the del of an unbound name takes a bound one.
  const RunResult result = run("a = list\nc = str 9\nb.append(a)\na.append(c)\na.append(c)\ndel a[7]\n", sut,
                               {.strict = false});
  ASSERT_EQ(result.outcome, Outcome::Pass);
  const std::string printed = print_text(result.reproducer());
  EXPECT_EQ(printed, "a = list\nc = str 9\na.append(a)\na.append(c)\na.append(c)\ndel a[1]\n");
}

TEST(Resolution, LenientModeSkipsWhatHasNothingToActOn) {
  ForwardingMachine sut;
  const RunResult result = run("del a[3]\nb.append(c)\nx = str 8\nx.append(x)\nd = x\n", sut, {.strict = false});
  ASSERT_EQ(result.outcome, Outcome::Pass);
  EXPECT_EQ(print_text(result.reproducer()), "x = str 8\nd = x\n");
}

TEST(Macros, ShapesHaveTheirDefinedEdges) {
  auto model = make_reference_model();
  ForwardingMachine sut;
  const Program program = parse_program("c = cycle 3\nk = clique 3\n");
  ASSERT_EQ(run_lockstep(program, *model, sut, {.teardown = false}).outcome, Outcome::Pass);
  auto slots = [&](Serial s) { return model->object(ObjectKey::serial(s))->slots; };
  using K = std::vector<ObjectKey>;
  EXPECT_EQ(slots(1), K{ObjectKey::serial(2)});
  EXPECT_EQ(slots(2), K{ObjectKey::serial(3)});
  EXPECT_EQ(slots(3), K{ObjectKey::serial(1)});
  EXPECT_EQ(slots(4), (K{ObjectKey::serial(5), ObjectKey::serial(6)}));
  EXPECT_EQ(slots(5), (K{ObjectKey::serial(4), ObjectKey::serial(6)}));
  EXPECT_EQ(slots(6), (K{ObjectKey::serial(4), ObjectKey::serial(5)}));
  EXPECT_EQ(model->binding(0), ObjectKey::serial(1));
  // The scratch names are unbound once a macro is done.
  for (NameIndex n = 2; n < 5; ++n) EXPECT_FALSE(model->binding(n).has_value());
}

TEST(Lockstep, StepBudgetStopsBeforeAnOperationThatWouldExceedIt) {
  ForwardingMachine sut;
  RunOptions options;
  options.max_steps = 5;
  const RunResult result = run("a = list\nb = list\nc = cycle 2\nd = list\n", sut, options);
  EXPECT_EQ(result.outcome, Outcome::Pass);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.ops_run, 2u);  // the cycle's 9 steps would pass the budget: it never starts
  EXPECT_EQ(result.resolved.ops.size(), 2u);  // so the reproducer is what ran
  options.max_steps = 0;
  EXPECT_FALSE(run("a = list\nb = list\nc = cycle 2\nd = list\n", sut, options).truncated);
}

TEST(LockstepSession, OperationsAppendedAsItGoesRunLikeABatch) {
  const Program whole = parse_program(kCycleProgram);
  Program growing;
  growing.names = whole.names;
  growing.origin = whole.origin;
  auto model = make_reference_model();
  auto heap = make_heap_machine();
  LockstepSession session(growing, *model, *heap, {});
  for (const Op& op : whole.ops) {
    growing.ops.push_back(op);
    ASSERT_EQ(session.run_pending(), Outcome::Pass);
  }
  ASSERT_EQ(session.finish(), Outcome::Pass);
  EXPECT_EQ(session.result().ops_run, whole.ops.size());
  EXPECT_EQ(session.result().collections, 2u);
  EXPECT_EQ(print_text(session.result().resolved), print_text(whole));

  struct Undercounting : ForwardingMachine {
    std::int64_t collect(int g) override { return inner_->collect(g) - 1; }
  } sut;
  growing.ops.clear();
  LockstepSession failing(growing, *model, sut, {});
  for (const Op& op : whole.ops) {
    growing.ops.push_back(op);
    if (failing.run_pending() != Outcome::Pass) break;
  }
  EXPECT_EQ(failing.result().outcome, Outcome::Divergence);
  EXPECT_EQ(failing.result().report.op_index, 6u);
}

// The teardown drops names in the order of their objects, whatever the names
// are called or numbered: a program and its renamed copy tear down alike.
TEST(Teardown, DropsNamesInTheOrderOfTheirObjectsNotOfTheNames) {
  struct Recording : ForwardingMachine {
    std::vector<ObjectKey> dropped;
    void unbind(NameIndex n) override {
      dropped.push_back(*inner_->binding(n));
      inner_->unbind(n);
    }
  };
  const char* const spellings[] = {"names a b c\n", "names c b a\n", "names b c a\n"};
  for (const char* names : spellings) {
    const std::string text = std::string(names) + "a = list\nb = str\nc = list\nc.append(a)\n";
    Recording sut;
    auto model = make_reference_model();
    const RunResult result = run_lockstep(parse_program(text), *model, sut, {});
    ASSERT_EQ(result.outcome, Outcome::Pass) << text;
    EXPECT_EQ(sut.dropped, (std::vector<ObjectKey>{ObjectKey::serial(1), ObjectKey::serial(2), ObjectKey::serial(3)}))
        << text;
  }
}

TEST(Report, TextNamesPlaceOperationAndBothSides) {
  struct Undercounting : ForwardingMachine {
    std::int64_t collect(int g) override { return inner_->collect(g) - 1; }
  } sut;
  const Program program = parse_program(kCycleProgram);
  auto model = make_reference_model();
  const RunResult result = run_lockstep(program, *model, sut, {});
  const std::string text = result.report.to_string(program, "buggy");
  EXPECT_NE(text.find("test.heap:7:1: divergence at operation 7: collect 2 -> 2"), std::string::npos) << text;
  EXPECT_NE(text.find("expected:  2   (model)"), std::string::npos) << text;
  EXPECT_NE(text.find("actual:    1   (buggy)"), std::string::npos) << text;
  EXPECT_NE(text.find("signature: divergence: collect result"), std::string::npos) << text;
  EXPECT_EQ(result.report.kind, CheckKind::CollectResult);
  EXPECT_EQ(result.report.signature().to_string(), "divergence: collect result");
}

}  // namespace
}  // namespace gcv
