// The allocator's public API: routing between the pools and the large path,
// reallocation, debug fill, statistics, setup and teardown.
//
// A request of 1..max_small bytes is served by a pool; 0 and larger requests
// by malloc. free() and friends tell the two apart with owns(), which is O(1)
// and exact, so no per-block tag is needed on pool blocks. Large blocks carry
// a LargeHeader: their requested size (for usable_size and stats) and links
// of a list of all live large blocks (so the destructor frees them).
//
// reallocate() keeps a pool block whose size class still fits the request, and
// lets realloc resize a large block that stays large; any other change of
// size class moves the contents to a new block.
//
// Requests (FailurePlan) are counted, and refused when the plan says so, on
// entry to allocate and reallocate and before the arena's mmap and the arena
// table's realloc, before anything changes: a refused request returns what
// the system's refusal would. Without a plan or an Unfailing that costs one
// branch on a flag (plain_requests) and an increment; the plan itself is read
// only on the slow path.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "allocator_internal.h"

namespace gcheap {

namespace {

using pymalloc::LargeHeader;

constexpr unsigned char fresh_byte = 0xCD;  // CPython's PYMEM_CLEANBYTE
constexpr unsigned char freed_byte = 0xDD;  // CPython's PYMEM_DEADBYTE
constexpr std::size_t max_large = std::numeric_limits<std::size_t>::max() - sizeof(LargeHeader);

std::size_t round_up(std::size_t n, std::size_t alignment) { return (n + alignment - 1) & ~(alignment - 1); }

constexpr std::size_t cache_line = 64;

// The array of an arena's pool headers, in whole cache lines.
std::size_t arena_header_size(const Geometry& g) {
  return round_up(g.pools_per_arena() * sizeof(pymalloc::PoolHeader), cache_line);
}

// Powers of two where the design relies on masks, blocks that can hold a
// free-list link and are aligned no more than malloc aligns, arenas that mmap
// can align and the ownership map can key, and a first pool that holds the
// arena's pool headers and still fits the largest block.
const Geometry& validated(const Geometry& g) {
  const auto page_size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  // coverage: geometry
  const bool valid =
      std::has_single_bit(g.alignment) && g.alignment >= sizeof(pymalloc::FreeBlock) &&
      g.alignment <= alignof(std::max_align_t) && g.max_small >= g.alignment &&
      g.max_small % g.alignment == 0 && std::has_single_bit(g.pool_size) &&
      g.pool_size <= (std::size_t{1} << 31) && std::has_single_bit(g.arena_size) &&
      g.arena_size >= g.pool_size && g.arena_size >= page_size &&
      static_cast<unsigned>(std::countr_zero(g.arena_size)) < pymalloc::ArenaMap::address_bits &&
      arena_header_size(g) <= g.pool_size && g.max_small <= g.pool_size - arena_header_size(g);
  if (!valid) throw std::invalid_argument("gcheap::Allocator: invalid geometry");  // coverage: geometry
  return g;
}

bool is_small_request(std::size_t n, const Geometry& g) { return n != 0 && n <= g.max_small; }

LargeHeader* header_of(const void* p) {
  return static_cast<LargeHeader*>(const_cast<void*>(p)) - 1;
}

// splitmix64's output function: FailurePlan::Mode::Random refuses request i
// when mix(seed + i * golden) % one_in == 0, the i-th output of splitmix64
// seeded with seed, so any request's fate is computed without state.
constexpr std::uint64_t splitmix64_golden = 0x9E3779B97F4A7C15;
std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

}  // namespace

// --- State: setup, teardown and the large path --------------------------------

Allocator::State::State(const Geometry& geometry, bool fill)
    : arena_size(geometry.arena_size),
      pool_size(geometry.pool_size),
      pools_per_arena(geometry.pools_per_arena()),
      pool_shift(static_cast<unsigned>(std::countr_zero(geometry.pool_size))),
      arena_header_size(gcheap::arena_header_size(geometry)),
      max_small(geometry.max_small),
      size_class_shift(static_cast<unsigned>(std::countr_zero(geometry.alignment))),
      debug_fill(fill),
      arena_map(geometry.arena_size),
      usedpools(std::make_unique<PoolHeader*[]>(geometry.size_class_count())),
      nfp2lasta(std::make_unique<ArenaObject*[]>(pools_per_arena + 1)) {}

Allocator::State::~State() {
  free_all_large();
  unmap_all_arenas();
}

void Allocator::State::link_large(LargeHeader* header) {
  header->prev = nullptr;
  header->next = large_blocks;
  if (large_blocks != nullptr) large_blocks->prev = header;
  large_blocks = header;
  ++counters.large_blocks_live;
  counters.large_bytes_live += header->size;
}

void Allocator::State::unlink_large(LargeHeader* header) {
  if (header->prev != nullptr) {
    header->prev->next = header->next;
  } else {
    large_blocks = header->next;
  }
  if (header->next != nullptr) header->next->prev = header->prev;
  --counters.large_blocks_live;
  counters.large_bytes_live -= header->size;
}

void* Allocator::State::allocate_large(std::size_t n) {
  if (n > max_large) return nullptr;  // coverage: oom
  auto* header = static_cast<LargeHeader*>(std::malloc(sizeof(LargeHeader) + n));
  if (header == nullptr) return nullptr;  // coverage: oom
  header->size = n;
  link_large(header);
  return header + 1;
}

void Allocator::State::free_large(void* p) {
  LargeHeader* header = header_of(p);
  unlink_large(header);
  std::free(header);
}

// realloc may move the block, so it is off the list while realloc runs.
// Growing is a request; shrinking is not (realloc keeps the block, or gives
// memory back).
void* Allocator::State::reallocate_large(void* p, std::size_t n) {
  LargeHeader* header = header_of(p);
  const std::size_t old_size = header->size;
  if (n > old_size && !grant_request()) return nullptr;
  if (n > max_large) return nullptr;  // coverage: oom
  unlink_large(header);
  auto* resized = static_cast<LargeHeader*>(std::realloc(header, sizeof(LargeHeader) + n));
  if (resized == nullptr) {  // coverage: oom
    link_large(header);
    return nullptr;
  }
  resized->size = n;
  link_large(resized);
  if (debug_fill && n > old_size) std::memset(reinterpret_cast<std::byte*>(resized + 1) + old_size, fresh_byte, n - old_size);
  return resized + 1;
}

void Allocator::State::free_all_large() {
  while (large_blocks != nullptr) free_large(large_blocks + 1);
}

// grant_request's slow path: under an Unfailing nothing is counted; otherwise
// the request is numbered and the plan consulted (a plan of Mode::Never never
// gets here without an Unfailing).
bool Allocator::State::grant_watched_request() {
  if (unfailing > 0) return true;
  const std::uint64_t request = ++requests;
  const FailurePlan& plan = failure_plan;
  const bool refused =
      (plan.mode == FailurePlan::Mode::Once && request == plan.k) ||
      (plan.mode == FailurePlan::Mode::From && request >= plan.k) ||
      (plan.mode == FailurePlan::Mode::Random && plan.one_in != 0 &&
       splitmix64_mix(plan.seed + request * splitmix64_golden) % plan.one_in == 0);
  if (refused) ++refusals;
  return !refused;
}

bool Allocator::State::grant_system_request() {
  const bool granted = grant_request();
  if (unfailing == 0) system_requests.push_back(requests);
  return granted;
}

void Allocator::State::update_plain_requests() {
  plain_requests = failure_plan.mode == FailurePlan::Mode::Never && unfailing == 0;
}

// --- the public API ---------------------------------------------------------

Allocator::Allocator() : Allocator(Options{}) {}  // coverage: not-in-language

Allocator::Allocator(const Options& options)
    : geometry_(validated(options.geometry)), state_(new State(geometry_, options.debug_fill)) {}

Allocator::~Allocator() { delete state_; }

void* Allocator::allocate(std::size_t n) {
  if (!state_->grant_request()) return nullptr;
  void* p = is_small_request(n, geometry_) ? state_->allocate_block(n) : state_->allocate_large(n);
  if (p != nullptr && state_->debug_fill) std::memset(p, fresh_byte, usable_size(p));
  return p;
}

void Allocator::free(void* p) {
  if (p == nullptr) return;
  if (state_->debug_fill) std::memset(p, freed_byte, usable_size(p));
  if (state_->owns(p)) {
    state_->free_block(p);
  } else {
    state_->free_large(p);
  }
}

void* Allocator::reallocate(void* p, std::size_t n) {
  if (p == nullptr) return allocate(n);  // coverage: not-in-language
  const bool small_request = is_small_request(n, geometry_);
  if (state_->owns(p)) {
    const std::size_t size_class = state_->pool_of(p)->size_class;
    if (small_request && GCHEAP_SEEDED(reallocate_keeps_outgrown_block, size_class == geometry_.size_class(n),
                                                size_class + 1 >= geometry_.size_class(n)))
      return p;
  } else if (!small_request) {
    return state_->reallocate_large(p, n);
  }
  void* moved = allocate(n);  // the request of a move
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, p, std::min(usable_size(p), n));
  free(p);
  return moved;
}

bool Allocator::owns(const void* p) const { return state_->owns(p); }

std::size_t Allocator::usable_size(const void* p) const {
  if (p == nullptr) return 0;  // coverage: not-in-language
  if (state_->owns(p)) return state_->pool_of(p)->block_size;
  return header_of(p)->size;
}

void Allocator::trim() { state_->trim(); }
void Allocator::release_free_arenas() { state_->release_free_arenas(); }
bool Allocator::reset() { return state_->reset(); }

// Every carved pool of every mapped arena: a pool on its arena's freepools
// has ref 0.
void Allocator::State::count_small_blocks(AllocatorStats& stats) const {
  stats.small_blocks_live = stats.small_bytes_live = 0;
  for (std::uint32_t i = 0; i < arenas_capacity; ++i) {
    const ArenaObject& ao = arenas[i];
    if (ao.address == 0) continue;
    const auto* headers = reinterpret_cast<const PoolHeader*>(ao.address);
    const std::size_t carved = static_cast<std::size_t>(ao.pool_frontier - reinterpret_cast<std::byte*>(ao.address)) >> pool_shift;
    for (std::size_t p = 0; p < carved; ++p) {
      stats.small_blocks_live += headers[p].ref;
      stats.small_bytes_live += std::size_t{headers[p].ref} * headers[p].block_size;
    }
  }
}

AllocatorStats Allocator::stats() const {
  AllocatorStats stats = state_->counters;
  state_->count_small_blocks(stats);
  stats.bytes_mapped = stats.arenas_mapped * geometry_.arena_size;
  return stats;
}

void Allocator::set_failure_plan(const FailurePlan& plan) {
  state_->failure_plan = plan;
  state_->requests = state_->refusals = 0;
  state_->system_requests.clear();
  state_->update_plain_requests();
}

const FailurePlan& Allocator::failure_plan() const { return state_->failure_plan; }
std::uint64_t Allocator::requests() const { return state_->requests; }
std::uint64_t Allocator::refusals() const { return state_->refusals; }
const std::vector<std::uint64_t>& Allocator::system_requests() const { return state_->system_requests; }

Allocator::Unfailing::Unfailing(Allocator& allocator) : allocator_(allocator) {
  ++allocator_.state_->unfailing;
  allocator_.state_->update_plain_requests();
}

Allocator::Unfailing::~Unfailing() {
  --allocator_.state_->unfailing;
  allocator_.state_->update_plain_requests();
}

}  // namespace gcheap
