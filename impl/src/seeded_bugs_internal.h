// The seeded bugs' switch, as the heap's sources test it (the catalog and its
// public API are gcheap/seeded_bugs.h and seeded_bugs.cc).
//
// A bug site is one expression in one form, the correct value first:
//     GCHEAP_SEEDED(name, correct, mistaken)
// (`if (GCHEAP_SEEDED(name, false, true)) incref(item);` adds a statement,
// `(name, true, false)` drops one). In the normal build it is the correct
// expression alone: the compiler drops the mistake and the site is the
// original code, with no trace of the catalog. In the seeded-bugs build (GCHEAP_SEEDED_BUGS) it compares the bug
// with the active one: one load of a global and a compare, plus, on the very
// first query only, reading GCHEAP_SEEDED_BUG from the environment.
#pragma once

#ifdef GCHEAP_SEEDED_BUGS

namespace gcheap::seeded_bugs {

// Every seeded bug, by area; seeded_bugs.cc describes each one, in this order.
#define GCHEAP_SEEDED_BUG_LIST(X)              \
  /* allocator */                              \
  X(full_pool_stays_in_use)                    \
  X(reallocate_keeps_outgrown_block)           \
  X(owns_accepts_pool_headers)                 \
  /* refcount */                               \
  X(list_append_double_counts_item)            \
  X(list_set_decrefs_before_store)             \
  X(list_remove_decrefs_successor)             \
  X(list_dealloc_skips_first_item)             \
  /* collector */                              \
  X(subtract_refs_skips_last_item)             \
  X(move_unreachable_forgets_rescue)           \
  X(legacy_finalizer_reachable_not_moved)      \
  X(resurrection_check_skipped)                \
  X(legacy_garbage_saved_only_with_saveall)    \
  /* generations */                            \
  X(gc_triggers_at_threshold)                  \
  X(full_collection_ignores_long_lived_ratio)  \
  X(survivors_stay_in_collected_generation)    \
  /* freeze */                                 \
  X(freeze_zeroes_only_count0)                 \
  X(unfreeze_moves_to_generation_0)            \
  /* finalizers */                             \
  X(finalizer_runs_twice_after_resurrection)   \
  X(dealloc_frees_resurrected_object)          \
  X(resurrected_objects_counted_as_collected)  \
  /* weakrefs */                               \
  X(trash_weakref_callback_runs)               \
  X(weakref_callback_before_clearing_all)      \
  /* trashcan */                               \
  X(trashcan_level_leaks_on_resurrection)      \
  /* free list */                              \
  X(free_list_keeps_finalized_flag)            \
  X(free_list_survives_full_collection)        \
  /* out of memory */                          \
  X(arena_leaks_when_table_cannot_grow)        \
  X(append_keeps_size_on_failed_growth)        \
  X(failed_growth_frees_items)

enum class BugId : unsigned char {
#define GCHEAP_SEEDED_BUG_ID(name) name,
  GCHEAP_SEEDED_BUG_LIST(GCHEAP_SEEDED_BUG_ID)
#undef GCHEAP_SEEDED_BUG_ID
  none,    // the correct heap
  unread,  // GCHEAP_SEEDED_BUG not read yet
};
inline constexpr auto kBugCount = static_cast<unsigned>(BugId::none);

// The bug switched on; unread until the first query or enable/disable_all.
extern BugId active_bug;
// Reads GCHEAP_SEEDED_BUG and sets active_bug. An unknown name prints the
// valid ones to stderr and exits with status 2.
BugId read_active_bug_from_environment();

inline bool is_active(BugId bug) {
  BugId active = active_bug;
  if (active == BugId::unread) [[unlikely]]
    active = read_active_bug_from_environment();
  return active == bug;
}

}  // namespace gcheap::seeded_bugs

#define GCHEAP_SEEDED(name, correct, mistaken) \
  (::gcheap::seeded_bugs::is_active(::gcheap::seeded_bugs::BugId::name) ? (mistaken) : (correct))

#else

#define GCHEAP_SEEDED(name, correct, mistaken) (correct)

#endif
