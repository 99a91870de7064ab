// The binary form: every byte string decodes, operands out of range are
// normalized by the one rule, encode then decode is the identity, and the
// record layout is exactly the one binary.h documents.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "gcverify/binary.h"
#include "gcverify/text.h"
#include "sample_program.h"

namespace gcv {
namespace {

using Bytes = std::vector<std::uint8_t>;

Program parse_ok(std::string_view text) {
  ParseError error;
  std::optional<Program> program = parse_text(text, "t.heap", error);
  EXPECT_TRUE(program.has_value()) << error.to_string();
  return program.value_or(Program{});
}

Bytes encode_ok(const Program& program) {
  std::string error;
  std::optional<Bytes> bytes = encode_binary(program, error);
  EXPECT_TRUE(bytes.has_value()) << error;
  return bytes.value_or(Bytes{});
}

// `program` encodes to exactly `expected`, record by record, and decodes back.
template <std::size_t N>
void expect_records(const Program& program, const Bytes (&expected)[N]) {
  const Bytes bytes = encode_ok(program);
  ASSERT_EQ(bytes.size(), N * kRecordSize);
  for (std::size_t i = 0; i < N; ++i)
    EXPECT_EQ(Bytes(bytes.begin() + i * kRecordSize, bytes.begin() + (i + 1) * kRecordSize), expected[i])
        << "record " << i;
  EXPECT_EQ(decode_binary(bytes).ops, program.ops);
}

Bytes record(std::uint8_t opcode, std::uint8_t a, std::uint16_t b, std::uint32_t c) {
  return {opcode, a, static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(b >> 8),
          static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(c >> 8),
          static_cast<std::uint8_t>(c >> 16), static_cast<std::uint8_t>(c >> 24)};
}

void append(Bytes& bytes, const Bytes& more) { bytes.insert(bytes.end(), more.begin(), more.end()); }

Op decode_one(const Bytes& bytes) {
  Program program = decode_binary(bytes);
  EXPECT_EQ(program.ops.size(), 1u);
  return program.ops.empty() ? Op{} : program.ops[0];
}

std::uint8_t opcode(OpCode code) { return static_cast<std::uint8_t>(code); }

bool may_have_body(OpCode code) { return code == OpCode::SetFinalizer || code == OpCode::NewWeakref; }

// A body's record numbers the rows a body may hold apart (binary.h).
std::uint8_t body_opcode(OpCode code) {
  return static_cast<std::uint8_t>(std::find(kBodyOpCodes.begin(), kBodyOpCodes.end(), code) - kBodyOpCodes.begin());
}
constexpr std::uint8_t kSelfByte = kSelf;  // `self` among the names a body's operation reads

// Checks the properties every decoded program has.
void expect_well_formed_decoding(const Bytes& bytes) {
  Program program = decode_binary(bytes);
  // Every whole record is an op or an operation of a body.
  std::size_t records = 0;
  for (const Op& op : program.ops) {
    records += 1 + op.body.size();
    EXPECT_LE(op.body.size(), kMaxBodyLength);
    if (!may_have_body(op.code)) {
      EXPECT_TRUE(op.body.empty());
    }
    for (const Op& inner : op.body) {
      EXPECT_TRUE(in_body_vocabulary(inner.code));
      EXPECT_FALSE(has_body(inner));
      EXPECT_FALSE(inner.has_expected);
    }
  }
  const std::size_t whole = bytes.size() / kRecordSize;
  if (records != whole) {
    ASSERT_EQ(records + 1, whole);
    EXPECT_EQ(bytes[records * kRecordSize] % kOpCodeCount, opcode(OpCode::SetFinalizer));
  }
  EXPECT_EQ(program.origin, "<binary>");
  ASSERT_LE(program.names.size(), kMaxNames);
  for (NameIndex i = 0; i < program.names.size(); ++i) EXPECT_EQ(program.names[i], canonical_name(i));
  for (const Op& op : program.ops) {
    EXPECT_EQ(op.where.line, 0u);
    EXPECT_EQ(op.where.column, 0u);
  }
  // A decoded program is valid: it encodes, re-decodes to itself and
  // survives the text form too (which renumbers names by first appearance,
  // so it is compared as text).
  const Bytes again = encode_ok(program);
  Program redecoded = decode_binary(again);
  EXPECT_EQ(redecoded.ops, program.ops);
  EXPECT_EQ(redecoded.names, program.names);
  const std::string text = print_text(program);
  EXPECT_EQ(print_text(parse_ok(text)), text);
}

TEST(Binary, EveryByteStringDecodes) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 2000; ++round) {
    Bytes bytes(rng() % 200);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
    expect_well_formed_decoding(bytes);
  }
  expect_well_formed_decoding(Bytes(4096, 0xff));
  expect_well_formed_decoding(Bytes(4096, 0x00));
  expect_well_formed_decoding(Bytes{});
}

TEST(Binary, EveryOpcodeByteDecodes) {
  for (int code = 0; code < 256; ++code)
    for (std::uint8_t a : {0x00, 0x3f, 0x7f, 0x80, 0xff})
      expect_well_formed_decoding(record(static_cast<std::uint8_t>(code), a, 0xffff, 0xffffffff));
}

TEST(Binary, DecodeOfEncodeIsTheIdentityForParsedPrograms) {
  for (std::string_view text : {testing::kCanonicalSample, testing::kLooseSample}) {
    Program program = parse_ok(text);
    Program decoded = decode_binary(encode_ok(program));
    EXPECT_EQ(decoded.ops, program.ops);
    EXPECT_EQ(decoded.names.size(), program.names.size());
  }
}

TEST(Binary, TextToBinaryToTextGivesIdenticalTextForCanonicalNames) {
  Program program = parse_ok(testing::kCanonicalSample);
  EXPECT_EQ(print_text(decode_binary(encode_ok(program))), testing::kCanonicalSample);
}

TEST(Binary, RecordLayout) {
  Program program = parse_ok(
      "a = list 600\nb = int -2\nb = a\na[258] = b\na = clique 4 100\ncollect 1 -> 70000\n"
      "threshold 700 10\nexpect count 1 2 3\nexpect refcount #5 9\nexpect generation b permanent\n"
      "expect live 65537\n");
  const Bytes expected[] = {
      record(opcode(OpCode::NewContainer), 0, 0, 600),
      record(opcode(OpCode::NewInt), 1, 0, 0xfffffffe),
      record(opcode(OpCode::Bind), 1, 0, 0),
      record(opcode(OpCode::SetSlot), 0, 1, 258),
      record(opcode(OpCode::Clique), 0, 4, 100),
      record(opcode(OpCode::Collect), 1, 1, 70000),
      record(opcode(OpCode::SetThreshold), 2, 700, 10),
      record(opcode(OpCode::ExpectCount), 0, 1, 2 | 3u << 16),
      record(opcode(OpCode::ExpectRefcount), 0x80, 9, 5),
      record(opcode(OpCode::ExpectGeneration), 1, kPermanentGeneration, 0),
      record(opcode(OpCode::ExpectLive), 0, 0, 65537),
  };
  const Bytes bytes = encode_ok(program);
  ASSERT_EQ(bytes.size(), std::size(expected) * kRecordSize);
  for (std::size_t i = 0; i < std::size(expected); ++i)
    EXPECT_EQ(Bytes(bytes.begin() + i * kRecordSize, bytes.begin() + (i + 1) * kRecordSize), expected[i])
        << "op " << i;
}

TEST(Binary, RecordLayoutOfBodiesAndTheNewOps) {
  Program program = parse_ok(
      "finalizer a: b = self; del c; d = list 600; e.append(self); self.append(f); self.clear(); collect 1\n"
      "w = weakref a\nx = weakref b: collect\nlegacy_finalizer b\ny = w()\ndebug saveall\ndebug none\n"
      "clear garbage\nz = garbage[70000]\nexpect garbage 65537\nexpect finalized #5\nexpect not_finalized a\n"
      "v = weakref a:\nf.clear()\n");
  const NameIndex w = 6, x = 7, y = 8, z = 9, v = 10;
  const Bytes expected[] = {
      record(opcode(OpCode::SetFinalizer), 0, 7, 0),
      record(body_opcode(OpCode::Bind), 1, kSelfByte, 0),
      record(body_opcode(OpCode::Unbind), 2, 0, 0),
      record(body_opcode(OpCode::NewContainer), 3, 0, 600),
      record(body_opcode(OpCode::Append), 4, kSelfByte, 0),
      record(body_opcode(OpCode::Append), kSelfByte, 5, 0),
      record(body_opcode(OpCode::Clear), kSelfByte, 0, 0),
      record(body_opcode(OpCode::Collect), 1, 0, 0),
      record(opcode(OpCode::NewWeakref), w, 0, 0),    // b 0: no callback
      record(opcode(OpCode::NewWeakref), x, 2, 1),    // b 2: a callback of one operation
      record(body_opcode(OpCode::Collect), 2, 0, 0),
      record(opcode(OpCode::SetLegacyFinalizer), 1, 0, 0),
      record(opcode(OpCode::Deref), y, w, 0),
      record(opcode(OpCode::SetDebug), 0, 0, 1),
      record(opcode(OpCode::SetDebug), 0, 0, 0),
      record(opcode(OpCode::ClearGarbage), 0, 0, 0),
      record(opcode(OpCode::LoadGarbage), z, 0, 70000),
      record(opcode(OpCode::ExpectGarbage), 0, 0, 65537),
      record(opcode(OpCode::ExpectFinalized), 0x80, 0, 5),
      record(opcode(OpCode::ExpectNotFinalized), 0, 0, 0),
      record(opcode(OpCode::NewWeakref), v, 1, 0),    // b 1: a callback that does nothing
      record(opcode(OpCode::Clear), 5, 0, 0),
  };
  expect_records(program, expected);
}

// A trailing partial record is no operation: of 1 or 2 bytes it is ignored,
// of 3 to 7 it holds the memory failures (binary.h).
TEST(Binary, TrailingPartialRecordHoldsTheMemoryFailures) {
  Bytes bytes = record(opcode(OpCode::Freeze), 0, 0, 0);
  EXPECT_TRUE(decode_binary(Bytes(bytes.begin(), bytes.begin() + 7)).ops.empty());
  for (std::size_t extra = 1; extra < kRecordSize; ++extra) {
    Bytes longer = bytes;
    longer.insert(longer.end(), extra, 0x05);
    Program program = decode_binary(longer);
    ASSERT_EQ(program.ops.size(), 1u);
    EXPECT_EQ(program.ops[0].code, OpCode::Freeze);
    EXPECT_EQ(program.memory_failures.any(), extra >= 3) << extra;
  }
  using Mode = MemoryFailures::Mode;
  const auto tail = [&](Bytes extra) {
    Bytes longer = bytes;
    longer.insert(longer.end(), extra.begin(), extra.end());
    return decode_binary(longer).memory_failures;
  };
  EXPECT_EQ(tail({0, 5, 0}), (MemoryFailures{.mode = Mode::Once, .request = 5}));
  EXPECT_EQ(tail({5, 0x34, 0x12, 9, 9}), (MemoryFailures{.mode = Mode::From, .request = 0x1234}));  // 5 mod 4, the rest ignored
  EXPECT_EQ(tail({3, 7, 0}), (MemoryFailures{.mode = Mode::Operation, .request = 7}));
  EXPECT_EQ(tail({0, 0, 0}), (MemoryFailures{.mode = Mode::Once, .request = 1}));                   // 0 into 1..65535
  EXPECT_EQ(tail({2, 16, 0, 7}), (MemoryFailures{.mode = Mode::Random, .one_in = 16, .seed = 7}));
  EXPECT_EQ(tail({2, 16, 0, 1, 2, 3, 4}), (MemoryFailures{.mode = Mode::Random, .one_in = 16, .seed = 0x04030201}));
}

TEST(Binary, MemoryFailuresRoundTrip) {
  for (const char* line : {"# fail: request 1", "# fail: from request 65535", "# fail: random 1/3 seed 4294967295",
                           "# fail: operation 9"}) {
    const Program program = parse_ok(std::string(line) + "\na = list\n");
    const Bytes bytes = encode_ok(program);
    EXPECT_EQ(bytes.size() % kRecordSize, program.memory_failures.mode == MemoryFailures::Mode::Random ? 7u : 3u);
    EXPECT_EQ(decode_binary(bytes).memory_failures, program.memory_failures) << line;
  }
  std::string error;
  EXPECT_FALSE(encode_binary(parse_ok("# fail: request 65536\n"), error).has_value());
  EXPECT_EQ(error, "'# fail: request 65536' does not fit the binary form (at most 65535)");
}

TEST(Binary, NamesCoverEveryIndexUsed) {
  Program program = decode_binary(record(opcode(OpCode::Bind), 2, 5, 0));
  EXPECT_EQ(program.names, (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_TRUE(decode_binary(record(opcode(OpCode::Enable), 9, 9, 9)).names.empty());
  // An object named by serial uses no name.
  EXPECT_TRUE(decode_binary(record(opcode(OpCode::ExpectAlive), 0x85, 0, 3)).names.empty());
  EXPECT_EQ(decode_binary(record(opcode(OpCode::ExpectAlive), 0x05, 0, 3)).names.size(), 6u);
}

TEST(Binary, NamesUsedOnlyInBodiesAreCounted) {
  Bytes bytes = record(opcode(OpCode::SetFinalizer), 0, 2, 0);
  append(bytes, record(body_opcode(OpCode::Bind), 9, kSelfByte, 0));
  append(bytes, record(body_opcode(OpCode::Clear), kSelfByte, 30, 0));  // self is no name; b is not read
  EXPECT_EQ(decode_binary(bytes).names.size(), 10u);
  bytes = record(opcode(OpCode::NewWeakref), 1, 2, 0x1403);  // referent: the low byte, 3
  append(bytes, record(body_opcode(OpCode::Append), kSelfByte, 40, 0));
  const Program program = decode_binary(bytes);
  EXPECT_EQ(program.names.size(), 41u);
  ASSERT_EQ(program.ops.size(), 1u);
  EXPECT_EQ(program.ops[0].source, 3u);
  ASSERT_EQ(program.ops[0].body.size(), 1u);
  EXPECT_EQ(program.ops[0].body[0].target, kSelf);
  EXPECT_EQ(program.ops[0].body[0].source, 40u);
  // The name a read reads counts too.
  bytes = record(opcode(OpCode::SetFinalizer), 0, 1, 0);
  append(bytes, record(body_opcode(OpCode::Deref), 2, 50, 0));
  EXPECT_EQ(decode_binary(bytes).names.size(), 51u);
}

// --- normalization: one test per operand kind --------------------------------

TEST(BinaryNormalization, Opcode) {
  EXPECT_EQ(decode_one(record(kOpCodeCount, 0, 0, 16)).code, OpCode::NewContainer);
  EXPECT_EQ(decode_one(record(255, 0, 0, 0)).code, static_cast<OpCode>(255 % kOpCodeCount));
}

TEST(BinaryNormalization, Names) {
  Op op = decode_one(record(opcode(OpCode::LoadSlot), 70, 300, 7));
  EXPECT_EQ(op.target, 70u % kMaxNames);
  EXPECT_EQ(op.source, 300u % kMaxNames);
  EXPECT_EQ(op.index, 7u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Unbind), 63, 0, 0)).target, 63u);
}

TEST(BinaryNormalization, Payload) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewContainer), 0, 0, 3)).size, kMinPayload + 3 % (kMaxPayload - kMinPayload + 1));
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewStr), 0, 0, 70000)).size, kMinPayload + 70000 % (kMaxPayload - kMinPayload + 1));
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewStr), 0, 0, kMaxPayload)).size, kMaxPayload);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 1, 0)).size, kMinPayload);
}

TEST(BinaryNormalization, IntValueIsTwosComplement) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewInt), 0, 0, 0xffffffff)).value, -1);
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewInt), 0, 0, 0x80000000)).value, -2147483648LL);
  EXPECT_EQ(decode_one(record(opcode(OpCode::NewInt), 0, 0, 256)).value, 256);
}

TEST(BinaryNormalization, ShapeLength) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::Cycle), 0, 0, 16)).count, 1u);
  // A shape's length: b's 16 bits and c's third byte; c's low 16 bits the payload.
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 1025, 16)).count, 1025u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 0x9680, 0x98'0010)).count, 10'000'000u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 0x9680, 0x98'0010)).size, 16u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 0xffff, 0xff'0010)).count, kMaxChainLength);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Chain), 0, 0, 16)).count, 1u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Clique), 0, 4097, 16)).count, 1u + 4097 % kMaxCliqueSize);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Clique), 0, kMaxCliqueSize, 16)).count, kMaxCliqueSize);
}

TEST(BinaryNormalization, CollectGenerationAndExpectation) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::Collect), 5, 0, 0)).generation, 5 % 3);
  EXPECT_EQ(decode_one(record(opcode(OpCode::Collect), 1, 0, 0)).generation, 1);
  Op op = decode_one(record(opcode(OpCode::Collect), 0, 2, 9));  // bit 0 clear: no expectation
  EXPECT_FALSE(op.has_expected);
  EXPECT_EQ(op.value, 0);
  op = decode_one(record(opcode(OpCode::Collect), 0, 3, 9));
  EXPECT_TRUE(op.has_expected);
  EXPECT_EQ(op.value, 9);
}

TEST(BinaryNormalization, ThresholdArityAndUnusedValues) {
  Op op = decode_one(record(opcode(OpCode::SetThreshold), 0, 700, 10 | 20u << 16));
  EXPECT_EQ(op.arity, 1);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{700, 0, 0}));
  op = decode_one(record(opcode(OpCode::SetThreshold), 4, 700, 10 | 20u << 16));
  EXPECT_EQ(op.arity, 1 + 4 % 3);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{700, 10, 0}));
  op = decode_one(record(opcode(OpCode::SetThreshold), 3, 700, 10 | 20u << 16));
  EXPECT_EQ(op.arity, 3);
  EXPECT_EQ(op.values, (std::array<std::uint32_t, 3>{700, 10, 20}));
}

TEST(BinaryNormalization, ExpectedGeneration) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectGeneration), 0, 4, 0)).generation, 0);
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectGeneration), 0, 7, 0)).generation, kPermanentGeneration);
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectGeneration), 0, 3, 0)).generation, kPermanentGeneration);
}

TEST(BinaryNormalization, ObjectReferences) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectDead), 0x80, 0, 0)).object, (ObjectRef{true, 1}));
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectDead), 0xc1, 0, 0xffffffff)).object,
            (ObjectRef{true, 0xffffffff}));
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectAlive), 0x45, 0, 77)).object, (ObjectRef{false, 0x45 % kMaxNames}));
  Op op = decode_one(record(opcode(OpCode::ExpectRefcount), 0x80, 65535, 12));
  EXPECT_EQ(op.object, (ObjectRef{true, 12}));
  EXPECT_EQ(op.value, 65535);
}

// --- normalization of bodies and the finalizer ops -------------------------------

Bytes unbind_records(std::size_t n) {
  Bytes bytes;
  for (std::size_t i = 0; i < n; ++i) append(bytes, record(body_opcode(OpCode::Unbind), static_cast<std::uint8_t>(i), 0, 0));
  return bytes;
}

Program decode_concatenated(Bytes head, const Bytes& tail) {
  append(head, tail);
  return decode_binary(head);
}

TEST(BinaryNormalization, BodyLengthIsClampedToTheLimitAndTheRecordsLeft) {
  // A length above kMaxBodyLength takes kMaxBodyLength; the records after them are ops again.
  Program program = decode_concatenated(record(opcode(OpCode::NewWeakref), 0, 0xffff, 0), unbind_records(10));
  ASSERT_EQ(program.ops.size(), 3u);
  EXPECT_EQ(program.ops[0].body.size(), kMaxBodyLength);
  EXPECT_EQ(program.ops[0].body.back().target, kMaxBodyLength - 1);
  // The ninth body record is read as an op: its opcode byte is an opcode.
  EXPECT_EQ(program.ops[1].code, static_cast<OpCode>(body_opcode(OpCode::Unbind)));
  EXPECT_EQ(program.ops[1].target, 8u);
  // A body cut off by the end of the bytes is just shorter.
  program = decode_concatenated(record(opcode(OpCode::SetFinalizer), 0, 5, 0), unbind_records(2));
  ASSERT_EQ(program.ops.size(), 1u);
  EXPECT_EQ(program.ops[0].body.size(), 2u);
  // A weakref whose callback is cut off entirely has a callback that does nothing.
  program = decode_binary(record(opcode(OpCode::NewWeakref), 0, 3, 1));
  ASSERT_EQ(program.ops.size(), 1u);
  EXPECT_TRUE(has_body(program.ops[0]));
  EXPECT_TRUE(program.ops[0].body.empty());
  // A weakref of length 0 has no callback; the next record is an op.
  program = decode_concatenated(record(opcode(OpCode::NewWeakref), 0, 0, 1), unbind_records(1));
  ASSERT_EQ(program.ops.size(), 2u);
  EXPECT_FALSE(has_body(program.ops[0]));
  // Length 1: a callback of no operations; the next record is an op.
  program = decode_concatenated(record(opcode(OpCode::NewWeakref), 0, 1, 1), unbind_records(1));
  ASSERT_EQ(program.ops.size(), 2u);
  EXPECT_TRUE(has_body(program.ops[0]));
  EXPECT_TRUE(program.ops[0].body.empty());
}

TEST(BinaryNormalization, AFinalizerMayHaveAnEmptyBody) {
  // Length 0: an empty body (def __del__(self): pass); the records after it are ops.
  Program program = decode_concatenated(record(opcode(OpCode::SetFinalizer), 2, 0, 0), unbind_records(2));
  ASSERT_EQ(program.ops.size(), 3u);
  EXPECT_TRUE(program.ops[0].body.empty());
  // A finalizer record with nothing after it is an empty finalizer too.
  Bytes bytes = record(opcode(OpCode::Freeze), 0, 0, 0);
  append(bytes, record(opcode(OpCode::SetFinalizer), 2, 3, 0));
  program = decode_binary(bytes);
  ASSERT_EQ(program.ops.size(), 2u);
  EXPECT_EQ(program.ops[1].code, OpCode::SetFinalizer);
  EXPECT_TRUE(program.ops[1].body.empty());
  bytes.push_back(0x01);  // a partial record after it changes nothing
  EXPECT_EQ(decode_binary(bytes).ops, program.ops);
}

// A body's record decodes as its row's record does, with three differences:
// its opcode byte counts the rows a body may hold, a name it reads may be
// self (kMaxNames modulo kMaxNames + 1), and it has no body and no expected
// result of its own, whatever the bytes.
TEST(BinaryNormalization, BodyOperations) {
  const auto inner_of = [](std::uint8_t code, std::uint8_t a, std::uint16_t b, std::uint32_t c) {
    Bytes bytes = record(opcode(OpCode::SetFinalizer), 0, 1, 0);
    append(bytes, record(code, a, b, c));
    const Program program = decode_binary(bytes);
    return program.ops.size() == 1 && program.ops[0].body.size() == 1 ? program.ops[0].body[0] : Op{};
  };
  EXPECT_EQ(inner_of(static_cast<std::uint8_t>(kBodyOpCodeCount), 0, 0, 16).code, kBodyOpCodes[0]);
  EXPECT_EQ(inner_of(255, 0, 0, 0).code, kBodyOpCodes[255 % kBodyOpCodeCount]);
  EXPECT_EQ(inner_of(body_opcode(OpCode::Unbind), 200, 0, 0).target, 200u % kMaxNames);
  EXPECT_EQ(inner_of(body_opcode(OpCode::Unbind), kSelfByte, 0, 0).target, 0u);  // del self: no
  Op inner = inner_of(body_opcode(OpCode::NewContainer), 1, 0, 3);
  EXPECT_EQ(inner.size, kMinPayload + 3 % (kMaxPayload - kMinPayload + 1));
  inner = inner_of(body_opcode(OpCode::Collect), 1, 0xffff, 9);
  EXPECT_EQ(inner.generation, 1);
  EXPECT_FALSE(inner.has_expected);
  inner = inner_of(body_opcode(OpCode::LoadSlot), 200, 0xffff, 0xfffffff0);
  EXPECT_EQ(inner.code, OpCode::LoadSlot);
  EXPECT_EQ(inner.target, 200u % kMaxNames);
  EXPECT_EQ(inner.source, 0xffffu % (kMaxNames + 1));  // b, read: modulo kMaxNames + 1
  EXPECT_EQ(inner.index, 0xfffffff0u);                  // every index is in range
  inner = inner_of(body_opcode(OpCode::Append), kSelfByte, kMaxNames + 1 + kSelf, 0);
  EXPECT_EQ(inner.target, kSelf);
  EXPECT_EQ(inner.source, kSelf);
  inner = inner_of(body_opcode(OpCode::NewWeakref), 3, 0xffff, kSelfByte);
  EXPECT_EQ(inner.source, kSelf);
  EXPECT_FALSE(has_body(inner));  // its length is not read: bodies do not nest
  inner = inner_of(body_opcode(OpCode::NewInt), 3, 0, static_cast<std::uint32_t>(-5));
  EXPECT_EQ(inner.value, -5);
}

TEST(BinaryNormalization, FinalizerOpOperands) {
  EXPECT_EQ(decode_one(record(opcode(OpCode::SetDebug), 0, 0, 1)).value, 1);
  EXPECT_EQ(decode_one(record(opcode(OpCode::SetDebug), 0, 0, 6)).value, 0);
  EXPECT_EQ(decode_one(record(opcode(OpCode::SetDebug), 0, 0, 0xffffffff)).value, 1);
  Op op = decode_one(record(opcode(OpCode::LoadGarbage), 70, 9, 0xffffffff));
  EXPECT_EQ(op.target, 70u % kMaxNames);
  EXPECT_EQ(op.index, 0xffffffffu);
  op = decode_one(record(opcode(OpCode::Deref), 65, 130, 0));
  EXPECT_EQ(op.target, 1u);
  EXPECT_EQ(op.source, 2u);
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectGarbage), 0, 0, 0xffffffff)).value, 0xffffffffLL);
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectFinalized), 0x80, 0, 0)).object, (ObjectRef{true, 1}));
  EXPECT_EQ(decode_one(record(opcode(OpCode::ExpectNotFinalized), 0x42, 0, 0)).object, (ObjectRef{false, 2}));
}

// --- encoding refuses what a record cannot carry ---------------------------------

// A body's operation with one number set: a name, a payload, a generation;
// `flag` an expected result or a callback.
Op body(OpCode code, std::uint32_t number = 0, std::uint32_t payload = kDefaultPayload, bool flag = false) {
  Op op = Op::of(code);
  op.target = number, op.generation = static_cast<int>(number), op.size = payload;
  op.has_expected = op.has_body = flag;
  return op;
}

TEST(BinaryEncode, RefusesOutOfRangeFields) {
  struct Case {
    const char* what;
    Op op;
    const char* phrase;
  };
  const auto make = [](OpCode code, auto&& set) {
    Op op;
    op.code = code;
    set(op);
    return op;
  };
  const Case cases[] = {
      {"payload", make(OpCode::NewContainer, [](Op& o) { o.size = 4; }), "payload 4"},
      {"name", make(OpCode::Bind, [](Op& o) { o.source = 2; }), "name index 2"},
      {"int", make(OpCode::NewInt, [](Op& o) { o.value = 1LL << 31; }), "int value 2147483648"},
      {"length", make(OpCode::Clique, [](Op& o) { o.count = 4097; }), "size 4097"},
      {"chain length", make(OpCode::Chain, [](Op& o) { o.count = 1u << 24; }), "length 16777216"},
      {"generation", make(OpCode::Collect, [](Op& o) { o.generation = 3; }), "generation 3"},
      {"result", make(OpCode::Collect, [](Op& o) { o.has_expected = true; o.value = -1; }), "expected result -1"},
      {"arity", make(OpCode::SetThreshold, [](Op& o) { o.arity = 0; }), "arity 0"},
      {"threshold", make(OpCode::SetThreshold, [](Op& o) { o.arity = 2; o.values = {1, 70000, 0}; }), "threshold 70000"},
      {"serial", make(OpCode::ExpectAlive, [](Op& o) { o.object = {true, 0}; }), "serial 0"},
      {"object", make(OpCode::ExpectDead, [](Op& o) { o.object = {false, 9}; }), "name index 9"},
      {"refcount", make(OpCode::ExpectRefcount, [](Op& o) { o.value = 65536; }), "refcount 65536"},
      {"expected generation", make(OpCode::ExpectGeneration, [](Op& o) { o.generation = 4; }), "generation 4"},
      {"opcode", make(OpCode::kCount, [](Op&) {}), "opcode"},
      {"long body", make(OpCode::SetFinalizer, [](Op& o) { o.body.resize(kMaxBodyLength + 1); }), "body length 9"},
      {"body name", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::Unbind, 5)}; }), "name index 5"},
      {"self assigned", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::NewContainer, kSelf)}; }),
       "name index 64"},
      {"self outside a body", make(OpCode::Append, [](Op& o) { o.source = kSelf; }), "name index 64"},
      {"body payload", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::NewContainer, 0, 7)}; }),
       "payload 7"},
      {"body generation", make(OpCode::NewWeakref, [](Op& o) { o.body = {body(OpCode::Collect, 3)}, o.has_body = true; }),
       "generation 3"},
      {"body expectation", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::ExpectLive)}; }),
       "a body cannot hold expect live"},
      {"body result", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::Collect, 2, 0, true)}; }),
       "a collect in a body has no expected result"},
      {"nested body", make(OpCode::SetFinalizer, [](Op& o) { o.body = {body(OpCode::NewWeakref, 0, 0, true)}; }),
       "bodies do not nest"},
      {"referent", make(OpCode::NewWeakref, [](Op& o) { o.source = 2; }), "name index 2"},
      {"debug flag", make(OpCode::SetDebug, [](Op& o) { o.value = 2; }), "debug flag 2"},
      {"finalized object", make(OpCode::ExpectNotFinalized, [](Op& o) { o.object = {true, 0}; }), "serial 0"},
  };
  for (const Case& c : cases) {
    Program program;
    program.names = {"a", "b"};
    program.ops = {Op{}, c.op};  // the bad op is the second one
    program.ops[0].code = OpCode::Enable;
    std::string error;
    EXPECT_FALSE(encode_binary(program, error).has_value()) << c.what;
    EXPECT_NE(error.find("op 2"), std::string::npos) << error;
    EXPECT_NE(error.find(c.phrase), std::string::npos) << c.what << ": " << error;
  }
}

TEST(BinaryEncode, RefusesTooManyNames) {
  Program program;
  for (NameIndex i = 0; i <= kMaxNames; ++i) program.names.push_back(canonical_name(i));
  std::string error;
  EXPECT_FALSE(encode_binary(program, error).has_value());
  EXPECT_NE(error.find("65 names"), std::string::npos) << error;
  program.names.pop_back();
  EXPECT_TRUE(encode_binary(program, error).has_value());
}

TEST(BinaryEncode, UnusedThresholdValuesAreEncodedAsZero) {
  Program program;
  Op op;
  op.code = OpCode::SetThreshold;
  op.arity = 1;
  op.values = {5, 99999, 7};  // beyond the arity: ignored, not an error
  program.ops = {op};
  const Bytes bytes = encode_ok(program);
  EXPECT_EQ(bytes, record(opcode(OpCode::SetThreshold), 1, 5, 0));
  EXPECT_EQ(decode_binary(bytes).ops, program.ops);
}

}  // namespace
}  // namespace gcv
