// The embedded CPython 3.11 interpreter the benchmarks compare against.
#include <Python.h>

#include "allocators.h"

namespace gcv::bench {

void ensure_python() {
  if (Py_IsInitialized()) return;
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);  // no site, no environment: the bare runtime
  const PyStatus status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) Py_ExitStatusException(status);
}

}  // namespace gcv::bench
