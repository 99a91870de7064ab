// The fuzz generator (the custom mutator's and bench/generate_programs'
// source of operations) produces every operation of operations.def but the
// expectations, as the binary form decodes them.
#include <gtest/gtest.h>

#include <set>

#include "gcverify/binary.h"
#include "program_generator.h"

namespace gcv {
namespace {

TEST(ProgramGenerator, ProducesEveryOperationButTheExpectations) {
  fuzz::Random rng(1);
  std::set<OpCode> produced;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> bytes;
    for (const fuzz::Record& record : fuzz::random_operation(rng)) {
      bytes.resize(bytes.size() + kRecordSize);
      record.store(bytes.data() + bytes.size() - kRecordSize);
    }
    for (const Op& op : decode_binary(bytes).ops) produced.insert(op.code);
  }
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    EXPECT_EQ(produced.count(static_cast<OpCode>(c)), kOperations[c].expectation ? 0u : 1u) << kOperations[c].words;
}

}  // namespace
}  // namespace gcv
