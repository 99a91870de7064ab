// The three-way differential target: bytes -> binary heap program -> the
// reference model in lockstep with gcheap, then with the real CPython of
// gcv::fuzz::fuzz_profile() (3.11 unless -cpython=X.Y; the embedded interpreter,
// cpython/). Built only in libFuzzer and replay builds that found a CPython
// interpreter; never in OSS-Fuzz's libc++ builds.
//
// The CPython run compares what the adapter observes (see
// cpython_machine.h), with memory to spare: an input's memory failures are
// gcheap's only, since CPython's collections call no gc.callbacks when they
// cannot get memory (docs/out-of-memory.md) and every such input would
// diverge there. A divergence prints the report and the program as it ran,
// then aborts so that libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "gcverify/fuzz.h"
#include "gcverify/fuzz_target.h"
#include "gcverify/binary.h"
#include "gcverify/cpython_machine.h"
#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace {

// The interpreter of the profile's version, or exit 2 saying why there is none.
std::unique_ptr<gcv::Machine> cpython_machine() {
  std::string error;
  std::unique_ptr<gcv::Machine> machine = gcv::make_cpython_machine(gcv::fuzz::fuzz_profile().name, &error);
  if (machine == nullptr) {
    std::fprintf(stderr, "cpython_differential_fuzzer: %s\n", error.c_str());
    std::exit(2);
  }
  return machine;
}

struct Machines {
  std::unique_ptr<gcv::Machine> model = gcv::make_reference_model(gcv::fuzz::fuzz_profile());
  std::unique_ptr<gcv::Machine> heap =
      gcv::make_heap_machine({.debug_fill = !gcheap::kPoisonsFreeBlocks, .profile = &gcv::fuzz::fuzz_profile()});
  std::unique_ptr<gcv::Machine> cpython = cpython_machine();
  gcv::Executor executor;
};

[[noreturn]] void report(const gcv::Program& program, const gcv::RunResult& result, const char* sut) {
  std::fprintf(stderr, "\n==== gcverify %s (model vs %s) ====\n%s\n---- the program as it ran (.heap) ----\n%s----\n",
               gcv::to_string(result.outcome), sut, result.report.to_string(program, sut).c_str(),
               gcv::print_text(result.reproducer()).c_str());
  std::abort();
}

}  // namespace

// The embedded interpreter is never finalized: what it holds at exit is not
// the target's leak, so LeakSanitizer is off for this target (under ASan
// and LSan alike; other builds never call these). The quarantine, which
// keeps freed malloc blocks unusable for a while, is a quarter of ASan's
// default: the interpreter is not instrumented (its use of a freed block goes
// unseen whatever the quarantine), gcheap's pools poison their own free
// blocks, and the default's 256 MB would be most of the target's memory.
extern "C" const char* __asan_default_options() { return "detect_leaks=0:quarantine_size_mb=64"; }
extern "C" const char* __lsan_default_options() { return "detect_leaks=0"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Machines machines;
  const gcv::Program program = gcv::decode_binary({data, size});
  static const gcv::RunOptions options = gcv::fuzz::fuzz_run_options();
  const gcv::RunResult heap = machines.executor.run(program, *machines.model, *machines.heap, options);
  if (heap.outcome != gcv::Outcome::Pass) report(program, heap, "gcheap");
  const gcv::Program* on_cpython = &program;
  gcv::Program with_memory;
  if (program.memory_failures.any()) {
    with_memory = program;
    with_memory.memory_failures = {};
    on_cpython = &with_memory;
  }
  const gcv::RunResult cpython = machines.executor.run(*on_cpython, *machines.model, *machines.cpython, options);
  if (cpython.outcome != gcv::Outcome::Pass) report(*on_cpython, cpython, "cpython");
  return 0;
}
