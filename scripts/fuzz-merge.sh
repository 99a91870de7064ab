#!/usr/bin/env bash
# Prunes a fuzz target's corpus to a small subset with the same coverage:
# libFuzzer's -set_cover_merge=1 (greedy set cover over the features of every
# input of CORPUS_DIR and MORE_DIRS) writes the chosen inputs into a fresh
# directory beside CORPUS_DIR; only when that succeeded is CORPUS_DIR replaced
# by it (two renames, the second undone if it fails), and the old corpus is
# deleted last. Do not run it on a corpus a fuzzer is writing to.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/fuzz-lib.sh
source "$root/scripts/fuzz-lib.sh"
build="${GCV_FUZZ_BUILD_DIR:-$root/build-fuzz}"

usage() {
  cat <<EOF
usage: scripts/fuzz-merge.sh TARGET CORPUS_DIR [MORE_DIRS...]

Replaces CORPUS_DIR by the smallest set of inputs from CORPUS_DIR and MORE_DIRS
that libFuzzer finds to give the same coverage (-set_cover_merge=1), and prints
the file counts and bytes before and after. TARGET is differential_fuzzer,
allocator_fuzzer or parser_fuzzer, built with libFuzzer in
\$GCV_FUZZ_BUILD_DIR (default $root/build-fuzz; scripts/fuzz.sh builds it).

exit status: 0 merged, 1 the merge failed (CORPUS_DIR left as it was),
2 bad usage.
EOF
}

die() {
  echo "fuzz-merge.sh: $1" >&2
  exit "${2:-2}"
}

# "FILES BYTES" of the regular files under a directory.
corpus_size() {
  find "$1" -type f -printf '%s\n' | awk '{ bytes += $1 } END { printf "%d %d\n", NR, bytes }'
}

# Merges into a fresh directory; prints its path on success.
merge_into_fresh_dir() {
  local fresh log options
  fresh=$(mktemp -d "$corpus.merge.XXXXXX")
  log="$fresh.log"
  mapfile -t options < <(libfuzzer_options "$target")
  if ! "$binary" -set_cover_merge=1 "${options[@]}" -merge_control_file="$fresh.control" \
       "$fresh" "$corpus" "${more[@]}" >"$log" 2>&1 || ! grep -q '^MERGE-OUTER: ' "$log"; then
    tail -n 20 "$log" >&2
    rm -rf "$fresh" "$fresh.control"
    die "the merge failed (log: $log); $corpus is unchanged" 1
  fi
  rm -f "$log" "$fresh.control"
  echo "$fresh"
}

# Puts fresh in corpus's place, keeping the old corpus until that is done.
replace_corpus() {
  local fresh="$1" old
  old=$(mktemp -d "$corpus.old.XXXXXX")
  mv "$corpus" "$old/corpus"
  if ! mv "$fresh" "$corpus"; then
    mv "$old/corpus" "$corpus"
    rmdir "$old"
    die "cannot move $fresh to $corpus; $corpus is unchanged (the merged corpus is left in $fresh)" 1
  fi
  rm -rf "$old"
}

main() {
  case "${1:-}" in -h|--help) usage; exit 0 ;; esac
  (($# >= 2)) || { echo "fuzz-merge.sh: needs a TARGET and a CORPUS_DIR" >&2; usage >&2; exit 2; }
  target="$1"
  case "$target" in
    differential_fuzzer|allocator_fuzzer|parser_fuzzer) ;;
    *) die "unknown target '$target' (differential_fuzzer, allocator_fuzzer or parser_fuzzer)" ;;
  esac
  binary="$build/fuzz/$target"
  [[ -x "$binary" ]] || die "$binary is not built (scripts/fuzz.sh builds it; set GCV_FUZZ_BUILD_DIR for another build)"
  "$binary" -help=1 2>&1 | grep '^Usage:' >/dev/null || die "$binary is not a libFuzzer binary (build the fuzz preset)"
  local dir
  for dir in "${@:2}"; do [[ -d "$dir" ]] || die "$dir is not a directory"; done
  corpus="$(cd "$2" && pwd)"
  [[ "$corpus" != / ]] || die "refusing to replace /"
  more=("${@:3}")

  local before_files before_bytes after_files after_bytes more_files more_bytes fresh
  read -r before_files before_bytes < <(corpus_size "$corpus")
  echo "fuzz-merge: $target: $corpus: $before_files files, $before_bytes bytes"
  local inputs=$before_files
  for dir in "${more[@]}"; do
    read -r more_files more_bytes < <(corpus_size "$dir")
    inputs=$((inputs + more_files))
    echo "fuzz-merge: $target: + $dir: $more_files files, $more_bytes bytes"
  done
  ((inputs)) || { echo "fuzz-merge: $target: nothing to merge"; exit 0; }
  fresh=$(merge_into_fresh_dir)
  replace_corpus "$fresh"
  read -r after_files after_bytes < <(corpus_size "$corpus")
  echo "fuzz-merge: $target: $corpus: $before_files -> $after_files files, $before_bytes -> $after_bytes bytes"
}

main "$@"
