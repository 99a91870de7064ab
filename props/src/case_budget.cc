// How much each property is tested (props.h's set_case_budget): a fixed
// budget that keeps CI within a few minutes, or a deep run for nightly use with
// GCV_PROPS_DEEP=1. GCV_PROPS_SEED fixes RapidCheck's seed (CI picks one per
// run and prints it, so that a red run replays exactly); without it RapidCheck
// picks its own. An RC_PARAMS given by the user (for example a reproduce
// string) wins over all of them.
//
// A function the suites call rather than a static initializer: an initializer
// of a static library's object file runs only when something pulls that file
// into the link, which nothing would.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gcverify/props.h"

namespace gcv::props {
namespace {

// "seed=N " from GCV_PROPS_SEED, or nothing; exits 2 on a seed that is not a number.
std::string seed_param() {
  const char* seed = std::getenv("GCV_PROPS_SEED");
  if (seed == nullptr || *seed == '\0') return "";
  char* end = nullptr;
  const unsigned long long value = std::strtoull(seed, &end, 10);
  if (*end != '\0' || *seed == '-') {
    std::fprintf(stderr, "GCV_PROPS_SEED: '%s' is not a seed (a number from 0 to 2^64 - 1)\n", seed);
    std::exit(2);
  }
  return "seed=" + std::to_string(value) + " ";
}

}  // namespace

void set_case_budget() {
  const char* deep = std::getenv("GCV_PROPS_DEEP");
  const bool is_deep = deep != nullptr && *deep != '\0' && *deep != '0';
  const std::string params = seed_param() + (is_deep ? "max_success=20000 max_size=400" : "max_success=1000 max_size=150");
  setenv("RC_PARAMS", params.c_str(), /*overwrite=*/0);
}

}  // namespace gcv::props
