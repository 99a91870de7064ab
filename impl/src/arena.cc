// Arenas: mapping them, handing their pools out, taking emptied pools back and
// returning wholly free arenas to the OS.
//
// New pools always come from the head of usable_arenas, the arena with the
// fewest free pools, so allocation packs into busy arenas and lightly used
// ones drain. Taking a pool lowers the head's count, which keeps the order.
// Returning a pool raises its arena's count by one; the arena then belongs
// right behind the last arena that had its old count, nfp2lasta[old], which
// is found without walking the list (bpo-37029).
//
// An arena whose pools are all free stays on the list, in the wholly free
// group at its end, and records when it became free (the number of trims so
// far). trim() walks that group from the end and unmaps the arenas that were
// free before the previous trim, all but one: the reserve (bpo-37257), so
// that a program oscillating across an arena boundary does not map and unmap
// on every step. Reuse comes first: take_pool only reaches a wholly free
// arena when no partly used one is left.
//
// Arenas are mapped aligned to their size (map twice the size, trim both
// ends) so that no pool is lost to alignment and the ownership map can key on
// the arena number. A new arena is mapped before the arena table grows for
// it, and unmapped again if the table cannot grow: a refusal of either
// (FailurePlan) leaves the mappings and the table as they were.
//
// Under AddressSanitizer a pool's blocks are poisoned when
// it is first carved from its arena's frontier, and the carved part of an
// arena is unpoisoned before the arena is unmapped, so that a later mapping
// of the same addresses starts clean. Poisoning only what is carved
// keeps the shadow memory an arena touches in proportion to the pools it
// serves, not to its size.
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "allocator_internal.h"

namespace gcheap {

// Maps arena_size bytes aligned to arena_size, or returns nullptr: the
// request was refused (FailurePlan) or the system has no memory.
std::byte* Allocator::State::mmap_arena() {
  if (!grant_system_request()) return nullptr;
  void* raw = mmap(nullptr, 2 * arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;  // coverage: oom
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + arena_size - 1) & ~(arena_size - 1);
  if (aligned != start) munmap(raw, aligned - start);
  munmap(reinterpret_cast<void*>(aligned + arena_size), start + arena_size - aligned);
  ++counters.arena_mappings_live;
  return reinterpret_cast<std::byte*>(aligned);
}

void Allocator::State::munmap_arena(std::byte* base) {
  munmap(base, arena_size);
  --counters.arena_mappings_live;
}

// Grows the ArenaObject array. Only called when no arena is usable and no
// object is unused, so nothing but pool headers' indices refers into it.
bool Allocator::State::grow_arena_objects() {
  const std::uint32_t capacity = arenas_capacity == 0 ? kInitialArenaObjects : 2 * arenas_capacity;
  if (capacity <= arenas_capacity) return false;  // coverage: oom
  if (!grant_system_request()) return false;
  auto* grown = static_cast<ArenaObject*>(std::realloc(arenas, std::size_t{capacity} * sizeof(ArenaObject)));
  if (grown == nullptr) return false;  // coverage: oom
  arenas = grown;
  for (std::uint32_t i = capacity; i-- > arenas_capacity;) {
    arenas[i] = ArenaObject{};
    arenas[i].nextarena = unused_arena_objects;
    unused_arena_objects = &arenas[i];
  }
  arenas_capacity = capacity;
  return true;
}

// Maps an arena and makes it the only usable one (called when none is).
bool Allocator::State::new_arena() {
  std::byte* base = mmap_arena();
  if (base == nullptr) return false;
  if (unused_arena_objects == nullptr && !grow_arena_objects()) {
    if (GCHEAP_SEEDED(arena_leaks_when_table_cannot_grow, true, false)) munmap_arena(base);
    return false;
  }
  if (!arena_map.insert(reinterpret_cast<std::uintptr_t>(base))) {  // coverage: oom
    munmap_arena(base);
    return false;
  }
  ArenaObject* ao = unused_arena_objects;
  unused_arena_objects = ao->nextarena;
  *ao = ArenaObject{reinterpret_cast<std::uintptr_t>(base), base, pools_per_arena, nullptr, nullptr,
                    nullptr, trims};
  usable_arenas = ao;
  nfp2lasta[pools_per_arena] = ao;
  ++counters.arenas_mapped;
  ++counters.arenas_free;
  ++counters.arenas_allocated_total;
  return true;
}

// Takes a free pool from the fullest usable arena, mapping one if needed.
Allocator::State::PoolHeader* Allocator::State::take_pool() {
  if (usable_arenas == nullptr && !new_arena()) return nullptr;
  ArenaObject* ao = usable_arenas;
  PoolHeader* pool;
  if (ao->freepools != nullptr) {
    pool = ao->freepools;
    ao->freepools = pool->nextpool;
  } else {
    std::byte* memory = ao->pool_frontier;
    pool = pool_of(memory);
    // The blocks are poisoned until they are handed out.
    std::byte* blocks = first_block(memory);
    pymalloc::poison(blocks, static_cast<std::size_t>(memory + pool_size - blocks));
    pool->arena_index = static_cast<std::uint32_t>(ao - arenas);
    ao->pool_frontier += pool_size;
  }
  // ao has the smallest count, so one less keeps the list sorted; only the
  // fingers move.
  const std::size_t nf = ao->nfreepools--;
  if (nf == pools_per_arena) --counters.arenas_free;
  if (nfp2lasta[nf] == ao) nfp2lasta[nf] = nullptr;
  if (nf > 1) {
    nfp2lasta[nf - 1] = ao;
  } else {
    unlink_usable_arena(ao);
  }
  return pool;
}

// Takes back an emptied pool and re-sorts its arena.
void Allocator::State::return_pool(PoolHeader* pool) {
  ArenaObject* ao = &arenas[pool->arena_index];
  pool->nextpool = ao->freepools;
  ao->freepools = pool;
  const std::size_t nf = ++ao->nfreepools;

  // ao leaves the group with nf - 1 free pools.
  ArenaObject* lastnf = nfp2lasta[nf - 1];
  if (lastnf == ao) {
    ArenaObject* prev = ao->prevarena;
    nfp2lasta[nf - 1] = prev != nullptr && prev->nfreepools == nf - 1 ? prev : nullptr;
  }

  if (nf == pools_per_arena) {
    ao->free_since = trims;
    ++counters.arenas_free;
  }
  if (nf == 1) {
    // It was full, hence on no list; every usable arena has at least one.
    ao->prevarena = nullptr;
    ao->nextarena = usable_arenas;
    if (usable_arenas != nullptr) usable_arenas->prevarena = ao;
    usable_arenas = ao;
    if (nfp2lasta[1] == nullptr) nfp2lasta[1] = ao;
    return;
  }
  if (nfp2lasta[nf] == nullptr) nfp2lasta[nf] = ao;
  if (lastnf == ao) return;  // it was the last with nf - 1: still in order

  // Move it right behind the last arena with nf - 1 free pools.
  unlink_usable_arena(ao);
  ao->prevarena = lastnf;
  ao->nextarena = lastnf->nextarena;
  if (ao->nextarena != nullptr) ao->nextarena->prevarena = ao;
  lastnf->nextarena = ao;
}

void Allocator::State::unlink_usable_arena(ArenaObject* ao) {
  if (ao->prevarena != nullptr) {
    ao->prevarena->nextarena = ao->nextarena;
  } else {
    usable_arenas = ao->nextarena;
  }
  if (ao->nextarena != nullptr) ao->nextarena->prevarena = ao->prevarena;
  ao->nextarena = ao->prevarena = nullptr;
}

void Allocator::State::unmap_arena(ArenaObject* ao) {
  auto* base = reinterpret_cast<std::byte*>(ao->address);
  arena_map.erase(ao->address);
  pymalloc::unpoison(base, static_cast<std::size_t>(ao->pool_frontier - base));
  munmap_arena(base);
  ao->address = 0;
  --counters.arenas_mapped;
  ++counters.arenas_released_total;
}

// Unmaps a wholly free arena that is on no list and recycles its object.
void Allocator::State::release_arena(ArenaObject* ao) {
  unmap_arena(ao);
  ao->nextarena = unused_arena_objects;
  unused_arena_objects = ao;
}

// Unmaps a wholly free arena of usable_arenas.
void Allocator::State::release_free_arena(ArenaObject* ao) {
  if (nfp2lasta[pools_per_arena] == ao) {
    ArenaObject* prev = ao->prevarena;
    nfp2lasta[pools_per_arena] = prev != nullptr && prev->nfreepools == pools_per_arena ? prev : nullptr;
  }
  unlink_usable_arena(ao);
  release_arena(ao);
  --counters.arenas_free;
}

void Allocator::State::trim() {
  ArenaObject* prev = nullptr;
  for (ArenaObject* ao = nfp2lasta[pools_per_arena]; ao != nullptr && ao->nfreepools == pools_per_arena;
       ao = prev) {
    prev = ao->prevarena;
    // Freed before the previous trim, and not the last wholly free arena.
    if (ao->free_since != trims && counters.arenas_free > 1) release_free_arena(ao);
  }
  ++trims;
}

void Allocator::State::release_free_arenas() {
  while (ArenaObject* ao = nfp2lasta[pools_per_arena]) release_free_arena(ao);
}

// Keeps the head of the wholly free group, unmaps the rest, and makes the one
// kept what new_arena() would have mapped: the carved part is zeroed (a fresh
// mapping reads zero) and unpoisoned (take_pool poisons as it carves).
bool Allocator::State::reset() {
  if (large_blocks != nullptr) return false;  // coverage: not-in-language
  if (usable_arenas == nullptr) return counters.arenas_mapped == 0;
  // coverage: not-in-language
  if (usable_arenas->nfreepools != pools_per_arena || counters.arenas_free != counters.arenas_mapped) return false;  // coverage: not-in-language
  ArenaObject* kept = usable_arenas;
  while (nfp2lasta[pools_per_arena] != kept) release_free_arena(nfp2lasta[pools_per_arena]);
  auto* base = reinterpret_cast<std::byte*>(kept->address);
  const auto carved = static_cast<std::size_t>(kept->pool_frontier - base);
  pymalloc::unpoison(base, carved);
  std::memset(base, 0, carved);
  // The arena table as a new allocator's after its first arena (its first
  // kInitialArenaObjects entries, the kept arena in the first): a run then
  // grows it, a request of memory, exactly where a run on a new one would.
  if (arenas_capacity > kInitialArenaObjects) {
    if (auto* shrunk = static_cast<ArenaObject*>(std::realloc(arenas, kInitialArenaObjects * sizeof(ArenaObject)))) {
      arenas = shrunk;
      arenas_capacity = kInitialArenaObjects;
    }
  }
  unused_arena_objects = nullptr;
  for (std::uint32_t i = arenas_capacity; i-- > 1;) {
    arenas[i] = ArenaObject{};
    arenas[i].nextarena = unused_arena_objects;
    unused_arena_objects = &arenas[i];
  }
  kept = &arenas[0];
  *kept = ArenaObject{reinterpret_cast<std::uintptr_t>(base), base, pools_per_arena, nullptr, nullptr, nullptr, trims};
  usable_arenas = kept;
  nfp2lasta[pools_per_arena] = kept;
  return true;
}

// Teardown: unmaps every arena, whatever its pools still hold.
void Allocator::State::unmap_all_arenas() {
  for (std::uint32_t i = 0; i < arenas_capacity; ++i) {
    if (arenas[i].address != 0) unmap_arena(&arenas[i]);
  }
  usable_arenas = unused_arena_objects = nullptr;
  std::free(arenas);
  arenas = nullptr;
  arenas_capacity = 0;
}

}  // namespace gcheap
