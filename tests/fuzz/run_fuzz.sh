#!/usr/bin/env bash
# Replays the regression inputs, then fuzzes each target for a while.
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a build configured with -Dfuzz=true (see tests/fuzz/meson.build);
# the targets are built here with ninja. TARGET defaults to every target.
# For each target:
#   1. seeds from tests/data/pcaps go to a temporary directory (seeds.py):
#      whole captures for fuzz_pcap, one file per frame for fuzz_parser; the
#      example configurations (config/examples) for fuzz_config; the lines
#      of filter_seeds.txt for fuzz_filter;
#   2. every file of tests/fuzz/crashers/TARGET/ is run once: inputs that
#      crashed once must not crash again;
#   3. the fuzzer runs for SECONDS (-max_total_time) from the seeds and the
#      kept corpus BUILD_DIR/fuzz-corpus/TARGET, where new inputs are added.
# Any crash, leak, timeout (-timeout=10), out-of-memory (-rss_limit_mb=2048)
# or sanitizer report fails the target. Prints one "PASS  fuzz TARGET ..." or
# "FAIL  fuzz TARGET ..." line per target; exit status 1 when any failed,
# 2 on a usage error.
#
# Environment: FUZZ_LOG_DIR (default BUILD_DIR/fuzz-logs) receives one log per
# step and the input of any failure (TARGET-crash-..., -leak-, -timeout-,
# -oom-); FUZZ_CORPUS_DIR (default BUILD_DIR/fuzz-corpus) the kept corpora.
set -uo pipefail

usage() {
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || { echo "run_fuzz: no build directory '$1'" >&2; exit 2; }
seconds=$2
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_parser fuzz_pcap fuzz_config fuzz_filter)

logdir=${FUZZ_LOG_DIR:-$build/fuzz-logs}
corpusdir=${FUZZ_CORPUS_DIR:-$build/fuzz-corpus}
mkdir -p "$logdir" "$corpusdir"
logdir=$(cd "$logdir" && pwd)
pcapdir=$root/tests/data/pcaps
crashdir=$here/crashers

# A sanitizer report must end the run with an error and a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
command -v llvm-symbolizer >/dev/null 2>&1 &&
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}

# Largest input per target: a frame is cut at PcapFileSource::kMaxCopyBytes
# (plus the selector and time header); a capture at 64 KiB.
max_len() {
  case $1 in
    fuzz_parser) echo 2061 ;;
    *) echo 65536 ;;
  esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pcaps=()
for f in "$pcapdir"/*.pcap "$pcapdir"/*.pcapng; do
  [ -f "$f" ] && pcaps+=("$f")
done

# Lines of a log that say what went wrong.
report_lines() {
  grep -E 'ERROR: |runtime error:|SUMMARY: |fuzz invariant violated|Test unit written|^ *#[0-9]+ 0x' "$1" |
    head -n 25 | sed 's/^/    /'
}

failed=0
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/$t
  blog=$logdir/$t-build.log
  if ! ninja -C "$build" "tests/fuzz/$t" >"$blog" 2>&1 || [ ! -x "$bin" ]; then
    tail -n 20 "$blog" | sed 's/^/    /'
    echo "FAIL  fuzz $t  (did not build, see $blog)"
    failed=1
    continue
  fi
  common=(-timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")")

  # 1. Seeds.
  seeds=$tmp/seeds-$t
  kind=${t#fuzz_}
  if [ "$kind" = config ]; then
    # The shipped example configurations: every section, lists, comments.
    mkdir -p "$seeds" && cp "$root"/config/examples/*.yaml "$seeds"/ 2>"$logdir/$t-seeds.log" ||
      { echo "FAIL  fuzz $t  (no seeds, see $logdir/$t-seeds.log)"; failed=1; continue; }
  elif [ "$kind" = filter ]; then
    # One filter per line of filter_seeds.txt: every word of the language.
    mkdir -p "$seeds"
    n=0
    while IFS= read -r line; do
      printf '%s' "$line" >"$seeds/filter-$n"
      n=$((n + 1))
    done <"$here/filter_seeds.txt"
  elif ! python3 "$here/seeds.py" "$kind" "$seeds" "${pcaps[@]}" >"$logdir/$t-seeds.log" 2>&1; then
    echo "FAIL  fuzz $t  (no seeds, see $logdir/$t-seeds.log)"
    failed=1
    continue
  fi

  # 2. Regression inputs: each file is run once.
  crashers=()
  if [ -d "$crashdir/$t" ]; then
    for f in "$crashdir/$t"/*; do
      [ -f "$f" ] && crashers+=("$f")
    done
  fi
  rlog=$logdir/$t-crashers.log
  : >"$rlog"
  if [ ${#crashers[@]} -gt 0 ]; then
    timeout 600 "$bin" "${common[@]}" "${crashers[@]}" >"$rlog" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || grep -qE 'ERROR: |runtime error:' "$rlog"; then
      report_lines "$rlog"
      bad=$(grep -E '^Running: ' "$rlog" | tail -n 1 | cut -d' ' -f2-)
      echo "FAIL  fuzz $t  (regression input ${bad:-of tests/fuzz/crashers/$t} fails again (exit $rc), see $rlog)"
      failed=1
      continue
    fi
  fi

  # 3. Fuzzing. New inputs go to the kept corpus (first directory); the
  # seeds are only read.
  corpus=$corpusdir/$t
  mkdir -p "$corpus"
  flog=$logdir/$t.log
  rm -f "$logdir/$t"-crash-* "$logdir/$t"-leak-* "$logdir/$t"-timeout-* "$logdir/$t"-oom-* \
    "$logdir/$t"-slow-unit-*
  timeout $((seconds + 600)) "$bin" "${common[@]}" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$logdir/$t-" "$corpus" "$seeds" >"$flog" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$flog" | grep -oE '[0-9]+$' | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$flog" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  stats="${seconds}s, ${runs:-?} runs, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, ${#crashers[@]} regression inputs"
  if [ $rc -eq 0 ] && ! grep -qE 'ERROR: |runtime error:' "$flog"; then
    echo "PASS  fuzz $t  ($stats)"
  else
    report_lines "$flog"
    artifact=$(ls "$logdir/$t"-crash-* "$logdir/$t"-leak-* "$logdir/$t"-timeout-* \
      "$logdir/$t"-oom-* 2>/dev/null | head -n 1)
    [ $rc -eq 124 ] && why="hung past ${seconds}s + 600s" || why="exit $rc"
    echo "FAIL  fuzz $t  ($why${artifact:+, input: $artifact (keep it in tests/fuzz/crashers/$t/)}, see $flog)"
    failed=1
  fi
done
exit $failed
