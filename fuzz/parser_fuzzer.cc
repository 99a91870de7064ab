// The program-language fuzz target: both forms of a heap program, read from
// the same bytes.
//   text    parse_text never crashes on any bytes and reports errors at a
//           real position; for every program it accepts, print -> parse
//           gives the same operations and names, and printing again gives
//           the same text;
//   binary  the bytes read as the binary form (which every byte string is)
//           give a program that prints, parses back and encodes to the
//           same operations;
// and every text program the binary form can hold encodes and decodes back
// to the same operations (one that it cannot hold is refused with a reason).
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "gcverify/fuzz_target.h"
#include "gcverify/binary.h"
#include "gcverify/text.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "parser_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// print -> parse keeps the operations and names, and printing is stable.
void check_text_round_trip(const gcv::Program& program) {
  gcv::ParseError error;
  const std::string printed = gcv::print_text(program);
  const auto reparsed = gcv::parse_text(printed, "printed.heap", error);
  if (!reparsed) fail("the printed program does not parse", error.to_string() + "\n" + printed);
  if (reparsed->ops != program.ops || reparsed->names != program.names)
    fail("print -> parse changed the program", printed);
  if (gcv::print_text(*reparsed) != printed) fail("printing is not stable", printed);
}

// encode -> decode keeps the operations, or encoding says why it cannot.
void check_binary_round_trip(const gcv::Program& program) {
  std::string error;
  const auto bytes = gcv::encode_binary(program, error);
  if (!bytes) {
    if (error.empty()) fail("encoding refused a program without a reason", gcv::print_text(program));
    return;
  }
  if (gcv::decode_binary(*bytes).ops != program.ops)
    fail("encode -> decode changed the program", gcv::print_text(program));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gcv::Program decoded = gcv::decode_binary({data, size});
  check_text_round_trip(decoded);
  check_binary_round_trip(decoded);

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gcv::ParseError error;
  const auto program = gcv::parse_text(text, "input.heap", error);
  if (!program) {
    if (error.line == 0 || error.column == 0 || error.reason.empty()) fail("an error without a place or reason", error.to_string());
    return 0;
  }
  check_text_round_trip(*program);
  check_binary_round_trip(*program);
  return 0;
}
