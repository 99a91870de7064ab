// Random operations for heap programs in binary form, biased towards the
// values that matter to a collector: the first few names (so operations meet
// the same objects), thresholds 0, 1, 2, 10 and 700, every generation, mostly
// short shapes with now and then one past the heap's limits, and payloads in
// every size class and either side of the small-object limit. Used by the custom
// mutator and by the throughput benchmark, which both need "a plausible
// operation". Expectations are never generated: the differential target does
// not check them. The operations come from operations.def; their operands
// are chosen record by record, in the binary form's fields, so that a seed
// keeps giving the same programs (the published workloads and examples are
// seed-numbered): an operation without a case below gets a name in a and b
// and a small index in c. A Vocabulary limits them to a system's
// capabilities; the full one (every capability) keeps the seeds' programs.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <random>
#include <vector>

#include "gcverify/binary.h"
#include "gcverify/capabilities.h"

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

inline std::uint8_t some_name(Random& rng) { return static_cast<std::uint8_t>(rng() % 8); }
inline std::uint32_t some_index(Random& rng) { return rng() % 4 == 0 ? rng() % 256 : rng() % 4; }

// Payloads: a quarter from the boundaries (either side of the small-object
// limit of both geometries, large ones past a pool and the largest), the rest
// spread over every size class up to 640 bytes. One draw either way, so a
// seed's programs differ from the older fixed list only in their sizes.
inline constexpr std::uint32_t kBoundaryPayloads[] = {8, 16, 248, 256, 257, 496, 512, 513, 4000, 16384, 40000, kMaxPayload};
inline constexpr std::uint32_t kSpreadPayloads = 641;  // kMinPayload..640
inline std::uint32_t some_payload(Random& rng) {
  const std::uint32_t v = static_cast<std::uint32_t>(rng());
  return v % 4 == 0 ? kBoundaryPayloads[v / 4 % std::size(kBoundaryPayloads)] : kMinPayload + v / 4 % (kSpreadPayloads - kMinPayload);
}
inline std::uint16_t some_threshold(Random& rng) { return static_cast<std::uint16_t>(pick(rng, {0, 1, 2, 3, 5, 10, 700})); }

// Shape lengths: mostly 1..5; one in eight up to kLongestShape, past the
// trashcan's 50 nesting levels and the list free list's 80 entries. A clique
// (k^2 references) takes the length modulo kLargestClique.
inline constexpr std::uint16_t kLongestShape = 160;
inline constexpr std::uint16_t kLargestClique = 12;
inline std::uint16_t some_length(Random& rng) {
  return static_cast<std::uint16_t>(rng() % 8 == 0 ? 1 + rng() % kLongestShape : 1 + rng() % 5);
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

// The operations generated for a system of some capabilities: those of
// kGeneratedOps and of the body rows (as their index in kBodyOpCodes) that
// need no more, and whether a weakref may have a callback.
struct Vocabulary {
  std::vector<OpCode> ops;
  std::vector<std::uint8_t> body_ops;
  bool callbacks = true;
};
inline Vocabulary vocabulary_within(Capabilities capabilities) {
  Vocabulary v;
  for (OpCode code : kGeneratedOps)
    if (capabilities.contains(needed_capabilities(Op::of(code)))) v.ops.push_back(code);
  for (std::size_t k = 0; k < kBodyOpCodeCount; ++k)
    if (capabilities.contains(needed_capabilities(Op::of(kBodyOpCodes[k])))) v.body_ops.push_back(static_cast<std::uint8_t>(k));
  v.callbacks = capabilities.has(Capability::WeakrefCallbacks);
  return v;
}
inline const Vocabulary& full_vocabulary() {
  static const Vocabulary full = vocabulary_within(Capabilities::all());
  return full;
}

// A new operation, as records: one, or for a finalizer or a weakref with a
// callback, the operation's record and its body's.
inline std::vector<Record> random_operation(Random& rng, const Vocabulary& vocabulary = full_vocabulary());

// A record of `code` with operands a program would give it.
inline Record random_record_of(OpCode code, Random& rng) {
  Record r;
  r.op = static_cast<std::uint8_t>(code);
  r.a = some_name(rng);
  r.b = some_name(rng);
  r.c = some_index(rng);
  switch (static_cast<OpCode>(r.op)) {
    case OpCode::NewContainer:
    case OpCode::NewStr: r.c = some_payload(rng); break;
    case OpCode::NewInt:
      r.c = pick(rng, {0, 1, 256, 257, 1000, static_cast<std::uint32_t>(-5), static_cast<std::uint32_t>(-6)});
      break;
    case OpCode::Cycle:
    case OpCode::Chain:
      r.b = some_length(rng);
      r.c = some_payload(rng);
      break;
    case OpCode::Clique:
      r.b = static_cast<std::uint16_t>(1 + (some_length(rng) - 1) % kLargestClique);
      r.c = some_payload(rng);
      break;
    case OpCode::Collect:
      r.a = static_cast<std::uint8_t>(rng() % 3);
      r.b = 0;
      break;
    case OpCode::SetThreshold:
      r.a = static_cast<std::uint8_t>(1 + rng() % 3);
      r.b = some_threshold(rng);
      r.c = some_threshold(rng) | static_cast<std::uint32_t>(some_threshold(rng)) << 16;
      break;
    case OpCode::SetFinalizer: r.b = static_cast<std::uint16_t>(rng() % 4); break;  // body length
    case OpCode::NewWeakref:
      r.b = static_cast<std::uint16_t>(rng() % 4);  // 0: no callback, else 1 + its length
      r.c = some_name(rng);                           // the referent
      break;
    case OpCode::SetDebug: r.c = rng() % 2; break;
    default: break;
  }
  return r;
}

inline Record random_record(Random& rng, const Vocabulary& vocabulary = full_vocabulary()) {
  Record r = random_record_of(vocabulary.ops[rng() % vocabulary.ops.size()], rng);
  if (static_cast<OpCode>(r.op) == OpCode::NewWeakref && !vocabulary.callbacks) r.b = 0;
  return r;
}

// A record that reads as a body's operation when it follows a finalizer or a
// weakref record: a row a body may hold (its opcode byte counts those rows,
// binary.h), a name it reads being `self` one time in four.
inline Record random_body_record(Random& rng, const Vocabulary& vocabulary = full_vocabulary()) {
  const std::size_t k = vocabulary.body_ops[rng() % vocabulary.body_ops.size()];
  Record r = random_record_of(kBodyOpCodes[k], rng);
  r.op = static_cast<std::uint8_t>(k);
  if (rng() % 4 == 0) r.a = kSelf;
  if (rng() % 4 == 0) r.b = kSelf;
  if (kBodyOpCodes[k] == OpCode::NewWeakref && rng() % 4 == 0) r.c = kSelf;  // the referent
  return r;
}

inline std::vector<Record> random_operation(Random& rng, const Vocabulary& vocabulary) {
  std::vector<Record> records{random_record(rng, vocabulary)};
  const OpCode code = static_cast<OpCode>(records.front().op);
  const std::uint16_t b = records.front().b;
  const std::uint16_t length = code == OpCode::SetFinalizer ? b : code == OpCode::NewWeakref && b > 0 ? b - 1 : 0;
  for (std::uint16_t i = 0; i < length; ++i) records.push_back(random_body_record(rng, vocabulary));
  return records;
}

}  // namespace gcv::fuzz
