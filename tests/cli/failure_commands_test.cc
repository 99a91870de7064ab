// gcverify replay, minimize, explain, triage and promote, driven as a user
// would. The normal build's gcheap has no known bug, so the failing inputs
// here are hand-written programs whose own expectation is false; the
// seeded-bugs build runs every command on real divergences for every bug
// (tests/failure_artifacts/, docs/minimizer.md). Every file a command writes
// must fail again under `gcverify run` with the input's signature.
#include "cli_fixture.h"

namespace {

using namespace cli_test;

// Noise, then an expectation the model contradicts (#3 has refcount 1).
const char* const kWrongRefcount = R"(keep = list 100
s = str 40
junk = chain 6 64
a = list
b = list
a.append(b)
keep.append(s)
x = keep[0]
del junk
threshold 700 10 10
c = list
c.append(b)
collect 0
expect refcount b 7
del a
)";

// Another kind of failure: a wrong count of live objects.
const char* const kWrongLive = R"(a = cycle 4
del a
b = list
expect live 9
)";

TEST_F(CliTest, MinimizeReducesAFailingProgramAndPrintsItAsText) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const std::string output = (dir_ / "min.heap").string();
  const Outcome o = gcverify("minimize --quiet --output " + output + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("# signature: expectation failed: expect refcount (gcheap)\n# reproduce: gcverify run " +
                          output + "\n"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("a = list\nexpect refcount a 7\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("minimized: 15 -> 2 operations"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("(1-minimal)"), std::string::npos) << o.output;
  // The saved reproducer fails the same way under `gcverify run`, at the line
  // and operation number of the file.
  const Outcome rerun = gcverify("run " + output);
  EXPECT_EQ(rerun.status, 1) << rerun.output;
  EXPECT_NE(rerun.output.find("min.heap:5:1: expectation failed at operation 2: expect refcount a 7"), std::string::npos)
      << rerun.output;
  EXPECT_NE(rerun.output.find("signature: expectation failed: expect refcount"), std::string::npos) << rerun.output;
}

TEST_F(CliTest, MinimizeShowsProgressAndHonoursItsBudget) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const Outcome o = gcverify("minimize --max-tests 3 " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("minimize: delete_ranges"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("budget spent: may not be 1-minimal"), std::string::npos) << o.output;
}

TEST_F(CliTest, MinimizeRefusesWhatDoesNotFailAndBadFlags) {
  const std::string input = write("fine.heap", "a = list\n");
  Outcome o = gcverify("minimize " + input);
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("does not fail: nothing to minimize"), std::string::npos) << o.output;
  o = gcverify("minimize --max-seconds -3 " + input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("option '--max-seconds' must be a number of at least 0.1, not '-3'"), std::string::npos)
      << o.output;
  o = gcverify("minimize " + input + " " + input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("expected one INPUT"), std::string::npos) << o.output;
  o = gcverify("minimize " + (dir_ / "missing.heap").string());
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("missing.heap: cannot open"), std::string::npos) << o.output;
  o = gcverify("minimize --strict --lenient " + input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("--strict and --lenient exclude each other"), std::string::npos) << o.output;
  // Where the result cannot go is said before any work, naming the path.
  const std::string failing = write("wrong.heap", kWrongRefcount);
  const std::string nowhere = (dir_ / "no-such-dir" / "min.heap").string();
  for (const std::string command : {"minimize --output ", "replay --save ", "explain --save "}) {
    o = gcverify(command + nowhere + " " + failing);
    EXPECT_EQ(o.status, 2) << command << o.output;
    EXPECT_NE(o.output.find(nowhere + ": cannot write: no directory"), std::string::npos) << command << o.output;
  }
}

// The failure commands take run's options: a failure on real CPython is
// minimized and written for `gcverify run --sut cpython`.
TEST_F(CliTest, FailureCommandsRunOnTheSystemAsked) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const Outcome o = gcverify("minimize --quiet --sut cpython " + input);
#ifdef GCV_HAVE_CPYTHON
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("# signature: expectation failed: expect refcount (cpython)\n"
                          "# reproduce: gcverify run --sut cpython repro.heap\n"),
            std::string::npos)
      << o.output;
#else
  EXPECT_EQ(o.status, 2) << o.output;
  EXPECT_NE(o.output.find("built without libpython3.11"), std::string::npos) << o.output;
#endif
}

// A file is text or binary by its bytes, whatever it is called; --format forces.
TEST_F(CliTest, FilesAreReadByTheirBytesNotTheirNames) {
  const std::string no_extension = write("repro", kWrongLive);
  const std::string txt = write("repro.txt", kWrongLive);
  for (const std::string& file : {no_extension, txt}) {
    const Outcome o = gcverify("run " + file);
    EXPECT_EQ(o.status, 1) << o.output;
    EXPECT_NE(o.output.find(":4:1: expectation failed at operation 4: expect live 9"), std::string::npos) << o.output;
  }
  // A binary input's expect records are not checked unless asked.
  const std::string binary = (dir_ / "crash-1234").string();
  ASSERT_EQ(gcverify("convert --to binary " + txt + " " + binary).status, 0);
  Outcome o = gcverify("run " + binary);
  EXPECT_EQ(o.status, 0) << o.output;
  o = gcverify("run --expectations " + binary);
  EXPECT_EQ(o.status, 1) << o.output;
  // Forced as binary, the text's bytes are a (passing) binary program.
  o = gcverify("run --format binary " + txt);
  EXPECT_EQ(o.status, 0) << o.output;
  // A text file with a mistake says so, and how to read it as binary.
  const std::string typo = write("typo.txt", "a == list\n");
  o = gcverify("run " + typo);
  EXPECT_EQ(o.status, 2) << o.output;
  EXPECT_NE(o.output.find("typo.txt:1:4: error:"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("--format binary reads it as a binary program"), std::string::npos) << o.output;
}

TEST_F(CliTest, ReplaySavesTheProgramAsItRanAndItFailsTheSameWay) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const std::string saved = (dir_ / "saved.heap").string();
  const Outcome o = gcverify("replay --save " + saved + " " + input);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("wrong.heap:14:1: expectation failed at operation 14: expect refcount b 7"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("saved: " + saved + " (verified: `gcverify run " + saved + "` fails the same way)"),
            std::string::npos)
      << o.output;
  const Outcome rerun = gcverify("run " + saved);
  EXPECT_EQ(rerun.status, 1) << rerun.output;
  EXPECT_NE(rerun.output.find("signature: expectation failed: expect refcount"), std::string::npos) << rerun.output;
}

TEST_F(CliTest, ExplainAnnotatesAndDrawsTheGraph) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const std::string dot = (dir_ / "graph.dot").string();
  const std::string saved = (dir_ / "explained.heap").string();
  const Outcome o = gcverify("explain --quiet --save " + saved + " --dot " + dot + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("explained program: " + saved), std::string::npos) << o.output;
  EXPECT_NE(o.output.find(">> 2  line 5  expect refcount a 7"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("explained.heap:5:1: expectation failed at operation 2"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("a -> #1"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("object graph: " + dot), std::string::npos) << o.output;
  EXPECT_EQ(read(dot).rfind("digraph G {", 0), 0u);
  EXPECT_EQ(gcverify("run " + saved).status, 1);
  // A PNG when Graphviz is installed; otherwise a message saying how to get it.
  const bool drawn = fs::exists(dir_ / "graph.png");
  EXPECT_NE(o.output.find(drawn ? "drawn: " : "Graphviz's dot is not installed"), std::string::npos) << o.output;
}

// A passing program has no failure: explain shows how it ends instead, the
// state after its last operation (before the teardown) and its graph.
TEST_F(CliTest, ExplainShowsAPassingProgramAsItEnds) {
  const std::string input = write("fine.heap", "a = cycle 2\nb = list\nb.append(a)\ndel a\nfreeze\n");
  const std::string dot = (dir_ / "fine.dot").string();
  const Outcome o = gcverify("explain --dot " + dot + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find(input + " passes: nothing failed to explain; its state after its last operation, before the "
                                  "teardown"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("   5  line 5  freeze\n"), std::string::npos) << o.output;
  EXPECT_EQ(o.output.find(">>"), std::string::npos) << o.output;  // nothing marked
  EXPECT_NE(o.output.find("state at the end (model | gcheap):"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("#1 list refcount 2 generation permanent payload 16 slots {#2}"), std::string::npos) << o.output;
  EXPECT_EQ(read(dot).rfind("digraph G {", 0), 0u);
}

TEST_F(CliTest, TriageBucketsByRootCauseWithOneVerifiedReproducerEach) {
  fs::create_directories(dir_ / "crashes");
  write("crashes/crash-1", kWrongRefcount);  // no extension, as libFuzzer names them
  write("crashes/crash-2", std::string(kWrongRefcount) + "del b\n");
  write("crashes/crash-3", kWrongLive);
  write("crashes/passes", "a = list\n");
  const std::string out = (dir_ / "buckets").string();
  const Outcome o = gcverify("triage --quiet --out " + out + " " + (dir_ / "crashes").string());
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("4 inputs: 1 pass, 3 fail in 2 buckets"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("bucket 1: expectation failed: expect refcount (gcheap)\n"
                          "  shape:     _ = list; expect refcount _ N\n  inputs:    2"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("bucket 2: expectation failed: expect live (gcheap)\n  shape:     expect live N\n"
                          "  inputs:    1"),
            std::string::npos)
      << o.output;
  // The reproducer says which input it was minimized from, here and in its file.
  const std::string crash_1 = (dir_ / "crashes" / "crash-1").string();
  EXPECT_NE(o.output.find("reproducer: 2 operations, from " + crash_1 + " (minimized: 15 -> 2 operations"),
            std::string::npos) << o.output;
  EXPECT_NE(read(out + "/bucket-1.heap").find("# from: " + crash_1 + " (one of 2 inputs)"), std::string::npos);
  EXPECT_NE(read(out + "/bucket-1.heap").find("a = list\nexpect refcount a 7\n"), std::string::npos);
  EXPECT_NE(read(out + "/bucket-2.heap").find("# signature: expectation failed: expect live (gcheap)"),
            std::string::npos);
  for (const char* bucket : {"/bucket-1.heap", "/bucket-2.heap"}) EXPECT_EQ(gcverify("run " + out + bucket).status, 1);
}

TEST_F(CliTest, PromoteSavesANamedRegressionThatRunsAsCTestRunsIt) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const std::string corpus = (dir_ / "regressions").string();
  Outcome o = gcverify("promote --quiet --corpus " + corpus + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  const std::string file = corpus + "/expectation_failed_expect_refcount_list.heap";
  EXPECT_NE(o.output.find("promoted: " + file), std::string::npos) << o.output;
  // Its own expectation is wrong, so it fails now, and says so.
  EXPECT_NE(o.output.find("it fails now (expectation failed: expect refcount), as the input did"), std::string::npos)
      << o.output;
  const std::string text = read(file);
  EXPECT_EQ(text.rfind("# Regression: expectation failed: expect refcount (gcheap)\n# From " + input, 0), 0u) << text;
  EXPECT_NE(text.find("# Expected outcome: passes once the bug is fixed"), std::string::npos) << text;
  EXPECT_NE(text.find("# reproduce: gcverify run " + file + "\n"), std::string::npos) << text;
  EXPECT_EQ(gcverify("run " + file).status, 1);
  // The same reproducer again is reported, not copied.
  o = gcverify("promote --quiet --corpus " + corpus + " " + input);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("already in the corpus: " + file + " (nothing written)"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(corpus + "/expectation_failed_expect_refcount_list_2.heap"));
  o = gcverify("promote --name 'bad name' " + input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("--name takes letters, digits, _ and -"), std::string::npos) << o.output;
}

// Without --corpus, promote saves into the checkout around the working
// directory, found from there upward; outside one it says what to do.
TEST_F(CliTest, PromoteFindsTheCheckoutFromTheWorkingDirectoryUp) {
  const std::string input = write("wrong.heap", kWrongLive);
  fs::create_directories(dir_ / "checkout/corpus/scenarios");
  fs::create_directories(dir_ / "checkout/build/deep");
  write("checkout/CMakeLists.txt", "project(gcverify VERSION 0.1 LANGUAGES CXX)\n");
  Outcome o = gcverify("promote --quiet " + input, (dir_ / "checkout/build/deep").string());
  ASSERT_EQ(o.status, 0) << o.output;
  const fs::path file = dir_ / "checkout/corpus/regressions/expectation_failed_expect_live.heap";
  EXPECT_TRUE(fs::exists(file)) << o.output;
  // A program the corpus already holds anywhere is not copied.
  write("checkout/corpus/scenarios/known.heap", "expect live 9\n");
  fs::remove(file);
  o = gcverify("promote --quiet " + input, (dir_ / "checkout").string());
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("already in the corpus: " + (dir_ / "checkout/corpus/scenarios/known.heap").string()),
            std::string::npos)
      << o.output;
  o = gcverify("promote --quiet " + input, "/");
  EXPECT_EQ(o.status, 2) << o.output;
  EXPECT_NE(o.output.find("not inside a gcverify checkout"), std::string::npos) << o.output;
}

}  // namespace
