// Internal to program/: a value read once from each row of operations.def.
#pragma once

#include <array>
#include <cstddef>

#include "gcverify/program.h"

namespace gcv {

// read(kOperations[code]) for `code`, computed for every row on first use.
template <auto read>
const auto& per_operation(OpCode code) {
  using Value = decltype(read(kOperations[0]));
  static const auto all = [] {
    std::array<Value, kOpCodeCount> values;
    for (std::size_t c = 0; c < kOpCodeCount; ++c) values[c] = read(kOperations[c]);
    return values;
  }();
  return all[static_cast<std::size_t>(code)];
}

}  // namespace gcv
