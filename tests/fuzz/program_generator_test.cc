// The fuzz generator (the custom mutator's and bench/generate_programs'
// source of operations) produces every operation of operations.def but the
// expectations, as the binary form decodes them, and reaches the heap's
// limits (a change that narrows it fails here, not silently).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "gcverify/binary.h"
#include "gcverify/program_generator.h"

namespace gcv {
namespace {

// 20,000 generated operations (with their bodies), decoded.
std::vector<Op> generated_operations(const fuzz::Vocabulary& vocabulary = fuzz::full_vocabulary()) {
  fuzz::Random rng(1);
  std::vector<Op> ops;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> bytes;
    for (const fuzz::Record& record : fuzz::random_operation(rng, vocabulary)) {
      bytes.resize(bytes.size() + kRecordSize);
      record.store(bytes.data() + bytes.size() - kRecordSize);
    }
    for (const Op& op : decode_binary(bytes).ops) ops.push_back(op);
  }
  return ops;
}

TEST(ProgramGenerator, ProducesEveryOperationButTheExpectations) {
  std::set<OpCode> produced;
  for (const Op& op : generated_operations()) produced.insert(op.code);
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    EXPECT_EQ(produced.count(static_cast<OpCode>(c)), kOperations[c].expectation ? 0u : 1u) << kOperations[c].words;
}

// For a system of fewer capabilities, only what it can run, and still every
// operation of those.
TEST(ProgramGenerator, StaysWithinASystemsCapabilities) {
  const Capabilities few = Capabilities::all()
                               .without(Capability::Generations)
                               .without(Capability::Freeze)
                               .without(Capability::WeakrefCallbacks)
                               .without(Capability::Garbage);
  std::set<OpCode> produced;
  for (const Op& op : generated_operations(fuzz::vocabulary_within(few))) {
    ASSERT_TRUE(few.contains(needed_capabilities(op))) << operation_info(op.code).words;
    produced.insert(op.code);
  }
  for (OpCode code : {OpCode::NewWeakref, OpCode::Deref, OpCode::SetFinalizer, OpCode::Collect, OpCode::Clique})
    EXPECT_EQ(produced.count(code), 1u) << operation_info(code).words;
  const Capabilities least = Capabilities().with(Capability::ContainerPayload);
  for (const Op& op : generated_operations(fuzz::vocabulary_within(least)))
    ASSERT_TRUE(needed_capabilities(op).empty()) << operation_info(op.code).words;
}

// Chains and cycles past the trashcan's 50 levels and the list free list's
// 80 entries, the largest clique, a payload in every 16-byte size class up to
// 512 bytes, past the small-object limit, past a pool and the largest.
TEST(ProgramGenerator, ReachesTheHeapsLimits) {
  std::uint32_t longest = 0, largest_clique = 0, largest_payload = 0;
  std::set<std::uint32_t> small_classes;
  for (const Op& op : generated_operations()) {
    if (op.code == OpCode::Chain || op.code == OpCode::Cycle) longest = std::max(longest, op.count);
    if (op.code == OpCode::Clique) largest_clique = std::max(largest_clique, op.count);
    if (op.code == OpCode::NewContainer || op.code == OpCode::NewStr || op.code == OpCode::Chain) {
      largest_payload = std::max(largest_payload, op.size);
      if (op.size <= 512) small_classes.insert((op.size - 1) / 16);
    }
  }
  EXPECT_GT(longest, 80u);
  EXPECT_EQ(largest_clique, fuzz::kLargestClique);
  EXPECT_EQ(small_classes.size(), 32u) << "payloads miss a 16-byte size class up to 512 bytes";
  EXPECT_EQ(largest_payload, kMaxPayload);
}

}  // namespace
}  // namespace gcv
