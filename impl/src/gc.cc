// The cycle collector: CPython 3.11's Modules/gcmodule.c, for gcheap's
// tracked objects (lists and weakrefs).
//
// Tracked objects live in three generations (and a permanent one for frozen
// objects), each an intrusive doubly linked list through the GC headers. New
// objects join generation 0. Reference counting frees everything except
// cycles; the collector finds the cycles that nothing outside references.
//
// One collection of generation g (gc_collect_main):
//   0. counts: count[g+1] += 1 and counts 0..g are zeroed; generations 0..g-1
//      are merged onto the end of g, giving the "young" set.
//   1. update_refs: gc_refs = refcount for every young object, and its
//      collecting flag is set (gc_refs lives in the prev word, so the young
//      list is singly linked until step 3 restores it).
//   2. subtract_refs: every reference from a young object to a young object
//      decrements the target's gc_refs. What is left counts references from
//      outside: roots, older or frozen objects, objects being destroyed.
//   3. move_unreachable: one pass over young. An object with gc_refs > 0 is
//      reachable; it is traversed, and each young object it references gets
//      gc_refs 1 (or, if already moved to the unreachable list, is moved back
//      to the end of young, to be scanned again). An object with gc_refs == 0
//      is moved, tentatively, to the unreachable list U, whose next links carry
//      NEXT_MASK_UNREACHABLE so that step's visit can tell its members apart
//      in O(1). Each object is scanned a bounded number of times, so the pass
//      is O(objects + references).
//   4. the survivors (young) move to generation g+1 ("old") and update the
//      long-lived counts.
//   5. move_legacy_finalizers, move_legacy_finalizer_reachable: members of U
//      with a legacy finalizer (tp_del), and the members of U they reach, move
//      to the "finalizers" list: uncollectable.
//   6. handle_weakrefs: every weakref to a member of U, and every weakref in
//      U, is cleared; then the callbacks of the cleared weakrefs that are not
//      in U run, newest first per referent. They cannot reach U: every path
//      into it was a weakref, now cleared. A weakref freed by dropping the
//      reference held across its callback counts as collected; one still alive
//      moves to old, wherever it was.
//   7. finalize_garbage: every member of U whose finalizer has not run is
//      finalized (FINALIZED set first), in U's order.
//   8. handle_resurrected_objects: steps 1-3 again, over U alone. What a
//      finalizer made reachable from outside U, and what that reaches, is
//      resurrected and moves to old; it is not counted.
//   9. delete_garbage: the rest is counted as collected and each member
//      cleared (drops its references), which breaks the cycles so reference
//      counting frees them; with DEBUG_SAVEALL each goes to gc.garbage instead.
//  10. handle_legacy_finalizers: the finalizers list counts as uncollectable;
//      its members with a legacy finalizer (all of them with DEBUG_SAVEALL) go
//      to gc.garbage, and the whole list moves to old.
//  11. a full collection empties the free lists and trims the allocator (the
//      arenas idle since the previous full collection are unmapped);
//      statistics are updated.
// A full collection with nothing frozen examines every tracked object, so a
// referent is young exactly when it is tracked: steps 1 and 2 are then one
// walk (update_and_subtract_refs), each object's gc_refs set on its first
// touch, marked by the collecting flag that no object has between
// collections.
// Steps 5-8 are skipped when move_unreachable saw no object with a finalizer
// or a weakref (to it, or being one) in U, and step 8 when no finalizer or
// callback ran: nothing can then be resurrected. The counts come from the
// phases' own walks, so a collection walks its objects a fixed small number
// of times.
// Finalizers and callbacks are embedder code: they may allocate, decref or
// call collect(), which returns 0 while a collection runs. Every phase that
// runs them takes the first object of its list each time round, since that
// code may free any object of the list or move it elsewhere.
//
// Automatic collection (gc_link, collect_generations) runs inside a tracked
// object's allocation, before it is tracked: the oldest generation whose count
// exceeds its threshold is collected, generation 2 only once the objects moved
// into it since the last full collection exceed 25% of that collection's
// survivors (which keeps the total cost linear as the heap grows).
#include "heap_internal.h"
#include "invariants.h"

namespace gcheap {
namespace {

// Marks a collection as running for its lifetime (callbacks cannot throw:
// heap.h).
struct CollectingScope {
  explicit CollectingScope(Heap::State& s) : state(s) { state.collecting = true; }
  ~CollectingScope() { state.collecting = false; }
  Heap::State& state;
};

// The list walks are chains of dependent loads, each a likely cache miss in
// a large heap. Fetching the object two links ahead overlaps its miss with
// the work on this one (the next object's line is already on its way).
inline void prefetch_ahead(const GcHead* gc) {
  const GcHead* next = gc_next(gc);
  __builtin_prefetch(gc_next(next), 1);
}

// visit_decref: an internal reference to a young object.
void visit_decref(Object* op) {
  if (!is_gc(op)) return;
  GcHead* gc = as_gc(op);
  if (gc_is_collecting(gc)) gc_decref(gc);
}

// visit_reachable: op is referenced by a reachable young object.
void visit_reachable(Object* op, GcHead* reachable) {
  if (!is_gc(op)) return;
  GcHead* gc = as_gc(op);
  // Objects in other generations, and young ones already scanned (left of the
  // scan position), have no collecting flag.
  if (!gc_is_collecting(gc)) return;
  if (gc->next & kNextMaskUnreachable) {
    if (GCHEAP_SEEDED(move_unreachable_forgets_rescue, false, true)) return;
    // It looked unreachable when the scan passed it; take it out of the
    // unreachable list by hand (its links carry the flag) and rescan it.
    GcHead* prev = gc_prev(gc);
    GcHead* next = reinterpret_cast<GcHead*>(gc->next & ~kNextMaskUnreachable);
    prev->next = gc->next;  // keeps the flag
    gc_set_prev(next, prev);
    gc_list_append(gc, reachable);
    gc_set_refs(gc, 1);
  } else if (gc_get_refs(gc) == 0) {
    // Not scanned yet: tell move_unreachable it is reachable.
    gc_set_refs(gc, 1);
  }
  // gc_refs > 0: still ahead of the scan, which will traverse it.
}

// Moves the survivors of a collection of `generation` to the next one, and
// keeps the long-lived counts that gate full collections.
void move_survivors(Heap::State& state, int generation, GcHead* young, GcHead* old, std::size_t survivors) {
  if (young != old) {
    if (generation == kGenerations - 2) state.long_lived_pending += static_cast<std::int64_t>(survivors);
    if (GCHEAP_SEEDED(survivors_stay_in_collected_generation, true, false)) gc_list_merge(young, old);
  } else {
    state.long_lived_pending = 0;
    state.long_lived_total = static_cast<std::int64_t>(survivors);
  }
}

void invoke_gc_callback(Heap& heap, CollectionPhase phase, int generation, const CollectionResult& result) {
  Heap::State& state = Heap::State::of(heap);
  const CollectionInfo info{generation, result.collected, result.uncollectable};
  // By index: a callback may register another, which then runs too (as
  // CPython's loop over gc.callbacks does).
  for (std::size_t i = 0; i < state.callbacks.size(); ++i) {
    const Heap::State::CallbackEntry entry = state.callbacks[i];
    entry.callback(entry.context, phase, info);
  }
}

// gc_collect_with_callback: one collection wrapped in the Start/Stop callbacks.
std::int64_t gc_collect_with_callback(Heap& heap, int generation) {
  invoke_gc_callback(heap, CollectionPhase::Start, generation, {});
  const CollectionResult result = gc_collect_main(heap, generation);
  invoke_gc_callback(heap, CollectionPhase::Stop, generation, result);
  return result.collected + result.uncollectable;
}

// What deduce_unreachable found.
struct Deduction {
  std::size_t examined = 0;
  UnreachableScan scan;
  std::size_t unreachable() const { return examined - scan.reachable; }
};

// deduce_unreachable: steps 1-3; base keeps the reachable objects.
// `everything_tracked`: base holds every tracked object (steps 1 and 2 are
// then one walk, update_and_subtract_refs).
Deduction deduce_unreachable(GcHead* base, GcHead* unreachable, bool everything_tracked) {
  Deduction found;
  if (everything_tracked) {
    found.examined = update_and_subtract_refs(base);
  } else {
    found.examined = update_refs(base);
    subtract_refs(base);
  }
  gc_list_init(unreachable);
  found.scan = move_unreachable(base, unreachable);
  validate_list(base, kCollectingClearUnreachableClear);
  validate_list(unreachable, kCollectingSetUnreachableSet);
  return found;
}

bool has_legacy_finalizer(Heap::State& state, const Object* op) {
  const Extras* extras = find_extras(state, op);
  return extras != nullptr && extras->legacy_finalizer;
}

// visit_move: an object of U reachable from the finalizers list joins it.
void visit_move(Object* op, GcHead* tolist) {
  if (!is_gc(op)) return;
  GcHead* gc = as_gc(op);
  if (gc_is_collecting(gc)) {
    gc_list_move(gc, tolist);
    gc_clear_collecting(gc);
  }
}

void append_to_garbage(Heap::State& state, Object* op) {
  Heap::incref(op);
  note_state(state, op);
  state.garbage.push_back(op);
}

}  // namespace

// --- the phases -----------------------------------------------------------------------

std::size_t update_refs(GcHead* containers) {
  std::size_t n = 0;
  for (GcHead* gc = gc_next(containers); gc != containers; gc = gc_next(gc), ++n) {
    prefetch_ahead(gc);
    gc_reset_refs(gc, from_gc(gc)->refcount);
  }
  return n;
}

namespace {

// subtract_refs' walk: `arrive` sees each object of the list, then `visit`
// every reference it holds.
template <typename Arrive, typename Visit>
void walk_references(GcHead* containers, Arrive&& arrive, Visit&& visit) {
  for (GcHead* gc = gc_next(containers); gc != containers; gc = gc_next(gc)) {
    prefetch_ahead(gc);
    arrive(gc);
    const Object* op = from_gc(gc);
    if (GCHEAP_SEEDED(subtract_refs_skips_last_item, false, true) && op->type->kind == Kind::List) {
      const ListObject* list = as_list(op);
      for (std::size_t i = 0; i + 1 < list->size; ++i) visit(list->items[i]);
    } else {
      gc_traverse(op, visit);
    }
  }
}

// update_refs for one object, on its first touch in update_and_subtract_refs.
void update_refs_once(GcHead* gc) {
  if (!gc_is_collecting(gc)) gc_reset_refs(gc, from_gc(gc)->refcount);
}

// visit_decref when every tracked object is young.
void visit_decref_first_touch(Object* op) {
  if (!is_gc(op)) return;
  GcHead* gc = as_gc(op);
  if (!gc_is_tracked(gc)) return;  // coverage: defensive
  update_refs_once(gc);
  gc_decref(gc);
}

}  // namespace

void subtract_refs(GcHead* containers) {
  walk_references(containers, [](GcHead*) {}, visit_decref);
}

// Outside a collection no object has the collecting flag, so it marks the
// objects whose gc_refs are set; the walk reads and writes each object's line
// once instead of twice.
std::size_t update_and_subtract_refs(GcHead* containers) {
  std::size_t n = 0;
  walk_references(
      containers,
      [&n](GcHead* gc) {
        ++n;
        update_refs_once(gc);
      },
      visit_decref_first_touch);
  return n;
}

// After this, young holds exactly the objects reachable from outside the
// original young set, as a valid doubly linked list without collecting flags;
// unreachable holds the rest, collecting flags set, next links flagged.
UnreachableScan move_unreachable(GcHead* young, GcHead* unreachable) {
  UnreachableScan scan;
  GcHead* prev = young;  // last object kept in young, to restore prev links
  GcHead* gc = gc_next(young);
  while (gc != young) {
    if (gc_get_refs(gc) != 0) {
      // Reachable. The traversal may append to young, so the next object is
      // read only after it.
      gc_traverse(from_gc(gc), [young](Object* op) { visit_reachable(op, young); });
      gc_set_prev(gc, prev);
      gc_clear_collecting(gc);
      prev = gc;
      ++scan.reachable;
    } else {
      const Type* type = from_gc(gc)->type;
      scan.needs_care |= type->has_extras || type->kind == Kind::Weakref;
      // Tentatively unreachable: unlink (young is singly linked here) and
      // append to unreachable with flagged links. This also flags the list
      // head's next word, repaired below.
      prev->next = gc->next;
      GcHead* last = gc_prev(unreachable);
      last->next = kNextMaskUnreachable | reinterpret_cast<std::uintptr_t>(gc);
      gc_set_prev(gc, last);
      gc->next = kNextMaskUnreachable | reinterpret_cast<std::uintptr_t>(unreachable);
      unreachable->prev = reinterpret_cast<std::uintptr_t>(gc);
    }
    gc = gc_next(prev);
  }
  young->prev = reinterpret_cast<std::uintptr_t>(prev);
  unreachable->next &= ~kNextMaskUnreachable;
  return scan;
}

// Makes unreachable an ordinary list again (its members keep the collecting
// flag, which marks them as the collection's garbage).
void clear_unreachable_mask(GcHead* unreachable) {
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = gc_next(gc)) gc->next &= ~kNextMaskUnreachable;
}

// Moves the members of unreachable with a legacy finalizer to finalizers
// (no longer collecting), and makes unreachable an ordinary list again.
void move_legacy_finalizers(Heap::State& state, GcHead* unreachable, GcHead* finalizers) {
  GcHead* next = nullptr;
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = next) {
    gc->next &= ~kNextMaskUnreachable;
    next = gc_next(gc);
    if (has_legacy_finalizer(state, from_gc(gc))) {
      gc_clear_collecting(gc);
      gc_list_move(gc, finalizers);
    }
  }
}

// Moves what the finalizers list reaches in U into it too; the list grows
// while it is walked, so this is its transitive closure.
void move_legacy_finalizer_reachable(GcHead* finalizers) {
  for (GcHead* gc = gc_next(finalizers); gc != finalizers; gc = gc_next(gc))
    gc_traverse(from_gc(gc), [finalizers](Object* op) { visit_move(op, finalizers); });
}

// Returns the number of weakrefs freed when their callbacks' references went.
std::int64_t handle_weakrefs(Heap& heap, GcHead* unreachable, GcHead* old) {
  Heap::State& state = Heap::State::of(heap);
  GcHead wrcb_to_call;
  gc_list_init(&wrcb_to_call);
  // Clear first, all of them, so that no callback finds a member of U
  // through a weakref not yet cleared. No embedder code runs in this loop.
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = gc_next(gc)) {
    Object* op = from_gc(gc);
    // A weakref in U is cleared too: its referent may die with U.
    if (op->type->kind == Kind::Weakref) clear_weakref(state, as_weakref(op));
    Extras* extras = find_extras(state, op);
    if (extras == nullptr) continue;
    while (WeakrefObject* wr = extras->weakrefs) {
      clear_weakref(state, wr);
      // A weakref in U is trash with its referent: its callback never runs;
      // nor does that of a weakref being destroyed.
      if (wr->callback == nullptr || (gc_is_collecting(&wr->gc) && GCHEAP_SEEDED(trash_weakref_callback_runs, true, false)) ||
          wr->ob.refcount == 0)
        continue;
      Heap::incref(&wr->ob);  // so it cannot go before its callback has run
      gc_list_move(&wr->gc, &wrcb_to_call);
      note_list(state, &wr->ob);  // from any generation, even the frozen one, to old
    }
  }
  std::int64_t freed = 0;
  while (!gc_list_is_empty(&wrcb_to_call)) {
    GcHead* gc = gc_next(&wrcb_to_call);
    WeakrefObject* wr = as_weakref(from_gc(gc));
    run_weakref_callback(heap, wr);
    heap.decref(&wr->ob);
    if (gc_next(&wrcb_to_call) == gc)
      gc_list_move(gc, old);
    else
      ++freed;
  }
  return freed;
}

// Runs the finalizers of collectable. They may free members or move them out
// (to generation 0, by a refcount death that resurrects); the others end up
// back in collectable, in order.
void finalize_garbage(Heap& heap, GcHead* collectable) {
  Heap::State& state = Heap::State::of(heap);
  GcHead seen;
  gc_list_init(&seen);
  while (!gc_list_is_empty(collectable)) {
    GcHead* gc = gc_next(collectable);
    Object* op = from_gc(gc);
    gc_list_move(gc, &seen);
    const Extras* extras = find_extras(state, op);
    if (extras == nullptr || extras->finalizer == nullptr ||
        (gc_is_finalized(gc) && GCHEAP_SEEDED(finalizer_runs_twice_after_resurrection, true, false)))
      continue;
    gc_set_finalized(gc);
    note_state(state, op);
    const Heap::Finalizer finalizer = extras->finalizer;
    void* context = extras->finalizer_context;
    Heap::incref(op);
    {
      const UserCodeScope scope(state);
      finalizer(context, heap, op);
    }
    heap.decref(op);
  }
  gc_list_merge(&seen, collectable);
}

// Finds what is still unreachable after the finalizers ran: deduce_unreachable
// over U alone (its members' references from outside U are the only roots).
// The resurrected rest moves to old, uncounted; still_unreachable is left an
// ordinary list of collecting objects.
void handle_resurrected_objects(GcHead* unreachable, GcHead* still_unreachable, GcHead* old) {
  deduce_unreachable(unreachable, still_unreachable, false);
  clear_unreachable_mask(still_unreachable);
  gc_list_merge(unreachable, old);
}

// check_garbage (CPython 3.8): whether a member of U is referenced from
// outside U after the finalizers ran. U keeps its order and its flags.
bool check_garbage(GcHead* unreachable) {
  update_refs(unreachable);
  subtract_refs(unreachable);
  bool referenced = false;
  GcHead* prev = unreachable;
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = gc_next(gc)) {
    referenced |= gc_get_refs(gc) != 0;
    gc_set_prev(gc, prev);  // gc_refs borrowed the link; restored
    prev = gc;
  }
  return referenced;
}

// 3.8: one resurrected member keeps U whole: all of it joins old, in order.
void keep_the_batch(GcHead* unreachable, GcHead* old) {
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = gc_next(gc)) gc_clear_collecting(gc);
  gc_list_merge(unreachable, old);
}

// Clears every object of collectable, or with DEBUG_SAVEALL appends it to
// gc.garbage. Clearing one may free others of the set (they unlink themselves
// as they die); one still alive afterwards (held by something the clearing
// did not release, or by gc.garbage) moves to old.
void delete_garbage(Heap& heap, GcHead* collectable, GcHead* old) {
  Heap::State& state = Heap::State::of(heap);
  while (!gc_list_is_empty(collectable)) {
    GcHead* gc = gc_next(collectable);
    Object* op = from_gc(gc);
    if (state.debug & Heap::kDebugSaveAll) {
      append_to_garbage(state, op);
    } else {
      Heap::incref(op);
      gc_clear(heap, op);
      heap.decref(op);
    }
    if (gc_next(collectable) == gc) {
      gc_clear_collecting(gc);
      gc_list_move(gc, old);
    }
  }
}

// The uncollectable: those with a legacy finalizer (all, with DEBUG_SAVEALL)
// go to gc.garbage, which keeps the rest alive through them; the whole list
// joins old.
void handle_legacy_finalizers(Heap& heap, GcHead* finalizers, GcHead* old) {
  Heap::State& state = Heap::State::of(heap);
  for (GcHead* gc = gc_next(finalizers); gc != finalizers; gc = gc_next(gc)) {
    Object* op = from_gc(gc);
    const bool save_all = (state.debug & Heap::kDebugSaveAll) != 0;
    if (GCHEAP_SEEDED(legacy_garbage_saved_only_with_saveall, save_all || has_legacy_finalizer(state, op),
                      save_all && has_legacy_finalizer(state, op)))
      append_to_garbage(state, op);
  }
  gc_list_merge(finalizers, old);
}

namespace {

// Steps 5-8, for an unreachable set with finalizers or weakrefs in it:
// leaves the garbage to delete in final_unreachable and the uncollectable in
// finalizers, and returns the number collected (weakrefs freed by their
// callbacks' references, and final_unreachable's members).
std::int64_t handle_finalizers_and_weakrefs(Heap& heap, GcHead* unreachable, GcHead* finalizers,
                                            GcHead* final_unreachable, GcHead* old) {
  Heap::State& state = Heap::State::of(heap);
  move_legacy_finalizers(state, unreachable, finalizers);
  if (GCHEAP_SEEDED(legacy_finalizer_reachable_not_moved, true, false)) move_legacy_finalizer_reachable(finalizers);
  validate_list(finalizers, kCollectingClearUnreachableClear);
  validate_list(unreachable, kCollectingSetUnreachableClear);

  const std::uint64_t user_code_before = state.user_code_runs;
  std::int64_t collected = handle_weakrefs(heap, unreachable, old);
  validate_list(old, kCollectingClearUnreachableClear);
  validate_list(unreachable, kCollectingSetUnreachableClear);
  finalize_garbage(heap, unreachable);
  // The seeded bug counts before resurrection, as CPython did before bpo-38379.
  if (GCHEAP_SEEDED(resurrected_objects_counted_as_collected, false, true))
    collected += static_cast<std::int64_t>(gc_list_size(unreachable));
  // Without embedder code nothing can have been resurrected.
  if (GCHEAP_SEEDED(resurrection_check_skipped, false, true) || state.user_code_runs == user_code_before)
    gc_list_merge(unreachable, final_unreachable);
  else if (!state.resurrection_keeps_the_batch)
    handle_resurrected_objects(unreachable, final_unreachable, old);
  else if (check_garbage(unreachable))
    keep_the_batch(unreachable, old);
  else
    gc_list_merge(unreachable, final_unreachable);
  if (GCHEAP_SEEDED(resurrected_objects_counted_as_collected, true, false))
    collected += static_cast<std::int64_t>(gc_list_size(final_unreachable));
  return collected;
}

}  // namespace

CollectionResult gc_collect_main(Heap& heap, int generation) {
  Heap::State& state = Heap::State::of(heap);
  if (generation + 1 < kGenerations) state.generations[generation + 1].count += 1;
  for (int i = 0; i <= generation; ++i) state.generations[i].count = 0;
  for (int i = 0; i < generation; ++i) gc_list_merge(generation_head(state, i), generation_head(state, generation));

  GcHead* young = generation_head(state, generation);
  note_list_members(state, young);  // each is kept, moved up, or freed
  GcHead* old = generation + 1 < kGenerations ? generation_head(state, generation + 1) : young;
  validate_list(young, kCollectingClearUnreachableClear);
  if (old != young) validate_list(old, kCollectingClearUnreachableClear);
  GcHead unreachable;
  // A full collection with nothing frozen examines every tracked object.
  const bool everything_tracked = young == old && gc_list_is_empty(&state.permanent.head);
  const Deduction found = deduce_unreachable(young, &unreachable, everything_tracked);
  move_survivors(state, generation, young, old, found.scan.reachable);

  CollectionResult result;
  GcHead finalizers;
  gc_list_init(&finalizers);
  GcHead final_unreachable;
  gc_list_init(&final_unreachable);
  if (found.scan.needs_care) {
    result.collected = handle_finalizers_and_weakrefs(heap, &unreachable, &finalizers, &final_unreachable, old);
  } else {
    // Nothing set aside has a finalizer or a weakref, or is one: steps 5-8
    // have nothing to do, and no embedder code can run to resurrect anything
    // or start another collection. The members' flagged links are left as
    // they are: delete_garbage only walks and unlinks them (gc_next ignores
    // the flag), which saves a pass over the garbage.
    gc_list_merge(&unreachable, &final_unreachable);
    result.collected = static_cast<std::int64_t>(found.unreachable());
  }
  validate_list(&final_unreachable, kCollectingSet);  // its next links flagged or not (see above)
  delete_garbage(heap, &final_unreachable, old);
  result.uncollectable = static_cast<std::int64_t>(gc_list_size(&finalizers));
  handle_legacy_finalizers(heap, &finalizers, old);
  validate_list(old, kCollectingClearUnreachableClear);

  if (generation == kGenerations - 1) {
    if (GCHEAP_SEEDED(free_list_survives_full_collection, true, false)) heap.clear_free_lists();
    heap.allocator().trim();  // arenas idle since the previous full collection go back
    validate_heap(state);
  }
  GenerationStats& stats = state.stats[generation];
  ++stats.collections;
  stats.collected += result.collected;
  stats.uncollectable += result.uncollectable;
  return result;
}

std::int64_t collect_generations(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  for (int i = kGenerations - 1; i >= 0; --i) {
    const Generation& g = state.generations[i];
    if (GCHEAP_SEEDED(gc_triggers_at_threshold, g.count <= g.threshold, g.count < g.threshold)) continue;
    if (i == kGenerations - 1 && state.long_lived_pending < state.long_lived_total / 4 &&
        GCHEAP_SEEDED(full_collection_ignores_long_lived_ratio, true, false))
      continue;
    return gc_collect_with_callback(heap, i);
  }
  return 0;  // coverage: defensive
}

// --- allocation and deallocation counts ---------------------------------------------

void gc_link(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  Generation& young = state.generations[0];
  ++young.count;
  const bool over_threshold =
      GCHEAP_SEEDED(gc_triggers_at_threshold, young.count > young.threshold, young.count >= young.threshold);
  if (over_threshold && state.enabled && young.threshold != 0 && !state.collecting) {
    if (state.deferred_automatic_collection) {
      state.collection_scheduled = true;
      return;
    }
    const CollectingScope scope(state);
    collect_generations(heap);
  }
}

// _Py_RunGC: on the counts as they are now, whether or not collection is
// still enabled.
void Heap::run_scheduled_collection() {
  if (!state_->collection_scheduled || state_->collecting) return;
  state_->collection_scheduled = false;
  const CollectingScope scope(*state_);
  const CRecursionScope frame(*state_, 2);  // the Python frame whose eval-breaker check runs it
  collect_generations(*this);
}

void gc_unlink_count(Heap::State& state) {
  if (state.generations[0].count > 0) --state.generations[0].count;
}

// --- the gc module ----------------------------------------------------------------------

// A generation outside 0..2 returns -1 (CPython raises ValueError); a
// collection requested while one runs returns 0 and does nothing.
std::int64_t Heap::collect(int generation) {
  if (generation < 0 || generation >= kGenerations) return -1;  // coverage: not-in-language
  if (state_->collecting) return 0;
  const CollectingScope scope(*state_);
  const CRecursionScope call(*state_, 1);  // gc.collect is a C function's call
  return gc_collect_with_callback(*this, generation);
}

void Heap::set_debug(unsigned flags) { state_->debug = flags; }
unsigned Heap::get_debug() const { return state_->debug; }  // coverage: not-in-language

std::size_t Heap::garbage_size() const { return state_->garbage.size(); }

// coverage: not-in-language
Object* Heap::garbage_get(std::size_t i) const { return i < state_->garbage.size() ? state_->garbage[i] : nullptr; }  // coverage: not-in-language

// del gc.garbage[:]: the list is emptied first, then its references dropped
// last to first (what they free may run finalizers that collect again).
void Heap::clear_garbage() {
  std::vector<Object*> items;
  items.swap(state_->garbage);
  for (std::size_t i = items.size(); i > 0; --i) decref(items[i - 1]);
}

std::array<std::int64_t, kGenerations> Heap::get_count() const {
  const auto& g = state_->generations;
  return {g[0].count, g[1].count, g[2].count};
}

std::array<std::int64_t, kGenerations> Heap::get_threshold() const {
  const auto& g = state_->generations;
  return {g[0].threshold, g[1].threshold, g[2].threshold};
}

// Thresholds past arity are left unchanged (an arity past 3 means 3).
void Heap::set_threshold(int arity, const std::array<std::int64_t, kGenerations>& values) {
  for (int i = 0; i < kGenerations && i < arity; ++i) state_->generations[i].threshold = values[i];
}

void Heap::enable() { state_->enabled = true; }
void Heap::disable() { state_->enabled = false; }
bool Heap::is_enabled() const { return state_->enabled; }

void Heap::freeze() {
  for (int i = 0; i < kGenerations; ++i) {
    note_list_members(*state_, generation_head(*state_, i));
    gc_list_merge(generation_head(*state_, i), &state_->permanent.head);
    state_->generations[GCHEAP_SEEDED(freeze_zeroes_only_count0, i, 0)].count = 0;
  }
}

void Heap::unfreeze() {
  const int into = GCHEAP_SEEDED(unfreeze_moves_to_generation_0, kGenerations - 1, 0);
  note_list_members(*state_, &state_->permanent.head);
  gc_list_merge(&state_->permanent.head, generation_head(*state_, into));
}

std::size_t Heap::get_freeze_count() const { return gc_list_size(&state_->permanent.head); }

bool Heap::is_tracked(const Object* o) { return is_gc(o) && gc_is_tracked(as_gc(o)); }

std::array<GenerationStats, kGenerations> Heap::get_stats() const { return state_->stats; }

void Heap::add_callback(Callback callback, void* context) {
  if (callback != nullptr) state_->callbacks.push_back({callback, context});  // coverage: no-hooks
}

}  // namespace gcheap
