// The reference model: the oracle every system under test is checked against.
//
// It predicts exactly what CPython 3.8–3.11 does with a program's objects:
// reference counting (an object dies the moment its count reaches zero, and
// its references are dropped in turn, depth first) and the classic
// three-generation cycle collector with its counts, thresholds, automatic
// collections, the long-lived 25% rule, statistics and the permanent
// generation of gc.freeze(); finalizers (PEP 442, run once per object, which
// may resurrect it), legacy finalizers (uncollectable, into gc.garbage), weak
// references with callbacks, gc.garbage and DEBUG_SAVEALL. The rules are
// CPython 3.11's (Modules/gcmodule.c, Objects/object.c, Objects/listobject.c,
// Objects/weakrefobject.c), as docs/design-finalizers.md states those of
// finalizers and weak references; each is written beside the code that
// applies it. Finalizer bodies and callbacks are effects, run inside the model when
// CPython would run the Python code.
//
// The model is deliberately simple rather than fast: objects live in a vector
// indexed by serial, and unreachable cycles are found (and found again, for
// resurrection) with Boost.Graph searches, never with the gc_refs arithmetic
// the production heap uses. It shares no code with impl/. Steps assume the
// Machine contract's valid operands; effects are defined in every state.
#pragma once

#include <memory>

#include "gcverify/machine.h"
#include "gcverify/profile.h"

namespace gcv {

// A fresh model following `profile`'s rules: no objects, all names unbound
// until reset(), thresholds (profile.threshold0, 10, 10), automatic
// collection enabled. Made for a system under test, it takes the system's
// capabilities (capabilities.h) and follows the rules of a machine without
// those it lacks; its capabilities() are these. The executor refuses a pair
// whose capabilities differ where the model's rules do.
//
//   auto sut = make_my_heap();
//   auto model = make_reference_model(profile(), sut->capabilities());
std::unique_ptr<Machine> make_reference_model(const Profile& profile = gcv::profile(),
                                              Capabilities capabilities = Capabilities::all());

}  // namespace gcv
