// The allocators the benchmarks compare, behind one shape, in one process:
// gcheap's pymalloc-style Allocator, glibc's malloc, mimalloc, and CPython
// 3.11's own pymalloc (PyObject_Malloc, from the embedded libpython3.11).
#pragma once

#include <Python.h>
#include <mimalloc.h>

#include <cstdlib>

#include "gcheap/allocator.h"

namespace gcv::bench {

// CPython's allocators work once the interpreter is up; one per process.
void ensure_python();

struct GcheapAllocator {
  static constexpr const char* kName = "gcheap";
  gcheap::Allocator allocator;
  void* allocate(std::size_t n) { return allocator.allocate(n); }
  void free(void* p) { allocator.free(p); }
};

struct GlibcMalloc {
  static constexpr const char* kName = "glibc";
  void* allocate(std::size_t n) { return std::malloc(n); }
  void free(void* p) { std::free(p); }
};

struct Mimalloc {
  static constexpr const char* kName = "mimalloc";
  void* allocate(std::size_t n) { return mi_malloc(n); }
  void free(void* p) { mi_free(p); }
};

struct Pymalloc {
  static constexpr const char* kName = "pymalloc";
  Pymalloc() { ensure_python(); }
  void* allocate(std::size_t n) { return PyObject_Malloc(n); }
  void free(void* p) { PyObject_Free(p); }
};

}  // namespace gcv::bench
