// How gcverify runs a program: one set of options, with one meaning, for
// `run` and for every failure command (replay, minimize, explain, triage,
// promote). So a file a failure command writes fails under `gcverify run`
// with the same options exactly as it failed there, and the command line
// that reproduces it can be written into its header.
//
// An input's form (text or binary) is read off its bytes (program_files.h),
// and decides the defaults: a text program runs strictly with its
// expectations checked; a binary program (a fuzzer's input) runs as the
// differential fuzz target runs it: leniently, expectations not checked, at
// most differential_fuzz_options().max_steps primitive steps.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arguments.h"
#include "plugin_loader.h"
#include "gcverify/executor.h"
#include "gcverify/minimize.h"
#include "gcverify/profile.h"

namespace gcv {

struct RunSettings {
  std::string sut = "heap";          // heap | model | cpython | cpython-X.Y | plugin
  // --sut-plugin's library, loaded (sut is "plugin" then).
  std::shared_ptr<const Plugin> plugin;
  bool three_way = false;            // heap, then cpython
  std::string geometry = "modern";   // the heap's allocator geometry
  CheckLevel check = CheckLevel::Changed;
  std::optional<bool> strict;        // unset: by the input's form
  std::optional<bool> expectations;  // unset: by the input's form
  ProgramFormat format = ProgramFormat::Auto;
  // The collector the model and gcheap follow (and --three-way's and --sut
  // cpython's interpreter): --cpython's, else --sut cpython-X.Y's, else the
  // default; a program's header may choose when profile_given is false.
  const Profile* profile = &gcv::profile();
  bool profile_given = false;  // --cpython was given
};

// The options (for Arguments::parse: whether each takes a value) and their
// help, from one table.
std::map<std::string, bool> run_flags();
std::string run_flags_help();
// Reads them; false (after a usage error) when one is wrong.
bool read_run_settings(Arguments& args, RunSettings& settings);

// How a program read in `form` runs under `settings`.
RunOptions run_options(const RunSettings& settings, ProgramFormat form);

// The systems under test, in the order a program runs on them.
std::vector<MachineFactory> systems_under_test(const RunSettings& settings);

// The profile `program` runs under with `settings`: the one asked for
// (--cpython, --sut cpython-X.Y), else the default, unless the program's
// `# cpython:` line leaves it out; then the line's first version when none
// was asked for, else nullptr and why the program is skipped in `skip`.
const Profile* profile_for(const Program& program, const RunSettings& settings, std::string& skip);

// Whether this gcverify can run what `settings` asks for; false with the
// usage error printed (the CPython adapter not built or not loadable).
bool available(Arguments& args, const RunSettings& settings);

// "gcverify run --check fast FILE": the command that runs a text program
// written by a failure command as that command ran it.
std::string run_command_line(const RunSettings& settings, const std::string& file);

}  // namespace gcv
