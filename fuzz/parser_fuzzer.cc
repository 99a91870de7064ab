// The text-form fuzz target: parse_text never crashes on any bytes, reports
// errors at a real position, and for every program it accepts, print -> parse
// gives the same operations and names, and printing again gives the same text.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "gcverify/text.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "parser_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gcv::ParseError error;
  const auto program = gcv::parse_text(text, "input.heap", error);
  if (!program) {
    if (error.line == 0 || error.column == 0 || error.reason.empty()) fail("an error without a place or reason", error.to_string());
    return 0;
  }
  const std::string printed = gcv::print_text(*program);
  const auto reparsed = gcv::parse_text(printed, "printed.heap", error);
  if (!reparsed) fail("the printed program does not parse", error.to_string() + "\n" + printed);
  if (reparsed->ops != program->ops || reparsed->names != program->names)
    fail("print -> parse changed the program", printed);
  if (gcv::print_text(*reparsed) != printed) fail("printing is not stable", printed);
  return 0;
}
