// The CPython version the differential targets follow (fuzz.h), and the
// libFuzzer initializer that reads it off the command line.
#include "gcverify/fuzz.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>


namespace {

const gcv::Profile* chosen = &gcv::profile();

}  // namespace

const gcv::Profile& gcv::fuzz::fuzz_profile() { return *chosen; }

gcv::RunOptions gcv::fuzz::fuzz_run_options() {
  gcv::RunOptions options = gcv::differential_fuzz_options();
  options.cpython = chosen->version;
  return options;
}

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  constexpr std::string_view kFlag = "-cpython=";
  int kept = 0;
  for (int i = 0; i < *argc; ++i) {
    const std::string_view arg = (*argv)[i];
    if (i == 0 || !arg.starts_with(kFlag)) {
      (*argv)[kept++] = (*argv)[i];
      continue;
    }
    chosen = gcv::profile_named(arg.substr(kFlag.size()));
    if (chosen == nullptr) {
      std::fprintf(stderr, "%s: no CPython version '%s' (there are %s)\n", (*argv)[0],
                   std::string(arg.substr(kFlag.size())).c_str(), gcv::profile_names().c_str());
      std::exit(2);
    }
  }
  *argc = kept;
  (*argv)[kept] = nullptr;
  return 0;
}
