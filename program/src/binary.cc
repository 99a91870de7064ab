// The binary form of heap programs: fixed 8-byte records (see binary.h).
//
// Decoding reads each whole record into its four fields (opcode, a, b, c),
// takes the opcode modulo the opcode count and brings every operand into its
// range with one rule: a value already in range is kept, any other value v
// becomes lo + v % (hi - lo + 1). Keeping in-range values is what makes
// encode-then-decode the identity; the modulo is what makes every byte string
// a program, so fuzzers and reducers can mutate bytes freely. Which record
// field holds which operand, and each operand's range, come from the
// operation's row of operations.def (its `record`) and program.h's kFields.
//
// A finalizer or weakref record is followed by its body, one record per
// operation; its length field is clamped to what can follow (kMaxBodyLength,
// the records left), so a mutated length or a cut-off body still decodes,
// only shorter. A finalizer's body may be empty (`def __del__(self): pass`);
// a weakref's length is one more than its callback's, 0 for none. A body's
// record is decoded as the record of its row, with its own opcode numbering
// (the rows a body may hold) and `self` among the names it reads.
//
// Encoding is the inverse for valid ops and refuses (with a reason) any op
// field that the record cannot carry or that decoding would change.
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/binary.h"
#include "per_operation.h"

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
  // The bytes after the last whole record.
  std::span<const std::uint8_t> tail() const { return bytes_.subspan(bytes_.size() - bytes_.size() % kRecordSize); }
  Record next() {
    const Record r = Record::read(bytes_.data() + at_);
    at_ += kRecordSize;
    return r;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

// The normalization rule shared by every operand.
std::uint32_t into_range(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
  if (v >= lo && v <= hi) return v;
  const std::uint64_t span = std::uint64_t{hi} - lo + 1;
  return static_cast<std::uint32_t>(lo + v % span);
}

// Where a field lives in a record: operations.def's `record` column.
enum class Slot { A, B, C, CLow8, CLow16, BAndC2, BC, ABC, AC, BLow8, BHigh8 };  // kRecordSlots' order
struct Placement {
  Slot slot;
  Field field;
};

// program.h's kRecordSlots, in order.
Slot slot_named(std::string_view name) {
  static_assert(std::size(kRecordSlots) == static_cast<std::size_t>(Slot::BHigh8) + 1, "one Slot per record slot");
  std::size_t i = 0;
  while (i + 1 < std::size(kRecordSlots) && kRecordSlots[i] != name) ++i;
  return static_cast<Slot>(i);  // known: program.h checks every record at compile time
}

std::vector<Placement> read_record(std::string_view record) {
  std::vector<Placement> placements;
  for (std::size_t at = 0; at < record.size();) {
    const std::size_t colon = record.find(':', at);
    std::size_t end = record.find(' ', colon);
    if (end == std::string_view::npos) end = record.size();
    placements.push_back({slot_named(record.substr(at, colon - at)), field_named(record.substr(colon + 1, end - colon - 1))});
    at = end + 1;
  }
  return placements;
}

const std::vector<Placement>& record_layout(OpCode code) {
  return per_operation<[](const OperationInfo& row) { return read_record(row.record); }>(code);
}

// The bits of a one-slot field.
std::uint32_t read_slot(const Record& r, Slot slot) {
  switch (slot) {
    case Slot::A: return r.a;
    case Slot::B: return r.b;
    case Slot::CLow8: return r.c & 0xff;
    case Slot::CLow16: return r.c & kU16Max;
    case Slot::BAndC2: return r.b | ((r.c >> 16) & 0xff) << 16;
    case Slot::BLow8: return r.b & 0xff;
    case Slot::BHigh8: return r.b >> 8;
    default: return r.c;
  }
}
std::uint32_t slot_max(Slot slot) {
  switch (slot) {
    case Slot::A:
    case Slot::CLow8:
    case Slot::BLow8:
    case Slot::BHigh8: return 0xff;
    case Slot::B:
    case Slot::CLow16: return kU16Max;
    case Slot::BAndC2: return 0xff'ffff;
    default: return kU32Max;
  }
}
// Writes into a record that starts zeroed, so fields sharing c combine.
void write_slot(Record& r, Slot slot, std::uint32_t v) {
  switch (slot) {
    case Slot::A: r.a = static_cast<std::uint8_t>(v); break;
    case Slot::B: r.b = static_cast<std::uint16_t>(v); break;
    case Slot::BLow8: r.b = static_cast<std::uint16_t>(r.b | v); break;
    case Slot::BHigh8: r.b = static_cast<std::uint16_t>(r.b | v << 8); break;
    case Slot::BAndC2:
      r.b = static_cast<std::uint16_t>(v);
      r.c |= (v >> 16) << 16;
      break;
    default: r.c |= v; break;
  }
}

// Whether an op's record (its length field `b`) announces a body: always
// for a finalizer, for a weakref when `b` is not 0.
bool announces_body(OpCode code, std::uint16_t b) {
  const OperationInfo& info = operation_info(code);
  return (info.operands & kBody) != 0 && (!info.optional_body || b != 0);
}
// The operations of the body that follows, clamped to kMaxBodyLength and to
// the records left.
std::size_t body_length(OpCode code, std::uint16_t b, std::size_t records_left) {
  const std::size_t length = operation_info(code).optional_body ? b - 1u : b;
  return std::min({length, kMaxBodyLength, records_left});
}
// A body's records number the rows a body may hold apart.
std::uint8_t body_opcode(OpCode code) {
  return static_cast<std::uint8_t>(std::find(kBodyOpCodes.begin(), kBodyOpCodes.end(), code) - kBodyOpCodes.begin());
}

// Decodes records into ops, remembering how many names they use so the
// program's name table can be sized to cover them.
class RecordDecoder {
 public:
  // The next op and its body.
  Op decode(RecordReader& reader) {
    const Record r = reader.next();
    const auto code = static_cast<OpCode>(r.opcode % kOpCodeCount);
    Op op = decode_op(code, r, /*in_body=*/false);
    if (!announces_body(code, r.b)) return op;
    op.has_body = true;
    const std::size_t length = body_length(code, r.b, reader.remaining());
    for (std::size_t i = 0; i < length; ++i) {
      const Record inner = reader.next();
      op.body.push_back(decode_op(kBodyOpCodes[inner.opcode % kBodyOpCodeCount], inner, /*in_body=*/true));
    }
    return op;
  }

  // Names used so far cover indices 0..name_count()-1.
  std::size_t name_count() const { return name_count_; }

 private:
  // A body's op has no body of its own and no expected result.
  Op decode_op(OpCode code, const Record& r, bool in_body) {
    Op op;
    op.code = code;
    for (const Placement& at : record_layout(code))
      if (!in_body || (at.field != Field::Result && at.field != Field::Body)) decode_field(at, r, op, in_body);
    return op;
  }

  void decode_field(const Placement& at, const Record& r, Op& op, bool in_body) {
    const std::uint32_t bits = read_slot(r, at.slot);
    const auto number = [&] { return into_range(bits, lo(at.field), hi(at.field)); };
    if (is_name_field(at.field)) {
      name_operand(op, at.field) = in_body && may_be_self(at.field) ? name_or_self(bits) : name(bits);
      return;
    }
    switch (at.field) {
      case Field::Index:
      case Field::GarbageIndex:
      case Field::SmallIndex: op.index = number(); break;
      case Field::Size: op.size = number(); break;
      case Field::Length:
      case Field::CliqueSize: op.count = number(); break;
      case Field::Int: op.value = static_cast<std::int32_t>(bits); break;
      case Field::CollectGeneration:
      case Field::Generation: op.generation = static_cast<int>(number()); break;
      case Field::Result:
        op.has_expected = r.b & 1;
        op.value = op.has_expected ? r.c : 0;
        break;
      case Field::Thresholds:
        // Values a lower arity does not give decode to 0, whatever the bytes.
        op.arity = static_cast<std::uint8_t>(into_range(r.a, 1, 3));
        op.values = {r.b, op.arity >= 2 ? r.c & kU16Max : 0, op.arity >= 3 ? r.c >> 16 : 0};
        break;
      case Field::Counts:
      case Field::ThresholdValues: op.values = {r.b, r.c & kU16Max, r.c >> 16}; break;
      case Field::Object: op.object = object(r); break;
      case Field::Refcount:
      case Field::FreezeCount:
      case Field::LiveCount:
      case Field::GarbageCount:
      case Field::DebugFlag: op.value = number(); break;
      default: break;  // a body's length is read by decode()
    }
  }

  static std::uint32_t lo(Field field) { return static_cast<std::uint32_t>(field_info(field).lo); }
  static std::uint32_t hi(Field field) { return static_cast<std::uint32_t>(field_info(field).hi); }

  NameIndex name(std::uint32_t v) {
    const auto i = static_cast<NameIndex>(v % kMaxNames);
    name_count_ = std::max<std::size_t>(name_count_, i + 1);
    return i;
  }
  // A name a body's operation reads: one of kMaxNames, or self.
  NameIndex name_or_self(std::uint32_t v) {
    const std::uint32_t i = v % (kMaxNames + 1);
    return i == kSelf ? kSelf : name(i);
  }
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
    if (!encode_op(op, r, /*in_body=*/false)) return false;
    out.push_back(r);
    out.insert(out.end(), body_.begin(), body_.end());
    return true;
  }

 private:
  bool encode_op(const Op& op, Record& r, bool in_body) {
    if (op.code >= OpCode::kCount) return fail("opcode " + std::to_string(static_cast<int>(op.code)) + " does not exist");
    if (in_body && !in_body_vocabulary(op.code)) return fail(std::string("a body cannot hold ") + operation_info(op.code).words);
    r.opcode = in_body ? body_opcode(op.code) : static_cast<std::uint8_t>(op.code);
    in_body_ = in_body;
    for (const Placement& at : record_layout(op.code))
      if (!encode_field(at, op, r)) return false;
    return true;
  }

  bool encode_field(const Placement& at, const Op& op, Record& r) {
    const FieldInfo& info = field_info(at.field);
    std::uint32_t bits = 0;
    const auto number = [&](std::int64_t v) {
      return field(info.what, v, info.lo, std::min<std::int64_t>(info.hi, slot_max(at.slot)), bits);
    };
    bool ok = true;
    switch (at.field) {
      case Field::Index:
      case Field::GarbageIndex:
      case Field::SmallIndex: ok = number(op.index); break;
      case Field::Size: ok = number(op.size); break;
      case Field::Length:
      case Field::CliqueSize: ok = number(op.count); break;
      case Field::Int: {
        std::int32_t narrow = 0;
        ok = field(info.what, op.value, info.lo, info.hi, narrow);
        bits = static_cast<std::uint32_t>(narrow);
        break;
      }
      case Field::CollectGeneration:
      case Field::Generation: ok = number(op.generation); break;
      case Field::Result:
        if (in_body_ && op.has_expected) return fail("a collect in a body has no expected result");
        if (in_body_) return true;
        r.b = op.has_expected;
        return !op.has_expected || field(info.what, op.value, info.lo, info.hi, r.c);
      case Field::Thresholds: return field("arity", op.arity, 1, 3, r.a) && values(info, op, op.arity, r);
      case Field::Counts:
      case Field::ThresholdValues: return values(info, op, 3, r);
      case Field::Object: return object(op.object, r);
      case Field::Refcount:
      case Field::FreezeCount:
      case Field::LiveCount:
      case Field::GarbageCount:
      case Field::DebugFlag: ok = number(op.value); break;
      case Field::Body: return body(op, r);
      default:  // the names
        if (name_operand(op, at.field) == kSelf && in_body_ && may_be_self(at.field)) bits = kSelf;
        else ok = name(name_operand(op, at.field), bits);
        break;
    }
    if (ok) write_slot(r, at.slot, bits);
    return ok;
  }

  // The body's length into the op's b (one more for a callback, 0 for
  // none), its operations into body_.
  bool body(const Op& op, Record& r) {
    if (in_body_) return has_body(op) ? fail("bodies do not nest: a weakref made in a body has no callback") : true;
    if (!has_body(op)) return true;
    const bool optional = operation_info(op.code).optional_body;
    if (!field("body length", static_cast<std::int64_t>(op.body.size()), 0, kMaxBodyLength, r.b)) return false;
    r.b += optional ? 1 : 0;
    for (const Op& inner : op.body) {
      Record e;
      if (!encode_op(inner, e, /*in_body=*/true)) return false;
      body_.push_back(e);
    }
    in_body_ = false;
    return true;
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
  // The first `n` of op.values into b and c; values beyond n are encoded 0.
  bool values(const FieldInfo& info, const Op& op, std::size_t n, Record& r) {
    std::uint16_t v[3] = {0, 0, 0};
    for (std::size_t i = 0; i < n; ++i)
      if (!field(info.what, op.values[i], info.lo, info.hi, v[i])) return false;
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
  bool in_body_ = false;      // encoding one of them
};

}  // namespace

namespace {

// The memory failures in a trailing partial record (binary.h): byte 0 the
// mode, bytes 1-2 the request or one_in, bytes 3-6 the seed.
constexpr std::size_t kFailuresBytes = 3, kRandomFailuresBytes = 7;

MemoryFailures decode_failures(std::span<const std::uint8_t> tail) {
  MemoryFailures failures;
  if (tail.size() < kFailuresBytes) return failures;
  constexpr MemoryFailures::Mode modes[] = {MemoryFailures::Mode::Once, MemoryFailures::Mode::From,
                                            MemoryFailures::Mode::Random, MemoryFailures::Mode::Operation};
  failures.mode = modes[tail[0] % std::size(modes)];
  const std::uint32_t number = into_range(tail[1] | std::uint32_t{tail[2]} << 8, 1, kU16Max);
  if (failures.mode != MemoryFailures::Mode::Random) {
    failures.request = number;
    return failures;
  }
  failures.one_in = number;
  for (std::size_t i = kFailuresBytes; i < tail.size(); ++i) failures.seed |= std::uint32_t{tail[i]} << (8 * (i - kFailuresBytes));
  return failures;
}

bool encode_failures(const MemoryFailures& failures, std::vector<std::uint8_t>& out, std::string& error) {
  if (!failures.any()) return true;
  const bool random = failures.mode == MemoryFailures::Mode::Random;
  const std::uint64_t number = random ? failures.one_in : failures.request;
  if (number < 1 || number > kU16Max) {
    error = "'# fail: " + failures.to_string() + "' does not fit the binary form (at most " + std::to_string(kU16Max) + ")";
    return false;
  }
  out.push_back(static_cast<std::uint8_t>(failures.mode) - 1);
  out.push_back(static_cast<std::uint8_t>(number));
  out.push_back(static_cast<std::uint8_t>(number >> 8));
  if (random)
    for (std::size_t i = kFailuresBytes; i < kRandomFailuresBytes; ++i)
      out.push_back(static_cast<std::uint8_t>(failures.seed >> (8 * (i - kFailuresBytes))));
  return true;
}

}  // namespace

Program decode_binary(std::span<const std::uint8_t> bytes, std::size_t max_ops) {
  Program program;
  program.origin = "<binary>";
  RecordReader reader(bytes);
  program.memory_failures = decode_failures(reader.tail());
  RecordDecoder decoder;
  while (reader.remaining() > 0 && program.ops.size() < max_ops)
    program.ops.push_back(decoder.decode(reader));
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
  if (!encode_failures(program.memory_failures, out, error)) return std::nullopt;
  return out;
}

}  // namespace gcv
