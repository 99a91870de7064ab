// Weak references (Objects/weakrefobject.c, Modules/gc_weakref.txt).
//
// A weakref is a tracked object holding no strong reference: its referent
// pointer, cleared to nullptr when the referent dies, and an optional callback
// that then runs with the weakref. The weakrefs to one referent are a doubly
// linked list in CPython's order: the basic weakref (made without a callback
// while the referent had none, see Heap::new_weakref) at the head, the others
// newest first after it. The head sits in the referent's Extras, so clearing
// them all is linear and a weakref that dies first unlinks itself in O(1).
//
// Allocating a weakref counts like a list allocation (it may run an automatic
// collection before the weakref is tracked) and freeing one like a list free.
//
// Clearing on refcount death (clear_weakrefs, PyObject_ClearWeakRefs): the
// callback-less weakrefs at the head are cleared first, up to two
// (StripsTwo) or the basic one (StripsBasic). A lone weakref left under
// StripsTwo is cleared and its callback runs with it held. Otherwise a tuple
// is made (it may collect) and every weakref still listed is cleared and
// held in it, in list order; the callbacks run in that order, and the
// tuple's death releases the weakrefs last to first (through the trashcan,
// like any container's). Clearing within a collection is handle_weakrefs
// (gc.cc).
#include <new>
#include <vector>

#include "heap_internal.h"

namespace gcheap {
namespace {

void link_weakref(Heap::State& state, WeakrefObject* wr) {
  Extras& extras = add_extras(state, wr->referent);
  WeakrefObject* head = extras.weakrefs;
  if (head != nullptr && head->basic && !wr->basic) {  // insert_after the basic one
    wr->newer = head;
    wr->older = head->older;
    if (wr->older != nullptr) wr->older->newer = wr;
    head->older = wr;
    return;
  }
  wr->older = head;  // insert_head
  wr->newer = nullptr;
  if (head != nullptr) head->newer = wr;
  extras.weakrefs = wr;
}

bool has_basic_weakref(Heap::State& state, const Object* referent) {
  const Extras* extras = find_extras(state, referent);
  return extras != nullptr && extras->weakrefs != nullptr && extras->weakrefs->basic;
}

// The weakrefs still listed for o.
std::size_t weakref_count(Heap::State& state, const Object* o) {
  const Extras* extras = find_extras(state, o);
  std::size_t n = 0;
  for (const WeakrefObject* wr = extras == nullptr ? nullptr : extras->weakrefs; wr != nullptr; wr = wr->older) ++n;
  return n;
}

WeakrefObject* first_weakref(Heap::State& state, const Object* o) {
  const Extras* extras = find_extras(state, o);
  return extras == nullptr ? nullptr : extras->weakrefs;
}

// The callback-less weakrefs PyObject_ClearWeakRefs clears first.
void clear_leading_weakrefs(Heap::State& state, const Object* o) {
  if (state.weakref_clearing == Heap::Config::WeakrefClearing::StripsBasic) {
    if (WeakrefObject* wr = first_weakref(state, o); wr != nullptr && wr->basic) clear_weakref(state, wr);
    return;
  }
  for (int i = 0; i < 2; ++i) {
    WeakrefObject* wr = first_weakref(state, o);
    if (wr == nullptr || wr->callback != nullptr) return;
    clear_weakref(state, wr);
  }
}

}  // namespace

Object* Heap::new_weakref(Object* referent, WeakrefCallback callback, void* context) {
  State& state = *state_;
  const bool basic = callback == nullptr && !has_basic_weakref(state, referent);  // looked up before the allocation
  // The memory first: out of it, the referent is left as it was.
  auto* wr = static_cast<WeakrefObject*>(allocate_or_throw(allocator_, sizeof(WeakrefObject)));
  try {
    add_extras(state, referent);
  } catch (const std::bad_alloc&) {  // the side table is a std container (coverage: oom)
    allocator_.free(wr);
    throw;
  }
  wr->gc = {0, 0};
  wr->ob = {1, &weakref_type};
  wr->referent = referent;
  wr->older = nullptr;
  wr->newer = nullptr;
  wr->callback = callback;
  wr->callback_context = context;
  wr->basic = basic;
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
  const CRecursionScope call(Heap::State::of(heap), 1);  // the callback is a C function's call
  wr->callback(wr->callback_context, heap, &wr->ob);
}

void clear_weakrefs(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  clear_leading_weakrefs(state, o);
  const std::size_t left = weakref_count(state, o);
  if (left == 0) return;
  if (left == 1 && state.weakref_clearing == Heap::Config::WeakrefClearing::StripsTwo) {
    WeakrefObject* wr = first_weakref(state, o);
    clear_weakref(state, wr);
    if (wr->callback == nullptr || wr->ob.refcount == 0) return;  // none, or being destroyed
    Heap::incref(&wr->ob);
    {
      const UserCodeScope scope(state);
      run_weakref_callback(heap, wr);
    }
    heap.decref(&wr->ob);
    return;
  }
  ListObject* tuple = new_callbacks_tuple(heap, static_cast<std::uint32_t>(2 * left));  // may collect
  std::vector<WeakrefObject*> to_call;
  while (WeakrefObject* wr = first_weakref(state, o)) {
    clear_weakref(state, wr);
    if (wr->ob.refcount == 0) continue;  // being destroyed
    Heap::incref(&wr->ob);
    callbacks_tuple_append(state, tuple, wr);
    if (wr->callback == nullptr) continue;
    if (GCHEAP_SEEDED(weakref_callback_before_clearing_all, false, true)) {
      const UserCodeScope scope(state);
      run_weakref_callback(heap, wr);  // later weakrefs still lead to o
      continue;
    }
    to_call.push_back(wr);
  }
  {
    const UserCodeScope scope(state);
    for (WeakrefObject* wr : to_call) run_weakref_callback(heap, wr);
  }
  heap.decref(&tuple->ob);
}

void weakref_dealloc(Heap::State& state, WeakrefObject* wr) {
  clear_weakref(state, wr);
  call_free_hook(state, &wr->ob);
  gc_unlink_count(state);
  --state.weakrefs_live;
  state.allocator.free(wr);
}

}  // namespace gcheap
