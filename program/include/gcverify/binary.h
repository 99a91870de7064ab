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
// A finalizer and a weakref keep their body's length in b and are followed
// by their body, one record per effect:
//
//   byte 0     effect code, taken modulo kEffectCodeCount
//   byte 1     a: the effect's name (modulo kMaxNames)
//   bytes 2-3  b: the name read (LoadSlot: the list, Deref: the weakref)
//   bytes 4-7  c: payload (NewContainer), generation (Collect) or slot index (LoadSlot)
//
// The body length is clamped to kMaxEffects and to the records that follow,
// so a cut-off body decodes shorter; a finalizer's body may be empty.
//
// Every byte string decodes: operands are brought into range (a value already in
// range is kept, so encode then decode is the identity) and a trailing partial
// record is ignored. Decoded programs use canonical names (a, b, ..., z, a1, ...).
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
