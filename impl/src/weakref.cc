// Weak references (Objects/weakrefobject.c, Modules/gc_weakref.txt).
//
// A weakref is a tracked object holding no strong reference: its referent
// pointer, cleared to nullptr when the referent dies, and an optional callback
// that then runs with the weakref. The weakrefs to one referent are a doubly
// linked list, newest first, headed in the referent's Extras, so clearing them
// all is linear and a weakref that dies first unlinks itself in O(1).
//
// Allocating a weakref counts like a list allocation (it may run an automatic
// collection before the weakref is tracked) and freeing one like a list free.
//
// Clearing on refcount death (clear_weakrefs, PyObject_ClearWeakRefs): all
// weakrefs to the object are cleared first, newest first; then the callbacks
// run in that order, each with a reference to its weakref that is dropped
// (last to first) after every callback has run, so a weakref whose callback
// dropped its last other reference is freed then. Clearing within a
// collection is handle_weakrefs (gc.cc).
#include <vector>

#include "heap_internal.h"

namespace gcheap {
namespace {

void link_weakref(Heap::State& state, WeakrefObject* wr) {
  Extras& extras = add_extras(state, wr->referent);
  wr->older = extras.weakrefs;
  wr->newer = nullptr;
  if (wr->older != nullptr) wr->older->newer = wr;
  extras.weakrefs = wr;
}

}  // namespace

Object* Heap::new_weakref(Object* referent, WeakrefCallback callback, void* context) {
  State& state = *state_;
  add_extras(state, referent);  // before the weakref exists, so a failure leaks nothing
  auto* wr = static_cast<WeakrefObject*>(allocate_or_throw(allocator_, sizeof(WeakrefObject)));
  wr->gc = {0, 0};
  wr->ob = {1, &weakref_type};
  wr->referent = referent;
  wr->older = nullptr;
  wr->newer = nullptr;
  wr->callback = callback;
  wr->callback_context = context;
  ++state.weakrefs_live;
  gc_link(*this);  // may collect; the caller's reference keeps the referent
  link_weakref(state, wr);
  gc_list_append(&wr->gc, generation_head(state, 0));
  note_list(state, &wr->ob);
  return &wr->ob;
}

Object* Heap::weakref_get(const Object* weakref) { return as_weakref(weakref)->referent; }

void clear_weakref(Heap::State& state, WeakrefObject* wr) {
  if (wr->referent == nullptr) return;
  if (wr->newer != nullptr)
    wr->newer->older = wr->older;
  else if (Extras* extras = find_extras(state, wr->referent))  // coverage: defensive
    extras->weakrefs = wr->older;
  if (wr->older != nullptr) wr->older->newer = wr->newer;
  wr->referent = nullptr;
  wr->older = nullptr;
  wr->newer = nullptr;
  note_state(state, &wr->ob);
}

void run_weakref_callback(Heap& heap, WeakrefObject* wr) {
  const UserCodeScope scope(Heap::State::of(heap));
  wr->callback(wr->callback_context, heap, &wr->ob);
}

void clear_weakrefs(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  Extras* extras = find_extras(state, o);
  if (extras == nullptr || extras->weakrefs == nullptr) return;  // coverage: defensive
  std::vector<WeakrefObject*> to_call;
  while (WeakrefObject* wr = extras->weakrefs) {
    clear_weakref(state, wr);
    if (wr->callback == nullptr || wr->ob.refcount == 0) continue;  // none, or being destroyed
    if (GCHEAP_SEEDED(weakref_callback_before_clearing_all, false, true)) {
      run_weakref_callback(heap, wr);  // older weakrefs still lead to o
      continue;
    }
    Heap::incref(&wr->ob);
    to_call.push_back(wr);
  }
  const UserCodeScope scope(state);
  for (WeakrefObject* wr : to_call) run_weakref_callback(heap, wr);
  for (std::size_t i = to_call.size(); i > 0; --i) heap.decref(&to_call[i - 1]->ob);
}

void weakref_dealloc(Heap::State& state, WeakrefObject* wr) {
  clear_weakref(state, wr);
  call_free_hook(state, &wr->ob);
  gc_unlink_count(state);
  --state.weakrefs_live;
  state.allocator.free(wr);
}

}  // namespace gcheap
