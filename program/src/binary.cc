// The binary form of heap programs: fixed 8-byte records (see binary.h).
//
// Decoding reads each whole record into its four fields (opcode, a, b, c),
// takes the opcode modulo the opcode count and brings every operand into its
// range with one rule: a value already in range is kept, any other value v
// becomes lo + v % (hi - lo + 1). Keeping in-range values is what makes
// encode-then-decode the identity; the modulo is what makes every byte string
// a program, so fuzzers and reducers can mutate bytes freely.
//
// Encoding is the inverse for valid ops and refuses (with a reason) any op
// field that the record cannot carry or that decoding would change.
#include <algorithm>
#include <limits>
#include <string>

#include "gcverify/binary.h"

namespace gcv {

namespace {

constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint8_t kBySerialBit = 0x80;  // in field a of an object reference

struct Record {
  std::uint8_t opcode = 0;
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;

  static Record read(const std::uint8_t* bytes) {
    Record r;
    r.opcode = bytes[0];
    r.a = bytes[1];
    r.b = static_cast<std::uint16_t>(bytes[2] | bytes[3] << 8);
    r.c = static_cast<std::uint32_t>(bytes[4]) | static_cast<std::uint32_t>(bytes[5]) << 8 |
          static_cast<std::uint32_t>(bytes[6]) << 16 | static_cast<std::uint32_t>(bytes[7]) << 24;
    return r;
  }
  void write(std::vector<std::uint8_t>& out) const {
    const std::uint8_t bytes[kRecordSize] = {
        opcode,
        a,
        static_cast<std::uint8_t>(b),
        static_cast<std::uint8_t>(b >> 8),
        static_cast<std::uint8_t>(c),
        static_cast<std::uint8_t>(c >> 8),
        static_cast<std::uint8_t>(c >> 16),
        static_cast<std::uint8_t>(c >> 24)};
    out.insert(out.end(), bytes, bytes + kRecordSize);
  }
};

// The normalization rule shared by every operand.
std::uint32_t into_range(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
  if (v >= lo && v <= hi) return v;
  const std::uint64_t span = std::uint64_t{hi} - lo + 1;
  return static_cast<std::uint32_t>(lo + v % span);
}

// Decodes records into ops, remembering how many names they use so the
// program's name table can be sized to cover them.
class RecordDecoder {
 public:
  Op decode(const Record& r) {
    Op op;
    op.code = static_cast<OpCode>(r.opcode % kOpCodeCount);
    switch (op.code) {
      case OpCode::NewContainer:
      case OpCode::NewStr:
        op.target = name(r.a);
        op.size = payload(r.c);
        break;
      case OpCode::NewInt:
        op.target = name(r.a);
        op.value = static_cast<std::int32_t>(r.c);
        break;
      case OpCode::Bind:
      case OpCode::Append:
        op.target = name(r.a);
        op.source = name(r.b);
        break;
      case OpCode::LoadSlot:
      case OpCode::SetSlot:
        op.target = name(r.a);
        op.source = name(r.b);
        op.index = r.c;
        break;
      case OpCode::Unbind:
        op.target = name(r.a);
        break;
      case OpCode::RemoveSlot:
        op.target = name(r.a);
        op.index = r.c;
        break;
      case OpCode::Cycle:
      case OpCode::Chain:
      case OpCode::Clique:
        op.target = name(r.a);
        op.count = into_range(r.b, 1, op.code == OpCode::Clique ? kMaxCliqueSize : kMaxChainLength);
        op.size = payload(r.c);
        break;
      case OpCode::Collect:
        op.generation = static_cast<int>(into_range(r.a, 0, 2));
        op.has_expected = r.b & 1;
        op.value = op.has_expected ? r.c : 0;
        break;
      case OpCode::SetThreshold:
        // Values a lower arity does not give decode to 0, whatever the bytes.
        op.arity = static_cast<std::uint8_t>(into_range(r.a, 1, 3));
        op.values = {r.b, op.arity >= 2 ? r.c & kU16Max : 0, op.arity >= 3 ? r.c >> 16 : 0};
        break;
      case OpCode::ExpectCount:
      case OpCode::ExpectThreshold:
        op.values = {r.b, r.c & kU16Max, r.c >> 16};
        break;
      case OpCode::ExpectAlive:
      case OpCode::ExpectDead:
        op.object = object(r);
        break;
      case OpCode::ExpectRefcount:
        op.object = object(r);
        op.value = r.b;
        break;
      case OpCode::ExpectGeneration:
        op.object = object(r);
        op.generation = static_cast<int>(into_range(r.b, 0, kPermanentGeneration));
        break;
      case OpCode::ExpectFreezeCount:
      case OpCode::ExpectLive:
        op.value = r.c;
        break;
      case OpCode::Enable:
      case OpCode::Disable:
      case OpCode::Freeze:
      case OpCode::Unfreeze:
      case OpCode::kCount:
        break;
    }
    return op;
  }

  // Names used so far cover indices 0..name_count()-1.
  std::size_t name_count() const { return name_count_; }

 private:
  NameIndex name(std::uint32_t v) {
    const auto i = static_cast<NameIndex>(v % kMaxNames);
    name_count_ = std::max<std::size_t>(name_count_, i + 1);
    return i;
  }
  static std::uint32_t payload(std::uint32_t v) { return into_range(v, kMinPayload, kMaxPayload); }
  ObjectRef object(const Record& r) {
    if (r.a & kBySerialBit) return {true, into_range(r.c, 1, kU32Max)};
    return {false, name(r.a)};
  }

  std::size_t name_count_ = 0;
};

// Builds one op's record, checking each field against what the record can
// carry; the first field out of range sets `error`.
class RecordEncoder {
 public:
  RecordEncoder(const Program& program, std::string& error) : program_(program), error_(error) {}

  bool encode(const Op& op, Record& r) {
    r.opcode = static_cast<std::uint8_t>(op.code);
    switch (op.code) {
      case OpCode::NewContainer:
      case OpCode::NewStr:
        return name(op.target, r.a) && field("payload", op.size, kMinPayload, kMaxPayload, r.c);
      case OpCode::NewInt:
        return name(op.target, r.a) && int_value(op.value, r.c);
      case OpCode::Bind:
      case OpCode::Append:
        return name(op.target, r.a) && name(op.source, r.b);
      case OpCode::LoadSlot:
      case OpCode::SetSlot:
        return name(op.target, r.a) && name(op.source, r.b) && field("slot index", op.index, 0, kU32Max, r.c);
      case OpCode::Unbind:
        return name(op.target, r.a);
      case OpCode::RemoveSlot:
        return name(op.target, r.a) && field("slot index", op.index, 0, kU32Max, r.c);
      case OpCode::Cycle:
      case OpCode::Chain:
      case OpCode::Clique:
        return name(op.target, r.a) &&
               field("length", op.count, 1, op.code == OpCode::Clique ? kMaxCliqueSize : kMaxChainLength, r.b) &&
               field("payload", op.size, kMinPayload, kMaxPayload, r.c);
      case OpCode::Collect:
        r.b = op.has_expected;
        return field("generation", op.generation, 0, 2, r.a) &&
               (!op.has_expected || field("expected result", op.value, 0, kU32Max, r.c));
      case OpCode::SetThreshold:
        return field("arity", op.arity, 1, 3, r.a) && values(op, op.arity, r);
      case OpCode::ExpectCount:
      case OpCode::ExpectThreshold:
        return values(op, 3, r);
      case OpCode::ExpectAlive:
      case OpCode::ExpectDead:
        return object(op.object, r);
      case OpCode::ExpectRefcount:
        return object(op.object, r) && field("refcount", op.value, 0, kMaxSmallValue, r.b);
      case OpCode::ExpectGeneration:
        return object(op.object, r) && field("generation", op.generation, 0, kPermanentGeneration, r.b);
      case OpCode::ExpectFreezeCount:
      case OpCode::ExpectLive:
        return field("count", op.value, 0, kU32Max, r.c);
      case OpCode::Enable:
      case OpCode::Disable:
      case OpCode::Freeze:
      case OpCode::Unfreeze:
        return true;
      case OpCode::kCount:
        break;
    }
    return fail("opcode " + std::to_string(static_cast<int>(op.code)) + " does not exist");
  }

 private:
  bool fail(const std::string& reason) {
    error_ = reason;
    return false;
  }

  template <typename Out>
  bool field(const char* what, std::int64_t v, std::int64_t lo, std::int64_t hi, Out& out) {
    if (v < lo || v > hi)
      return fail(std::string(what) + " " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                  std::to_string(hi));
    out = static_cast<Out>(v);
    return true;
  }
  template <typename Out>
  bool name(NameIndex i, Out& out) {
    if (i >= program_.names.size())
      return fail("name index " + std::to_string(i) + " is not one of the program's " +
                  std::to_string(program_.names.size()) + " names");
    out = static_cast<Out>(i);
    return true;
  }
  bool int_value(std::int64_t v, std::uint32_t& out) {
    std::int32_t narrow = 0;
    if (!field("int value", v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), narrow))
      return false;
    out = static_cast<std::uint32_t>(narrow);
    return true;
  }
  // The first `n` of op.values into b and c; values beyond n are encoded 0.
  bool values(const Op& op, std::size_t n, Record& r) {
    std::uint16_t v[3] = {0, 0, 0};
    for (std::size_t i = 0; i < n; ++i)
      if (!field("value", op.values[i], 0, kU16Max, v[i])) return false;
    r.b = v[0];
    r.c = v[1] | static_cast<std::uint32_t>(v[2]) << 16;
    return true;
  }
  bool object(const ObjectRef& object, Record& r) {
    if (!object.by_serial) return name(object.value, r.a);
    r.a = kBySerialBit;
    return field("serial", object.value, 1, kU32Max, r.c);
  }

  const Program& program_;
  std::string& error_;
};

}  // namespace

Program decode_binary(std::span<const std::uint8_t> bytes) {
  Program program;
  program.origin = "<binary>";
  RecordDecoder decoder;
  for (std::size_t at = 0; at + kRecordSize <= bytes.size(); at += kRecordSize)
    program.ops.push_back(decoder.decode(Record::read(bytes.data() + at)));
  for (std::size_t i = 0; i < decoder.name_count(); ++i)
    program.names.push_back(canonical_name(static_cast<NameIndex>(i)));
  return program;
}

std::optional<std::vector<std::uint8_t>> encode_binary(const Program& program, std::string& error) {
  if (program.names.size() > kMaxNames) {
    error = "the program has " + std::to_string(program.names.size()) + " names; at most " +
            std::to_string(kMaxNames) + " fit the binary form";
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  out.reserve(program.ops.size() * kRecordSize);
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    Record r;
    const Op& op = program.ops[i];
    if (!RecordEncoder(program, error).encode(op, r)) {
      const std::string line = op.where.line ? " (line " + std::to_string(op.where.line) + ")" : "";
      error = "op " + std::to_string(i + 1) + line + ": " + error;
      return std::nullopt;
    }
    r.write(out);
  }
  return out;
}

}  // namespace gcv
