// See interpreter_state.h. Compiled as C with Py_BUILD_CORE, once per
// interpreter version (3.8 to 3.13): the internal headers describe the
// collector's state and the free lists, which nothing else exposes without
// allocating. Where they moved between versions, PY_VERSION_HEX picks:
//   GCState      3.8: _PyRuntime.gc (pycore_pystate.h); 3.9 on: the
//                interpreter's gc (pycore_interp.h, pycore_gc.h).
//   free lists   3.8: static in Objects/*.c, emptied through the public
//                PyList/PyDict_ClearFreeList; 3.9: static and
//                not exported (left alone, see gcv_py_empty_free_lists);
//                3.10 to 3.12: the interpreter's tuple, list, dict_state;
//                3.13: the interpreter's object_state.freelists.
#define Py_BUILD_CORE 1
#include "interpreter_state.h"

#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pystate.h"
#else
#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#include "internal/pycore_freelist.h"
#endif

static struct _gc_runtime_state* gc_state(void) {
#if PY_VERSION_HEX < 0x03090000
  return &_PyRuntime.gc;
#else
  return &PyInterpreterState_Get()->gc;
#endif
}

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

int gcv_py_list_free_list(void) {
#if PY_VERSION_HEX < 0x030A0000
  return -1;  // static in Objects/listobject.c
#elif PY_VERSION_HEX < 0x030D0000
  return PyInterpreterState_Get()->list.numfree;
#else
  return PyInterpreterState_Get()->object_state.freelists.lists.numfree;
#endif
}

// gc.callbacks are called with an info dict that gc_collect_with_callback
// allocates: a container allocation, counted in generation 0's count when it
// does not come from the dict free list, and not counted back when it is
// freed into that list. A generation-2 collection perturbs get_count() twice:
//  - clear_freelists() frees what the list and dict free lists hold (the
//    interpreter's own objects, and the start callback's info dict), and
//    each free takes one from the count while it is above zero, which a
//    finalizer's allocation may have made it;
//  - the stop callback's info dict is then new: one count too many.
// The adapter takes both back, so the count is the program's alone: at the
// start of a generation-2 collection gcv_py_empty_free_lists() empties those
// free lists (the count left as it was) while the adapter holds the start
// info dict until the stop, and at the stop gcv_py_uncount_callback_info()
// takes the new dict's count back. The tuple free lists are left alone: the
// reset's collections empty them, and from then on only the program's
// PyObject_ClearWeakRefs tuples join them, whose frees the model counts.
#if PY_VERSION_HEX >= 0x030A0000  // the versions whose free lists the adapter reaches
// Frees the `*numfree` objects of `items`, last first.
static inline void free_all(void** items, int* numfree) {
  while (*numfree > 0) PyObject_GC_Del(items[--*numfree]);
}
#endif

void gcv_py_empty_free_lists(void) {
  struct _gc_runtime_state* gc = gc_state();
  const Py_ssize_t count = gc->generations[0].count;
#if PY_VERSION_HEX < 0x03090000
  PyList_ClearFreeList();
  PyDict_ClearFreeList();
#elif PY_VERSION_HEX >= 0x030A0000  // 3.9 keeps them static and exports no way to empty them
  PyInterpreterState* interp = PyInterpreterState_Get();
#if PY_VERSION_HEX < 0x030D0000
  void** lists = (void**)interp->list.free_list;
  int* lists_free = &interp->list.numfree;
  void** dicts = (void**)interp->dict_state.free_list;
  int* dicts_free = &interp->dict_state.numfree;
#else
  struct _Py_object_freelists* freelists = &interp->object_state.freelists;
  void** lists = (void**)freelists->lists.items;
  int* lists_free = &freelists->lists.numfree;
  void** dicts = (void**)freelists->dicts.items;
  int* dicts_free = &freelists->dicts.numfree;
#endif
  free_all(lists, lists_free);
  free_all(dicts, dicts_free);
#endif
  gc->generations[0].count = count;
}

// The dict free list's length (-1 where it is out of reach).
static int dict_free_list(void) {
#if PY_VERSION_HEX < 0x030A0000
  return -1;
#elif PY_VERSION_HEX < 0x030D0000
  return PyInterpreterState_Get()->dict_state.numfree;
#else
  return PyInterpreterState_Get()->object_state.freelists.dicts.numfree;
#endif
}

// Takes the stop callback's info dict back from the count when it is new:
// the dict free list is empty, as clear_freelists left it (3.8 and 3.9 keep
// it out of reach, and clear_freelists has emptied it all the same).
void gcv_py_uncount_callback_info(void) {
  struct _gc_runtime_state* gc = gc_state();
  if (dict_free_list() <= 0 && gc->generations[0].count > 0) gc->generations[0].count -= 1;
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
