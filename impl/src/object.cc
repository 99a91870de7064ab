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
//
// The trashcan (CPython's Py_TRASHCAN_BEGIN in list_dealloc and
// subtype_dealloc) bounds how deeply embedder code can nest destructions: a
// list's destruction counts one level from its finalizer until its memory is
// released. A list whose count reaches zero while kTrashcanLevels are in
// progress is set aside on the trash stack, untracked and untouched; when the
// outermost level ends, the trash is destroyed newest first, each at one
// level (_PyTrash_thread_destroy_chain). Weakrefs and atoms take no level.
#include "heap_internal.h"

namespace gcheap {

// Per kind: the plain type, then the variant with extras, then (atoms) the
// finalized variant.
const Type list_type{Kind::List, true, false, false, "list"};
const Type tuple_type{Kind::List, true, false, false, "tuple"};
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

const Type* const all_types[] = {&list_type,         &tuple_type,           &weakref_type,         &str_type,
                                 &int_type,          &list_with_extras_type, &weakref_with_extras_type,
                                 &str_with_extras_type, &int_with_extras_type, &str_finalized_type,
                                 &int_finalized_type};

constexpr int kTrashcanLevels = 50;  // CPython's _PyTrash_UNWIND_LEVEL

// The dying stack and the trash stack are linked through untracked
// containers' prev words (keeping the FINALIZED bit).
void push(GcHead*& stack, GcHead* gc) {
  gc_untrack(gc);  // dealloc_extras untracks earlier
  gc->prev = (gc->prev & kPrevMaskFinalized) | reinterpret_cast<std::uintptr_t>(stack);
  stack = gc;
}

GcHead* pop(GcHead*& stack) {
  GcHead* top = stack;
  stack = reinterpret_cast<GcHead*>(top->prev & ~kPrevMaskFinalized);
  top->prev &= kPrevMaskFinalized;
  return top;
}

// An object whose count reached zero: containers wait on the dying stack
// (or, beyond the trashcan's limit, on the trash stack), atoms go now.
void schedule(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  note_list(state, o);  // it leaves its generation, for the trash, the dying stack or a finalizer
  const bool list = o->type->kind == Kind::List;
  if (list) {
    if (state.trash_nesting >= kTrashcanLevels) {
      push(state.trash, as_gc(o));
      return;
    }
    ++state.trash_nesting;
  }
  if (o->type->has_extras && !dealloc_extras(heap, o)) {
    if (list && GCHEAP_SEEDED(trashcan_level_leaks_on_resurrection, true, false)) --state.trash_nesting;  // resurrected
    return;
  }
  if (is_gc(o))
    push(state.dying, as_gc(o));
  else
    atom_dealloc(state, o);
}

// Runs the dying stack down; then, if that ended the outermost level of
// nesting, destroys the trash.
void release_dying(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  for (;;) {
    if (GcHead* top = state.dying) {
      Object* o = from_gc(top);
      ListObject* list = o->type->kind == Kind::List ? as_list(o) : nullptr;
      if (list != nullptr && list->size > GCHEAP_SEEDED(list_dealloc_skips_first_item, 0u, 1u)) {
        Object* item = list->items[--list->size];
        note_state(state, item);
        if (--item->refcount == 0) schedule(heap, item);
      } else {
        pop(state.dying);
        if (list != nullptr) {
          --state.trash_nesting;
          list_dealloc(state, list);
        } else {
          weakref_dealloc(state, as_weakref(o));
        }
      }
      continue;
    }
    if (state.trash != nullptr && state.trash_nesting == (state.emptying_trash ? 1 : 0)) {
      state.emptying_trash = true;
      state.trash_nesting = 1;
      schedule(heap, from_gc(pop(state.trash)));
      continue;
    }
    if (state.emptying_trash && state.trash_nesting == 1) {
      state.emptying_trash = false;
      state.trash_nesting = 0;
    }
    return;
  }
}

}  // namespace

const Type* with_extras(const Type* t) {
  switch (t->kind) {
    case Kind::List: return &list_with_extras_type;
    case Kind::Weakref: return &weakref_with_extras_type;  // coverage: not-in-language
    case Kind::Str: return t->finalized ? t : &str_with_extras_type;  // coverage: not-in-language
    case Kind::Int: return t->finalized ? t : &int_with_extras_type;  // coverage: not-in-language
  }
  return t;
}

// coverage: not-in-language
const Type* finalized_atom(const Type* t) { return t->kind == Kind::Str ? &str_finalized_type : &int_finalized_type; }  // coverage: not-in-language

void Heap::destroy(Object* o) {
  State& state = *state_;
  schedule(*this, o);
  if (state.destroying || (state.dying == nullptr && state.trash == nullptr)) return;
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
