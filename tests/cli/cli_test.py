#!/usr/bin/env python3
"""Command-line behaviour of argos, judged by the real `ra`.

Each check runs the real binary on a capture of tests/data/pcaps and reads
the output with `ra`: the BPF filter, the source id (-e), several outputs,
the status interval (-S), the flow-table capacity and its full policy, and
the counters of the summary line.

usage: cli_test.py --argos PATH --pcaps DIR
"""
import argparse
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import run_checks  # noqa: E402

COLS = ["stime", "ltime", "proto", "saddr", "sport", "dir", "daddr", "dport",
        "spkts", "dpkts", "sbytes", "dbytes", "state"]


# A numa_maps line whose policy names nodes: "bind:0", "prefer:1",
# "prefer (many):0" (what the kernel shows for hwloc's binding).
BOUND = re.compile(r" (?:bind|prefer|prefer \(many\)):([\d,]+)")


def run_argos(argos, args, tmp, name="out.argus"):
    out = os.path.join(tmp, name)
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([argos] + args + ["-w", out] if "-w" not in args else [argos] + args,
                       capture_output=True, text=True, timeout=300)
    return p, out


def ra_lines(path, cols=COLS, extra=()):
    p = subprocess.run(["ra", "-r", path, "-n", "-u", "-c", ",", "-s", *cols, *extra],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or p.stderr.strip():
        raise AssertionError(f"ra failed on {path}: {p.stderr.strip()}")
    lines = p.stdout.splitlines()[1:]
    return [l for l in lines if ",man," not in l]


def counters(stderr):
    line = [l for l in stderr.splitlines() if l.startswith("argos: packets=")]
    if not line:
        raise AssertionError("no summary line on stderr:\n" + stderr)
    return {k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", line[-1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--pcaps", required=True)
    a = ap.parse_args()
    argos = os.path.abspath(a.argos)
    pc = lambda n: os.path.join(os.path.abspath(a.pcaps), n)
    def bpf_filter(tmp):
        p, all_out = run_argos(argos, ["-r", pc("mixed-dhcp-arp-icmp-icmpv6.pcap")], tmp, "all.argus")
        assert p.returncode == 0, p.stderr
        # The capture filter is the words after the last flag (a word right
        # after -w FILE would be that output's record filter, as in argus).
        p, udp_out = run_argos(argos, ["-w", os.path.join(tmp, "udp.argus"), "-r",
                                       pc("mixed-dhcp-arp-icmp-icmpv6.pcap"), "udp", "and", "port", "53"], tmp)
        assert p.returncode == 0, p.stderr
        every = ra_lines(all_out)
        dns = ra_lines(os.path.join(tmp, "udp.argus"))
        assert dns, "the filter kept nothing"
        assert len(dns) < len(every), "the filter removed nothing"
        for l in dns:
            f = l.split(",")
            assert f[2] == "udp" and "53" in (f[4], f[7]), f"record outside the filter: {l}"
        # Same flows and counts as the DNS flows of the unfiltered run (times
        # and state may differ: ICMP errors about them were filtered out).
        key = lambda l: tuple(l.split(",")[2:5] + l.split(",")[6:12])
        expected = [l for l in every if l.split(",")[2] == "udp" and "53" in (l.split(",")[4], l.split(",")[7])]
        assert sorted(map(key, dns)) == sorted(map(key, expected)), \
            "filtered records differ from the DNS records of the full run"

    def print_filter(tmp):
        # -b prints the compiled capture filter as argus -b does (tcpdump -d
        # form), optimised or not (-O), and writes nothing.
        for f in ("mixed-dhcp-arp-icmp-icmpv6.pcap", "nsec-linux-sll-tcp-handshake.pcap"):  # Ethernet, cooked
            for extra in ([], ["-O"]):
                expr = ["udp", "port", "53", "or", "arp"]
                want = subprocess.run(["argus", "-X", "-r", pc(f), "-b", *extra, *expr],
                                      capture_output=True, text=True, timeout=60)
                got = subprocess.run([argos, "-X", "-r", pc(f), "-b", *extra, *expr],
                                     capture_output=True, text=True, timeout=60)
                assert got.returncode == 0 and got.stdout == want.stdout and "(000)" in got.stdout, \
                    f"{f} {extra}: argos -b printed\n{got.stdout}{got.stderr}\nargus -b\n{want.stdout}"
        plain, opt = (subprocess.run([argos, "-X", "-r", pc("dns-udp.pcap"), "-b", *x, "udp", "port", "53"],
                                     capture_output=True, text=True, timeout=60).stdout for x in (["-O"], []))
        assert len(plain.splitlines()) > len(opt.splitlines()), "-O made no difference"
        p = subprocess.run([argos, "-X", "-r", pc("dns-udp.pcap"), "-b", "udp", "port"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 2 and "does not compile" in p.stderr, p.stderr
        # The capture filter optimised or not selects the same packets.
        outs = []
        for x in ([], ["-O"]):
            p, o = run_argos(argos, ["-X", *x, "-w", os.path.join(tmp, f"o{len(outs)}.argus"), "-r",
                                     pc("large-home-lan-mixed.pcap"), "tcp", "or", "udp", "port", "53"], tmp)
            assert p.returncode == 0, p.stderr
            outs.append(sorted(ra_lines(os.path.join(tmp, f"o{len(outs)}.argus"))))
        assert outs[0] and outs[0] == outs[1]

    def bad_filter(tmp):
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "tcp", "and", "and"], tmp)
        assert p.returncode == 2, f"exit {p.returncode}"
        assert "filter" in p.stderr, p.stderr

    def source_id(tmp):
        for value, shown in (("1234", "1234"), ("10.1.2.3", "10.1.2.3"), ('"abcd"', "abcd")):
            p, out = run_argos(argos, ["-r", pc("dns-udp.pcap"), "-e", value], tmp)
            assert p.returncode == 0, p.stderr
            p2 = subprocess.run(["ra", "-r", out, "-n", "-c", ",", "-s", "srcid", "proto"],
                                capture_output=True, text=True, timeout=60)
            ids = {l.split(",")[0].strip() for l in p2.stdout.splitlines()[1:]}  # MARs included
            assert ids == {shown}, f"-e {value}: ra shows {ids}"
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "-e", "1.2.3"], tmp)
        assert p.returncode == 2, "a malformed -e value must be refused"

    def inputs_as_libpcap_reads_them(tmp):
        # A classic pcap read from its file (mapped), from standard input, a
        # FIFO and a pipe (both through libpcap, opened once) gives the same
        # records: records longer than the header's snapshot length are cut
        # to it, a wire length below the captured length is counted as
        # written, and seconds from 2038 on stay unsigned.
        def udp_frame(sport, payload):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 1, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            return b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00" + ip + \
                struct.pack("!HHHH", sport, 53, 8 + len(payload), 0) + payload
        t2040 = 2208988800  # 2040-01-01, past 2^31 seconds
        recs = []
        for i, (sport, body, wire) in enumerate([(1000, b"A" * 60, None), (2000, b"B" * 5, 40)]):
            frame = udp_frame(sport, body)
            recs.append(struct.pack("<IIII", t2040 + i, 0, len(frame), wire or len(frame)) + frame)
        pcap = os.path.join(tmp, "edges.pcap")
        with open(pcap, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 64, 1) + b"".join(recs))
        cols = COLS + ["suser:100"]
        args = ["-A", "-U", "100"]
        p, mapped = run_argos(argos, args + ["-r", pcap], tmp, "mapped.argus")
        assert p.returncode == 0, p.stderr
        want = ra_lines(mapped, cols)
        assert len(want) == 2 and all(l.startswith("2208988800") or l.startswith("2208988801") for l in want), want
        # The first frame (102 bytes) is cut to the 64-byte snapshot: 22
        # bytes of user data; the second counts its 40 wire bytes.
        assert any(",102,0," in l and "s[22]=" in l for l in want) and any(",40,0," in l for l in want), want
        with open(pcap, "rb") as f:
            p = subprocess.run([argos, "-X", *args, "-r", "-", "-w", os.path.join(tmp, "stdin.argus")], stdin=f,
                               capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and ra_lines(os.path.join(tmp, "stdin.argus"), cols) == want, p.stderr
        fifo = os.path.join(tmp, "edges.fifo")
        os.mkfifo(fifo)
        writer = subprocess.Popen(f"cat '{pcap}' > '{fifo}'", shell=True)
        p, via_fifo = run_argos(argos, args + ["-r", fifo], tmp, "fifo.argus")
        writer.wait(timeout=30)
        assert p.returncode == 0 and ra_lines(via_fifo, cols) == want, p.stderr
        piped = os.path.join(tmp, "pipe.argus")
        p = subprocess.run(f"'{argos}' -X {' '.join(args)} -r <(cat '{pcap}') -w '{piped}'", shell=True,
                           executable="/bin/bash", capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and ra_lines(piped, cols) == want, p.stderr
        # A configuration file that blocks (a FIFO no one writes): SIGTERM
        # ends the sensor as it would any command.
        cfg_fifo = os.path.join(tmp, "cfg.fifo")
        os.mkfifo(cfg_fifo)
        blocked = subprocess.Popen([argos, "-F", cfg_fifo], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        blocked.send_signal(signal.SIGTERM)
        assert blocked.wait(timeout=10) == -signal.SIGTERM
        # A directory is no pcap file: said at start, nothing written.
        p, out = run_argos(argos, ["-r", tmp], tmp, "dir.argus")
        assert p.returncode == 2 and "it is a directory" in p.stderr and not os.path.exists(out), p.stderr
        p = subprocess.run([argos, "-X", "-r", tmp, "-w", out, "--check-config"], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 2 and "it is a directory" in p.stderr, p.stderr

    def getopt_forms(tmp):
        # argus's command lines as getopt reads them: run-together flags, a
        # value stuck to its flag, --flag=value, and "--" before the filter
        # give the configuration of the same line spelt out.
        pcap = pc("dns-udp.pcap")
        out = os.path.join(tmp, "g.argus")
        same = [(["-mAJZR", "-S7", "-U", "32"], ["-m", "-A", "-J", "-Z", "-R", "-S", "7", "-U", "32"]),
                (["-AU32", "-M", "30"], ["-A", "-U", "32", "-M", "30"]),
                (["-mU", "16"], ["-m", "-U", "16"]),
                (["--flows=4096", "--workers=2"], ["--flows", "4096", "--workers", "2"]),
                (["--", "udp", "and", "port", "53"], ["udp", "and", "port", "53"])]
        for short, spelt in same:
            got, want = (subprocess.run([argos, "-X", "-r", pcap, "-w", out, "--print-config", *a],
                                        capture_output=True, text=True, timeout=60) for a in (short, spelt))
            assert got.returncode == 0 and got.stdout == want.stdout, (short, got.stderr)
        print_cfg = subprocess.run([argos, "-X", "-mAS7", "-r", pcap, "-w", out, "--print-config"],
                                   capture_output=True, text=True, timeout=60).stdout
        assert "status_interval: 7s" in print_cfg and "mac: true" in print_cfg and "app_bytes: true" in print_cfg
        # Right after -w OUT, "--" still ends the flags: what follows is the
        # capture filter, not OUT's record filter, and no word after it is a flag.
        p = subprocess.run([argos, "-X", "-r", pcap, "--print-config", "-w", out, "--", "ip6"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and re.search(r'^  filter: "ip6"', p.stdout, re.M), p.stderr
        assert re.search(r'^\s+filter: ""', p.stdout, re.M) and 'filter: "ip6"' in p.stdout, p.stdout
        p = subprocess.run([argos, "-X", "-r", pcap, "-w", out, "--", "udp", "-M", "30"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and "'udp -M 30' does not compile" in p.stderr, p.stderr
        # A word that is not all flags stays one word, and is refused by name.
        p = subprocess.run([argos, "-X", "-Aq", "-r", pcap, "-w", out], capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and "unknown option -Aq" in p.stderr, p.stderr

    def several_outputs(tmp):
        o1, o2 = os.path.join(tmp, "a.argus"), os.path.join(tmp, "b.argus")
        p = subprocess.run([argos, "-r", pc("gre-sample.pcap"), "-w", o1, "-w", o2],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        a1, a2 = ra_lines(o1), ra_lines(o2)
        assert a1 and a1 == a2, "the two outputs differ"
        # A reader of -w - that quits early (`| head`) is a failed output,
        # said and counted; the file output still gets every record.
        os.unlink(o2)
        big = pc("large-echo-500-tcp-conns.pcap")
        p = subprocess.run(f"'{argos}' -X -r '{big}' -w - -w '{o2}' | head -c 1000 > /dev/null; "
                           "echo rc=${PIPESTATUS[0]} >&2", shell=True, executable="/bin/bash",
                           capture_output=True, text=True, timeout=120)
        assert "rc=1" in p.stderr and "writing '<standard output>' failed: Broken pipe" in p.stderr, p.stderr
        p2, alone = run_argos(argos, ["-r", big], tmp, "alone.argus")
        assert p2.returncode == 0 and len(ra_lines(o2)) == len(ra_lines(alone)) > 500, p2.stderr
        # Standard output closed by the caller: -w - is refused, and no other
        # output is handed descriptor 1 (it would get every record twice).
        os.unlink(o2)
        p = subprocess.run(f"'{argos}' -X -r '{pc('arp.pcap')}' -w - -w '{o2}' >&-", shell=True,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and "-w -: standard output is closed" in p.stderr, p.stderr
        p = subprocess.run(f"'{argos}' -X -r '{pc('arp.pcap')}' -w '{o2}' >&-", shell=True,
                           capture_output=True, text=True, timeout=60)
        p2, alone = run_argos(argos, ["-r", pc("arp.pcap")], tmp, "alone2.argus")
        assert p.returncode == 0 and ra_lines(o2) == ra_lines(alone), p.stderr
        # One file under two names gets each record twice: refused, as is an
        # output whose directory is missing or which is a directory, by
        # --check-config too.
        for twin in (os.path.join(tmp, ".", "b.argus"), os.path.join(tmp, "link.argus")):
            if twin.endswith("link.argus") and not os.path.exists(twin):
                os.symlink(o2, twin)
            p = subprocess.run([argos, "-X", "-r", pc("arp.pcap"), "-w", o2, "-w", twin], capture_output=True,
                               text=True, timeout=60)
            assert p.returncode == 2 and "are the same file" in p.stderr, p.stderr
        for bad, why in ((os.path.join(tmp, "none", "x.argus"), "does not exist"), (tmp, "is a directory")):
            for extra in ([], ["--check-config"]):
                p = subprocess.run([argos, "-X", "-r", pc("arp.pcap"), "-w", bad, *extra], capture_output=True,
                                   text=True, timeout=60)
                assert p.returncode == 2 and why in p.stderr, (extra, p.stderr)

    def response_time(tmp):
        # -R is accepted and, as with argus 3.0.8.2, leaves the records as
        # they are; an echo's round trip is its flow's dstime - sstime
        # (bidirectional timestamps), to the microsecond of the capture.
        pcap = pc("icmp-echo.pcap")
        yaml = os.path.join(tmp, "bidir.yaml")
        with open(yaml, "w") as f:
            f.write("metrics:\n  bidirectional_timestamps: true\n")
        p, plain = run_argos(argos, ["-F", yaml, "-r", pcap], tmp, "plain.argus")
        assert p.returncode == 0, p.stderr
        p, with_r = run_argos(argos, ["-F", yaml, "-R", "-r", pcap], tmp, "r.argus")
        assert p.returncode == 0, p.stderr
        cols = ["saddr", "proto", "daddr", "dport", "sstime", "dstime"]  # proto: ra_lines drops MARs
        recs = ra_lines(with_r, cols)
        assert recs == ra_lines(plain, cols), "-R changed the records"
        # Request and reply times from the capture itself (classic pcap,
        # Ethernet, IPv4, ICMP): sequence number -> [request, reply] in us.
        data = open(pcap, "rb").read()
        assert data[:4] == b"\xd4\xc3\xb2\xa1", "expected a little-endian microsecond pcap"
        times, off = {}, 24
        while off + 16 <= len(data):
            sec, usec, incl = struct.unpack_from("<III", data, off)
            frame = data[off + 16:off + 16 + incl]
            off += 16 + incl
            ihl = (frame[14] & 0x0f) * 4
            icmp = frame[14 + ihl:]
            if frame[23] == 1 and icmp[0] in (0, 8):
                seq = struct.unpack_from(">H", icmp, 6)[0]
                times.setdefault(seq, [None, None])[0 if icmp[0] == 8 else 1] = sec * 1_000_000 + usec
        pairs = {seq: t[1] - t[0] for seq, t in times.items() if None not in t}
        assert len(pairs) >= 3, pairs
        rtts = sorted(round((float(l.split(",")[5]) - float(l.split(",")[4])) * 1e6) for l in recs)
        assert rtts == sorted(pairs.values()), (rtts, sorted(pairs.values()))

    def status_interval(tmp):
        p, out5 = run_argos(argos, ["-r", pc("gtp-u.pcap")], tmp, "s5.argus")
        p, out1 = run_argos(argos, ["-r", pc("gtp-u.pcap"), "-S", "1"], tmp, "s1.argus")
        assert p.returncode == 0, p.stderr
        r5, r1 = ra_lines(out5), ra_lines(out1)
        assert len(r1) > 2 * len(r5), f"-S 1 gave {len(r1)} records, -S 5 gave {len(r5)}"
        tot = lambda rs: sum(int(l.split(",")[8]) + int(l.split(",")[9]) for l in rs)
        assert tot(r1) == tot(r5), "the packet totals differ between status intervals"
        p, _ = run_argos(argos, ["-r", pc("gtp-u.pcap"), "-S", "0"], tmp)
        assert p.returncode == 2, "-S 0 must be refused"

    def table_full_drop(tmp):
        p, out = run_argos(argos, ["-r", pc("tcp-syn-scan-vertical.pcap"), "--flows", "64",
                                   "--full-policy", "drop"], tmp)
        assert p.returncode == 0, p.stderr
        c = counters(p.stderr)
        assert c.get("table.full_drops", 0) > 0, "table.full_drops did not move"
        pkts = sum(int(l.split(",")[8]) + int(l.split(",")[9]) for l in ra_lines(out))
        assert pkts + c["table.full_drops"] == c["packets"], \
            f"records hold {pkts} packets, {c['table.full_drops']} dropped, {c['packets']} read"

    def table_full_evict(tmp):
        p, out = run_argos(argos, ["-r", pc("tcp-syn-scan-vertical.pcap"), "--flows", "64",
                                   "--full-policy", "evict"], tmp)
        assert p.returncode == 0, p.stderr
        c = counters(p.stderr)
        assert c.get("table.evictions", 0) > 0, "table.evictions did not move"
        pkts = sum(int(l.split(",")[8]) + int(l.split(",")[9]) for l in ra_lines(out))
        assert pkts == c["packets"], f"records hold {pkts} packets of {c['packets']}: eviction lost some"

    def closing_mar_counters(tmp):
        # The closing MAR carries the run's packets, bytes and new flows.
        p, out = run_argos(argos, ["-r", pc("mixed-dhcp-arp-icmp-icmpv6.pcap")], tmp)
        c = counters(p.stderr)
        mar = open(out, "rb").read()[-128:]
        assert mar[0] == 0x83 and mar[1] == 0x30, "the file does not end with a closing MAR"
        pkts = int.from_bytes(mar[48:56], "big")
        byts = int.from_bytes(mar[56:64], "big")
        flows = int.from_bytes(mar[76:80], "big")
        assert (pkts, byts, flows) == (c["packets"], c["bytes"], c["flows"]), \
            f"closing MAR says {pkts} packets, {byts} bytes, {flows} flows; summary {c}"

    def summary_counters(tmp):
        p, _ = run_argos(argos, ["-r", pc("malformed-ipv4-truncated-header.pcap")], tmp)
        c = counters(p.stderr)
        assert c["packets"] == 1 and c.get("parse.truncated_ipv4", 0) == 1, p.stderr
        p, _ = run_argos(argos, ["-r", pc("malformed-tcp-header.pcap")], tmp)
        c = counters(p.stderr)
        assert c.get("parse.truncated_l4", 0) == 2, p.stderr

    def quiet_pipes(tmp):
        # SIGTERM ends a sensor whose input pipe, FIFO or standard input is
        # quiet (a quiet link under tcpdump -w -), with every flow written;
        # a FIFO output without a reader is refused at once, as argus does.
        with open(pc("dns-udp.pcap"), "rb") as f:
            data = f.read()
        end = 24
        for _ in range(3):  # the file header and three whole records
            end += 16 + struct.unpack_from("<I", data, end + 8)[0]
        head = data[:end]
        out = os.path.join(tmp, "quiet.argus")
        for how in ("stdin", "fifo", "stdin, two workers"):
            if os.path.exists(out):
                os.unlink(out)
            if how.startswith("stdin"):
                two = ["--workers", "2", "--no-pin"] if "two" in how else []
                proc = subprocess.Popen([argos, "-X", "-r", "-", "-w", out, *two], stdin=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                writer = proc.stdin
            else:
                fifo = os.path.join(tmp, "in.fifo")
                if os.path.exists(fifo):
                    os.unlink(fifo)
                os.mkfifo(fifo)
                proc = subprocess.Popen([argos, "-X", "-r", fifo, "-w", out], stderr=subprocess.PIPE)
                time.sleep(0.5)  # no writer yet: waiting for one must not block a stop either
                writer = open(fifo, "wb")
            writer.write(head)
            writer.flush()
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise AssertionError(f"-r {how}: SIGTERM did not end the sensor while the pipe was quiet")
            finally:
                writer.close()
            err = err.decode()
            assert proc.returncode == 0 and "stopped_by_signal=1" in err, (how, err)
            assert len(ra_lines(out)) == counters(err)["records"] > 0, (how, err)
        fifo = os.path.join(tmp, "in.fifo")
        proc = subprocess.Popen([argos, "-X", "-r", fifo, "-w", out], stderr=subprocess.PIPE)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        ofifo = os.path.join(tmp, "out.fifo")
        os.mkfifo(ofifo)
        p = subprocess.run([argos, "-X", "-r", pc("dns-udp.pcap"), "-w", ofifo], capture_output=True, text=True,
                           timeout=10)
        assert p.returncode == 2 and "a FIFO with no reader" in p.stderr, p.stderr

    def core_plan(tmp):
        ncpu = os.cpu_count() or 1
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--cores", str(ncpu + 7)], tmp)
        assert p.returncode == 2 and "does not exist" in p.stderr, p.stderr
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--cores", "0,0", "--workers", "2"], tmp)
        assert p.returncode == 2 and "core plan" in p.stderr, p.stderr
        # --check-config makes the same plan: what would stop the start stops the check.
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--workers", str(ncpu + 1), "--check-config"], tmp)
        assert p.returncode == 2 and "core plan" in p.stderr, p.stderr
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--cores", str(ncpu + 7), "--check-config"], tmp)
        assert p.returncode == 2 and "does not exist" in p.stderr, p.stderr
        # A list with a hole is a typo, not core 0 and core 1.
        for holed in ("0,,1", "0,", ",0"):
            p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--cores", holed], tmp)
            assert p.returncode == 2 and "empty item" in p.stderr, (holed, p.stderr)
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--workers", str(ncpu + 1)], tmp)
        assert p.returncode == 2 and "core plan" in p.stderr, f"too few cores must be refused: {p.stderr}"
        p, out = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--workers", str(ncpu + 1), "--no-pin"], tmp)
        assert p.returncode == 0 and len(ra_lines(out)) == 8, p.stderr
        p, out = run_argos(argos, ["-r", pc("dns-udp.pcap"), "--cores", "0"], tmp)
        assert p.returncode == 0 and len(ra_lines(out)) == 8, p.stderr

    def stats_line(tmp):
        p, _ = run_argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "--stats-interval", "0.001"], tmp)
        lines = [l for l in p.stderr.splitlines() if l.startswith("argos: stats ")]
        assert p.returncode == 0 and lines, "no stats line with --stats-interval"
        last = dict(re.findall(r"(\S+)=(\d+)", lines[-1]))
        assert int(last["packets"]) <= counters(p.stderr)["packets"], lines[-1]
        p, _ = run_argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap")], tmp)
        assert not [l for l in p.stderr.splitlines() if l.startswith("argos: stats ")], "stats lines by default"
        # SIGUSR1 asks for a line now; SIGUSR2 is ignored, as argus ignores
        # both for the flows' sake: neither ends the sensor.
        out = os.path.join(tmp, "usr.argus")
        if os.path.exists(out):
            os.unlink(out)
        proc = subprocess.Popen([argos, "-r", pc("large-echo-500-tcp-conns.pcap"), "-T", "0.2", "-w", out],
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        proc.send_signal(signal.SIGUSR2)
        time.sleep(0.3)
        assert proc.poll() is None, "SIGUSR1 or SIGUSR2 ended the sensor"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert len([l for l in err.splitlines() if l.startswith("argos: stats ")]) == 1, err
        assert len(ra_lines(out)) == counters(err)["records"] > 0, err

    def per_worker_counters(tmp):
        p, _ = run_argos(argos, ["-r", pc("large-home-lan-mixed.pcap"), "--workers", "2", "--no-pin",
                                 "--stats-interval", "0.001"], tmp)
        assert p.returncode == 0, p.stderr
        total = counters(p.stderr)
        rows = {}
        for l in p.stderr.splitlines():
            m = re.match(r"argos: worker (\d+): (.*)", l)
            if m:
                rows[int(m.group(1))] = {k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", m.group(2))}
        assert sorted(rows) == [0, 1], f"want one line per worker: {p.stderr}"
        assert all(r["packets"] > 0 and r["flows"] > 0 for r in rows.values()), rows
        assert sum(r["packets"] for r in rows.values()) == total["packets"], (rows, total)
        assert sum(r["flows"] for r in rows.values()) == total["flows"], (rows, total)
        assert sum(r["records"] for r in rows.values()) == total["records"], (rows, total)
        assert all(r["parsed"] + r["rejected"] == r["packets"] for r in rows.values()), rows
        stats = [l for l in p.stderr.splitlines() if l.startswith("argos: stats ")]
        assert stats and re.search(r"worker_packets=\d+/\d+ ", stats[-1]), stats[-1:]
        p, _ = run_argos(argos, ["-r", pc("dns-udp.pcap")], tmp)
        assert "argos: worker " not in p.stderr, "per-worker lines with a single worker"

    def numa_binding(tmp):
        # A worker's flow table and batch pool are bound to its NUMA node
        # before use: the kernel's view of the running process says so.
        if not os.path.exists("/proc/self/numa_maps"):
            print("      (skipped: this kernel has no /proc/PID/numa_maps)")
            return
        with open(pc("arp.pcap"), "rb") as f:
            header = f.read(24)
        p = subprocess.Popen([argos, "-r", "-", "-w", os.path.join(tmp, "n.argus"), "--flows", "1000000"],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
        try:
            p.stdin.write(header)
            p.stdin.flush()
            maps = ""
            for _ in range(100):  # the tables exist once the file header is read
                time.sleep(0.05)
                with open(f"/proc/{p.pid}/numa_maps") as f:
                    maps = f.read()
                if re.search(BOUND, maps):
                    break
        finally:
            p.stdin.close()
            p.wait(timeout=30)
            err = p.stderr.read().decode()
        assert p.returncode == 0, err
        bound = [l for l in maps.splitlines() if re.search(BOUND, l)]
        if "not bound to NUMA nodes" in err:
            print("      (skipped: " + err.strip().splitlines()[0] + ")")
            return
        assert bound, "no mapping bound to a NUMA node:\n" + maps[:2000]
        nodes = {n for l in bound for n in re.search(BOUND, l).group(1).split(",")}
        assert all(os.path.isdir(f"/sys/devices/system/node/node{n}") for n in nodes), (bound, nodes)

    def output_options(tmp):
        # Each mistake is refused before anything starts (exit 2, a message).
        f = pc("dns-udp.pcap")
        o = os.path.join(tmp, "o.argus")
        bad = [(["-P", "70000"], "between 0 and 65535"), (["-P", "http"], "not a whole number"),
               (["-B", "127.0.0.1"], "give -P PORT"), (["--allow", "10.0.0.0/8"], "give -P PORT"),
               (["-P", "5000", "--allow", "10.0.0.0/33"], "prefix length"),
               (["-P", "5000", "--allow", "ten/8"], "not an IPv4 or IPv6 network"),
               (["-P", "5000", "-B", "not-an-address"], "not an IPv4 or IPv6 address"),
               (["-P", "5000", "--wait-clients", "11"], "exceeds --max-clients"),
               (["--rotate-interval", "60"], "strftime"), (["--rotate-size", "100"], "at least 4096"),
               (["-T", "0.0001"], "speed factor"), (["-w", "argus-udp://"], "HOST[:PORT]"),
               (["-w", "argus-udp://no.such.host.invalid:561"], "argus-udp://no.such.host.invalid"),
               (["-w", "argus-udp://127.0.0.1:5999", "-w", "argus-udp://127.0.0.1:5999"], "is pushed to twice")]
        for args, msg in bad:
            p = subprocess.run([argos, "-r", f, "-w", o] + args, capture_output=True, text=True, timeout=60)
            assert p.returncode == 2 and msg in p.stderr, f"{args}: exit {p.returncode}, {p.stderr.strip()}"
        # Rotation with no output file to rotate is refused, not ignored.
        for outs in (["-w", "-"], ["-w", "argus-udp://127.0.0.1:5999"], ["-P", "0"]):
            p = subprocess.run([argos, "-r", f, *outs, "--rotate-size", "1MiB"], capture_output=True, text=True,
                               timeout=60)
            assert p.returncode == 2 and "no output file to rotate" in p.stderr, (outs, p.stderr)
        # A port already taken is reported before any packet is read.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = subprocess.run([argos, "-r", f, "-P", str(port)], capture_output=True, text=True, timeout=60)
        s.close()
        assert p.returncode == 2 and "cannot listen on 127.0.0.1 port" in p.stderr, p.stderr
        # A full disk: said at once, counted, exit 1; the other output is whole.
        good = os.path.join(tmp, "good.argus")
        p = subprocess.run([argos, "-r", f, "-w", "/dev/full", "-w", good], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 1 and "writing '/dev/full' failed: No space left on device" in p.stderr, p.stderr
        assert len(ra_lines(good)) == 8, "the healthy output lost records"
        lost = re.search(r"'/dev/full': (\d+) records lost", p.stderr)
        assert lost and int(lost.group(1)) >= 8, p.stderr
        # Size rotation run twice into one directory: the second run starts
        # past the numbered files the first one filled, and no file grows
        # past the limit.
        rot = os.path.join(tmp, "rot")
        os.makedirs(rot, exist_ok=True)
        for _ in range(2):
            p = subprocess.run([argos, "-X", "-r", pc("large-http-browsing.pcap"), "-w", os.path.join(rot, "r.argus"),
                                "--rotate-size", "4096"], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
        files = [os.path.join(rot, n) for n in os.listdir(rot)]
        assert len(files) > 4 and all(os.path.getsize(n) <= 4096 for n in files), \
            sorted((os.path.getsize(n), n) for n in files)[-3:]
        total = sum(len(ra_lines(n)) for n in files)
        p1, one = run_argos(argos, ["-r", pc("large-http-browsing.pcap")], tmp, "one.argus")
        assert total == 2 * len(ra_lines(one)), (total, len(ra_lines(one)))
        # A disk that fills while rotating (a 64 KiB tmpfs; root only): exit
        # 1, the lost records counted, and no file left without its MAR.
        if os.geteuid() == 0:
            small = os.path.join(tmp, "small")
            os.makedirs(small, exist_ok=True)
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small]).returncode == 0:
                try:
                    p = subprocess.run([argos, "-X", "-r", pc("large-echo-500-tcp-conns.pcap"), "-w",
                                        os.path.join(small, "r.argus"), "--rotate-size", "8192"],
                                       capture_output=True, text=True, timeout=60)
                    lost = re.search(r"(\d+) records lost", p.stderr)
                    assert p.returncode == 1 and lost and int(lost.group(1)) > 0, p.stderr
                    kept = [os.path.join(small, n) for n in os.listdir(small)]
                    assert kept and all(os.path.getsize(n) > 0 for n in kept), kept
                    on_disk = sum(len(ra_lines(n)) for n in kept)  # ra reads each whole
                    assert 0 < on_disk < 583, on_disk
                    # Without rotation: the write the disk cut short is cut back to
                    # its last whole record, so the file ends on a record boundary
                    # (a reader would stop at a fragment, and so would every record
                    # appended once there is room again), and the loss is exact.
                    for n in kept:
                        os.unlink(n)
                    whole = os.path.join(small, "whole.argus")
                    p = subprocess.run([argos, "-X", "-r", pc("large-home-lan-mixed.pcap"), "-AJmZ", "-U", "256",
                                        "-w", whole],
                                       capture_output=True, text=True, timeout=60)
                    lost = re.search(r"(\d+) records lost", p.stderr)
                    assert p.returncode == 1 and lost, p.stderr
                    with open(whole, "rb") as fh:
                        data = fh.read()
                    at = 0
                    while at + 4 <= len(data) and (data[at + 2] << 8 | data[at + 3]) > 0:
                        at += (data[at + 2] << 8 | data[at + 3]) * 4
                    assert at == len(data), f"a record cut at byte {at} of {len(data)}"
                    written = counters(p.stderr)["records"] + 2  # and the two MARs
                    on_disk = len(ra_lines(whole)) + 1  # the start MAR (the closing one did not fit)
                    assert on_disk + int(lost.group(1)) == written, (on_disk, lost.group(1), written)
                finally:
                    subprocess.run(["umount", small])
        # The server alone is an output: no -w needed.
        p = subprocess.run([argos, "-r", f, "-P", str(port)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "server.accepted=0" in p.stderr, p.stderr

    def packet_range(tmp):
        # -N as argus counts packets: the first N, or A-B (A skipped, up to
        # the B-th). The real argus on the same range gives the same
        # records; with several workers and with -T as well.
        for name, rng in (("large-echo-500-tcp-conns.pcap", "100"), ("large-echo-500-tcp-conns.pcap", "1000-5000"),
                          ("large-http-browsing.pcap", "50-400")):
            ref = os.path.join(tmp, "ref.argus")
            if os.path.exists(ref):
                os.unlink(ref)
            r = subprocess.run(["argus", "-X", "-r", pc(name), "-N", rng, "-w", ref], capture_output=True, text=True,
                               timeout=120)
            assert r.returncode == 0, r.stderr
            want = sorted(ra_lines(ref))
            lo, hi = (0, int(rng)) if "-" not in rng else map(int, rng.split("-"))
            for extra in ([], ["--workers", "2"]):
                p, out = run_argos(argos, ["-r", pc(name), "-N", rng] + extra, tmp)
                assert p.returncode == 0, p.stderr
                assert counters(p.stderr)["packets"] == hi - lo, (rng, extra, p.stderr)
                assert sorted(ra_lines(out)) == want, f"-N {rng} {extra}: the records differ from argus -N {rng}"
        p, out = run_argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "-N", "10-20", "-T", "1000"], tmp)
        assert p.returncode == 0 and counters(p.stderr)["packets"] == 10, p.stderr
        for bad, why in (("0", "selects no packet"), ("5-5", "selects no packet"), ("x", "is not N or A-B")):
            p, out = run_argos(argos, ["-r", pc("dns-udp.pcap"), "-N", bad], tmp)
            assert p.returncode == 2 and why in p.stderr, p.stderr

    def follow(tmp):
        # -f follows the last file as it grows: a capture still being written.
        # The file starts with a third of a capture's records; the rest is
        # appended while argos runs, cut in the middle of a record (a
        # writer's partial write). After SIGINT the flows, packets and bytes
        # are those of the whole capture read at once, classic pcap (read
        # mapped) and pcapng (read through libpcap) alike, with one worker
        # and with two.
        src = pc("large-http-browsing.pcap")
        data = open(src, "rb").read()
        recs, pos = [], 24
        while pos < len(data):
            cap = struct.unpack("<I", data[pos + 8:pos + 12])[0]
            recs.append(data[pos:pos + 16 + cap])
            pos += 16 + cap

        def pcapng(records):
            # The same packets as pcapng: section header, one interface, EPBs.
            def block(kind, body):
                return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
            head = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) + \
                block(1, struct.pack("<HHI", struct.unpack("<I", data[20:24])[0], 0, 262144))
            out = []
            for r in records:
                sec, usec, cap, wire = struct.unpack("<IIII", r[:16])
                ts = sec * 1000000 + usec
                out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, cap, wire) + r[16:] +
                                 b"\0" * ((4 - cap % 4) % 4)))
            return head, out

        flow_cols = ["proto", "saddr", "sport", "daddr", "dport", "spkts", "dpkts", "sbytes", "dbytes"]

        def flows(path):
            p = subprocess.run(["racluster", "-M", "norep", "-r", path, "-n", "-c", ",", "-s", *flow_cols],
                               capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stderr
            return sorted(l for l in p.stdout.splitlines()[1:] if ",man," not in l)

        p, whole = run_argos(argos, ["-r", src], tmp, "whole.argus")
        assert p.returncode == 0, p.stderr
        want = flows(whole)
        third = len(recs) // 3
        for form in ("pcap", "pcapng"):
            if form == "pcap":
                head, body = data[:24], recs
            else:
                head, body = pcapng(recs)
            for workers in ("1", "2"):
                live = os.path.join(tmp, "live." + form)
                out = os.path.join(tmp, "follow.argus")
                if os.path.exists(out):
                    os.unlink(out)
                with open(live, "wb") as f:
                    f.write(head + b"".join(body[:third]))
                proc = subprocess.Popen([argos, "-f", "-r", live, "-w", out, "--workers", workers],
                                        stderr=subprocess.PIPE, text=True)
                time.sleep(1)
                rest = b"".join(body[third:])
                cut = len(rest) // 2 + 7  # inside a record
                with open(live, "ab") as f:
                    f.write(rest[:cut])
                    f.flush()
                    time.sleep(0.5)
                    assert proc.poll() is None, f"{form}: argos ended at a record cut short: {proc.stderr.read()}"
                    f.write(rest[cut:])
                time.sleep(1)
                assert proc.poll() is None, f"{form}: argos ended at the end of the file: {proc.stderr.read()}"
                proc.send_signal(signal.SIGINT)
                err = proc.communicate(timeout=30)[1]
                assert proc.returncode == 0, (form, workers, err)
                assert counters(err)["packets"] == len(recs), (form, workers, err)
                assert flows(out) == want, f"{form}, {workers} worker(s): the flows differ from reading the file whole"

        # While the file is quiet the timers run on: the reports of a DNS
        # capture (status interval 1 s) are written with no packet after
        # them, before any signal.
        live = os.path.join(tmp, "quiet.pcap")
        out = os.path.join(tmp, "quiet.argus")
        with open(live, "wb") as f:
            f.write(open(pc("dns-udp.pcap"), "rb").read())
        if os.path.exists(out):
            os.unlink(out)
        proc = subprocess.Popen([argos, "-f", "-r", live, "-w", out, "-S", "1"], stderr=subprocess.PIPE, text=True)
        try:
            got = []
            for _ in range(50):
                time.sleep(0.2)
                if os.path.exists(out) and os.path.getsize(out) > 0:
                    got = ra_lines(out)
                    if len(got) == 8:
                        break
            assert len(got) == 8, f"{len(got)} of the 8 DNS flows reported while the file is quiet"
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)

        # A followed file that shrinks ends the input with exit status 1
        # (classic pcap and pcapng).
        head, body = pcapng(recs[:20])
        for name, content in (("shrink.pcap", data), ("shrink.pcapng", head + b"".join(body))):
            shrinking = os.path.join(tmp, name)
            with open(shrinking, "wb") as f:
                f.write(content)
            proc = subprocess.Popen([argos, "-f", "-r", shrinking, "-w", out], stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            os.truncate(shrinking, 100)
            err = proc.communicate(timeout=30)[1]
            assert proc.returncode == 1 and "shrank to 100 bytes while followed" in err, (name, err)

        # Damage is not taken for a record still being written: a record
        # header claiming more than any snapshot length ends the input with
        # the byte offset, after the records before it.
        damaged = os.path.join(tmp, "damaged.pcap")
        with open(damaged, "wb") as f:
            f.write(data[:24] + b"".join(recs[:10]) + struct.pack("<IIII", 1, 0, 0x7fffffff, 60))
        p, dout = run_argos(argos, ["-f", "-r", damaged], tmp, "damaged.argus")
        offset = 24 + sum(len(r) for r in recs[:10])
        assert p.returncode == 1 and f"is damaged at byte offset {offset}" in p.stderr, p.stderr
        assert counters(p.stderr)["packets"] == 10, p.stderr

        # What cannot be followed is refused at start.
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        for args, why in ((["-f", "-r", "-"], "standard input ends"),
                          (["-f", "-r", fifo], "is not a regular file"),
                          (["-f", "-r", live, "-T", "1"], "-f and -T exclude each other"),
                          (["-f", "-i", "lo"], "follows the last file of -r")):
            p, _ = run_argos(argos, args, tmp)
            assert p.returncode == 2 and why in p.stderr, (args, p.stderr)

    def chroot(tmp):
        # -c DIR: once everything is open the sensor confines itself to DIR
        # (its /proc root is DIR), as root. Output paths are inside DIR (as
        # argus's); the input files, the pid file and the log file keep
        # their paths outside, and SIGHUP reopens the output inside DIR and
        # the log file outside. Every -r file is read, the last one followed
        # (-f) to keep the sensor running while it is looked at.
        if os.geteuid() != 0:
            print("      (skipped: needs root)")
            return
        jail = os.path.join(tmp, "jail")
        os.makedirs(os.path.join(jail, "out"))
        live = os.path.join(tmp, "live.pcap")
        with open(live, "wb") as f:
            f.write(open(pc("dns-udp.pcap"), "rb").read())
        pid, log = os.path.join(tmp, "argos.pid"), os.path.join(tmp, "argos.log")
        inputs = [pc("tcp-http-ipv4-single-flow.pcap"), pc("pcapng-multi-interface.pcapng"), live]
        args = ["-c", jail, "-f", "--pid-file", pid, "--log", "file", "--log-file", log, "-w", "/out/a.argus"]
        for f in inputs:
            args += ["-r", f]
        proc = subprocess.Popen([argos] + args, stderr=subprocess.PIPE, text=True)
        try:
            out = os.path.join(jail, "out", "a.argus")
            for _ in range(50):
                if os.path.exists(out) and os.path.exists(pid) and os.path.exists(log):
                    break
                time.sleep(0.1)
            time.sleep(1)
            assert proc.poll() is None, proc.stderr.read()
            assert os.path.realpath(f"/proc/{proc.pid}/root") == os.path.realpath(jail), \
                os.readlink(f"/proc/{proc.pid}/root")
            assert open(pid).read().strip() == str(proc.pid)
            os.rename(out, out + ".old")
            os.rename(log, log + ".old")
            proc.send_signal(signal.SIGHUP)
            for _ in range(50):
                if os.path.exists(out) and os.path.exists(log):
                    break
                time.sleep(0.1)
            assert os.path.exists(out), "SIGHUP did not open the output again inside the directory"
            assert os.path.exists(log), "SIGHUP did not open the log file again outside the directory"
        finally:
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=30)[1]
        assert proc.returncode == 0, err
        assert not os.path.exists(pid), "the pid file outside the directory was left behind"
        assert not os.path.exists(os.path.join(tmp, "out")), "an output was written outside the directory"
        got = ra_lines(out + ".old") + ra_lines(out)
        want = []
        for f in inputs:
            p, ref = run_argos(argos, ["-r", f], tmp, "ref.argus")
            assert p.returncode == 0, p.stderr
            want += ra_lines(ref)
        assert sorted(got) == sorted(want), "the records differ from reading each file alone"
        for bad, why in ((["-c", os.path.join(tmp, "none")], "is not a directory"),):
            p, _ = run_argos(argos, bad + ["-r", pc("dns-udp.pcap")], tmp)
            assert p.returncode == 2 and why in p.stderr, p.stderr

    def record_filter(tmp):
        # Record filters on outputs (argus's -w FILE "filter", YAML filter:):
        # one run writes every record to one file and each filter's records
        # to a file of its own; each of those holds exactly what the real
        # `ra - FILTER` selects from the first. (Filters with src or dst are
        # held to the real argus below: ra turns some records around for
        # display, mid-stream TCP and lone replies, and matches src and dst
        # after that; the sensor's filter, argus's as Argos's, sees the
        # record as written, src the sender of its first packet.)
        filters = ["ip", "ipv4", "ipv6", "tcp", "udp", "icmp", "igmp", "arp", "host 10.5.5.1",
                   "host 192.168.5.16", "net 10.5.5.0/24", "net ff02::/16", "net 2001:db8::/32",
                   "port 53", "port 443", "pkts gt 2", "pkts eq 1", "bytes gt 1000",
                   "bytes lt 100", "not (udp or arp)", "tcp and (port 80 or port 443) and pkts gt 3",
                   "udp && !port 53", "icmp || ipv6 and not udp",
                   "port 53 or 443", "tcp port 80 or 443", "udp port 53", "host 10.5.5.1 or 192.168.5.16",
                   "not host 8.8.8.8 and 10.5.5.1", "pkts gte 3", "bytes lte 200",
                   "ttl eq 64", "ttl lt 64", "tos gt 0", "ttl gte 128 or tos eq 0",
                   "syn", "tcp and not syn", "synack", "fin", "finack", "reset", "retrans", "outoforder",
                   "winshut", "ecn", "frag", "echo", "unreach", "timexed", "icmp and not echo", "multicast",
                   "encaps 802q", "encaps gre", "tcp and not encaps 802q", "encaps llc or encaps sll",
                   "dur gt 1", "dur lt 0.001", "dur eq 0", "rate gt 10", "rate gte 0.5 and rate lt 20",
                   "rate eq 0", "load gt 100000", "load lte 1000.5", "seq lt 5", "seq gt 40 and udp",
                   # Each falls between a side's load as ra reads it, bytes less
                   # their integer mean per packet, and the same with the exact
                   # mean: they hold the sensor to ra's arithmetic.
                   "load gt 943.9", "load lt 19954.5", "load gt 12143646.4",
                   "ether proto 0x0800", "ether proto 34525", "ether proto 0x0806", "ether proto 0x88cc",
                   "ether proto 0", "not ether proto 2048 and not arp"]

        def ra_select(path, expr):
            p = subprocess.run(["ra", "-r", path, "-n", "-u", "-c", ",", "-s", *COLS, "-", expr],
                               capture_output=True, text=True, timeout=120)
            # ra exits 1 when nothing matches; a filter it cannot read says so.
            if p.returncode not in (0, 1) or p.stderr.strip():
                raise AssertionError(f"ra - {expr}: {p.stderr.strip()}")
            return sorted(l for l in p.stdout.splitlines()[1:] if ",man," not in l)

        yaml = os.path.join(tmp, "filters.yaml")

        def run_filtered(name, fs, extra=(), metrics=""):
            # One run of `name`: every record to one file, each filter's to its own.
            every = os.path.join(tmp, "every.argus")
            outs = [os.path.join(tmp, f"f{i}.argus") for i in range(len(fs))]
            for o in [every] + outs:
                if os.path.exists(o):
                    os.unlink(o)
            with open(yaml, "w") as y:
                y.write(f"{metrics}input:\n  files: [{pc(name)}]\noutputs:\n  files:\n    - {every}\n")
                for o, f in zip(outs, fs):
                    y.write(f"    - path: {o}\n      filter: \"{f}\"\n")
            p = subprocess.run([argos, "-X", "-F", yaml, *extra], capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stderr
            return every, outs

        def same_as_ra(name, fs, extra=(), metrics=""):
            # Each filter's output holds exactly what ra selects from every
            # record of the same run; returns how many it holds.
            every, outs = run_filtered(name, fs, extra, metrics)
            counts = {}
            for o, f in zip(outs, fs):
                got, want = sorted(ra_lines(o)), ra_select(every, f)
                assert got == want, f"{name} {list(extra)}, filter '{f}': {len(got)} records, ra selects {len(want)}"
                counts[f] = len(got)
            return counts

        picked = {}
        for name in ("mixed-dhcp-arp-icmp-icmpv6.pcap", "large-home-lan-mixed.pcap", "large-http-browsing.pcap",
                     "tcp-rst-injection.pcap", "tcp-zero-window-retrans.pcap", "icmp-unreachable-udp.pcap",
                     "ip-fragments-ipv4-nfs-udp.pcap", "large-echo-500-tcp-conns.pcap", "gre-sample.pcap",
                     "vlan-qinq-8100-8100-http.pcap", "nsec-linux-sll-tcp-handshake.pcap", "lldp.pcap",
                     "stp-8021d.pcap", "ip-fragments-ipv6-dns.pcap"):
            for f, n in same_as_ra(name, filters).items():
                picked[f] = picked.get(f, 0) + n
        # Each filter selects something somewhere (but what these captures
        # lack: IGMP, documentation addresses, time exceeded over IPv4),
        # and none selects everything.
        assert {f for f in filters if not picked[f]} == {"igmp", "net 2001:db8::/32", "timexed"}, picked
        assert all(picked[f] < picked["not (udp or arp)"] + picked["udp"] + picked["arp"] for f in filters), picked
        # src and dst: the record's own, as written (src sent its first
        # packet), which is what ra shows and matches, except for records ra
        # turns around for display (marked <?> or <-): those are left out of
        # the comparison.
        directed = ["src host 10.0.0.6 and tcp", "dst port 443", "dst net 10.0.0.0/24", "src pkts gt 3",
                    "dst bytes gt 1000", "src net 10.0.0.0/24", "dst host 127.0.0.1 and dst port 7000",
                    "dst port 53 and udp", "dst pkts eq 1", "src ttl eq 64", "dst ttl eq 0", "dst syn",
                    "src fin", "dst reset", "src retrans", "src 10.0.0.6 and dst 212.199.202.9",
                    "src rate gt 10", "dst rate lt 10 and tcp", "dst load gt 50000", "src load lt 5000",
                    "src dur gt 2"]

        def upright(lines):
            dirs = [l.split(",")[COLS.index("dir")].strip() for l in lines]
            return [l for l, d in zip(lines, dirs) if "?" not in d and d != "<-"]

        chosen = {}
        for name in ("large-http-browsing.pcap", "large-echo-500-tcp-conns.pcap", "tcp-syn-scan-vertical.pcap"):
            every, outs = run_filtered(name, directed)
            for o, f in zip(outs, directed):
                got, want = upright(sorted(ra_lines(o))), upright(ra_select(every, f))
                assert got == want, f"{name}, filter '{f}': {len(got)} records, ra selects {len(want)}"
                chosen[f] = chosen.get(f, 0) + len(got)
        assert all(chosen.values()), f"a filter that selects nothing proves little: {chosen}"
        # rate and load with bidirectional timestamps: ra divides by each
        # side's own span then, which gives other selections.
        spans = ["src rate gt 10", "dst rate gt 10", "rate gt 30", "dst load gt 100000", "load lt 2000",
                 "dur gt 1"]
        bidir = "metrics:\n  bidirectional_timestamps: true\n"
        for name in ("large-http-browsing.pcap", "large-home-lan-mixed.pcap"):
            picks = []
            for metrics in ("", bidir):
                every, outs = run_filtered(name, spans, metrics=metrics)
                picks.append([])
                for o, f in zip(outs, spans):
                    got, want = upright(sorted(ra_lines(o))), upright(ra_select(every, f))
                    assert got == want, f"{name} {metrics!r}, filter '{f}': {len(got)} records, ra selects {len(want)}"
                    chosen[f] = chosen.get(f, 0) + len(got)
                    picks[-1].append(len(got))
            assert picks[0] != picks[1], f"{name}: the sides' own spans change no selection: {picks}"
        assert all(chosen.values()), f"a filter that selects nothing proves little: {chosen}"
        # MAC addresses, in records that carry them (-m); none without.
        macs = ["ether host 08:00:27:19:1c:78", "ether dst 30:46:9a:23:fb:fa", "ether src 08:00:27:19:1c:78",
                "ether dst ff:ff:ff:ff:ff:ff", "not ether host 08:00:27:19:1c:78 and tcp"]
        for extra in (["-m"], []):
            for f, n in same_as_ra("large-http-browsing.pcap", macs, extra).items():
                assert bool(n) == bool(extra) or f.startswith("not"), (extra, f, n)
        # Application bytes: counted with -A, read as 0 without it (as ra
        # reads records that do not carry them).
        apps = ["appbytes gt 0", "appbytes eq 0", "tcp and dst appbytes gte 100000", "appbytes lt 100 and udp"]
        for extra in (["-A"], []):
            for f, n in same_as_ra("large-http-browsing.pcap", apps, extra).items():
                assert bool(n) == bool(extra) or f in ("appbytes eq 0", "appbytes lt 100 and udp"), (extra, f, n)
        # srcid: the sensor's own id (-e), which every record carries; ra
        # compares the value of a number or an IPv4 id, never a string id.
        ids = ["srcid 1234", "srcid 0x4d2", "srcid 10.1.2.3", "srcid 167838211", "srcid 0", "not srcid 1234 and udp"]
        for sid in ("1234", "10.1.2.3", '"abcd"', None):
            same_as_ra("dns-udp.pcap", ids, ["-e", sid] if sid else [])
        # On the command line as argus reads it: the word right after -w
        # TARGET is that output's record filter, the words after the last
        # flag the capture filter (not after -r: argus reads the words
        # after -r as more files). The real argus given the same line
        # writes the same records.
        sel = {"every": None, "dns": "udp and port 53", "big": "pkts gt 2", "web": "tcp port 80"}
        for prog in ("argos", "argus"):
            d = os.path.join(tmp, prog)
            os.makedirs(d, exist_ok=True)
            line = [w for n, f in sel.items() for w in ["-w", os.path.join(d, n)] + ([f] if f else [])]
            p = subprocess.run([argos if prog == "argos" else "argus", "-X", "-r", pc("large-http-browsing.pcap")] +
                               line + ["not", "arp"],
                               capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, f"{prog}: {p.stderr}"
        for n, f in sel.items():
            # (the two sensors write their reports in different orders)
            mine, theirs = (sorted(ra_lines(os.path.join(tmp, p, n))) for p in ("argos", "argus"))
            assert mine and mine == theirs, f"-w {n} {f}: argos {len(mine)} records, argus {len(theirs)}"
            assert f is None or len(mine) < len(ra_lines(os.path.join(tmp, "argos", "every"))), f
        p = subprocess.run([argos, "-X", "-r", pc("dns-udp.pcap"), "-w", os.path.join(tmp, "x.argus"), "pkts", "gt", "2"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and "'pkts' needs a value" in p.stderr and "record filter, as with argus" in p.stderr, \
            p.stderr
        # What the filter language leaves out is refused by name.
        p = subprocess.run([argos, "-X", "-F", yaml, "--check-config"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        with open(yaml, "a") as y:
            y.write(f"    - path: {tmp}/ttl.argus\n      filter: \"vid gt 3\"\n")
        p = subprocess.run([argos, "-X", "-F", yaml], capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and "'vid' is not supported in record filters" in p.stderr, p.stderr

    checks = [("inputs read as libpcap reads them", inputs_as_libpcap_reads_them), ("getopt forms", getopt_forms),
              ("-c confines the sensor to a directory", chroot), ("-f follows a growing file", follow), ("record filters on outputs", record_filter), ("-N packet range", packet_range), ("closing MAR counters", closing_mar_counters), ("output options refused", output_options), ("stops while a pipe is quiet", quiet_pipes), ("core plan", core_plan),
              ("periodic stats line", stats_line), ("per-worker counters", per_worker_counters),
              ("NUMA-bound flow tables", numa_binding)]
    checks += [("bpf filter", bpf_filter), ("-b prints the filter, -O", print_filter), ("bad filter", bad_filter), ("-e source id", source_id),
                     ("several -w outputs", several_outputs), ("-S status interval", status_interval),
                     ("table full: drop", table_full_drop), ("table full: evict", table_full_evict),
                     ("summary counters", summary_counters), ("-R response time", response_time)]
    return run_checks("cli", checks)


if __name__ == "__main__":
    sys.exit(main())
