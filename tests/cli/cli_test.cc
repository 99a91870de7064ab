// The gcverify tool as a user drives it: every subcommand's help, exit
// statuses (0 pass, 1 failure, 2 bad usage or input) and the places its
// messages name.
#include "cli_fixture.h"

namespace {

using namespace cli_test;

TEST_F(CliTest, EverySubcommandHasHelp) {
  for (const char* command : {"run", "convert", "print", "replay", "minimize", "explain", "triage", "promote"}) {
    const Outcome o = gcverify(std::string(command) + " --help");
    EXPECT_EQ(o.status, 0) << command;
    EXPECT_NE(o.output.find(std::string("usage: gcverify ") + command), std::string::npos) << o.output;
  }
  EXPECT_EQ(gcverify("--help").status, 0);
  EXPECT_EQ(gcverify("help run").status, 0);
  for (const char* command : {"run", "convert", "print", "replay", "minimize", "explain", "triage", "promote"}) {
    const Outcome o = gcverify(std::string(command) + " -h");  // -h is --help everywhere
    EXPECT_EQ(o.status, 0) << command << ": " << o.output;
    EXPECT_NE(o.output.find(std::string("usage: gcverify ") + command), std::string::npos) << o.output;
  }
  const Outcome version = gcverify("--version");
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.output.rfind("gcverify 0.", 0), 0u) << version.output;
}

TEST_F(CliTest, BadUsageExitsTwoWithAReason) {
  Outcome o = gcverify("frobnicate");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("unknown command 'frobnicate'"), std::string::npos) << o.output;
  o = gcverify("run --bogus x.heap");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("unknown option '--bogus'"), std::string::npos) << o.output;
  o = gcverify("run --geometry huge x.heap");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("must be one of modern, classic"), std::string::npos) << o.output;
  o = gcverify("run " + (dir_ / "missing.heap").string());
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("no such file"), std::string::npos) << o.output;
  EXPECT_EQ(gcverify("run").status, 2);
  EXPECT_EQ(gcverify("run --check").status, 2);
  // A directory with nothing to read is named in the error.
  const fs::path empty = dir_ / "nothing-here";
  fs::create_directories(empty);
  for (const char* command : {"run ", "triage "}) {
    o = gcverify(command + empty.string());
    EXPECT_EQ(o.status, 2) << command;
    EXPECT_NE(o.output.find(empty.string() + ": a directory with no"), std::string::npos) << o.output;
  }
}

TEST_F(CliTest, ParseErrorNamesFileLineColumn) {
  const std::string file = write("bad.heap", "a = list\nb = list 3\n");
  const Outcome o = gcverify("run " + file);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find(file + ":2:"), std::string::npos) << o.output;
}

// A program that cannot run (an unbound name) fails as a program, counted in
// the closing line; only input that cannot be read is bad input (exit 2).
TEST_F(CliTest, ProgramErrorIsAFailure) {
  const std::string file = write("unbound.heap", "a = list\nb.append(a)\n");
  const Outcome o = gcverify("run " + file);
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("FAIL " + file), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("0 passed, 1 failed\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("  signature: program error\n"), std::string::npos) << o.output;  // as every report ends
  EXPECT_NE(o.output.find(file + ":2:1: program error"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("name 'b' is not bound"), std::string::npos) << o.output;
}

TEST_F(CliTest, FailedExpectationExitsOneAndPassingRunsExitZero) {
  const std::string good = write("good.heap", "a = list\na.append(a)\ndel a\ncollect -> 1\n");
  const std::string bad = write("bad.heap", "a = list\na.append(a)\ndel a\ncollect -> 5\n");
  Outcome o = gcverify("run " + good);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("1 passed, 0 failed"), std::string::npos) << o.output;
  o = gcverify("run " + good + " " + bad);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL " + bad), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("1 passed, 1 failed"), std::string::npos) << o.output;
}

// --cpython chooses the collector the model and gcheap follow; a program's
// `# cpython:` line names the versions it holds for: it runs under the first
// when no version was asked for, and is skipped (counted, reported, exit 0)
// under another one that was. What a failure command writes under a version
// says it, so that it fails under plain `run` too.
TEST_F(CliTest, CPythonVersionsByOptionAndByTheProgramsLine) {
  const std::string any = write("any.heap", "a = list\nexpect threshold 700 10 10\n");
  Outcome o = gcverify("run " + any);
  EXPECT_EQ(o.status, 0) << o.output;
  o = gcverify("run --cpython 3.13 " + any);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("the model has 2000 10 10"), std::string::npos) << o.output;
  o = gcverify("run --cpython 3.7 " + any);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("--cpython: no CPython version '3.7' (there are 3.8, 3.9, 3.10, 3.11, 3.12, 3.13)"),
            std::string::npos) << o.output;

  const std::string only = write("only.heap", "# cpython: 3.13 3.12\na = list\nexpect threshold 2000 10 10\n");
  o = gcverify("run " + only);  // under 3.13, its first
  EXPECT_EQ(o.status, 0) << o.output;
  o = gcverify("run --cpython 3.12 " + only);
  EXPECT_EQ(o.status, 1) << o.output;
  const std::string xml = (dir_ / "skips.xml").string();
  o = gcverify("run --cpython 3.11 --report junit " + xml + " " + only + " " + any);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("SKIP " + only + "  (it holds for CPython 3.13 3.12 only, and this run follows 3.11)"),
            std::string::npos) << o.output;
  EXPECT_NE(o.output.find("1 passed, 0 failed, 1 skipped"), std::string::npos) << o.output;
  EXPECT_NE(read(xml).find("skipped=\"1\""), std::string::npos) << read(xml);
  EXPECT_NE(read(xml).find("<skipped message=\"it holds for CPython 3.13 3.12 only"), std::string::npos) << read(xml);
  o = gcverify("replay " + only);  // failure commands take the version they are given, or name it
  EXPECT_EQ(o.status, 2) << o.output;
  EXPECT_NE(o.output.find(only + ": it holds for CPython 3.13 and not 3.11: give --cpython 3.13"), std::string::npos)
      << o.output;
  const std::string bad = write("bad-version.heap", "# cpython: 3.12 2.7\na = list\n");
  o = gcverify("run " + bad);
  EXPECT_EQ(o.status, 2) << o.output;
  EXPECT_NE(o.output.find(bad + ":1:17: error: no CPython version '2.7'"), std::string::npos) << o.output;

  // A reproducer found under 3.13 says so, and fails under plain `run`.
  o = gcverify("minimize --quiet --cpython 3.13 " + any);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("# cpython: 3.13\nexpect threshold 700 10 10\n"), std::string::npos) << o.output;
  std::string text = o.output;  // the program on stdout, the summary line on stderr
  const std::size_t summary = text.find("minimized: 2 -> 1");
  ASSERT_NE(summary, std::string::npos) << text;
  text.erase(summary, text.find('\n', summary) + 1 - summary);
  const std::string reproducer = write("reproducer.heap", text);
  o = gcverify("run " + reproducer);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("the model has 2000 10 10"), std::string::npos) << o.output;
}

// --report writes what CI reads: JUnit XML and JSON, one entry per program,
// a failure with its signature and where it happened; a report it cannot
// write, or a kind it does not know, is bad usage before anything runs.
TEST_F(CliTest, RunWritesJUnitAndJsonReports) {
  const std::string good = write("good.heap", "a = list\n");
  const std::string bad = write("bad.heap", "a = list\na.append(a)\ndel a\ncollect -> 5\n");
  const std::string xml = (dir_ / "report.xml").string(), json = (dir_ / "report.json").string();
  Outcome o = gcverify("run --quiet --report junit " + xml + " --report json " + json + " " + good + " " + bad);
  EXPECT_EQ(o.status, 1) << o.output;
  const std::string junit = read(xml), report = read(json);
  EXPECT_EQ(junit.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gcverify run\" tests=\"2\" failures=\"1\" errors=\"0\"", 0), 0u) << junit;
  EXPECT_NE(junit.find("<testcase classname=\"gcverify.run\" name=\"" + good + "\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<failure message=\"expectation failed: collect result (gcheap) at " + bad + ":4:1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("collect 2 -&gt; 5"), std::string::npos) << junit;  // escaped
  EXPECT_NE(report.find("\"passed\": 1,\n  \"failed\": 1,"), std::string::npos) << report;
  EXPECT_NE(report.find("\"signature\": \"expectation failed: collect result\", \"location\": \"" + bad + ":4:1\""),
            std::string::npos) << report;
  o = gcverify("run --report xml " + xml + " " + good);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("option '--report' must be junit or json, not 'xml'"), std::string::npos) << o.output;
  o = gcverify("run --report junit " + (dir_ / "no-such-dir" / "r.xml").string() + " " + good);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("cannot write"), std::string::npos) << o.output;
  o = gcverify("run " + good + " --report junit");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("option '--report' takes two values"), std::string::npos) << o.output;
}

// --trace prints every operation and, under it, the events it caused on the
// system under test, nested collections indented; --trace=json the same as
// one JSON object per line. On CPython the order is the same.
TEST_F(CliTest, TracePrintsEveryOperationWithItsEventsInOrder) {
  const std::string file = write("fc.heap",
                                 "a = cycle 2\nfinalizer a: n = list\nw = weakref a: m = self\ndel a\ncollect\n"
                                 "b = list\nv = weakref b: del n\ndel b\n");
  const std::string expected = "trace of " + file + " on model:\n"
      "     1  line 1  a = cycle 2\n"
      "     2  line 2  finalizer a: n = list\n"
      "     3  line 3  w = weakref a: m = self\n"
      "     4  line 4  del a\n"
      "     5  line 5  collect\n"
      "          collection of generation 2 begins\n"
      "            callback of weakref #3 runs\n"
      "            finalizer of #1 runs\n"
      "            freed #2\n"
      "            freed #1\n"
      "          collection of generation 2 ends: collected 2, uncollectable 0\n"
      "     6  line 6  b = list\n"
      "     7  line 7  v = weakref b: del n\n"
      "     8  line 8  del b\n"
      "          callback of weakref #6 runs\n"
      "          freed #4\n"
      "          freed #5\n"
      "        teardown\n"
      "          freed #3\n"
      "          freed #6\n"
      "          collection of generation 2 begins\n"
      "          collection of generation 2 ends: collected 0, uncollectable 0\n";
  Outcome o = gcverify("run --trace --sut model " + file);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.output.substr(0, expected.size()), expected) << o.output;
  o = gcverify("run --trace=json --sut model " + file);
  EXPECT_NE(o.output.find("{\"file\": \"" + file + "\", \"system\": \"model\", \"op\": 5, \"event\": \"finalized\", "
                          "\"object\": \"#1\", \"depth\": 1}\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("\"op\": null, \"line\": null, \"operation\": \"teardown\"}\n"), std::string::npos) << o.output;
  EXPECT_EQ(gcverify("run --trace=xml " + file).status, 2);
#ifdef GCV_HAVE_CPYTHON
  // The trace alone: without its "trace of FILE on SYSTEM:" line, and without
  // what follows the summary (under ASan, LeakSanitizer's suppressions).
  const auto trace_on = [&](const std::string& sut) {
    const std::string text = gcverify("run --quiet --trace --sut " + sut + " " + file).output;
    const std::size_t start = text.find('\n'), end = text.find("1 passed, 0 failed");
    return end == std::string::npos ? text : text.substr(start, end - start);
  };
  EXPECT_EQ(trace_on("cpython"), trace_on("model"));  // CPython 3.11's order
  EXPECT_EQ(trace_on("heap"), trace_on("model"));
#endif
}

// Nothing to run passes, with a warning that says why.
TEST_F(CliTest, AnEmptyProgramPassesWithAWarning) {
  const std::string empty = write("empty.heap", "# only a comment\n");
  const std::string short_binary = write("short.bin", std::string("\x01\x02\x03", 3));
  Outcome o = gcverify("run " + empty);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find(empty + ": warning: the program holds no operation: nothing runs"), std::string::npos) << o.output;
  o = gcverify("run " + short_binary);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find(short_binary + ": warning: 3 bytes, too short to hold one 8-byte operation"), std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("1 passed, 0 failed"), std::string::npos) << o.output;
}

TEST_F(CliTest, ConvertRoundTripsAndBinaryRunsLenient) {
  const std::string text = "a = cycle 3\nb = list 600\nb.append(a)\ndel a\ncollect 0 -> 0\n";
  const std::string source = write("p.heap", text);
  const std::string binary = (dir_ / "p.bin").string();
  const std::string back = (dir_ / "back.heap").string();
  ASSERT_EQ(gcverify("convert " + source + " " + binary).status, 0);
  EXPECT_EQ(fs::file_size(binary) % 8, 0u);
  ASSERT_EQ(gcverify("convert " + binary + " " + back).status, 0);
  EXPECT_EQ(read(back), text);
  EXPECT_EQ(gcverify("run " + binary).status, 0);
  // Arbitrary bytes are a program too.
  const std::string noise = write("noise.bin", std::string("\x07\xff\x10\x00\x99\x88\x77\x66\x03\x01\x02", 11));
  const Outcome o = gcverify("run " + noise);
  EXPECT_EQ(o.status, 0) << o.output;
}

TEST_F(CliTest, ReplayRunsInputsAsRunDoes) {
  // An unbound name and an expectation the model does not meet: a text
  // program runs strictly, so the replay reports the program error; run
  // leniently without its expectations (as the fuzzer runs its binary
  // inputs), it passes, and the replay says it does not reproduce.
  const std::string file = write("input.heap", "b.append(a)\na = list\nexpect live 7\n");
  Outcome o = gcverify("replay " + file);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("input.heap:1:1: program error at operation 1: b.append(a)"), std::string::npos) << o.output;
  o = gcverify("replay --lenient --no-expectations " + file);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("passes: " + file + " (the failure did not reproduce)"), std::string::npos) << o.output;
  // A binary input runs as the fuzzer runs it: its expect records unchecked.
  const std::string binary = (dir_ / "input.bin").string();
  ASSERT_EQ(gcverify("convert " + write("with_expect.heap", "a = list\nexpect live 7\n") + " " + binary).status, 0);
  o = gcverify("replay " + binary);
  EXPECT_EQ(o.status, 0) << o.output;
  o = gcverify("replay --expectations " + binary);
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_EQ(gcverify("replay").status, 2);
  EXPECT_EQ(gcverify("replay --check sometimes " + file).status, 2);
  EXPECT_EQ(gcverify("replay " + (dir_ / "absent.bin").string()).status, 2);
}

TEST_F(CliTest, PrintResolvedShowsWhatRan) {
  const std::string file = write("p.heap", "a = list\nb.append(a)\n");
  const Outcome o = gcverify("print --resolved " + file);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_EQ(o.output, "a = list\na.append(a)\n");
}

// run --sut cpython and --three-way (docs/cpython-adapter.md), when built with
// the CPython adapter; refused with a reason otherwise.
TEST_F(CliTest, ThreeWayRunsTheModelAgainstTheHeapAndCPython) {
  const std::string cycle = write("cycle.heap", "a = list\nb = list\na.append(b)\nb.append(a)\ndel a\ndel b\ncollect -> 2\n");
#ifdef GCV_HAVE_CPYTHON
  Outcome o = gcverify("run --three-way " + cycle);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("three-way"), std::string::npos) << o.output;
  // Two callbacks on one death: CPython counts the tuple that holds them,
  // and so do the model and gcheap.
  const std::string two = write("two.heap",
                                "a = list\nw1 = weakref a: x = self\nw2 = weakref a: x = self\ncollect\nb = list\ndel a\n"
                                "expect count 1 0 0\n");
  o = gcverify("run --sut cpython " + two);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("PASS"), std::string::npos) << o.output;
  EXPECT_EQ(gcverify("run --three-way " + two).status, 0);
  EXPECT_EQ(gcverify("run --three-way --sut heap " + cycle).status, 2);
#else
  const Outcome o = gcverify("run --three-way " + cycle);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("without libpython3.11"), std::string::npos) << o.output;
#endif
}

}  // namespace

namespace {

using namespace cli_test;

TEST_F(CliTest, CheckLevelsByName) {
  const std::string file = write("cycle.heap", "a = cycle 3\ndel a\ncollect -> 3\n");
  for (const char* level : {"changed", "exhaustive", "fast"})
    EXPECT_EQ(gcverify(std::string("run --check ") + level + " " + file).status, 0) << level;
  const Outcome o = gcverify("run --check full " + file);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("must be one of changed, exhaustive, fast"), std::string::npos) << o.output;
}

TEST_F(CliTest, RunStopsAtItsBudgetsAndSaysWhere) {
  const std::string file = write("long.heap", "a = list\nb = chain 100\nc = cycle 100\ndel a\n");
  Outcome o = gcverify("run --max-steps 50 " + file);
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("stopped at its step budget before operation 2"), std::string::npos) << o.output;
  o = gcverify("run --max-seconds 0.001 " + write("huge.heap", "a = chain 3000000\n"));
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("stopped at its time budget in operation 1, not torn down"), std::string::npos) << o.output;
  EXPECT_EQ(gcverify("run --max-steps 0 " + file).status, 2);
  EXPECT_EQ(gcverify("run --max-seconds soon " + file).status, 2);
}

TEST_F(CliTest, AHugeBinaryInputIsReadUpToItsRunnablePart) {
  std::string bytes(24u << 20, '\0');  // 3M records: more than 2^20 operations, bodies and all
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  const Outcome o = gcverify("run " + write("huge.bin", bytes));
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("only its first 1048576 operations are read"), std::string::npos) << o.output;
}

}  // namespace
