// See interpreter_state.h. Compiled as C with Py_BUILD_CORE: the internal
// headers of CPython 3.11 (pycore_interp.h, pycore_gc.h) describe the
// interpreter's GCState and free lists, which nothing else exposes without
// allocating.
#define Py_BUILD_CORE 1
#include "interpreter_state.h"

#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"

static struct _gc_runtime_state* gc_state(void) { return &PyInterpreterState_Get()->gc; }

static PyObject* held_marker = NULL;  // the held part's last object, once held (see the header)

void gcv_py_gc_state(GcvPyGcState* out) {
  const struct _gc_runtime_state* gc = gc_state();
  for (int g = 0; g < 3; ++g) {
    out->count[g] = gc->generations[g].count;
    out->threshold[g] = gc->generations[g].threshold;
    out->collections[g] = gc->generation_stats[g].collections;
    out->collected[g] = gc->generation_stats[g].collected;
    out->uncollectable[g] = gc->generation_stats[g].uncollectable;
  }
  out->enabled = gc->enabled;
  out->collecting = gc->collecting;
  out->long_lived_total = gc->long_lived_total;
  out->long_lived_pending = gc->long_lived_pending;
}

static PyGC_Head* list_head(struct _gc_runtime_state* gc, int generation) {
  return generation < 3 ? &gc->generations[generation].head : &gc->permanent_generation.head;
}

void gcv_py_for_each_tracked(void (*visit)(void*, PyObject*, int), void* context) {
  struct _gc_runtime_state* gc = gc_state();
  for (int g = 0; g < 4; ++g) {
    PyGC_Head* head = list_head(gc, g);
    PyGC_Head* first = g == 3 && held_marker != NULL ? _PyGCHead_NEXT(_Py_AS_GC(held_marker)) : _PyGCHead_NEXT(head);
    for (PyGC_Head* node = first; node != head; node = _PyGCHead_NEXT(node))
      visit(context, (PyObject*)(node + 1), g);  // the object follows its PyGC_Head
  }
}

int gcv_py_generation_of(PyObject* object) {
  if (!_PyObject_GC_IS_TRACKED(object)) return -1;
  struct _gc_runtime_state* gc = gc_state();
  // Walk forward to the list's head: new objects sit near the end of theirs.
  PyGC_Head* start = _Py_AS_GC(object);
  for (PyGC_Head* node = _PyGCHead_NEXT(start); node != start; node = _PyGCHead_NEXT(node))
    for (int g = 0; g < 4; ++g)
      if (node == list_head(gc, g)) return g;
  return -1;
}

int gcv_py_list_free_list(void) { return PyInterpreterState_Get()->list.numfree; }

// gc.callbacks are called with an info dict that gc_collect_with_callback
// allocates: a container allocation, counted in generation 0's count when it
// does not come from the dict free list, and not counted back when it is
// freed into that list. A generation-2 collection perturbs get_count() twice:
//  - clear_freelists() frees what the tuple, list and dict free lists hold
//    (the interpreter's own objects, and the start callback's info dict),
//    and each free takes one from the count while it is above zero, which a
//    finalizer's allocation may have made it;
//  - the stop callback's info dict is then new: one count too many.
// The adapter takes both back, so the count is the program's alone: at the
// start of a generation-2 collection gcv_py_empty_free_lists() empties those
// free lists (the count left as it was) while the adapter holds the start
// info dict until the stop, and at the stop gcv_py_uncount_callback_info()
// takes the new dict's count back.
void gcv_py_empty_free_lists(void) {
  PyInterpreterState* interp = PyInterpreterState_Get();
  const Py_ssize_t count = interp->gc.generations[0].count;
  struct _Py_tuple_state* tuples = &interp->tuple;
  for (Py_ssize_t size = 0; size < PyTuple_NFREELISTS; ++size) {
    PyTupleObject* p = tuples->free_list[size];
    tuples->free_list[size] = NULL;
    tuples->numfree[size] = 0;
    while (p != NULL) {  // chained through ob_item[0], as tupleobject.c keeps them
      PyTupleObject* next = (PyTupleObject*)p->ob_item[0];
      PyObject_GC_Del(p);
      p = next;
    }
  }
  struct _Py_list_state* lists = &interp->list;
  while (lists->numfree > 0) PyObject_GC_Del(lists->free_list[--lists->numfree]);
  struct _Py_dict_state* dicts = &interp->dict_state;
  while (dicts->numfree > 0) PyObject_GC_Del(dicts->free_list[--dicts->numfree]);
  interp->gc.generations[0].count = count;
}

// Takes the stop callback's info dict back from the count when it is new
// (the dict free list is empty, as clear_freelists left it).
void gcv_py_uncount_callback_info(void) {
  PyInterpreterState* interp = PyInterpreterState_Get();
  if (interp->dict_state.numfree == 0 && interp->gc.generations[0].count > 0) interp->gc.generations[0].count -= 1;
}

// --- the held part of the permanent generation ---------------------------------

static PyGC_Head held_aside;          // the held part's list while it is set aside

// Moves the linked run first..last out of its list to the front or the end
// of `list`.
static void move_run(PyGC_Head* first, PyGC_Head* last, PyGC_Head* list, int to_front) {
  PyGC_Head* prev = _PyGCHead_PREV(first);
  PyGC_Head* next = _PyGCHead_NEXT(last);
  _PyGCHead_SET_NEXT(prev, next);
  _PyGCHead_SET_PREV(next, prev);
  PyGC_Head* before = to_front ? list : _PyGCHead_PREV(list);
  PyGC_Head* after = _PyGCHead_NEXT(before);
  _PyGCHead_SET_NEXT(before, first);
  _PyGCHead_SET_PREV(first, before);
  _PyGCHead_SET_NEXT(last, after);
  _PyGCHead_SET_PREV(after, last);
}
static void move_to_end(PyGC_Head* node, PyGC_Head* list) { move_run(node, node, list, 0); }

void gcv_py_hold_still(PyObject* marker) {
  move_to_end(_Py_AS_GC(marker), list_head(gc_state(), 3));
  held_marker = marker;
}

void gcv_py_set_aside_held(void) {
  _PyGCHead_SET_NEXT(&held_aside, &held_aside);
  _PyGCHead_SET_PREV(&held_aside, &held_aside);
  if (held_marker != NULL)
    move_run(_PyGCHead_NEXT(list_head(gc_state(), 3)), _Py_AS_GC(held_marker), &held_aside, 1);
}

void gcv_py_restore_held(int (*is_program)(void* context, PyObject* object), void* context) {
  struct _gc_runtime_state* gc = gc_state();
  PyGC_Head* old = list_head(gc, 2);
  for (PyGC_Head* node = _PyGCHead_NEXT(old); node != old;) {
    PyGC_Head* next = _PyGCHead_NEXT(node);
    if (!is_program(context, (PyObject*)(node + 1))) move_to_end(node, &held_aside);
    node = next;
  }
  if (held_marker != NULL) move_to_end(_Py_AS_GC(held_marker), &held_aside);  // it ends the held part again
  // The held part goes in front of whatever the permanent generation holds.
  if (_PyGCHead_NEXT(&held_aside) != &held_aside)
    move_run(_PyGCHead_NEXT(&held_aside), _PyGCHead_PREV(&held_aside), list_head(gc, 3), 1);
}
