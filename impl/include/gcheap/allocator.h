// gcheap's small-object allocator, built the way CPython's pymalloc is.
//
// Requests of 1..max_small bytes are rounded up to a size class (alignment-
// byte steps) and served from pools: fixed-size pieces of an arena, each pool
// serving one size class. A pool hands out blocks from its free list first and
// then from its never-used frontier. Arenas are mmap'd, aligned to their size,
// and split into pools; the pools' headers are packed in one array at the
// start of the arena (so they stay in cache), and the first pool's blocks
// follow that array.
//
// Packing: arenas with free pools are kept on a list sorted by their number of
// free pools, fullest first, so allocation packs into busy arenas and idle
// arenas drain and can be given back. The order is kept in O(1) per change with
// a "last arena with n free pools" finger per count (CPython bpo-37029).
//
// Returning memory: an arena whose pools are all free stays mapped, at the end
// of that list, until trim() finds it has been free for a whole trim period
// (it was already free at the previous trim()); trim() then unmaps it, keeping
// one wholly free arena in reserve (bpo-37257). Between trims the allocator
// therefore never maps more than its peak, and a program that frees and
// rebuilds a large structure reuses its arenas instead of unmapping them and
// page-faulting them back in (CPython unmaps at once and pays that on every
// rebuild). The heap calls trim() after every full collection;
// release_free_arenas() unmaps every wholly free arena at once.
//
// Ownership: owns(p) answers "did this allocator hand out p from a pool?" in
// O(1) for any pointer, including pointers into memory this allocator never
// mapped, with one bit per possible arena address (CPython 3.10+ keys a radix
// tree the same way).
//
// Requests of 0 bytes and of more than max_small bytes go to the system
// allocator (malloc) and are counted separately.
//
// Sanitizers: under AddressSanitizer, free blocks and the unused frontier of
// every pool are poisoned, so a use-after-free inside a pool is reported.
// With Options::debug_fill, fresh blocks are filled with 0xCD and freed ones
// with 0xDD, as CPython's debug hooks do.
//
// Refusing memory on purpose (FailurePlan): every point where the allocator
// could be refused memory is a request, numbered from 1; a plan chooses which
// requests are refused, and a refused one fails exactly as if the system had
// refused it. The embedder's error paths (the heap's MemoryError) are then
// tested the way CPython's _testcapi.set_nomemory and Lua's memerr.lua test
// theirs: refuse the k-th request, for every k a scenario makes.
//
// An Allocator is not thread-safe; each instance is independent (no globals).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define GCHEAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCHEAP_ASAN 1
#endif
#endif

namespace gcheap {

// True in AddressSanitizer builds, where free blocks and the unused frontier
// of every pool are poisoned, so that a use-after-free inside a pool is
// reported. (It describes the build that includes this header; gcheap and its
// embedder are built with the same sanitizer flags.)
#ifdef GCHEAP_ASAN
inline constexpr bool kPoisonsFreeBlocks = true;
#else
inline constexpr bool kPoisonsFreeBlocks = false;
#endif

// Sizes of arenas, pools and size classes.
struct Geometry {
  std::size_t arena_size;  // bytes, a power of two
  std::size_t pool_size;   // bytes, a power of two dividing arena_size
  std::size_t max_small;   // largest request served from pools
  std::size_t alignment;   // size-class step and block alignment

  // CPython 3.10+ on 64-bit: 1 MiB arenas, 16 KiB pools, 16-byte steps to 512.
  static constexpr Geometry modern() { return {1u << 20, 16u << 10, 512, 16}; }
  // The classic geometry of the source documents: 256 KiB arenas, 4 KiB pools,
  // 8-byte steps to 256.
  static constexpr Geometry classic() { return {256u << 10, 4u << 10, 256, 8}; }

  std::size_t size_class_count() const { return max_small / alignment; }
  // Size class of a request of n bytes (1 <= n <= max_small).
  std::size_t size_class(std::size_t n) const { return (n - 1) / alignment; }
  // Block size of size class c.
  std::size_t block_size(std::size_t c) const { return (c + 1) * alignment; }
  std::size_t pools_per_arena() const { return arena_size / pool_size; }
};

struct AllocatorStats {
  std::size_t small_blocks_live = 0;   // pool blocks handed out and not freed
  std::size_t large_blocks_live = 0;   // system-allocator blocks live
  std::size_t small_bytes_live = 0;    // sum of live pool block sizes
  std::size_t large_bytes_live = 0;    // sum of requested sizes of live large blocks
  std::size_t arenas_mapped = 0;       // arenas currently mmap'd (including free ones)
  std::size_t arenas_free = 0;         // mapped arenas whose pools are all free
  std::size_t pools_in_use = 0;        // pools serving a size class
  std::size_t arenas_allocated_total = 0;  // mmap calls for arenas over the lifetime (that the table kept)
  std::size_t arenas_released_total = 0;   // munmap calls for arenas over the lifetime
  std::size_t bytes_mapped = 0;        // arenas_mapped * arena_size
  // Arena mmaps minus arena munmaps, counted where the system is called,
  // apart from the arena table: a mapping the table lost (a leaked arena)
  // shows as arena_mappings_live != arenas_mapped.
  std::size_t arena_mappings_live = 0;
};

// Refusing memory on purpose, to test error paths (CPython's
// _testcapi.set_nomemory, Lua's memerr.lua).
//
// A request is every point where memory can be refused, counted once each,
// in the order they occur:
//   - every call of Allocator::allocate (small or large);
//   - every call of Allocator::reallocate that cannot keep the block where it
//     is: a pool block moving to another size class or to the large path, a
//     large block moving to a pool, a large block growing (a reallocate that
//     keeps a pool block, or shrinks a large one, is not a request);
//   - the allocator's own requests of the system beyond those: mapping an
//     arena, and growing its table of arenas (an allocate that needs a new
//     arena is then two or three requests: the allocate, the mapping, the
//     growth). A large block's malloc or realloc is the request of the call
//     that needs it, not another.
// A refused request fails as the system's refusal would: allocate and
// reallocate return nullptr (reallocate leaving p valid and unchanged), and a
// refused mapping or table growth leaves nothing mapped and the table as it
// was, so the allocate that needed it returns nullptr. While an
// Allocator::Unfailing exists, requests are neither counted nor refused.
struct FailurePlan {
  enum class Mode : std::uint8_t { Never, Once, From, Random };
  Mode mode = Mode::Never;
  std::uint64_t k = 0;       // Once: the request (1-based) that is refused; From: the first refused, and every one after
  std::uint64_t seed = 0;    // Random
  // Random: request i (1-based) is refused iff mix(seed + i *
  // 0x9E3779B97F4A7C15) % one_in == 0, where mix is splitmix64's output
  // function (z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) *
  // 0x94D049BB133111EB; z ^ z >> 31): the i-th output of splitmix64 seeded
  // with `seed`. Stateless, so a run is reproduced from (seed, one_in) alone.
  // 0 never refuses, 1 always does.
  std::uint32_t one_in = 0;
};

class Allocator {
 public:
  struct Options {
    Geometry geometry = Geometry::modern();
    bool debug_fill = false;  // 0xCD on allocation, 0xDD on free
  };

  Allocator();
  // Throws std::invalid_argument for an impossible geometry (sizes not powers
  // of two, pools not dividing arenas, alignment outside 8..alignof(max_align_t),
  // a largest block that does not fit in the first pool beside the arena's
  // pool headers).
  explicit Allocator(const Options& options);
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;
  // Unmaps every arena and frees every large block still live.
  ~Allocator();

  // Returns at least n bytes aligned to geometry().alignment, or nullptr when
  // the system is out of memory or the failure plan refuses the request. n == 0
  // returns a unique non-null pointer.
  void* allocate(std::size_t n);
  // Frees p (nullptr is ignored). p must come from this allocator.
  void free(void* p);
  // Resizes p keeping min(old, n) bytes; behaves as allocate for nullptr.
  // Returns nullptr, p still valid and unchanged, when out of memory or
  // refused (a move or a growth is a request: FailurePlan).
  void* reallocate(void* p, std::size_t n);

  // True iff p points into a block region of an arena this allocator has
  // mapped now. O(1); safe for any pointer value.
  bool owns(const void* p) const;
  // Usable size of a block p from this allocator.
  std::size_t usable_size(const void* p) const;

  // Unmaps every wholly free arena that was already wholly free at the
  // previous trim(), but keeps one wholly free arena mapped as the reserve.
  void trim();
  // Checks the pools' and arenas' invariants (each used pool on its size
  // class's list, not full, its blocks in use, free and never used adding up
  // to its capacity; each arena's free-pool count; the usable arenas' order
  // and nfp2lasta; every arena mapping in the table), and aborts naming the
  // first that is broken. Walks every pool: for tests and fuzz targets. Does
  // nothing unless gcheap is built with GCHEAP_CHECKS (the build option
  // GCHEAP_INVARIANT_CHECKS).
  void check_invariants() const;
  // Unmaps every wholly free arena now, so a torn-down heap maps nothing.
  void release_free_arenas();
  // With no block live: unmaps every arena but one and returns that one to
  // the state it was mapped in (no pool carved, its memory zero, unpoisoned),
  // so that what is allocated next lands exactly where it would in a new
  // Allocator, without a system call: a fuzz target's next input then depends
  // on nothing an earlier one did. False (and nothing done) while a block is
  // live.
  bool reset();

  const Geometry& geometry() const { return geometry_; }
  AllocatorStats stats() const;

  // --- refusing memory on purpose (FailurePlan) ---------------------------
  // Arms `plan` and restarts the count of requests from zero.
  void set_failure_plan(const FailurePlan& plan);
  const FailurePlan& failure_plan() const;
  std::uint64_t requests() const;  // requests counted since the plan was set (or since construction)
  std::uint64_t refusals() const;  // of which refused
  // The numbers of those requests that asked the system for an arena or a
  // larger arena table, in order: rare, so a sweep that samples the requests
  // includes them (their error paths are what a sample would miss).
  const std::vector<std::uint64_t>& system_requests() const;

  // While one exists, requests are neither counted nor refused: memory the
  // heap must have to finish what it started (destroying objects, completing
  // a collection), which cannot be undone halfway. Nestable.
  class Unfailing {
   public:
    explicit Unfailing(Allocator& allocator);
    ~Unfailing();
    Unfailing(const Unfailing&) = delete;
    Unfailing& operator=(const Unfailing&) = delete;

   private:
    Allocator& allocator_;
  };

 private:
  struct State;  // arenas, pools, ownership map: impl/src/allocator_internal.h
  Geometry geometry_;
  State* state_;
};

}  // namespace gcheap
