#!/usr/bin/env bash
# Offline replay throughput: Argos against the Argus 3.0.8.2 sensor on the
# same synthetic pcap, with result checks.
#
#   perf/bench_pcap.sh [--packets 2000000] [--flows 100000] [--runs 5]
#                      [--size 64] [--seed 1] [--build DIR] [--target 20]
#
# 1. Builds DIR (default build/) with ninja, configuring it first if needed.
# 2. Writes perf/out/synth-<packets>p-<flows>f-<size>b-s<seed>.pcap with
#    perf/gen_pcap (deterministic; ~80% TCP, ~20% UDP, flows interleaved).
# 3. Runs, --runs times and interleaved so that machine noise hits every
#    command alike:
#      argus -X -r PCAP -w OUT
#      argos -r PCAP -w OUT --workers 1
#      argos -r PCAP -w OUT --workers 2
#    Every run writes a fresh OUT under perf/out (argus appends to existing
#    files), deleted before the next run.
# 4. Reports the median wall time of each command, Mpps (packets / median)
#    and the ratio argus median / argos median. Medians, because single runs
#    on a shared machine are noisy; the individual times are printed too.
#    CPU seconds (user + sys, all threads) are reported beside wall time:
#    argus's wall time moves in steps of about one second (its shutdown waits
#    for a one-second timer tick: 10 packets take 1.01 s, 1.5M packets too),
#    so its CPU time is the steadier measure of its processing cost. The
#    verdict uses the wall-time ratio; the CPU-time ratio is printed with it.
# 5. Checks the last output of each command: flow records after merging
#    status records (racluster -M norep) must agree between Argos and Argus
#    within 0.1%, and Argos's packet and byte totals must equal the input.
#
# Exit status: 0 all checks pass and the ratio meets --target; 1 a check
# failed; 2 usage, build or tool error; 3 checks pass but the ratio is below
# --target. The last line is always "ratio X.X (target >= T): PASS|FAIL".

set -euo pipefail

packets=2000000
flows=100000
runs=5
size=64
seed=1
target=20
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$root/build

usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --packets) packets=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --build) build_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_pcap: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for v in packets flows runs size seed; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench_pcap: --$v must be a number" >&2; exit 2; }
done
[[ $runs -ge 1 ]] || { echo "bench_pcap: --runs must be >= 1" >&2; exit 2; }

die() { echo "bench_pcap: $*" >&2; echo "ratio n/a (target >= $target): FAIL"; exit 2; }

for tool in argus ra racluster; do
  command -v "$tool" >/dev/null || die "'$tool' not found (scripts/ installs Argus and its clients)"
done

# ---------------------------------------------------------------- build
if [[ ! -f $build_dir/build.ninja ]]; then
  meson setup "$build_dir" "$root" >/dev/null || die "meson setup $build_dir failed"
fi
if ! ninja -C "$build_dir" >"$root/perf/.ninja.log" 2>&1; then
  # A half-finished module elsewhere should not stop the benchmark when the
  # two binaries it needs still build.
  echo "bench_pcap: full build failed (see perf/.ninja.log); building only what we need" >&2
  ninja -C "$build_dir" perf/gen_pcap >/dev/null 2>&1 || die "cannot build perf/gen_pcap"
  ninja -C "$build_dir" app/argos >/dev/null 2>&1 || true
fi
rm -f "$root/perf/.ninja.log"
gen=$build_dir/perf/gen_pcap
argos=$build_dir/app/argos
have_argos=1
[[ -x $argos ]] || have_argos=0

# ---------------------------------------------------------------- input
out_dir=$root/perf/out
mkdir -p "$out_dir"
pcap=$out_dir/synth-${packets}p-${flows}f-${size}b-s${seed}.pcap
"$gen" --packets "$packets" --flows "$flows" --size "$size" --seed "$seed" --out "$pcap" \
  || die "gen_pcap failed"
cat "$pcap" >/dev/null  # every command then reads from the page cache

# ---------------------------------------------------------------- runs
names=(argus)
cmds=("argus -X -r $pcap -w @OUT@")
if [[ $have_argos == 1 ]]; then
  names+=(argos-w1 argos-w2)
  cmds+=("$argos -r $pcap -w @OUT@ --workers 1" "$argos -r $pcap -w @OUT@ --workers 2")
fi
declare -A times cpu_times
TIMEFORMAT='%3R %3U %3S'  # bash's time keyword: wall, user, sys seconds

for ((r = 1; r <= runs; r++)); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    out=$out_dir/$name.argus
    rm -f "$out"
    cmd=${cmds[$i]//@OUT@/$out}
    # shellcheck disable=SC2086  # the command is a word list on purpose
    if ! { time $cmd >"$out_dir/$name.stdout" 2>"$out_dir/$name.stderr"; } 2>"$out_dir/$name.time"
    then
      echo "bench_pcap: run $r of $name failed: $cmd" >&2
      tail -n 5 "$out_dir/$name.stderr" >&2
      echo "ratio n/a (target >= $target): FAIL"
      exit 1
    fi
    read -r wall user sys <"$out_dir/$name.time"
    times[$name]+="$wall "
    cpu_times[$name]+="$(echo "$user + $sys" | bc -l) "
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) printf "%.4f", v[(NR + 1) / 2]; else printf "%.4f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- checks
# Flow records after merging status records of the same flow.
count_flows() { racluster -M norep -r "$1" -n -s proto - not man | tail -n +2 | wc -l; }
# Sum of one numeric column over all flow records (MARs excluded).
sum_field() { ra -r "$1" -n -s "$2" - not man | awk '$1 ~ /^[0-9]+$/ { s += $1 } END { printf "%d", s }'; }

echo "== bench_pcap: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" describe --always --dirty 2>/dev/null || echo none)"
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
  "$(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"
echo "input:   $pcap"
echo "         $packets packets, $flows flows, $size bytes per frame, seed $seed"
echo "runs:    $runs per command, interleaved; wall time, medians compared"
echo

status=0
wire_bytes=$((packets * size))
declare -A med cpu_med flowcount
printf '%-9s %-40s %7s %6s %-40s %7s %9s %9s\n' command "wall seconds per run" median Mpps \
  "cpu seconds per run" median flows pkts
for name in "${names[@]}"; do
  out=$out_dir/$name.argus
  med[$name]=$(echo "${times[$name]}" | median)
  cpu_med[$name]=$(echo "${cpu_times[$name]}" | median)

  mpps=$(echo "$packets / ${med[$name]} / 1000000" | bc -l)
  flowcount[$name]=$(count_flows "$out")
  pkts=$(sum_field "$out" pkts)
  bytes=$(sum_field "$out" bytes)
  per_run=$(for t in ${times[$name]}; do printf '%.3f ' "$t"; done)
  cpu_per_run=$(for t in ${cpu_times[$name]}; do printf '%.3f ' "$t"; done)
  printf '%-9s %-40s %7.3f %6.2f %-40s %7.3f %9d %9d\n' "$name" "$per_run" "${med[$name]}" \
    "$mpps" "$cpu_per_run" "${cpu_med[$name]}" "${flowcount[$name]}" "$pkts"
  if [[ $name == argos-* ]]; then
    if [[ $pkts != "$packets" || $bytes != "$wire_bytes" ]]; then
      echo "  CHECK FAILED: $name counted $pkts packets / $bytes bytes," \
        "input has $packets / $wire_bytes" >&2
      status=1
    fi
  elif [[ $pkts != "$packets" ]]; then
    echo "  note: argus counted $pkts packets of $packets" >&2
  fi
done

if [[ $have_argos == 1 ]]; then
  for name in argos-w1 argos-w2; do
    a=${flowcount[argus]}
    b=${flowcount[$name]}
    diff=$((a > b ? a - b : b - a))
    # more than 0.1% apart fails: diff / argus > 1/1000
    if ((diff * 1000 > a)); then
      echo "  CHECK FAILED: $name has $b flows, argus $a (more than 0.1% apart)" >&2
      status=1
    fi
  done
  echo
  echo "argos stderr summary (workers 1, last run):"
  grep -v '^[[:space:]]*$' "$out_dir/argos-w1.stderr" | tail -n 3 | sed 's/^/  /'
  echo "argos stderr summary (workers 2, last run):"
  grep -v '^[[:space:]]*$' "$out_dir/argos-w2.stderr" | tail -n 3 | sed 's/^/  /'
  bpf=$(grep -ohiE 'bytes[_ /-]?per[_ -]?flow[^0-9]{0,4}[0-9.]+' "$out_dir/argos-w1.stderr" \
    | grep -oE '[0-9.]+$' | head -n 1 || true)
  echo "flow table bytes per flow: ${bpf:-not reported by argos (see perf/RESULTS.md)}"
  echo
  best="argos-w1"
  if (($(echo "${med[argos-w2]} < ${med[argos-w1]}" | bc -l))); then best="argos-w2"; fi
  for name in argos-w1 argos-w2; do
    printf 'wall-time ratio argus/%s: %.1f\n' "$name" "$(echo "${med[argus]} / ${med[$name]}" | bc -l)"
  done
  for name in argos-w1 argos-w2; do
    printf 'cpu-time ratio argus/%s: %.1f\n' "$name" \
      "$(echo "${cpu_med[argus]} / ${cpu_med[$name]}" | bc -l)"
  done
  ratio=$(echo "${med[argus]} / ${med[$best]}" | bc -l)
  pass=$(echo "$ratio >= $target" | bc -l)
  echo "checks: $([[ $status == 0 ]] && echo passed || echo FAILED); best argos: $best"
  if [[ $status != 0 ]]; then
    verdict=FAIL
  elif [[ $pass == 1 ]]; then
    verdict=PASS
  else
    verdict=FAIL
    status=3
  fi
  printf 'ratio %.1f (target >= %s): %s\n' "$ratio" "$target" "$verdict"
else
  printf 'argus on cpu time: %.2f Mpps (packets / median cpu seconds)\n' \
    "$(echo "$packets / ${cpu_med[argus]} / 1000000" | bc -l)"
  echo
  echo "argos: $argos was not built; only argus was measured"
  echo "ratio n/a (target >= $target): FAIL"
  status=2
fi
exit "$status"
