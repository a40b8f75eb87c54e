#!/usr/bin/env python3
"""Live capture through DPDK's net_af_packet virtual device on a veth pair
between two network namespaces this test creates (the same set-up as the
libpcap live test): known UDP traffic from the sender namespace, argos
stopped with SIGTERM, its output judged by the real ra. Then a tap's two
ports: two net_af_packet ports, each given one direction of a conversation
as raw frames, read as one link into one bidirectional record.

Exit 77 (skipped) where namespaces cannot be made (no CAP_NET_ADMIN).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
from live_capture_test import CAP_ADDR, Namespaces, Skip  # noqa: E402
from argus_records import records  # noqa: E402

UDP_PORT = 9998
DATAGRAMS = 6
CAUSE_SHUTDOWN = 0x60

SENDER = r"""
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 41000))
for i in range(int(sys.argv[3])):
    u.sendto(b"argos-dpdk-%d" % i, (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.02)
"""


# A tap's two ports, live: frames written raw into the sender's ends of two
# veth pairs, one direction of a UDP conversation on each (hosts that exist
# nowhere, so no stack answers), as a network tap hands them to a sensor.
TAP_FRAMES = r"""
import socket, struct, sys, time
def frame(src, dst, sport, dport, i):
    payload = b"argos-tap-%d" % i
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xFFFF) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~((s & 0xFFFF) + (s >> 16)) & 0xFFFF) + ip[12:]
    return bytes.fromhex("02000000000b" "02000000000a" "0800") + ip + udp
a = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
a.bind((sys.argv[1], 0))
b = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
b.bind((sys.argv[2], 0))
for i in range(int(sys.argv[3])):
    a.send(frame("10.99.0.1", "10.99.0.2", 5000, 6000, i))
    time.sleep(0.005)
    b.send(frame("10.99.0.2", "10.99.0.1", 6000, 5000, i))
    time.sleep(0.02)
"""


def check_live_tap(ns, argos, tmp):
    """Two net_af_packet ports, one direction each, read as one link: one
    bidirectional record per flow (each port alone would give a half)."""
    cap2, snd2 = ns.cap_if + "t", ns.snd_if + "t"
    for cmd in (("ip", "-n", ns.cap, "link", "add", cap2, "type", "veth", "peer", "name", snd2, "netns", ns.snd),
                ("ip", "-n", ns.cap, "link", "set", cap2, "up"), ("ip", "-n", ns.snd, "link", "set", snd2, "up")):
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)
    out = os.path.join(tmp, "tap.argus")
    eal = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
           f"--vdev net_af_packet0,iface={ns.cap_if} --vdev net_af_packet1,iface={cap2}")
    p = ns.exec(ns.cap, argos, "--eal", eal, "-i", "dpdk:net_af_packet0", "-i", "dpdk:net_af_packet1", "-w", out,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    if p.poll() is not None:
        return "argos exited early: " + p.stderr.read()
    s = ns.exec(ns.snd, sys.executable, "-c", TAP_FRAMES, ns.snd_if, snd2, str(DATAGRAMS),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, serr = s.communicate(timeout=30)
    if s.returncode != 0:
        return "the frame writer failed: " + serr
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    if p.returncode != 0:
        return f"argos exit {p.returncode}: {err}"
    r = subprocess.run(["ra", "-r", out, "-n", "-c", ",", "-u", "-s", "proto", "saddr", "sport", "daddr", "dport",
                        "spkts", "dpkts"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or r.stderr.strip():
        return "ra cannot read the output: " + r.stderr
    rows = [[f.strip() for f in l.split(",")] for l in r.stdout.splitlines()[1:]]
    udp = [x for x in rows if x[0] == "udp" and {x[1], x[3]} == {"10.99.0.1", "10.99.0.2"}]
    want = [["udp", "10.99.0.1", "5000", "10.99.0.2", "6000", str(DATAGRAMS), str(DATAGRAMS)]]
    if udp != want:
        return f"expected {want}, ra shows {udp}"
    ports = re.findall(r"argos: queue \d+: received=(\d+) errors=\d+ port=(\S+)", err)
    if sorted(ports) != [(str(DATAGRAMS), "net_af_packet0/0"), (str(DATAGRAMS), "net_af_packet1/0")]:
        return f"per-port lines {ports}: each port should have received {DATAGRAMS}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    a = ap.parse_args()
    argos = os.path.abspath(a.argos)
    try:
        ns = Namespaces().__enter__()
    except Skip as e:
        print("SKIP: net_af_packet test: %s" % e)
        return 77
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "afp.argus")
            eal = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
                   f"--vdev net_af_packet0,iface={ns.cap_if}")
            p = ns.exec(ns.cap, argos, "--eal", eal, "-i", "dpdk:net_af_packet0", "-w", out,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2.0)  # EAL and port start
            if p.poll() is not None:
                print("FAIL: argos exited early: " + p.stderr.read())
                return 1
            t_send = time.time()
            s = ns.exec(ns.snd, sys.executable, "-c", SENDER, CAP_ADDR, str(UDP_PORT), str(DATAGRAMS),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            s.wait(timeout=30)
            t_sent = time.time()
            time.sleep(0.5)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
            if p.returncode != 0:
                print(f"FAIL: argos exit {p.returncode}: {err}")
                return 1
            summary = [l for l in err.splitlines() if l.startswith("argos: packets=")]
            if not summary:
                print("FAIL: no summary line: " + err)
                return 1
            c = {k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", summary[-1])}
            if c.get("port.received", 0) < DATAGRAMS:
                print("FAIL: port.received below the datagrams sent: " + summary[-1])
                return 1
            r = subprocess.run(["ra", "-r", out, "-n", "-c", ",", "-u", "-s", "proto", "sport", "dport", "spkts",
                                "stime", "ltime"],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0 or r.stderr.strip():
                print("FAIL: ra cannot read the output: " + r.stderr)
                return 1
            rows = [l.split(",") for l in r.stdout.splitlines()[1:]]
            udp = [x for x in rows if x[0].strip() == "udp" and x[1].strip() == "41000"
                   and x[2].strip() == str(UDP_PORT)]
            if len(udp) != 1 or int(udp[0][3]) != DATAGRAMS:
                print(f"FAIL: expected one UDP flow of {DATAGRAMS} packets, ra shows {udp} among {rows}")
                return 1
            # No receive timestamp from this port: packet time is the cycle
            # counter per burst, rebased on the wall clock; it must fall in
            # the window the sender ran in and span its pacing.
            stime, ltime = float(udp[0][4]), float(udp[0][5])
            if not (t_send - 0.05 <= stime <= ltime <= t_sent + 0.05):
                print(f"FAIL: flow times {stime:.6f}..{ltime:.6f} outside the send window {t_send:.6f}..{t_sent:.6f}")
                return 1
            # (The first datagram may wait for ARP, shortening the span.)
            if ltime - stime < 0.02 * (DATAGRAMS - 1) * 0.5:
                print(f"FAIL: flow lasted {ltime - stime:.6f} s, the sender paced {DATAGRAMS} datagrams 20 ms apart")
                return 1
            if rows[-1][0].strip() != "man":
                print("FAIL: the last record is not the closing MAR")
                return 1
            causes = [rec[1] for rec in records(open(out, "rb").read()) if rec[0] & 0xF0 == 0x10]
            if CAUSE_SHUTDOWN not in causes:
                print(f"FAIL: no record flushed with cause SHUTDOWN: {causes}")
                return 1
            # The port was made promiscuous for the capture; the host
            # interface behind it must not stay so after the sensor.
            link = ns.exec(ns.cap, "ip", "link", "show", ns.cap_if, stdout=subprocess.PIPE, text=True)
            shown, _ = link.communicate(timeout=10)
            if "PROMISC" in shown:
                print(f"FAIL: {ns.cap_if} left promiscuous after argos exited: {shown.strip()}")
                return 1
            print(f"ok    net_af_packet: {DATAGRAMS} datagrams in one flow, {summary[-1]}")
            why = check_live_tap(ns, argos, tmp)
            if why:
                print("FAIL: live tap of two ports: " + why)
                return 1
            print(f"ok    net_af_packet, a tap's two ports: one flow, {DATAGRAMS} packets each way")
            return 0
    finally:
        ns.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
