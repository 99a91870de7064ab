// Tests of gcheap's small-object allocator (gcheap/allocator.h): size classes,
// alignment, block placement and reuse, arena packing, trimming and release,
// ownership of any pointer, reallocate, debug fill and AddressSanitizer
// poisoning, and the failure plan (which requests are counted, and which
// refused). Most tests run for both geometries.
#include "gcheap/allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace gcheap {

void PrintTo(const Geometry& g, std::ostream* os) {
  *os << "{arena " << g.arena_size << ", pool " << g.pool_size << ", max_small " << g.max_small
      << ", alignment " << g.alignment << "}";
}

namespace {

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
std::uintptr_t arena_of(const void* p, const Geometry& g) { return address(p) & ~(g.arena_size - 1); }
std::uintptr_t pool_of(const void* p, const Geometry& g) { return address(p) & ~(g.pool_size - 1); }
const void* as_pointer(std::uintptr_t a) { return reinterpret_cast<const void*>(a); }

// Blocks of an n-byte class in a pool, measured on a separate allocator: in
// an arena's first pool, which shares its memory with the arena's pool
// headers, and in every other pool.
struct PoolCapacity {
  std::size_t first;
  std::size_t other;
};
PoolCapacity pool_capacity(const Geometry& g, std::size_t n) {
  Allocator probe({g, false});
  PoolCapacity capacity{0, 0};
  const void* block = probe.allocate(n);
  for (; pool_of(block, g) == arena_of(block, g); block = probe.allocate(n)) ++capacity.first;
  const std::uintptr_t second = pool_of(block, g);
  for (; pool_of(block, g) == second; block = probe.allocate(n)) ++capacity.other;
  return capacity;
}
std::size_t blocks_per_arena(const Geometry& g, std::size_t n) {
  const PoolCapacity capacity = pool_capacity(g, n);
  return capacity.first + (g.pools_per_arena() - 1) * capacity.other;
}

unsigned char stamp_byte(std::size_t block, std::size_t offset) {
  return static_cast<unsigned char>(block * 131 + offset * 7 + 1);
}
void stamp(void* p, std::size_t n, std::size_t block) {
  auto* bytes = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = stamp_byte(block, i);
}
// Index of the first byte that lost its stamp, or n.
std::size_t first_unstamped(const void* p, std::size_t n, std::size_t block) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] != stamp_byte(block, i)) return i;
  }
  return n;
}

// Reads freed memory on purpose, so it must not be instrumented by ASan.
#ifdef GCHEAP_ASAN
__attribute__((no_sanitize_address))
#endif
bool all_bytes_are(const void* p, std::size_t from, std::size_t to, unsigned char value) {
  const volatile unsigned char* bytes = static_cast<const unsigned char*>(p);
  for (std::size_t i = from; i < to; ++i) {
    if (bytes[i] != value) return false;
  }
  return true;
}

// --- size classes (explicit per geometry) -------------------------------------

struct SizeClassCase {
  Geometry geometry;
  std::size_t request;
  std::size_t usable;  // block size, or the request on the large path
  bool small;
};

TEST(AllocatorSizeClasses, RequestsMapToSizeClassesOrTheLargePath) {
  const Geometry modern = Geometry::modern();
  const Geometry classic = Geometry::classic();
  const SizeClassCase cases[] = {
      {modern, 1, 16, true},     {modern, 16, 16, true},    {modern, 17, 32, true},
      {modern, 500, 512, true},  {modern, 512, 512, true},  {modern, 513, 513, false},
      {modern, 0, 0, false},     {modern, 5000, 5000, false},
      {classic, 1, 8, true},     {classic, 8, 8, true},     {classic, 9, 16, true},
      {classic, 17, 24, true},   {classic, 256, 256, true}, {classic, 257, 257, false},
      {classic, 0, 0, false},
  };
  for (const SizeClassCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "alignment " << c.geometry.alignment << ", request " << c.request);
    Allocator allocator({c.geometry, false});
    void* p = allocator.allocate(c.request);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(allocator.owns(p), c.small);
    EXPECT_EQ(allocator.usable_size(p), c.usable);
    const AllocatorStats stats = allocator.stats();
    EXPECT_EQ(stats.small_blocks_live, c.small ? 1u : 0u);
    EXPECT_EQ(stats.small_bytes_live, c.small ? c.usable : 0u);
    EXPECT_EQ(stats.large_blocks_live, c.small ? 0u : 1u);
    EXPECT_EQ(stats.large_bytes_live, c.small ? 0u : c.request);
    EXPECT_EQ(stats.pools_in_use, c.small ? 1u : 0u);
    if (c.small) {
      EXPECT_EQ(c.geometry.block_size(c.geometry.size_class(c.request)), c.usable);
    }
    allocator.free(p);
    EXPECT_EQ(allocator.stats().small_blocks_live + allocator.stats().large_blocks_live, 0u);
  }
  EXPECT_EQ(modern.size_class_count(), 32u);
  EXPECT_EQ(classic.size_class_count(), 32u);
}

TEST(AllocatorSizeClasses, ZeroByteRequestsAreUniqueAndNonNull) {
  Allocator allocator;
  void* a = allocator.allocate(0);
  void* b = allocator.allocate(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(allocator.stats().large_blocks_live, 2u);
  allocator.free(a);
  allocator.free(b);
  allocator.free(nullptr);  // ignored
  EXPECT_EQ(allocator.stats().large_blocks_live, 0u);
}

TEST(AllocatorSizeClasses, InvalidGeometriesAreRejected) {
  const Geometry bad[] = {
      {1u << 20, 3000, 512, 16},       // pool size not a power of two
      {3u << 20, 16u << 10, 512, 16},  // arena size not a power of two
      {16u << 10, 32u << 10, 512, 16},  // pool larger than arena
      {1u << 20, 16u << 10, 512, 4},   // blocks cannot hold a free-list link
      {1u << 20, 16u << 10, 500, 16},  // max_small not a multiple of the step
      {1u << 20, 512, 512, 16},        // largest block does not fit a pool
      {1u << 20, 16u << 10, 0, 16},    // no size class
  };
  for (const Geometry& g : bad) {
    EXPECT_THROW(Allocator({g, false}), std::invalid_argument) << testing::PrintToString(g);
  }
}

TEST(AllocatorSizeClasses, ImpossibleRequestsReturnNull) {
  Allocator allocator;
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(allocator.allocate(huge), nullptr);
  void* p = allocator.allocate(600);
  ASSERT_NE(p, nullptr);
  stamp(p, 600, 1);
  EXPECT_EQ(allocator.reallocate(p, huge), nullptr);
  EXPECT_EQ(first_unstamped(p, 600, 1), 600u);  // p is untouched and still live
  EXPECT_EQ(allocator.stats().large_bytes_live, 600u);
  allocator.free(p);
  EXPECT_EQ(allocator.stats().large_blocks_live, 0u);
}

// --- both geometries ------------------------------------------------------------

class AllocatorTest : public testing::TestWithParam<Geometry> {
 protected:
  const Geometry& geometry() const { return GetParam(); }
  Allocator::Options options(bool debug_fill = false) const { return {GetParam(), debug_fill}; }
};

TEST_P(AllocatorTest, BlocksAreAligned) {
  Allocator allocator(options());
  std::vector<void*> blocks;
  for (std::size_t n = 0; n <= geometry().max_small + 3 * geometry().alignment; ++n) {
    void* p = allocator.allocate(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(address(p) % geometry().alignment, 0u) << "request " << n;
    blocks.push_back(p);
  }
  for (void* p : blocks) allocator.free(p);
}

TEST_P(AllocatorTest, LiveBlocksOfMixedSizesDoNotOverlap) {
  Allocator allocator(options());
  std::mt19937 random(12345);
  std::uniform_int_distribution<std::size_t> size(0, geometry().max_small * 3 / 2);
  struct Live {
    void* p;
    std::size_t n;
    std::size_t id;
  };
  std::vector<Live> live;
  std::size_t next_id = 0;
  auto allocate = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t n = size(random);
      void* p = allocator.allocate(n);
      ASSERT_NE(p, nullptr);
      ASSERT_GE(allocator.usable_size(p), n);
      ASSERT_EQ(allocator.owns(p), n != 0 && n <= geometry().max_small);
      stamp(p, n, next_id);
      live.push_back({p, n, next_id++});
    }
  };
  auto free_some = [&](std::size_t count) {
    std::shuffle(live.begin(), live.end(), random);
    for (std::size_t i = 0; i < count; ++i) {
      const Live& block = live.back();
      ASSERT_EQ(first_unstamped(block.p, block.n, block.id), block.n) << "block " << block.id;
      allocator.free(block.p);
      live.pop_back();
    }
  };
  auto expect_disjoint = [&] {
    std::vector<Live> sorted = live;
    std::sort(sorted.begin(), sorted.end(), [](const Live& a, const Live& b) { return address(a.p) < address(b.p); });
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      ASSERT_LE(address(sorted[i - 1].p) + allocator.usable_size(sorted[i - 1].p), address(sorted[i].p));
    }
  };

  allocate(6000);
  expect_disjoint();
  free_some(3000);
  allocate(3000);  // refills freed blocks and pools
  expect_disjoint();
  std::size_t small = 0;
  for (const Live& block : live) small += allocator.owns(block.p) ? 1 : 0;
  EXPECT_EQ(allocator.stats().small_blocks_live, small);
  EXPECT_EQ(allocator.stats().large_blocks_live, live.size() - small);
  free_some(live.size() - 10);
  // The last ten stay live: the destructor frees them (LeakSanitizer checks
  // the large ones in the sanitizer build).
  EXPECT_EQ(allocator.stats().small_blocks_live + allocator.stats().large_blocks_live, 10u);
}

TEST_P(AllocatorTest, FreedBlockIsReusedByTheNextAllocationOfItsClass) {
  Allocator allocator(options());
  const std::size_t n = geometry().alignment + 1;
  void* first = allocator.allocate(n);
  void* second = allocator.allocate(n);
  allocator.free(first);
  void* again = allocator.allocate(n + 1);  // same size class
  EXPECT_EQ(again, first);
  EXPECT_EQ(allocator.stats().small_blocks_live, 2u);
  allocator.free(second);
  allocator.free(again);
}

TEST_P(AllocatorTest, EmptiedPoolServesAnotherSizeClass) {
  Allocator allocator(options());
  void* tiny = allocator.allocate(1);
  void* other = allocator.allocate(geometry().max_small);  // keeps the arena busy
  const std::uintptr_t emptied = pool_of(tiny, geometry());
  allocator.free(tiny);
  EXPECT_EQ(allocator.stats().pools_in_use, 1u);
  void* mid = allocator.allocate(geometry().max_small / 2);
  EXPECT_EQ(pool_of(mid, geometry()), emptied);
  EXPECT_EQ(allocator.usable_size(mid), geometry().max_small / 2);
  EXPECT_EQ(allocator.stats().pools_in_use, 2u);
  allocator.free(mid);
  allocator.free(other);
}

TEST_P(AllocatorTest, FreeArenasStayMappedUntilTrimmed) {
  Allocator allocator(options());
  const std::size_t n = geometry().max_small;
  std::vector<void*> blocks;
  std::vector<void*> one_per_arena;
  while (allocator.stats().arenas_mapped < 4) {
    const std::size_t mapped = allocator.stats().arenas_mapped;
    blocks.push_back(allocator.allocate(n));
    ASSERT_NE(blocks.back(), nullptr);
    if (allocator.stats().arenas_mapped != mapped) one_per_arena.push_back(blocks.back());
  }
  AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.arenas_allocated_total, 4u);
  EXPECT_EQ(stats.arenas_released_total, 0u);
  EXPECT_EQ(stats.arenas_free, 0u);
  EXPECT_EQ(stats.bytes_mapped, 4 * geometry().arena_size);
  EXPECT_EQ(stats.small_bytes_live, blocks.size() * n);

  // Emptied arenas stay mapped, counted free.
  for (void* p : blocks) allocator.free(p);
  stats = allocator.stats();
  EXPECT_EQ(stats.small_blocks_live, 0u);
  EXPECT_EQ(stats.small_bytes_live, 0u);
  EXPECT_EQ(stats.pools_in_use, 0u);
  EXPECT_EQ(stats.arenas_mapped, 4u);
  EXPECT_EQ(stats.arenas_free, 4u);
  EXPECT_EQ(stats.arenas_released_total, 0u);

  // Rebuilding the same blocks reuses them: no new mapping.
  for (void*& p : blocks) p = allocator.allocate(n);
  EXPECT_EQ(allocator.stats().arenas_allocated_total, 4u);
  EXPECT_EQ(allocator.stats().arenas_free, 0u);
  for (void* p : blocks) allocator.free(p);

  // The first trim keeps what was freed since the last one (none before);
  // the next unmaps all but the reserve.
  allocator.trim();
  EXPECT_EQ(allocator.stats().arenas_mapped, 4u);
  allocator.trim();
  stats = allocator.stats();
  EXPECT_EQ(stats.arenas_mapped, 1u);
  EXPECT_EQ(stats.arenas_free, 1u);
  EXPECT_EQ(stats.arenas_released_total, 3u);
  EXPECT_EQ(stats.bytes_mapped, geometry().arena_size);
  const auto owned = std::count_if(one_per_arena.begin(), one_per_arena.end(),
                                   [&](void* p) { return allocator.owns(p); });
  EXPECT_EQ(owned, 1);  // only the reserve is still mapped
  allocator.trim();     // the reserve is never trimmed
  EXPECT_EQ(allocator.stats().arenas_mapped, 1u);

  // The reserve serves the next allocation without a new mapping.
  void* p = allocator.allocate(n);
  EXPECT_EQ(allocator.stats().arenas_allocated_total, 4u);
  EXPECT_EQ(allocator.stats().arenas_free, 0u);
  allocator.free(p);
  EXPECT_EQ(allocator.stats().arenas_free, 1u);

  allocator.release_free_arenas();
  stats = allocator.stats();
  EXPECT_EQ(stats.arenas_mapped, 0u);
  EXPECT_EQ(stats.arenas_free, 0u);
  EXPECT_EQ(stats.bytes_mapped, 0u);
  EXPECT_EQ(stats.arenas_released_total, 4u);
  for (void* q : one_per_arena) EXPECT_FALSE(allocator.owns(q));
  allocator.release_free_arenas();  // nothing left to release
  EXPECT_EQ(allocator.stats().arenas_released_total, 4u);
}

// An arena freed after a trim survives the next one even when older free
// arenas go: trim() only takes what was idle for a whole period.
TEST_P(AllocatorTest, TrimKeepsArenasFreedSinceThePreviousTrim) {
  Allocator allocator(options());
  const std::size_t n = geometry().max_small;
  std::vector<void*> first;
  std::vector<void*> second;
  while (allocator.stats().arenas_mapped < 2) first.push_back(allocator.allocate(n));
  second.push_back(first.back());  // the second arena's first block
  first.pop_back();
  while (allocator.stats().arenas_mapped < 3) second.push_back(allocator.allocate(n));
  void* third = second.back();
  second.pop_back();

  for (void* p : first) allocator.free(p);  // arena 1 free before the first trim
  allocator.trim();
  for (void* p : second) allocator.free(p);  // arena 2 free after it
  allocator.trim();
  EXPECT_FALSE(allocator.owns(first.front()));
  EXPECT_TRUE(allocator.owns(second.front()));
  EXPECT_EQ(allocator.stats().arenas_mapped, 2u);
  EXPECT_EQ(allocator.stats().arenas_free, 1u);
  allocator.free(third);
  allocator.release_free_arenas();
  EXPECT_EQ(allocator.stats().arenas_mapped, 0u);
}

TEST_P(AllocatorTest, NewPoolsComeFromTheFullestArena) {
  const Geometry& g = geometry();
  const std::size_t n = g.max_small;
  const std::size_t per_pool = pool_capacity(g, n).other;
  const std::size_t pools_per_arena = g.pools_per_arena();
  Allocator allocator(options());
  // Fill three arenas exactly; arena_blocks[a][k] are the blocks of its k-th pool.
  std::map<std::uintptr_t, std::map<std::uintptr_t, std::vector<void*>>> arena_blocks;
  std::vector<std::uintptr_t> arena_order;
  for (std::size_t i = 0; i < 3 * blocks_per_arena(g, n); ++i) {
    void* p = allocator.allocate(n);
    ASSERT_NE(p, nullptr);
    const std::uintptr_t arena = arena_of(p, g);
    if (arena_blocks.find(arena) == arena_blocks.end()) arena_order.push_back(arena);
    arena_blocks[arena][pool_of(p, g)].push_back(p);
  }
  ASSERT_EQ(arena_order.size(), 3u);
  ASSERT_EQ(allocator.stats().pools_in_use, 3 * pools_per_arena);

  // Frees the arena's last `count` pools (whole ones, not the first).
  auto free_pools = [&](std::uintptr_t arena, std::size_t count) {
    auto& pools = arena_blocks[arena];
    for (std::size_t k = 0; k < count; ++k) {
      const auto last = std::prev(pools.end());
      for (void* p : last->second) allocator.free(p);
      pools.erase(last);
    }
  };
  // The second arena keeps all but two pools; the first loses half of them
  // afterwards, so neither mapping order nor recency points at the second.
  const std::uintptr_t fuller = arena_order[1];
  const std::uintptr_t emptier = arena_order[0];
  free_pools(fuller, 2);
  free_pools(emptier, pools_per_arena / 2);

  for (std::size_t i = 0; i < 2 * per_pool; ++i) {
    void* p = allocator.allocate(n);
    EXPECT_EQ(arena_of(p, g), fuller) << "block " << i;
  }
  EXPECT_EQ(arena_of(allocator.allocate(n), g), emptier);
  EXPECT_EQ(allocator.stats().arenas_mapped, 3u);
  EXPECT_EQ(allocator.stats().arenas_allocated_total, 3u);
}

// Random churn over several arenas: every new pool must come from a mapped
// arena with the fewest free pools, and mapped arenas must be exactly those
// with live blocks plus the free ones, counted. Frees drain one arena at a
// time so that arenas empty, are reused and are trimmed mid-run.
TEST_P(AllocatorTest, ChurnKeepsArenasSortedAndCounted) {
  const Geometry& g = geometry();
  const std::size_t pools_per_arena = g.pools_per_arena();
  const std::size_t sizes[] = {1, g.max_small / 2, g.max_small, g.max_small};
  Allocator allocator(options());
  std::mt19937 random(777);
  std::map<std::uintptr_t, std::vector<void*>> live_in_arena;  // arenas ever seen
  std::unordered_map<std::uintptr_t, std::size_t> blocks_in_pool;
  std::map<std::uintptr_t, std::size_t> pools_in_arena;
  std::size_t live = 0;
  auto mapped = [&](std::uintptr_t arena) { return allocator.owns(as_pointer(arena + g.pool_size - 1)); };
  auto check_arenas = [&] {
    std::size_t busy = 0;
    std::size_t idle_mapped = 0;
    for (const auto& [arena, pools] : pools_in_arena) {
      if (pools > 0) {
        ++busy;
      } else if (mapped(arena)) {
        ++idle_mapped;
      }
    }
    const AllocatorStats stats = allocator.stats();
    ASSERT_EQ(stats.arenas_free, idle_mapped);
    ASSERT_EQ(stats.arenas_mapped, busy + idle_mapped);
    ASSERT_EQ(stats.small_blocks_live, live);
  };
  auto allocate_one = [&] {
    // Fewest free pools among mapped arenas that have one, before allocating.
    std::size_t fewest = pools_per_arena + 1;
    for (const auto& [arena, pools] : pools_in_arena) {
      if (pools < pools_per_arena && mapped(arena)) fewest = std::min(fewest, pools_per_arena - pools);
    }
    const bool had_usable = fewest <= pools_per_arena;
    const AllocatorStats before = allocator.stats();
    void* p = allocator.allocate(sizes[random() % 4]);
    ASSERT_NE(p, nullptr);
    const std::uintptr_t arena = arena_of(p, g);
    if (allocator.stats().pools_in_use != before.pools_in_use) {
      if (had_usable) {
        ASSERT_EQ(pools_per_arena - pools_in_arena[arena], fewest);
      } else {
        ASSERT_EQ(allocator.stats().arenas_allocated_total, before.arenas_allocated_total + 1) << "expected a new arena";
      }
    }
    if (blocks_in_pool[pool_of(p, g)]++ == 0) ++pools_in_arena[arena];
    live_in_arena[arena].push_back(p);
    ++live;
  };
  auto free_one_in = [&](std::vector<void*>& blocks) {
    const std::size_t i = random() % blocks.size();
    void* p = blocks[i];
    blocks[i] = blocks.back();
    blocks.pop_back();
    allocator.free(p);
    if (--blocks_in_pool[pool_of(p, g)] == 0) --pools_in_arena[arena_of(p, g)];
    --live;
  };
  auto random_busy_arena = [&]() -> std::vector<void*>& {
    std::vector<std::vector<void*>*> busy;
    for (auto& [arena, blocks] : live_in_arena) {
      if (!blocks.empty()) busy.push_back(&blocks);
    }
    return *busy[random() % busy.size()];
  };

  const std::size_t arena_blocks = blocks_per_arena(g, g.max_small);
  for (int round = 0; round < 3; ++round) {
    while (live < 8 * arena_blocks) {
      if (random() % 4 == 0 && live > 0) {
        free_one_in(random_busy_arena());
      } else {
        ASSERT_NO_FATAL_FAILURE(allocate_one());
      }
      ASSERT_NO_FATAL_FAILURE(check_arenas());
    }
    std::vector<void*>* victim = &random_busy_arena();
    while (live > arena_blocks / 2) {
      if (random() % 4 == 0) {
        ASSERT_NO_FATAL_FAILURE(allocate_one());
      } else {
        if (victim->empty()) victim = &random_busy_arena();
        free_one_in(*victim);
      }
      ASSERT_NO_FATAL_FAILURE(check_arenas());
    }
    // Two trims: the arenas drained in this round are idle for a whole period.
    allocator.trim();
    allocator.trim();
    ASSERT_NO_FATAL_FAILURE(check_arenas());
  }
  EXPECT_GT(allocator.stats().arenas_released_total, 0u);  // trimmed mid-run
  for (auto& [arena, blocks] : live_in_arena) {
    while (!blocks.empty()) free_one_in(blocks);
  }
  check_arenas();
  allocator.trim();
  allocator.trim();
  check_arenas();
  EXPECT_EQ(allocator.stats().arenas_mapped, 1u);
}

TEST_P(AllocatorTest, OwnsOnlyBlocksOfMappedArenas) {
  const Geometry& g = geometry();
  Allocator allocator(options());
  void* small = allocator.allocate(1);
  ASSERT_TRUE(allocator.owns(small));
  const std::uintptr_t arena = arena_of(small, g);
  EXPECT_TRUE(allocator.owns(as_pointer(arena + g.arena_size - 1)));  // in an unused pool
  EXPECT_FALSE(allocator.owns(as_pointer(arena + g.arena_size)));     // just past it
  EXPECT_FALSE(allocator.owns(as_pointer(arena - 1)));                // just before it
  EXPECT_FALSE(allocator.owns(as_pointer(arena)));                    // the pool headers

  int on_stack = 0;
  void* from_malloc = std::malloc(16);
  void* large = allocator.allocate(g.max_small + 1);
  void* empty = allocator.allocate(0);
  EXPECT_FALSE(allocator.owns(&on_stack));
  EXPECT_FALSE(allocator.owns(from_malloc));
  EXPECT_FALSE(allocator.owns(large));
  EXPECT_FALSE(allocator.owns(empty));
  EXPECT_FALSE(allocator.owns(nullptr));
  EXPECT_FALSE(allocator.owns(as_pointer(1)));
  EXPECT_FALSE(allocator.owns(as_pointer(std::numeric_limits<std::uintptr_t>::max())));
  EXPECT_FALSE(allocator.owns(as_pointer(address(small) | (std::uintptr_t{1} << 63))));
  std::free(from_malloc);
  allocator.free(large);
  allocator.free(empty);

  // Another allocator's blocks are not this one's.
  Allocator other(options());
  void* foreign = other.allocate(1);
  EXPECT_TRUE(other.owns(foreign));
  EXPECT_FALSE(allocator.owns(foreign));
  other.free(foreign);

  allocator.free(small);
  EXPECT_TRUE(allocator.owns(small));  // the arena is free, still mapped
  allocator.release_free_arenas();
  EXPECT_FALSE(allocator.owns(small));
  EXPECT_FALSE(allocator.owns(as_pointer(arena + g.arena_size - 1)));
}

TEST_P(AllocatorTest, ReallocateKeepsContents) {
  const Geometry& g = geometry();
  Allocator allocator(options());
  const std::size_t big = g.max_small + 100;

  void* p = allocator.reallocate(nullptr, 10);  // acts as allocate
  ASSERT_TRUE(allocator.owns(p));
  stamp(p, 10, 1);
  void* same_class = allocator.reallocate(p, 12);
  EXPECT_EQ(same_class, p);
  EXPECT_EQ(first_unstamped(same_class, 10, 1), 10u);

  void* grown = allocator.reallocate(same_class, 3 * g.alignment);  // small -> small
  ASSERT_TRUE(allocator.owns(grown));
  EXPECT_EQ(allocator.usable_size(grown), 3 * g.alignment);
  EXPECT_EQ(first_unstamped(grown, 10, 1), 10u);
  stamp(grown, 3 * g.alignment, 2);

  void* large = allocator.reallocate(grown, big);  // small -> large
  ASSERT_NE(large, nullptr);
  EXPECT_FALSE(allocator.owns(large));
  EXPECT_EQ(allocator.usable_size(large), big);
  EXPECT_EQ(first_unstamped(large, 3 * g.alignment, 2), 3 * g.alignment);
  stamp(large, big, 3);

  void* larger = allocator.reallocate(large, 4 * big);  // large -> large
  EXPECT_EQ(allocator.usable_size(larger), 4 * big);
  EXPECT_EQ(first_unstamped(larger, big, 3), big);
  EXPECT_EQ(allocator.stats().large_bytes_live, 4 * big);

  void* back = allocator.reallocate(larger, 50);  // large -> small
  ASSERT_TRUE(allocator.owns(back));
  EXPECT_EQ(first_unstamped(back, 50, 3), 50u);

  void* zero = allocator.reallocate(back, 0);  // small -> the zero-byte large block
  ASSERT_NE(zero, nullptr);
  EXPECT_FALSE(allocator.owns(zero));
  EXPECT_EQ(allocator.usable_size(zero), 0u);

  const AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.small_blocks_live, 0u);
  EXPECT_EQ(stats.large_blocks_live, 1u);
  EXPECT_EQ(stats.large_bytes_live, 0u);
  allocator.free(zero);
  EXPECT_EQ(allocator.stats().large_blocks_live, 0u);
}

TEST_P(AllocatorTest, DebugFillMarksFreshAndFreedBlocks) {
  const Geometry& g = geometry();
  Allocator allocator(options(/*debug_fill=*/true));
  void* small = allocator.allocate(40);
  const std::size_t usable = allocator.usable_size(small);
  EXPECT_TRUE(all_bytes_are(small, 0, usable, 0xCD));
  stamp(small, usable, 1);
  void* keep_pool_busy = allocator.allocate(40);
  allocator.free(small);
  // The first word of a freed block is its free-list link.
  EXPECT_TRUE(all_bytes_are(small, sizeof(void*), usable, 0xDD));

  void* reused = allocator.allocate(40);
  EXPECT_EQ(reused, small);
  EXPECT_TRUE(all_bytes_are(reused, 0, usable, 0xCD));

  const std::size_t big = g.max_small + 10;
  void* large = allocator.allocate(big);
  EXPECT_TRUE(all_bytes_are(large, 0, big, 0xCD));
  stamp(large, big, 2);
  void* larger = allocator.reallocate(large, 2 * big);
  EXPECT_EQ(first_unstamped(larger, big, 2), big);
  EXPECT_TRUE(all_bytes_are(larger, big, 2 * big, 0xCD));

  allocator.free(reused);
  allocator.free(keep_pool_busy);
  allocator.free(larger);
}

// --- AddressSanitizer -----------------------------------------------------------

TEST_P(AllocatorTest, ReadOfFreedSmallBlockIsReportedUnderAsan) {
#ifdef GCHEAP_ASAN
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Allocator allocator(options());
  auto* p = static_cast<volatile char*>(allocator.allocate(32));
  void* neighbour = allocator.allocate(32);  // keeps the pool in use
  p[0] = 1;
  allocator.free(const_cast<char*>(p));
  EXPECT_DEATH({ [[maybe_unused]] char c = p[1]; }, "use-after-poison");
  allocator.free(neighbour);
#else
  GTEST_SKIP() << "AddressSanitizer is off; configure with -DGCV_SANITIZERS=address,undefined (impl-sanitized.* runs it)";
#endif
}

TEST_P(AllocatorTest, ReadOfNeverUsedFrontierIsReportedUnderAsan) {
#ifdef GCHEAP_ASAN
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Allocator allocator(options());
  const std::size_t n = geometry().max_small;
  auto* p = static_cast<volatile char*>(allocator.allocate(n));
  p[n - 1] = 1;  // the block itself is usable
  EXPECT_DEATH({ [[maybe_unused]] char c = p[n]; }, "use-after-poison");
  allocator.free(const_cast<char*>(p));
#else
  GTEST_SKIP() << "AddressSanitizer is off; configure with -DGCV_SANITIZERS=address,undefined (impl-sanitized.* runs it)";
#endif
}

TEST_P(AllocatorTest, ReadOfFreedLargeBlockIsReportedUnderAsan) {
#ifdef GCHEAP_ASAN
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Allocator allocator(options());
  auto* p = static_cast<volatile char*>(allocator.allocate(geometry().max_small + 1));
  allocator.free(const_cast<char*>(p));
  EXPECT_DEATH({ [[maybe_unused]] char c = p[0]; }, "heap-use-after-free");
#else
  GTEST_SKIP() << "AddressSanitizer is off; configure with -DGCV_SANITIZERS=address,undefined (impl-sanitized.* runs it)";
#endif
}

INSTANTIATE_TEST_SUITE_P(Geometries, AllocatorTest, testing::Values(Geometry::modern(), Geometry::classic()),
                         [](const testing::TestParamInfo<Geometry>& info) {
                           return info.param.pool_size == Geometry::modern().pool_size ? "modern" : "classic";
                         });

}  // namespace
}  // namespace gcheap

namespace gcheap {
namespace {

// Where a sequence of small allocations lands, as offsets from the first
// block's arena (addresses differ between mappings; the layout must not).
std::vector<std::ptrdiff_t> layout_of(gcheap::Allocator& allocator, std::vector<void*>& blocks) {
  static constexpr std::size_t kSizes[] = {16, 64, 48, 16, 512, 8, 200, 16, 64, 333};
  for (int round = 0; round < 300; ++round)
    for (std::size_t n : kSizes)
      if (n <= allocator.geometry().max_small) blocks.push_back(allocator.allocate(n));  // pools only
  const auto arena = reinterpret_cast<std::uintptr_t>(blocks.front()) & ~(allocator.geometry().arena_size - 1);
  std::vector<std::ptrdiff_t> offsets;
  for (void* p : blocks) offsets.push_back(reinterpret_cast<std::intptr_t>(p) - static_cast<std::intptr_t>(arena));
  return offsets;
}

// After reset() an allocator places blocks exactly as a new one does, reads
// zero where a new mapping would, and maps no arena for it.
TEST_P(AllocatorTest, ResetBehavesAsANewAllocator) {
  gcheap::Allocator fresh(gcheap::Allocator::Options{GetParam(), false});
  std::vector<void*> fresh_blocks;
  const std::vector<std::ptrdiff_t> expected = layout_of(fresh, fresh_blocks);

  gcheap::Allocator used(gcheap::Allocator::Options{GetParam(), false});
  std::vector<void*> junk;
  for (int i = 0; i < 5000; ++i) junk.push_back(used.allocate(16 + (i * 37) % 400));
  for (std::size_t i = 0; i < junk.size(); i += 2) used.free(junk[i]);  // holes everywhere
  EXPECT_FALSE(used.reset());  // blocks are live: refused, nothing done
  for (std::size_t i = 1; i < junk.size(); i += 2) used.free(junk[i]);
  void* large = used.allocate(100000);
  EXPECT_FALSE(used.reset());
  used.free(large);
  ASSERT_TRUE(used.reset());
  const gcheap::AllocatorStats after = used.stats();
  EXPECT_EQ(after.arenas_mapped, 1u);
  EXPECT_EQ(after.arenas_free, 1u);
  EXPECT_EQ(after.pools_in_use, 0u);
  const std::size_t mapped_before = after.arenas_allocated_total;

  std::vector<void*> used_blocks;
  EXPECT_EQ(layout_of(used, used_blocks), expected);
  EXPECT_EQ(used.stats().arenas_allocated_total, mapped_before + (fresh.stats().arenas_allocated_total - 1));
  for (void* p : used_blocks) EXPECT_EQ(*static_cast<unsigned char*>(p), 0) << "a reset arena reads zero";
  for (void* p : used_blocks) used.free(p);
  for (void* p : fresh_blocks) fresh.free(p);
}

}  // namespace
}  // namespace gcheap

// --- refusing memory on purpose (FailurePlan) --------------------------------------

namespace gcheap {
namespace {

using Mode = FailurePlan::Mode;

// FailurePlan's Random rule, written out independently: request i is refused
// iff the i-th output of splitmix64 seeded with `seed` is 0 modulo one_in.
bool random_plan_refuses(std::uint64_t seed, std::uint32_t one_in, std::uint64_t i) {
  std::uint64_t z = seed + i * 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  z ^= z >> 31;
  return z % one_in == 0;
}

// Which of `count` allocate(16)/free pairs were refused, on an allocator whose
// first arena is mapped already, so that each pair is exactly one request.
std::vector<bool> refused_pairs(const FailurePlan& plan, int count) {
  Allocator allocator;
  void* keep = allocator.allocate(16);
  allocator.set_failure_plan(plan);
  std::vector<bool> refused;
  for (int i = 0; i < count; ++i) {
    void* p = allocator.allocate(16);
    refused.push_back(p == nullptr);
    allocator.free(p);
  }
  EXPECT_EQ(allocator.requests(), static_cast<std::uint64_t>(count));
  EXPECT_EQ(allocator.refusals(), static_cast<std::uint64_t>(std::count(refused.begin(), refused.end(), true)));
  allocator.free(keep);
  return refused;
}

std::vector<bool> only(std::initializer_list<int> indices, int count) {
  std::vector<bool> out(count, false);
  for (int i : indices) out[i] = true;
  return out;
}

void expect_same_stats(const AllocatorStats& a, const AllocatorStats& b) {
  EXPECT_EQ(a.small_blocks_live, b.small_blocks_live);
  EXPECT_EQ(a.large_blocks_live, b.large_blocks_live);
  EXPECT_EQ(a.small_bytes_live, b.small_bytes_live);
  EXPECT_EQ(a.large_bytes_live, b.large_bytes_live);
  EXPECT_EQ(a.arenas_mapped, b.arenas_mapped);
  EXPECT_EQ(a.arenas_free, b.arenas_free);
  EXPECT_EQ(a.pools_in_use, b.pools_in_use);
  EXPECT_EQ(a.arenas_allocated_total, b.arenas_allocated_total);
  EXPECT_EQ(a.arenas_released_total, b.arenas_released_total);
  EXPECT_EQ(a.bytes_mapped, b.bytes_mapped);
  EXPECT_EQ(a.arena_mappings_live, b.arena_mappings_live);
}

TEST(AllocatorFailurePlan, NeverRefusesAndCountsEveryRequest) {
  Allocator allocator;
  EXPECT_EQ(allocator.failure_plan().mode, Mode::Never);
  EXPECT_EQ(allocator.requests(), 0u);
  void* p = allocator.allocate(16);
  EXPECT_EQ(allocator.requests(), 3u) << "the allocate, the first arena's mapping, the arena table's growth";
  allocator.set_failure_plan({});
  EXPECT_EQ(allocator.requests(), 0u) << "setting a plan restarts the count";
  EXPECT_EQ(refused_pairs({}, 50), std::vector<bool>(50, false));
  EXPECT_EQ(allocator.refusals(), 0u);
  allocator.free(p);
}

TEST(AllocatorFailurePlan, OnceRefusesTheKthRequestOnly) {
  EXPECT_EQ(refused_pairs({Mode::Once, 4}, 8), only({3}, 8));
  EXPECT_EQ(refused_pairs({Mode::Once, 1}, 8), only({0}, 8));
  EXPECT_EQ(refused_pairs({Mode::Once, 9}, 8), std::vector<bool>(8, false));
  EXPECT_EQ(refused_pairs({Mode::Once, 0}, 8), std::vector<bool>(8, false)) << "no request is number 0";
}

TEST(AllocatorFailurePlan, FromRefusesTheKthRequestAndEveryOneAfter) {
  EXPECT_EQ(refused_pairs({Mode::From, 3}, 6), only({2, 3, 4, 5}, 6));
  EXPECT_EQ(refused_pairs({Mode::From, 1}, 4), std::vector<bool>(4, true));
  EXPECT_EQ(refused_pairs({Mode::From, 7}, 6), std::vector<bool>(6, false));
}

TEST(AllocatorFailurePlan, RandomIsReproducibleFromItsSeed) {
  const FailurePlan plan{Mode::Random, 0, 42, 4};
  const std::vector<bool> refused = refused_pairs(plan, 400);
  EXPECT_EQ(refused_pairs(plan, 400), refused) << "the same seed refuses the same requests";
  for (int i = 0; i < 400; ++i) EXPECT_EQ(refused[i], random_plan_refuses(42, 4, i + 1u)) << "request " << i + 1;
  const auto count = std::count(refused.begin(), refused.end(), true);
  EXPECT_GT(count, 60);
  EXPECT_LT(count, 140);
  EXPECT_NE(refused_pairs({Mode::Random, 0, 43, 4}, 400), refused) << "another seed, other requests";
  EXPECT_EQ(refused_pairs({Mode::Random, 0, 42, 1}, 20), std::vector<bool>(20, true)) << "one_in 1: every request";
  EXPECT_EQ(refused_pairs({Mode::Random, 0, 42, 0}, 20), std::vector<bool>(20, false)) << "one_in 0: none";
}

TEST(AllocatorFailurePlan, ArmedPlanIsReadBack) {
  Allocator allocator;
  allocator.set_failure_plan({Mode::Random, 5, 7, 9});
  const FailurePlan& plan = allocator.failure_plan();
  EXPECT_EQ(plan.mode, Mode::Random);
  EXPECT_EQ(plan.k, 5u);
  EXPECT_EQ(plan.seed, 7u);
  EXPECT_EQ(plan.one_in, 9u);
}

// allocate always; reallocate when it moves a block or grows a large one;
// never a reallocate that keeps its block, nor a large block's shrink.
TEST(AllocatorFailurePlan, RequestsAreCountedAsDefined) {
  Allocator allocator;
  void* a = allocator.allocate(16);
  ASSERT_EQ(allocator.requests(), 3u);  // allocate, mapping, table growth
  void* b = allocator.allocate(16);
  EXPECT_EQ(allocator.requests(), 4u);
  EXPECT_EQ(allocator.reallocate(a, 10), a) << "same size class: kept";
  EXPECT_EQ(allocator.requests(), 4u) << "a reallocate that keeps its block is no request";
  a = allocator.reallocate(a, 100);
  EXPECT_EQ(allocator.requests(), 5u) << "a move to another size class";
  void* large = allocator.allocate(1000);
  EXPECT_EQ(allocator.requests(), 6u) << "a large allocate: its malloc is the same request";
  large = allocator.reallocate(large, 2000);
  EXPECT_EQ(allocator.requests(), 7u) << "a large block's growth";
  large = allocator.reallocate(large, 1500);
  EXPECT_EQ(allocator.requests(), 7u) << "a large block's shrink is no request";
  large = allocator.reallocate(large, 64);
  EXPECT_EQ(allocator.requests(), 8u) << "large to small: a move";
  b = allocator.reallocate(b, 5000);
  EXPECT_EQ(allocator.requests(), 9u) << "small to large: a move";
  void* c = allocator.reallocate(nullptr, 16);
  EXPECT_EQ(allocator.requests(), 10u) << "reallocate(nullptr) is an allocate";
  EXPECT_EQ(allocator.refusals(), 0u);
  for (void* p : {a, b, c, large}) allocator.free(p);
}

// Every new arena is one request more than its allocate, and every growth of
// the arena table (16 arenas, then 32) one more again.
TEST(AllocatorFailurePlan, ArenaMappingsAndTableGrowthsAreRequests) {
  const Geometry g = Geometry::classic();
  Allocator allocator({g, false});
  std::vector<void*> blocks;
  while (allocator.stats().arenas_allocated_total < 17) blocks.push_back(allocator.allocate(g.max_small));
  EXPECT_EQ(allocator.requests(), blocks.size() + 17 + 2);
  // Each mapping is its allocate's next request; the two table growths
  // follow the first and the seventeenth.
  const std::vector<std::uint64_t>& system = allocator.system_requests();
  ASSERT_EQ(system.size(), 17u + 2u);
  EXPECT_EQ(system[0], 2u);
  EXPECT_EQ(system[1], 3u);
  EXPECT_EQ(system.back(), allocator.requests());
  allocator.set_failure_plan({});
  EXPECT_TRUE(allocator.system_requests().empty());
  for (void* p : blocks) allocator.free(p);
}

// Allocates blocks of n bytes until, with request `k` of the next allocate
// refused, that allocate fails: it needed a new arena (k == 2 refuses the
// mapping, k == 3 the table's growth after it). Returns the stats just before.
AllocatorStats fill_until_refused(Allocator& allocator, std::size_t n, std::uint64_t k, std::vector<void*>& blocks) {
  for (;;) {
    const AllocatorStats before = allocator.stats();
    allocator.set_failure_plan({Mode::Once, k});
    void* p = allocator.allocate(n);
    if (p == nullptr) return before;
    blocks.push_back(p);
  }
}

TEST(AllocatorFailurePlan, RefusedMappingChangesNothing) {
  const Geometry g = Geometry::classic();
  Allocator allocator({g, false});
  std::vector<void*> blocks;
  for (int arena = 1; arena <= 3; ++arena) {
    SCOPED_TRACE(testing::Message() << "arena " << arena);
    const AllocatorStats before = fill_until_refused(allocator, g.max_small, 2, blocks);
    EXPECT_EQ(allocator.requests(), 2u);
    EXPECT_EQ(allocator.refusals(), 1u);
    expect_same_stats(allocator.stats(), before);
    EXPECT_EQ(before.arenas_mapped, static_cast<std::size_t>(arena - 1));
    allocator.check_invariants();
    allocator.set_failure_plan({});
    blocks.push_back(allocator.allocate(g.max_small));  // now it maps the arena
    ASSERT_NE(blocks.back(), nullptr);
    EXPECT_EQ(allocator.stats().arenas_mapped, static_cast<std::size_t>(arena));
    EXPECT_EQ(allocator.stats().arena_mappings_live, static_cast<std::size_t>(arena));
  }
  for (void* p : blocks) allocator.free(p);
  allocator.check_invariants();
}

// The table grows before the first arena and the seventeenth: refused, the
// arena just mapped for it is unmapped again.
TEST(AllocatorFailurePlan, RefusedTableGrowthUnmapsTheNewArena) {
  const Geometry g = Geometry::classic();
  Allocator allocator({g, false});
  allocator.set_failure_plan({Mode::Once, 3});
  EXPECT_EQ(allocator.allocate(16), nullptr);
  expect_same_stats(allocator.stats(), AllocatorStats{});
  allocator.check_invariants();

  // Only an allocate that grows the table makes a third request.
  allocator.set_failure_plan({});
  std::vector<void*> blocks{allocator.allocate(g.max_small)};
  const AllocatorStats before = fill_until_refused(allocator, g.max_small, 3, blocks);
  EXPECT_EQ(before.arenas_mapped, 16u);
  EXPECT_EQ(before.arena_mappings_live, 16u);
  expect_same_stats(allocator.stats(), before);
  allocator.check_invariants();
  allocator.set_failure_plan({});
  blocks.push_back(allocator.allocate(g.max_small));
  ASSERT_NE(blocks.back(), nullptr);
  EXPECT_EQ(allocator.requests(), 3u);
  EXPECT_EQ(allocator.stats().arenas_mapped, 17u);
  for (void* p : blocks) allocator.free(p);
}

TEST(AllocatorFailurePlan, RefusedReallocateLeavesTheBlockAsItWas) {
  Allocator allocator;
  void* small = allocator.allocate(40);
  void* large = allocator.allocate(1000);
  stamp(small, 40, 1);
  stamp(large, 1000, 2);
  const AllocatorStats before = allocator.stats();
  allocator.set_failure_plan({Mode::From, 1});
  EXPECT_EQ(allocator.reallocate(small, 200), nullptr) << "a move, refused";
  EXPECT_EQ(allocator.reallocate(small, 4000), nullptr) << "a move to the large path, refused";
  EXPECT_EQ(allocator.reallocate(large, 5000), nullptr) << "a large growth, refused";
  EXPECT_EQ(allocator.reallocate(large, 100), nullptr) << "a move to a pool, refused";
  EXPECT_EQ(allocator.requests(), 4u);
  EXPECT_EQ(allocator.refusals(), 4u);
  EXPECT_EQ(first_unstamped(small, 40, 1), 40u);
  EXPECT_EQ(first_unstamped(large, 1000, 2), 1000u);
  expect_same_stats(allocator.stats(), before);
  allocator.check_invariants();
  EXPECT_EQ(allocator.reallocate(small, 48), small) << "kept in its block: no request to refuse";
  large = allocator.reallocate(large, 600);
  ASSERT_NE(large, nullptr) << "a large shrink: no request to refuse";
  EXPECT_EQ(first_unstamped(large, 600, 2), 600u);
  EXPECT_EQ(allocator.requests(), 4u);
  allocator.free(small);
  allocator.free(large);
}

TEST(AllocatorFailurePlan, UnfailingNeitherCountsNorRefuses) {
  Allocator allocator;
  allocator.set_failure_plan({Mode::From, 1});
  EXPECT_EQ(allocator.allocate(16), nullptr);
  std::vector<void*> blocks;
  {
    const Allocator::Unfailing unfailing(allocator);
    blocks.push_back(allocator.allocate(16));  // maps the first arena and grows the table too
    {
      const Allocator::Unfailing nested(allocator);
      blocks.push_back(allocator.allocate(5000));
    }
    blocks.push_back(allocator.allocate(32));  // still inside the outer one
    blocks[0] = allocator.reallocate(blocks[0], 300);
  }
  for (void* p : blocks) EXPECT_NE(p, nullptr);
  EXPECT_EQ(allocator.requests(), 1u);
  EXPECT_EQ(allocator.refusals(), 1u);
  EXPECT_EQ(allocator.allocate(16), nullptr) << "the plan applies again once the last Unfailing is gone";
  EXPECT_EQ(allocator.requests(), 2u);
  EXPECT_EQ(allocator.failure_plan().mode, Mode::From);
  allocator.set_failure_plan({});
  {
    const Allocator::Unfailing unfailing(allocator);
    allocator.free(allocator.allocate(16));
  }
  EXPECT_EQ(allocator.requests(), 0u) << "nor counted without a plan";
  for (void* p : blocks) allocator.free(p);
}

TEST(AllocatorFailurePlan, ArenaMappingsLiveCountsMmapsLessMunmaps) {
  const Geometry g = Geometry::classic();
  Allocator allocator({g, false});
  EXPECT_EQ(allocator.stats().arena_mappings_live, 0u);
  std::vector<void*> blocks;
  while (allocator.stats().arenas_mapped < 3) blocks.push_back(allocator.allocate(g.max_small));
  EXPECT_EQ(allocator.stats().arena_mappings_live, 3u);
  for (void* p : blocks) allocator.free(p);
  allocator.trim();
  allocator.trim();  // the reserve stays
  EXPECT_EQ(allocator.stats().arenas_mapped, 1u);
  EXPECT_EQ(allocator.stats().arena_mappings_live, 1u);
  allocator.release_free_arenas();
  EXPECT_EQ(allocator.stats().arena_mappings_live, 0u);
  EXPECT_EQ(allocator.stats().arenas_released_total, 3u);
  allocator.check_invariants();
}

}  // namespace
}  // namespace gcheap
