// The baseline of the fuzz-throughput benchmark: a target that only reads its
// input, built exactly like the real targets, so that the ratio of exec/s
// measures what a real target costs beyond the fuzzing engine itself.
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  volatile std::uint8_t sum = 0;
  for (std::size_t i = 0; i < size; ++i) sum = static_cast<std::uint8_t>(sum + data[i]);
  return 0;
}
