#!/usr/bin/env bash
# Build Argos if needed, replay a bundled sample capture with the default
# configuration and print the resulting Argus flow records with `ra`.
#
#   scripts/run.sh [PCAP]
#
# PCAP defaults to tests/data/pcaps/mixed-dhcp-arp-icmp-icmpv6.pcap (a small
# LAN mix: DHCP, ARP, DNS, ICMP, ICMPv6). The Argus file is written to
# out/<pcap name>.argus in the repository (out/ is not tracked by git).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pcap=${1:-tests/data/pcaps/mixed-dhcp-arp-icmp-icmpv6.pcap}
if [ ! -f "$pcap" ]; then
  echo "run: no such capture: $pcap" >&2
  exit 2
fi

# Idempotent: installs only missing packages, rebuilds only what changed.
bash scripts/setup.sh

mkdir -p out
name=$(basename "$pcap")
out="out/${name%.*}.argus"
rm -f "$out"

echo "== argos -r $pcap -w $out"
rc=0
build/app/argos -r "$pcap" -w "$out" || rc=$?
if [ $rc -ne 0 ]; then
  echo "run: argos exited with status $rc" >&2
  exit $rc
fi

echo
echo "== ra -n -r $out   ($(stat -c %s "$out") bytes; 'man' lines are the start/stop management records)"
ra -n -r "$out" -s stime ltime flgs proto:9 saddr:26 sport dir daddr:26 dport \
   spkts dpkts sbytes dbytes state
