#!/usr/bin/env bash
# The main job: install, build, and run the bundled corpus through the
# lockstep executor (model vs gcheap). Extra arguments go to 'gcverify run'.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
exec "${GCV_BUILD_DIR:-$root/build}/cli/gcverify" run "$@" "$root/corpus"
