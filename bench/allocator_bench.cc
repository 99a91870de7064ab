// Small-object allocate/free, the four allocators of allocators.h side by
// side in one run (Google Benchmark). Every block's first word is written
// when it is allocated, as a real object's header is. Every workload reports
// nanoseconds per allocate+free pair:
//   lifo       N blocks of one size allocated, then freed last first
//   random     the same, freed in a random order
//   size_mix   LIFO with sizes drawn from 16..512 bytes
//   churn      1e6 live blocks of 16..512 bytes; each step frees a random
//              live block and allocates a new one in its place
// N is 1e4 and 1e6 (the pools' reuse pattern changes once the live set
// outgrows the caches). bench/run.sh turns the results into ratios against
// gcheap.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "allocators.h"

namespace gcv::bench {
namespace {

// Writes the first word of a new block, as an object's header is written
// when it is created: page faults then land in every allocator alike, at
// allocation, instead of wherever an allocator first writes into a block.
inline void* initialized(void* block) {
  *static_cast<std::uintptr_t*>(block) = reinterpret_cast<std::uintptr_t>(block);
  return block;
}

// Sizes 16..512, a multiple of 8 (CPython's objects are 16-byte aligned and
// most requests are word multiples), from a fixed seed.
std::vector<std::size_t> size_mix(std::size_t n) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::size_t> eighths(2, 64);
  std::vector<std::size_t> sizes(n);
  for (std::size_t& s : sizes) s = eighths(rng) * 8;
  return sizes;
}

std::vector<std::size_t> random_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(2));
  return order;
}

// N blocks allocated, then freed in `order` (empty: last first).
template <class Allocator>
void allocate_then_free(benchmark::State& state, const std::vector<std::size_t>& sizes,
                        const std::vector<std::size_t>& order) {
  Allocator allocator;
  const std::size_t n = sizes.size();
  std::vector<void*> blocks(n);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) blocks[i] = initialized(allocator.allocate(sizes[i]));
    if (order.empty()) {
      for (std::size_t i = n; i-- > 0;) allocator.free(blocks[i]);
    } else {
      for (std::size_t i : order) allocator.free(blocks[i]);
    }
    benchmark::DoNotOptimize(blocks.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

template <class Allocator>
void lifo(benchmark::State& state) {
  allocate_then_free<Allocator>(state, std::vector<std::size_t>(state.range(0), 32), {});
}

template <class Allocator>
void random(benchmark::State& state) {
  allocate_then_free<Allocator>(state, std::vector<std::size_t>(state.range(0), 32), random_order(state.range(0)));
}

template <class Allocator>
void size_mix_lifo(benchmark::State& state) {
  allocate_then_free<Allocator>(state, size_mix(state.range(0)), {});
}

template <class Allocator>
void churn(benchmark::State& state) {
  constexpr std::size_t kLive = 1'000'000;
  constexpr std::size_t kSteps = 1 << 20;
  Allocator allocator;
  const std::vector<std::size_t> sizes = size_mix(kLive);
  std::vector<void*> live(kLive);
  for (std::size_t i = 0; i < kLive; ++i) live[i] = initialized(allocator.allocate(sizes[i]));
  std::mt19937_64 rng(3);
  std::vector<std::uint32_t> victims(kSteps);
  for (auto& v : victims) v = static_cast<std::uint32_t>(rng() % kLive);
  for (auto _ : state) {
    for (std::size_t step = 0; step < kSteps; ++step) {
      const std::uint32_t v = victims[step];
      allocator.free(live[v]);
      live[v] = initialized(allocator.allocate(sizes[(v + step) % kLive]));
    }
    benchmark::DoNotOptimize(live.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kSteps));
  for (void* p : live) allocator.free(p);
}

#define GCV_ALLOCATOR_BENCHMARKS(Allocator)                                                  \
  BENCHMARK(lifo<Allocator>)->Name(std::string("lifo/") + Allocator::kName)->Arg(10000)->Arg(1000000); \
  BENCHMARK(random<Allocator>)->Name(std::string("random/") + Allocator::kName)->Arg(10000)->Arg(1000000); \
  BENCHMARK(size_mix_lifo<Allocator>)->Name(std::string("size_mix/") + Allocator::kName)->Arg(10000)->Arg(1000000); \
  BENCHMARK(churn<Allocator>)->Name(std::string("churn_1e6_live/") + Allocator::kName)

GCV_ALLOCATOR_BENCHMARKS(GcheapAllocator);
GCV_ALLOCATOR_BENCHMARKS(GlibcMalloc);
GCV_ALLOCATOR_BENCHMARKS(Mimalloc);
GCV_ALLOCATOR_BENCHMARKS(Pymalloc);

}  // namespace
}  // namespace gcv::bench

BENCHMARK_MAIN();
