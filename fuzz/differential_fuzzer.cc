// The differential fuzz target: bytes -> heap program (binary form, which
// every byte string is) -> the reference model and gcheap in lockstep.
//
// Operands are resolved modulo what exists (lenient mode), so every input runs
// to its end or to the step budget (see differential_fuzz_options()). Each
// input starts from a fresh heap and a fresh allocator and ends with a
// lockstep teardown that requires the allocator to hold no block
// and no arena, so no input depends on an earlier one. Any divergence prints
// the executor's report and the program as it ran (a ready .heap reproducer),
// then aborts so that libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz_target.h"
#include "gcverify/binary.h"
#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/text.h"

namespace {

// Kept across inputs for their storage only: every run resets both machines.
struct Machines {
  std::unique_ptr<gcv::Machine> model = gcv::make_reference_model();
  // The debug fill (0xCD/0xDD) makes stale reads visible without sanitizers;
  // where the pools poison free blocks for ASan, that does it, so it is skipped.
  std::unique_ptr<gcv::Machine> heap = gcv::make_heap_machine({.debug_fill = !gcheap::kPoisonsFreeBlocks});
  gcv::Executor executor;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Machines machines;
  const gcv::Program program = gcv::decode_binary({data, size});
  static const gcv::RunOptions options = gcv::differential_fuzz_options();
  const gcv::RunResult result = machines.executor.run(program, *machines.model, *machines.heap, options);
  if (result.outcome == gcv::Outcome::Pass) return 0;
  std::fprintf(stderr, "\n==== gcverify %s ====\n%s\n---- the program as it ran (.heap) ----\n%s----\n",
               gcv::to_string(result.outcome), result.report.to_string(program, "gcheap").c_str(),
               gcv::print_text(result.reproducer()).c_str());
  std::abort();
}
