// gcverify minimize, explain, triage and promote, driven as a user would. The
// normal build's gcheap has no known bug, so the failing inputs here are
// hand-written programs whose own expectation is false (--expectations); the
// seeded-bug build exercises them on real divergences (docs/minimizer.md).
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
  const Outcome o = gcverify("minimize --expectations --quiet --output " + output + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("# signature: expectation failed: expectation @ expect refcount"), std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("a = list\nexpect refcount a 7\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("minimized: 15 -> 2 operations"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("(1-minimal)"), std::string::npos) << o.output;
  // The saved reproducer fails the same way under `gcverify run`.
  const Outcome rerun = gcverify("run " + output);
  EXPECT_EQ(rerun.status, 1) << rerun.output;
  EXPECT_NE(rerun.output.find("expectation failed"), std::string::npos) << rerun.output;
}

TEST_F(CliTest, MinimizeShowsProgressAndHonoursItsBudget) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const Outcome o = gcverify("minimize --expectations --max-tests 3 " + input);
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
}

TEST_F(CliTest, ExplainAnnotatesAndDrawsTheGraph) {
  const std::string input = write("wrong.heap", kWrongRefcount);
  const std::string dot = (dir_ / "graph.dot").string();
  const Outcome o = gcverify("explain --expectations --quiet --dot " + dot + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find(">> 2  expect refcount a 7"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("a -> #1"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("object graph: " + dot), std::string::npos) << o.output;
  EXPECT_EQ(read(dot).rfind("digraph G {", 0), 0u);
  // A PNG when Graphviz is installed; otherwise a message saying how to get it.
  const bool drawn = fs::exists(dir_ / "graph.png");
  EXPECT_NE(o.output.find(drawn ? "drawn: " : "Graphviz's dot is not installed"), std::string::npos) << o.output;
}

TEST_F(CliTest, TriageBucketsBySignatureWithOneRepresentativeEach) {
  fs::create_directories(dir_ / "crashes");
  write("crashes/crash-1", kWrongRefcount);  // no extension, as libFuzzer names them
  write("crashes/crash-2", std::string(kWrongRefcount) + "del b\n");
  write("crashes/crash-3", kWrongLive);
  write("crashes/passes", "a = list\n");
  const std::string out = (dir_ / "buckets").string();
  const Outcome o =
      gcverify("triage --format text --expectations --quiet --out " + out + " " + (dir_ / "crashes").string());
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("4 inputs: 1 pass, 3 fail in 2 buckets"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("bucket 1: expectation failed: expectation @ expect refcount\n  inputs:    2"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("bucket 2: expectation failed: expectation @ expect live\n  inputs:    1"), std::string::npos)
      << o.output;
  EXPECT_NE(read(out + "/bucket-1.heap").find("a = list\nexpect refcount a 7\n"), std::string::npos);
  EXPECT_NE(read(out + "/bucket-2.heap").find("# signature: expectation failed: expectation @ expect live"),
            std::string::npos);
}

TEST_F(CliTest, PromoteSavesANamedRegressionThatRunsAsCTestRunsIt) {
  const std::string input = write("wrong.heap", kWrongLive);
  const std::string corpus = (dir_ / "regressions").string();
  Outcome o = gcverify("promote --expectations --quiet --corpus " + corpus + " " + input);
  ASSERT_EQ(o.status, 0) << o.output;
  const std::string file = corpus + "/expectation_failed_expectation_at_expect_live.heap";
  EXPECT_NE(o.output.find("promoted: " + file), std::string::npos) << o.output;
  // Its own expectation is wrong, so it fails now, and says so.
  EXPECT_NE(o.output.find("it fails now (expectation failed: expectation @ expect live)"), std::string::npos)
      << o.output;
  const std::string text = read(file);
  EXPECT_EQ(text.rfind("# Regression: expectation failed: expectation @ expect live\n# From " + input, 0), 0u) << text;
  EXPECT_NE(text.find("# Expected outcome: passes"), std::string::npos) << text;
  // A second promotion of the same failure does not overwrite the first.
  o = gcverify("promote --expectations --quiet --corpus " + corpus + " " + input);
  EXPECT_NE(o.output.find("expectation_failed_expectation_at_expect_live_2.heap"), std::string::npos) << o.output;
  o = gcverify("promote --name 'bad name' " + input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("--name takes letters, digits, _ and -"), std::string::npos) << o.output;
}

}  // namespace
