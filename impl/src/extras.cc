// The side table of Extras (finalizers, legacy finalizers, weakrefs to an
// object), keyed by the object's address.
//
// Only these three functions touch the hash table. Its probing depends on
// addresses, which differ from run to run, so fuzz builds leave this file out
// of coverage instrumentation (fuzz/coverage_ignorelist.txt): the fuzzer then
// sees the same coverage every time it runs an input.
#include "heap_internal.h"

namespace gcheap {

Extras& add_extras(Heap::State& state, Object* o) {
  Extras& extras = state.extras[o];
  o->type = with_extras(o->type);
  return extras;
}

Extras* find_extras(Heap::State& state, const Object* o) {
  if (!o->type->has_extras) return nullptr;
  const auto it = state.extras.find(o);
  return it == state.extras.end() ? nullptr : &it->second;  // coverage: defensive
}

void remove_extras(Heap::State& state, const Object* o) { state.extras.erase(o); }

}  // namespace gcheap
