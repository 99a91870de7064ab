// The adapters that run heap programs on real CPython interpreters, one per
// version of cpython_versions.def found when the project was configured
// (Debian's libpython3.11, pyenv's 3.8 to 3.13): a second system under test
// beside gcheap, behind the same Machine interface (docs/cpython-adapter.md,
// docs/cpython-versions.md). Each adapter is a shared module embedding its
// libpython; the first machine made loads it, and a process holds one
// interpreter version for good.
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
// Not observed (capabilities() leaves them out; the executor skips them):
//   - the refcounts of the shared small ints (the interpreter holds
//     thousands of references to them, which come and go);
//   - a container's payload: a CPython list has no inline payload;
//   - the list free list: instances of a list subclass never enter it
//     (list_dealloc keeps exact lists only); tests/cpython checks the
//     model's free-list rule against exact lists directly.
// Out of memory (memory_failures): the allocators of the three domains are
// wrapped (PyMem_SetAllocator, as _testcapi.set_nomemory does), requests are
// counted from reset to teardown and refused as a program's `# fail:` line
// says, and a C API call that fails with MemoryError throws std::bad_alloc
// with the error cleared. Out of memory, CPython's collections call no
// gc.callbacks, so the adapter sees no collection (docs/out-of-memory.md).
// Known differences that observations cannot hide are documented in
// docs/cpython-adapter.md (a program's unfreeze moves the interpreter's own
// objects into generation 2; a Ref's death takes a trashcan level).
//
// There is one interpreter per process: at most one CPythonMachine may be
// reset at a time (the last reset wins), all on the thread that made it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/machine.h"
#include "gcverify/profile.h"

namespace gcv {

// The versions with an adapter in this build, in the table's order, e.g.
// {"3.8", ..., "3.13"}; on a fresh Debian 12 machine {"3.11"}.
std::vector<std::string> cpython_adapter_versions();
// Why no machine can be made on CPython `version` in this process (no such
// version, no adapter built for it, or another version loaded), or "";
// loads nothing (a module that then fails to load is make_cpython_machine's
// error).
std::string cpython_unavailable(std::string_view version);

// A machine on the CPython of `version`. nullptr, with the reason in
// *error, when this build has no adapter for it, its module does not load,
// or this process already runs another version.
std::unique_ptr<Machine> make_cpython_machine(std::string_view version, std::string* error = nullptr);

// Unit tests, on the interpreter of `version` (loading it as above; they
// abort when it cannot be): the list free list's length (exact lists; -1
// where the version keeps it out of reach), the GCState's long_lived_total
// and long_lived_pending, and Python source run in its __main__ (false and
// a message on an exception).
int cpython_list_free_list(std::string_view version);
std::array<std::int64_t, 2> cpython_long_lived(std::string_view version);
bool cpython_run(std::string_view version, const char* source, std::string* error = nullptr);

}  // namespace gcv
