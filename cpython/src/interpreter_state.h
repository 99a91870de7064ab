// Read-only views of CPython 3.11's collector state that its public API
// gives only through calls that allocate (gc.get_count() builds a tuple,
// which counts as a container allocation and can itself start a collection).
// Implemented in C (interpreter_state.c) against the interpreter's internal
// headers, which do not compile as C++. Everything here reads but the two
// corrections for gc.callbacks' info dicts, documented there.
#pragma once

#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  Py_ssize_t count[3];
  Py_ssize_t threshold[3];
  Py_ssize_t collections[3];
  Py_ssize_t collected[3];
  Py_ssize_t uncollectable[3];
  int enabled;
  int collecting;
  Py_ssize_t long_lived_total;
  Py_ssize_t long_lived_pending;
} GcvPyGcState;

void gcv_py_gc_state(GcvPyGcState* out);

// The interpreter's own objects, held still: gcv_py_hold_still(marker),
// right after gc.freeze(), marks everything then in the permanent generation
// as the interpreter's by moving `marker` (a tracked object the adapter
// keeps for good) behind it. That held part stays the front of the permanent
// generation: gc.freeze() appends behind it, and the adapter unfreezes the
// program's part alone (gcv_py_set_aside_held, gc.unfreeze(),
// gcv_py_restore_held). No walk below visits the held part, and no
// collection scans it, so a run costs what its program made.
void gcv_py_hold_still(PyObject* marker);
void gcv_py_set_aside_held(void);
// After gc.unfreeze(): generation 2's objects that are not the program's
// join the held part, which goes back to the front of the permanent
// generation; the program's stay in generation 2 in the order unfreeze
// left them, so the interpreter collects as one whose only objects are the
// program's.
void gcv_py_restore_held(int (*is_program)(void* context, PyObject* object), void* context);

// Calls visit(context, object, generation) for every object the collector
// tracks, generation 0, 1, 2 in list order, then the permanent one (3)
// without its held part.
void gcv_py_for_each_tracked(void (*visit)(void* context, PyObject* object, int generation), void* context);

// The generation list `object` is in (0..2, 3 permanent), or -1 when it is
// not tracked (or in a list of a running collection).
int gcv_py_generation_of(PyObject* object);

// Lists held in Objects/listobject.c's free list.
int gcv_py_list_free_list(void);

// gc.callbacks' info dicts in a generation-2 collection: the first called
// at its start, the second at its stop (see interpreter_state.c).
void gcv_py_empty_free_lists(void);
void gcv_py_uncount_callback_info(void);

#ifdef __cplusplus
}
#endif
