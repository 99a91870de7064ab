// minheap's internals shared by its sources: the debug assertion and the
// catalog of seeded bugs.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "minheap/heap.h"

// Invariant checks, on in debug builds only (like mimalloc's
// mi_assert_internal): a failure prints the condition and aborts.
#ifndef NDEBUG
#define MINHEAP_ASSERT(condition) \
  ((condition) ? void(0) : ::minheap::assertion_failed(#condition, __FILE__, __LINE__))
#else
#define MINHEAP_ASSERT(condition) void(0)
#endif

namespace minheap {

[[noreturn]] inline void assertion_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: minheap assertion failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace minheap

#if MINHEAP_SEEDED_BUGS

// Every seeded bug: its name (MINHEAP_SEEDED_BUG's value) and what it breaks.
#define MINHEAP_SEEDED_BUGS_LIST(X)                                                        \
  X(sweep_misses_last,                                                                     \
    "the sweep leaves out the last garbage list it finds: it leaks, and the result is "    \
    "one short")                                                                           \
  X(dealloc_skips_first_item,                                                              \
    "a list freed by refcounting does not drop its item 0: that item leaks")               \
  X(mark_skips_item_zero,                                                                  \
    "marking does not follow a list's item 0: a list reachable only through an item 0 is " \
    "taken for garbage, emptied (freeing what only it kept alive) and counted")            \
  X(set_item_keeps_old, "set_item does not drop the item it replaces: the old item leaks") \
  X(remove_item_drops_twice,                                                               \
    "remove_item drops the removed item twice when something else also refers to it: "     \
    "its refcount ends one too low, and it is freed while still referenced")               \
  X(collect_counts_strs,                                                                   \
    "collect() also counts the strs freed during the collection")

namespace minheap {

enum class SeededBug : std::uint8_t {
#define MINHEAP_SEEDED_BUG_ENUMERATOR(name, description) name,
  MINHEAP_SEEDED_BUGS_LIST(MINHEAP_SEEDED_BUG_ENUMERATOR)
#undef MINHEAP_SEEDED_BUG_ENUMERATOR
  none,
};

// The bug MINHEAP_SEEDED_BUG names: none when it is unset or empty; throws
// std::invalid_argument, listing the bugs, for an unknown name.
SeededBug seeded_bug_from_environment();

}  // namespace minheap

#endif
