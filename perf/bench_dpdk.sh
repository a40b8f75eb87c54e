#!/usr/bin/env bash
# DPDK replay throughput: Argos receiving from the net_pcap vdev with
# infinite_rx=1, which loads the whole pcap into mbufs at start-up and replays
# it in a loop for as long as the port runs. No NIC and no hugepages needed.
#
#   perf/bench_dpdk.sh [--flows 1000000] [--packets 1000000] [--seconds 10]
#                      [--runs 3] [--size 64] [--seed 1] [--mem 4096] [--warmup 12]
#                      [--build DIR] [--target 15] [--setups "1 2 2q"]
#                      [--argos-args "-A -Z -m"]
#
# --argos-args adds options to every argos run, e.g. the record switches, to
# measure the rate with richer records.
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
#    once each, with --stats-interval 1: argos prints its cumulative packet
#    count every second. The run is stopped with SIGINT once --seconds + 2
#    lines with packets have appeared; Mpps = packets over the last --seconds
#    lines / --seconds. Start-up (EAL, loading the pcap into mbufs, flow
#    tables) is thus never timed: it varies by several seconds from run to
#    run. --warmup is how long start-up may take before the run counts as
#    failed.
#    Before each repetition perf/dpdk_rx_only receives from the same
#    single-file vdev for --seconds (after a second of warm-up) and frees
#    the mbufs, twice: through Argos's receive queue (64-packet chunks) and
#    polling the port directly 32 packets at a time. The faster of the two
#    medians is the device's own rate.
# 4. Reports, per set-up: Mpps of every run and the median, ns per
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
#    one worker), and, for the last run of each set-up,
#    `ra -r OUT -n` exits 0 with empty stderr. Outputs are deleted after use
#    (with 1M flows they hold hundreds of MB).
#
# Exit status: 0 checks pass and Mpps per core meets --target; 1 a check
# failed; 2 usage, build or tool error (including Argos refusing the port);
# 3 checks pass but below target. The last line is always
# "Mpps per core X with the vdev, Y worker only (target >= T, worker only):
# PASS|FAIL". The target is judged on the worker's own cost (set-up 1's
# time per packet minus that of dpdk_rx_only on the same vdev, the faster
# of its two ways of receiving): net_pcap
# copies every packet into a fresh mbuf on the worker's core, which a NIC
# does by DMA.

set -euo pipefail

flows=1000000
packets=1000000
seconds=10
runs=3
size=64
seed=1
mem=4096
target=15
warmup=12
setups="1 2 2q"
extra_args=""
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
    --setups) setups=$2; shift 2 ;;
    --argos-args) extra_args=$2; shift 2 ;;
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
  ninja -C "$build_dir" perf/gen_pcap perf/dpdk_rx_only app/argos tests/dpdk/split_pcap >/dev/null 2>&1 ||
    die "cannot build gen_pcap, dpdk_rx_only, split_pcap and argos"
fi
rm -f "$root/perf/.ninja-dpdk.log"
gen=$build_dir/perf/gen_pcap
argos=$build_dir/app/argos
split=$build_dir/tests/dpdk/split_pcap
rx_only=$build_dir/perf/dpdk_rx_only
[[ -x $argos && -x $split && -x $rx_only ]] || die "$argos, $split or $rx_only was not built"

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

# field NAME FILE: value of NAME= in the summary line of FILE (the line
# starting "argos: packets="; per-worker lines follow it)
field() { grep -E '^argos: packets=' "$2" | grep -oE "(^| )$1=[0-9]+" | tail -n 1 | cut -d= -f2 || true; }
num() { local v; v=$(field "$1" "$2"); echo "${v:-0}"; }

status=0
declare -i hung=0
fail() { echo "  CHECK FAILED: $*" >&2; status=1; }

# run_one SETUP TAG: launch argos with a stats line every second, SIGINT
# once `seconds` + 1 whole seconds of receiving have been printed (start-up,
# EAL and loading the file into mbufs, is not timed: it varies by seconds
# from run to run), check, leave stderr in $out_dir/dpdk-TAG.stderr and the
# output in $out_dir/dpdk-TAG.argus
run_one() {
  local setup=$1 tag=$2
  local w out=$out_dir/dpdk-$tag.argus err=$out_dir/dpdk-$tag.stderr
  w=$(workers_of "$setup")
  rm -f "$out"
  local -a qargs=() eal=$eal1
  if [[ $setup == 2q ]]; then qargs=(--rx-queues 2); eal=$eal2; fi
  # infinite_rx holds the whole file in mbufs: one per packet, plus the rings.
  # --argos-args: further options (record switches such as -A -Z -m), one word each.
  local -a xargs_=()
  read -r -a xargs_ <<<"$extra_args"
  "$argos" -i dpdk:net_pcap0 --workers "$w" "${qargs[@]}" "${xargs_[@]}" -w "$out" --eal "$eal" \
    --mbufs $((packets + 16384)) --stats-interval 1 >/dev/null 2>"$err" &
  local pid=$!
  local t
  for ((t = 0; t < (warmup + seconds + 5) * 10; t++)); do
    kill -0 "$pid" 2>/dev/null || break
    (($(grep -cE '^argos: stats packets=[1-9]' "$err" || true) >= seconds + 2)) && break
    sleep 0.1
  done
  (($(grep -cE '^argos: stats packets=[1-9]' "$err" || true) >= seconds + 2)) ||
    fail "$tag: fewer than $((seconds + 2)) seconds of receiving within $((warmup + seconds + 5)) s of launch"
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
echo "runs:    $runs per set-up, interleaved; Mpps from argos's stats line (every second) over"
echo "         $seconds s of steady receiving (start-up and the first second left out)"
echo

# mpps_of FILE: receive rate over the last `seconds` whole seconds of the
# stats lines (cumulative packets, one line a second); the first second with
# packets is partly start-up and is left out.
mpps_of() {
  grep -E '^argos: stats packets=[1-9]' "$1" | sed -E 's/^argos: stats packets=([0-9]+).*/\1/' |
    awk -v n="$seconds" '{ v[NR] = $1 } END {
      if (NR < n + 2) { print 0; exit }
      printf "%.4f", (v[NR] - v[NR - n]) / n / 1e6 }'
}

declare -A mpps_runs
vdev_runs=""
vdev_plain_runs=""
for ((r = 1; r <= runs; r++)); do
  # The virtual device alone: the same queue code receiving and freeing,
  # nothing else; and the port polled directly, 32 packets at a time
  # (perf/dpdk_rx_only.cc). The faster of the two medians is the device's
  # cost, so the worker is charged with no less than its own.
  # shellcheck disable=SC2086
  v=$("$rx_only" "$seconds" $((packets + 16384)) $eal1 2>/dev/null | sed -n 's/^rx_only_mpps=\([0-9.]*\).*/\1/p')
  # shellcheck disable=SC2086
  vp=$("$rx_only" --plain "$seconds" $((packets + 16384)) $eal1 2>/dev/null | sed -n 's/^rx_only_mpps=\([0-9.]*\).*/\1/p')
  if [[ -n $v && -n $vp ]]; then
    vdev_runs+="$v "
    vdev_plain_runs+="$vp "
    printf 'run %d vdev alone (dpdk_rx_only): %.2f Mpps through the queue, %.2f polled directly\n' "$r" "$v" "$vp"
  else
    fail "run $r: dpdk_rx_only gave no rate"
  fi
  for w in $setups; do
    run_one "$w" "w$w"
    e=$out_dir/dpdk-w$w.stderr
    m=$(mpps_of "$e")
    if [[ $m == 0 ]]; then
      echo "run $r set-up $w: not enough stats lines; not counted"
      rm -f "$out_dir/dpdk-w$w.argus"
      continue
    fi
    mpps_runs[$w]+="$m "
    printf 'run %d set-up %s: %.2f Mpps over the last %d s\n' "$r" "$w" "$m" "$seconds"
    echo "  $(grep -E '^argos: packets=' "$e" | tail -n 1)"
    if ((r == runs)); then
      out=$out_dir/dpdk-w$w.argus
      if ! ra -r "$out" -n >/dev/null 2>"$out_dir/dpdk-ra.stderr" || [[ -s $out_dir/dpdk-ra.stderr ]]; then
        fail "set-up $w: ra -r OUT -n failed or wrote to stderr: $(head -c 300 "$out_dir/dpdk-ra.stderr")"
      else
        echo "  ra -r OUT -n: read whole ($(stat -c %s "$out") bytes), empty stderr"
      fi
      rm -f "$out_dir/dpdk-ra.stderr"
    fi
    rm -f "$out_dir/dpdk-w$w.argus"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) printf "%.4f", v[(NR + 1) / 2]; else printf "%.4f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
printf '%-8s %-24s %7s %5s %9s %10s %9s %10s %8s %8s %7s\n' set-up "Mpps per run" median cores \
  "Mpps/core" "ns/pkt/core" records batch_drops full_drop missed bytes/flow
best=0
for w in $setups; do
  e=$out_dir/dpdk-w$w.stderr
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
# The worker's own cost: a packet costs 1/M of a second with the device's
# work included and 1/V for the device alone (both on the one worker core).
vmed_queue=$(echo "$vdev_runs" | median)
vmed_plain=$(echo "$vdev_plain_runs" | median)
vmed=$vmed_queue
if (($(echo "$vmed_plain > $vmed_queue" | bc -l))); then vmed=$vmed_plain; fi
worker_only=0
if [[ " $setups " == *" 1 "* ]] && (($(echo "$vmed > 0" | bc -l))); then
  m1=$(echo "${mpps_runs[1]}" | median)
  if (($(echo "$m1 > 0 && $m1 < $vmed" | bc -l))); then
    ns_total=$(echo "1000 / $m1" | bc -l)
    ns_vdev=$(echo "1000 / $vmed" | bc -l)
    ns_worker=$(echo "$ns_total - $ns_vdev" | bc -l)
    worker_only=$(echo "1000 / $ns_worker" | bc -l)
    printf 'vdev alone: through the queue %s Mpps (median %.2f), polled directly %s Mpps (median %.2f)\n' \
      "$(for v in $vdev_runs; do printf '%.2f ' "$v"; done)" "$vmed_queue" \
      "$(for v in $vdev_plain_runs; do printf '%.2f ' "$v"; done)" "$vmed_plain"
    printf '  the faster, %.2f Mpps (%.1f ns/packet), is the device: net_pcap copies each stored packet into\n' \
      "$vmed" "$ns_vdev"
    echo "  a fresh mbuf, work a NIC's DMA does; set-up 1 spends $(printf '%.1f' "$ns_total") ns/packet on its core in all,"
    printf '  so the worker itself spends %.1f ns/packet: %.2f Mpps per worker core\n' "$ns_worker" "$worker_only"
  fi
fi
echo "set-ups: 1 = one worker, one queue; 2 = two workers sharing one queue (software"
echo "         dispatch); 2q = two queues, a worker each (the pcap split by flow hash)"
echo "cores: set-up 1 = the one worker core; 2 and 2q = the 2 CPUs, shared by both"
echo "       workers, the exporter and (set-up 2) the reader"
echo "missed = port.missed + port.no_mbuf; records and drops are from the last run"
((hung == 0)) || echo "runs stuck after SIGINT and killed: $hung"
echo "checks: $([[ $status == 0 ]] && echo passed || echo FAILED)"
if [[ $status != 0 ]]; then
  verdict=FAIL
elif (($(echo "$worker_only >= $target" | bc -l))); then
  verdict=PASS
else
  verdict=FAIL
  status=3
fi
printf 'Mpps per core %.2f with the vdev, %.2f worker only (target >= %s, worker only): %s\n' \
  "$best" "$worker_only" "$target" "$verdict"
exit "$status"
