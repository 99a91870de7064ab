// The CPython version the differential fuzz targets follow: `-cpython=X.Y`
// on their command line (libFuzzer's, or the replay main's), 3.11 without.
// LLVMFuzzerInitialize (fuzz_profile.cc) takes the flag out of argv before
// either reads the flags; an unknown version exits 2 naming the known ones.
//
//   differential_fuzzer -cpython=3.13 -max_total_time=60 corpus/
//   cpython_differential_fuzzer -cpython=3.12 crash-1234     # on the real 3.12
//
// The reproducers the targets print say the version (`# cpython: 3.13`)
// when it is not the default; a crash file (binary) replays under the same
// flag, or `gcverify replay --cpython 3.13`.
#pragma once

#include "gcverify/executor.h"
#include "gcverify/profile.h"

const gcv::Profile& fuzz_profile();
// differential_fuzz_options() under fuzz_profile().
gcv::RunOptions fuzz_run_options();
