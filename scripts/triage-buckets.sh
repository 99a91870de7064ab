#!/usr/bin/env bash
# How many triage buckets one bug makes: for every seeded bug
# (docs/seeded-bugs.md), the same generated programs (bench/generate_programs,
# binary, as a fuzzer's inputs) go through `gcverify triage` with the bug on,
# and the table says how many fail, into how many buckets (signature and the
# minimized reproducer's shape; and by signature alone, --no-minimize), and
# the largest bucket and every other with its size. One bug should make one
# bucket (docs/minimizer.md holds the table as measured).
#
#   --programs N   generated programs (default 200)
#   --ops K        operations per program (default 64)
#   --seed S       generator seed (default 1)
#   --jobs J       bugs triaged at once (default: the number of cores)
#   --build        build the seeded-bugs preset's gcverify and generator first
#   --markdown F   also write the table to F
#
# usage: scripts/triage-buckets.sh [options] [BUG...]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "triage-buckets: $*" >&2; exit 2; }
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 takes a positive number, not '$2'"; }

programs=200 ops=64 seed=1 jobs="$(nproc)" build=0 markdown="" bugs=()
while (($#)); do
  case "$1" in
    --programs) (($# >= 2)) || die "--programs needs a value"; number "$1" "$2"; programs="$2"; shift 2 ;;
    --ops) (($# >= 2)) || die "--ops needs a value"; number "$1" "$2"; ops="$2"; shift 2 ;;
    --seed) (($# >= 2)) || die "--seed needs a value"; number "$1" "$2"; seed="$2"; shift 2 ;;
    --jobs) (($# >= 2)) || die "--jobs needs a value"; number "$1" "$2"; jobs="$2"; shift 2 ;;
    --build) build=1; shift ;;
    --markdown) (($# >= 2)) || die "--markdown needs a file"; markdown="$2"; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    -*) usage >&2; die "unknown option '$1'" ;;
    *) bugs+=("$1"); shift ;;
  esac
done

catalog=$(grep -o 'X([a-z_0-9]*)' "$root/impl/src/seeded_bugs_internal.h" | sed 's/X(\(.*\))/\1/')
((${#bugs[@]})) || mapfile -t bugs <<<"$catalog"
for bug in "${bugs[@]}"; do grep -qx "$bug" <<<"$catalog" || die "no seeded bug named '$bug' (see docs/seeded-bugs.md)"; done

bugs_build="${GCV_BUGS_BUILD_DIR:-$root/build-bugs}"
if ((build)); then
  echo "triage-buckets: building (preset bugs)" >&2
  (cd "$root" && cmake --preset bugs -B "$bugs_build" >/dev/null &&
    cmake --build "$bugs_build" --target gcverify generate_programs >/dev/null)
fi
gcverify="$bugs_build/cli/gcverify" generate="$bugs_build/bench/generate_programs"
for tool in "$gcverify" "$generate"; do
  [[ -x "$tool" ]] || die "$tool is not built (run with --build)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$generate" "$work/programs" "$programs" "$ops" "$seed"

# One bug: both triages, their outputs kept for the table.
triage_one() {
  local bug="$1" started
  started=$(date +%s)
  GCHEAP_SEEDED_BUG="$bug" "$gcverify" triage --quiet --no-minimize "$work/programs" >"$work/$bug.signatures" 2>&1 || true
  GCHEAP_SEEDED_BUG="$bug" "$gcverify" triage --quiet "$work/programs" >"$work/$bug.shapes" 2>&1 || true
  echo "triage-buckets: $bug ($(($(date +%s) - started)) s)" >&2
}
export -f triage_one
export work gcverify
printf '%s\n' "${bugs[@]}" | xargs -P "$jobs" -I{} bash -c 'triage_one {}'

# "200 inputs: 0 pass, 200 fail in 5 buckets" -> "200 5".
counts() { sed -n 's/^[0-9]* inputs: [0-9]* pass, \([0-9]*\) fail in \([0-9]*\) bucket.*/\1 \2/p' "$1"; }
# Every bucket of a triage: "inputs x signature: shape".
buckets() {
  awk '/^bucket [0-9]+: / { sub(/^bucket [0-9]+: /, ""); signature = $0 }
       /^  shape: / { sub(/^  shape: +/, ""); shape = $0 }
       /^  inputs: / { printf "%s x %s: %s\n", $2, signature, shape; shape = "" }' "$1"
}

{
  echo "| Bug | Failing inputs | Buckets by signature | Buckets by signature and shape | Largest bucket | The other buckets |"
  echo "|---|---|---|---|---|---|"
  for bug in "${bugs[@]}"; do
    read -r failing by_signature < <(counts "$work/$bug.signatures" || true) || true
    read -r _ by_shape < <(counts "$work/$bug.shapes" || true) || true
    if [[ -z "${failing:-}" || "$failing" == 0 ]]; then
      echo "| \`$bug\` | 0 | - | - | - | - |"
      continue
    fi
    mapfile -t rows < <(buckets "$work/$bug.shapes")
    others=""
    for row in "${rows[@]:1}"; do others+="${others:+<br>}${row}"; done
    echo "| \`$bug\` | $failing | $by_signature | $by_shape | ${rows[0]} | ${others:--} |"
    unset failing by_signature by_shape
  done
} | tee "${markdown:-/dev/null}"
