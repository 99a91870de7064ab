# Shared by the fuzzing scripts (fuzz.sh, fuzz-merge.sh, coverage.sh); sourced,
# not run. Expects $root, the checkout.

# The fuzz build and the local fuzzing sessions' directory, unless overridden.
gcv_fuzz_build="${GCV_FUZZ_BUILD_DIR:-$root/build-fuzz}"
gcv_fuzz_session="${GCV_FUZZ_SESSION_DIR:-$gcv_fuzz_build/fuzz-session}"

# The fuzz targets, in the order the scripts report them.
gcv_fuzz_targets=(differential_fuzzer allocator_fuzzer parser_fuzzer)

# The bundled seed corpus of target $1 for the build in $2 (the differential
# target's seeds are the corpus converted to binary form at build time, with
# 32 generated programs).
gcv_seed_dir() {
  case "$1" in
    differential_fuzzer) echo "$2/fuzz/seeds/differential" ;;
    allocator_fuzzer) echo "$root/corpus/allocator" ;;
    parser_fuzzer) echo "$root/corpus" ;;
    *) return 1 ;;
  esac
}

# The [libfuzzer] section of fuzz/$1.options as libFuzzer flags, the
# dictionary named by its full path.
libfuzzer_options() {
  awk -F '[ \t]*=[ \t]*' -v dir="$root/fuzz" '
    /^\[/ { section = $0; next }
    section == "[libfuzzer]" && NF == 2 {
      if ($1 == "dict") $2 = dir "/" $2
      print "-" $1 "=" $2
    }' "$root/fuzz/$1.options"
}
