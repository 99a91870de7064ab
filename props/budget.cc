// How much each property is tested: a fixed budget that keeps CI within a few
// minutes, or a deep run for nightly use with GCV_PROPS_DEEP=1. An RC_PARAMS
// given by the user (for example a reproduce string) wins over both.
//
// RapidCheck reads RC_PARAMS the first time a property runs, which is after
// every static initializer, so setting it here is early enough.
#include <cstdlib>

namespace {

const bool kBudgetSet = [] {
  const char* deep = std::getenv("GCV_PROPS_DEEP");
  const bool is_deep = deep != nullptr && *deep != '\0' && *deep != '0';
  setenv("RC_PARAMS", is_deep ? "max_success=20000 max_size=400" : "max_success=1000 max_size=150", /*overwrite=*/0);
  return true;
}();

}  // namespace
