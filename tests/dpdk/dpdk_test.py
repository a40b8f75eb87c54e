#!/usr/bin/env python3
"""DPDK replay gives the records `argos -r` gives.

Every Ethernet capture of tests/data/pcaps whose packets were captured whole
(caplen == wire length: net_pcap hands DPDK the captured length only) is
replayed through the net_pcap virtual device (no NIC, no hugepages) three
ways: by the dpdk_replay harness, by `argos -i dpdk:net_pcap0` with one
worker, with two workers sharing the port's queue by software dispatch, and
with two receive queues read by one worker each: the capture is split into
one rx_pcap file per queue as a NIC with symmetric RSS over addresses would
spread it (an ICMP error from a router lands where its own addresses put
it, and its worker passes it to the worker of the flow it quotes). Then as a tap's two ports, one direction each, read as
one link: with a queue per port (one worker, then two by software dispatch)
and with two queues per port, worker q reading queue q of both. Each worker's timers follow its own queue's packet time,
so where argus's lazy timers cut a flow's reports depends on the traffic of
the queue, not of the whole link: the two-queue run is compared flow by flow
after `racluster` merges each flow's reports (same flows, same packet and
byte totals, same first and last times).
Each output is printed by the real `ra` and compared with `argos -r` as
sorted lines (the flow-id column aside).

usage: dpdk_test.py --replay PATH --argos PATH --split PATH --pcaps DIR
"""
import argparse
import os
import signal
import time
import re
import struct
import subprocess
import sys
import tempfile

COLS = ["stime", "ltime", "flgs", "proto", "saddr", "sport", "dir", "daddr", "dport",
        "spkts", "dpkts", "sbytes", "dbytes", "state"]


def whole_ethernet_pcap(path):
    """True for a classic Ethernet pcap whose every packet is complete."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return False
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return False
    if struct.unpack(e + "H", data[4:6])[0] != 2:  # libpcap refuses other versions
        return False
    if struct.unpack(e + "I", data[20:24])[0] & 0xFFFF != 1:
        return False
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        if caplen != wirelen or off + 16 + caplen > len(data):
            return False
        off += 16 + caplen
    return off == len(data)


def ra(path):
    p = subprocess.run(["ra", "-r", path, "-n", "-u", "-c", ",", "-s", *COLS],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or p.stderr.strip():
        raise RuntimeError(f"ra failed on {path}: {p.stderr.strip()}")
    return sorted(l for l in p.stdout.splitlines()[1:] if ",man," not in l)


def racluster(path):
    p = subprocess.run(["racluster", "-M", "norep", "-r", path, "-n", "-u", "-c", ",", "-s", *COLS],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or p.stderr.strip():
        raise RuntimeError(f"racluster failed on {path}: {p.stderr.strip()}")
    return sorted(l for l in p.stdout.splitlines()[1:] if ",man," not in l)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--argos", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--pcaps", required=True)
    a = ap.parse_args()
    names = sorted(n for n in os.listdir(a.pcaps)
                   if whole_ethernet_pcap(os.path.join(a.pcaps, n)) and not n.startswith("large-"))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            f = os.path.join(a.pcaps, n)
            ours, dpdk = os.path.join(tmp, "r.argus"), os.path.join(tmp, "d.argus")
            for p in (ours, dpdk):
                if os.path.exists(p):
                    os.unlink(p)
            r1 = subprocess.run([a.argos, "-r", f, "-w", ours], capture_output=True, text=True, timeout=120)
            x_ra, x_merged = ra(ours), racluster(ours)
            eal = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
                   f"--vdev net_pcap0,rx_pcap={f}")
            runs = [("harness", [a.replay, f, dpdk]),
                    ("argos -i dpdk, 1 worker", [a.argos, "--eal", eal, "-i", "dpdk:net_pcap0",
                                                 "--exit-when-idle", "300", "-w", dpdk]),
                    ("argos -i dpdk, 2 workers", [a.argos, "--eal", eal, "-i", "dpdk:net_pcap0",
                                                  "--exit-when-idle", "300", "--workers", "2", "-w", dpdk])]
            q0, q1 = os.path.join(tmp, "q0.pcap"), os.path.join(tmp, "q1.pcap")
            subprocess.run([a.split, f, q0, q1], check=True, timeout=60)
            eal2 = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
                    f"--vdev net_pcap0,rx_pcap={q0},rx_pcap={q1}")
            runs.append(("argos -i dpdk, 2 queues, 2 workers",
                         [a.argos, "--eal", eal2, "-i", "dpdk:net_pcap0", "--rx-queues", "2",
                          "--exit-when-idle", "300", "--workers", "2", "-w", dpdk]))
            # A tap: two ports, one direction each, read as one link. One
            # queue per port (one worker; two by software dispatch), then
            # two queues per port, worker q reading queue q of both ports.
            t = [os.path.join(tmp, f"t{i}.pcap") for i in range(6)]
            subprocess.run([a.split, "--tap", f, t[0], t[1]], check=True, timeout=60)
            subprocess.run([a.split, "--tap", f, t[2], t[3], t[4], t[5]], check=True, timeout=60)
            eal_tap = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
                       f"--vdev net_pcap0,rx_pcap={t[0]} --vdev net_pcap1,rx_pcap={t[1]}")
            eal_tap2 = ("--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
                        f"--vdev net_pcap0,rx_pcap={t[2]},rx_pcap={t[3]} "
                        f"--vdev net_pcap1,rx_pcap={t[4]},rx_pcap={t[5]}")
            tap_ports = ["-i", "dpdk:net_pcap0", "-i", "dpdk:net_pcap1", "--exit-when-idle", "300"]
            runs.append(("argos, tap of 2 ports, 1 worker", [a.argos, "--eal", eal_tap, *tap_ports, "-w", dpdk]))
            runs.append(("argos, tap of 2 ports, 2 workers",
                         [a.argos, "--eal", eal_tap, *tap_ports, "--workers", "2", "-w", dpdk]))
            runs.append(("argos, tap of 2 ports, 2 queues each, 2 workers",
                         [a.argos, "--eal", eal_tap2, *tap_ports, "--rx-queues", "2", "--workers", "2",
                          "-w", dpdk]))
            bad = []
            for label, cmd in runs:
                if os.path.exists(dpdk):
                    os.unlink(dpdk)
                r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                if r2.returncode != 0:
                    bad.append(f"{label}: exit {r2.returncode}: {r2.stderr.strip()[-300:]}")
                    continue
                merged = "queues" in label
                if merged or "tap" in label:
                    # One summary line per queue; together they are the ports' count.
                    q = {int(m[0]): int(m[1]) for m in re.findall(r"argos: queue (\d+): received=(\d+)", r2.stderr)}
                    port = re.search(r"port\.received=(\d+)", r2.stderr)
                    want = list(range(4 if "2 queues each" in label else 2))
                    if sorted(q) != want or not port or sum(q.values()) != int(port.group(1)):
                        bad.append(f"{label}: per-queue counters {q} do not add up to {port and port.group(0)}")
                x = x_merged if merged else x_ra
                y = racluster(dpdk) if merged else ra(dpdk)
                if x != y:
                    bad.append(f"{label}: -r gives {len(x)} records, DPDK {len(y)}")
                    for l in sorted(set(x) - set(y))[:3]:
                        bad.append(f"  only -r:   {l}")
                    for l in sorted(set(y) - set(x))[:3]:
                        bad.append(f"  only DPDK: {l}")
            if bad:
                failures += 1
                print(f"FAIL  {n}")
                for b in bad:
                    print(f"        {b}")
            else:
                print(f"ok    {n}  ({len(x_ra)} records, {len(runs)} DPDK runs)")
    print(f"dpdk: {len(names) - failures} of {len(names)} captures give the same records")
    extra_failures = 0
    for label, check in (("--mbufs sizes the pool net_pcap's infinite_rx needs; a stop accounts every packet received", check_mbufs),
                         ("DPDK's start-up messages are left out unless --log-level asks for them", check_eal_log_level),
                         ("a YAML configuration drives the DPDK port", check_yaml),
                         ("two ports are one link, merged in time order", check_two_ports),
                         ("the port keeps receiving after root is given up (-u nobody)", check_run_as),
                         ("a wave of reports larger than the old fixed buffer reaches the output whole", check_report_wave)):
        try:
            check(a)
            print(f"ok    {label}")
        except AssertionError as e:
            extra_failures += 1
            print(f"FAIL  {label}: {e}")
    return 1 if failures or extra_failures else 0


def check_mbufs(a):
    # infinite_rx keeps every packet of the file in an mbuf: the pool sized
    # from the rings is too small for large-http-browsing.pcap (4631
    # packets), --mbufs 16384 is enough, and the looped file then runs until
    # SIGTERM.
    f = os.path.join(a.pcaps, "large-http-browsing.pcap")
    eal = f"--no-huge --no-pci --no-shconf -m 512 -l 0 --log-level lib.*:error --vdev net_pcap0,rx_pcap={f},infinite_rx=1"
    base = [a.argos, "--eal", eal, "-i", "dpdk:net_pcap0", "-w", os.devnull, "--no-pin"]
    r = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "cannot set up receive queue 0" in r.stderr, (r.returncode, r.stderr[-400:])
    p = subprocess.Popen(base + ["--mbufs", "16384"], stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    assert p.poll() is None, "argos --mbufs 16384 stopped by itself: " + p.stderr.read()[-400:]
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 0, err[-400:]
    m = re.search(r"argos: packets=(\d+)", err)
    assert m and int(m.group(1)) > 4631, "the looped file should give more packets than it holds: " + err[-400:]
    # The queue takes packets from the port a chunk at a time: those still
    # held when the signal comes are accounted before the worker leaves.
    rcvd = re.search(r"port\.received=(\d+)", err)
    assert rcvd and int(rcvd.group(1)) == int(m.group(1)), "received but not accounted at stop: " + err[-400:]
    # Two workers sharing the queue (software dispatch): the dispatcher hands
    # out what it holds, the workers drain their rings, nothing is lost.
    p = subprocess.Popen(base + ["--mbufs", "16384", "--workers", "2"], stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    # --no-pin: the threads keep the CPUs the sensor was given, not the
    # EAL main lcore's one CPU (-l 0) that they would otherwise inherit.
    given = os.sched_getaffinity(0)
    on_given = [t for t in os.listdir(f"/proc/{p.pid}/task") if os.sched_getaffinity(int(t)) == given]
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 0, err[-400:]
    m = re.search(r"argos: packets=(\d+)", err)
    rcvd = re.search(r"port\.received=(\d+)", err)
    assert m and int(m.group(1)) > 4631, err[-400:]
    assert rcvd and int(rcvd.group(1)) == int(m.group(1)), "two workers: received but not accounted at stop: " + err[-400:]
    assert "dispatch.stop_drops" not in err, err[-400:]
    if len(given) > 1:
        # main, dispatcher-worker, second worker, exporter at least
        assert len(on_given) >= 4, f"--no-pin: only {len(on_given)} threads run on the CPUs given ({sorted(given)})"


def check_eal_log_level(a):
    # Without a --log-level among the EAL words, DPDK's start-up chatter
    # (INFO) is left out and its errors are not; with one, the user's level
    # holds.
    base = ["--no-huge", "--no-pci", "--no-shconf", "-m", "256", "-l", "0", "--vdev", "net_null0"]
    runs = {}
    for label, extra in (("default", []), ("info", ["--log-level", "lib.eal:info"])):
        p = subprocess.Popen([a.argos, "--eal", " ".join(base + extra), "-i", "dpdk:net_null0", "-w", os.devnull,
                              "--no-pin"], stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, (label, err[-400:])
        assert re.search(r"argos: packets=[1-9]", err), (label, err[-400:])
        runs[label] = err
    assert "EAL: Detected" not in runs["default"], runs["default"][-600:]
    assert "EAL: Detected" in runs["info"], runs["info"][-600:]
    r = subprocess.run([a.argos, "--eal", "--no-huge --no-pci --no-shconf -m 256 -l 0 --vdev net_nul0",
                        "-i", "dpdk:net_nul0", "-w", os.devnull], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "EAL: Unable to parse device 'net_nul0'" in r.stderr, (r.returncode, r.stderr[-400:])


def check_yaml(a):
    # The DPDK keys of the YAML file (port, EAL words, queues, idle end)
    # give the records the same flags give.
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(a.pcaps, "tcp-http-ipv4-single-flow.pcap")
        ours, dpdk = os.path.join(tmp, "r.argus"), os.path.join(tmp, "d.argus")
        subprocess.run([a.argos, "-r", f, "-w", ours], check=True, capture_output=True, timeout=60)
        cfg = os.path.join(tmp, "dpdk.yaml")
        with open(cfg, "w") as c:
            c.write("input:\n  dpdk:\n    ports: [net_pcap0]\n    rx_queues: 1\n    exit_when_idle: 300ms\n"
                    "    eal: [--no-huge, --no-pci, --no-shconf, -m, '256', -l, '0', --log-level, 'lib.*:error',\n"
                    f"          --vdev, 'net_pcap0,rx_pcap={f}']\n"
                    f"outputs:\n  files: [{dpdk}]\n")
        r = subprocess.run([a.argos, "-F", cfg], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-400:]
        assert ra(ours) == ra(dpdk), "YAML-configured DPDK replay differs from -r"


def check_run_as(a):
    # -u nobody: the EAL and the port are set up as root, then root is
    # given up before the first packet; the port keeps receiving, the
    # records are those of -r, the output belongs to nobody.
    import pwd
    nobody = pwd.getpwnam("nobody")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        os.chown(work, nobody.pw_uid, nobody.pw_gid)
        f = os.path.join(a.pcaps, "large-echo-500-tcp-conns.pcap")
        ours, dpdk = os.path.join(tmp, "r.argus"), os.path.join(work, "d.argus")
        subprocess.run([a.argos, "-r", f, "-w", ours], check=True, capture_output=True, timeout=60)
        eal = f"--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error --vdev net_pcap0,rx_pcap={f}"
        r = subprocess.run([a.argos, "--eal", eal, "-i", "dpdk:net_pcap0", "--exit-when-idle", "300",
                            "-u", "nobody", "-w", dpdk], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-400:]
        assert os.stat(dpdk).st_uid == nobody.pw_uid, "the output was not handed to nobody"
        assert ra(ours) == ra(dpdk), "DPDK replay as nobody differs from -r"


def check_two_ports(a):
    # Two ports (two net_pcap vdevs, each replaying its own capture) are one
    # link, merged in time order: read by one worker, or by two sharing it
    # by software dispatch, the records are those of `-r` on each capture
    # alone, and the summary has a line per queue naming its port.
    with tempfile.TemporaryDirectory() as tmp:
        f0 = os.path.join(a.pcaps, "large-home-lan-mixed.pcap")
        f1 = os.path.join(a.pcaps, "mixed-dhcp-arp-icmp-icmpv6.pcap")
        want = []
        for i, f in enumerate((f0, f1)):
            out = os.path.join(tmp, f"r{i}.argus")
            subprocess.run([a.argos, "-r", f, "-w", out], check=True, capture_output=True, timeout=60)
            want += ra(out)
        both = os.path.join(tmp, "both.argus")
        eal = (f"--no-huge --no-pci --no-shconf -m 256 -l 0 --log-level lib.*:error "
               f"--vdev net_pcap0,rx_pcap={f0} --vdev net_pcap1,rx_pcap={f1}")
        for workers in ("1", "2"):
            if os.path.exists(both):
                os.unlink(both)
            r = subprocess.run([a.argos, "--eal", eal, "-i", "dpdk:net_pcap0", "-i", "dpdk:net_pcap1",
                                "--workers", workers, "--exit-when-idle", "300", "-w", both],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr[-400:]
            have = ra(both)
            assert sorted(have) == sorted(want), \
                f"two ports, {workers} workers: {len(have)} records, -r on each {len(want)}"
            ports = re.findall(r"argos: queue \d+: received=\d+ errors=\d+ port=(\S+)", r.stderr)
            assert sorted(ports) == ["net_pcap0/0", "net_pcap1/0"], r.stderr[-600:]
        # Queue q of every port goes to worker q: the ports need as many queues each.
        yaml = os.path.join(tmp, "ports.yaml")
        with open(yaml, "w") as c:
            c.write("input:\n  dpdk:\n    ports:\n      - {name: net_pcap0, rx_queues: 2}\n"
                    "      - {name: net_pcap1, rx_queues: 1}\n    exit_when_idle: 300ms\n")
        r = subprocess.run([a.argos, "--eal", eal, "-F", yaml, "--workers", "2", "-w", both],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "has 1 receive queue(s), 'net_pcap0' 2" in r.stderr, r.stderr[-400:]


def many_flows_pcap(path, flows):
    # One 60-byte UDP packet per flow (10.1.x.y:1000+ -> 10.2.0.1:53).
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            udp = struct.pack("!HHHH", 1000 + i % 50000, 53, 8 + 18, 0) + bytes(18)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([10, 1, (i >> 8) & 0xff, i & 0xff]), bytes([10, 2, 0, 1]))
            frame = bytes.fromhex("020000000002" "020000000001" "0800") + ip + udp
            f.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame)


def check_report_wave(a):
    # 40,000 flows on a looped file, every flow started within a few
    # milliseconds of the others: at each status interval (-S 1) all of them
    # report at once, 157 batches of 256 reports made in a few milliseconds
    # while the exporter drains them. The live worker's record buffer, sized
    # by the flow capacity (65,536 reports), holds the wave: nothing is
    # dropped. Cut to 512 reports it drops, counts and says so; and the
    # reports of the final flush at the stop still all arrive.
    flows = 40000
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "flows.pcap")
        many_flows_pcap(f, flows)
        out = os.path.join(tmp, "wave.argus")
        eal = (f"--no-huge --no-pci --no-shconf -m 512 -l 0 --log-level lib.*:error "
               f"--vdev net_pcap0,rx_pcap={f},infinite_rx=1")
        base = [a.argos, "--eal", eal, "-i", "dpdk:net_pcap0", "--mbufs", "65536", "--flows", "65536",
                "-S", "1", "--no-pin", "-w", out]

        def run(extra):
            if os.path.exists(out):
                os.unlink(out)
            p = subprocess.Popen(base + extra, stderr=subprocess.PIPE, text=True)
            time.sleep(3.5)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err[-400:]
            summary = next(l for l in err.splitlines() if l.startswith("argos: packets="))
            fields = dict(kv.split("=", 1) for kv in summary.split()[1:] if "=" in kv)
            return err, fields

        err, fields = run([])
        assert int(fields["table.reports"]) >= 3 * flows, summary_hint(fields)
        assert "worker.records_dropped" not in fields, err[-600:]
        assert int(fields["record_buffer.batches"]) == 65536 // 256, err[-600:]
        # Every report reached the file: ra reads as many records as the
        # worker made (the MARs aside), and no flow is missing.
        recs = ra_flows(out)
        assert len(recs) == int(fields["worker.records"]), (len(recs), fields["worker.records"])
        assert len({seq for seq, _ in recs}) == flows

        err, fields = run(["--record-buffer", "512"])
        assert int(fields["record_buffer.batches"]) == 2, err[-600:]
        dropped = int(fields.get("worker.records_dropped", "0"))
        assert dropped > 0, err[-600:]
        assert f"argos: note: {dropped} reports found their worker's record buffer full" in err, err[-600:]
        # The final reports at the stop wait for the exporter, since no
        # packet can be lost any more: every flow has its shutdown record.
        recs = ra_flows(out)
        assert len(recs) == int(fields["worker.records"]), (len(recs), fields["worker.records"])
        assert len({seq for seq, cause in recs if cause == "Shutdown"}) == flows, \
            sum(1 for _, cause in recs if cause == "Shutdown")


def ra_flows(path):
    # (flow id, cause) of every flow record.
    p = subprocess.run(["ra", "-r", path, "-n", "-c", ",", "-s", "proto", "seq", "cause"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or p.stderr.strip():
        raise RuntimeError(f"ra failed on {path}: {p.stderr.strip()}")
    rows = [l.split(",") for l in p.stdout.splitlines()[1:]]
    return [(r[1], r[2]) for r in rows if r[0] != "man"]


def summary_hint(fields):
    return " ".join(f"{k}={v}" for k, v in fields.items())


if __name__ == "__main__":
    sys.exit(main())
