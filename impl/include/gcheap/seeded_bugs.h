// Seeded bugs: a catalog of small, realistic mistakes planted in gcheap, so
// that users can prove a harness catches bugs (docs/seeded-bugs.md).
//
// They exist only in the dedicated build (CMake option GCV_SEEDED_BUGS=ON,
// the `bugs` preset), which compiles gcheap with GCHEAP_SEEDED_BUGS defined.
// There this header declares the API below; in the normal build it declares
// nothing but kSeededBugsBuild = false, and the heap carries no trace of the
// bugs. Code that uses the API tests `#ifdef GCHEAP_SEEDED_BUGS`.
//
// At most one bug is active at a time, chosen by name:
//   - from the environment: GCHEAP_SEEDED_BUG=<name>, read once, when the heap
//     first asks whether a bug is active (or on the first active() call). An
//     empty value means none; an unknown name prints the valid names to stderr
//     and exits with status 2, so a typo never runs the correct heap silently;
//   - in process: enable(name) and disable_all(). Either decides for good: the
//     environment is not read afterwards.
// Switching bugs while a heap holds objects is allowed but rarely meaningful:
// switch between scenarios, with no heap alive.
#pragma once

#ifdef GCHEAP_SEEDED_BUGS
#include <span>
#include <string_view>
#endif

namespace gcheap {

#ifdef GCHEAP_SEEDED_BUGS
inline constexpr bool kSeededBugsBuild = true;
#else
inline constexpr bool kSeededBugsBuild = false;
#endif

#ifdef GCHEAP_SEEDED_BUGS
namespace seeded_bugs {

struct Bug {
  std::string_view name;         // snake_case, unique
  std::string_view area;         // allocator, refcount, collector, generations, freeze,
                                 // finalizers, weakrefs, trashcan, free list or
                                 // out of memory
  std::string_view description;  // what is wrong, and the real bug class it imitates
};

// Every seeded bug, grouped by area.
std::span<const Bug> catalog();
// Makes `name` the active bug; false (and no change) for an unknown name.
bool enable(std::string_view name);
// Back to the correct heap.
void disable_all();
// The active bug's name, or empty.
std::string_view active();

}  // namespace seeded_bugs
#endif

}  // namespace gcheap
