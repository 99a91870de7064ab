#!/usr/bin/env bash
# Proves that gcverify installs whole: installs the build BUILD_DIR into a
# fresh prefix (cmake --install), then configures, builds and tests the
# minheap example (examples/minheap) from a clean directory against that
# prefix alone (find_package(gcverify CONFIG REQUIRED)): its fuzz target,
# property suites, plugin, corpus replay and kill matrix. An install that
# leaves out a header, a library, the tool, the corpus or the package's
# functions fails here. Then makes the .deb (cpack -G DEB) and checks that it
# holds the tool, the package config and the corpus.
#
#   scripts/check-installed-package.sh BUILD_DIR [WORK_DIR]
#
# WORK_DIR (kept for inspection, its contents replaced) or a temporary
# directory removed at exit. Exit status 0 when every step passes.
set -euo pipefail

build=$(cd "${1:?usage: check-installed-package.sh BUILD_DIR [WORK_DIR]}" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)
if [[ -n "${2:-}" ]]; then
  work=$2
  rm -rf "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
step() { printf '\n== %s\n' "$*"; }

step "cmake --install $build --prefix $work/prefix"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
"$work/prefix/bin/gcverify" --version

step "the minheap example, configured against $work/prefix only"
cmake -S "$source_dir/examples/minheap" -B "$work/example" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
cmake --build "$work/example" -j "$(nproc)"
ctest --test-dir "$work/example" -j "$(nproc)" --output-on-failure --timeout 600

step "a version gcverify is not: refused by find_package"
mkdir -p "$work/too-new"
cat > "$work/too-new/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(too_new LANGUAGES CXX)
find_package(gcverify 99.0 CONFIG REQUIRED)
CMAKE
if cmake -S "$work/too-new" -B "$work/too-new/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/too-new.log" 2>&1; then
  echo "find_package(gcverify 99.0) was accepted" >&2
  exit 1
fi
grep -q 'gcverify-config.cmake, version: ' "$work/too-new.log"
echo "refused, naming the installed version"

step "cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb" > "$work/cpack.log")
deb=$(ls "$work"/deb/gcverify_*.deb)
dpkg-deb --info "$deb" | grep -E 'Package|Version|Depends'
contents=$(dpkg-deb --contents "$deb")
for file in ./usr/bin/gcverify ./usr/include/gcverify/machine.h ./usr/include/gcverify/fuzz.h \
            /gcverify/gcverify-config.cmake /gcverify/gcverify-functions.cmake ./usr/share/gcverify/corpus/seeds/ \
            ./usr/share/gcverify/fuzz/differential_fuzzer.dict /libgcv_executor.a; do
  grep -qF -- "$file" <<< "$contents" || { echo "$deb holds no $file" >&2; exit 1; }
done
echo "$(basename "$deb"): $(wc -l <<< "$contents") entries, with the tool, headers, package config, corpus and dictionaries"
