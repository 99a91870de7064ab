// The binary form of heap programs: fixed 8-byte records (see binary.h).
//
// Decoding reads each whole record into its four fields (opcode, a, b, c),
// takes the opcode modulo the opcode count and brings every operand into its
// range with one rule: a value already in range is kept, any other value v
// becomes lo + v % (hi - lo + 1). Keeping in-range values is what makes
// encode-then-decode the identity; the modulo is what makes every byte string
// a program, so fuzzers and reducers can mutate bytes freely.
//
// A finalizer or weakref record is followed by its body, one record per
// effect; its length field is clamped to what can follow (kMaxEffects, the
// records left), so a mutated length or a cut-off body still decodes, only
// shorter. A finalizer's body may be empty (`def __del__(self): pass`).
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

// The whole records of a byte string, front to back; a trailing partial
// record is never read.
class RecordReader {
 public:
  explicit RecordReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return (bytes_.size() - at_) / kRecordSize; }
  Record next() {
    const Record r = Record::read(bytes_.data() + at_);
    at_ += kRecordSize;
    return r;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

// A shape's length: b, with bits 16..23 from c's third byte (its low two
// bytes are the payload, its fourth is unused).
std::uint32_t shape_length(const Record& r) { return r.b | ((r.c >> 16) & 0xff) << 16; }

// The normalization rule shared by every operand.
std::uint32_t into_range(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
  if (v >= lo && v <= hi) return v;
  const std::uint64_t span = std::uint64_t{hi} - lo + 1;
  return static_cast<std::uint32_t>(lo + v % span);
}

// The fewest effects a body has: none (an empty finalizer; no callback).
std::size_t min_body_length(OpCode) { return 0; }

// The effects that follow an op's record, from its length field: none for an
// op without a body, else clamped to kMaxEffects and to the records left.
std::size_t body_length(OpCode code, std::uint16_t length, std::size_t records_left) {
  if (code != OpCode::SetFinalizer && code != OpCode::NewWeakref) return 0;
  return std::min({std::max<std::size_t>(length, min_body_length(code)), kMaxEffects, records_left});
}

// Decodes records into ops, remembering how many names they use so the
// program's name table can be sized to cover them.
class RecordDecoder {
 public:
  // The next op and its body; nullopt for a finalizer with no record left
  // for its body.
  std::optional<Op> decode(RecordReader& reader) {
    const Record r = reader.next();
    const auto code = static_cast<OpCode>(r.opcode % kOpCodeCount);
    const std::size_t length = body_length(code, r.b, reader.remaining());
    if (length < min_body_length(code)) return std::nullopt;  // before its names count
    Op op = decode_op(code, r);
    for (std::size_t i = 0; i < length; ++i) op.effects.push_back(decode_effect(reader.next()));
    return op;
  }

  // Names used so far cover indices 0..name_count()-1.
  std::size_t name_count() const { return name_count_; }

 private:
  Op decode_op(OpCode code, const Record& r) {
    Op op;
    op.code = code;
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
      case OpCode::Deref:
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
      case OpCode::SetLegacyFinalizer:
      case OpCode::SetFinalizer:  // body length in b
        op.target = name(r.a);
        break;
      case OpCode::RemoveSlot:
      case OpCode::LoadGarbage:
        op.target = name(r.a);
        op.index = r.c;
        break;
      case OpCode::NewWeakref:  // body length in b
        op.target = name(r.a);
        op.source = name(r.c & 0xff);
        break;
      case OpCode::Cycle:
      case OpCode::Chain:
      case OpCode::Clique:
        op.target = name(r.a);
        op.count = into_range(shape_length(r), 1, op.code == OpCode::Clique ? kMaxCliqueSize : kMaxChainLength);
        op.size = payload(r.c & kU16Max);
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
      case OpCode::ExpectFinalized:
      case OpCode::ExpectNotFinalized:
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
      case OpCode::ExpectGarbage:
        op.value = r.c;
        break;
      case OpCode::SetDebug:
        op.value = into_range(r.c, 0, 1);
        break;
      case OpCode::Enable:
      case OpCode::Disable:
      case OpCode::Freeze:
      case OpCode::Unfreeze:
      case OpCode::ClearGarbage:
      case OpCode::kCount:
        break;
    }
    return op;
  }

  Effect decode_effect(const Record& r) {
    Effect effect;
    effect.code = static_cast<EffectCode>(r.opcode % kEffectCodeCount);
    switch (effect.code) {
      case EffectCode::BindSelf:
      case EffectCode::Unbind:
      case EffectCode::AppendSelfTo:
      case EffectCode::AppendToSelf:
        effect.name = name(r.a);
        break;
      case EffectCode::NewContainer:
        effect.name = name(r.a);
        effect.size = payload(r.c);
        break;
      case EffectCode::LoadSlot:
        effect.name = name(r.a);
        effect.source = name(r.b);
        effect.index = r.c;
        break;
      case EffectCode::Deref:
        effect.name = name(r.a);
        effect.source = name(r.b);
        break;
      case EffectCode::Collect:
        effect.generation = static_cast<int>(into_range(r.c, 0, 2));
        break;
      case EffectCode::ClearSelf:
      case EffectCode::kCount:
        break;
    }
    return effect;
  }

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

// Builds one op's records (its own, then its body's), checking each field
// against what the record can carry; the first field out of range sets `error`.
class RecordEncoder {
 public:
  RecordEncoder(const Program& program, std::string& error) : program_(program), error_(error) {}

  bool encode(const Op& op, std::vector<Record>& out) {
    Record r;
    body_.clear();
    if (!encode_op(op, r)) return false;
    out.push_back(r);
    out.insert(out.end(), body_.begin(), body_.end());
    return true;
  }

 private:
  bool encode_op(const Op& op, Record& r) {
    r.opcode = static_cast<std::uint8_t>(op.code);
    switch (op.code) {
      case OpCode::NewContainer:
      case OpCode::NewStr:
        return name(op.target, r.a) && field("payload", op.size, kMinPayload, kMaxPayload, r.c);
      case OpCode::NewInt:
        return name(op.target, r.a) && int_value(op.value, r.c);
      case OpCode::Bind:
      case OpCode::Append:
      case OpCode::Deref:
        return name(op.target, r.a) && name(op.source, r.b);
      case OpCode::LoadSlot:
      case OpCode::SetSlot:
        return name(op.target, r.a) && name(op.source, r.b) && field("slot index", op.index, 0, kU32Max, r.c);
      case OpCode::Unbind:
      case OpCode::SetLegacyFinalizer:
        return name(op.target, r.a);
      case OpCode::RemoveSlot:
      case OpCode::LoadGarbage:
        return name(op.target, r.a) && field("index", op.index, 0, kU32Max, r.c);
      case OpCode::SetFinalizer:
        return name(op.target, r.a) && body(op, r);
      case OpCode::NewWeakref:
        return name(op.target, r.a) && name(op.source, r.c) && body(op, r);
      case OpCode::Cycle:
      case OpCode::Chain:
      case OpCode::Clique: {
        std::uint32_t length = 0;
        if (!name(op.target, r.a) ||
            !field("length", op.count, 1, op.code == OpCode::Clique ? kMaxCliqueSize : kMaxChainLength, length) ||
            !field("payload", op.size, kMinPayload, kMaxPayload, r.c))
          return false;
        r.b = static_cast<std::uint16_t>(length);
        r.c |= (length >> 16) << 16;  // see shape_length
        return true;
      }
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
      case OpCode::ExpectFinalized:
      case OpCode::ExpectNotFinalized:
        return object(op.object, r);
      case OpCode::ExpectRefcount:
        return object(op.object, r) && field("refcount", op.value, 0, kMaxSmallValue, r.b);
      case OpCode::ExpectGeneration:
        return object(op.object, r) && field("generation", op.generation, 0, kPermanentGeneration, r.b);
      case OpCode::ExpectFreezeCount:
      case OpCode::ExpectLive:
      case OpCode::ExpectGarbage:
        return field("count", op.value, 0, kU32Max, r.c);
      case OpCode::SetDebug:
        return field("debug flag", op.value, 0, 1, r.c);
      case OpCode::Enable:
      case OpCode::Disable:
      case OpCode::Freeze:
      case OpCode::Unfreeze:
      case OpCode::ClearGarbage:
        return true;
      case OpCode::kCount:
        break;
    }
    return fail("opcode " + std::to_string(static_cast<int>(op.code)) + " does not exist");
  }

  // The body's length into the op's b, its effects into body_.
  bool body(const Op& op, Record& r) {
    if (!field("body length", static_cast<std::int64_t>(op.effects.size()),
               static_cast<std::int64_t>(min_body_length(op.code)), kMaxEffects, r.b))
      return false;
    for (const Effect& effect : op.effects) {
      Record e;
      if (!encode_effect(effect, e)) return false;
      body_.push_back(e);
    }
    return true;
  }

  bool encode_effect(const Effect& effect, Record& r) {
    r.opcode = static_cast<std::uint8_t>(effect.code);
    switch (effect.code) {
      case EffectCode::BindSelf:
      case EffectCode::Unbind:
      case EffectCode::AppendSelfTo:
      case EffectCode::AppendToSelf:
        return name(effect.name, r.a);
      case EffectCode::NewContainer:
        return name(effect.name, r.a) && field("payload", effect.size, kMinPayload, kMaxPayload, r.c);
      case EffectCode::LoadSlot:
        return name(effect.name, r.a) && name(effect.source, r.b) && field("slot index", effect.index, 0, kU32Max, r.c);
      case EffectCode::Deref:
        return name(effect.name, r.a) && name(effect.source, r.b);
      case EffectCode::Collect:
        return field("generation", effect.generation, 0, 2, r.c);
      case EffectCode::ClearSelf:
        return true;
      case EffectCode::kCount:
        break;
    }
    return fail("effect code " + std::to_string(static_cast<int>(effect.code)) + " does not exist");
  }

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
  std::vector<Record> body_;  // the current op's body records
};

}  // namespace

Program decode_binary(std::span<const std::uint8_t> bytes, std::size_t max_ops) {
  Program program;
  program.origin = "<binary>";
  RecordReader reader(bytes);
  RecordDecoder decoder;
  while (reader.remaining() > 0 && program.ops.size() < max_ops)
    if (std::optional<Op> op = decoder.decode(reader)) program.ops.push_back(*std::move(op));
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
  std::vector<Record> records;
  records.reserve(program.ops.size());
  RecordEncoder encoder(program, error);
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const Op& op = program.ops[i];
    if (!encoder.encode(op, records)) {
      const std::string line = op.where.line ? " (line " + std::to_string(op.where.line) + ")" : "";
      error = "op " + std::to_string(i + 1) + line + ": " + error;
      return std::nullopt;
    }
  }
  std::vector<std::uint8_t> out;
  out.reserve(records.size() * kRecordSize);
  for (const Record& r : records) r.write(out);
  return out;
}

}  // namespace gcv
