// minheap behind gcverify's Machine interface: the adapter of the example.
//
// minheap declares fewer capabilities than CPython (gcverify/capabilities.h):
// it observes containers' payloads and nothing else. It has no generations
// (so every collection is a full one, reported as generation 2, and none is
// automatic), no small-int cache (every int is allocated), and no freeze,
// finalizers, weak references or gc.garbage: the executor gives it only
// programs without them, and the model made for these capabilities predicts
// what it must do.
//
//   auto heap = minheap::make_machine();
//   auto model = gcv::make_reference_model(gcv::profile(), heap->capabilities());
//   gcv::run_lockstep(program, *model, *heap, {});
#pragma once

#include <memory>

#include "gcverify/machine.h"

namespace minheap {

// The capabilities of every machine make_machine makes.
gcv::Capabilities machine_capabilities();

// A fresh machine; reset() makes it a new minheap::Heap with one root slot
// per name.
std::unique_ptr<gcv::Machine> make_machine();

}  // namespace minheap
