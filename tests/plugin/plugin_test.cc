// `gcverify run --sut-plugin`: a system under test loaded from a shared
// library (gcverify/plugin.h), with its capabilities respected, and every
// way a library can be wrong reported with its reason.
#include "../cli/cli_fixture.h"

namespace cli_test {
namespace {

const std::string kPlugin = MODEL_PLUGIN;

class PluginTest : public CliTest {};

TEST_F(PluginTest, RunsProgramsWithinItsCapabilitiesAndSkipsTheOthersSayingWhy) {
  const std::string within = write("within.heap", "a = cycle 3\ndel a\ncollect 0 -> 3\nb = int 5\nexpect live 1\n");
  const std::string beyond = write("beyond.heap", "a = list\nw = weakref a\n");
  const Outcome run = gcverify("run --sut-plugin " + kPlugin + " " + within + " " + beyond);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("PASS " + within), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("SKIP " + beyond + "  (not applicable to model-lite: operation 2 (w = weakref a) needs weakrefs)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("1 passed, 0 failed, 1 skipped"), std::string::npos) << run.output;
}

TEST_F(PluginTest, AFailureNamesThePluginsSystemAndItsCommandLineReloadsIt) {
  // Under no-generations rules `collect 0` is full: the expectation of 0
  // (a generational answer) fails on the model, naming the system.
  const std::string program = write("fails.heap", "a = cycle 2\ndel a\nb = list\ncollect 0 -> 0\n");
  const Outcome run = gcverify("run --sut-plugin " + kPlugin + " " + program);
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("signature: expectation failed: collect result"), std::string::npos) << run.output;
  const Outcome minimized = gcverify("minimize --sut-plugin " + kPlugin + " " + program + " --output " + (dir_ / "min.heap").string());
  EXPECT_EQ(minimized.status, 0) << minimized.output;
  const std::string written = read((dir_ / "min.heap").string());
  EXPECT_NE(written.find("--sut-plugin " + fs::absolute(kPlugin).string()), std::string::npos) << written;
}

TEST_F(PluginTest, CapabilitiesSaysWhatTheSystemDeclaresAndWhatProgramsNeed) {
  const std::string plain = write("plain.heap", "a = cycle 2\ndel a\ncollect\n");
  const std::string frozen = write("frozen.heap", "a = list\nfreeze\nw = weakref a\n");
  const Outcome run = gcverify("capabilities --sut-plugin " + kPlugin + " " + plain + " " + frozen);
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("model-lite declares:\n  no   generations "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\n  yes  finalizers "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("without: every int is allocated, with a serial of its own"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(plain + ": needs none: model-lite can run it"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(frozen + ": needs freeze, weakrefs: not applicable to model-lite (lacks freeze, weakrefs)"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(gcverify("capabilities --sut-plugin " + kPlugin + " " + plain).status, 0);
}

TEST_F(PluginTest, ALibraryThatDoesNotLoadIsAUsageErrorWithTheLoadersReason) {
  const Outcome run = gcverify("run --sut-plugin " + (dir_ / "missing.so").string() + " x.heap");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("--sut-plugin: cannot load the plugin"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("No such file"), std::string::npos) << run.output;
}

TEST_F(PluginTest, ALibraryWithoutTheEntryPointIsNotAPlugin) {
  const Outcome run = gcverify("run --sut-plugin " + std::string(NOT_A_PLUGIN) + " x.heap");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("is not a gcverify plugin: it defines no gcverify_plugin_v1"), std::string::npos) << run.output;
}

TEST_F(PluginTest, APluginOfAnotherAbiIsRefusedNamingBoth) {
  const Outcome run = gcverify("run --sut-plugin " + std::string(OTHER_ABI_PLUGIN) + " x.heap");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("was built for another gcverify: its ABI is gcverify 0.0, libstdc++ 19990101, this gcverify's is gcverify "),
            std::string::npos)
      << run.output;
}

TEST_F(PluginTest, ExcludesTheOtherSystemFlags) {
  const Outcome run = gcverify("run --sut-plugin " + kPlugin + " --three-way x.heap");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("--sut-plugin excludes --sut and --three-way"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace cli_test
