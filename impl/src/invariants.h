// Invariant checks inside gcheap, in the spirit of CPython's validate_list
// and mimalloc's mi_page_is_valid. The collector checks its lists at each
// phase of a collection, and the allocator its pools and arenas after every
// full collection, when gcheap is built with GCHEAP_CHECKS (the option
// GCHEAP_INVARIANT_CHECKS: on in the test and fuzz builds, off in Release
// and in the seeded-bugs builds, where catching the planted bugs is the
// harness's job). Without it the checks compile but cost nothing. A failed
// check prints what it found and where, and aborts: the heap's state is
// already wrong, and nothing after it can be trusted.
#pragma once

#include <cstddef>

#include "heap_internal.h"

#ifndef GCHEAP_CHECKS
#define GCHEAP_CHECKS 0
#endif

namespace gcheap {

inline constexpr bool kChecks = GCHEAP_CHECKS != 0;

[[noreturn]] void check_failed(const char* what, const char* detail, const char* file, int line);

// Aborts with `what` when `condition` is false, in a build with checks.
#define GCHEAP_CHECK(condition, what) \
  (::gcheap::kChecks && !(condition) ? ::gcheap::check_failed(what, #condition, __FILE__, __LINE__) : (void)0)

// What validate_list expects of the flags of every member of a list.
enum class Flag : unsigned char { Clear, Set, Any };
struct ListFlags {
  Flag collecting;   // kPrevMaskCollecting
  Flag unreachable;  // kNextMaskUnreachable on the member's next link
};
inline constexpr ListFlags kCollectingClearUnreachableClear{Flag::Clear, Flag::Clear};
inline constexpr ListFlags kCollectingSetUnreachableClear{Flag::Set, Flag::Clear};
inline constexpr ListFlags kCollectingSetUnreachableSet{Flag::Set, Flag::Set};
inline constexpr ListFlags kCollectingSet{Flag::Set, Flag::Any};

// The list at `head` is a well-linked ring (each member's next's prev is the
// member), of tracked objects with GC headers, with the flags `expected`.
// Nothing without checks. Not between update_refs and move_unreachable, when
// prev words hold gc_refs.
void validate_list(const GcHead* head, ListFlags expected);

// Every generation's list (collecting and unreachable flags clear) and the
// allocator's pools and arenas.
void validate_heap(Heap::State& state);

}  // namespace gcheap
