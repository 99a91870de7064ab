// The minimizer's internals: the Reducer (the current smallest failing
// program, the oracle that tests candidates against the failure's signature,
// the budget) and the reduction passes that propose candidates.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gcverify/minimize.h"

namespace gcv::minimize_internal {

// What "smaller" means, compared in this order: operations; objects made by
// shape macros beyond one each; references they make; body operations; how
// plain the operations are (kind_rank: `del a` before `a = str`, a list
// before a chain of one, a chain before a cycle); how far from the canonical
// order they are (order_inversions); how far operands are from their
// simplest values (payload 16, generation 2, 0 for the rest; a threshold
// counts its values). The plainness and order terms are what make one bug's
// reproducers, reduced from different inputs, come out as one program.
struct Cost {
  std::size_t ops = 0;
  std::uint64_t made = 0;
  std::uint64_t edges = 0;
  std::uint64_t body_ops = 0;
  std::uint64_t kinds = 0;
  std::uint64_t inversions = 0;
  std::uint64_t operands = 0;
  auto operator<=>(const Cost&) const = default;
};

// How plain an operation's kind is, 0 the plainest (operations.def's rank).
unsigned kind_rank(OpCode code);
// Where an operation belongs in the canonical order: the collector's
// configuration (thresholds, debug flags, enable and disable), new objects,
// their links and attributes (appends, finalizers, weakrefs), rebinding and
// dropping, collections; by opcode within each. The count of pairs out of
// that order.
std::uint64_t order_inversions(const Program& program);
bool before_in_canonical_order(const Op& first, const Op& second);
Cost cost_of(const Program& program);

class Reducer {
 public:
  Reducer(const Program& failing, const Runner& run, const MinimizeOptions& options);

  // Runs the input; false when it does not fail.
  bool start();
  // True, and `candidate` as it ran becomes current, when it fails with the
  // signature and costs less than current.
  bool try_candidate(const Program& candidate);
  const Program& current() const { return current_; }
  bool out_of_budget();
  void begin_pass(const char* name);
  MinimizeResult finish();

 private:
  Trial run(const Program& program);
  void report_progress();

  const Runner& run_;
  const MinimizeOptions& options_;
  Program current_;
  Trial current_trial_;
  Cost current_cost_;
  std::size_t original_ops_ = 0;
  std::size_t tests_ = 0;
  bool budget_exhausted_ = false;
  const char* pass_ = "";
  std::chrono::steady_clock::time_point started_;
};

// The passes (passes.cc); each returns whether it made current smaller.
bool delete_ranges(Reducer& reducer);
bool delete_objects(Reducer& reducer);
bool merge_names(Reducer& reducer);
bool drop_edges(Reducer& reducer);
bool fold_shapes(Reducer& reducer);
bool simplify_ops(Reducer& reducer);
bool reorder_ops(Reducer& reducer);
bool shrink_operands(Reducer& reducer);
// Not a test: spells the names a, b, c... in their order (the reducer's
// programs number names by first use), which changes no behaviour.
Program renumber_names(const Program& program);

}  // namespace gcv::minimize_internal
