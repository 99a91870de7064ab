// The minimizer's driver: the Reducer, and the loop that runs the passes
// until a whole round of them changes nothing. See gcverify/minimize.h.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

#include "gcverify/model.h"
#include "gcverify/text.h"
#include "minimize_internal.h"

namespace gcv {
namespace minimize_internal {
namespace {

std::uint64_t distance(std::int64_t value, std::int64_t simplest) {
  return static_cast<std::uint64_t>(std::llabs(value - simplest));
}

// Each number's distance from its field's simplest value; an expected
// result and each threshold given count one more.
void operand_cost(const Op& op, Cost& cost) {
  for (Field field : operation_info(op.code).fields) {
    const std::int64_t simplest = field_info(field).simplest;
    if (field == Field::Result || field == Field::Thresholds) cost.operands += number_count(op, field);
    if (simplest == kNotShrunk) continue;
    for (std::size_t k = 0; k < number_count(op, field); ++k) cost.operands += distance(number(op, field, k), simplest);
  }
}

}  // namespace

Cost cost_of(const Program& program) {
  Cost cost;
  cost.ops = program.ops.size();
  for (const Op& op : program.ops) {
    if (op.code == OpCode::Cycle || op.code == OpCode::Chain || op.code == OpCode::Clique) {
      cost.made += op.count - 1;
      cost.edges += op.code == OpCode::Chain   ? op.count - 1
                    : op.code == OpCode::Cycle ? op.count
                                               : std::uint64_t{op.count} * (op.count - 1);
    }
    operand_cost(op, cost);
    cost.kinds += kind_rank(op.code);
    cost.body_ops += op.body.size();
    for (const Op& inner : op.body) {
      cost.kinds += kind_rank(inner.code);
      operand_cost(inner, cost);
    }
  }
  cost.inversions = order_inversions(program);
  return cost;
}

unsigned kind_rank(OpCode code) { return operation_info(code).rank; }

bool before_in_canonical_order(const Op& first, const Op& second) {
  // The phases are operations.def's: configuration, new objects, links,
  // rebinding and dropping, collections and the rest.
  return std::pair(operation_info(first.code).phase, first.code) < std::pair(operation_info(second.code).phase, second.code);
}

std::uint64_t order_inversions(const Program& program) {
  std::uint64_t inversions = 0;
  for (std::size_t i = 0; i < program.ops.size(); ++i)
    for (std::size_t j = i + 1; j < program.ops.size(); ++j)
      inversions += before_in_canonical_order(program.ops[j], program.ops[i]);
  return inversions;
}

Reducer::Reducer(const Program& failing, const Runner& run, const MinimizeOptions& options)
    : run_(run), options_(options), current_(failing) {}

Trial Reducer::run(const Program& program) {
  ++tests_;
  return run_(program);
}

bool Reducer::start() {
  started_ = std::chrono::steady_clock::now();
  original_ops_ = current_.ops.size();
  Trial trial = run(current_);
  if (trial.outcome() == Outcome::Pass) return false;
  current_ = trial.ran;
  current_trial_ = std::move(trial);
  current_cost_ = cost_of(current_);
  return true;
}

bool Reducer::try_candidate(const Program& candidate) {
  if (out_of_budget() || cost_of(candidate) >= current_cost_) return false;
  Trial trial = run(candidate);
  if (!trial.same_failure(current_trial_)) return false;
  const Cost cost = cost_of(trial.ran);
  if (cost >= current_cost_) return false;
  current_ = trial.ran;
  current_trial_ = std::move(trial);
  current_cost_ = cost;
  report_progress();
  return true;
}

bool Reducer::out_of_budget() {
  if (budget_exhausted_) return true;
  const bool tests_spent = options_.max_tests != 0 && tests_ >= options_.max_tests;
  const bool time_spent =
      options_.max_time.count() > 0 && std::chrono::steady_clock::now() - started_ >= options_.max_time;
  budget_exhausted_ = tests_spent || time_spent;
  return budget_exhausted_;
}

void Reducer::begin_pass(const char* name) {
  pass_ = name;
  report_progress();
}

void Reducer::report_progress() {
  if (!options_.progress) return;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
  options_.progress({pass_, tests_, original_ops_, current_.ops.size(), elapsed.count()});
}

MinimizeResult Reducer::finish() {
  MinimizeResult result;
  result.reproduced = true;
  result.program = renumber_names(current_);
  result.failure = std::move(current_trial_);
  result.failure.ran = result.program;
  result.original_ops = original_ops_;
  result.tests = tests_;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  result.budget_exhausted = budget_exhausted_;
  return result;
}

}  // namespace minimize_internal

std::string program_shape(const Program& program) {
  std::string shape;
  for (const Op& op : program.ops) {
    if (!shape.empty()) shape += "; ";
    const std::string text = format_op(program, op);
    for (std::size_t i = 0; i < text.size();) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      std::size_t end = i;
      if (std::isdigit(c)) {
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        shape += 'N';
      } else if (std::isalpha(c) || c == '_') {
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
        const std::string word = text.substr(i, end - i);
        const bool is_name = std::find(program.names.begin(), program.names.end(), word) != program.names.end();
        shape += is_name ? std::string("_") : word;
      } else {
        end = i + 1;
        shape += static_cast<char>(c);
      }
      i = end;
    }
  }
  return shape;
}

MinimizeResult minimize(const Program& failing, const Runner& run, const MinimizeOptions& options) {
  using namespace minimize_internal;
  Reducer reducer(failing, run, options);
  if (!reducer.start()) {
    MinimizeResult result;
    result.original_ops = failing.ops.size();
    result.tests = 1;
    return result;
  }
  struct Pass {
    const char* name;
    bool (*run)(Reducer&);
  };
  static constexpr Pass kPasses[] = {{"delete_ranges", delete_ranges},
                                     {"delete_objects", delete_objects},
                                     {"merge_names", merge_names},
                                     {"drop_edges", drop_edges},
                                     {"fold_shapes", fold_shapes},
                                     {"simplify_ops", simplify_ops},
                                     {"reorder_ops", reorder_ops},
                                     {"shrink_operands", shrink_operands}};
  for (bool changed = true; changed && !reducer.out_of_budget();) {
    changed = false;
    for (const Pass& pass : kPasses) {
      reducer.begin_pass(pass.name);
      changed |= pass.run(reducer);
    }
  }
  return reducer.finish();
}

MinimizeResult minimize(const Program& failing, const MachineFactory& make_sut, RunOptions run_options,
                        const MinimizeOptions& options) {
  run_options.strict = false;
  return minimize(failing, in_process_runner({make_sut}, run_options), options);
}

}  // namespace gcv
