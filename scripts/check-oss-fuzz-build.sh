#!/usr/bin/env bash
# Proves that oss-fuzz/build.sh (also ClusterFuzzLite's build) builds every
# fuzz target the way OSS-Fuzz does, without Docker, on this Debian machine.
#
#   scripts/check-oss-fuzz-build.sh [--sanitizer address|undefined] [DIR]
#
# It emulates the base-builder environment of a libFuzzer build with the given
# sanitizer (address by default): clang-19, OSS-Fuzz's CFLAGS for that
# configuration, CXXFLAGS with -stdlib=libc++, LIB_FUZZING_ENGINE, and
# $SRC/gcverify (a symlink to this checkout), $WORK and $OUT in a scratch
# directory. It runs build.sh as the base-builder's `compile` does (bash -eux,
# from $SRC/gcverify), then checks that $OUT has, for every target, the
# executable, its .options, .dict and seed corpus zip; that the target carries
# the sanitizer and libFuzzer and uses libc++ alone (no libstdc++-built
# GoogleTest, RapidCheck or Boost library); and that it runs its whole seed
# corpus with its options (-runs=0).
#
# One difference from OSS-Fuzz is unavoidable: Debian's libFuzzer
# (libclang-rt-19-dev) is compiled against libstdc++, where OSS-Fuzz's carries
# a private libc++. The emulated LIB_FUZZING_ENGINE therefore adds the static
# libstdc++ for the engine's own references; it never becomes a dependency of
# a target, which the linkage check confirms. That second C++ runtime makes
# UBSan's vptr check report false type mismatches (two copies of the ABI's
# type_info classes), so the undefined configuration leaves vptr out here.
#
# The scratch directory is DIR/ (kept for inspection; its src, work, out and
# seeds subdirectories are replaced on every run) or a temporary directory
# that is removed at exit. Installs nothing: see scripts/deps.sh. Exit status
# 0 when every check passes, 1 otherwise.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(differential_fuzzer allocator_fuzzer parser_fuzzer)
failures=0

# base-builder's SANITIZER_FLAGS_<sanitizer> (less vptr, see the header), and
# a symbol that proves the sanitizer's runtime is in a target.
declare -A sanitizer_flags=(
  [address]="-fsanitize=address -fsanitize-address-use-after-scope"
  [undefined]="-fsanitize=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize=vptr"
)
declare -A sanitizer_symbol=([address]=__asan_init [undefined]=__ubsan_handle_)
sanitizer=address
logs_kept=""

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok:   $*"; }

require_tools() {
  local missing=() tool
  for tool in clang-19 clang++-19 cmake ninja zip unzip readelf nm; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "check-oss-fuzz-build: missing ${missing[*]} (see scripts/deps.sh)" >&2
    exit 1
  fi
  if ! echo '#include <vector>' | clang++-19 -stdlib=libc++ -x c++ -fsyntax-only - 2>/dev/null; then
    echo "check-oss-fuzz-build: clang++-19 -stdlib=libc++ does not work (libc++-19-dev, libc++abi-19-dev)" >&2
    exit 1
  fi
}

# Sets up $SRC, $WORK and $OUT under the scratch directory, fresh each run.
prepare_scratch() {
  if (($# > 0)); then
    scratch="$(mkdir -p "$1" && cd "$1" && pwd)"
  else
    scratch="$(mktemp -d "${TMPDIR:-/tmp}/check-oss-fuzz.XXXXXX")"
    trap 'rm -rf "$scratch"' EXIT
    logs_kept=" (removed at exit: pass DIR to keep it)"
  fi
  rm -rf "$scratch"/{src,work,out,seeds,build.log}
  mkdir -p "$scratch"/{src,work,out,seeds}
  ln -s "$root" "$scratch/src/gcverify"
  cp "$root/oss-fuzz/build.sh" "$scratch/src/build.sh"
}

# The variables base-builder's `compile` exports for
# FUZZING_ENGINE=libfuzzer SANITIZER=$sanitizer ARCHITECTURE=x86_64.
emulate_oss_fuzz_environment() {
  export SRC="$scratch/src" WORK="$scratch/work" OUT="$scratch/out"
  export CC=clang-19 CXX=clang++-19
  export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION ${sanitizer_flags[$sanitizer]} -fsanitize=fuzzer-no-link"
  export CXXFLAGS="$CFLAGS -stdlib=libc++"
  export LIB_FUZZING_ENGINE="-fsanitize=fuzzer -l:libstdc++.a"  # see the header
  export FUZZING_ENGINE=libfuzzer SANITIZER="$sanitizer" ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c++
  export UBSAN_OPTIONS="silence_unsigned_overflow=1"  # as base-builder sets it
}

run_build() {
  echo "building with oss-fuzz/build.sh (log: $scratch/build.log)"
  if ! (cd "$SRC/gcverify" && bash -eux "$SRC/build.sh") >"$scratch/build.log" 2>&1; then
    tail -n 40 "$scratch/build.log" >&2
    echo "FAIL: oss-fuzz/build.sh failed; the whole log is $scratch/build.log$logs_kept" >&2
    exit 1
  fi
  pass "oss-fuzz/build.sh built every target"
}

check_outputs() {
  local target file seeds before
  for target in "${targets[@]}"; do
    before=$failures
    [[ -x "$OUT/$target" ]] || fail "$target: no executable in \$OUT"
    for file in "$target.options" "$target.dict"; do
      [[ -s "$OUT/$file" ]] || fail "$target: no $file in \$OUT"
    done
    file="$OUT/${target}_seed_corpus.zip"
    if ! unzip -tq "$file" >/dev/null 2>&1; then
      fail "$target: ${file##*/} is missing or not a valid zip"
      continue
    fi
    seeds=$(unzip -Z1 "$file" | grep -cv '/$' || true)
    ((seeds > 0)) || fail "$target: ${file##*/} holds no seed"
    ((failures > before)) || pass "$target: executable, .options, .dict, ${file##*/} ($seeds seeds)"
  done
}

# Our own objects must be compiled against libc++ only (std::__1, never
# libstdc++'s std::__cxx11); the targets must depend on no C++ library but
# libc++ and carry the sanitizer and libFuzzer.
check_linkage() {
  local target needed symbols stray before
  stray=$(find "$WORK/gcverify" -name '*.o' -exec nm -A {} + 2>/dev/null | grep -m 3 '__cxx11' || true)
  [[ -z "$stray" ]] || fail "objects compiled against libstdc++: $stray"
  for target in "${targets[@]}"; do
    [[ -x "$OUT/$target" ]] || continue
    before=$failures
    needed=$(readelf -d "$OUT/$target" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    symbols=$(nm "$OUT/$target")
    if [[ " $needed" == *" libc++.so"* ]]; then
      :
    elif ! grep -q '_ZNSt3__1' <<<"$symbols"; then
      fail "$target: neither linked against libc++.so nor containing libc++ (NEEDED: $needed)"
    fi
    if grep -Eq 'libstdc\+\+|gtest|gmock|rapidcheck|boost' <<<"$needed"; then
      fail "$target: depends on a libstdc++-built library (NEEDED: $needed)"
    fi
    if grep -Eq ' _ZN(7testing|2rc)' <<<"$symbols"; then
      fail "$target: contains GoogleTest or RapidCheck code"
    fi
    if ldd "$OUT/$target" | grep -q 'not found'; then
      fail "$target: unresolved shared libraries: $(ldd "$OUT/$target" | grep 'not found' | tr -s ' \n' ' ')"
    fi
    grep -q " ${sanitizer_symbol[$sanitizer]}" <<<"$symbols" || fail "$target: not built with -fsanitize=$sanitizer"
    grep -q ' LLVMFuzzerRunDriver' <<<"$symbols" || fail "$target: libFuzzer is not linked"
    ((failures > before)) || pass "$target: $sanitizer + libFuzzer, libc++ only (NEEDED: $needed)"
  done
}

# The [libfuzzer] section of a .options file as flags, its dict made absolute.
options_as_flags() {
  awk -v out="$OUT" '
    /^\[/ { section = $0; next }
    section == "[libfuzzer]" && /=/ {
      key = $0; sub(/[ \t]*=.*/, "", key)
      value = $0; sub(/^[^=]*=[ \t]*/, "", value)
      if (key == "dict") value = out "/" value
      print "-" key "=" value
    }' "$1"
}

check_seed_runs() {
  local target dir log flags
  for target in "${targets[@]}"; do
    [[ -x "$OUT/$target" && -s "$OUT/${target}_seed_corpus.zip" ]] || continue
    dir="$scratch/seeds/$target"
    mkdir -p "$dir"
    unzip -qo "$OUT/${target}_seed_corpus.zip" -d "$dir"
    mapfile -t flags < <(options_as_flags "$OUT/$target.options")
    log="$scratch/seeds/$target.log"
    if (cd "$OUT" && "./$target" -runs=0 -artifact_prefix="$scratch/seeds/$target-" "${flags[@]}" "$dir") >"$log" 2>&1 &&
      grep -q '^Done' "$log"; then
      pass "$target: ran its $(find "$dir" -type f | wc -l) seeds with the flags of $target.options (${flags[*]//"$OUT/"/})"
    else
      tail -n 30 "$log" >&2
      fail "$target: running its seed corpus failed (log: $log$logs_kept)"
    fi
  done
}

start=$SECONDS
if [[ "${1:-}" == --sanitizer ]]; then
  sanitizer="${2:-}"
  shift 2 || true
fi
if [[ -z "${sanitizer_flags[$sanitizer]+set}" ]]; then
  echo "usage: $0 [--sanitizer address|undefined] [DIR]" >&2
  exit 2
fi
require_tools
prepare_scratch "$@"
emulate_oss_fuzz_environment
run_build
check_outputs
check_linkage
check_seed_runs
if ((failures)); then
  echo "check-oss-fuzz-build: $failures check(s) failed ($sanitizer, $((SECONDS - start)) s)" >&2
  exit 1
fi
echo "check-oss-fuzz-build: every target builds, links and runs as on OSS-Fuzz ($sanitizer, $((SECONDS - start)) s)"
