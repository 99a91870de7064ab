// Properties of gcheap::Allocator, checked by model-based stateful testing.
//
// RapidCheck generates a program of allocator commands: allocate one block or
// a batch (enough, at times, to fill a few arenas), free one block, every k-th
// block or all of them, reallocate a block, trim the free arenas. A
// shadow model keeps, per live slot, the requested size and a stamp; the
// harness runs the program against the allocator, writes each block's stamp
// pattern over all its requested bytes, and after every command and at
// teardown (free everything, then release the free arenas) checks one property:
//
//   Alignment             every block is aligned to geometry().alignment;
//   SizeClasses           1..max_small bytes are served by a pool block of the
//                         request's class (16- or 8-byte steps); blocks sharing
//                         a pool share its class and sit whole blocks apart; 0
//                         and more than max_small bytes take the large path;
//   NoOverlap             live blocks' byte ranges are disjoint and a block's
//                         stamp is intact when it is freed or reallocated;
//   ReallocKeepsContents  reallocate keeps min(old, new) bytes, between any
//                         mix of small and large sizes;
//   ArenasReleased        every mapped arena holds a live block or is counted
//                         free; trim() unmaps every free arena that was free
//                         at the previous trim unless it is the last free one;
//                         release_free_arenas() leaves only busy arenas;
//   StatsMatchShadow      live block and byte counts and pools in use match
//                         the shadow;
//   Ownership             owns() holds for live pool blocks and fails for
//                         pool headers, large blocks, freed large blocks,
//                         the stack and malloc'd memory.
//
// Each property runs for both geometries. Each also runs against an adapter
// over the allocator that breaks exactly that property, and must fail there,
// so that no property can pass vacuously. Those runs are silent and do not
// shrink: only the verdict matters.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gcheap/allocator.h"
#include "gcverify/props.h"  // set_case_budget

namespace {

using gcheap::AllocatorStats;
using gcheap::Geometry;

enum class Property {
  Alignment,
  SizeClasses,
  NoOverlap,
  ReallocKeepsContents,
  ArenasReleased,
  StatsMatchShadow,
  Ownership,
};

bool is_small_request(std::size_t n, const Geometry& g) { return n != 0 && n <= g.max_small; }
std::size_t round_up(std::size_t n, std::size_t step) { return (n + step - 1) / step * step; }
std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// --- the allocator under test, and adapters that break one property each ---

// The interface the properties exercise: gcheap::Allocator as it is, with
// every operation overridable by an adapter.
class Subject {
 public:
  Subject(const Geometry& geometry, bool debug_fill) : allocator_({geometry, debug_fill}) {}
  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;
  virtual ~Subject() = default;

  virtual void* allocate(std::size_t n) { return allocator_.allocate(n); }
  virtual void free(void* p) { allocator_.free(p); }
  virtual void* reallocate(void* p, std::size_t n) { return allocator_.reallocate(p, n); }
  virtual bool owns(const void* p) const { return allocator_.owns(p); }
  virtual std::size_t usable_size(const void* p) const { return allocator_.usable_size(p); }
  virtual void trim() { allocator_.trim(); }
  virtual void release_free_arenas() { allocator_.release_free_arenas(); }
  virtual AllocatorStats stats() const { return allocator_.stats(); }
  const Geometry& geometry() const { return allocator_.geometry(); }

 protected:
  // Reallocation as allocate, copy, free through this interface (so through
  // the adapter's own operations), copying min(usable, n) bytes but the first
  // `skipped`.
  void* move_block(void* p, std::size_t n, std::size_t skipped = 0) {
    const std::size_t kept = std::min(usable_size(p), n);
    void* moved = allocate(n);
    if (moved == nullptr) return nullptr;
    if (kept > skipped)
      std::memmove(static_cast<std::byte*>(moved) + skipped, static_cast<std::byte*>(p) + skipped, kept - skipped);
    free(p);
    return moved;
  }

  bool in_size_class(std::size_t n, std::size_t size_class) const {
    return is_small_request(n, geometry()) && geometry().size_class(n) == size_class;
  }

 private:
  gcheap::Allocator allocator_;
};

// Breaks Alignment: blocks of the third size class start half an alignment
// step into a slightly larger block.
class MisalignsOneClass : public Subject {
 public:
  using Subject::Subject;

  void* allocate(std::size_t n) override {
    if (!in_size_class(n, 2)) return Subject::allocate(n);
    auto* base = static_cast<std::byte*>(Subject::allocate(n + shift()));
    if (base == nullptr) return nullptr;
    shifted_.insert(base + shift());
    return base + shift();
  }
  void free(void* p) override {
    if (shifted_.erase(p) == 0) return Subject::free(p);
    Subject::free(static_cast<std::byte*>(p) - shift());
  }
  void* reallocate(void* p, std::size_t n) override {
    if (!shifted_.contains(p) && !in_size_class(n, 2)) return Subject::reallocate(p, n);
    return move_block(p, n);
  }
  std::size_t usable_size(const void* p) const override {
    if (!shifted_.contains(p)) return Subject::usable_size(p);
    return Subject::usable_size(static_cast<const std::byte*>(p) - shift()) - shift();
  }

 private:
  std::size_t shift() const { return geometry().alignment / 2; }
  std::set<const void*> shifted_;
};

// Breaks SizeClasses with the off-by-one `n < max_small`: a request of exactly
// max_small bytes takes the large path.
class MaxSmallGoesLarge : public Subject {
 public:
  using Subject::Subject;

  void* allocate(std::size_t n) override { return Subject::allocate(routed(n)); }
  void* reallocate(void* p, std::size_t n) override { return Subject::reallocate(p, routed(n)); }

 private:
  std::size_t routed(std::size_t n) const { return n == geometry().max_small ? n + 1 : n; }
};

// Breaks NoOverlap: every request of the second size class gets the same
// block, freed when its last holder frees it.
class SharesOneBlock : public Subject {
 public:
  using Subject::Subject;

  void* allocate(std::size_t n) override {
    if (!in_size_class(n, 1)) return Subject::allocate(n);
    if (holders_ == 0) shared_ = Subject::allocate(n);
    if (shared_ != nullptr) ++holders_;
    return shared_;
  }
  void free(void* p) override {
    if (!is_shared(p)) return Subject::free(p);
    if (--holders_ == 0) Subject::free(p);
  }
  void* reallocate(void* p, std::size_t n) override {
    if (!is_shared(p) && !in_size_class(n, 1)) return Subject::reallocate(p, n);
    return move_block(p, n);
  }

 private:
  bool is_shared(const void* p) const { return holders_ != 0 && p == shared_; }
  void* shared_ = nullptr;
  std::size_t holders_ = 0;
};

// Breaks ReallocKeepsContents: reallocate always moves and loses the first
// byte.
class ReallocLosesFirstByte : public Subject {
 public:
  using Subject::Subject;

  void* reallocate(void* p, std::size_t n) override { return move_block(p, n, /*skipped=*/1); }
};

// Breaks ArenasReleased: free arenas are never given back.
class KeepsFreeArenas : public Subject {
 public:
  using Subject::Subject;

  void trim() override {}
  void release_free_arenas() override {}
};

// Breaks StatsMatchShadow: live 0-byte blocks are left out of
// large_blocks_live.
class MiscountsEmptyBlocks : public Subject {
 public:
  using Subject::Subject;

  void* allocate(std::size_t n) override { return noted(Subject::allocate(n), n); }
  void free(void* p) override {
    empty_.erase(p);
    Subject::free(p);
  }
  void* reallocate(void* p, std::size_t n) override {
    void* moved = Subject::reallocate(p, n);
    if (moved != nullptr) empty_.erase(p);
    return noted(moved, n);
  }
  AllocatorStats stats() const override {
    AllocatorStats stats = Subject::stats();
    stats.large_blocks_live -= empty_.size();
    return stats;
  }

 private:
  void* noted(void* p, std::size_t n) {
    if (p != nullptr && n == 0) empty_.insert(p);
    return p;
  }
  std::set<const void*> empty_;
};

// Breaks Ownership: owns() takes any suitably aligned pointer for a pool
// block.
class OwnsAlignedPointers : public Subject {
 public:
  using Subject::Subject;

  bool owns(const void* p) const override { return p != nullptr && address(p) % geometry().alignment == 0; }
};

// --- the shadow model -------------------------------------------------------

struct Block {
  std::size_t size;     // bytes requested
  std::uint32_t stamp;  // selects the pattern written over those bytes
};

struct Model {
  Geometry geometry;
  std::vector<Block> live;  // by slot, in allocation order
  std::uint32_t next_stamp = 1;

  // The i-th block the next command creates for a request of n bytes.
  Block upcoming(std::size_t n, std::uint32_t i = 0) const { return {n, next_stamp + i}; }
  Block take(std::size_t n) { return {n, next_stamp++}; }
};

// FreeSome frees the slots i with i % stride == phase; this drops them from a
// model's or a harness's slot list alike.
template <typename T>
void erase_every(std::vector<T>& slots, std::size_t stride, std::size_t phase) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (i % stride != phase) slots[kept++] = slots[i];
  }
  slots.resize(kept);
}

// A stamp's pattern, a word at a time; words vary with the stamp and with
// their position in the block.
std::uint64_t pattern_word(std::uint32_t stamp, std::size_t word) {
  return (std::uint64_t{stamp} + 1) * 0xD6E8FEB86659FD93u + word * 0x9E3779B97F4A7C15u;
}

void write_stamp(void* p, std::size_t n, std::uint32_t stamp) {
  auto* bytes = static_cast<unsigned char*>(p);
  constexpr std::size_t word_size = sizeof(std::uint64_t);
  for (std::size_t word = 0; word < n / word_size; ++word) {
    const std::uint64_t pattern = pattern_word(stamp, word);
    std::memcpy(bytes + word * word_size, &pattern, word_size);
  }
  const std::uint64_t tail = pattern_word(stamp, n / word_size);
  std::memcpy(bytes + n / word_size * word_size, &tail, n % word_size);
}

// Offset of the first of n bytes that differs from the stamp's pattern; n if
// none does.
std::size_t first_changed_byte(const void* p, std::size_t n, std::uint32_t stamp) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  constexpr std::size_t word_size = sizeof(std::uint64_t);
  std::size_t at = 0;
  for (; at + word_size <= n; at += word_size) {
    std::uint64_t actual;
    std::memcpy(&actual, bytes + at, word_size);
    if (actual != pattern_word(stamp, at / word_size)) break;
  }
  // Any difference is in the word at `at` (or the tail).
  unsigned char expected[word_size];
  const std::uint64_t pattern = pattern_word(stamp, at / word_size);
  std::memcpy(expected, &pattern, word_size);
  const std::size_t length = std::min(word_size, n - at);
  return at + static_cast<std::size_t>(std::mismatch(expected, expected + length, bytes + at).first - expected);
}

// --- the harness: the system under test as RapidCheck drives it -------------

// A geometry as documented: its size-class step is stated, not derived.
struct GeometryCase {
  const char* name;
  Geometry geometry;
  std::size_t step;
};

void PrintTo(const GeometryCase& c, std::ostream* os) { *os << c.name; }

// Runs the model's commands on a Subject, keeps the shadow's view of it (live
// slots, address ranges, which pools and arenas hold live blocks, live
// counts) and checks one property against it.
class Harness {
 public:
  Harness(Subject& subject, Property property, std::size_t step)
      : subject_(subject), geometry_(subject.geometry()), property_(property), step_(step) {}

  void allocate(const Block& block) {
    void* p = subject_.allocate(block.size);
    RC_ASSERT(address(p) != 0u);
    adopt(p, block);
    slots_.push_back(p);
  }

  void free(std::size_t slot, const Block& block) {
    release(slots_[slot], block);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(slot));
  }

  void free_every(std::size_t stride, std::size_t phase, const std::vector<Block>& live) {
    for (std::size_t i = phase; i < slots_.size(); i += stride) release(slots_[i], live[i]);
    erase_every(slots_, stride, phase);
  }

  void reallocate(std::size_t slot, const Block& old_block, const Block& block) {
    void* p = slots_[slot];
    disown(p, old_block);
    void* moved = subject_.reallocate(p, block.size);
    RC_ASSERT(address(moved) != 0u);
    const std::size_t kept = std::min(old_block.size, block.size);
    if (checks(Property::ReallocKeepsContents)) RC_ASSERT(first_changed_byte(moved, kept, old_block.stamp) == kept);
    if (checks(Property::Ownership) && moved != p && !is_small_request(old_block.size, geometry_)) {
      RC_ASSERT(!subject_.owns(p));
    }
    adopt(moved, block);
    slots_[slot] = moved;
  }

  // Frees every live block, then gives back the free arenas: none may remain.
  void free_all(const std::vector<Block>& live) {
    if (checks(Property::Ownership)) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        RC_ASSERT(subject_.owns(slots_[i]) == is_small_request(live[i].size, geometry_));
      }
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) release(slots_[i], live[i]);
    slots_.clear();
    release_free_arenas();
    if (checks(Property::ArenasReleased)) RC_ASSERT(subject_.stats().arenas_mapped == 0u);
  }

  // Arenas that were free at the previous trim go, but one free arena stays.
  void trim() {
    subject_.trim();
    std::size_t still_free = 0;
    std::size_t stale = 0;
    for (auto arena = idle_.begin(); arena != idle_.end();) {
      if (!is_mapped(*arena)) {
        arena = idle_.erase(arena);
        continue;
      }
      ++still_free;
      stale += freed_since_trim_.count(*arena) == 0 ? 1 : 0;
      ++arena;
    }
    if (checks(Property::ArenasReleased)) RC_ASSERT(stale == 0u || still_free == 1u);
    freed_since_trim_.clear();
  }

  void release_free_arenas() {
    subject_.release_free_arenas();
    if (checks(Property::ArenasReleased)) RC_ASSERT(subject_.stats().arenas_free == 0u);
  }

  // What must hold between any two commands.
  void check_invariants() const {
    const AllocatorStats stats = subject_.stats();
    if (checks(Property::StatsMatchShadow)) {
      RC_ASSERT(stats.small_blocks_live == shadow_.small_blocks_live);
      RC_ASSERT(stats.large_blocks_live == shadow_.large_blocks_live);
      RC_ASSERT(stats.small_bytes_live == shadow_.small_bytes_live);
      RC_ASSERT(stats.large_bytes_live == shadow_.large_bytes_live);
      RC_ASSERT(stats.pools_in_use == pools_.size());
    }
    if (checks(Property::ArenasReleased)) {
      std::size_t idle_mapped = 0;
      for (std::uintptr_t arena : idle_) idle_mapped += is_mapped(arena) ? 1 : 0;
      RC_ASSERT(stats.arenas_free == idle_mapped);
      RC_ASSERT(stats.arenas_mapped == arenas_.size() + stats.arenas_free);
      RC_ASSERT(stats.arenas_allocated_total - stats.arenas_released_total == stats.arenas_mapped);
      RC_ASSERT(stats.bytes_mapped == stats.arenas_mapped * geometry_.arena_size);
    }
    if (checks(Property::Ownership)) {
      // A pool with a live block stays mapped, so every block address in it
      // stays owned; its arena's pool headers, at the arena's start, are not
      // blocks.
      for (const auto& [pool, use] : pools_) {
        RC_ASSERT(subject_.owns(reinterpret_cast<const void*>(use.anchor)));
        RC_ASSERT(!subject_.owns(reinterpret_cast<const void*>(arena_of(reinterpret_cast<const void*>(use.anchor)))));
      }
      int on_stack = 0;
      RC_ASSERT(!subject_.owns(&on_stack));
      RC_ASSERT(!subject_.owns(foreign_.get()));
      RC_ASSERT(!subject_.owns(nullptr));
    }
  }

 private:
  // A pool holding live blocks: their size class, one block's address
  // (blocks are whole block sizes apart from it) and how many are live.
  struct PoolUse {
    std::size_t size_class;
    std::uintptr_t anchor;
    std::size_t live;
  };

  bool checks(Property property) const { return property == property_; }
  std::uintptr_t pool_of(const void* p) const { return address(p) & ~(geometry_.pool_size - 1); }
  std::uintptr_t arena_of(const void* p) const { return address(p) & ~(geometry_.arena_size - 1); }

  // Checks a block just handed out for block.size bytes, stamps and tracks it.
  void adopt(void* p, const Block& block) {
    const bool small = is_small_request(block.size, geometry_);
    if (checks(Property::Alignment)) RC_ASSERT(address(p) % geometry_.alignment == 0u);
    if (checks(Property::SizeClasses)) check_size_class(p, block.size);
    if (checks(Property::NoOverlap)) RC_ASSERT(!overlaps_live(p, block.size));
    if (checks(Property::Ownership)) RC_ASSERT(subject_.owns(p) == small);
    write_stamp(p, block.size, block.stamp);
    track(p, block.size);
  }

  // Checks a live block about to be handed back and stops tracking it.
  void disown(void* p, const Block& block) {
    if (checks(Property::NoOverlap)) RC_ASSERT(first_changed_byte(p, block.size, block.stamp) == block.size);
    untrack(p, block.size);
  }

  // Frees a live block; a large block's address is nobody's afterwards.
  void release(void* p, const Block& block) {
    disown(p, block);
    subject_.free(p);
    if (checks(Property::Ownership) && !is_small_request(block.size, geometry_)) RC_ASSERT(!subject_.owns(p));
  }

  void check_size_class(const void* p, std::size_t n) const {
    if (!is_small_request(n, geometry_)) {
      RC_ASSERT(!subject_.owns(p));
      RC_ASSERT(subject_.usable_size(p) == n);
      return;
    }
    const std::size_t size_class = geometry_.size_class(n);
    RC_ASSERT(size_class == (n - 1) / step_);
    RC_ASSERT(size_class < geometry_.size_class_count());
    RC_ASSERT(geometry_.block_size(size_class) == round_up(n, step_));
    RC_ASSERT(subject_.owns(p));
    RC_ASSERT(subject_.usable_size(p) == geometry_.block_size(size_class));
    const auto pool = pools_.find(pool_of(p));
    if (pool == pools_.end()) return;
    const PoolUse& use = pool->second;
    RC_ASSERT(use.size_class == size_class);
    const std::uintptr_t distance = std::max(address(p), use.anchor) - std::min(address(p), use.anchor);
    RC_ASSERT(distance % geometry_.block_size(size_class) == 0u);
  }

  // True if n bytes at p (one for a 0-byte block) meet a live block.
  bool overlaps_live(const void* p, std::size_t n) const {
    const std::uintptr_t begin = address(p);
    const std::uintptr_t end = begin + std::max<std::size_t>(n, 1);
    const auto next = ranges_.lower_bound(begin);
    if (next != ranges_.end() && next->first < end) return true;
    return next != ranges_.begin() && std::prev(next)->second > begin;
  }

  void track(const void* p, std::size_t n) {
    ranges_.emplace(address(p), address(p) + std::max<std::size_t>(n, 1));
    if (!is_small_request(n, geometry_)) {
      ++shadow_.large_blocks_live;
      shadow_.large_bytes_live += n;
      return;
    }
    const std::size_t size_class = geometry_.size_class(n);
    ++shadow_.small_blocks_live;
    shadow_.small_bytes_live += geometry_.block_size(size_class);
    ++pools_.try_emplace(pool_of(p), PoolUse{size_class, address(p), 0}).first->second.live;
    if (++arenas_[arena_of(p)] == 1) idle_.erase(arena_of(p));
  }

  void untrack(const void* p, std::size_t n) {
    ranges_.erase(ranges_.find(address(p)));
    if (!is_small_request(n, geometry_)) {
      --shadow_.large_blocks_live;
      shadow_.large_bytes_live -= n;
      return;
    }
    --shadow_.small_blocks_live;
    shadow_.small_bytes_live -= geometry_.block_size(geometry_.size_class(n));
    const auto pool = pools_.find(pool_of(p));
    if (--pool->second.live == 0) pools_.erase(pool);
    const auto arena = arenas_.find(arena_of(p));
    if (--arena->second == 0) {
      idle_.insert(arena->first);
      freed_since_trim_.insert(arena->first);
      arenas_.erase(arena);
    }
  }

  // The first block address of an arena is owned exactly while it is mapped.
  bool is_mapped(std::uintptr_t arena) const {
    return subject_.owns(reinterpret_cast<const void*>(arena + geometry_.pool_size - geometry_.alignment));
  }

  Subject& subject_;
  const Geometry geometry_;
  const Property property_;
  const std::size_t step_;
  std::vector<void*> slots_;                              // parallels Model::live
  std::multimap<std::uintptr_t, std::uintptr_t> ranges_;  // live blocks: begin -> end
  std::map<std::uintptr_t, PoolUse> pools_;               // pools holding live blocks
  std::map<std::uintptr_t, std::size_t> arenas_;          // arenas holding live blocks
  std::set<std::uintptr_t> idle_;                         // arenas that held blocks, now none
  std::set<std::uintptr_t> freed_since_trim_;             // arenas emptied since the last trim
  AllocatorStats shadow_;                                 // live counts only
  // Memory the allocator never saw.
  struct FreeWithLibc {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, FreeWithLibc> foreign_{std::malloc(64)};
};

// --- request sizes ------------------------------------------------------------

// Sizes at the edges of size classes and of the small path.
std::vector<std::size_t> edge_sizes(const Geometry& g, bool small) {
  std::vector<std::size_t> edges;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, g.alignment, g.alignment + 1, std::size_t{256},
                        std::size_t{257}, std::size_t{512}, std::size_t{513}, g.max_small - 1, g.max_small,
                        g.max_small + 1, (std::size_t{128} << 10) + 1}) {
    if (is_small_request(n, g) == small) edges.push_back(n);
  }
  return edges;
}

rc::Gen<std::size_t> small_request(const Geometry& g) {
  return rc::gen::weightedOneOf<std::size_t>(
      {{1, rc::gen::inRange<std::size_t>(1, g.max_small + 1)}, {1, rc::gen::elementOf(edge_sizes(g, true))}});
}

// 0 bytes, just past the small path, up to 16 KiB, and once in a while past
// malloc's default mmap threshold.
rc::Gen<std::size_t> large_request(const Geometry& g) {
  return rc::gen::weightedOneOf<std::size_t>(
      {{1, rc::gen::elementOf(edge_sizes(g, false))}, {2, rc::gen::inRange<std::size_t>(g.max_small + 1, 16 << 10)}});
}

rc::Gen<std::size_t> request(const Geometry& g) {
  return rc::gen::weightedOneOf<std::size_t>({{4, small_request(g)}, {1, large_request(g)}});
}

// Half small and half large, so reallocation crosses between the two paths.
rc::Gen<std::size_t> realloc_request(const Geometry& g) { return rc::gen::oneOf(small_request(g), large_request(g)); }

// Batches favour the upper half of the small sizes, whose pools hold fewest
// blocks, so that a few batches span several arenas.
rc::Gen<std::size_t> batch_request(const Geometry& g) {
  return rc::gen::weightedOneOf<std::size_t>(
      {{3, rc::gen::inRange<std::size_t>(g.max_small / 2 + 1, g.max_small + 1)}, {1, small_request(g)}});
}

// Mostly a few pools' worth; rarely (they dominate the run time) enough
// blocks of the largest class to fill three arenas.
rc::Gen<std::size_t> batch_count(const Geometry& g) {
  const std::size_t three_arenas = 3 * g.pools_per_arena() * (g.pool_size / g.max_small);
  return rc::gen::weightedOneOf<std::size_t>(
      {{31, rc::gen::inRange<std::size_t>(2, 65)}, {1, rc::gen::inRange<std::size_t>(65, three_arenas + 1)}});
}

std::size_t any_slot(const Model& m) {
  RC_PRE(!m.live.empty());
  return *rc::gen::inRange<std::size_t>(0, m.live.size());
}

// --- commands -------------------------------------------------------------------

using Command = rc::state::Command<Model, Harness>;

struct Allocate : Command {
  std::size_t size;

  explicit Allocate(const Model& m) : size(*request(m.geometry)) {}
  void apply(Model& m) const override { m.live.push_back(m.take(size)); }
  void run(const Model& m, Harness& h) const override {
    h.allocate(m.upcoming(size));
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "Allocate(" << size << ")"; }
};

// Block i of the batch requests sizes[i % sizes.size()].
struct AllocateBatch : Command {
  std::size_t count;
  std::vector<std::size_t> sizes;

  explicit AllocateBatch(const Model& m)
      : count(*batch_count(m.geometry)),
        sizes(*rc::gen::container<std::vector<std::size_t>>(*rc::gen::inRange<std::size_t>(1, 5),
                                                            batch_request(m.geometry))) {}
  void apply(Model& m) const override {
    for (std::size_t i = 0; i < count; ++i) m.live.push_back(m.take(sizes[i % sizes.size()]));
  }
  void run(const Model& m, Harness& h) const override {
    for (std::size_t i = 0; i < count; ++i)
      h.allocate(m.upcoming(sizes[i % sizes.size()], static_cast<std::uint32_t>(i)));
    h.check_invariants();
  }
  void show(std::ostream& os) const override {
    os << "AllocateBatch(" << count << " x";
    for (std::size_t n : sizes) os << " " << n;
    os << ")";
  }
};

struct Free : Command {
  std::size_t slot;

  explicit Free(const Model& m) : slot(any_slot(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(slot < m.live.size()); }
  void apply(Model& m) const override { m.live.erase(m.live.begin() + static_cast<std::ptrdiff_t>(slot)); }
  void run(const Model& m, Harness& h) const override {
    h.free(slot, m.live[slot]);
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "Free(slot " << slot << ")"; }
};

// Frees every stride-th block from slot `phase` on, leaving pools and arenas
// partly used.
struct FreeSome : Command {
  std::size_t stride;
  std::size_t phase;

  explicit FreeSome(const Model& m)
      : stride(*rc::gen::inRange<std::size_t>(2, 6)), phase(*rc::gen::inRange<std::size_t>(0, stride)) {
    RC_PRE(!m.live.empty());
  }
  void apply(Model& m) const override { erase_every(m.live, stride, phase); }
  void run(const Model& m, Harness& h) const override {
    h.free_every(stride, phase, m.live);
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "FreeSome(every " << stride << " from slot " << phase << ")"; }
};

struct Reallocate : Command {
  std::size_t slot;
  std::size_t size;

  explicit Reallocate(const Model& m) : slot(any_slot(m)), size(*realloc_request(m.geometry)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(slot < m.live.size()); }
  void apply(Model& m) const override { m.live[slot] = m.take(size); }
  void run(const Model& m, Harness& h) const override {
    h.reallocate(slot, m.live[slot], m.upcoming(size));
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "Reallocate(slot " << slot << ", " << size << ")"; }
};

struct FreeAll : Command {
  explicit FreeAll(const Model& m) { RC_PRE(!m.live.empty()); }
  void apply(Model& m) const override { m.live.clear(); }
  void run(const Model& m, Harness& h) const override {
    h.free_all(m.live);
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "FreeAll"; }
};

struct Trim : Command {
  void run(const Model&, Harness& h) const override {
    h.trim();
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "Trim"; }
};

struct ReleaseFreeArenas : Command {
  void run(const Model&, Harness& h) const override {
    h.release_free_arenas();
    h.check_invariants();
  }
  void show(std::ostream& os) const override { os << "ReleaseFreeArenas"; }
};

// One random program run on a fresh S, checking one property; teardown frees
// what is left. Commands are drawn uniformly from this list, so repetition
// sets their weights.
template <typename S>
void run_program(const GeometryCase& geometry, Property property) {
  const Model initial{geometry.geometry, {}, 1};
  const auto commands =
      *rc::state::gen::commands(
           initial,
           rc::state::gen::execOneOfWithArgs<Allocate, Allocate, Allocate, Allocate, AllocateBatch, Free, Free, Free,
                                             FreeSome, Reallocate, Reallocate, Reallocate, FreeAll, Trim, Trim,
                                             ReleaseFreeArenas>())
           .as("commands");
  S subject(geometry.geometry, *rc::gen::arbitrary<bool>().as("debug_fill"));
  Harness harness(subject, property, geometry.step);
  rc::state::runAll(commands, initial, harness);
  Model last = initial;
  rc::state::applyAll(commands, last);
  harness.free_all(last.live);
  harness.check_invariants();
}

// --- tests ------------------------------------------------------------------------

class AllocatorProps : public testing::TestWithParam<GeometryCase> {
 protected:
  static void SetUpTestSuite() { gcv::props::set_case_budget(); }

  // Fails with RapidCheck's minimal counterexample.
  void expect_holds(Property property) {
    rc::detail::checkGTest([geometry = GetParam(), property] { run_program<Subject>(geometry, property); });
  }

  // The property finds the defect Adapter plants (without shrinking or
  // printing the counterexample).
  template <typename Adapter>
  void expect_fails(Property property) {
    rc::detail::TestParams params = rc::detail::configuration().testParams;
    params.disableShrinking = true;
    const auto result =
        rc::detail::checkTestable([geometry = GetParam(), property] { run_program<Adapter>(geometry, property); },
                                  rc::detail::TestMetadata{}, params);
    EXPECT_TRUE(result.template is<rc::detail::FailureResult>()) << "the property misses a planted defect";
  }
};

TEST_P(AllocatorProps, Alignment) { expect_holds(Property::Alignment); }
TEST_P(AllocatorProps, AlignmentCanFail) { expect_fails<MisalignsOneClass>(Property::Alignment); }

TEST_P(AllocatorProps, SizeClasses) { expect_holds(Property::SizeClasses); }
TEST_P(AllocatorProps, SizeClassesCanFail) { expect_fails<MaxSmallGoesLarge>(Property::SizeClasses); }

TEST_P(AllocatorProps, NoOverlap) { expect_holds(Property::NoOverlap); }
TEST_P(AllocatorProps, NoOverlapCanFail) { expect_fails<SharesOneBlock>(Property::NoOverlap); }

TEST_P(AllocatorProps, ReallocKeepsContents) { expect_holds(Property::ReallocKeepsContents); }
TEST_P(AllocatorProps, ReallocKeepsContentsCanFail) {
  expect_fails<ReallocLosesFirstByte>(Property::ReallocKeepsContents);
}

TEST_P(AllocatorProps, ArenasReleased) { expect_holds(Property::ArenasReleased); }
TEST_P(AllocatorProps, ArenasReleasedCanFail) { expect_fails<KeepsFreeArenas>(Property::ArenasReleased); }

TEST_P(AllocatorProps, StatsMatchShadow) { expect_holds(Property::StatsMatchShadow); }
TEST_P(AllocatorProps, StatsMatchShadowCanFail) { expect_fails<MiscountsEmptyBlocks>(Property::StatsMatchShadow); }

TEST_P(AllocatorProps, Ownership) { expect_holds(Property::Ownership); }
TEST_P(AllocatorProps, OwnershipCanFail) { expect_fails<OwnsAlignedPointers>(Property::Ownership); }

INSTANTIATE_TEST_SUITE_P(Geometries, AllocatorProps,
                         testing::Values(GeometryCase{"modern", Geometry::modern(), 16},
                                         GeometryCase{"classic", Geometry::classic(), 8}),
                         [](const testing::TestParamInfo<GeometryCase>& info) { return std::string(info.param.name); });

}  // namespace
