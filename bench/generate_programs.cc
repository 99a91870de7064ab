// Writes N random heap programs of K operations each, in binary form, to a
// directory: the fixed workload of the fuzz-throughput benchmark.
//   generate_programs DIR [N=500] [K=64] [SEED=1]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gcverify/program_generator.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: generate_programs DIR [N=500] [K=64] [SEED=1]\n");
    return 2;
  }
  auto number = [&](int i, unsigned long fallback) {
    if (argc <= i) return fallback;
    char* end = nullptr;
    const unsigned long v = std::strtoul(argv[i], &end, 10);
    if (*end != '\0' || v == 0) {
      std::fprintf(stderr, "generate_programs: '%s' is not a positive number\n", argv[i]);
      std::exit(2);
    }
    return v;
  };
  const std::filesystem::path dir = argv[1];
  const unsigned long programs = number(2, 500), ops = number(3, 64), seed = number(4, 1);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "generate_programs: %s: %s\n", argv[1], ec.message().c_str());
    return 2;
  }
  gcv::fuzz::Random rng(static_cast<unsigned>(seed));
  std::vector<std::uint8_t> bytes(ops * gcv::kRecordSize);
  for (unsigned long p = 0; p < programs; ++p) {
    for (unsigned long i = 0; i < ops; ++i) gcv::fuzz::random_record(rng).store(&bytes[i * gcv::kRecordSize]);
    std::ofstream out(dir / ("program-" + std::to_string(p) + ".bin"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "generate_programs: cannot write to %s\n", argv[1]);
      return 2;
    }
  }
  return 0;
}
