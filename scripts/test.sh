#!/usr/bin/env bash
# The whole test suite: install, build, and run every test through CTest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
cd "${GCV_BUILD_DIR:-$root/build}"
exec ctest --output-on-failure --parallel "$(nproc)" --timeout 900
