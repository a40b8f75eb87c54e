#!/usr/bin/env bash
# DPDK replay throughput: Argos receiving from the net_pcap vdev with
# infinite_rx=1, which loads the whole pcap into mbufs at start-up and replays
# it in a loop for as long as the port runs. No NIC and no hugepages needed.
#
#   perf/bench_dpdk.sh [--flows 1000000] [--packets 1000000] [--seconds 10]
#                      [--runs 3] [--size 64] [--seed 1] [--mem 2048] [--warmup 2]
#                      [--build DIR] [--target 15]
#
# 1. Builds DIR (default build/) with ninja, configuring it first if needed.
# 2. Writes perf/out/synth-<packets>p-<flows>f-<size>b-s<seed>.pcap with
#    perf/gen_pcap. Every flow needs at least one packet in the file, so
#    --packets must be >= --flows. Memory: infinite_rx keeps one mbuf (~2.2 KB
#    with the default data room) per packet of the file, so the default is
#    1M packets over the issue's 1M flows (about 2.2 GB of mbufs, one packet
#    per flow per loop) rather than 4M (about 9 GB). The mbufs come from the
#    port's mempool, which Argos creates; --mem (MB) is the EAL -m, for the
#    pool and the rest of DPDK's memory.
# 3. Runs, --runs times and interleaved, three set-ups: 1 worker on one
#    queue; 2 workers sharing one queue by software dispatch; 2 queues with a
#    worker each (the pcap split in two by the symmetric flow hash with
#    tests/dpdk/split_pcap, one rx_pcap file per queue, as symmetric RSS
#    would spread the flows):
#      argos -i dpdk:net_pcap0 --workers W [--rx-queues 2] -w OUT --eal
#        "--no-huge --no-pci --no-shconf -m MEM -l 0 --log-level lib.*:error
#        --vdev net_pcap0,rx_pcap=PCAP[,rx_pcap=PCAP2],infinite_rx=1"
#    twice: a short run stopped with SIGINT 2 s after launch and a long run
#    stopped --seconds later than that (2 + seconds after launch). Both pay
#    the same start-up (EAL, loading the pcap into mbufs, flow tables), so
#    Mpps = (packets of long run - packets of short run) / --seconds counts
#    only steady-state receive time, measured from the first packet on.
#    The start-up (launch to first packet) must be under 2 s; the script
#    checks that the short run received packets.
# 4. Reports, per worker count: Mpps of every run and the median, ns per
#    packet per busy core (1e9 / pps x cores), records, drops and
#    bytes_per_flow, all from Argos's one-line summary on stderr. With
#    --workers 1 one core is counted (the worker polls the port itself; the
#    exporter and main threads are nearly idle). With --workers 2 on this
#    2-CPU machine the reader thread and both workers (and the exporter)
#    share the 2 CPUs, so 2 cores are counted; the same with 2 queues (no
#    reader thread there: each worker polls its own queue).
# 5. Checks every run: exit status 0 after SIGINT (no crash), summary present,
#    packets <= port.received and port.received - packets no more than the
#    software-dispatch rings can hold (workers x 64 bursts x 32 packets; 0 with
#    one worker), and, for the last long run of each worker count,
#    `ra -r OUT -n` exits 0 with empty stderr. Outputs are deleted after use
#    (with 1M flows they hold hundreds of MB).
#
# Exit status: 0 checks pass and Mpps per core meets --target; 1 a check
# failed; 2 usage, build or tool error (including Argos refusing the port);
# 3 checks pass but below target. The last line is always
# "Mpps per core X (target >= T): PASS|FAIL".

set -euo pipefail

flows=1000000
packets=1000000
seconds=10
runs=3
size=64
seed=1
mem=2048
target=15
warmup=2
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$root/build

usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --flows) flows=$2; shift 2 ;;
    --packets) packets=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --build) build_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_dpdk: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for v in flows packets seconds runs size seed mem; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench_dpdk: --$v must be a number" >&2; exit 2; }
done
die() { echo "bench_dpdk: $*" >&2; echo "Mpps per core n/a (target >= $target): FAIL"; exit 2; }
[[ $runs -ge 1 && $seconds -ge 1 ]] || die "--runs and --seconds must be >= 1"
[[ $packets -ge $flows ]] || die "--packets ($packets) must be >= --flows ($flows): every flow needs a packet"
command -v ra >/dev/null || die "'ra' not found (scripts/ installs the Argus clients)"

# ---------------------------------------------------------------- build
if [[ ! -f $build_dir/build.ninja ]]; then
  meson setup "$build_dir" "$root" >/dev/null || die "meson setup $build_dir failed"
fi
if ! ninja -C "$build_dir" >"$root/perf/.ninja-dpdk.log" 2>&1; then
  echo "bench_dpdk: full build failed (see perf/.ninja-dpdk.log); building only what we need" >&2
  ninja -C "$build_dir" perf/gen_pcap app/argos tests/dpdk/split_pcap >/dev/null 2>&1 ||
    die "cannot build gen_pcap, split_pcap and argos"
fi
rm -f "$root/perf/.ninja-dpdk.log"
gen=$build_dir/perf/gen_pcap
argos=$build_dir/app/argos
split=$build_dir/tests/dpdk/split_pcap
[[ -x $argos && -x $split ]] || die "$argos or $split was not built"

# ---------------------------------------------------------------- input
out_dir=$root/perf/out
mkdir -p "$out_dir"
pcap=$out_dir/synth-${packets}p-${flows}f-${size}b-s${seed}.pcap
"$gen" --packets "$packets" --flows "$flows" --size "$size" --seed "$seed" --out "$pcap" 2>/dev/null \
  || die "gen_pcap failed"

pcap_q0=${pcap%.pcap}-q0.pcap
pcap_q1=${pcap%.pcap}-q1.pcap
"$split" "$pcap" "$pcap_q0" "$pcap_q1" || die "split_pcap failed"
eal_base="--no-huge --no-pci --no-shconf -m $mem -l 0 --log-level lib.*:error"
eal1="$eal_base --vdev net_pcap0,rx_pcap=$pcap,infinite_rx=1"
eal2="$eal_base --vdev net_pcap0,rx_pcap=$pcap_q0,rx_pcap=$pcap_q1,infinite_rx=1"

# Set-ups by tag: 1 = one worker; 2 = two workers, one queue; 2q = two
# queues, a worker each.
workers_of() { [[ $1 == 1 ]] && echo 1 || echo 2; }

# field NAME FILE: value of NAME= in the summary line of FILE
field() { grep -oE "(^| )$1=[0-9]+" "$2" | tail -n 1 | cut -d= -f2 || true; }
num() { local v; v=$(field "$1" "$2"); echo "${v:-0}"; }

status=0
declare -i hung=0
fail() { echo "  CHECK FAILED: $*" >&2; status=1; }

# run_one SETUP LEN TAG: launch argos, SIGINT after LEN s, check, leave
# stderr in $out_dir/dpdk-TAG.stderr and the output in $out_dir/dpdk-TAG.argus
run_one() {
  local setup=$1 len=$2 tag=$3
  local w out=$out_dir/dpdk-$tag.argus err=$out_dir/dpdk-$tag.stderr
  w=$(workers_of "$setup")
  rm -f "$out"
  local -a qargs=() eal=$eal1
  if [[ $setup == 2q ]]; then qargs=(--rx-queues 2); eal=$eal2; fi
  # infinite_rx holds the whole file in mbufs: one per packet, plus the rings.
  "$argos" -i dpdk:net_pcap0 --workers "$w" "${qargs[@]}" -w "$out" --eal "$eal" \
    --mbufs $((packets + 16384)) >/dev/null 2>"$err" &
  local pid=$!
  sleep "$len"
  kill -INT "$pid" 2>/dev/null || true
  # A run that has not exited 20 s after SIGINT is stuck: a failed check;
  # it is then killed so that the benchmark goes on.
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$tag: argos --workers $w still running 20 s after SIGINT; killed (SIGKILL)"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    hung+=1
    return
  fi
  local rc=0
  wait "$pid" || rc=$?
  if [[ $rc != 0 ]]; then
    echo "bench_dpdk: argos --workers $w ($tag) exited with status $rc:" >&2
    grep -v '^[[:space:]]*$' "$err" | tail -n 5 | sed 's/^/  /' >&2
    die "argos failed (see $err)"
  fi
  grep -q 'stopped_by_signal=1' "$err" || fail "$tag: no summary line with stopped_by_signal=1"
  local p r
  p=$(field packets "$err"); r=$(field port.received "$err")
  [[ -n $p && -n $r ]] || { fail "$tag: summary lacks packets= or port.received="; return; }
  local slack=0
  [[ $setup == 2 ]] && slack=$((w * 64 * 32))
  if ((p > r || r - p > slack)); then
    fail "$tag: packets=$p, port.received=$r (at most $slack may stay in the dispatch rings)"
  fi
}

echo "== bench_dpdk: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" describe --always --dirty 2>/dev/null || echo none)"
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
  "$(free -g | awk '/^Mem:/ { print $2 }') GiB RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input:   $pcap"
echo "         $packets packets, $flows flows, $size bytes per frame, seed $seed; replayed in a loop"
echo "runs:    $runs per worker count, interleaved; each a ${warmup} s and a $((warmup + seconds)) s run;"
echo "         Mpps = (packets long - packets short) / $seconds s"
echo

declare -A mpps_runs
for ((r = 1; r <= runs; r++)); do
  for w in 1 2 2q; do
    run_one "$w" "$warmup" "w$w-short"
    ps=$(field packets "$out_dir/dpdk-w$w-short.stderr"); ps=${ps:-0}
    ((ps > 0)) || fail "w$w run $r: no packet within ${warmup} s of launch (start-up too slow)"
    run_one "$w" "$((warmup + seconds))" "w$w-long"
    pl=$(field packets "$out_dir/dpdk-w$w-long.stderr"); pl=${pl:-0}
    if ((ps == 0 || pl == 0)); then
      echo "run $r workers $w: no summary from the short or the long run; not counted"
      rm -f "$out_dir"/dpdk-w$w-*.argus
      continue
    fi
    m=$(echo "($pl - $ps) / $seconds / 1000000" | bc -l)
    mpps_runs[$w]+="$m "
    printf 'run %d set-up %s: short %d packets, long %d packets, %.2f Mpps\n' "$r" "$w" "$ps" "$pl" "$m"
    echo "  $(grep -E 'stopped_by_signal' "$out_dir/dpdk-w$w-long.stderr" | tail -n 1)"
    rm -f "$out_dir/dpdk-w$w-short.argus"
    if ((r == runs)); then
      out=$out_dir/dpdk-w$w-long.argus
      if ! ra -r "$out" -n >/dev/null 2>"$out_dir/dpdk-ra.stderr" || [[ -s $out_dir/dpdk-ra.stderr ]]; then
        fail "set-up $w: ra -r OUT -n failed or wrote to stderr: $(head -c 300 "$out_dir/dpdk-ra.stderr")"
      else
        echo "  ra -r OUT -n: read whole ($(stat -c %s "$out") bytes), empty stderr"
      fi
      rm -f "$out_dir/dpdk-ra.stderr"
    fi
    rm -f "$out_dir/dpdk-w$w-long.argus"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) printf "%.4f", v[(NR + 1) / 2]; else printf "%.4f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
printf '%-8s %-24s %7s %5s %9s %10s %9s %10s %8s %8s %7s\n' set-up "Mpps per run" median cores \
  "Mpps/core" "ns/pkt/core" records batch_drops full_drop missed bytes/flow
best=0
for w in 1 2 2q; do
  e=$out_dir/dpdk-w$w-long.stderr
  med=$(echo "${mpps_runs[$w]}" | median)
  cores=$(workers_of "$w")
  per_core=$(echo "$med / $cores" | bc -l)
  if (($(echo "$med > 0" | bc -l))); then
    ns=$(echo "1000 / $med * $cores" | bc -l)
  else
    ns=0
  fi
  per_run=$(for m in ${mpps_runs[$w]}; do printf '%.2f ' "$m"; done)
  printf '%-8s %-24s %7.2f %5d %9.2f %10.1f %9s %10s %8s %8s %7s\n' "$w" "$per_run" "$med" "$cores" \
    "$per_core" "$ns" "$(field records "$e")" "$(field worker.batch_drops "$e")" \
    "$(field table.full_drops "$e")" "$(( $(num port.missed "$e") + $(num port.no_mbuf "$e") ))" \
    "$(field bytes_per_flow "$e")"
  if (($(echo "$per_core > $best" | bc -l))); then best=$per_core; fi
done
echo "set-ups: 1 = one worker, one queue; 2 = two workers sharing one queue (software"
echo "         dispatch); 2q = two queues, a worker each (the pcap split by flow hash)"
echo "cores: set-up 1 = the one worker core; 2 and 2q = the 2 CPUs, shared by both"
echo "       workers, the exporter and (set-up 2) the reader"
echo "missed = port.missed + port.no_mbuf; records and drops are from the last long run"
((hung == 0)) || echo "runs stuck after SIGINT and killed: $hung"
echo "checks: $([[ $status == 0 ]] && echo passed || echo FAILED)"
if [[ $status != 0 ]]; then
  verdict=FAIL
elif (($(echo "$best >= $target" | bc -l))); then
  verdict=PASS
else
  verdict=FAIL
  status=3
fi
printf 'Mpps per core %.2f (target >= %s): %s\n' "$best" "$target" "$verdict"
exit "$status"
