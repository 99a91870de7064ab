#!/bin/bash -eu
# OSS-Fuzz (and ClusterFuzzLite) build of gcverify's fuzz targets.
#
# Runs inside the base-builder image, which provides the toolchain and its
# flags: $CC/$CXX, $CFLAGS/$CXXFLAGS (sanitizer, coverage instrumentation and
# -stdlib=libc++ already in them) and $LIB_FUZZING_ENGINE (how to link the
# engine: -fsanitize=fuzzer, or a library such as AFL++'s or honggfuzz's
# driver). The source is in $SRC/gcverify; CMake builds out of tree in $WORK;
# everything the fuzzing infrastructure needs goes to $OUT:
#   <target>                    the fuzz target
#   <target>.options, .dict     its libFuzzer options and dictionary
#   <target>_seed_corpus.zip    its seeds: the differential target's are the
#                               binary form of every corpus program (made at
#                               build time by the gcverify tool), the parser's
#                               are corpus/**/*.heap, the allocator's are
#                               corpus/allocator/*
# scripts/check-oss-fuzz-build.sh runs this script outside Docker with
# OSS-Fuzz's environment emulated.

src="$SRC/gcverify"
build="$WORK/gcverify"
targets=(differential_fuzzer allocator_fuzzer parser_fuzzer)

# Coverage feedback comes from the system under test, not from the oracle: the
# top-level CMakeLists.txt passes fuzz/coverage_ignorelist.txt to clang, but
# AFL++'s compiler (OSS-Fuzz's AFL builds) ignores that flag and reads its own
# denylist, in the same format. Other compilers ignore this variable.
export AFL_LLVM_DENYLIST="$src/fuzz/coverage_ignorelist.txt"

# CMAKE_BUILD_TYPE=None: no per-configuration flags, so the optimisation and
# debug-info levels are exactly those of $CXXFLAGS. Sanitizers come from
# $CXXFLAGS too (never GCV_SANITIZERS). GoogleTest is off: Debian's and
# Ubuntu's are built against libstdc++, the targets use libc++.
# The CPython adapter is off: the three-way target is for local builds.
cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DGCV_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DGCV_BUILD_TESTS=OFF \
  -DGCV_CPYTHON=OFF \
  -DGCV_SANITIZED_TESTS=OFF
# fuzz_seeds runs the gcverify tool, built with the same flags: it has no
# fuzzer main, so it runs as an ordinary (instrumented) program.
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}" fuzz_seeds

for target in "${targets[@]}"; do
  cp "$build/fuzz/$target" "$src/fuzz/$target.options" "$src/fuzz/$target.dict" "$OUT/"
done

# Zips the files under a directory, flat: a seed's name is its path below the
# directory with "/" as "_" (test_gc/freeze.heap -> test_gc_freeze.heap), so
# that programs of the same name in different corpus directories stay apart.
seed_zip() {
  local zip_path="$1" dir="$2" pattern="$3"
  local staging="$WORK/seeds/${zip_path##*/}"
  rm -rf "$staging" "$zip_path"
  mkdir -p "$staging"
  local file
  while IFS= read -r -d '' file; do
    file="${file#"$dir"/}"
    cp "$dir/$file" "$staging/${file//\//_}"
  done < <(find "$dir" -type f -name "$pattern" -print0)
  (cd "$staging" && zip -q -X "$zip_path" ./*)
}

seed_zip "$OUT/differential_fuzzer_seed_corpus.zip" "$build/fuzz/seeds/differential" '*'
seed_zip "$OUT/parser_fuzzer_seed_corpus.zip" "$src/corpus" '*.heap'
seed_zip "$OUT/allocator_fuzzer_seed_corpus.zip" "$src/corpus/allocator" '*'
