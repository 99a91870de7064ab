// The differential fuzz target of gcheap: the model against the production
// heap (impl/), on libFuzzer's bytes (the work is the fuzz library's:
// fuzz/include/gcverify/fuzz.h says what a run checks). The debug fill
// (0xCD/0xDD) makes stale reads visible without sanitizers; where the pools
// poison free blocks for ASan, that does it, so it is skipped.
#include "gcverify/fuzz.h"
#include "gcverify/heap_machine.h"

GCV_DIFFERENTIAL_FUZZ_TARGET([] {
  return gcv::make_heap_machine({.debug_fill = !gcheap::kPoisonsFreeBlocks, .profile = &gcv::fuzz::fuzz_profile()});
})
