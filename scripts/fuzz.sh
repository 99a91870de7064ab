#!/usr/bin/env bash
# Builds the libFuzzer targets (the "fuzz" preset: clang-19, libFuzzer, ASan,
# UBSan) and fuzzes them locally from the bundled seeds, printing progress and
# a closing summary. Needs bash, coreutils, findutils and awk.
#
# Time: SECONDS of wall-clock time (default 120) on every core. The session has
# SECONDS x cores core-seconds, shared by weight (differential_fuzzer 2, the
# others 1) and laid out on one lane per core by McNaughton's wrap-around rule:
# the targets' shares are placed end to end and the line is cut every SECONDS.
# On 2 cores the differential target fuzzes for the whole session on one core
# while the allocator and then the parser target take halves of the other.
# Each piece is one plain libFuzzer process with -max_total_time; a target cut
# across two lanes runs as two processes sharing its working corpus (libFuzzer
# reloads it every second), which is what -jobs does, without -jobs' fixed
# per-job runs and logs in the current directory, or -fork's experimental mode
# that ignores timeouts and OOMs.
#
# Files, under $GCV_FUZZ_SESSION_DIR (default <build>/fuzz-session):
#   <target>/corpus   working corpus, kept between sessions (libFuzzer writes
#                     new inputs here; the bundled seeds are a second, read-only
#                     corpus, so the repository is never written)
#   <target>/crashes  artifacts: crash-*, leak-*, timeout-*, oom-*
#   <target>/log      this session's libFuzzer logs, one per piece
# A crash ends its piece (libFuzzer's rule); the lane goes on with its next one.
set -euo pipefail
shopt -s nullglob

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/fuzz-lib.sh
source "$root/scripts/fuzz-lib.sh"
build="$gcv_fuzz_build"
session="$gcv_fuzz_session"
lanes="${GCV_FUZZ_JOBS:-$(nproc)}"
progress_every="${GCV_FUZZ_PROGRESS_SECONDS:-5}"
all_targets=("${gcv_fuzz_targets[@]}")
declare -A weight=([differential_fuzzer]=2 [allocator_fuzzer]=1 [parser_fuzzer]=1)
declare -A seeds=()
for target in "${all_targets[@]}"; do seeds[$target]="$(gcv_seed_dir "$target" "$build")"; done
interrupt_exit=72  # libFuzzer's -interrupted_exitcode
declare -A corpus_before=()  # working corpus files per target at the start

usage() {
  cat <<EOF
usage: scripts/fuzz.sh [--target NAME]... [--no-build] [--report junit|json FILE]... [SECONDS] [-- LIBFUZZER_FLAG...]

Builds the fuzz targets (cmake preset "fuzz") and fuzzes them from the bundled
seeds for SECONDS of wall-clock time in all (default \$GCV_FUZZ_SECONDS or 120)
on every core, printing a progress line per target every few seconds and a
summary: executions, exec/s, coverage (cov, ft), new corpus entries, and the
crashes found with how to replay them.

  --target NAME   fuzz only NAME (repeatable): ${all_targets[*]}
  --no-build      use the targets already built in the build directory
  --report junit FILE   write the summary as JUnit XML too: one test case per
                  target, a failure per crash (its reproduce command as text)
  --report json FILE    write the summary as JSON too: per target its figures
                  and crashes (--report may be given twice)
  -- FLAGS        extra flags for every libFuzzer process (e.g. -seed=1)

environment:
  GCV_FUZZ_SECONDS           default SECONDS (120)
  GCV_FUZZ_BUILD_DIR         build directory (default $root/build-fuzz)
  GCV_FUZZ_SESSION_DIR       working corpora, crashes, logs (default <build>/fuzz-session)
  GCV_FUZZ_JOBS              parallel libFuzzer processes (default: nproc)
  GCV_FUZZ_PROGRESS_SECONDS  seconds between progress lines (default 5)

exit status: 0 no crash, 1 a crash (or a fuzzer failed), 2 bad usage,
130 interrupted without a crash.
EOF
}

usage_error() {
  echo "fuzz.sh: $1" >&2
  usage >&2
  exit 2
}

die() {
  echo "fuzz.sh: $1" >&2
  exit 2
}

# ---- arguments ------------------------------------------------------------

is_positive() { [[ "$1" =~ ^[0-9]+$ ]] && (($1 > 0)); }

parse_arguments() {
  targets=()
  reports=()  # kind, file, kind, file...
  build_first=1
  seconds="${GCV_FUZZ_SECONDS:-120}"
  extra_flags=()
  while (($#)); do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --target) (($# >= 2)) || usage_error "--target needs a name"
                [[ -v "weight[$2]" ]] || usage_error "unknown target '$2'"
                [[ " ${targets[*]} " == *" $2 "* ]] || targets+=("$2"); shift ;;
      --no-build) build_first=0 ;;
      --report) (($# >= 3)) || usage_error "--report needs a kind and a file: --report junit|json FILE"
                [[ "$2" == junit || "$2" == json ]] || usage_error "--report takes junit or json, not '$2'"
                [[ -d "$(dirname "$3")" ]] || usage_error "--report $2 $3: no directory $(dirname "$3")"
                reports+=("$2" "$3"); shift 2 ;;
      --) shift; extra_flags=("$@"); break ;;
      -*) usage_error "unknown option '$1'" ;;
      *) seconds="$1" ;;
    esac
    shift
  done
  is_positive "$seconds" || usage_error "SECONDS must be a positive integer, not '$seconds'"
  is_positive "$lanes" || usage_error "GCV_FUZZ_JOBS must be a positive integer"
  is_positive "$progress_every" || usage_error "GCV_FUZZ_PROGRESS_SECONDS must be a positive integer"
  ((${#targets[@]})) || targets=("${all_targets[@]}")
}

# ---- build ----------------------------------------------------------------

# Configures the fuzz preset into $build and builds only what fuzzing needs.
build_targets() {
  "$root/scripts/deps.sh"
  mkdir -p "$build"
  local log="$build/fuzz-build.log"
  echo "fuzz: building ${targets[*]} in $build (log: $log)"
  if ! { (cd "$root" && cmake --preset fuzz -B "$build") &&
         cmake --build "$build" --target "${targets[@]}" fuzz_seeds gcverify; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "fuzz.sh: the build failed; the whole log is $log" >&2
    exit 1
  fi
}

# A replay-main build (GCV_FUZZ_ENGINE=replay) would just run the seeds once.
check_targets() {
  local target
  for target in "${targets[@]}"; do
    [[ -x "$build/fuzz/$target" ]] || die "$build/fuzz/$target is not built (run without --no-build)"
    "$build/fuzz/$target" -help=1 2>&1 | grep '^Usage:' >/dev/null ||
      die "$build/fuzz/$target is not a libFuzzer binary (configure with the fuzz preset)"
    [[ -d "${seeds[$target]}" ]] || die "no seed corpus ${seeds[$target]} (build the fuzz_seeds target)"
  done
}

# ---- schedule -------------------------------------------------------------

# Prints one "lane target seconds" line per piece: the targets' shares of
# seconds x lanes, laid end to end and cut into lanes of seconds each.
plan_pieces() {
  local total=$((seconds * lanes)) sum=0 target share lane=0 used=0 take
  for target in "${targets[@]}"; do sum=$((sum + weight[$target])); done
  local left=$total remaining_weight=$sum
  for target in "${targets[@]}"; do
    share=$((left * weight[$target] / remaining_weight))
    ((share > 0)) || share=1
    left=$((left - share)); remaining_weight=$((remaining_weight - weight[$target]))
    while ((share > 0)); do
      take=$((seconds - used < share ? seconds - used : share))
      echo "$lane $target $take"
      share=$((share - take)); used=$((used + take))
      if ((used == seconds)); then lane=$((lane + 1)); used=0; fi
    done
  done
}

# ---- fuzzing --------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Runs one libFuzzer process; leaves piece<N>.{log,start,pid,done} in the
# target's log directory ("done" holds the exit status and the duration in ms).
run_piece() {
  local piece="$1" target="$2" secs="$3"
  local dir="$session/$target" start status=0
  local base="$dir/log/piece$piece"
  local options
  mapfile -t options < <(libfuzzer_options "$target")
  start=$(now_ms)
  echo "$start" >"$base.start"
  "$build/fuzz/$target" -max_total_time="$secs" -print_final_stats=1 "${options[@]}" \
    -artifact_prefix="$dir/crashes/" "${extra_flags[@]}" "$dir/corpus" "${seeds[$target]}" >"$base.log" 2>&1 &
  echo $! >"$base.pid"
  wait $! || status=$?
  echo "$status $(($(now_ms) - start))" >"$base.done.tmp"
  mv "$base.done.tmp" "$base.done"
}

# Runs one lane's pieces one after the other until told to stop. The lane
# leaves signals to the session (interrupt_session), which stops every lane.
run_lane() {
  local spec piece target secs
  trap "" INT TERM
  for spec in "$@"; do
    [[ -e "$session/stop" ]] && break
    read -r piece target secs <<<"$spec"
    run_piece "$piece" "$target" "$secs"
  done
}

start_session() {
  local target
  rm -f "$session/stop"
  for target in "${targets[@]}"; do
    rm -rf "$session/$target/log"
    mkdir -p "$session/$target/corpus" "$session/$target/crashes" "$session/$target/log"
    corpus_before[$target]=$(count_files "$session/$target/corpus")
  done
  local -a lane_specs=()
  local piece=0 lane target secs
  while read -r lane target secs; do
    lane_specs[lane]+="$piece $target $secs"$'\n'
    piece=$((piece + 1))
  done < <(plan_pieces)
  lane_pids=()
  for lane in "${!lane_specs[@]}"; do
    mapfile -t specs < <(printf '%s' "${lane_specs[lane]}")
    run_lane "${specs[@]}" &
    lane_pids+=($!)
  done
  session_start=$(now_ms)
}

# Ctrl-C reaches every process of the terminal's group; a TERM reaches only
# us, so the running libFuzzers are interrupted here. Both end the session.
# shellcheck disable=SC2317  # invoked by the trap in main
interrupt_session() {
  interrupted=1
  touch "$session/stop"
  local target pidfile
  for target in "${targets[@]}"; do
    for pidfile in "$session/$target"/log/piece*.pid; do
      [[ -e "${pidfile%.pid}.done" ]] || kill -INT "$(cat "$pidfile")" 2>/dev/null || true
    done
  done
}

count_files() { find "$1" -type f | wc -l; }

# The failure artifacts a target's pieces wrote this session, one path a line
# (an input found again keeps its name, so the directory alone would not tell).
session_artifacts() {
  cat /dev/null "$session/$1"/log/piece*.log | sed -n 's/.*Test unit written to \(.*\)$/\1/p' |
    grep -E '/(crash|leak|timeout|oom)-[^/]*$' | sort -u || true
}

# Sums a target's pieces: "execs cov ft run_ms running finished" from the
# last status line of each log (or its final stats), the piece files' times.
target_status() {
  local dir="$session/$1/log" now
  now=$(now_ms)
  awk -v now="$now" '
    FNR == 1 { file = FILENAME; sub(/\.[a-z]+$/, "", file) }
    FILENAME ~ /\.log$/ && /^#[0-9]+\t/ {
      execs_line[file] = substr($1, 2)
      for (i = 2; i < NF; ++i) {
        if ($i == "cov:") cov[file] = $(i + 1)
        if ($i == "ft:") ft[file] = $(i + 1)
      }
    }
    FILENAME ~ /\.log$/ && /^stat::number_of_executed_units:/ { execs_final[file] = $2 }
    FILENAME ~ /\.start$/ { started[file] = $1 }
    FILENAME ~ /\.done$/ { ended[file] = $2 }
    END {
      for (f in started) {
        execs += (f in execs_final) ? execs_final[f] : execs_line[f]
        if (cov[f] > max_cov) max_cov = cov[f]
        if (ft[f] > max_ft) max_ft = ft[f]
        if (f in ended) { run_ms += ended[f]; ++finished } else { run_ms += now - started[f]; ++running }
      }
      printf "%d %d %d %d %d %d\n", execs, max_cov, max_ft, run_ms, running, finished
    }' /dev/null "$dir"/piece*.log "$dir"/piece*.start "$dir"/piece*.done
}

per_second() { (($2 > 0)) && echo $(($1 * 1000 / $2)) || echo 0; }

print_progress() {
  local elapsed=$((($(now_ms) - session_start) / 1000)) target execs cov ft run_ms running finished state corpus
  for target in "${targets[@]}"; do
    read -r execs cov ft run_ms running finished < <(target_status "$target")
    if ((running)); then state=running; elif ((finished)); then state="done"; else state=waiting; fi
    corpus=$(count_files "$session/$target/corpus")
    printf 'fuzz: [%4d/%ds] %-19s %-7s execs %9d  exec/s %6d  cov %5d  ft %6d  corpus %5d (+%d)  crashes %d\n' \
      "$elapsed" "$seconds" "$target" "$state" "$execs" "$(per_second "$execs" "$run_ms")" "$cov" "$ft" \
      "$corpus" $((corpus - corpus_before[$target])) "$(session_artifacts "$target" | wc -l)"
  done
}

# Waits for the lanes, printing progress every $progress_every seconds.
watch_session() {
  local last=$SECONDS pid alive
  while :; do
    alive=0
    for pid in "${lane_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 1 || true  # a signal to the whole group ends it early
    if ((SECONDS - last >= progress_every)); then print_progress; last=$SECONDS; fi
  done
  wait "${lane_pids[@]}" 2>/dev/null || true
}

# ---- summary --------------------------------------------------------------

# Pieces that failed without writing an artifact (a bad flag, a broken build).
failed_pieces() {
  local done_file status
  for done_file in "$session/$1"/log/piece*.done; do
    read -r status _ <"$done_file"
    ((status == 0 || status == interrupt_exit)) || grep -q "Test unit written to " "${done_file%.done}.log" ||
      echo "${done_file%.done}.log exited with status $status"
  done
}

# ---- reports (--report) -----------------------------------------------------

xml_escaped() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' <<<"$1"; }
json_escaped() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' <<<"$1"; }

# The summary's figures and crashes of every target, one line each:
# "T target seconds execs exec/s cov ft corpus new", "C target artifact",
# "E target message".
summary_records() {
  local target execs cov ft run_ms running finished corpus artifact line
  for target in "${targets[@]}"; do
    read -r execs cov ft run_ms running finished < <(target_status "$target")
    corpus=$(count_files "$session/$target/corpus")
    echo "T $target $((run_ms / 1000)) $execs $(per_second "$execs" "$run_ms") $cov $ft $corpus $((corpus - corpus_before[$target]))"
    while read -r artifact; do echo "C $target $artifact"; done < <(session_artifacts "$target")
    while read -r line; do echo "E $target $line"; done < <(failed_pieces "$target")
  done
}

# JUnit: a test case per target; a crash is a failure whose text says how to
# reproduce it and ends in its signature (crash: crash, leak, timeout or oom).
junit_report() {
  local records kind target seconds rest tests failures errors
  records="$(summary_records)"
  tests=$(grep -c '^T ' <<<"$records" || true)
  failures=$(grep -c '^C ' <<<"$records" || true)
  errors=$(grep -c '^E ' <<<"$records" || true)
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuites name=\"fuzz.sh\" tests=\"$tests\" failures=\"$failures\" errors=\"$errors\">"
  echo "  <testsuite name=\"fuzz.sh\" tests=\"$tests\" failures=\"$failures\" errors=\"$errors\">"
  for target in "${targets[@]}"; do
    read -r _ _ seconds _ <<<"$(grep "^T $target " <<<"$records")"
    echo "    <testcase classname=\"fuzz\" name=\"$target\" time=\"$seconds\">"
    while read -r kind _ rest; do
      [[ -n "$kind" ]] || continue
      if [[ "$kind" == C ]]; then
        echo "      <failure message=\"$(xml_escaped "crash: $rest")\" type=\"crash\">$(xml_escaped "reproduce: $build/fuzz/$target $rest")"
        echo "  signature: crash: $(basename "$rest" | sed 's/-.*//')</failure>"
      else
        echo "      <error message=\"$(xml_escaped "$rest")\" type=\"fuzzer failed\"/>"
      fi
    done < <(grep -E "^[CE] $target " <<<"$records" || true)
    echo "    </testcase>"
  done
  echo "  </testsuite>"
  echo "</testsuites>"
}

json_report() {
  local session_seconds="$seconds"
  local records target target_seconds execs rate cov ft corpus new first=1 kind rest sep
  records="$(summary_records)"
  echo "{\"seconds\": $session_seconds, \"cores\": $lanes, \"targets\": ["
  for target in "${targets[@]}"; do
    read -r _ _ target_seconds execs rate cov ft corpus new <<<"$(grep "^T $target " <<<"$records")"
    ((first)) || echo ","
    first=0
    printf '  {"target": "%s", "seconds": %d, "execs": %d, "exec_per_second": %d, "cov": %d, "ft": %d, "corpus": %d, "new": %d, "crashes": [' \
      "$target" "$target_seconds" "$execs" "$rate" "$cov" "$ft" "$corpus" "$new"
    sep=""
    while read -r kind _ rest; do
      [[ "$kind" == C ]] || continue
      printf '%s{"artifact": "%s", "reproduce": "%s"}' "$sep" "$(json_escaped "$rest")" "$(json_escaped "$build/fuzz/$target $rest")"
      sep=", "
    done < <(grep -E "^C $target " <<<"$records" || true)
    printf '], "errors": ['
    sep=""
    while read -r kind _ rest; do
      [[ "$kind" == E ]] || continue
      printf '%s"%s"' "$sep" "$(json_escaped "$rest")"
      sep=", "
    done < <(grep -E "^E $target " <<<"$records" || true)
    printf ']}'
  done
  echo
  echo "]}"
}

write_reports() {
  local i
  for ((i = 0; i < ${#reports[@]}; i += 2)); do
    "${reports[i]}_report" >"${reports[i + 1]}.tmp" && mv "${reports[i + 1]}.tmp" "${reports[i + 1]}"
    echo "fuzz: ${reports[i]} report: ${reports[i + 1]}"
  done
}

print_summary() {
  local target execs cov ft run_ms running finished corpus artifact failures=0 line
  echo
  echo "fuzz: summary of ${seconds}s on $lanes cores${interrupted:+ (interrupted)}; logs in $session/<target>/log"
  printf '%-19s %8s %11s %8s %6s %7s %7s %5s %8s\n' target seconds execs exec/s cov ft corpus new crashes
  for target in "${targets[@]}"; do
    read -r execs cov ft run_ms running finished < <(target_status "$target")
    corpus=$(count_files "$session/$target/corpus")
    printf '%-19s %8d %11d %8d %6d %7d %7d %+5d %8d\n' "$target" $((run_ms / 1000)) "$execs" \
      "$(per_second "$execs" "$run_ms")" "$cov" "$ft" "$corpus" $((corpus - corpus_before[$target])) \
      "$(session_artifacts "$target" | wc -l)"
  done
  echo "(seconds of all the target's processes; exec/s per process; cov/ft as of the last status line;"
  echo " new = files added to the working corpus)"
  for target in "${targets[@]}"; do
    while read -r artifact; do
      failures=$((failures + 1))
      echo "crash: $target: $artifact"
      echo "  log:       $(grep -lF "Test unit written to $artifact" "$session/$target"/log/piece*.log | head -n 1)"
      echo "  reproduce: $build/fuzz/$target $artifact"
      [[ "$target" != differential_fuzzer ]] || echo "  replay:    $build/cli/gcverify replay $artifact"
    done < <(session_artifacts "$target")
    while read -r line; do
      failures=$((failures + 1))
      echo "error: $target: $line"
    done < <(failed_pieces "$target")
  done
  write_reports
  if ((failures)); then
    echo "fuzz: $failures crash(es) or failure(s); working corpora in $session/<target>/corpus"
    exit 1
  fi
  echo "fuzz: no crashes; working corpora in $session/<target>/corpus"
  if [[ -n "${interrupted:-}" ]]; then exit 130; fi
  exit 0
}

main() {
  parse_arguments "$@"
  if ((build_first)); then build_targets; fi
  check_targets
  mkdir -p "$session"
  echo "fuzz: ${targets[*]} for ${seconds}s on $lanes cores; session in $session"
  trap interrupt_session INT TERM
  start_session
  watch_session
  print_summary
}

main "$@"
