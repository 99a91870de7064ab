// The binary form of heap programs: a sequence of 8-byte little-endian records
//
//   byte 0     opcode, taken modulo kOpCodeCount
//   byte 1     a: a name (modulo kMaxNames), a generation, an arity; for object
//              references bit 7 set means "by serial" (serial in c)
//   bytes 2-3  b: u16 operand
//   bytes 4-7  c: u32 operand
//
// A finalizer (SetFinalizer: a = name, b = body length) and a weakref
// (NewWeakref: a = target name, b = callback length, c's low byte = referent
// name) are followed by their body, one record per effect:
//
//   byte 0     effect code, taken modulo kEffectCodeCount
//   byte 1     a: the effect's name (modulo kMaxNames)
//   bytes 2-3  b: the name read (LoadSlot: the list, Deref: the weakref)
//   bytes 4-7  c: payload (NewContainer), generation (Collect) or slot index (LoadSlot)
//
// The body length is clamped to kMaxEffects and to the records that follow; a
// finalizer's is at least 1, so a finalizer record with nothing after it is
// dropped. Shapes (Cycle, Chain, Clique): a = target, b = the length's low
// 16 bits, c = payload in its low 16 bits and the length's bits 16..23 in
// its third byte. Other operands: Deref a = target, b = weakref; LoadGarbage a =
// target, c = index; SetDebug c = 1 (saveall) or 0; ExpectGarbage c = count;
// object references as in the other expectations.
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
