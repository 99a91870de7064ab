// Object destruction when a reference count reaches zero, the heap's types,
// and the accessors common to every kind of object.
//
// A dying list must release its items last to first, and an item that dies
// in turn must be destroyed completely before the list's next item is
// released: the order plain recursion gives. Recursion would overflow the C
// stack on a long chain, so the dying containers instead form an explicit
// stack, threaded through their own GC headers (a dying container is
// untracked, so its prev word is free but for the FINALIZED bit). The top
// list releases one item at a time, taking it off its own end (size - 1),
// which keeps the list consistent while it shrinks. An item whose count
// reaches zero is pushed if it is a container (it becomes the top, so its
// items go next: depth first) or freed at once if it is an atom. A container
// with no items left is popped and its memory released.
//
// An object with extras (a finalizer, weakrefs) first goes through
// dealloc_extras, CPython's subtype_dealloc order: finalizer, then weakref
// callbacks, and only then its slots. Those run embedder code, which runs with
// the dying stack set aside (UserCodeScope), so what it destroys is destroyed
// before it continues. A chain of objects with finalizers is still freed
// without recursion: each finalizer runs from the loop, at depth one.
//
// A decref reaching zero while the loop runs (from a free hook) only pushes;
// the running loop gets to it, so the stack depth never grows.
#include "heap_internal.h"

namespace gcheap {

// Per kind: the plain type, then the variant with extras, then (atoms) the
// finalized variant.
const Type list_type{Kind::List, true, false, false, "list"};
const Type weakref_type{Kind::Weakref, true, false, false, "weakref"};
const Type str_type{Kind::Str, false, false, false, "str"};
const Type int_type{Kind::Int, false, false, false, "int"};

namespace {

const Type list_with_extras_type{Kind::List, true, true, false, "list"};
const Type weakref_with_extras_type{Kind::Weakref, true, true, false, "weakref"};
const Type str_with_extras_type{Kind::Str, false, true, false, "str"};
const Type int_with_extras_type{Kind::Int, false, true, false, "int"};
const Type str_finalized_type{Kind::Str, false, true, true, "str"};
const Type int_finalized_type{Kind::Int, false, true, true, "int"};

const Type* const all_types[] = {&list_type,         &weakref_type,         &str_type,
                                 &int_type,          &list_with_extras_type, &weakref_with_extras_type,
                                 &str_with_extras_type, &int_with_extras_type, &str_finalized_type,
                                 &int_finalized_type};

void push_dying(Heap::State& state, GcHead* gc) {
  if (gc_is_tracked(gc)) gc_list_remove(gc);  // dealloc_extras untracks earlier
  gc->prev = (gc->prev & kPrevMaskFinalized) | reinterpret_cast<std::uintptr_t>(state.dying);
  state.dying = gc;
}

GcHead* pop_dying(Heap::State& state) {
  GcHead* top = state.dying;
  state.dying = reinterpret_cast<GcHead*>(top->prev & ~kPrevMaskFinalized);
  top->prev &= kPrevMaskFinalized;
  return top;
}

// An object whose count reached zero: containers wait on the stack, atoms go now.
void schedule(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  if (o->type->has_extras && !dealloc_extras(heap, o)) return;
  if (is_gc(o))
    push_dying(state, as_gc(o));
  else
    atom_dealloc(state, o);
}

void release_dying(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  while (GcHead* top = state.dying) {
    Object* o = from_gc(top);
    ListObject* list = o->type->kind == Kind::List ? as_list(o) : nullptr;
    if (list != nullptr && list->size > 0) {
      Object* item = list->items[--list->size];
      if (--item->refcount == 0) schedule(heap, item);
    } else {
      pop_dying(state);
      if (list != nullptr)
        list_dealloc(state, list);
      else
        weakref_dealloc(state, as_weakref(o));
    }
  }
}

}  // namespace

const Type* with_extras(const Type* t) {
  switch (t->kind) {
    case Kind::List: return &list_with_extras_type;
    case Kind::Weakref: return &weakref_with_extras_type;
    case Kind::Str: return t->finalized ? t : &str_with_extras_type;
    case Kind::Int: return t->finalized ? t : &int_with_extras_type;
  }
  return t;
}

const Type* finalized_atom(const Type* t) { return t->kind == Kind::Str ? &str_finalized_type : &int_finalized_type; }

void Heap::destroy(Object* o) {
  State& state = *state_;
  schedule(*this, o);
  if (state.destroying || state.dying == nullptr) return;
  state.destroying = true;
  release_dying(*this);
  state.destroying = false;
}

Kind Heap::kind(const Object* o) { return o->type->kind; }

bool Heap::has_valid_type(const Object* o) {
  for (const Type* t : all_types)
    if (o->type == t) return true;
  return false;
}

std::span<std::byte> Heap::payload(Object* o) {
  switch (kind(o)) {
    case Kind::List: {
      ListObject* list = as_list(o);
      return {list_payload(list), list->payload_bytes};
    }
    case Kind::Str: {
      StrObject* str = as_str(o);
      return {reinterpret_cast<std::byte*>(str + 1), str->payload_bytes};
    }
    case Kind::Int:
    case Kind::Weakref:
      break;
  }
  return {};
}

void gc_clear(Heap& heap, Object* o) {
  if (o->type->kind == Kind::List) {
    list_clear(heap, as_list(o));
  } else {
    WeakrefObject* wr = as_weakref(o);
    clear_weakref(Heap::State::of(heap), wr);
    wr->callback = nullptr;
  }
}

}  // namespace gcheap
