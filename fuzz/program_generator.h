// Random operations for heap programs in binary form, biased towards the
// values that matter to a collector: the first few names (so operations meet
// the same objects), thresholds 0, 1, 2, 10 and 700, every generation, short
// cycles and sizes either side of the small-object limit. Used by the custom
// mutator and by the throughput benchmark, which both need "a plausible
// operation". Expectations are never generated: the differential target does
// not check them.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gcverify/binary.h"

namespace gcv::fuzz {

using Random = std::minstd_rand;

// One 8-byte record of the binary form.
struct Record {
  std::uint8_t op = 0, a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;

  void store(std::uint8_t* out) const {
    out[0] = op;
    out[1] = a;
    out[2] = static_cast<std::uint8_t>(b);
    out[3] = static_cast<std::uint8_t>(b >> 8);
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(c >> (8 * i));
  }
  static Record load(const std::uint8_t* in) {
    Record r;
    r.op = in[0];
    r.a = in[1];
    r.b = static_cast<std::uint16_t>(in[2] | in[3] << 8);
    for (int i = 0; i < 4; ++i) r.c |= static_cast<std::uint32_t>(in[4 + i]) << (8 * i);
    return r;
  }
};

inline std::uint32_t pick(Random& rng, std::initializer_list<std::uint32_t> values) {
  return *(values.begin() + rng() % values.size());
}

inline NameIndex some_name(Random& rng) { return static_cast<NameIndex>(rng() % 8); }
inline std::uint32_t some_index(Random& rng) { return rng() % 4 == 0 ? rng() % 256 : rng() % 4; }
inline std::uint32_t some_payload(Random& rng) { return pick(rng, {8, 16, 24, 48, 200, 496, 497, 512, 600, 4000}); }
inline std::uint16_t some_threshold(Random& rng) { return static_cast<std::uint16_t>(pick(rng, {0, 1, 2, 3, 5, 10, 700})); }
inline std::uint16_t some_length(Random& rng) {
  return static_cast<std::uint16_t>(rng() % 8 == 0 ? 1 + rng() % 64 : 1 + rng() % 5);
}

// The operations generated: every row of operations.def but the expectations,
// in opcode order.
inline constexpr std::size_t kGeneratedOpCount = [] {
  std::size_t n = 0;
  for (const OperationInfo& info : kOperations) n += !info.expectation;
  return n;
}();
inline constexpr std::array<OpCode, kGeneratedOpCount> kGeneratedOps = [] {
  std::array<OpCode, kGeneratedOpCount> ops{};
  std::size_t n = 0;
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    if (!kOperations[c].expectation) ops[n++] = static_cast<OpCode>(c);
  return ops;
}();

// A body of 0..3 effects (a finalizer's, or a weakref's callback: none is no
// callback).
inline std::vector<Effect> random_body(Random& rng) {
  std::vector<Effect> body(rng() % 4);
  for (Effect& e : body) {
    e.code = static_cast<EffectCode>(rng() % kEffectCodeCount);
    e.name = some_name(rng);
    e.source = some_name(rng);  // the list or weakref an effect reads
    e.index = some_index(rng);
    e.size = some_payload(rng);
    e.generation = static_cast<int>(rng() % 3);
  }
  return body;
}

// Sets `field` of `op` to a value chosen for it.
inline void random_field(Random& rng, Field field, Op& op) {
  if (is_name_field(field)) {
    name_operand(op, field) = some_name(rng);
    return;
  }
  switch (field) {
    case Field::Index:
    case Field::GarbageIndex: op.index = some_index(rng); break;
    case Field::Size: op.size = some_payload(rng); break;
    case Field::Length:
    case Field::CliqueSize: op.count = some_length(rng); break;
    case Field::Int:  // the small ints' ends, either side
      op.value = static_cast<std::int32_t>(
          pick(rng, {0, 1, 256, 257, 1000, static_cast<std::uint32_t>(-5), static_cast<std::uint32_t>(-6)}));
      break;
    case Field::CollectGeneration: op.generation = static_cast<int>(rng() % 3); break;
    case Field::Thresholds:
      op.arity = static_cast<std::uint8_t>(1 + rng() % 3);
      for (std::uint32_t& value : op.values) value = some_threshold(rng);
      break;
    case Field::DebugFlag: op.value = rng() % 2; break;
    case Field::Body: op.effects = random_body(rng); break;
    default: break;  // a collect's expected result, and the expectations' fields: never generated
  }
}

// A new operation: any row of operations.def but the expectations, each of
// its fields chosen as above.
inline Op random_op(Random& rng) {
  Op op;
  op.code = kGeneratedOps[rng() % std::size(kGeneratedOps)];
  for (Field field : operation_info(op.code).fields) random_field(rng, field, op);
  return op;
}

// A new operation as records: one, or for a finalizer or a weakref with a
// callback, the operation's record and its body's.
inline std::vector<Record> random_operation(Random& rng) {
  static const Program names = [] {
    Program program;
    for (NameIndex i = 0; i < 8; ++i) program.names.push_back(canonical_name(i));
    return program;
  }();
  Program program = names;
  program.ops = {random_op(rng)};
  std::string error;
  const std::vector<std::uint8_t> bytes = *encode_binary(program, error);  // every field chosen is in range
  std::vector<Record> records;
  for (std::size_t at = 0; at < bytes.size(); at += kRecordSize) records.push_back(Record::load(&bytes[at]));
  return records;
}

// One record of a new operation (without its body).
inline Record random_record(Random& rng) { return random_operation(rng).front(); }

}  // namespace gcv::fuzz
