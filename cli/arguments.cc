// Command-line plumbing: see arguments.h.
#include "arguments.h"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace gcv {

namespace {
const std::string kHelpFlag = "--help";
}  // namespace

Arguments::Arguments(std::string command, std::vector<std::string> args)
    : command_(std::move(command)), args_(std::move(args)) {}

bool Arguments::parse(const std::map<std::string, bool>& known, const std::set<std::string>& two_valued,
                      const std::set<std::string>& value_after_equals) {
  for (std::size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i] == "-h" ? kHelpFlag : args_[i];  // -h is --help, for every command
    if (a.size() < 2 || a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    const auto eq = a.find('=');
    const std::string flag = a.substr(0, eq);
    if (two_valued.count(flag) != 0) {
      if (eq != std::string::npos || i + 2 >= args_.size())
        return usage_error("option '" + flag + "' takes two values: " + flag + " KIND FILE");
      pairs_[flag].emplace_back(args_[i + 1], args_[i + 2]);
      i += 2;
      continue;
    }
    if (value_after_equals.count(flag) != 0) {
      values_[flag] = eq == std::string::npos ? "" : a.substr(eq + 1);
      continue;
    }
    const auto it = known.find(flag);
    if (it == known.end()) return usage_error("unknown option '" + flag + "'");
    if (!it->second) {
      if (eq != std::string::npos) return usage_error("option '" + flag + "' takes no value");
      values_[flag] = "";
    } else if (eq != std::string::npos) {
      values_[flag] = a.substr(eq + 1);
    } else if (i + 1 < args_.size()) {
      values_[flag] = args_[++i];
    } else {
      return usage_error("option '" + flag + "' needs a value");
    }
  }
  return true;
}

bool Arguments::has(const std::string& flag) const { return values_.count(flag) != 0; }

std::vector<std::pair<std::string, std::string>> Arguments::pairs(const std::string& flag) const {
  const auto it = pairs_.find(flag);
  return it == pairs_.end() ? std::vector<std::pair<std::string, std::string>>{} : it->second;
}

std::string Arguments::get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

bool Arguments::choice(const std::string& flag, const std::vector<std::string>& choices, std::string& out) {
  out = get(flag, choices.front());
  for (const auto& c : choices)
    if (c == out) return true;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  return usage_error("option '" + flag + "' must be one of " + list + ", not '" + out + "'");
}

bool Arguments::number(const std::string& flag, double minimum, double& out) {
  if (!has(flag)) return true;
  const std::string text = get(flag, "");
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !(value >= minimum))
  {
    std::ostringstream at_least;
    at_least << minimum;
    return usage_error("option '" + flag + "' must be a number of at least " + at_least.str() + ", not '" + text + "'");
  }
  out = value;
  return true;
}

bool Arguments::usage_error(const std::string& why) const {
  std::cerr << "gcverify " << command_ << ": " << why << " (see 'gcverify " << command_ << " --help')\n";
  return false;
}

bool read_format(Arguments& args, const std::string& flag, ProgramFormat& format) {
  std::string value;
  if (!args.choice(flag, {"auto", "text", "binary"}, value)) return false;
  format = value == "text" ? ProgramFormat::Text : value == "binary" ? ProgramFormat::Binary : ProgramFormat::Auto;
  return true;
}

gcheap::Geometry geometry_named(const std::string& name) {
  return name == "classic" ? gcheap::Geometry::classic() : gcheap::Geometry::modern();
}

}  // namespace gcv
