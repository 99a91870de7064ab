// The adapter that puts gcheap (impl/) behind the Machine interface.
//
// It owns an Allocator and a Heap, holds one reference per bound name, and
// stamps every object's payload with its serial (its first and last word),
// so a stale handle to a freed-and-reused block shows up as a
// damaged stamp even without sanitizers. Frees are observed through the heap's
// free hook and collections through its gc callbacks. Teardown destroys the heap
// and then requires the allocator to hold no block and no busy arena; the
// allocator is then reset (Allocator::reset) and serves the next run as a
// new one would.
#pragma once

#include <memory>

#include "gcheap/allocator.h"
#include "gcheap/heap.h"
#include "gcverify/machine.h"
#include "gcverify/profile.h"

namespace gcv {

struct HeapMachineOptions {
  gcheap::Geometry geometry = gcheap::Geometry::modern();
  bool debug_fill = true;  // 0xCD/0xDD fills make stale reads visible
  const Profile* profile = nullptr;  // the CPython version gcheap follows; nullptr: the default
};

std::unique_ptr<Machine> make_heap_machine(const HeapMachineOptions& options = {});

// Fault injection, for tests of the harness itself: the heap inside a machine
// made by make_heap_machine (nullptr for any other machine or before reset),
// and the object it holds for `key` (nullptr when not alive), so a test can
// break the heap behind the adapter's back and show that the executor notices.
gcheap::Heap* heap_machine_heap(Machine& machine);
gcheap::Object* heap_machine_object(Machine& machine, ObjectKey key);

}  // namespace gcv
