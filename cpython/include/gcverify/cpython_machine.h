// The adapter that runs heap programs on the real CPython 3.11 interpreter,
// embedded through libpython3.11: a second system under test beside gcheap,
// behind the same Machine interface (docs/cpython-adapter.md).
//
// How the program's objects are made:
//   containers  instances of `class Obj(list): __slots__ = ('__weakref__',)`,
//               made by calling the class. A finalizer is the C function put
//               in the tp_finalize slot of a twin class (`Fin`), and a legacy
//               finalizer a no-op tp_del (as _testcapi.with_tp_del does) on
//               twins `Legacy` and `FinLegacy`; `finalizer a` and
//               `legacy_finalizer a` assign a.__class__. The twins differ
//               only in those slots, so the object keeps its identity, its
//               generation and its FINALIZED bit.
//   weakrefs    weakref.ref(referent[, callback]) (PyWeakref_NewRef). Without
//               a callback, weakref.ref hands back the referent's existing
//               callback-less weakref when it has one, and the language makes
//               a new object each time: then the weakref is an instance of
//               `class Ref(_weakref.ref): __slots__ = ()`, which is never
//               shared. The callback is one C function that runs the
//               weakref's effects.
//   strs        exact str objects of `payload` characters (PyUnicode_New).
//   ints        exact ints; -5..256 are the interpreter's shared small ints.
//   names       strong references held by the adapter (a C array standing
//               for a frame's locals), replaced as STORE_FAST does: the new
//               value is stored, then the old one released.
//   gc module   gc.collect, gc.set_threshold, gc.enable/disable,
//               gc.freeze/unfreeze, gc.set_debug and gc.garbage, called and
//               read as a program would.
// Finalizer bodies and weakref callbacks are the program's effects, run in
// C by the adapter when CPython calls tp_finalize or the callback.
//
// What is observed, and how:
//   alive/freed  the types' tp_free is wrapped, so the moment CPython frees
//                a container or weakref is an event (a death by refcount, or
//                inside a collection: gc.callbacks marks start and stop).
//                Strs and ints cannot be subclassed without becoming tracked
//                containers, so the adapter holds one extra reference to
//                each and releases it, reporting the free, once that is the
//                only one left: at the next observation or collection
//                boundary. Atoms hold nothing, so the delay changes nothing.
//   refcounts    Py_REFCNT read from C (no sys.getrefcount argument), minus
//                the adapter's own hold on atoms.
//   generations  the interpreter's generation lists, walked from C through
//                CPython's internal headers (interpreter_state.c).
//   gc state     get_count, get_threshold, isenabled and get_stats read from
//                the interpreter's GCState (reading them through the gc
//                module would allocate a tuple, a counted container);
//                get_stats relative to the state at reset; the freeze count
//                counts the program's objects in the permanent generation.
//   collections  gc.collect's result and the collected/uncollectable of
//                gc.callbacks' info; finalizer and callback events.
//   gc.garbage   its entries; gc.is_finalized (PyObject_GC_IsFinalized).
// Held still: reset() collects, freezes every interpreter object into the
// permanent generation and collects again, so generations 0..2 hold only the
// program's objects, the counts are 0 and long_lived_total is 0, as in the
// model's fresh state. Between steps the adapter allocates no container.
//
// Not observed (observations() leaves them out; the executor skips them):
//   - the refcounts of the shared small ints (the interpreter holds
//     thousands of references to them, which come and go);
//   - a container's payload: a CPython list has no inline payload;
//   - the list free list: instances of a list subclass never enter it
//     (list_dealloc keeps exact lists only); tests/cpython checks the
//     model's free-list rule against exact lists directly.
// Known differences that observations cannot hide are documented in
// docs/cpython-adapter.md (a program's unfreeze moves the interpreter's own
// objects into generation 2; a Ref's death takes a trashcan level).
//
// There is one interpreter per process: at most one CPythonMachine may be
// reset at a time (the last reset wins), all on the thread that made it.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "gcverify/machine.h"

namespace gcv {

std::unique_ptr<Machine> make_cpython_machine();

// Unit tests: the interpreter's list free list length (exact lists), and its
// long_lived_total / long_lived_pending, read from its GCState.
int cpython_list_free_list();
std::array<std::int64_t, 2> cpython_long_lived();

// Unit tests: runs Python source in the embedded interpreter's __main__
// (initialising it if needed); false and a message on an exception.
bool cpython_run(const char* source, std::string* error = nullptr);

}  // namespace gcv
