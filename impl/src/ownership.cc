// Ownership: the bitmap that answers "is this address inside an arena the
// allocator has mapped now?" in O(1) for any pointer value: one shift, one
// load, one bit test on free()'s path.
//
// Arenas are aligned to their size, so an arena is identified by its number,
// address >> arena_bits, and a mapped arena is one bit. The bitmap covers the
// whole 48-bit user address space: 2^(48 - arena_bits) bits, 32 MiB of
// address space for 1 MiB arenas (128 MiB for 256 KiB ones). It is reserved
// with MAP_NORESERVE and never written except where arenas land, so it costs
// one page of memory per 32 GiB (or 8 GiB) of address range that arenas use;
// a lookup elsewhere reads the kernel's shared zero page. (CPython 3.10+ uses
// a radix tree over the same bits to avoid the reservation; mimalloc keeps a
// flat segment map like this one.)
#include <sys/mman.h>

#include <bit>
#include <new>

#include "allocator_internal.h"

namespace gcheap::pymalloc {

ArenaMap::ArenaMap(std::size_t arena_size) : arena_bits_(std::countr_zero(arena_size)) {
  void* bits = mmap(nullptr, bitmap_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bits == MAP_FAILED) throw std::bad_alloc();  // coverage: oom
  bits_ = static_cast<std::uint64_t*>(bits);
}

ArenaMap::~ArenaMap() { munmap(bits_, bitmap_bytes()); }

std::size_t ArenaMap::bitmap_bytes() const { return (std::size_t{1} << (address_bits - arena_bits_)) / 8; }

bool ArenaMap::insert(std::uintptr_t base) {
  if ((base >> address_bits) != 0) return false;  // coverage: defensive
  const std::uintptr_t bit = base >> arena_bits_;
  bits_[bit / word_bits] |= std::uint64_t{1} << (bit % word_bits);
  return true;
}

void ArenaMap::erase(std::uintptr_t base) {
  const std::uintptr_t bit = base >> arena_bits_;
  bits_[bit / word_bits] &= ~(std::uint64_t{1} << (bit % word_bits));
}

}  // namespace gcheap::pymalloc
