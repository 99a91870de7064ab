// The adapter that puts gcheap (impl/) behind the Machine interface.
//
// It owns an Allocator and a Heap, holds one reference per bound name, and
// stamps every object's payload with its serial (and a serial-derived byte
// pattern), so a stale handle to a freed-and-reused block shows up as a
// damaged stamp even without sanitizers. Frees are observed through the heap's
// free hook and collections through its gc callbacks. Teardown destroys the heap
// and then requires the allocator to hold no block and, once its reserve arena
// is released, no arena.
#pragma once

#include <memory>

#include "gcheap/allocator.h"
#include "gcverify/machine.h"

namespace gcv {

struct HeapMachineOptions {
  gcheap::Geometry geometry = gcheap::Geometry::modern();
  bool debug_fill = true;  // 0xCD/0xDD fills make stale reads visible
};

std::unique_ptr<Machine> make_heap_machine(const HeapMachineOptions& options = {});

}  // namespace gcv
