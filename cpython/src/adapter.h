// What an adapter module (one per CPython version, cpython_machine.cc built
// against that version) gives the loader (loader.cc): one exported C symbol,
// gcv_cpython_adapter, returning this table. Module and loader come from one
// build, so C++ types cross between them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "gcverify/machine.h"

namespace gcv {

struct CPythonAdapter {
  const char* version;  // "3.12": PY_MAJOR_VERSION.PY_MINOR_VERSION of the headers built against
  std::unique_ptr<Machine> (*make_machine)();
  int (*list_free_list)();
  std::array<std::int64_t, 2> (*long_lived)();
  bool (*run)(const char* source, std::string* error);
};

}  // namespace gcv

extern "C" const gcv::CPythonAdapter* gcv_cpython_adapter();
