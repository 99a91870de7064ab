// Finalizers (PEP 442's tp_finalize, and legacy tp_del) and the side table of
// extras, and what happens when an object with extras dies by refcount.
//
// Extras. Few objects have a finalizer or weak references, so they are kept
// out of the object layout: the first one an object gets switches its type to
// the kind's "with extras" variant and gives it an entry in State::extras. The
// entry lives until the object is freed.
//
// Refcount death (CPython's subtype_dealloc with PyObject_CallFinalizerFromDealloc
// and PyObject_ClearWeakRefs), for an object with extras:
//   1. If it has a finalizer that has not run, the FINALIZED flag is set and
//      the finalizer runs with the object temporarily alive (count 1) and, if
//      it is a container, tracked at the end of generation 0, as CPython
//      re-tracks it. If the count is above zero afterwards the object was
//      resurrected: it stays there, alive, with its weakrefs.
//   2. Otherwise it is untracked (so that a collection run by a callback
//      cannot see it), its weakrefs are cleared and their callbacks run
//      (weakref.cc), and its entry goes; then it is freed as any object.
// A finalizer runs at most once per object: FINALIZED is bit 0 of a
// container's GC prev word, which every list operation keeps; an atom, having
// no GC header, moves to its kind's "finalized" type instead.
#include "heap_internal.h"

namespace gcheap {
namespace {

// PyObject_CallFinalizerFromDealloc. Returns false when o was resurrected.
bool call_finalizer_from_dealloc(Heap& heap, Object* o, Heap::Finalizer finalizer, void* context) {
  Heap::State& state = Heap::State::of(heap);
  set_finalized(o);
  o->refcount = 1;
  note_state(state, o);
  if (is_gc(o)) {
    GcHead* gc = as_gc(o);
    gc_untrack(gc);  // drops the collecting flag if a collection holds it (untracked: from the trash)
    gc_list_append(gc, generation_head(state, 0));
    note_list(state, o);
  }
  {
    const UserCodeScope scope(state);
    finalizer(context, heap, o);
  }
  note_state(state, o);
  if (GCHEAP_SEEDED(dealloc_frees_resurrected_object, false, true)) {
    --o->refcount;
    return true;
  }
  return --o->refcount == 0;
}

}  // namespace

void set_finalized(Object* o) {
  if (is_gc(o))  // coverage: not-in-language
    gc_set_finalized(as_gc(o));
  else
    o->type = finalized_atom(o->type);  // coverage: not-in-language
}

bool dealloc_extras(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  if (is_small_int(state, o)) return false;  // shared: never freed (atoms.cc) (coverage: not-in-language)
  const Extras* extras = find_extras(state, o);
  if (extras != nullptr && extras->finalizer != nullptr && !Heap::is_finalized(o) &&
      !call_finalizer_from_dealloc(heap, o, extras->finalizer, extras->finalizer_context))
    return false;
  if (is_gc(o)) gc_untrack(as_gc(o));  // coverage: not-in-language
  note_list(state, o);
  clear_weakrefs(heap, o);
  remove_extras(state, o);
  return true;
}

void Heap::set_finalizer(Object* o, Finalizer finalizer, void* context) {
  Extras& extras = add_extras(*state_, o);
  extras.finalizer = finalizer;
  extras.finalizer_context = context;
}

void Heap::set_legacy_finalizer(Object* o) { add_extras(*state_, o).legacy_finalizer = true; }

bool Heap::is_finalized(const Object* o) { return is_gc(o) ? gc_is_finalized(as_gc(o)) : o->type->finalized; }

}  // namespace gcheap
