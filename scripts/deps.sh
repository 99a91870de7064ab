#!/usr/bin/env bash
# Installs what gcverify needs to build, from Debian's repositories, if missing.
# Idempotent: installs nothing when everything is present.
set -euo pipefail
# The build (GCC; GoogleTest and RapidCheck for the tests), the fuzz build
# (clang-19, libFuzzer and sanitizer runtimes, llvm-19 for coverage reports,
# libc++ for OSS-Fuzz-style builds), zip and unzip for OSS-Fuzz's seed-corpus
# archives, Graphviz for `gcverify explain`'s PNGs, and what the benchmarks
# compare against (Google Benchmark, mimalloc, the embeddable libpython3.11,
# which the CPython adapter embeds too).
packages=(g++ cmake ninja-build libboost-graph-dev libgtest-dev librapidcheck-dev
          clang-19 llvm-19 libclang-rt-19-dev libc++-19-dev libc++abi-19-dev zip unzip
          graphviz libbenchmark-dev libmimalloc-dev python3.11-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
