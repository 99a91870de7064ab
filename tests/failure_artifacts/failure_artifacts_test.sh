#!/usr/bin/env bash
# Every reproducer reproduces: for one seeded bug (docs/seeded-bugs.md),
# failing inputs go through every failure command that writes a program, and
# each written file must fail under `gcverify run` with the input's signature.
#
#   inputs    the first of 100 generated programs (bench/generate_programs,
#             64 operations, seed 1) that fails with the bug, and the first
#             that fails at the teardown; if none fails, the first failing
#             corpus program; else the first reproducer `gcverify oom-sweep`
#             writes for the corpus (an error path's bug). A bug no heap
#             program shows (the allocator's, caught by the allocator
#             properties) is skipped (exit 77).
#   commands  replay --save, minimize --output, explain --save, triage --out,
#             promote --corpus; each file written is run with `gcverify run`
#             and the options of its `# reproduce:` line in a fresh process:
#             it must fail, with the input's signature (a crash: die the
#             same way).
#
# usage: failure_artifacts_test.sh BUG GCVERIFY GENERATE_PROGRAMS CORPUS_DIR
set -euo pipefail
(($# == 4)) || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bug="$1" gcverify="$2" generate="$3" corpus="$4"
export GCHEAP_SEEDED_BUG="$bug"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL ($bug): $*" >&2
  exit 1
}

# The signature `gcverify run FILE` gives in a fresh process, with the
# options of FILE's `# reproduce:` line: the report's signature line, or for
# a process that died, how it died.
run_signature() {
  local status=0 line words=()
  line=$(grep -m1 '^# reproduce: gcverify run ' "$1" || true)
  read -ra words <<<"${line#"# reproduce: gcverify run "}"
  ((${#words[@]} > 0)) && unset 'words[-1]'  # the file's own name
  "$gcverify" run "${words[@]}" "$1" >"$work/run.out" 2>&1 || status=$?
  local line
  line=$(sed -n 's/^  signature: //p' "$work/run.out" | head -1)
  if [[ -n "$line" ]]; then echo "$line"; return; fi
  local asan
  asan=$(sed -n 's/.*ERROR: AddressSanitizer: \([a-z-]*\).*/\1/p' "$work/run.out" | head -1)
  if [[ -n "$asan" ]]; then echo "crash: $asan"; return; fi
  if ((status > 128)); then echo "crash: SIG$(kill -l $((status - 128)))"; return; fi
  echo "exit status $status"
}

# The input's signature, as replay reports it (in a child process).
replay_signature() { { "$gcverify" replay "$1" 2>/dev/null || true; } | sed -n 's/^  signature: //p' | head -1; }

# Checks that FILE was written and fails under `gcverify run` as INPUT does.
check_artifact() {
  local command="$1" file="$2" want="$3"
  [[ -s "$file" ]] || fail "$command wrote no file $file"
  local got
  got=$(run_signature "$file")
  [[ "$got" == "$want" ]] || { cat "$file" "$work/run.out" >&2; fail "$command's $file: \`gcverify run\` gives '$got', the input '$want'"; }
  echo "  $command: $(grep -cv '^#' "$file") operations, fails with '$got'"
}

# Runs a failure command; it must succeed (or, for replay, report the failure).
run_command() {
  local want_status="$1" status=0
  shift
  "$gcverify" "$@" >"$work/cmd.out" 2>&1 || status=$?
  ((status == want_status)) || { cat "$work/cmd.out" >&2; fail "'gcverify $*' exited with $status, not $want_status"; }
}

# The inputs: generated programs first, the corpus second.
"$generate" "$work/gen" 100 64 1
inputs=() teardown_input=""
for program in "$work"/gen/program-{0..99}.bin; do
  status=0
  "$gcverify" replay "$program" >"$work/replay.out" 2>&1 || status=$?
  ((status == 1)) || continue
  if ((${#inputs[@]} == 0)); then inputs+=("$program"); fi
  if [[ -z "$teardown_input" ]] && grep -q "at the teardown" "$work/replay.out"; then teardown_input="$program"; fi
  [[ -n "$teardown_input" ]] && break
done
if [[ -n "$teardown_input" && "$teardown_input" != "${inputs[0]:-}" ]]; then inputs+=("$teardown_input"); fi
if ((${#inputs[@]} == 0)); then
  while IFS= read -r program; do
    status=0
    "$gcverify" replay "$program" >/dev/null 2>&1 || status=$?
    if ((status == 1)); then inputs+=("$program"); break; fi
  done < <(find "$corpus" -name '*.heap' | sort)
fi
# An error path's bug shows only when memory is refused: the first
# reproducer `gcverify oom-sweep` writes.
if ((${#inputs[@]} == 0)); then
  mkdir -p "$work/oom"
  "$gcverify" oom-sweep --quiet --max-runs 200 --save "$work/oom" "$corpus" >/dev/null 2>&1 || true
  first=$(find "$work/oom" -name '*.oom.heap' | sort | head -1)
  [[ -z "$first" ]] || inputs+=("$first")
fi
if ((${#inputs[@]} == 0)); then
  echo "skipped: no generated or corpus program fails with $bug, even with memory refused in the modern geometry (an allocator bug the allocator properties catch, or one only the classic geometry shows: the kill matrix sweeps both)"
  exit 77
fi

for input in "${inputs[@]}"; do
  want=$(replay_signature "$input")
  [[ -n "$want" ]] || fail "replay gives no signature for $input"
  echo "$input: $want"
  out="$work/out/$(basename "$input")"
  mkdir -p "$out"
  run_command 1 replay --save "$out/replayed.heap" "$input"
  check_artifact replay "$out/replayed.heap" "$want"
  run_command 0 minimize --quiet --output "$out/minimized.heap" "$input"
  check_artifact minimize "$out/minimized.heap" "$want"
  run_command 0 explain --quiet --save "$out/explained.heap" --dot "$out/explained.dot" "$input"
  check_artifact explain "$out/explained.heap" "$want"
  run_command 1 triage --quiet --out "$out/buckets" "$input"
  check_artifact triage "$out/buckets/bucket-1.heap" "$want"
  run_command 0 promote --quiet --corpus "$out/regressions" "$input"
  promoted=$(sed -n 's/^promoted: //p' "$work/cmd.out")
  check_artifact promote "$promoted" "$want"
done
echo "PASS ($bug): every file written fails under gcverify run with its input's signature"
