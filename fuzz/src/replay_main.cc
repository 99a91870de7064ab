// A main for fuzz targets built without a fuzzing engine (GCC, or any build
// with GCV_FUZZ_ENGINE=replay): runs every input file given, or every file in
// every directory given (recursively, sorted), through LLVMFuzzerTestOneInput
// once. CTest uses it to replay the corpora with any compiler. libFuzzer-style
// flags (-runs=..., -max_len=...) are ignored, and named as ignored, so the
// same command lines work; -help=1 prints what this main does.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gcverify/fuzz_target.h"

// Tells the differential target (fuzz.h) that its inputs are replayed, not
// fuzzed: it then checks the checker on every input.
extern "C" const bool gcv_fuzz_replay_main = true;

// Weak, so a target without an initializer links.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int*, char***) { return 0; }

namespace {

void print_usage(const char* self) {
  std::printf(
      "usage: %s [INPUT or DIRECTORY]...\n\n"
      "This build of the fuzz target has no fuzzing engine (libFuzzer): it runs each\n"
      "input, or every file of each directory (recursively, sorted), once, and stops\n"
      "at the first failure (the target aborts, as under libFuzzer). libFuzzer's flags\n"
      "are accepted and ignored. Build with clang and -DGCV_FUZZ_ENGINE=libfuzzer to fuzz.\n",
      self);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  std::string ignored;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-help=1" || arg == "-h" || arg == "--help") return print_usage(argv[0]), 0;
    if (arg.rfind("-", 0) == 0) {
      ignored += " " + arg;
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) found.push_back(it->path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(arg, ec)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", arg.c_str());
      return 2;
    }
  }
  if (!ignored.empty())
    std::fprintf(stderr, "replay: ignoring libFuzzer flags (this build has no fuzzing engine):%s\n", ignored.c_str());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input file given\n");
    print_usage(argv[0]);
    return 2;
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: %s: cannot open\n", file.c_str());
      return 2;
    }
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::fprintf(stderr, "replay: %zu inputs run without a failure\n", files.size());
  return 0;
}
