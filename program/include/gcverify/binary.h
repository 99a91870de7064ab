// The binary form of heap programs: a sequence of 8-byte little-endian records
//
//   byte 0     opcode, taken modulo kOpCodeCount
//   byte 1     a: 8 bits
//   bytes 2-3  b: 16 bits
//   bytes 4-7  c: 32 bits
//
// Where each operation keeps each of its fields is its row's `record` in
// operations.def (for example "a:target c:size" for `a = list 600`): names
// are taken modulo kMaxNames, numbers brought into their field's range.
// A finalizer keeps its body's length in b, a weakref one more than its
// callback's (0: no callback), and the body's operations follow, one record
// each, laid out as their rows' records, except:
//
//   byte 0     the index of the operation among the rows a body may hold
//              (program.h's kBodyOpCodes), taken modulo their count
//   names      a name the operation reads is taken modulo kMaxNames + 1,
//              kMaxNames (kSelf) being `self`; one it assigns or deletes
//              modulo kMaxNames
//   ignored    a weakref's length (no callback) and a collect's expected
//              result (none)
//
// The body length is clamped to kMaxBodyLength and to the records that
// follow, so a cut-off body decodes shorter; a finalizer's body may be empty.
//
// A trailing partial record of 3 to 7 bytes holds the program's memory
// failures (Program::memory_failures), so that a fuzzer's input carries its
// failure point:
//
//   byte 0     the mode, modulo 4: request (0), from request (1), random (2),
//              operation (3)
//   bytes 1-2  the request or the operation, or random's N in 1/N: brought
//              into 1..65535
//   bytes 3-6  random's seed (missing bytes are 0); ignored otherwise
//
// and one of 1 or 2 bytes is ignored (no failures).
//
// Every byte string decodes: operands are brought into range (a value already in
// range is kept, so encode then decode is the identity). Decoded programs use
// canonical names (a, b, ..., z, a1, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

inline constexpr std::size_t kRecordSize = 8;

// Decodes any byte string into a program (never fails), of at most
// `max_ops` operations (the records past them are not read).
Program decode_binary(std::span<const std::uint8_t> bytes, std::size_t max_ops = SIZE_MAX);

// Encodes a program. Every program the text parser accepts fits; a program
// built by hand with out-of-range fields yields nullopt and a reason.
std::optional<std::vector<std::uint8_t>> encode_binary(const Program& program, std::string& error);

}  // namespace gcv
