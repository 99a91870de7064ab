// Full collections, gcheap's collector beside CPython 3.11's gc.collect() on
// the same graph shapes, in one process (Google Benchmark). Each reports
// nanoseconds per object the collection examines:
//   live_pairs  N lists in two-list cycles, every pair reachable from one
//               root list: the collection traverses everything, frees nothing
//   dead_pairs  N lists in two-list cycles, unreachable: the collection
//               finds and frees them all (the graph is rebuilt, untimed,
//               before every collection)
// for N = 1e5, 1e6 and 1e7;
//   three_pass_floor  the memory traffic alone of a collector that, like both
//                 of these, makes three passes over its objects (update_refs,
//                 subtract_refs, move_unreachable), each reading and
//                 writing one 64-byte line per object: three passes over an
//                 N-line buffer, one word read and written per line. No
//                 three-pass collector can beat it once the heap outgrows
//                 the caches; and
//   young_stream  a steady allocation stream with the default thresholds
//                 (700, 10, 10): each step makes a two-list cycle and drops
//                 it, so automatic young collections find garbage every 350
//                 steps; ns per step, allocation, linking and the share of
//                 collections included. CPython's side uses the C API
//                 (PyList_New, PyList_Append, Py_DECREF), so no bytecode runs.
//   memory        the live_pairs graph of 1e6 lists, built once: resident
//                 bytes per object it added to the process on each side
//                 (/proc/self/statm), and for gcheap the arena bytes mapped
//                 per object and how full its pools are.
// For the full collections automatic collection is off on both sides, and
// the interpreter's own objects are frozen (gc.freeze()) so that CPython's
// collection examines the benchmark's lists only. bench/run.sh turns the
// results into ratios (the targets: gcheap at least 5x faster per
// object; 1e7 objects at most 11x the time of 1e6).
#include <Python.h>
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "allocators.h"
#include "gcheap/heap.h"

namespace gcv::bench {
namespace {

using gcheap::Heap;
using gcheap::Object;

// n lists in two-list cycles; with `root`, each pair is held by it.
void build_pairs(Heap& heap, std::int64_t n, Object* root) {
  for (std::int64_t i = 0; i < n / 2; ++i) {
    Object* a = heap.new_list(0);
    Object* b = heap.new_list(0);
    heap.list_append(a, b);  // a holds b (b's reference moves into a)
    Heap::incref(a);
    heap.list_append(b, a);  // b holds a
    if (root != nullptr)
      heap.list_append(root, a);  // the root holds a (ours moves into it)
    else
      heap.decref(a);  // only b holds a now: the pair is garbage
  }
}

void collect_gcheap(benchmark::State& state, bool live) {
  gcheap::Allocator allocator;
  Heap heap(allocator, Heap::Config{{0, 10, 10}});  // threshold 0: no automatic collection
  const std::int64_t n = state.range(0);
  Object* root = heap.new_list(0);
  if (live) build_pairs(heap, n, root);
  for (auto _ : state) {
    if (!live) {
      state.PauseTiming();
      build_pairs(heap, n, nullptr);
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(heap.collect(2));
  }
  state.SetItemsProcessed(state.iterations() * n);
  heap.decref(root);
  heap.collect(2);
}

// build_pairs, in Python: the same shapes on CPython's side.
const char* const kBuildPairsInPython =
    "def build_pairs(n, root):\n"
    "    for _ in range(n // 2):\n"
    "        a = []\n"
    "        b = [a]\n"
    "        a.append(b)\n"
    "        if root is not None: root.append(a)\n";

// Runs Python source in the embedded interpreter's __main__; aborts the
// benchmark run on an exception (the source is ours).
void run_python(const std::string& source) {
  if (PyRun_SimpleString(source.c_str()) != 0) std::abort();
}

void collect_cpython(benchmark::State& state, bool live) {
  ensure_python();
  const std::int64_t n = state.range(0);
  run_python(std::string("import gc\ngc.disable()\ngc.collect()\ngc.freeze()\n") + kBuildPairsInPython);
  PyObject* gc = PyImport_ImportModule("gc");
  if (live) run_python("root = []\nbuild_pairs(" + std::to_string(n) + ", root)\n");
  for (auto _ : state) {
    if (!live) {
      state.PauseTiming();
      run_python("build_pairs(" + std::to_string(n) + ", None)\n");
      state.ResumeTiming();
    }
    PyObject* found = PyObject_CallMethod(gc, "collect", nullptr);
    benchmark::DoNotOptimize(found);
    Py_XDECREF(found);
  }
  state.SetItemsProcessed(state.iterations() * n);
  run_python("root = None\ngc.collect()\ngc.unfreeze()\n");
  Py_DECREF(gc);
}

constexpr std::int64_t kStreamSteps = 1'000'000;

void young_stream_gcheap(benchmark::State& state) {
  gcheap::Allocator allocator;
  Heap heap(allocator);  // default thresholds: automatic collection on
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kStreamSteps; ++i) {
      Object* a = heap.new_list(0);
      Object* b = heap.new_list(0);
      heap.list_append(a, b);
      Heap::incref(a);
      heap.list_append(b, a);
      heap.decref(a);  // a two-list cycle, garbage for the next young collection
    }
  }
  state.SetItemsProcessed(state.iterations() * kStreamSteps);
  heap.collect(2);
}

void young_stream_cpython(benchmark::State& state) {
  ensure_python();
  run_python("import gc\ngc.collect()\ngc.freeze()\ngc.enable()\ngc.set_threshold(700, 10, 10)\n");
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kStreamSteps; ++i) {
      PyObject* a = PyList_New(0);
      PyObject* b = PyList_New(0);
      PyList_Append(a, b);  // takes its own reference to b
      PyList_Append(b, a);
      Py_DECREF(a);
      Py_DECREF(b);  // a two-list cycle, garbage for the next young collection
    }
  }
  state.SetItemsProcessed(state.iterations() * kStreamSteps);
  run_python("gc.disable()\ngc.collect()\ngc.unfreeze()\n");
}

// The process's resident set, in bytes.
double resident_bytes() {
  long total_pages = 0, resident_pages = 0;
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr || std::fscanf(statm, "%ld %ld", &total_pages, &resident_pages) != 2) std::abort();
  std::fclose(statm);
  return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void memory_gcheap(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  for (auto _ : state) {
    gcheap::Allocator allocator;
    Heap heap(allocator, Heap::Config{{0, 10, 10}});
    const double before = resident_bytes();
    Object* root = heap.new_list(0);
    build_pairs(heap, n, root);
    const gcheap::AllocatorStats stats = allocator.stats();
    state.counters["rss_bytes_per_object"] = (resident_bytes() - before) / static_cast<double>(n);
    state.counters["mapped_bytes_per_object"] = static_cast<double>(stats.bytes_mapped) / static_cast<double>(n);
    state.counters["pool_utilisation"] = static_cast<double>(stats.small_bytes_live) /
                                         static_cast<double>(stats.pools_in_use * allocator.geometry().pool_size);
    heap.decref(root);
    heap.collect(2);
  }
}

void memory_cpython(benchmark::State& state) {
  ensure_python();
  const std::int64_t n = state.range(0);
  run_python(std::string("import gc\ngc.disable()\ngc.collect()\n") + kBuildPairsInPython);
  for (auto _ : state) {
    const double before = resident_bytes();
    run_python("root = []\nbuild_pairs(" + std::to_string(n) + ", root)\n");
    state.counters["rss_bytes_per_object"] = (resident_bytes() - before) / static_cast<double>(n);
    run_python("root = None\ngc.collect()\n");
  }
}

void three_pass_floor(benchmark::State& state) {
  constexpr std::size_t kWordsPerLine = 64 / sizeof(std::uint64_t);
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint64_t> lines(n * kWordsPerLine, 1);
  for (auto _ : state) {
    for (std::uint64_t pass = 0; pass < 3; ++pass) {
      for (std::size_t i = 0; i < lines.size(); i += kWordsPerLine) lines[i] += pass;
      benchmark::ClobberMemory();
    }
  }
  benchmark::DoNotOptimize(lines.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void live_pairs_gcheap(benchmark::State& state) { collect_gcheap(state, true); }
void dead_pairs_gcheap(benchmark::State& state) { collect_gcheap(state, false); }
void live_pairs_cpython(benchmark::State& state) { collect_cpython(state, true); }
void dead_pairs_cpython(benchmark::State& state) { collect_cpython(state, false); }

BENCHMARK(live_pairs_gcheap)->Name("full_collection_live_pairs/gcheap")->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(dead_pairs_gcheap)->Name("full_collection_dead_pairs/gcheap")->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(live_pairs_cpython)->Name("full_collection_live_pairs/cpython")->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(dead_pairs_cpython)->Name("full_collection_dead_pairs/cpython")->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(three_pass_floor)->Name("full_collection/three_pass_floor")->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(young_stream_gcheap)->Name("young_stream/gcheap/1000000")->Unit(benchmark::kMillisecond);
BENCHMARK(young_stream_cpython)->Name("young_stream/cpython/1000000")->Unit(benchmark::kMillisecond);
// Memory first in its process's life on each side, so freed memory from
// earlier benchmarks does not hide new mappings: run it alone (bench/run.sh).
BENCHMARK(memory_gcheap)->Name("memory/gcheap")->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(memory_cpython)->Name("memory/cpython")->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gcv::bench

BENCHMARK_MAIN();
