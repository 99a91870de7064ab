// Building blocks for differential fuzz targets: the model against a system
// under test, on libFuzzer's bytes.
//
// Every byte string is a heap program in binary form (binary.h). A target
// decodes its input and runs it in lockstep on the reference model and on a
// fresh system under test (lenient, expectations ignored, a budget of
// primitive steps: differential_fuzz_options()); a divergence prints the
// executor's report and the program as it ran (a ready .heap reproducer),
// then aborts so that libFuzzer keeps the input. The custom mutator edits
// whole operations and makes only operations within the system's
// capabilities (operations outside them, which byte mutations still make,
// are skipped by the executor). On a sample of passing inputs the target
// also checks the checker:
//   reproducer  the program as it ran, printed with the model's end state as
//               expectations, parses back and passes as `gcverify run` runs
//               it, with as many steps and collections;
//   injection   the same program against the system behind a machine that
//               tells one lie (a refcount, a free, a binding, a collection's
//               result, ...) of those its capabilities let the executor
//               compare, is reported as a divergence of that lie's kind.
//
// A target for your own heap, in a file of its own:
//
//   #include "gcverify/fuzz.h"
//   #include "my_heap_machine.h"
//   GCV_DIFFERENTIAL_FUZZ_TARGET([] { return make_my_heap_machine(); })
//
// Build it with the CMake function gcverify_add_fuzz_target (the package's
// config): with clang it links libFuzzer, with any other compiler a replay
// main that runs each input file once. Run it as any libFuzzer target, plus
// `-cpython=X.Y` for the CPython version the model follows (3.11 without):
//
//   my_heap_fuzzer -max_total_time=60 corpus/
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "gcverify/executor.h"
#include "gcverify/fuzz_target.h"
#include "gcverify/machine.h"
#include "gcverify/profile.h"

namespace gcv::fuzz {

using MachineFactory = std::function<std::unique_ptr<Machine>()>;

// The CPython version the differential targets follow: `-cpython=X.Y` on
// their command line (libFuzzer's, or the replay main's), 3.11 without.
// LLVMFuzzerInitialize (defined with it) takes the flag out of argv before
// either reads the flags; an unknown version exits 2 naming the known ones.
// The reproducers the targets print say the version (`# cpython: 3.13`) when
// it is not the default.
const Profile& fuzz_profile();
// differential_fuzz_options() under fuzz_profile().
RunOptions fuzz_run_options();

// Structure-aware mutation of a binary program, within what `capabilities`
// allows: insert a new operation (with its body), delete one, duplicate one,
// swap two, or change one operand; one mutation in four is libFuzzer's byte
// mutation instead (when the engine is linked), and for a system with
// memory_failures one in eight of the rest chooses new memory failures (the
// trailing bytes, binary.h) instead. Deterministic for a seed; the result is
// at most max_size bytes: whole records, then the memory failures kept.
std::size_t mutate_program(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed,
                           Capabilities capabilities = Capabilities::all());
// Crossover: a prefix of one program's records, then a run of the other's,
// then the first one's memory failures.
std::size_t cross_over_programs(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                std::size_t size2, std::uint8_t* out, std::size_t max_out_size, unsigned int seed);

// The differential target for one system under test: made once per process
// (the factory is called for the machines it keeps and reuses: every run
// resets them).
class DifferentialTarget {
 public:
  explicit DifferentialTarget(MachineFactory make_sut);
  ~DifferentialTarget();
  DifferentialTarget(const DifferentialTarget&) = delete;
  DifferentialTarget& operator=(const DifferentialTarget&) = delete;

  // LLVMFuzzerTestOneInput: 0, or abort with the report.
  int run_input(const std::uint8_t* data, std::size_t size);
  // LLVMFuzzerCustomMutator, within the system's capabilities.
  std::size_t mutate(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcv::fuzz

// Defines the libFuzzer entry points of a differential target whose system
// under test `make_sut` makes (any callable returning
// std::unique_ptr<gcv::Machine>).
#define GCV_DIFFERENTIAL_FUZZ_TARGET(make_sut)                                                                   \
  static gcv::fuzz::DifferentialTarget& gcv_differential_target() {                                             \
    static gcv::fuzz::DifferentialTarget target{gcv::fuzz::MachineFactory(make_sut)};                           \
    return target;                                                                                               \
  }                                                                                                              \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {                           \
    return gcv_differential_target().run_input(data, size);                                                      \
  }                                                                                                              \
  extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,   \
                                                 unsigned int seed) {                                            \
    return gcv_differential_target().mutate(data, size, max_size, seed);                                        \
  }                                                                                                              \
  extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,                \
                                                   const std::uint8_t* data2, std::size_t size2, std::uint8_t* out, \
                                                   std::size_t max_out_size, unsigned int seed) {                \
    return gcv::fuzz::cross_over_programs(data1, size1, data2, size2, out, max_out_size, seed);                  \
  }
