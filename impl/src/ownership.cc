// Ownership: the radix tree that answers "is this address inside an arena the
// allocator has mapped now?" in O(1) for any pointer value (CPython 3.10+).
//
// Arenas are aligned to their size, so an arena is identified by its number,
// address >> arena_bits, and a mapped arena is one bit. The arena number's bits
// are split between a top array of leaf pointers and bitmap leaves so that the
// top array and one leaf take about the same memory (a few tens of KiB for both
// geometries). Leaves are allocated when an arena first lands in their range
// and are kept until the allocator goes: an address range the process has used
// for arenas tends to be used again.
#include <bit>
#include <new>

#include "allocator_internal.h"

namespace gcheap::pymalloc {

ArenaMap::ArenaMap(std::size_t arena_size) : arena_bits_(std::countr_zero(arena_size)) {
  const unsigned key_bits = address_bits - arena_bits_;
  // The top array has 2^top_bits pointers (2^(top_bits + 6) bits), a leaf
  // 2^leaf_bits bits: equal when leaf_bits == top_bits + 6.
  const unsigned top_bits = key_bits > 6 ? (key_bits - 6) / 2 : 0;
  leaf_bits_ = key_bits - top_bits;
  top_ = std::make_unique<std::unique_ptr<std::uint64_t[]>[]>(std::size_t{1} << top_bits);
}

bool ArenaMap::insert(std::uintptr_t base) {
  if ((base >> address_bits) != 0) return false;
  std::unique_ptr<std::uint64_t[]>& leaf = top_[top_index(base)];
  if (leaf == nullptr) {
    const std::size_t words = ((std::size_t{1} << leaf_bits_) + word_bits - 1) / word_bits;
    leaf.reset(new (std::nothrow) std::uint64_t[words]());
    if (leaf == nullptr) return false;
  }
  const std::uintptr_t bit = leaf_bit(base);
  leaf[bit / word_bits] |= std::uint64_t{1} << (bit % word_bits);
  return true;
}

void ArenaMap::erase(std::uintptr_t base) {
  std::uint64_t* leaf = top_[top_index(base)].get();
  const std::uintptr_t bit = leaf_bit(base);
  leaf[bit / word_bits] &= ~(std::uint64_t{1} << (bit % word_bits));
}

}  // namespace gcheap::pymalloc
