// gcverify's subcommands: each one's name, one-line summary, help text and
// entry point. Entry points return the exit status (arguments.h).
#pragma once

#include <string>

#include "arguments.h"

namespace gcv {

struct Command {
  const char* name;
  const char* summary;
  std::string (*help)();
  int (*run)(Arguments& args);
};

// program_commands.cc: programs as such.
extern const Command kRunCommand;
extern const Command kConvertCommand;
extern const Command kPrintCommand;
extern const Command kCapabilitiesCommand;
// failure_commands.cc: one failing input.
extern const Command kReplayCommand;
extern const Command kMinimizeCommand;
extern const Command kExplainCommand;
// corpus_commands.cc: many failing inputs, and the regression corpus.
extern const Command kTriageCommand;
extern const Command kPromoteCommand;
// oom_sweep_command.cc: out of memory at every request.
extern const Command kOomSweepCommand;

}  // namespace gcv
