#!/usr/bin/env bash
# Run every Argos test and print "N passed, N failed" as the very last line.
#
#   scripts/test.sh
#
# Steps (each step's log goes to build-test-logs/):
#   0. scripts/setup.sh: install missing packages, configure and build ./build
#   a. meson test -C build: unit tests and the parity tests against the real
#      argus (tests/parity/); one test per registered meson test
#   b. sanitizer build (build-asan, ASan+UBSan): its argos replays every file
#      of tests/data/pcaps, with 1 and with 2 workers, and with 1 worker and
#      every record switch written (-A -Z -m -J -U 64, bidirectional timestamps,
#      TCP_STATUS); must exit 0 or 1 with no
#      sanitizer report; one test per capture file
#   b2. valgrind memcheck: the release argos replays the captures (but the
#      large ones); no uninitialised byte may be used or written
#   c. libFuzzer build (build-fuzz, clang): each fuzz target runs for
#      FUZZ_SECONDS (default 20) seconds, seeded from tests/data/pcaps, through
#      tests/fuzz/run_fuzz.sh when present; one test per target
# Build directories are reused when present. Exit status is non-zero when any
# test failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

LOGDIR=build-test-logs
PCAPDIR=tests/data/pcaps
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_TARGETS=(fuzz_parser fuzz_pcap fuzz_config fuzz_filter)
REPLAY_TIMEOUT=${REPLAY_TIMEOUT:-300}

rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s%s\n' "$1" "${2:+  ($2)}"; }
step() { printf '\n== %s\n' "$*"; }

# configure DIR [meson options...]: meson setup unless DIR is configured
# (a failed earlier setup leaves no build.ninja and is simply retried).
configure() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    return 0
  elif [ -f "$dir/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# Sanitizer reports must stop the program with a status that cannot be
# mistaken for argos' own exit codes (0, 1, 2): abort (SIGABRT).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:abort_on_error=1

pcaps=()
for f in "$PCAPDIR"/*.pcap "$PCAPDIR"/*.pcapng; do
  [ -f "$f" ] && pcaps+=("$f")
done

# ---------------------------------------------------------------- 0. setup
step "setup and build (log: $LOGDIR/setup.log)"
build_ok=1
if ! bash scripts/setup.sh >"$LOGDIR/setup.log" 2>&1; then
  build_ok=0
  tail -n 20 "$LOGDIR/setup.log"
  fail build "scripts/setup.sh failed, see $LOGDIR/setup.log"
fi

# ---------------------------------------------------------------- a. meson test
run_parity_directly() {
  # Used only when tests/meson.build does not register the parity tests.
  local mode
  for mode in corpus ra-reads workers bad-input; do
    if python3 tests/parity/parity.py "$mode" --argos build/app/argos \
         --pcaps "$PCAPDIR" --deviations tests/parity/deviations.txt \
         >"$LOGDIR/parity-$mode.log" 2>&1; then
      pass "parity-$mode"
    else
      fail "parity-$mode" "see $LOGDIR/parity-$mode.log"
    fi
  done
}

if [ $build_ok -eq 1 ]; then
  step "meson test -C build (log: $LOGDIR/meson-test.log)"
  testlog=build/meson-logs/testlog.json
  rm -f "$testlog"
  meson test -C build --print-errorlogs >"$LOGDIR/meson-test.log" 2>&1
  mrc=$?
  if [ -f "$testlog" ]; then
    cp "$testlog" "$LOGDIR/meson-testlog.json"
    # One line per test: PASS/FAIL/SKIP NAME [RESULT]; last line: counts.
    summary=$(python3 - "$testlog" <<'EOF'
import json, sys
good = {"OK", "EXPECTEDFAIL"}
skip = {"SKIP"}
npass = nfail = 0
names = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    t = json.loads(line)
    name, res = t.get("name", "?"), str(t.get("result", "?")).upper()
    names.append(name)
    if res in good:
        npass += 1
        print(f"PASS  {name}")
    elif res in skip:
        print(f"SKIP  {name}")
    else:
        nfail += 1
        print(f"FAIL  {name}  ({res})")
        # The last lines of its output, so a CI log shows why without the artifacts.
        out = ((t.get("stdout") or "") + (t.get("stderr") or "")).rstrip().splitlines()
        for l in out[-12:]:
            print(f"      | {l}")
print(f"COUNTS {npass} {nfail} {any(n.endswith('parity-corpus') for n in names)}")
EOF
)
    printf '%s\n' "$summary" | grep -v '^COUNTS '
    read -r _ np nf has_parity <<<"$(printf '%s\n' "$summary" | grep '^COUNTS ')"
    passed=$((passed + np))
    failed=$((failed + nf))
    if [ "$mrc" -ne 0 ] && [ "$nf" -eq 0 ]; then
      fail meson-test "meson test exited $mrc, see $LOGDIR/meson-test.log"
    fi
    if [ "$has_parity" != "True" ]; then
      echo "(parity tests are not registered with meson; running them directly)"
      run_parity_directly
    fi
  else
    tail -n 30 "$LOGDIR/meson-test.log"
    fail meson-test "no test results (exit $mrc), see $LOGDIR/meson-test.log"
  fi
else
  # The whole build failed; if argos itself still builds, the parity tests
  # can run on their own.
  if ninja -C build app/argos >"$LOGDIR/argos-build.log" 2>&1; then
    echo "(meson test skipped: the build failed; argos builds, running the parity tests directly)"
    run_parity_directly
  else
    echo "(meson test and parity tests skipped: argos does not build)"
  fi
fi

# ---------------------------------------------------------------- b. sanitizers
step "sanitizer build build-asan (log: $LOGDIR/asan-build.log)"
asan_ok=1
{
  configure build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug &&
  ninja -C build-asan app/argos
} >"$LOGDIR/asan-build.log" 2>&1 || asan_ok=0

if [ $asan_ok -eq 0 ]; then
  tail -n 20 "$LOGDIR/asan-build.log"
  fail asan-build "see $LOGDIR/asan-build.log"
else
  step "sanitizer replays of ${#pcaps[@]} captures (logs: $LOGDIR/asan-*.log)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  printf 'metrics:\n  bidirectional_timestamps: true\n  tcp_perf: false\n' >"$tmp/switches.yaml"
  for f in "${pcaps[@]}"; do
    name=$(basename "$f")
    log="$LOGDIR/asan-$name.log"
    why=""
    : >"$log"
    for run in 1 2 switches; do
      workers=${run/switches/1}
      extra=()
      [ "$run" = switches ] && extra=(-A -Z -m -J -U 64 -F "$tmp/switches.yaml")
      rm -f "$tmp/out.argus"
      echo "\$ build-asan/app/argos --workers $workers ${extra[*]} -r $f -w out.argus" >>"$log"
      timeout "$REPLAY_TIMEOUT" build-asan/app/argos --workers "$workers" "${extra[@]}" \
        -r "$f" -w "$tmp/out.argus" >>"$log" 2>&1
      rc=$?
      echo "exit $rc" >>"$log"
      if [ $rc -eq 124 ]; then
        why="timeout after ${REPLAY_TIMEOUT}s with $workers worker(s)"
      elif [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        why="exit $rc with $workers worker(s)"
      fi
      if grep -qE 'Sanitizer|runtime error:' "$log"; then
        why="${why:+$why; }sanitizer report with $workers worker(s)"
      fi
      [ -n "$why" ] && break
    done
    if [ -z "$why" ]; then pass "asan-replay $name"; else fail "asan-replay $name" "$why, see $log"; fi
  done
fi

# ---------------------------------------------------------------- b2. memcheck
# AddressSanitizer does not see uninitialised bytes; valgrind's memcheck does,
# including any that would reach an output file. The release binary replays
# every capture but the three large ones (too slow under valgrind), with the
# default records and with every record switch.
if [ -x build/app/argos ] && command -v valgrind >/dev/null; then
  step "memcheck replays (logs: $LOGDIR/memcheck-*.log)"
  mtmp=$(mktemp -d)
  for f in "${pcaps[@]}"; do
    name=$(basename "$f")
    case "$name" in large-*) continue ;; esac
    log="$LOGDIR/memcheck-$name.log"
    rm -f "$mtmp/out.argus" "$mtmp/switches.argus"
    printf 'metrics:\n  bidirectional_timestamps: true\n  tcp_perf: false\n' >"$mtmp/switches.yaml"
    timeout "$REPLAY_TIMEOUT" valgrind --error-exitcode=99 --quiet \
      build/app/argos --flows 65536 -r "$f" -w "$mtmp/out.argus" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
      timeout "$REPLAY_TIMEOUT" valgrind --error-exitcode=99 --quiet \
        build/app/argos --flows 65536 -A -Z -m -J -U 64 -F "$mtmp/switches.yaml" -r "$f" -w "$mtmp/switches.argus" >>"$log" 2>&1
      rc=$?
    fi
    if [ $rc -eq 99 ] || grep -qE 'uninitialised|Invalid (read|write)' "$log"; then
      fail "memcheck $name" "see $log"
    elif [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
      fail "memcheck $name" "exit $rc, see $log"
    else
      pass "memcheck $name"
    fi
  done
  rm -rf "$mtmp"
else
  fail memcheck "build/app/argos or valgrind missing"
fi

# ---------------------------------------------------------------- c. fuzzing
step "fuzz build build-fuzz (log: $LOGDIR/fuzz-build.log)"
fuzz_configured=1
CXX=clang++ configure build-fuzz -Dfuzz=true -Db_lundef=false \
  -Dbuildtype=debugoptimized >"$LOGDIR/fuzz-build.log" 2>&1 || fuzz_configured=0

# libFuzzer saves the failing input itself; let it (no abort_on_error).
fuzz_env=(env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)

fuzz_builtin() {
  # Used when tests/fuzz/run_fuzz.sh is absent: build each target and run it
  # seeded with the whole capture files.
  local t corpus log rc artifact runs
  for t in "${FUZZ_TARGETS[@]}"; do
    if ! ninja -C build-fuzz "tests/fuzz/$t" >"$LOGDIR/fuzz-build-$t.log" 2>&1 ||
       [ ! -x "build-fuzz/tests/fuzz/$t" ]; then
      fail "fuzz $t" "target did not build, see $LOGDIR/fuzz-build-$t.log"
      continue
    fi
    corpus="build-fuzz/fuzz-corpus/$t"      # kept between runs
    mkdir -p "$corpus"
    log="$LOGDIR/fuzz-$t.log"
    timeout $((FUZZ_SECONDS + 300)) "${fuzz_env[@]}" "build-fuzz/tests/fuzz/$t" \
      -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$root/$LOGDIR/$t-" \
      "$corpus" "$PCAPDIR" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
      pass "fuzz $t (${FUZZ_SECONDS}s, ${runs:-?} runs)"
    else
      artifact=$(ls "$LOGDIR/$t-"* 2>/dev/null | head -n 1)
      fail "fuzz $t" "exit $rc${artifact:+, input: $artifact}, see $log"
    fi
  done
}

if [ $fuzz_configured -eq 0 ]; then
  for t in "${FUZZ_TARGETS[@]}"; do
    fail "fuzz $t" "meson setup build-fuzz failed, see $LOGDIR/fuzz-build.log"
  done
elif [ -f tests/fuzz/run_fuzz.sh ]; then
  # The fuzz targets' own runner: per-target seeds, regression inputs of
  # tests/fuzz/crashers/, then the bounded run. It prints one
  # "PASS  fuzz TARGET ..." or "FAIL  fuzz TARGET ..." line per target.
  step "tests/fuzz/run_fuzz.sh build-fuzz $FUZZ_SECONDS (logs: $LOGDIR/fuzz/)"
  FUZZ_LOG_DIR="$LOGDIR/fuzz" "${fuzz_env[@]}" \
    bash tests/fuzz/run_fuzz.sh build-fuzz "$FUZZ_SECONDS" "${FUZZ_TARGETS[@]}" \
    >"$LOGDIR/fuzz-run.log" 2>&1
  frc=$?
  for t in "${FUZZ_TARGETS[@]}"; do
    line=$(grep -E "^(PASS|FAIL)  fuzz $t( |\$)" "$LOGDIR/fuzz-run.log" | tail -n 1)
    case $line in
      PASS*) pass "${line#PASS  }" ;;
      FAIL*) fail "${line#FAIL  }" ;;
      *) fail "fuzz $t" "no result from run_fuzz.sh (exit $frc), see $LOGDIR/fuzz-run.log" ;;
    esac
  done
else
  step "fuzz runs of ${FUZZ_SECONDS}s (logs: $LOGDIR/fuzz-*.log)"
  fuzz_builtin
fi

echo
echo "logs: $LOGDIR/"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
