// Internals of gcheap's small-object allocator (the design is described once,
// in gcheap/allocator.h). Shared by arena.cc, pool.cc, ownership.cc and
// allocator.cc; the fast paths live here as small inline functions.
//
// Layout. An arena is arena_size bytes mmap'd at an arena_size-aligned address
// and cut into pools_per_arena pools of pool_size bytes. The pools' headers
// are not in the pools: they form one array at the start of the arena (the
// first pool's blocks begin after it, at a cache-line boundary), as mimalloc
// keeps its page descriptors in the segment header. A free touches its pool's
// header; with headers in the pools (pymalloc), every header sits at the same
// offset modulo pool_size, so they all compete for the same few cache sets
// and a free in a large heap misses on it. Packed, the headers of a whole
// arena take a few KiB and stay cached. The header of a block's pool is still
// found by arithmetic alone: the arena is the address with its low bits
// cleared, the pool index the bits above pool_size. Blocks of pools past the
// first start at a pool_size boundary, so a 64-byte block is one cache line.
//
// Lists (all intrusive, so the allocator allocates nothing per block):
//  - usedpools[c]: pools of size class c that can hand out a block (a freed
//    block or frontier space), doubly linked. Full pools are on no list; a
//    free() into one links it back. An emptied pool goes back to its arena.
//  - ArenaObject::freepools: emptied pools of an arena, reused before the
//    arena's never-used pool frontier.
//  - usable_arenas: arenas with a free pool, sorted by nfreepools ascending
//    (fullest first). nfp2lasta[n] is the last arena on it with n free pools,
//    so an arena whose count grew by one moves behind nfp2lasta[n - 1] in O(1)
//    (bpo-37029). The wholly free arenas are its tail, ending at
//    nfp2lasta[pools_per_arena]; trim() walks them from there.
//  - unused_arena_objects: ArenaObjects that describe no mapping. The objects
//    live in one growable array, indexed from pool headers; the array only
//    grows when no arena is usable, i.e. when no pointer into it is held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gcheap/allocator.h"
#include "seeded_bugs_internal.h"

#ifdef GCHEAP_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace gcheap::pymalloc {

// Under AddressSanitizer, the blocks of every pool carved from an arena are
// poisoned until handed out, and again once freed (the frontier and the free
// blocks, of used and of emptied pools); the arena's pools never carved are
// not, so its shadow memory grows only with the pools it serves (arena.cc).
// Elsewhere these are no-ops.
inline void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) {
#ifdef GCHEAP_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#endif
}
inline void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) {
#ifdef GCHEAP_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
}

// A freed block holds the link of its pool's free list.
struct FreeBlock {
  FreeBlock* next;
};

struct PoolHeader {
  std::uint32_t ref;              // blocks handed out
  std::uint32_t size_class;
  std::uint32_t block_size;
  std::uint32_t arena_index;      // the owning ArenaObject in State::arenas
  std::byte* frontier;            // first never-used block
  std::byte* frontier_limit;      // last address at which a whole block fits
  FreeBlock* freeblock;           // freed blocks, reused first (LIFO)
  PoolHeader* nextpool;           // usedpools[c], or the arena's freepools
  PoolHeader* prevpool;           // usedpools[c] only
};

inline bool pool_is_full(const PoolHeader* pool) {
  return pool->freeblock == nullptr && pool->frontier > pool->frontier_limit;
}

struct ArenaObject {
  std::uintptr_t address;     // base of the mapping; 0 for an unused object
  std::byte* pool_frontier;   // first never-used pool
  std::size_t nfreepools;     // pools on freepools plus those past the frontier
  PoolHeader* freepools;      // emptied pools, linked through nextpool
  ArenaObject* nextarena;     // usable_arenas, or unused_arena_objects
  ArenaObject* prevarena;     // usable_arenas only
  std::uint64_t free_since;   // trims done when its pools were last all free
};

// One bit per possible arena number (address >> arena_bits) of the user
// address space, in a mapping reserved at construction and touched only where
// arenas land (ownership.cc). User-space addresses have address_bits
// significant bits; any address with a higher bit set is simply not an arena.
class ArenaMap {
 public:
  static constexpr unsigned address_bits = 48;

  // Throws std::bad_alloc when the bitmap cannot be reserved.
  explicit ArenaMap(std::size_t arena_size);
  ~ArenaMap();
  ArenaMap(const ArenaMap&) = delete;
  ArenaMap& operator=(const ArenaMap&) = delete;

  bool contains(std::uintptr_t address) const {
    if ((address >> address_bits) != 0) return false;  // coverage: defensive
    const std::uintptr_t bit = address >> arena_bits_;
    return ((bits_[bit / word_bits] >> (bit % word_bits)) & 1) != 0;
  }
  // Records the arena at base; false when out of range.
  bool insert(std::uintptr_t base);
  void erase(std::uintptr_t base);

 private:
  static constexpr unsigned word_bits = 64;
  std::size_t bitmap_bytes() const;

  unsigned arena_bits_;
  std::uint64_t* bits_;
};

// Header in front of every block of the large path, linking all live large
// blocks so the destructor can free them. Its size keeps the payload aligned
// like malloc's result.
struct alignas(alignof(std::max_align_t)) LargeHeader {
  LargeHeader* prev;
  LargeHeader* next;
  std::size_t size;  // requested bytes
};

}  // namespace gcheap::pymalloc

namespace gcheap {

struct Allocator::State {
  using PoolHeader = pymalloc::PoolHeader;
  using ArenaObject = pymalloc::ArenaObject;

  State(const Geometry& geometry, bool debug_fill);
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // --- geometry, precomputed for the fast paths
  const std::size_t arena_size;
  const std::size_t pool_size;
  const std::size_t pools_per_arena;
  const unsigned pool_shift;           // log2(pool_size)
  const std::size_t arena_header_size; // the pool header array, in whole cache lines
  const std::size_t max_small;
  const unsigned size_class_shift;     // log2(alignment)
  const bool debug_fill;

  // --- ownership.cc
  pymalloc::ArenaMap arena_map;
  bool owns(const void* p) const {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return arena_map.contains(address) &&
           GCHEAP_SEEDED(owns_accepts_pool_headers, (address & (arena_size - 1)) >= arena_header_size, true);
  }
  // The header of the pool holding address p (a block, or pool memory).
  PoolHeader* pool_of(const void* p) const {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return reinterpret_cast<PoolHeader*>(address & ~(arena_size - 1)) + ((address & (arena_size - 1)) >> pool_shift);
  }
  // The memory of the pool a header describes, and its first block.
  std::byte* pool_memory(const PoolHeader* pool) const {
    const auto header = reinterpret_cast<std::uintptr_t>(pool);
    const std::uintptr_t arena = header & ~(arena_size - 1);
    return reinterpret_cast<std::byte*>(arena + ((header - arena) / sizeof(PoolHeader) << pool_shift));
  }
  std::byte* first_block(std::byte* pool_memory) const {
    const bool holds_headers = (reinterpret_cast<std::uintptr_t>(pool_memory) & (arena_size - 1)) == 0;
    return holds_headers ? pool_memory + arena_header_size : pool_memory;
  }

  // --- pool.cc: blocks and pools
  std::unique_ptr<PoolHeader*[]> usedpools;  // per size class
  inline void* allocate_block(std::size_t n);
  inline void* take_block(PoolHeader* pool);
  inline void free_block(void* p);
  void* allocate_from_new_pool(std::uint32_t size_class);
  void init_pool(PoolHeader* pool, std::uint32_t size_class);
  void link_used_pool(PoolHeader* pool);
  void unlink_used_pool(PoolHeader* pool);
  void settle_freed_pool(PoolHeader* pool, bool was_full);

  // --- arena.cc: arenas and the pools they hand out
  ArenaObject* arenas = nullptr;  // growable array, see the file comment
  std::uint32_t arenas_capacity = 0;
  static constexpr std::uint32_t kInitialArenaObjects = 16;  // its first growth; it doubles after
  ArenaObject* unused_arena_objects = nullptr;
  ArenaObject* usable_arenas = nullptr;
  std::unique_ptr<ArenaObject*[]> nfp2lasta;  // pools_per_arena + 1 entries
  PoolHeader* take_pool();
  void return_pool(PoolHeader* pool);
  bool new_arena();
  std::byte* mmap_arena();
  void munmap_arena(std::byte* base);
  bool grow_arena_objects();
  void unlink_usable_arena(ArenaObject* ao);
  void unmap_arena(ArenaObject* ao);
  void release_arena(ArenaObject* ao);
  void release_free_arena(ArenaObject* ao);
  void trim();
  void release_free_arenas();
  bool reset();
  std::uint64_t trims = 0;  // trim() calls so far
  void unmap_all_arenas();

  // --- allocator.cc: the large path
  pymalloc::LargeHeader* large_blocks = nullptr;
  void link_large(pymalloc::LargeHeader* header);
  void unlink_large(pymalloc::LargeHeader* header);
  void* allocate_large(std::size_t n);
  void free_large(void* p);
  void* reallocate_large(void* p, std::size_t n);
  void free_all_large();

  // --- allocator.cc: requests, refused on purpose by a FailurePlan
  FailurePlan failure_plan;
  std::uint64_t requests = 0;
  std::uint64_t refusals = 0;
  unsigned unfailing = 0;       // Allocator::Unfailing scopes open
  bool plain_requests = true;   // no plan armed and no Unfailing open
  inline bool grant_request();
  bool grant_watched_request();
  // grant_request for a request of the system (an arena mapping, the table's
  // growth), whose number it also records in system_requests.
  bool grant_system_request();
  std::vector<std::uint64_t> system_requests;
  void update_plain_requests();

  // Exact counters, kept off the fast paths: the live pool blocks and their
  // bytes are summed from the pool headers, and bytes_mapped derived, when
  // stats are read.
  AllocatorStats counters;
  void count_small_blocks(AllocatorStats& stats) const;
};

// Counts a request (FailurePlan) and says whether it is granted. Without a
// plan or an Unfailing, one predictable branch and an increment.
inline bool Allocator::State::grant_request() {
  if (!plain_requests) [[unlikely]]
    return grant_watched_request();
  ++requests;
  return true;
}

// Fast path: the first pool of the size class hands out a block.
inline void* Allocator::State::allocate_block(std::size_t n) {
  const auto size_class = static_cast<std::uint32_t>((n - 1) >> size_class_shift);
  PoolHeader* pool = usedpools[size_class];
  if (pool == nullptr) return allocate_from_new_pool(size_class);
  return take_block(pool);
}

// A block of a pool that has one available: from its free list first, then
// from its frontier.
inline void* Allocator::State::take_block(PoolHeader* pool) {
  std::byte* block;
  if (pool->freeblock != nullptr) {
    block = reinterpret_cast<std::byte*>(pool->freeblock);
    pymalloc::unpoison(block, pool->block_size);
    pool->freeblock = pool->freeblock->next;
  } else {
    block = pool->frontier;
    pool->frontier += pool->block_size;
    pymalloc::unpoison(block, pool->block_size);
  }
  ++pool->ref;
  if (pymalloc::pool_is_full(pool) && GCHEAP_SEEDED(full_pool_stays_in_use, true, false)) unlink_used_pool(pool);
  return block;
}

// Fast path: push the block on its pool's free list; only a pool that stops
// being full or becomes empty changes lists.
inline void Allocator::State::free_block(void* p) {
  PoolHeader* pool = pool_of(p);
  const bool was_full = pymalloc::pool_is_full(pool);
  auto* block = static_cast<pymalloc::FreeBlock*>(p);
  block->next = pool->freeblock;
  pool->freeblock = block;
  pymalloc::poison(block, pool->block_size);
  --pool->ref;
  if (was_full || pool->ref == 0) settle_freed_pool(pool, was_full);
}

}  // namespace gcheap
