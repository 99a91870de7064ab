// The structure-aware mutator and crossover of the differential target: they
// edit whole 8-byte records, respect the size limit, are deterministic for a
// seed, and fall back on libFuzzer's byte mutator for some seeds.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "gcverify/fuzz.h"
#include "gcverify/binary.h"

namespace {

std::size_t byte_mutations = 0;

}  // namespace

// Stands in for libFuzzer's mutator: counts the calls and flips a byte.
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t) {
  ++byte_mutations;
  if (size > 0) data[0] ^= 0x5a;
  return size;
}

namespace {

std::vector<std::uint8_t> program_of(std::size_t records) {
  std::vector<std::uint8_t> bytes(records * gcv::kRecordSize);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
  return bytes;
}

TEST(ProgramMutator, EditsWholeRecordsWithinTheLimit) {
  constexpr std::size_t kMax = 16 * gcv::kRecordSize;
  std::set<std::size_t> sizes;
  std::size_t fell_back = 0;
  for (unsigned seed = 0; seed < 2000; ++seed) {
    std::vector<std::uint8_t> data = program_of(seed % 17);
    const std::size_t size = data.size();
    data.resize(kMax);
    const std::size_t before = byte_mutations;
    const std::size_t out = gcv::fuzz::mutate_program(data.data(), size, kMax, seed);
    ASSERT_LE(out, kMax);
    sizes.insert(out);
    if (byte_mutations != before) {
      ++fell_back;
    } else {  // whole records, then memory failures (binary.h) or nothing
      const std::size_t tail = out % gcv::kRecordSize;
      ASSERT_TRUE(tail == 0 || tail == 3 || tail == 7) << "seed " << seed << ": " << tail;
    }
  }
  EXPECT_GT(fell_back, 200u);                         // about one in four falls back on byte mutations
  EXPECT_LT(fell_back, 800u);
  EXPECT_GT(sizes.size(), 10u);                       // inserts and deletes change the length
}

// The memory failures after the records stay while the records change; one
// structural mutation in eight chooses new ones instead, for a system that
// can refuse memory only.
TEST(ProgramMutator, KeepsOrChoosesTheMemoryFailures) {
  const std::vector<std::uint8_t> failures = {1, 5, 0};  // from request 5
  std::size_t kept = 0, chosen = 0;
  for (unsigned seed = 0; seed < 2000; ++seed) {
    std::vector<std::uint8_t> data = program_of(4);
    data.insert(data.end(), failures.begin(), failures.end());
    const std::size_t size = data.size();
    data.resize(64 * gcv::kRecordSize);
    const std::size_t before = byte_mutations;
    const std::size_t out = gcv::fuzz::mutate_program(data.data(), size, data.size(), seed);
    if (byte_mutations != before) continue;
    const std::vector<std::uint8_t> tail(data.begin() + static_cast<std::ptrdiff_t>(out - out % gcv::kRecordSize),
                                         data.begin() + static_cast<std::ptrdiff_t>(out));
    (tail == failures ? kept : chosen) += 1;
    const gcv::Program program = gcv::decode_binary({data.data(), out});
    if (tail.size() >= 3) ASSERT_TRUE(program.memory_failures.any()) << "seed " << seed;
    // Without memory_failures the failures are never changed.
    std::vector<std::uint8_t> other = program_of(4);
    other.insert(other.end(), failures.begin(), failures.end());
    other.resize(64 * gcv::kRecordSize);
    const std::size_t other_before = byte_mutations;
    const std::size_t other_out = gcv::fuzz::mutate_program(
        other.data(), size, other.size(), seed, gcv::Capabilities::all().without(gcv::Capability::MemoryFailures));
    if (byte_mutations == other_before)
      ASSERT_EQ(std::vector<std::uint8_t>(other.begin() + static_cast<std::ptrdiff_t>(other_out - other_out % gcv::kRecordSize),
                                          other.begin() + static_cast<std::ptrdiff_t>(other_out)),
                failures)
          << "seed " << seed;
  }
  EXPECT_GT(kept, 1000u);
  EXPECT_GT(chosen, 100u);  // about one structural mutation in eight
  EXPECT_LT(chosen, 400u);
}

TEST(ProgramMutator, IsDeterministicForASeedAndChangesTheProgram) {
  std::size_t changed = 0;
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::vector<std::uint8_t> a = program_of(8), b = program_of(8);
    a.resize(512);
    b.resize(512);
    const std::size_t na = gcv::fuzz::mutate_program(a.data(), 64, 512, seed);
    const std::size_t nb = gcv::fuzz::mutate_program(b.data(), 64, 512, seed);
    ASSERT_EQ(na, nb);
    ASSERT_EQ(a, b);
    const std::vector<std::uint8_t> original = program_of(8);
    changed += na != 64 || !std::equal(a.begin(), a.begin() + 64, original.begin());
  }
  EXPECT_GT(changed, 150u);  // a few swaps of equal records may leave it as it was
}

TEST(ProgramMutator, GrowsAnEmptyProgram) {
  std::vector<std::uint8_t> data(64);
  std::size_t grew = 0;
  for (unsigned seed = 0; seed < 100; ++seed) grew += gcv::fuzz::mutate_program(data.data(), 0, 64, seed) == gcv::kRecordSize;
  EXPECT_GT(grew, 50u);
}

// What the mutator inserts for a system without weakrefs and gc.garbage
// decodes into operations it can run (byte mutations aside).
TEST(ProgramMutator, InsertsOnlyWhatTheSystemCanRun) {
  const gcv::Capabilities few =
      gcv::Capabilities::all().without(gcv::Capability::Weakrefs).without(gcv::Capability::Garbage);
  for (unsigned seed = 0; seed < 500; ++seed) {
    std::vector<std::uint8_t> data(64 * gcv::kRecordSize);
    const std::size_t before = byte_mutations;
    std::size_t size = 0;
    for (unsigned step = 0; step < 8; ++step) size = gcv::fuzz::mutate_program(data.data(), size, data.size(), seed * 8 + step, few);
    if (byte_mutations != before) continue;
    data.resize(size);
    for (const gcv::Op& op : gcv::decode_binary(data).ops)
      ASSERT_TRUE(few.contains(gcv::needed_capabilities(op))) << "seed " << seed << ": " << gcv::operation_info(op.code).words;
  }
}

TEST(ProgramCrossOver, SplicesRecordsWithinTheLimit) {
  const std::vector<std::uint8_t> first = program_of(10), second = program_of(7);
  for (unsigned seed = 0; seed < 500; ++seed) {
    const std::size_t max_out = (seed % 20) * gcv::kRecordSize + seed % 8;
    std::vector<std::uint8_t> out(max_out + 1, 0xee);
    const std::size_t n = gcv::fuzz::cross_over_programs(first.data(), first.size(), second.data(), second.size(),
                                                    out.data(), max_out, seed);
    ASSERT_LE(n, max_out);
    ASSERT_EQ(n % gcv::kRecordSize, 0u);
    EXPECT_EQ(out[max_out], 0xee);  // nothing written past the limit
    // Every record of the result is a record of one of the parents.
    for (std::size_t at = 0; at < n; at += gcv::kRecordSize) {
      bool found = false;
      for (const auto* parent : {&first, &second})
        for (std::size_t p = 0; p < parent->size() && !found; p += gcv::kRecordSize)
          found = std::equal(out.begin() + at, out.begin() + at + gcv::kRecordSize, parent->begin() + p);
      ASSERT_TRUE(found) << "seed " << seed << " record at " << at;
    }
  }
}

}  // namespace
