#!/usr/bin/env bash
# Configures and builds gcverify into build/ (or $GCV_BUILD_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GCV_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${GCV_BUILD_TYPE:-RelWithDebInfo}" ${GCV_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --parallel "$(nproc)"
