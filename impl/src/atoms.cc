// Atoms: strs and ints. They hold no references, so they are never tracked by
// the collector and carry only the 16-byte object header before their data.
//
// Small ints -5..256 are shared, as in CPython: the heap allocates them once,
// in one block, and holds one reference to each; new_int for such a value
// returns the shared object with a new reference. A small int is freed only
// with the heap, so a count reaching zero (an embedder's extra decref) leaves
// it alone rather than freeing part of the block.

#include "heap_internal.h"

namespace gcheap {

bool is_small_int(const Heap::State& state, const Object* o) {
  const auto offset = reinterpret_cast<std::uintptr_t>(o) - reinterpret_cast<std::uintptr_t>(state.small_ints);
  return offset < kSmallIntCount * sizeof(IntObject);
}

void small_ints_init(Heap::State& state) {
  state.small_ints = static_cast<IntObject*>(allocate_or_throw(state.allocator, kSmallIntCount * sizeof(IntObject)));
  for (std::size_t i = 0; i < kSmallIntCount; ++i)
    state.small_ints[i] = {{1, &int_type}, kSmallIntMin + static_cast<std::int64_t>(i)};
}

void small_ints_free(Heap::State& state) {
  state.allocator.free(state.small_ints);
  state.small_ints = nullptr;
}

Object* Heap::new_str(std::uint32_t payload_bytes) {
  auto* str = static_cast<StrObject*>(allocate_or_throw(allocator_, sizeof(StrObject) + payload_bytes));
  str->ob = {1, &str_type};
  str->payload_bytes = payload_bytes;
  ++state_->strs_live;
  return &str->ob;
}

Object* Heap::new_int(std::int64_t value) {
  if (value >= kSmallIntMin && value <= kSmallIntMax) {
    Object* shared = &state_->small_ints[value - kSmallIntMin].ob;
    incref(shared);
    return shared;
  }
  auto* i = static_cast<IntObject*>(allocate_or_throw(allocator_, sizeof(IntObject)));
  *i = {{1, &int_type}, value};
  ++state_->ints_live;
  return &i->ob;
}

std::int64_t Heap::int_value(const Object* o) { return as_int(o)->value; }

void atom_dealloc(Heap::State& state, Object* atom) {
  if (is_small_int(state, atom)) return;  // coverage: defensive
  call_free_hook(state, atom);
  if (atom->type->kind == Kind::Str)
    --state.strs_live;
  else
    --state.ints_live;
  state.allocator.free(atom);
}

}  // namespace gcheap
