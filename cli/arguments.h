// Command-line plumbing shared by gcverify's subcommands: option parsing with
// clear usage errors, the options several commands share, exit statuses.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gcheap/allocator.h"
#include "program_files.h"

namespace gcv {

// Exit statuses: 0 success, 1 a program failed, 2 bad usage or bad input.
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// The options of one subcommand: flags with a value (`--check fast` or
// `--check=fast`), switches, and positionals; `-h` is `--help` for every
// command. Every mistake is reported as
// "gcverify <command>: <why> (see 'gcverify <command> --help')".
class Arguments {
 public:
  Arguments(std::string command, std::vector<std::string> args);

  // Parses; `known` maps each option to whether it takes a value. An
  // option in `two_valued` takes two and may be given again (`--report
  // junit out.xml --report json out.json`); one in `value_after_equals`
  // takes a value only after '=' (`--trace`, `--trace=json`).
  bool parse(const std::map<std::string, bool>& known, const std::set<std::string>& two_valued = {},
             const std::set<std::string>& value_after_equals = {});

  bool has(const std::string& flag) const;
  std::string get(const std::string& flag, const std::string& fallback) const;
  // The value of `flag` (the first choice when absent), which must be one of `choices`.
  bool choice(const std::string& flag, const std::vector<std::string>& choices, std::string& out);
  // The value of `flag` as a number >= minimum (`out` unchanged when absent).
  bool number(const std::string& flag, double minimum, double& out);
  const std::vector<std::string>& positional() const { return positional_; }
  // Every occurrence of a two-valued option, in order.
  std::vector<std::pair<std::string, std::string>> pairs(const std::string& flag) const;

  // Prints the usage error; returns false.
  bool usage_error(const std::string& why) const;

 private:
  std::string command_;
  std::vector<std::string> args_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> pairs_;
  std::vector<std::string> positional_;
};

// --format auto|text|binary.
bool read_format(Arguments& args, const std::string& flag, ProgramFormat& format);
// --geometry modern|classic.
gcheap::Geometry geometry_named(const std::string& name);

}  // namespace gcv
