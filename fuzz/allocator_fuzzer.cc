// The allocator fuzz target: allocate / free / reallocate of 0..4096 bytes in
// either geometry, checked against a shadow of what should be live.
//
// Input: one configuration byte (bit 0: classic geometry, bit 1: debug fill),
// then 5-byte records: operation (mod 5: allocate, free, reallocate, trim,
// statistics), slot (u16, mod 4096), size (u16, mod 4097). 4096 slots are
// enough to spread blocks over several arenas. A trim may unmap arenas while
// blocks are live; the statistics are checked whole against the shadow
// (blocks and bytes live, arenas mapped and released, pools in use) after it
// and on their own operation.
// Every live block is stamped with a pattern unique to its allocation, so an
// overlap, a lost write or a block handed out twice shows up as a damaged
// stamp: a block's stamp is checked whenever it is touched and at the end.
// After every operation the allocator's live-block counts must match the
// shadow; every 16 operations every live block must still be owned (its arena
// not released while in use), its pool's header not, and it must be aligned.
// At the end everything is freed and the allocator must hold no block, after
// two trims at most the reserve arena, and once reset (Allocator::reset) one
// arena as freshly mapped. One allocator per configuration serves every
// input from that state, as a new one would: no arena is mapped per input
// that fits in one, and no input depends on an earlier one.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gcverify/fuzz_target.h"
#include "gcheap/allocator.h"

namespace {

constexpr std::size_t kSlots = 4096;
constexpr std::size_t kRecord = 5;
constexpr std::size_t kMaxRequest = 4096;

struct Block {
  std::uint8_t* at = nullptr;
  std::size_t size = 0;
  std::uint32_t stamp = 0;
};

// A block's stamp: its allocation number in the first four bytes and a byte
// derived from it everywhere else, written with memset and checked with
// memcmp, so the check costs no per-byte comparisons (which libFuzzer would
// trace one by one).
std::uint8_t fill_byte(std::uint32_t stamp) { return static_cast<std::uint8_t>((stamp * 0x9e3779b1u) >> 24 | 1); }

void write_stamp(std::uint8_t* at, std::size_t size, std::uint32_t stamp) {
  std::memcpy(at, &stamp, std::min(size, sizeof stamp));
  if (size > sizeof stamp) std::memset(at + sizeof stamp, fill_byte(stamp), size - sizeof stamp);
}

// True when the first `size` bytes at `at` are as write_stamp left them.
bool stamp_intact(const std::uint8_t* at, std::size_t size, std::uint32_t stamp) {
  static std::uint8_t expected[kMaxRequest];
  write_stamp(expected, size, stamp);
  return std::memcmp(at, expected, size) == 0;
}

// What should be live: a block per slot, and the occupied slots. Kept
// across inputs (an input's teardown empties every slot it used), so that an
// input costs what it does rather than clearing 4096 slots.
struct Shadow {
  std::vector<Block> blocks = std::vector<Block>(kSlots);
  std::vector<std::size_t> live;                                 // occupied slots, in no order
  std::vector<std::size_t> position = std::vector<std::size_t>(kSlots);  // where a slot is in live
};

class AllocatorCheck {
 public:
  AllocatorCheck(std::uint8_t config, Shadow& shadow)
      : allocator_(allocator_for(config)), debug_fill_((config & 2) != 0), blocks_(shadow.blocks),
        live_(shadow.live), position_(shadow.position) {}

  void allocate(std::size_t slot, std::size_t n) {
    release(slot);
    auto* p = static_cast<std::uint8_t*>(allocator_.allocate(n));
    if (p == nullptr) fail("allocate returned nullptr", slot);
    if (debug_fill_ && is_small(n) && !filled_with(p, n, 0xCD)) fail("fresh small block not filled with 0xCD", slot);
    blocks_[slot] = {p, n, ++stamps_};
    add_live(slot);
    check_placement(slot);
    write_stamp(p, n, stamps_);
  }

  void release(std::size_t slot) {
    if (blocks_[slot].at == nullptr) return;
    check_stamp(slot);
    remove_live(slot);
    allocator_.free(blocks_[slot].at);
    blocks_[slot] = {};
  }

  void reallocate(std::size_t slot, std::size_t n) {
    Block& b = blocks_[slot];
    if (b.at == nullptr) return allocate(slot, n);
    check_stamp(slot);
    remove_live(slot);
    auto* p = static_cast<std::uint8_t*>(allocator_.reallocate(b.at, n));
    if (p == nullptr) fail("reallocate returned nullptr", slot);
    if (!stamp_intact(p, std::min(n, b.size), b.stamp)) fail("reallocate lost the block's contents", slot);
    b = {p, n, ++stamps_};
    add_live(slot);
    check_placement(slot);
    write_stamp(p, n, stamps_);
  }

  // The live block counts against the shadow (stats() walks every pool: one
  // call per operation).
  void check_counts() { check_counts(allocator_.stats()); }
  void check_counts(const gcheap::AllocatorStats& s) {
    if (s.small_blocks_live != small_live_ || s.large_blocks_live != live_.size() - small_live_)
      fail("live block counts differ from the shadow", 0);
  }

  // Every statistic against the shadow and against the others.
  void check_statistics() {
    const gcheap::AllocatorStats s = allocator_.stats();
    check_counts(s);
    const gcheap::Geometry& g = allocator_.geometry();
    if (s.small_bytes_live != small_bytes_ || s.large_bytes_live != large_bytes_)
      fail("live byte counts differ from the shadow", 0);
    if (s.bytes_mapped != s.arenas_mapped * g.arena_size) fail("bytes mapped is not arenas mapped times their size", 0);
    if (s.arenas_free > s.arenas_mapped) fail("more arenas free than mapped", 0);
    if (s.arenas_allocated_total - s.arenas_released_total != s.arenas_mapped)
      fail("arenas mapped differs from those allocated less those released", 0);
    if (s.small_bytes_live > s.pools_in_use * g.pool_size) fail("live small blocks do not fit in the pools in use", 0);
    if (s.pools_in_use * g.pool_size > s.bytes_mapped) fail("more pools in use than the arenas mapped hold", 0);
  }

  // Releases what has been free for a whole trim period; live blocks stay
  // where they are (the placement check every 16 operations sees it if not).
  void trim() { allocator_.trim(); }

  // Where every live block is, and the allocator's own invariants (its pools
  // and arenas, in a build with gcheap's checks: they abort).
  void check_placements_and_invariants() {
    for (std::size_t slot : live_) check_placement(slot);
    allocator_.check_invariants();
  }

  void teardown() {
    while (!live_.empty()) release(live_.back());
    const gcheap::AllocatorStats s = allocator_.stats();
    if (s.small_blocks_live != 0 || s.large_blocks_live != 0) fail("blocks live after everything was freed", 0);
    if (s.arenas_mapped != s.arenas_free) fail("an arena counted busy after everything was freed", 0);
    allocator_.trim();
    allocator_.trim();
    if (allocator_.stats().arenas_mapped > 1) fail("more than the reserve arena mapped after two trims", 0);
    if (!allocator_.reset()) fail("reset refused with nothing live", 0);
    const gcheap::AllocatorStats reset = allocator_.stats();
    if (reset.arenas_mapped > 1 || reset.arenas_free != reset.arenas_mapped || reset.pools_in_use != 0)
      fail("reset left more than one free arena", 0);
  }

 private:
  // Bit 0: classic geometry; bit 1: debug fill. Kept across inputs, reset
  // after each (see teardown).
  static gcheap::Allocator& allocator_for(std::uint8_t config) {
    static gcheap::Allocator* allocators[4] = {};
    gcheap::Allocator*& allocator = allocators[config & 3];
    if (allocator == nullptr)
      allocator = new gcheap::Allocator(gcheap::Allocator::Options{
          (config & 1) ? gcheap::Geometry::classic() : gcheap::Geometry::modern(), (config & 2) != 0});
    return *allocator;
  }

  bool is_small(std::size_t n) const { return n >= 1 && n <= allocator_.geometry().max_small; }

  void add_live(std::size_t slot) {
    position_[slot] = live_.size();
    live_.push_back(slot);
    count_bytes(blocks_[slot], true);
  }
  void remove_live(std::size_t slot) {
    count_bytes(blocks_[slot], false);
    const std::size_t last = live_.back();
    live_[position_[slot]] = last;
    position_[last] = position_[slot];
    live_.pop_back();
  }
  // A small block counts its size class's bytes, a large one what was asked.
  // Called while the block is live (usable_size reads its pool).
  void count_bytes(const Block& b, bool live) {
    const bool small = is_small(b.size);
    const std::size_t bytes = small ? allocator_.usable_size(b.at) : b.size;
    std::size_t& total = small ? small_bytes_ : large_bytes_;
    if (live) {
      small_live_ += small;
      total += bytes;
    } else {
      small_live_ -= small;
      total -= bytes;
    }
  }
  static bool filled_with(const std::uint8_t* at, std::size_t n, std::uint8_t byte) {
    return n == 0 || (at[0] == byte && std::memcmp(at, at + 1, n - 1) == 0);
  }

  void check_placement(std::size_t slot) {
    const Block& b = blocks_[slot];
    if (reinterpret_cast<std::uintptr_t>(b.at) % allocator_.geometry().alignment != 0) fail("misaligned block", slot);
    if (allocator_.owns(b.at) != is_small(b.size)) fail("owns() is wrong for a live block", slot);
    // The arena's pool headers, at its start, are not blocks (arenas are aligned to their size).
    const auto arena = reinterpret_cast<std::uintptr_t>(b.at) & ~(allocator_.geometry().arena_size - 1);
    if (is_small(b.size) && allocator_.owns(reinterpret_cast<const void*>(arena))) fail("owns() claims a pool header", slot);
    if (allocator_.usable_size(b.at) < b.size) fail("usable_size below the request", slot);
  }
  void check_stamp(std::size_t slot) {
    const Block& b = blocks_[slot];
    if (!stamp_intact(b.at, b.size, b.stamp)) fail("a live block's contents changed (overlap or reuse)", slot);
  }
  [[noreturn]] void fail(const char* what, std::size_t slot) {
    const Block& b = blocks_[slot];
    std::fprintf(stderr, "allocator_fuzzer: %s (slot %zu: %zu bytes at %p, geometry: %zu-byte arenas)\n", what, slot,
                 b.size, static_cast<void*>(b.at), allocator_.geometry().arena_size);
    std::abort();
  }

  gcheap::Allocator& allocator_;
  bool debug_fill_;
  std::vector<Block>& blocks_;
  std::vector<std::size_t>& live_;
  std::vector<std::size_t>& position_;
  std::size_t small_live_ = 0;
  std::size_t small_bytes_ = 0, large_bytes_ = 0;
  std::uint32_t stamps_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static Shadow shadow;
  AllocatorCheck check(data[0], shadow);
  std::size_t step = 0;
  for (std::size_t at = 1; at + kRecord <= size; at += kRecord, ++step) {
    const std::size_t slot = (data[at + 1] | data[at + 2] << 8) % kSlots;
    const std::size_t n = (data[at + 3] | data[at + 4] << 8) % (kMaxRequest + 1);
    const int op = data[at] % 5;
    switch (op) {
      case 0: check.allocate(slot, n); break;
      case 1: check.release(slot); break;
      case 2: check.reallocate(slot, n); break;
      case 3: check.trim(); break;
      case 4: break;  // statistics, below
    }
    if (op >= 3)
      check.check_statistics();  // after a trim, and on its own operation
    else
      check.check_counts();
    if (step % 16 == 15) check.check_placements_and_invariants();
  }
  check.check_placements_and_invariants();
  check.teardown();  // checks every stamp as it frees
  return 0;
}
