// CPythonMachine: heap programs on the embedded CPython 3.11 interpreter (see
// cpython_machine.h for what is made, what is observed and what is not).
//
// The interpreter calls back into the adapter through C hooks (tp_free,
// tp_finalize, tp_del, the weakref callback, the gc callback); they find the
// machine through `active`, the one machine last reset. Nothing here
// allocates a tracked object except the program's own operations.
#include "adapter.h"

#include <Python.h>

#include <algorithm>
#include <new>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include "gcverify/effects.h"
#include "interpreter_state.h"

// The C API calls this file makes that are newer than 3.8, for 3.8 and 3.9.
#if PY_VERSION_HEX < 0x03090000
#define PyObject_CallNoArgs _PyObject_CallNoArg
#define PyObject_Vectorcall _PyObject_Vectorcall
#define PyObject_GC_IsFinalized(o) _PyGC_FINALIZED(o)
#define PyObject_CallMethodNoArgs(o, name) PyObject_CallMethodObjArgs(o, name, nullptr)
#endif
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject* Py_NewRef(PyObject* o) {
  Py_INCREF(o);
  return o;
}
#endif

namespace gcv {
namespace {

class CPythonMachine;
CPythonMachine* active = nullptr;

// Class variants: bit 0 a finalizer (tp_finalize), bit 1 a legacy finalizer
// (tp_del); kRef is the weakref subclass.
enum TypeIndex : int { kObj = 0, kFin = 1, kLegacy = 2, kFinLegacy = 3, kRef = 4, kTypeCount = 5 };
constexpr int kFinalizerBit = 1, kLegacyBit = 2;

const char* const kClasses = R"(
import _weakref
class Obj(list): __slots__ = ('__weakref__',)
class Fin(list): __slots__ = ('__weakref__',)
class Legacy(list): __slots__ = ('__weakref__',)
class FinLegacy(list): __slots__ = ('__weakref__',)
class Ref(_weakref.ref): __slots__ = ()
def eval_breaker(): pass
)";
const char* const kClassNames[kTypeCount] = {"Obj", "Fin", "Legacy", "FinLegacy", "Ref"};

void free_hook(void* object);
void finalize_hook(PyObject* self);
void legacy_hook(PyObject*) {}  // tp_del: its presence is what counts
PyObject* weakref_callback(PyObject*, PyObject* weakref);
PyObject* gc_callback(PyObject*, PyObject* const* args, Py_ssize_t nargs);

PyMethodDef weakref_callback_def{"gcverify_weakref_callback", weakref_callback, METH_O, nullptr};
PyMethodDef gc_callback_def{"gcverify_gc_callback", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(gc_callback)),
                            METH_FASTCALL, nullptr};

[[noreturn]] void fatal(const char* what) {
  if (PyErr_Occurred()) PyErr_Print();
  std::fprintf(stderr, "gcverify cpython adapter: %s\n", what);
  std::abort();
}

// Refusing memory (the memory_failures capability), as
// _testcapi.set_nomemory does: the allocators of the three domains (raw,
// mem, object) wrapped, each request counted while a program's failures are
// armed and refused as they say. Unlike set_nomemory, the adapter can read
// the count (memory_requests) and refuse at random.
struct RefusedMemory {
  bool counting = false;  // while a program runs (from reset to teardown)
  MemoryFailures failures;
  std::uint64_t requests = 0;
  std::uint64_t refused = 0;
};
RefusedMemory refusing;  // one interpreter per process
PyMemAllocatorEx wrapped_allocators[3];

bool refuse_request() {
  if (!refusing.counting) return false;
  const bool refused = refusing.failures.refuses(++refusing.requests);
  refusing.refused += refused;
  return refused;
}

void* refusing_malloc(void* context, std::size_t n) {
  auto* a = static_cast<PyMemAllocatorEx*>(context);
  return refuse_request() ? nullptr : a->malloc(a->ctx, n);
}
void* refusing_calloc(void* context, std::size_t count, std::size_t n) {
  auto* a = static_cast<PyMemAllocatorEx*>(context);
  return refuse_request() ? nullptr : a->calloc(a->ctx, count, n);
}
void* refusing_realloc(void* context, void* p, std::size_t n) {
  auto* a = static_cast<PyMemAllocatorEx*>(context);
  return refuse_request() ? nullptr : a->realloc(a->ctx, p, n);
}
void passing_free(void* context, void* p) {
  auto* a = static_cast<PyMemAllocatorEx*>(context);
  a->free(a->ctx, p);
}

void wrap_allocators() {
  const PyMemAllocatorDomain domains[] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
  for (int d = 0; d < 3; ++d) {
    PyMem_GetAllocator(domains[d], &wrapped_allocators[d]);
    PyMemAllocatorEx hook{&wrapped_allocators[d], refusing_malloc, refusing_calloc, refusing_realloc, passing_free};
    PyMem_SetAllocator(domains[d], &hook);
  }
}

// A C API call that returned NULL or -1: MemoryError (std::bad_alloc, the
// error cleared) when memory was refused, else the end.
void memory_error_or_fatal(const char* what) {
  if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
    PyErr_Clear();
    throw std::bad_alloc();
  }
  fatal(what);
}

// The interpreter and everything the adapter keeps in it, made once.
struct Interpreter {
  PyObject* main_dict = nullptr;
  PyTypeObject* types[kTypeCount] = {};
  PyObject* gc_collect = nullptr;
  PyObject* gc_set_threshold = nullptr;
  PyObject* gc_enable = nullptr;
  PyObject* gc_disable = nullptr;
  PyObject* gc_freeze = nullptr;
  PyObject* gc_unfreeze = nullptr;
  PyObject* gc_set_debug = nullptr;
  PyObject* gc_debug_saveall = nullptr;
  PyObject* garbage = nullptr;          // gc.garbage
  PyObject* callback = nullptr;         // every weakref's callback
  PyObject* class_attribute = nullptr;  // "__class__"
  PyObject* clear_method = nullptr;     // "clear"
  PyObject* args1 = nullptr;            // (referent,) for Ref(referent)
  PyObject* start_info = nullptr;       // gc.callbacks' info dict, held through a generation-2 collection
  PyObject* held_marker = nullptr;      // ends the interpreter's held part (interpreter_state.h)
  PyObject* eval_breaker = nullptr;     // a Python function: its RESUME checks the eval breaker
  // gc.set_threshold takes a tuple (METH_VARARGS); one made now for each
  // arity, so that calling it allocates no tracked tuple later.
  PyObject* threshold_args[3] = {};
  PyObject* small_ints[kSmallIntMax - kSmallIntMin + 1] = {};
  std::array<std::int64_t, 3> default_thresholds{};  // the interpreter's own, as initialised

  Interpreter() {
    if (!Py_IsInitialized()) {
      PyConfig config;
      PyConfig_InitIsolatedConfig(&config);  // no site, no environment: the bare runtime
      const PyStatus status = Py_InitializeFromConfig(&config);
      PyConfig_Clear(&config);
      if (PyStatus_Exception(status)) Py_ExitStatusException(status);
    }
    GcvPyGcState initial;
    gcv_py_gc_state(&initial);
    for (int g = 0; g < 3; ++g) default_thresholds[g] = initial.threshold[g];
    PyObject* main = PyImport_AddModule("__main__");  // borrowed
    if (main == nullptr) fatal("no __main__");
    main_dict = PyModule_GetDict(main);
    PyObject* defined = PyRun_String(kClasses, Py_file_input, main_dict, main_dict);
    if (defined == nullptr) fatal("cannot define the classes");
    Py_DECREF(defined);
    eval_breaker = PyDict_GetItemString(main_dict, "eval_breaker");  // borrowed: __main__ keeps it
    for (int t = 0; t < kTypeCount; ++t) {
      PyObject* type = PyDict_GetItemString(main_dict, kClassNames[t]);
      if (type == nullptr || !PyType_Check(type)) fatal("class missing");
      Py_INCREF(type);
      types[t] = reinterpret_cast<PyTypeObject*>(type);
      // Same hook in every variant: __class__ assignment requires equal tp_free.
      types[t]->tp_free = free_hook;
      if (t != kRef && (t & kFinalizerBit)) types[t]->tp_finalize = finalize_hook;
      if (t != kRef && (t & kLegacyBit)) types[t]->tp_del = legacy_hook;
      PyType_Modified(types[t]);
    }
    // Exact weakrefs too: their tp_free is PyObject_GC_Del, which the hook
    // calls after noting the free (of a program's weakref only).
    _PyWeakref_RefType.tp_free = free_hook;
    PyObject* gc = PyImport_ImportModule("gc");
    if (gc == nullptr) fatal("no gc module");
    auto attribute = [&](const char* name) {
      PyObject* a = PyObject_GetAttrString(gc, name);
      if (a == nullptr) fatal(name);
      return a;
    };
    gc_collect = attribute("collect");
    gc_set_threshold = attribute("set_threshold");
    gc_enable = attribute("enable");
    gc_disable = attribute("disable");
    gc_freeze = attribute("freeze");
    gc_unfreeze = attribute("unfreeze");
    gc_set_debug = attribute("set_debug");
    gc_debug_saveall = attribute("DEBUG_SAVEALL");
    garbage = attribute("garbage");
    PyObject* callbacks = attribute("callbacks");
    PyObject* on_collection = PyCFunction_New(&gc_callback_def, nullptr);
    if (on_collection == nullptr || PyList_Append(callbacks, on_collection) != 0) fatal("cannot add a gc callback");
    Py_DECREF(on_collection);
    Py_DECREF(callbacks);
    Py_DECREF(gc);
    callback = PyCFunction_New(&weakref_callback_def, nullptr);
    class_attribute = PyUnicode_InternFromString("__class__");
    clear_method = PyUnicode_InternFromString("clear");
    args1 = PyTuple_Pack(1, Py_None);
    held_marker = PyList_New(0);
    for (int n = 0; n < 3; ++n) threshold_args[n] = PyTuple_Pack(n + 1, Py_None, Py_None, Py_None);
    if (callback == nullptr || class_attribute == nullptr || clear_method == nullptr || args1 == nullptr ||
        held_marker == nullptr)
      fatal("cannot set up the adapter's objects");
    for (std::int64_t v = kSmallIntMin; v <= kSmallIntMax; ++v) {
      PyObject* i = PyLong_FromLongLong(v);
      small_ints[v - kSmallIntMin] = i;  // the cache holds it: borrowed from here on
      Py_DECREF(i);
    }
    wrap_allocators();
  }

  // A gc module function called with small int arguments; its result.
  PyObject* call(PyObject* function, std::initializer_list<std::int64_t> args = {}) {
    PyObject* argv[3] = {};
    std::size_t n = 0;
    for (std::int64_t a : args) argv[n++] = PyLong_FromLongLong(a);
    PyObject* result = PyObject_Vectorcall(function, argv, n, nullptr);
    for (std::size_t i = 0; i < n; ++i) Py_DECREF(argv[i]);
    if (result == nullptr) fatal("a gc module call failed");
    return result;
  }
  void call_void(PyObject* function, std::initializer_list<std::int64_t> args = {}) { Py_DECREF(call(function, args)); }

  // The class of one of the program's containers or weakrefs (an exact
  // weakref.ref counts as kRef), or -1.
  int type_index(PyObject* o) const {
    for (int t = 0; t < kTypeCount; ++t)
      if (Py_TYPE(o) == types[t]) return t;
    return PyWeakref_CheckRefExact(o) ? kRef : -1;
  }
};

Interpreter& interpreter() {
  static Interpreter* the = new Interpreter;  // never destroyed: the interpreter outlives every machine
  return *the;
}

bool is_small_int(std::int64_t v) { return v >= kSmallIntMin && v <= kSmallIntMax; }

class CPythonMachine final : public Machine {
  // One program object: containers and weakrefs are borrowed (their tp_free
  // hook forgets them), atoms are held (see the header).
  struct Entry {
    PyObject* object = nullptr;
    ObjectKind kind = ObjectKind::Container;
  };

 public:
  CPythonMachine() : py_(interpreter()) {}
  ~CPythonMachine() override {
    if (active == this) {
      release_everything();
      active = nullptr;
    }
  }

  std::string_view name() const override { return "cpython"; }
  // See the header: small ints' refcounts, containers' payloads and the list
  // free list are not observed.
  Capabilities capabilities() const override {
    return Capabilities::all()
        .without(Capability::SmallIntRefcounts)
        .without(Capability::ContainerPayload)
        .without(Capability::ListFreeList);
  }

  void reset(std::size_t name_count) override {
    refusing = {};
    if (active != nullptr && active != this) active->release_everything();
    active = this;
    release_everything();
    names_.assign(name_count, nullptr);
    by_serial_.assign(1, Entry{});
    serial_of_.clear();
    finalizers_.clear();
    callbacks_.clear();
    highest_serial_ = 0;
    froze_ = false;
    // A fresh collector: the interpreter's default tuning; what is tracked collected and
    // frozen, and held still from then on (the first time, the whole
    // interpreter; after that, what the adapter and the interpreter made
    // meanwhile), then generation 2 collected empty so that long_lived_total
    // and every count are 0; get_stats measured from here.
    py_.call_void(py_.gc_set_debug, {0});
    set_threshold(3, py_.default_thresholds);
    py_.call_void(py_.gc_enable);
    Py_DECREF(py_.call(py_.gc_collect, {2}));
    py_.call_void(py_.gc_freeze);
    gcv_py_hold_still(py_.held_marker);
    Py_DECREF(py_.call(py_.gc_collect, {2}));
    gcv_py_gc_state(&baseline_);
    events_.clear();
    refusing.counting = true;  // the program's requests, from here
  }

  // From 3.12 an allocation over the threshold only schedules a collection
  // (_Py_ScheduleGC); a Python function's RESUME runs it (_Py_HandlePending).
  // Earlier versions have nothing waiting, and are not called.
  void eval_breaker() override {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject* result = PyObject_CallNoArgs(py_.eval_breaker);
    if (result == nullptr) fatal("the eval-breaker function failed");
    Py_DECREF(result);
#endif
  }

  // --- mutator steps ---------------------------------------------------------
  void new_container(NameIndex dst, Serial serial, std::uint32_t) override {
    PyObject* o =
        made(serial, [&] { return PyObject_CallNoArgs(reinterpret_cast<PyObject*>(py_.types[kObj])); }, "cannot make a list");
    adopt(o, serial, ObjectKind::Container);
    store(dst, o);
  }
  void new_str(NameIndex dst, Serial serial, std::uint32_t payload) override {
    PyObject* s = made(serial, [&] { return PyUnicode_New(payload, 127); }, "cannot make a str");
    std::fill_n(static_cast<char*>(PyUnicode_DATA(s)), payload, 'x');
    adopt(s, serial, ObjectKind::Str);
    store(dst, s);
  }
  void new_int(NameIndex dst, Serial serial, std::int64_t value) override {
    PyObject* i = PyLong_FromLongLong(value);
    if (i == nullptr) memory_error_or_fatal("cannot make an int");
    if (!is_small_int(value)) {
      reserve(serial);
      adopt(i, serial, ObjectKind::Int);
    }
    store(dst, i);
  }
  void bind(NameIndex dst, NameIndex src) override { bind_to(dst, names_[src]); }
  void load_slot(NameIndex dst, NameIndex container, std::uint32_t index) override {
    bind_to(dst, PyList_GET_ITEM(names_[container], index));
  }
  void unbind(NameIndex name) override { store(name, nullptr); }
  void append(NameIndex container, NameIndex item) override { append_to(names_[container], names_[item]); }
  void set_slot(NameIndex container, std::uint32_t index, NameIndex item) override {
    set_slot_of(names_[container], index, names_[item]);
  }
  void remove_slot(NameIndex container, std::uint32_t index) override { remove_slot_of(names_[container], index); }
  void clear_list(NameIndex container) override { clear_of(names_[container]); }

  // The steps on objects, for the steps on names and for bodies.
  void bind_to(NameIndex dst, PyObject* o) {
    Py_INCREF(o);
    store(dst, o);
  }
  void append_to(PyObject* list, PyObject* item) {
    if (PyList_Append(list, item) != 0) memory_error_or_fatal("list.append failed");
  }
  // list_ass_item: the new item is stored, then the old one released.
  void set_slot_of(PyObject* list, std::size_t index, PyObject* item) {
    Py_INCREF(item);
    check(PyList_SetItem(list, static_cast<Py_ssize_t>(index), item));
  }
  // del a[i]: later items shift down, then the removed one is released.
  void remove_slot_of(PyObject* list, std::size_t index) {
    const auto i = static_cast<Py_ssize_t>(index);
    check(PyList_SetSlice(list, i, i + 1, nullptr));
  }
  // list.clear(), as a program calls it.
  void clear_of(PyObject* list) {
    PyObject* r = PyObject_CallMethodNoArgs(list, py_.clear_method);
    if (r == nullptr) fatal("list.clear failed");
    Py_DECREF(r);
  }

  // --- finalizers and weak references ------------------------------------------
  void set_finalizer(NameIndex object, const std::vector<Op>& body) override {
    PyObject* o = names_[object];
    finalizers_[serial_of_.at(o)] = body;
    set_variant(o, py_.type_index(o) | kFinalizerBit);
  }
  void set_legacy_finalizer(NameIndex object) override {
    PyObject* o = names_[object];
    set_variant(o, py_.type_index(o) | kLegacyBit);
  }
  // weakref.ref(referent[, callback]): the referent is held as the argument
  // while the weakref is made, released after the call while the result is
  // held, then the result moves into dst. Without a callback, weakref.ref
  // hands back the referent's existing callback-less weakref if it has one;
  // the language wants a new object, so then the weakref is a Ref (a
  // subclass, never shared) instead.
  void new_weakref(NameIndex dst, Serial serial, NameIndex referent, const std::vector<Op>* callback) override {
    new_weakref_to(dst, serial, names_[referent], callback);
  }
  void new_weakref_to(NameIndex dst, Serial serial, PyObject* argument, const std::vector<Op>* callback) {
    Py_INCREF(argument);
    PyObject* w;
    try {
      w = made(serial, [&] {
        PyObject* ref = PyWeakref_NewRef(argument, callback == nullptr ? nullptr : py_.callback);
        if (ref != nullptr && serial_of_.count(ref) != 0) {
          Py_DECREF(ref);
          PyObject* none = PyTuple_GET_ITEM(py_.args1, 0);
          PyTuple_SET_ITEM(py_.args1, 0, argument);  // the tuple holds the argument for the call
          ref = PyObject_Call(reinterpret_cast<PyObject*>(py_.types[kRef]), py_.args1, nullptr);
          PyTuple_SET_ITEM(py_.args1, 0, none);
        }
        return ref;
      }, "cannot make a weakref");
    } catch (const std::bad_alloc&) {
      Py_DECREF(argument);  // the call's argument, as CPython drops it on error
      throw;
    }
    adopt(w, serial, ObjectKind::Weakref);
    if (callback != nullptr) callbacks_[serial] = *callback;
    Py_DECREF(argument);
    store(dst, w);
  }
  void deref(NameIndex dst, NameIndex weakref) override { deref_of(dst, names_[weakref]); }
  void deref_of(NameIndex dst, PyObject* weakref) {
    PyObject* referent = PyWeakref_GET_OBJECT(weakref);
    if (referent == Py_None || Py_REFCNT(referent) <= 0) return store(dst, nullptr);
    Py_INCREF(referent);
    store(dst, referent);
  }

  // --- the gc module -----------------------------------------------------------
  // gc.collect() makes an int of its result, which takes memory above 256:
  // out of memory it collects and then raises MemoryError.
  std::int64_t collect(int generation) override {
    if (generation < 0 || generation > 2) return 0;  // CPython raises ValueError
    PyObject* argument = py_.small_ints[generation - kSmallIntMin];
    PyObject* result = PyObject_Vectorcall(py_.gc_collect, &argument, 1, nullptr);
    if (result == nullptr) memory_error_or_fatal("gc.collect failed");
    const std::int64_t n = PyLong_AsLongLong(result);
    Py_DECREF(result);
    return n;
  }
  void set_debug(bool saveall) override {
    py_.call_void(py_.gc_set_debug, {saveall ? PyLong_AsLongLong(py_.gc_debug_saveall) : 0});
  }
  // del gc.garbage[:], the entries released in key order, last first (the
  // Machine contract): hold them, empty the list, release the holds.
  void clear_garbage() override {
    std::vector<std::pair<ObjectKey, PyObject*>> held;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(py_.garbage); ++i) {
      PyObject* o = PyList_GET_ITEM(py_.garbage, i);
      Py_INCREF(o);
      held.emplace_back(key_of(o), o);
    }
    check(PyList_SetSlice(py_.garbage, 0, PY_SSIZE_T_MAX, nullptr));
    std::sort(held.begin(), held.end());
    for (auto it = held.rbegin(); it != held.rend(); ++it) Py_DECREF(it->second);
  }
  void load_garbage(NameIndex dst, std::uint32_t index) override {
    const ObjectKey wanted = garbage()[index];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(py_.garbage); ++i) {
      PyObject* o = PyList_GET_ITEM(py_.garbage, i);
      if (key_of(o) != wanted) continue;
      Py_INCREF(o);
      return store(dst, o);
    }
  }
  void set_threshold(int arity, std::array<std::int64_t, 3> v) override {
    PyObject* args = py_.threshold_args[std::clamp(arity, 1, 3) - 1];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); ++i) {
      PyObject* old = PyTuple_GET_ITEM(args, i);
      PyTuple_SET_ITEM(args, i, PyLong_FromLongLong(v[i]));
      Py_DECREF(old);
    }
    PyObject* result = PyObject_Call(py_.gc_set_threshold, args, nullptr);
    if (result == nullptr) fatal("gc.set_threshold failed");
    Py_DECREF(result);
  }
  void enable() override { py_.call_void(py_.gc_enable); }
  void disable() override { py_.call_void(py_.gc_disable); }
  void freeze() override {
    py_.call_void(py_.gc_freeze);
    froze_ = true;
  }
  // gc.unfreeze() of what the program froze: the interpreter's own objects,
  // held still since the reset, stay frozen (they would join generation 2
  // and count among its long-lived survivors).
  void unfreeze() override {
    gcv_py_set_aside_held();
    py_.call_void(py_.gc_unfreeze);
    gcv_py_restore_held(&CPythonMachine::is_program_object, this);
  }

  // --- observation -------------------------------------------------------------
  std::optional<ObjectKey> binding(NameIndex name) override {
    if (names_[name] == nullptr) return std::nullopt;
    return key_of(names_[name]);
  }

  // What read_object would say, without its walk to the generation's head.
  std::optional<std::size_t> slot_count(ObjectKey key) override {
    PyObject* o = object_of(key);
    const int type = o == nullptr ? -1 : py_.type_index(o);
    if (type < 0 || type == kRef) return std::nullopt;
    return static_cast<std::size_t>(PyList_GET_SIZE(o));
  }

  bool read_object(ObjectKey key, ObjectState& out) override {
    PyObject* o = object_of(key);
    if (o == nullptr) return false;
    describe(key, o, out);
    if (out.kind == ObjectKind::Container || out.kind == ObjectKind::Weakref) out.generation = gcv_py_generation_of(o);
    return true;
  }

  // The program's objects; the shared small ints are left out (their
  // refcounts are not observed).
  void objects(std::vector<ObjectState>& out) override {
    sweep_atoms();
    generation_of_serial_.assign(by_serial_.size(), kUntracked);
    gcv_py_for_each_tracked(&CPythonMachine::note_generation, this);
    std::size_t n = 0;
    for (Serial serial = 1; serial < by_serial_.size(); ++serial) {
      if (by_serial_[serial].object == nullptr) continue;
      if (n == out.size()) out.emplace_back();
      ObjectState& state = out[n++];
      describe(ObjectKey::serial(serial), by_serial_[serial].object, state);
      state.generation = generation_of_serial_[serial];
    }
    out.resize(n);
  }

  CollectorState collector_state() override {
    GcvPyGcState gc;
    gcv_py_gc_state(&gc);
    CollectorState s;
    for (int g = 0; g < 3; ++g) {
      s.count[g] = gc.count[g];
      s.threshold[g] = gc.threshold[g];
      s.stats[g] = {gc.collections[g] - baseline_.collections[g], gc.collected[g] - baseline_.collected[g],
                    gc.uncollectable[g] - baseline_.uncollectable[g]};
    }
    s.enabled = gc.enabled != 0;
    if (froze_) gcv_py_for_each_tracked(&CPythonMachine::count_frozen, &s.freeze_count);
    s.list_free_list = gcv_py_list_free_list();
    return s;
  }

  const std::vector<ObjectKey>& garbage() override {
    garbage_keys_.clear();
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(py_.garbage); ++i) garbage_keys_.push_back(key_of(PyList_GET_ITEM(py_.garbage, i)));
    std::sort(garbage_keys_.begin(), garbage_keys_.end());
    return garbage_keys_;
  }
  Serial next_serial() override { return highest_serial_ + 1; }

  void take_events(std::vector<Event>& out) override {
    sweep_atoms();
    hand_over(events_, out);
  }
  void take_failed_effects(std::vector<FailedEffect>& out) override { hand_over(failed_effects_, out); }
  void fail_memory(const MemoryFailures& failures) override { refusing = {true, failures}; }
  MemoryRequests memory_requests() override { return {refusing.requests, refusing.refused, {}}; }

  std::string teardown() override {
    if (active != this) return {};
    refusing.counting = false;  // releasing everything is not the program's, and must not fail
    release_everything();
    std::string leftover;
    for (Serial serial = 1; serial < by_serial_.size(); ++serial)
      if (by_serial_[serial].object != nullptr) leftover += " " + ObjectKey::serial(serial).to_string();
    if (!leftover.empty()) leftover = "objects still alive after teardown:" + leftover + "\n";
    events_.clear();
    return leftover;
  }

  // --- hooks (called by the interpreter through the static functions) -----------
  void on_free(PyObject* o) {
    const auto it = serial_of_.find(o);
    if (it == serial_of_.end()) return;
    by_serial_[it->second].object = nullptr;
    events_.push_back({Event::Type::Freed, ObjectKey::serial(it->second)});
    serial_of_.erase(it);
  }
  void on_finalize(PyObject* self) { run_user_code(self, Event::Type::Finalized, finalizers_); }
  void on_callback(PyObject* weakref) { run_user_code(weakref, Event::Type::CallbackRan, callbacks_); }
  // A finalizer or callback of a program object: its event, then its body
  // (entries are only added or replaced by program operations, never while a
  // body runs, and the map's nodes do not move, so the body is used in place).
  void run_user_code(PyObject* o, Event::Type event, const std::unordered_map<Serial, std::vector<Op>>& bodies) {
    const auto it = serial_of_.find(o);
    if (it == serial_of_.end()) return;
    events_.push_back({event, ObjectKey::serial(it->second)});
    const auto body = bodies.find(it->second);
    if (body != bodies.end()) run_body_holding(body->second, o);
  }
  void on_collection(bool start, int generation, std::int64_t collected, std::int64_t uncollectable) {
    sweep_atoms();
    events_.push_back({start ? Event::Type::CollectionStart : Event::Type::CollectionStop, ObjectKey{}, generation,
                       collected, uncollectable});
  }

 private:
  static bool is_tracked_kind(ObjectKind kind) { return kind == ObjectKind::Container || kind == ObjectKind::Weakref; }

  static void check(int status) {
    if (status != 0) fatal("a list operation failed");
  }

  void reserve(Serial serial) { highest_serial_ = std::max(highest_serial_, serial); }

  // The object `make` makes for `serial`, which it takes first (the call may
  // collect, and what finalizers make takes the serials after it); or
  // MemoryError, nothing made and the serial given back.
  template <typename Make>
  PyObject* made(Serial serial, Make&& make, const char* what) {
    const Serial before = highest_serial_;
    reserve(serial);
    PyObject* o = make();
    if (o == nullptr) {
      highest_serial_ = before;
      memory_error_or_fatal(what);
    }
    return o;
  }

  // Registers a new object (a new reference, which the caller then stores).
  void adopt(PyObject* o, Serial serial, ObjectKind kind) {
    reserve(serial);
    if (by_serial_.size() <= serial) by_serial_.resize(serial + 1);
    by_serial_[serial] = {o, kind};
    serial_of_[o] = serial;
    if (!is_tracked_kind(kind)) Py_INCREF(o);  // the adapter's hold on an atom
  }

  // Binds `dst` to `o` (already a new reference), then releases the old binding.
  void store(NameIndex dst, PyObject* o) {
    PyObject* old = names_[dst];
    names_[dst] = o;
    Py_XDECREF(old);
  }

  void set_variant(PyObject* o, int variant) {
    if (PyObject_SetAttr(o, py_.class_attribute, reinterpret_cast<PyObject*>(py_.types[variant])) != 0)
      fatal("cannot assign __class__");
  }

  // Atoms held by the adapter alone are released: their death, reported now.
  void sweep_atoms() {
    for (Serial serial = 1; serial < by_serial_.size(); ++serial) {
      Entry& e = by_serial_[serial];
      if (e.object == nullptr || is_tracked_kind(e.kind) || Py_REFCNT(e.object) > 1) continue;
      PyObject* o = std::exchange(e.object, nullptr);
      serial_of_.erase(o);
      Py_DECREF(o);
      events_.push_back({Event::Type::Freed, ObjectKey::serial(serial)});
    }
  }

  ObjectKey key_of(PyObject* o) const {
    const auto it = serial_of_.find(o);
    if (it != serial_of_.end()) return ObjectKey::serial(it->second);
    if (PyLong_CheckExact(o)) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow == 0 && is_small_int(v) && py_.small_ints[v - kSmallIntMin] == o) return ObjectKey::small_int(v);
    }
    return {};
  }

  PyObject* object_of(ObjectKey key) const {
    if (key.is_serial()) return key.as_serial() < by_serial_.size() ? by_serial_[key.as_serial()].object : nullptr;
    if (key.raw == 0) return nullptr;
    const std::int64_t v = key.small_int_value();
    return is_small_int(v) ? py_.small_ints[v - kSmallIntMin] : nullptr;
  }

  void describe(ObjectKey key, PyObject* o, ObjectState& s) const {
    s.key = key;
    s.generation = kUntracked;
    s.payload = 0;
    s.int_value = 0;
    s.slots.clear();
    s.referent = {};
    s.has_finalizer = false;
    s.finalized = false;
    s.intact = true;
    const int type = py_.type_index(o);
    if (type == kRef) {
      s.kind = ObjectKind::Weakref;
      s.refcount = Py_REFCNT(o);
      PyObject* referent = PyWeakref_GET_OBJECT(o);
      if (referent != Py_None) s.referent = key_of(referent);
      s.finalized = PyObject_GC_IsFinalized(o) != 0;
    } else if (type >= 0) {
      s.kind = ObjectKind::Container;
      s.refcount = Py_REFCNT(o);
      s.has_finalizer = (type & kFinalizerBit) != 0;
      s.finalized = PyObject_GC_IsFinalized(o) != 0;
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(o); ++i) s.slots.push_back(key_of(PyList_GET_ITEM(o, i)));
    } else if (PyUnicode_CheckExact(o)) {
      s.kind = ObjectKind::Str;
      s.refcount = Py_REFCNT(o) - 1;  // the adapter's hold
      s.payload = static_cast<std::uint32_t>(PyUnicode_GET_LENGTH(o));
    } else {
      s.kind = ObjectKind::Int;
      s.int_value = PyLong_AsLongLong(o);
      // A small int's count is the interpreter's business (not observed).
      s.refcount = key.is_serial() ? Py_REFCNT(o) - 1 : 0;
    }
  }

  static int is_program_object(void* context, PyObject* o) {
    return static_cast<CPythonMachine*>(context)->serial_of_.count(o) != 0;
  }

  // gc.get_freeze_count() of the program: its objects in the permanent
  // generation, and PyObject_ClearWeakRefs' tuples (a tuple of (weakref,
  // callback) pairs whose first weakref is the program's), frozen by a
  // gc.freeze() a callback ran.
  static void count_frozen(void* context, PyObject* o, int generation) {
    if (generation != kPermanentGeneration || active == nullptr) return;
    const bool callbacks_tuple = PyTuple_CheckExact(o) && PyTuple_GET_SIZE(o) >= 2 &&
                                 active->serial_of_.count(PyTuple_GET_ITEM(o, 0)) != 0;
    if (callbacks_tuple || active->serial_of_.count(o) != 0) *static_cast<std::int64_t*>(context) += 1;
  }
  static void note_generation(void* context, PyObject* o, int generation) {
    auto* self = static_cast<CPythonMachine*>(context);
    if (self->py_.type_index(o) < 0) return;
    const auto it = self->serial_of_.find(o);
    if (it != self->serial_of_.end()) self->generation_of_serial_[it->second] = static_cast<std::int8_t>(generation);
  }

  // A Python __del__ or callback holds its argument in its frame until it
  // returns (PyObject_CallFinalizer and handle_callback pass it borrowed), so
  // a weakref whose callback drops the last other reference to it dies only
  // after the callback: the C functions standing for them hold it likewise.
  void run_body_holding(const std::vector<Op>& body, PyObject* self) {
    Py_INCREF(self);
    gcv::run_body(*this, body, self);
    Py_DECREF(self);
  }

  // What gcverify/effects.h reads a body's operands with, besides the steps.
  template <typename Adapter, typename Object>
  friend void gcv::run_body(Adapter& machine, const std::vector<Op>& body, Object self);
  template <typename Adapter, typename Object>
  friend void gcv::run_body_operation(Adapter& machine, const Op& op, Object self);
  bool named(NameIndex n) const { return n < names_.size(); }
  PyObject* bound(NameIndex n) const { return named(n) ? names_[n] : nullptr; }
  bool is_list(PyObject* o) const { return o != nullptr && py_.type_index(o) >= 0 && py_.type_index(o) != kRef; }
  bool is_weakref(PyObject* o) const { return o != nullptr && py_.type_index(o) == kRef; }
  static std::size_t list_size(PyObject* list) { return static_cast<std::size_t>(PyList_GET_SIZE(list)); }
  static PyObject* list_get(PyObject* list, std::size_t i) { return PyList_GET_ITEM(list, static_cast<Py_ssize_t>(i)); }
  void skipped_for_memory(PyObject* self, std::uint32_t index) { failed_effects_.push_back({key_of(self), index}); }

  // Drops every name, makes legacy finalizers ordinary (as an interpreter at
  // exit lets go of what it could not collect), empties gc.garbage, unfreezes
  // and collects until nothing of the program's is freed any more.
  void release_everything() {
    for (NameIndex n = 0; n < names_.size(); ++n) store(n, nullptr);
    py_.call_void(py_.gc_set_debug, {0});
    for (int round = 0; round < 8; ++round) {
      for (const Entry& e : by_serial_)
        if (e.object != nullptr && e.kind == ObjectKind::Container && (py_.type_index(e.object) & kLegacyBit))
          set_variant(e.object, py_.type_index(e.object) & ~kLegacyBit);
      clear_garbage();
      unfreeze();
      const std::size_t before = serial_of_.size();
      Py_DECREF(py_.call(py_.gc_collect, {2}));
      sweep_atoms();
      for (NameIndex n = 0; n < names_.size(); ++n) store(n, nullptr);  // finalizers may bind names
      if (serial_of_.size() == before && PyList_GET_SIZE(py_.garbage) == 0) break;
    }
  }

  Interpreter& py_;
  std::vector<PyObject*> names_;
  std::vector<Entry> by_serial_;
  std::unordered_map<PyObject*, Serial> serial_of_;
  std::unordered_map<Serial, std::vector<Op>> finalizers_;
  std::unordered_map<Serial, std::vector<Op>> callbacks_;
  Serial highest_serial_ = 0;
  bool froze_ = false;
  GcvPyGcState baseline_{};
  std::vector<std::int8_t> generation_of_serial_;
  std::vector<Event> events_;
  std::vector<FailedEffect> failed_effects_;  // body operations skipped for MemoryError
  std::vector<ObjectKey> garbage_keys_;  // what garbage() returns
};

void free_hook(void* object) {
  if (active != nullptr) active->on_free(static_cast<PyObject*>(object));
  PyObject_GC_Del(object);
}

void finalize_hook(PyObject* self) {
  if (active != nullptr) active->on_finalize(self);
}

PyObject* weakref_callback(PyObject*, PyObject* weakref) {
  if (active != nullptr) active->on_callback(weakref);
  Py_RETURN_NONE;
}

// gc.callbacks: ("start" | "stop", {"generation", "collected", "uncollectable"}).
PyObject* gc_callback(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || active == nullptr) Py_RETURN_NONE;
  const bool start = PyUnicode_CompareWithASCIIString(args[0], "start") == 0;
  auto field = [&](const char* name) -> std::int64_t {
    PyObject* v = PyDict_GetItemString(args[1], name);
    return v == nullptr ? 0 : PyLong_AsLongLong(v);
  };
  const int generation = static_cast<int>(field("generation"));
  active->on_collection(start, generation, field("collected"), field("uncollectable"));
  // A generation-2 collection's count is the program's: see interpreter_state.c.
  PyObject*& start_info = interpreter().start_info;
  if (generation == 2 && start) {
    gcv_py_empty_free_lists();
    Py_XSETREF(start_info, Py_NewRef(args[1]));
  } else if (generation == 2) {
    gcv_py_uncount_callback_info();
    Py_CLEAR(start_info);
  }
  Py_RETURN_NONE;
}

std::unique_ptr<Machine> make_machine() { return std::make_unique<CPythonMachine>(); }

int list_free_list() {
  interpreter();
  return gcv_py_list_free_list();
}

std::array<std::int64_t, 2> long_lived() {
  interpreter();
  GcvPyGcState gc;
  gcv_py_gc_state(&gc);
  return {gc.long_lived_total, gc.long_lived_pending};
}

bool run(const char* source, std::string* error) {
  Interpreter& py = interpreter();
  PyObject* result = PyRun_String(source, Py_file_input, py.main_dict, py.main_dict);
  if (result != nullptr) {
    Py_DECREF(result);
    return true;
  }
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  if (error != nullptr) {
    PyObject* text = value ? PyObject_Str(value) : nullptr;
    *error = text ? PyUnicode_AsUTF8(text) : "unknown error";
    Py_XDECREF(text);
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  return false;
}

}  // namespace
}  // namespace gcv

#define GCV_STRING(x) #x
#define GCV_VERSION(major, minor) GCV_STRING(major) "." GCV_STRING(minor)

extern "C" __attribute__((visibility("default"))) const gcv::CPythonAdapter* gcv_cpython_adapter() {
  static const gcv::CPythonAdapter adapter{GCV_VERSION(PY_MAJOR_VERSION, PY_MINOR_VERSION), gcv::make_machine,
                                           gcv::list_free_list, gcv::long_lived, gcv::run};
  return &adapter;
}
