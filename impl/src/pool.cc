// Pools: the slow paths of block allocation and free (the fast paths are
// inline in allocator_internal.h).
//
// A pool serves one size class. It hands out blocks from its free list
// (blocks freed into it, newest first) and then from its frontier, the part
// never handed out, so a fresh pool costs nothing per block until used. A
// pool is in one of three states:
//   used:  some blocks out and one available; it is on usedpools[c];
//   full:  no block available; it is on no list;
//   empty: no block out; it is back on its arena's freepools and may next
//          serve any size class.
// Allocation moves used -> full; free moves full -> used and used -> empty
// (a one-block pool goes full -> empty directly). Under AddressSanitizer the
// free blocks and the frontier stay poisoned throughout; a pool reinitialised
// for another class is therefore poisoned already.
#include "allocator_internal.h"

namespace gcheap {

// Slow path of allocate_block: no pool of the class has a block available.
void* Allocator::State::allocate_from_new_pool(std::uint32_t size_class) {
  PoolHeader* pool = take_pool();
  if (pool == nullptr) return nullptr;
  init_pool(pool, size_class);
  link_used_pool(pool);
  ++counters.pools_in_use;
  return take_block(pool);
}

// Sets a pool up to serve a size class, with all its blocks in the frontier.
void Allocator::State::init_pool(PoolHeader* pool, std::uint32_t size_class) {
  const auto block_size = static_cast<std::uint32_t>((std::size_t{size_class} + 1) << size_class_shift);
  pool->ref = 0;
  pool->size_class = size_class;
  pool->block_size = block_size;
  std::byte* memory = pool_memory(pool);
  pool->frontier = first_block(memory);
  pool->frontier_limit = memory + pool_size - block_size;
  pool->freeblock = nullptr;
}

// Puts a pool first on its class's list, where the next allocation finds it.
void Allocator::State::link_used_pool(PoolHeader* pool) {
  PoolHeader*& head = usedpools[pool->size_class];
  pool->prevpool = nullptr;
  pool->nextpool = head;
  if (head != nullptr) head->prevpool = pool;
  head = pool;
}

void Allocator::State::unlink_used_pool(PoolHeader* pool) {
  if (pool->prevpool != nullptr) {
    pool->prevpool->nextpool = pool->nextpool;
  } else {
    usedpools[pool->size_class] = pool->nextpool;
  }
  if (pool->nextpool != nullptr) pool->nextpool->prevpool = pool->prevpool;
}

// Slow path of free_block: the pool was full (it is back in use) or is now
// empty (it goes back to its arena).
void Allocator::State::settle_freed_pool(PoolHeader* pool, bool was_full) {
  if (pool->ref != 0) {
    link_used_pool(pool);
    return;
  }
  if (!was_full) unlink_used_pool(pool);  // coverage: geometry
  --counters.pools_in_use;
  return_pool(pool);
}

}  // namespace gcheap
