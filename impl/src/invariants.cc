// The invariant checks of invariants.h, and Allocator::check_invariants.
#include "invariants.h"

#include <cstdio>
#include <cstdlib>

#include "allocator_internal.h"

namespace gcheap {

void check_failed(const char* what, const char* detail, const char* file, int line) {  // coverage: invariant
  std::fprintf(stderr, "gcheap: invariant broken: %s (%s) at %s:%d\n", what, detail, file, line);
  std::abort();
}

namespace {

bool flag_matches(bool set, Flag expected) { return expected == Flag::Any || set == (expected == Flag::Set); }

}  // namespace

void validate_list(const GcHead* head, ListFlags expected) {
  if (!kChecks) return;
  const GcHead* prev = head;
  for (const GcHead* gc = gc_next(head); gc != head; prev = gc, gc = gc_next(gc)) {
    GCHEAP_CHECK(gc_prev(gc) == prev, "a GC list's prev link does not point back");
    GCHEAP_CHECK(gc_is_tracked(gc) && is_gc(from_gc(gc)), "a GC list holds an untracked object");
    GCHEAP_CHECK(flag_matches(gc_is_collecting(gc), expected.collecting), "a GC list member's collecting flag");
    GCHEAP_CHECK(flag_matches((gc->next & kNextMaskUnreachable) != 0, expected.unreachable),
                 "a GC list member's unreachable flag");
  }
  GCHEAP_CHECK(gc_prev(head) == prev, "a GC list's head does not point back to its last member");
}

void validate_heap(Heap::State& state) {
  if (!kChecks) return;
  for (int g = 0; g < kGenerations; ++g) validate_list(generation_head(state, g), kCollectingClearUnreachableClear);
  validate_list(&state.permanent.head, kCollectingClearUnreachableClear);
  state.allocator.check_invariants();
}

namespace {

using pymalloc::ArenaObject;
using pymalloc::FreeBlock;
using pymalloc::PoolHeader;

// The blocks on a pool's free list, read through the poison free blocks
// carry under AddressSanitizer.
std::size_t free_blocks(const PoolHeader* pool) {
  std::size_t n = 0;
  for (FreeBlock* block = pool->freeblock; block != nullptr; ++n) {
    pymalloc::unpoison(block, sizeof(FreeBlock));
    FreeBlock* next = block->next;
    pymalloc::poison(block, sizeof(FreeBlock));
    block = next;
  }
  return n;
}

}  // namespace

// mi_page_is_valid's questions, for pymalloc's pools and arenas: every used
// pool is on its class's list, not full, and accounts for all its blocks;
// every arena's free count is its free pools plus its never-used ones; the
// usable arenas are sorted by free count and nfp2lasta marks each count's last;
// every arena mapping is an arena of the table.
void Allocator::check_invariants() const {
  if (!kChecks) return;
  const State& s = *state_;
  GCHEAP_CHECK(s.counters.arena_mappings_live == s.counters.arenas_mapped,
               "an arena mapping is not in the arena table (a leaked arena)");
  for (std::uint32_t c = 0; c < (s.max_small >> s.size_class_shift); ++c) {
    const PoolHeader* prev = nullptr;
    for (const PoolHeader* pool = s.usedpools[c]; pool != nullptr; prev = pool, pool = pool->nextpool) {
      GCHEAP_CHECK(pool->prevpool == prev, "a used pool's prev link does not point back");
      GCHEAP_CHECK(pool->size_class == c, "a used pool is on another size class's list");
      GCHEAP_CHECK(!pymalloc::pool_is_full(pool), "a full pool is on a used-pools list");
      GCHEAP_CHECK(pool->ref > 0, "an empty pool is on a used-pools list");
      std::byte* memory = s.pool_memory(pool);
      const std::byte* first = s.first_block(memory);
      const std::size_t capacity = static_cast<std::size_t>(memory + s.pool_size - first) / pool->block_size;
      const std::size_t unused =
          pool->frontier > pool->frontier_limit
              ? 0
              : static_cast<std::size_t>(pool->frontier_limit - pool->frontier) / pool->block_size + 1;
      GCHEAP_CHECK(pool->ref + free_blocks(pool) + unused == capacity,
                   "a pool's blocks in use, free and never used do not add up to its capacity");
    }
  }
  std::size_t last_free_count = 0;
  const ArenaObject* prev = nullptr;
  for (const ArenaObject* ao = s.usable_arenas; ao != nullptr; prev = ao, ao = ao->nextarena) {
    GCHEAP_CHECK(ao->prevarena == prev, "a usable arena's prev link does not point back");
    GCHEAP_CHECK(ao->nfreepools > 0, "an arena with no free pool is usable");
    GCHEAP_CHECK(ao->nfreepools >= last_free_count, "the usable arenas are not sorted by free pools");
    last_free_count = ao->nfreepools;
    const bool last_of_count = ao->nextarena == nullptr || ao->nextarena->nfreepools != ao->nfreepools;
    GCHEAP_CHECK((s.nfp2lasta[ao->nfreepools] == ao) == last_of_count,
                 "nfp2lasta does not mark the last usable arena of a free-pool count");
  }
  for (std::size_t n = 0; n <= s.pools_per_arena; ++n)
    GCHEAP_CHECK(s.nfp2lasta[n] == nullptr || s.nfp2lasta[n]->nfreepools == n,
                 "nfp2lasta points at an arena of another free-pool count");
  for (std::uint32_t i = 0; i < s.arenas_capacity; ++i) {
    const ArenaObject& ao = s.arenas[i];
    if (ao.address == 0) continue;
    std::size_t free_pools = 0;
    for (const PoolHeader* pool = ao.freepools; pool != nullptr; pool = pool->nextpool, ++free_pools)
      GCHEAP_CHECK(pool->ref == 0, "a pool on an arena's free list has blocks in use");
    const auto end = reinterpret_cast<const std::byte*>(ao.address) + s.arena_size;
    free_pools += static_cast<std::size_t>(end - ao.pool_frontier) / s.pool_size;
    GCHEAP_CHECK(ao.nfreepools == free_pools, "an arena's free-pool count is not its free and never-used pools");
  }
}

}  // namespace gcheap
