// The list free list, asked of CPython 3.11 directly with exact lists (the
// adapter's containers, instances of a list subclass, never enter it): how
// many it keeps, which collections empty it, and whether reuse is counted.
#include <Python.h>
#include <gtest/gtest.h>

#include "gcverify/cpython_machine.h"

namespace gcv {
namespace {

class ListFreeList : public ::testing::Test {
 protected:
  // A reset collects generation 2: the free lists start empty, counts at 0.
  void SetUp() override { machine->reset(1); }
  void TearDown() override { EXPECT_EQ(machine->teardown(), ""); }
  std::int64_t count0() { return machine->collector_state().count[0]; }
  void make_and_free(int n) {
    std::vector<PyObject*> lists;
    for (int i = 0; i < n; ++i) lists.push_back(PyList_New(0));
    for (PyObject* l : lists) Py_DECREF(l);
  }
  std::unique_ptr<Machine> machine = make_cpython_machine(profile().name);
};

TEST_F(ListFreeList, KeepsEightyAndOnlyAFullCollectionEmptiesIt) {
  EXPECT_EQ(cpython_list_free_list(profile().name), 0);
  make_and_free(100);
  EXPECT_EQ(cpython_list_free_list(profile().name), 80);  // PyList_MAXFREELIST
  machine->collect(0);
  machine->collect(1);
  EXPECT_EQ(cpython_list_free_list(profile().name), 80);
  machine->collect(2);  // clear_freelists
  EXPECT_EQ(cpython_list_free_list(profile().name), 0);
}

// The model and gcheap count a list taken from the free list as a container
// allocation and a list put there as a deallocation (a documented choice:
// the semantics reference defines count0 by allocations and deallocations).
// CPython 3.11 does neither: PyList_New reuses without _PyObject_GC_Link,
// list_dealloc free-lists without PyObject_GC_Del.
TEST_F(ListFreeList, CPythonDoesNotCountFreeListTraffic) {
  PyObject* first = PyList_New(0);  // new memory: counted
  EXPECT_EQ(count0(), 1);
  Py_DECREF(first);  // into the free list: not taken back
  EXPECT_EQ(count0(), 1);
  EXPECT_EQ(cpython_list_free_list(profile().name), 1);
  PyObject* again = PyList_New(0);  // from the free list: not counted
  EXPECT_EQ(count0(), 1);
  EXPECT_EQ(cpython_list_free_list(profile().name), 0);
  Py_DECREF(again);
}

}  // namespace
}  // namespace gcv
