// The cycle collector: CPython 3.11's Modules/gcmodule.c, for gcheap's lists.
//
// Tracked lists live in three generations (and a permanent one for frozen
// objects), each an intrusive doubly linked list through the GC headers. New
// lists join generation 0. Reference counting frees everything except cycles;
// the collector finds the cycles that nothing outside references.
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
//      is moved, tentatively, to the unreachable list, whose next links carry
//      NEXT_MASK_UNREACHABLE so that step's visit can tell its members apart
//      in O(1). Each object is scanned a bounded number of times, so the pass
//      is O(objects + references).
//   4. the survivors (young) move to generation g+1 and update the long-lived
//      counts; the unreachable list loses its flag bits.
//      [Legacy finalizers, weakref callbacks, PEP 442 finalizers and
//      resurrection slot in here, between the unreachable set and its deletion.]
//   5. delete_garbage: every unreachable list is cleared (drops its items),
//      which breaks the cycles so reference counting frees the objects.
//   6. a full collection empties the free lists; statistics are updated.
//
// Automatic collection (gc_link, collect_generations) runs inside a list's
// allocation, before the list is tracked: the oldest generation whose count
// exceeds its threshold is collected, generation 2 only once the objects moved
// into it since the last full collection exceed 25% of that collection's
// survivors (which keeps the total cost linear as the heap grows).
#include "heap_internal.h"

namespace gcheap {
namespace {

// Marks a collection as running for its lifetime, even if a callback throws.
struct CollectingScope {
  explicit CollectingScope(Heap::State& s) : state(s) { state.collecting = true; }
  ~CollectingScope() { state.collecting = false; }
  Heap::State& state;
};

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
void move_survivors(Heap::State& state, int generation, GcHead* young, GcHead* old) {
  if (young != old) {
    if (generation == kGenerations - 2)
      state.long_lived_pending += static_cast<std::int64_t>(gc_list_size(young));
    gc_list_merge(young, old);
  } else {
    state.long_lived_pending = 0;
    state.long_lived_total = static_cast<std::int64_t>(gc_list_size(young));
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

// deduce_unreachable: steps 1-3; base keeps the reachable objects.
void deduce_unreachable(GcHead* base, GcHead* unreachable) {
  update_refs(base);
  subtract_refs(base);
  gc_list_init(unreachable);
  move_unreachable(base, unreachable);
}

}  // namespace

// --- the phases -----------------------------------------------------------------------

void update_refs(GcHead* containers) {
  for (GcHead* gc = gc_next(containers); gc != containers; gc = gc_next(gc))
    gc_reset_refs(gc, from_gc(gc)->refcount);
}

void subtract_refs(GcHead* containers) {
  for (GcHead* gc = gc_next(containers); gc != containers; gc = gc_next(gc))
    list_traverse(as_list(from_gc(gc)), visit_decref);
}

// After this, young holds exactly the objects reachable from outside the
// original young set, as a valid doubly linked list without collecting flags;
// unreachable holds the rest, collecting flags set, next links flagged.
void move_unreachable(GcHead* young, GcHead* unreachable) {
  GcHead* prev = young;  // last object kept in young, to restore prev links
  GcHead* gc = gc_next(young);
  while (gc != young) {
    if (gc_get_refs(gc) != 0) {
      // Reachable. The traversal may append to young, so the next object is
      // read only after it.
      list_traverse(as_list(from_gc(gc)), [young](Object* op) { visit_reachable(op, young); });
      gc_set_prev(gc, prev);
      gc_clear_collecting(gc);
      prev = gc;
    } else {
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
}

// Makes unreachable an ordinary list again (its members keep the collecting
// flag, which marks them as the collection's garbage).
void clear_unreachable_mask(GcHead* unreachable) {
  for (GcHead* gc = gc_next(unreachable); gc != unreachable; gc = gc_next(gc)) gc->next &= ~kNextMaskUnreachable;
}

// Clears every object of collectable. Clearing one may free others of the
// set (they unlink themselves as they die); one still alive afterwards (held
// by something the clearing did not release) moves to old.
void delete_garbage(Heap& heap, GcHead* collectable, GcHead* old) {
  while (!gc_list_is_empty(collectable)) {
    GcHead* gc = gc_next(collectable);
    Object* op = from_gc(gc);
    Heap::incref(op);
    list_clear(heap, as_list(op));
    heap.decref(op);
    if (gc_next(collectable) == gc) {
      gc_clear_collecting(gc);
      gc_list_move(gc, old);
    }
  }
}

CollectionResult gc_collect_main(Heap& heap, int generation) {
  Heap::State& state = Heap::State::of(heap);
  if (generation + 1 < kGenerations) state.generations[generation + 1].count += 1;
  for (int i = 0; i <= generation; ++i) state.generations[i].count = 0;
  for (int i = 0; i < generation; ++i) gc_list_merge(generation_head(state, i), generation_head(state, generation));

  GcHead* young = generation_head(state, generation);
  GcHead* old = generation + 1 < kGenerations ? generation_head(state, generation + 1) : young;
  GcHead unreachable;
  deduce_unreachable(young, &unreachable);
  move_survivors(state, generation, young, old);
  clear_unreachable_mask(&unreachable);

  CollectionResult result;
  result.collected = static_cast<std::int64_t>(gc_list_size(&unreachable));
  delete_garbage(heap, &unreachable, old);

  if (generation == kGenerations - 1) heap.clear_free_lists();
  GenerationStats& stats = state.stats[generation];
  ++stats.collections;
  stats.collected += result.collected;
  stats.uncollectable += result.uncollectable;
  return result;
}

std::int64_t collect_generations(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  for (int i = kGenerations - 1; i >= 0; --i) {
    if (state.generations[i].count <= state.generations[i].threshold) continue;
    if (i == kGenerations - 1 && state.long_lived_pending < state.long_lived_total / 4) continue;
    return gc_collect_with_callback(heap, i);
  }
  return 0;
}

// --- allocation and deallocation counts ---------------------------------------------

void gc_link(Heap& heap) {
  Heap::State& state = Heap::State::of(heap);
  Generation& young = state.generations[0];
  ++young.count;
  if (young.count > young.threshold && state.enabled && young.threshold != 0 && !state.collecting) {
    const CollectingScope scope(state);
    collect_generations(heap);
  }
}

void gc_unlink_count(Heap::State& state) {
  if (state.generations[0].count > 0) --state.generations[0].count;
}

// --- the gc module ----------------------------------------------------------------------

// A generation outside 0..2 returns -1 (CPython raises ValueError); a
// collection requested while one runs returns 0 and does nothing.
std::int64_t Heap::collect(int generation) {
  if (generation < 0 || generation >= kGenerations) return -1;
  if (state_->collecting) return 0;
  const CollectingScope scope(*state_);
  return gc_collect_with_callback(*this, generation);
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
    gc_list_merge(generation_head(*state_, i), &state_->permanent.head);
    state_->generations[i].count = 0;
  }
}

void Heap::unfreeze() { gc_list_merge(&state_->permanent.head, generation_head(*state_, kGenerations - 1)); }

std::size_t Heap::get_freeze_count() const { return gc_list_size(&state_->permanent.head); }

bool Heap::is_tracked(const Object* o) { return is_gc(o) && gc_is_tracked(as_gc(o)); }

std::array<GenerationStats, kGenerations> Heap::get_stats() const { return state_->stats; }

void Heap::add_callback(Callback callback, void* context) {
  if (callback != nullptr) state_->callbacks.push_back({callback, context});
}

}  // namespace gcheap
