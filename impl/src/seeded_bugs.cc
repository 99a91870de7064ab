// The catalog of seeded bugs and the switch that turns one on (the API is
// gcheap/seeded_bugs.h; the bug sites are GCHEAP_SEEDED expressions, from
// seeded_bugs_internal.h). Compiled only in the GCV_SEEDED_BUGS build.
//
// Each entry says what the planted mistake does and which real bug class of
// CPython's allocator (Objects/obmalloc.c), collector (Modules/gcmodule.c),
// object deallocation (Objects/object.c, typeobject.c's subtype_dealloc) or
// weak references (Objects/weakrefobject.c) it imitates. Those that a
// lockstep comparison cannot see directly, only the allocator fuzzer, its
// properties or AddressSanitizer, say so.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "gcheap/seeded_bugs.h"
#include "seeded_bugs_internal.h"

namespace gcheap::seeded_bugs {

BugId active_bug = BugId::unread;

namespace {

struct Entry {
  BugId id;
  Bug bug;
};

#define GCHEAP_SEEDED_BUG(name, area, description) {BugId::name, {#name, area, description}}

constexpr Entry entries[] = {
    GCHEAP_SEEDED_BUG(
        full_pool_stays_in_use, "allocator",
        "take_block forgets to unlink a pool from usedpools when it becomes full, so the next "
        "request of that size class carves a block past the pool's end, over the next pool. "
        "Imitates a slip in pymalloc's used -> full pool transition. Blocks overlap: the lockstep "
        "run sees corrupted objects or crashes; AddressSanitizer and the allocator fuzzer report "
        "it at once."),
    GCHEAP_SEEDED_BUG(
        reallocate_keeps_outgrown_block, "allocator",
        "reallocate keeps a pool block when the new size is up to one size class larger than the "
        "block, instead of only for the same class: an off-by-one in pymalloc_realloc's 'does it "
        "still fit' test. The caller writes past the block. Seen by the allocator fuzzer and its "
        "properties (usable_size < requested) and by AddressSanitizer; lists grow by more than one "
        "class at a time, so heap programs rarely trip it."),
    GCHEAP_SEEDED_BUG(
        owns_accepts_pool_headers, "allocator",
        "owns() checks only that the address lies in a mapped arena and forgets that the "
        "arena's pool headers are not blocks, so pointers into them are claimed: the class of "
        "address_in_range bugs of obmalloc, whose ownership test had to be exact for foreign "
        "pointers. Seen by the allocator's Ownership property, which asks about pool headers."),
    GCHEAP_SEEDED_BUG(
        list_append_double_counts_item, "refcount",
        "list_append increfs the item although it takes over the caller's reference: the "
        "steal-versus-borrow confusion behind many CPython reference leaks (PyList_Append "
        "increfs, PyList_SET_ITEM steals). Appended objects never die."),
    GCHEAP_SEEDED_BUG(
        list_set_decrefs_before_store, "refcount",
        "list_set drops the old item before storing the new one, so the old item's finalizer "
        "(or anything its death runs) sees the slot still holding a dead object: the bug class "
        "that Py_SETREF / Py_XSETREF were introduced to fix (decref only after the slot is "
        "updated). Seen by a finalizer that reads the slot (`n = m[i]` in its body)."),
    GCHEAP_SEEDED_BUG(
        list_remove_decrefs_successor, "refcount",
        "list_remove reads the slot to release after shifting the later items down, so it drops "
        "the item that moved into the slot instead of the removed one: the removed item leaks "
        "and its successor is freed while the list still holds it (a use-after-free)."),
    GCHEAP_SEEDED_BUG(
        list_dealloc_skips_first_item, "refcount",
        "A dying list releases its items last to first but stops before item 0, an off-by-one "
        "in list_dealloc's 'while (--i >= 0) Py_XDECREF(op->ob_item[i])' loop. The first item of "
        "every freed list leaks."),
    GCHEAP_SEEDED_BUG(
        subtract_refs_skips_last_item, "collector",
        "subtract_refs visits every item of a list but the last, so the internal reference in "
        "the last slot is counted as one from outside: a tp_traverse that misses a member, a "
        "classic extension-type bug. Cycles closed through a last slot are never collected."),
    GCHEAP_SEEDED_BUG(
        move_unreachable_forgets_rescue, "collector",
        "move_unreachable does not move back an object it had tentatively put in the "
        "unreachable set when a reachable object later turns out to reference it (visit_reachable's "
        "NEXT_MASK_UNREACHABLE branch), the subtle step of gcmodule.c's single-pass algorithm. A "
        "reachable object is treated as garbage: its finalizer runs and its weakrefs are cleared "
        "(handle_resurrected_objects then keeps it alive)."),
    GCHEAP_SEEDED_BUG(
        legacy_finalizer_reachable_not_moved, "collector",
        "move_legacy_finalizer_reachable is skipped: objects with a legacy finalizer (tp_del) are "
        "kept out of the garbage but what they reach is not, unlike gcmodule.c, where everything "
        "reachable from gc.garbage candidates is uncollectable too. collect() counts fewer "
        "uncollectable objects."),
    GCHEAP_SEEDED_BUG(
        resurrection_check_skipped, "collector",
        "After the finalizers ran, the collector clears the whole unreachable set without "
        "recomputing what is still unreachable (handle_resurrected_objects, or check_garbage in "
        "older gcmodule.c), so an object a finalizer resurrected, and what it reaches, is "
        "cleared while alive: its references are dropped and its items die. The danger PEP 442 "
        "had to handle when it let finalizers run on cyclic trash."),
    GCHEAP_SEEDED_BUG(
        legacy_garbage_saved_only_with_saveall, "collector",
        "handle_legacy_finalizers appends an uncollectable object to gc.garbage only when it has "
        "a legacy finalizer AND DEBUG_SAVEALL is set, a '&&' for '||' slip: without SAVEALL, "
        "tp_del objects vanish from gc.garbage (left alive, unreported), and with it, only they "
        "are saved of the uncollectable."),
    GCHEAP_SEEDED_BUG(
        gc_triggers_at_threshold, "generations",
        "The automatic collection trigger compares count0 >= threshold0 instead of count0 > "
        "threshold0 (_PyObject_GC_Link / collect_generations), so collections start one "
        "allocation early: an off-by-one in the generation thresholds."),
    GCHEAP_SEEDED_BUG(
        full_collection_ignores_long_lived_ratio, "generations",
        "collect_generations runs a full collection whenever count2 exceeds threshold2, "
        "ignoring the rule that long_lived_pending must reach a quarter of long_lived_total "
        "(the heuristic that keeps CPython's full collections linear, added in Python 2.7/3.1). "
        "Full collections run too often."),
    GCHEAP_SEEDED_BUG(
        survivors_stay_in_collected_generation, "generations",
        "The survivors of a young collection are not merged into the next generation, so they "
        "are scanned again by every collection of their generation and never age: the "
        "'gc_list_merge(young, old)' step of gc_collect_main forgotten."),
    GCHEAP_SEEDED_BUG(
        freeze_zeroes_only_count0, "freeze",
        "freeze() resets generation 0's count once per generation instead of each generation's "
        "count, so count1 and count2 survive a freeze: an index slip in gc_freeze_impl's loop "
        "over the generations. Every CPython from 3.7 to 3.13 zeroes all three (gc.get_count() "
        "is (0, 0, 0) after gc.freeze(), checked on each)."),
    GCHEAP_SEEDED_BUG(
        unfreeze_moves_to_generation_0, "freeze",
        "unfreeze() puts the frozen objects back into generation 0 rather than the oldest "
        "generation, as gc.unfreeze is documented to do, so the next young collection scans "
        "the whole formerly frozen heap."),
    GCHEAP_SEEDED_BUG(
        finalizer_runs_twice_after_resurrection, "finalizers",
        "finalize_garbage ignores the FINALIZED flag, so an object resurrected by its finalizer "
        "is finalized again when it becomes garbage again: the once-per-lifetime rule of PEP 442 "
        "(_PyGCHead_FINALIZED) broken, as __del__ ran repeatedly before PEP 442."),
    GCHEAP_SEEDED_BUG(
        dealloc_frees_resurrected_object, "finalizers",
        "On refcount death, the object is freed even when its finalizer resurrected it (stored a "
        "new reference): the check of the refcount after PyObject_CallFinalizerFromDealloc / "
        "slot_tp_del is missing, a use-after-free of a live object."),
    GCHEAP_SEEDED_BUG(
        resurrected_objects_counted_as_collected, "finalizers",
        "collect() counts the unreachable set before finalizers run, so objects that a finalizer "
        "resurrected are reported as collected: CPython's behaviour before bpo-38379 "
        "(gc.collect() counted resurrected objects)."),
    GCHEAP_SEEDED_BUG(
        trash_weakref_callback_runs, "weakrefs",
        "handle_weakrefs runs the callback of a weakref that is itself part of the cyclic "
        "trash, the crash Modules/gc_weakref.txt was written about: the callback can reach "
        "objects that are being torn down (here it also takes the weakref out of the garbage "
        "with its collecting flag still set)."),
    GCHEAP_SEEDED_BUG(
        weakref_callback_before_clearing_all, "weakrefs",
        "On refcount death each weakref's callback runs as soon as that weakref is cleared, "
        "not after all weakrefs to the object are cleared (PyObject_ClearWeakRefs clears them "
        "all first), so a callback can still reach the dying object through an older weakref. "
        "Seen by a callback that dereferences another weakref (`n = m()` in its body)."),
    GCHEAP_SEEDED_BUG(
        trashcan_level_leaks_on_resurrection, "trashcan",
        "When a dying list's finalizer resurrects it, its trashcan level is not given back: an "
        "early return that skips Py_TRASHCAN_END, the class of subtype_dealloc trashcan "
        "mismatches. After 50 resurrections every dying list is deferred to the trash, which "
        "is never emptied: lists are never freed."),
    GCHEAP_SEEDED_BUG(
        free_list_keeps_finalized_flag, "free list",
        "A list taken from the free list gets new links but keeps its previous life's "
        "FINALIZED flag, so its finalizer never runs: stale state carried over by free-list "
        "reuse, the risk of every CPython free list that skips full re-initialisation."),
    GCHEAP_SEEDED_BUG(
        free_list_survives_full_collection, "free list",
        "A full collection does not empty the list free list (gcmodule.c's "
        "clear_freelists() call after a generation-2 collection is missing), so memory kept "
        "by free lists is never given back to the allocator. Seen by the executor, which compares "
        "the free list's length with the model's after every operation."),
    GCHEAP_SEEDED_BUG(
        arena_leaks_when_table_cannot_grow, "out of memory",
        "new_arena maps the arena before it grows the arena table and, when the growth is "
        "refused, returns without unmapping it: the missed cleanup of an earlier step on a "
        "later step's failure, the classic bug of multi-step acquisitions (obmalloc's new_arena, "
        "when its mmap fails, must put back the arena object it took). The arena is "
        "leaked: AllocatorStats::arena_mappings_live exceeds arenas_mapped. Needs a refused "
        "request (a FailurePlan)."),
    GCHEAP_SEEDED_BUG(
        append_keeps_size_on_failed_growth, "out of memory",
        "When growing a list's item array is refused, list_resize takes the new size anyway, as "
        "its failed-shrink path rightly does, before raising MemoryError: list_append leaves a "
        "half-appended list whose last slot lies past its item array (garbage). CPython's "
        "list_resize sets ob_size only once PyMem_Realloc has succeeded for this reason. Needs "
        "a refused request (a FailurePlan)."),
    GCHEAP_SEEDED_BUG(
        failed_growth_frees_items, "out of memory",
        "When reallocating a list's item array is refused, the error path frees the old array, "
        "as if a failed realloc had consumed it, while the list keeps pointing at it: the "
        "`p = realloc(p, n)` misreading of realloc's contract. The list's items are then read "
        "from freed memory, and freed again when the list dies (a double free). Needs a refused "
        "request (a FailurePlan)."),
};

#undef GCHEAP_SEEDED_BUG

constexpr bool entries_follow_the_list() {
  if (std::size(entries) != kBugCount) return false;
  for (unsigned i = 0; i < kBugCount; ++i)
    if (static_cast<unsigned>(entries[i].id) != i) return false;
  return true;
}
static_assert(entries_follow_the_list(), "one entry per GCHEAP_SEEDED_BUG_LIST item, in its order");

constexpr auto bugs = [] {
  std::array<Bug, kBugCount> out{};
  for (unsigned i = 0; i < kBugCount; ++i) out[i] = entries[i].bug;
  return out;
}();

BugId find(std::string_view name) {
  for (unsigned i = 0; i < kBugCount; ++i)
    if (bugs[i].name == name) return static_cast<BugId>(i);
  return BugId::none;
}

}  // namespace

BugId read_active_bug_from_environment() {
  const char* value = std::getenv("GCHEAP_SEEDED_BUG");
  const std::string_view name = value == nullptr ? std::string_view{} : value;
  const BugId bug = name.empty() ? BugId::none : find(name);
  if (bug == BugId::none && !name.empty()) {
    std::fprintf(stderr, "GCHEAP_SEEDED_BUG=%s: no such seeded bug. Valid names:\n", value);
    for (const Bug& b : bugs) std::fprintf(stderr, "  %.*s (%.*s)\n", static_cast<int>(b.name.size()), b.name.data(),
                                           static_cast<int>(b.area.size()), b.area.data());
    std::exit(2);
  }
  active_bug = bug;
  return bug;
}

std::span<const Bug> catalog() { return bugs; }

bool enable(std::string_view name) {
  const BugId bug = find(name);
  if (bug == BugId::none) return false;
  active_bug = bug;
  return true;
}

void disable_all() { active_bug = BugId::none; }

std::string_view active() {
  const BugId bug = active_bug == BugId::unread ? read_active_bug_from_environment() : active_bug;
  return bug == BugId::none ? std::string_view{} : bugs[static_cast<unsigned>(bug)].name;
}

}  // namespace gcheap::seeded_bugs
