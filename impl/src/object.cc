// Object destruction when a reference count reaches zero, and the accessors
// common to every kind of object.
//
// A dying list must release its items last to first, and an item that dies
// in turn must be destroyed completely before the list's next item is
// released: the order plain recursion gives. Recursion would overflow the C
// stack on a long chain, so the dying lists instead form an explicit stack,
// threaded through their own GC headers (a dying list is untracked, so its
// prev word is free). The top list releases one item at a time, taking it off
// its own end (size - 1), which keeps the list consistent while it shrinks.
// An item whose count reaches zero is pushed if it is a list (it becomes the
// top, so its items go next: depth first) or freed at once if it is an atom.
// A list with no items left is popped and its memory released.
//
// A decref reaching zero while the loop runs (from a free hook) only pushes;
// the running loop gets to it, so the stack depth never grows.
#include "heap_internal.h"

namespace gcheap {
namespace {

void push_dying(Heap::State& state, ListObject* list) {
  gc_list_remove(&list->gc);
  list->gc.prev = reinterpret_cast<std::uintptr_t>(state.dying);
  state.dying = list;
}

ListObject* pop_dying(Heap::State& state) {
  ListObject* top = state.dying;
  state.dying = reinterpret_cast<ListObject*>(top->gc.prev);
  top->gc.prev = 0;
  return top;
}

// An object whose count reached zero: lists wait on the stack, atoms go now.
void schedule(Heap::State& state, Object* o) {
  if (is_gc(o))
    push_dying(state, as_list(o));
  else
    atom_dealloc(state, o);
}

void release_dying_lists(Heap::State& state) {
  while (ListObject* top = state.dying) {
    if (top->size > 0) {
      Object* item = top->items[--top->size];
      if (--item->refcount == 0) schedule(state, item);
    } else {
      list_dealloc(state, pop_dying(state));
    }
  }
}

}  // namespace

void Heap::destroy(Object* o) {
  State& state = *state_;
  schedule(state, o);
  if (state.destroying || state.dying == nullptr) return;
  state.destroying = true;
  release_dying_lists(state);
  state.destroying = false;
}

Kind Heap::kind(const Object* o) { return o->type->kind; }

bool Heap::has_valid_type(const Object* o) {
  return o->type == &list_type || o->type == &str_type || o->type == &int_type;
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
      break;
  }
  return {};
}

}  // namespace gcheap
