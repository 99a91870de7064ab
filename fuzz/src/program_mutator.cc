// A structure-aware mutator for heap programs in binary form, on top of
// libFuzzer's byte mutations.
//
// A program is a sequence of 8-byte records (see program/include/gcverify/
// binary.h), so the useful edits are edits of whole operations: insert a new
// operation, delete one, duplicate one elsewhere, swap two, or change one
// operand. New operations and operands come from program_generator.h. One
// mutation in four is left to libFuzzer's byte mutations instead, and one
// in eight of the rest chooses new memory failures (the trailing bytes:
// binary.h). Crossover splices whole records of two programs and keeps the
// first one's memory failures.
// Every result is a valid program, as every byte string is. New operations
// are within the system's capabilities (a Vocabulary of them).
#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "gcverify/fuzz.h"
#include "gcverify/program_generator.h"

// Weak: a build without libFuzzer (the replay main, a unit test) may leave
// the byte mutator out, and then every mutation is structural.
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                               std::size_t max_size);

namespace gcv::fuzz {
namespace {

// Changes one operand of the record at `at`.
void change_operand(std::uint8_t* at, Random& rng, const Vocabulary& vocabulary) {
  Record r = Record::load(at);
  const Record fresh = random_record(rng, vocabulary);
  switch (rng() % 4) {
    case 0: r.a = fresh.a; break;
    case 1: r.b = fresh.b; break;
    case 2: r.c = fresh.c; break;
    default: r.op = fresh.op; break;
  }
  r.store(at);
}

// The vocabulary of the capabilities last asked for (a target asks for one).
const Vocabulary& vocabulary_of(Capabilities capabilities) {
  thread_local Capabilities cached = Capabilities::all();
  thread_local Vocabulary vocabulary = full_vocabulary();
  if (capabilities != cached) {
    vocabulary = vocabulary_within(capabilities);
    cached = capabilities;
  }
  return vocabulary;
}

}  // namespace

namespace {

// One edit of whole records (the memory failures aside).
std::size_t mutate_records(std::uint8_t* data, std::size_t size, std::size_t max_size, Random& rng,
                           const Vocabulary& vocabulary) {
  const std::size_t records = size / kRecordSize;
  const std::size_t capacity = max_size / kRecordSize;
  auto at = [&](std::size_t i) { return data + i * kRecordSize; };
  const unsigned choice = records == 0 ? 0 : rng() % 5;
  if (choice == 0 || choice == 2) {  // insert a new operation (with its body), or duplicate a record
    std::vector<Record> inserted;
    if (choice == 0) {
      inserted = random_operation(rng, vocabulary);
    } else {
      inserted.push_back(Record::load(at(rng() % records)));
    }
    if (records + inserted.size() > capacity) return size;
    const std::size_t to = rng() % (records + 1);
    std::memmove(at(to + inserted.size()), at(to), (records - to) * kRecordSize);
    for (std::size_t i = 0; i < inserted.size(); ++i) inserted[i].store(at(to + i));
    return size + inserted.size() * kRecordSize;
  }
  if (choice == 1) {  // delete a record
    const std::size_t from = rng() % records;
    std::memmove(at(from), at(from + 1), (records - from - 1) * kRecordSize);
    return size - kRecordSize;
  }
  if (choice == 3) {  // swap two records
    const std::size_t i = rng() % records, j = rng() % records;
    std::array<std::uint8_t, kRecordSize> tmp;
    std::memcpy(tmp.data(), at(i), kRecordSize);
    std::memcpy(at(i), at(j), kRecordSize);
    std::memcpy(at(j), tmp.data(), kRecordSize);
    return size;
  }
  change_operand(at(rng() % records), rng, vocabulary);
  return size;
}

// New memory failures (binary.h's trailing bytes) into `tail`: none, one
// request or every request from one on (requests 1..256, where a fuzz
// input's are), random ones, or one operation's (among the first 64);
// returns their length.
std::size_t fresh_failures(std::uint8_t* tail, Random& rng) {
  const unsigned mode = rng() % 5;
  if (mode == 4) return 0;
  const unsigned number = mode == 2 ? 2 + rng() % 31 : mode == 3 ? 1 + rng() % 64 : 1 + rng() % 256;
  tail[0] = static_cast<std::uint8_t>(mode);
  tail[1] = static_cast<std::uint8_t>(number);
  tail[2] = static_cast<std::uint8_t>(number >> 8);
  if (mode != 2) return 3;
  for (std::size_t i = 3; i < 7; ++i) tail[i] = static_cast<std::uint8_t>(rng());
  return 7;
}

}  // namespace

std::size_t mutate_program(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed,
                           Capabilities capabilities) {
  const Vocabulary& vocabulary = vocabulary_of(capabilities);
  Random rng(seed);
  if (rng() % 4 == 0 && LLVMFuzzerMutate != nullptr) return LLVMFuzzerMutate(data, size, max_size);
  // The records change and the memory failures after them stay, or (one
  // time in eight, for a system that can refuse memory) the other way round.
  std::array<std::uint8_t, kRecordSize> tail{};
  std::size_t tail_size = size % kRecordSize;
  size -= tail_size;
  std::memcpy(tail.data(), data + size, tail_size);
  if (capabilities.has(Capability::MemoryFailures) && rng() % 8 == 0)
    tail_size = fresh_failures(tail.data(), rng);
  else
    size = mutate_records(data, size, max_size, rng, vocabulary);
  if (size + tail_size > max_size) return size;
  std::memcpy(data + size, tail.data(), tail_size);
  return size + tail_size;
}

// Splices records: a prefix of one program, then a run of the other's, then
// the first one's memory failures.
std::size_t cross_over_programs(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                std::size_t size2, std::uint8_t* out, std::size_t max_out_size, unsigned int seed) {
  Random rng(seed);
  const std::size_t records1 = size1 / kRecordSize, records2 = size2 / kRecordSize;
  const std::size_t capacity = max_out_size / kRecordSize;
  const std::size_t prefix = std::min(records1 == 0 ? 0 : rng() % (records1 + 1), capacity);
  const std::size_t start = records2 == 0 ? 0 : rng() % records2;
  const std::size_t run = std::min(records2 - start, capacity - prefix);
  std::memcpy(out, data1, prefix * kRecordSize);
  std::memcpy(out + prefix * kRecordSize, data2 + start * kRecordSize, run * kRecordSize);
  const std::size_t size = (prefix + run) * kRecordSize, tail_size = size1 % kRecordSize;
  if (size + tail_size > max_out_size) return size;
  std::memcpy(out + size, data1 + size1 - tail_size, tail_size);
  return size + tail_size;
}

}  // namespace gcv::fuzz
