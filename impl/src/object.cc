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
// The trashcan (CPython's Py_TRASHCAN_BEGIN in list_dealloc, subtype_dealloc
// and tupledealloc) bounds how deeply embedder code can nest destructions: a
// list's destruction takes depth from its finalizer until its memory is
// released, in the units of Config::trashcan (one level; or, for 3.13, C
// recursion: two units, the second while its items go). A list whose count
// reaches zero when the trashcan is full is set aside on the trash stack,
// untracked and untouched. When a level's end leaves room (the outermost
// level; or more than 100 units left) a destroy-chain run, one unit deep,
// destroys the trash newest first (_PyTrash_thread_destroy_chain). What a
// loop still owes (the rest of a run, a 3.13 list's second END) waits in
// trash_frames until the dying stack is back to where it began. Weakrefs and
// atoms take no level.
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

constexpr int kTrashcanLevels = 50;      // CPython's _PyTrash_UNWIND_LEVEL (NestedDeaths)
constexpr int kCRecursionLimit = 10000;  // Py_C_RECURSION_LIMIT (CRecursion)
constexpr int kTrashcanHeadroom = 50;    // Py_TRASHCAN_HEADROOM (CRecursion)

bool c_recursion(const Heap::State& state) { return state.trashcan == Heap::Config::Trashcan::CRecursion; }

// Py_TRASHCAN_BEGIN would set the dying list aside.
bool trash_full(const Heap::State& state) {
  if (!c_recursion(state)) return state.trash_depth >= kTrashcanLevels;
  return kCRecursionLimit - state.trash_depth <= kTrashcanHeadroom;
}

// Py_TRASHCAN_END would destroy the trash now: the outermost level ended
// (NestedDeaths; a destroy-chain run holds a level itself, so nothing it
// destroys starts another), or more than twice the headroom is left
// (CRecursion, where a run inside a run is how CPython 3.13 does it).
bool trash_has_room_to_empty(const Heap::State& state) {
  if (!c_recursion(state)) return state.trash_depth == 0;
  return kCRecursionLimit - state.trash_depth > 2 * kTrashcanHeadroom;
}

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

// A list subclass (every program list) as CPython 3.13 destroys it: its
// items go inside list_dealloc's BEGIN, a second unit (NestedDeaths: a
// subclass passes list_dealloc's trashcan by). Callbacks tuples are exact.
bool takes_second_unit(const Heap::State& state, const Object* o) {
  return c_recursion(state) && o->type != &tuple_type;
}

// An object whose count reached zero: containers wait on the dying stack
// (or, when the trashcan is full, on the trash stack), atoms go now.
void schedule(Heap& heap, Object* o) {
  Heap::State& state = Heap::State::of(heap);
  note_list(state, o);  // it leaves its generation, for the trash, the dying stack or a finalizer
  const bool list = o->type->kind == Kind::List;
  if (list) {
    if (trash_full(state)) {
      push(state.trash, as_gc(o));
      return;
    }
    ++state.trash_depth;
  }
  if (o->type->has_extras && !dealloc_extras(heap, o)) {
    if (list && GCHEAP_SEEDED(trashcan_level_leaks_on_resurrection, true, false)) --state.trash_depth;  // resurrected
    return;
  }
  if (is_gc(o)) {
    if (list && takes_second_unit(state, o)) ++state.trash_depth;
    push(state.dying, as_gc(o));
  } else {
    atom_dealloc(state, o);
  }
}

// The innermost trash frame of this run of embedder code, once the dying
// stack is back where it was when the frame began; else nullptr.
Heap::State::TrashFrame* due_trash_frame(Heap::State& state) {
  if (state.trash_frames.empty()) return nullptr;
  Heap::State::TrashFrame& frame = state.trash_frames.back();
  const bool due = frame.user_code_depth == state.user_code_depth && frame.dying_below == state.dying;
  return due ? &frame : nullptr;
}

// Runs the dying stack down, emptying the trash whenever a level's end
// leaves room (_PyTrash_thread_destroy_chain).
void release_dying(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  using Frame = Heap::State::TrashFrame;
  for (;;) {
    if (state.trash != nullptr && trash_has_room_to_empty(state)) {
      ++state.trash_depth;
      state.trash_frames.push_back({Frame::Kind::Chain, state.dying, state.user_code_depth});
      schedule(heap, from_gc(pop(state.trash)));
      continue;
    }
    if (Frame* frame = due_trash_frame(state)) {
      if (frame->kind == Frame::Kind::Chain && state.trash != nullptr) {
        schedule(heap, from_gc(pop(state.trash)));  // the run's loop goes on
        continue;
      }
      state.trash_frames.pop_back();
      --state.trash_depth;
      continue;
    }
    GcHead* top = state.dying;
    if (top == nullptr) return;
    Object* o = from_gc(top);
    ListObject* list = o->type->kind == Kind::List ? as_list(o) : nullptr;
    if (list != nullptr && list->size > GCHEAP_SEEDED(list_dealloc_skips_first_item, 0u, 1u)) {
      Object* item = list->items[--list->size];
      note_state(state, item);
      if (--item->refcount == 0) schedule(heap, item);
      continue;
    }
    pop(state.dying);
    if (list == nullptr) {
      weakref_dealloc(state, as_weakref(o));
      continue;
    }
    const bool second_end = takes_second_unit(state, o);
    list_dealloc(state, list);
    --state.trash_depth;
    if (second_end) state.trash_frames.push_back({Frame::Kind::SubtypeEnd, state.dying, state.user_code_depth});
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
