#!/usr/bin/env python3
"""Records served to remote collectors, judged by the real Argus clients.

Everything runs on loopback. Each check starts argos on a capture with the
stream server (-P) and/or UDP push (-w argus-udp://...) beside a file output,
connects real clients (ra -S, radium) or raw sockets of its own, and compares
what the clients received with the file of the same run:

  * ra -S and radium receive every record of the file (--wait-clients holds
    the replay until they have started);
  * twelve clients at once: ten are served, two get the too-many-clients
    error MAR (83 82 00 01) and are closed;
  * a client from an address outside --allow gets the access-denied error
    MAR (83 81 00 01), is closed, and the refusal is logged and counted;
  * a client that never reads is disconnected once its buffer fills while
    ra, connected at the same time, still receives everything;
  * a client killed in the middle of the stream leaves argos and the other
    client unaffected;
  * a client that never sends START: is closed after 5 s;
  * FILTER: is answered with exactly "OK";
  * a client's filter is applied by the sensor when it has no src or dst:
    a raw client, whose filter comes in two segments, receives only the
    records `ra - FILTER` selects; ra -S clients get the same either way;
    filters naming src or dst are matched both ways round and hold back
    nothing ra keeps;
    a filter nested 20000 deep is left to the client, one that never
    closes is cut off at 64 KiB;
  * UDP push sends the start MAR, then one record per datagram: the
    datagrams, concatenated, are the file; with a record filter, they are
    what `ra - FILTER` selects from the file;
  * files, UDP push and the server in one run all get every record;
  * rotation by size and by time: the packets across all files equal those
    of one unrotated file, and ra reads every file whole;
  * SIGHUP after the file was moved away reopens its name (logrotate);
  * an IPv6 listener, and DONE: ending a client's session.

usage: stream_test.py --argos PATH --gen-pcap PATH --pcaps DIR
"""
import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from argus_records import records  # noqa: E402
from checks import run_checks  # noqa: E402

COLS = ["stime", "ltime", "proto", "saddr", "sport", "dir", "daddr", "dport",
        "spkts", "dpkts", "sbytes", "dbytes", "state"]
ERR_DENIED = bytes([0x83, 0x81, 0x00, 0x01])
ERR_FULL = bytes([0x83, 0x82, 0x00, 0x01])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def flows(path, expr=None):
    """Flow records as ra prints them (MARs left out), those of the record
    filter `expr` if given. A client reading a stream (ra -S ... -w)
    rewrites the records of TCP flows whose direction is unknown ("<?>"),
    swapping their two sides' counters: for those the two (packets, bytes)
    pairs are compared as a set."""
    p = subprocess.run(["ra", "-r", path, "-n", "-u", "-c", ",", "-s", *COLS] + (["-", expr] if expr else []),
                       capture_output=True, text=True, timeout=120)
    # ra exits 1 when a filter matches nothing
    if p.returncode not in ((0, 1) if expr else (0,)) or p.stderr.strip():
        raise AssertionError(f"ra cannot read {path}: {p.stderr.strip()}")
    out = []
    for l in p.stdout.splitlines()[1:]:
        f = l.split(",")
        if f[2] == "man":
            continue
        if f[5].strip() == "<?>":
            a, b = sorted([(f[8], f[10]), (f[9], f[11])])
            f[8], f[10], f[9], f[11] = a[0], a[1], b[0], b[1]
        out.append(",".join(f))
    return out


def first_diff(want, have):
    """The first line where two ra listings differ, for a failure message."""
    for i, (w, h) in enumerate(zip(want, have)):
        if w != h:
            return f"line {i}: file {w} | client {h}"
    return f"lengths {len(want)} and {len(have)}"


def summary(err):
    line = [l for l in err.splitlines() if l.startswith("argos: packets=")]
    if not line:
        raise AssertionError("no summary line:\n" + err)
    return {k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", line[-1])}


RUNNING = []  # every argos started, killed after each check if still alive


def kill_running():
    """After each check: nothing it started outlives it."""
    for p in RUNNING:
        if p.poll() is None:
            p.kill()
            p.wait()
    RUNNING.clear()


def spawn(cmd, **kw):
    """A client process, killed after the check if still alive."""
    p = subprocess.Popen(cmd, **kw)
    RUNNING.append(p)
    return p


class Argos:
    """argos in the background; with -P, returns once it listens (its
    start-up line), so clients never race the listener."""

    def __init__(self, argos, args):
        self.p = subprocess.Popen([argos] + args, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        RUNNING.append(self.p)
        self.head = ""
        if "-P" in args:
            while True:
                line = self.p.stderr.readline()
                if not line:
                    raise AssertionError("argos ended before listening:\n" + self.head)
                self.head += line
                if "serving Argus records on" in line:
                    break

    def wait(self, timeout=60, status=0):
        try:
            _, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, err = self.p.communicate()
            raise AssertionError("argos did not finish:\n" + self.head + err)
        self.err = err = self.head + err
        if self.p.returncode != status:
            raise AssertionError(f"argos exit {self.p.returncode} (want {status}):\n{err}")
        return summary(err)


def connect(port, src=None, rcvbuf=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_n(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def read_all(s):
    buf = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--gen-pcap", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--only", help="run the checks whose name contains this")
    a = ap.parse_args()
    argos = os.path.abspath(a.argos)
    pc = lambda n: os.path.join(os.path.abspath(a.pcaps), n)
    def ra_follows(tmp):
        port = free_port()
        out, got = os.path.join(tmp, "file.argus"), os.path.join(tmp, "ra.argus")
        # A paced replay (-T 5: 6.5 s of packet time in about 1.3 s), so
        # the stream runs while ra reads it, as from a live sensor; status
        # MARs every second (-M 1) reach the client too.
        x = Argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "-T", "5", "-M", "1", "-P", str(port),
                          "--wait-clients", "1", "-w", out])
        t0 = time.monotonic()
        ra = spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", got],
                              stderr=subprocess.PIPE, text=True)
        c = x.wait()
        try:
            _, ra_err = ra.communicate(timeout=15)  # ra leaves once the server closes
        except subprocess.TimeoutExpired:
            ra.kill()
            raise AssertionError("ra -S did not finish after argos closed the stream")
        took = time.monotonic() - t0
        assert took >= 1.2, f"-T 5 replayed 6.5 s of packets in {took:.2f} s"
        want, have = flows(out), flows(got)
        assert want and have == want, f"ra -S: {first_diff(want, have)} {ra_err}"
        assert c["server.started"] == 1 and c["server.closed"] == 1, c
        # Status MARs on the way, and the closing MAR last, as in the file.
        kinds = [r[:2] for r in records(open(got, "rb").read())]
        assert (0x83, 0x20) in kinds and kinds[-1] == (0x83, 0x30), kinds[-3:]

    def radium_relays(tmp):
        port = free_port()
        out, got = os.path.join(tmp, "file.argus"), os.path.join(tmp, "radium.argus")
        x = Argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "-T", "5", "-P", str(port),
                          "--wait-clients", "1", "-w", out])
        rad = spawn(["radium", "-S", f"127.0.0.1:{port}", "-w", got],
                               stderr=subprocess.PIPE, text=True)
        x.wait()
        time.sleep(1.0)  # radium writes what it got, then keeps reconnecting
        rad.send_signal(signal.SIGTERM)
        rad.communicate(timeout=15)
        want, have = flows(out), flows(got)
        assert want and have == want, f"radium: {first_diff(want, have)}"

    def late_client_mar(tmp):
        # A client connecting 1.5 s after the sensor started gets the start
        # MAR with its own `now` (the connection's time, offset 32) and the
        # sensor's start time (offset 24), as argus builds one per client;
        # every other byte is the file's start MAR.
        port = free_port()
        out = os.path.join(tmp, "file.argus")
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "--wait-clients", "1", "-w", out])
        time.sleep(1.5)
        before = time.time()
        s = connect(port)
        mar = read_n(s, 128)
        after = time.time()
        s.sendall(b"START: ")
        read_all(s)
        x.wait()
        fmar = open(out, "rb").read()[:128]
        assert mar[:2] == fmar[:2] == b"\x83\x10", (mar[:4].hex(), fmar[:4].hex())
        def stamp(m, at):
            sec, usec = struct.unpack(">II", m[at:at + 8])
            return sec + usec / 1e6
        assert stamp(mar, 24) == stamp(fmar, 24), (stamp(mar, 24), stamp(fmar, 24))
        assert before - 0.1 <= stamp(mar, 32) <= after, (before, stamp(mar, 32), after)
        assert stamp(mar, 32) - stamp(fmar, 32) >= 1.0, (stamp(mar, 32), stamp(fmar, 32))
        assert mar[:32] + mar[40:] == fmar[:32] + fmar[40:], (mar.hex(), fmar.hex())

    def over_limit(tmp, clients, limit):
        # limit=None: the default, argus's ten.
        port = free_port()
        out = os.path.join(tmp, "file.argus")
        n = limit or 10
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "--wait-clients", str(n), "-w", out] +
                  (["--max-clients", str(limit)] if limit else []))
        socks = [connect(port) for _ in range(clients)]
        served, refused = [], []
        for s in socks:
            head = read_n(s, 4)
            if head == ERR_FULL:
                assert read_n(s, 1) == b"", "a refused client was not closed"
                refused.append(s)
            else:
                assert head[:2] == b"\x83\x10", f"neither a start MAR nor the error MAR: {head.hex()}"
                served.append((s, head + read_n(s, 124)))
        assert len(served) == n and len(refused) == clients - n, (len(served), len(refused))
        for s, _ in served:
            s.sendall(b"START: ")
        # Every record went to every started client: each one's bytes are
        # the file's, byte for byte (same start, status and closing MARs).
        streams = [mar + read_all(s) for s, mar in served]
        c = x.wait()
        body = open(out, "rb").read()
        # The closing MAR counts its readers: the file and the clients.
        closing = [r[2] for r in records(body)][-1]
        assert int.from_bytes(closing[92:96], "big") == n + 1, closing[92:96].hex()
        # (The start MAR's `now` says when each was handed out: the file's
        # when it was opened, a client's when it connected; late_client_mar.)
        fnow = body[32:40]
        assert all(st[32:40] >= fnow for st in streams), [st[32:40].hex() for st in streams]
        assert all(st[:32] + st[40:] == body[:32] + body[40:] for st in streams), \
            f"a client's stream differs from the file ({[len(st) for st in streams]} vs {len(body)} bytes)"
        assert c["server.refused_full"] == clients - n and c["server.started"] == n, c
        assert x.err.count(f"already {n} clients") == clients - n, x.err

    def twelve_clients(tmp):
        over_limit(tmp, 12, None)

    def max_clients(tmp):
        over_limit(tmp, 5, 3)

    def denied(tmp):
        port = free_port()
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "--allow", "127.0.0.1/32",
                          "--wait-clients", "1", "-w", os.path.join(tmp, "o.argus")])
        bad = connect(port, src="127.0.0.2")
        assert read_n(bad, 5) == ERR_DENIED, "want exactly the access-denied error MAR, then EOF"
        good = connect(port, src="127.0.0.1")
        assert read_n(good, 128)[:2] == b"\x83\x10"
        good.sendall(b"START: ")
        read_all(good)
        c = x.wait()
        assert c["server.refused_denied"] == 1 and c["server.started"] == 1, c
        assert "refused stream client 127.0.0.2:" in x.err and "allow-list" in x.err, x.err

    def big_capture(tmp):
        # 1,000,000 packets of 20,000 flows over 5 s of packet time; with -S 1
        # each flow reports every second: about 15 MB of records spread over
        # the replay (-T 2.5: 2 s), at a pace a reading client keeps up with.
        path = os.path.join(tmp, "big.pcap")
        subprocess.run([a.gen_pcap, "--packets", "1000000", "--flows", "20000", "--seed", "7",
                        "--pps", "200000", "--out", path], check=True, capture_output=True, timeout=120)
        return path

    def slow_client(tmp):
        port = free_port()
        pcap = big_capture(tmp)
        out, got = os.path.join(tmp, "file.argus"), os.path.join(tmp, "ra.argus")
        x = Argos(argos, ["-r", pcap, "-S", "1", "-T", "2.5", "-P", str(port), "--wait-clients", "2",
                          "--client-buffer", str(2 << 20), "-w", out])
        slow = connect(port, rcvbuf=4096)
        assert read_n(slow, 128)[:2] == b"\x83\x10"
        slow.sendall(b"START: ")  # ... and never reads again
        ra = spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", got],
                              stderr=subprocess.PIPE, text=True)
        c = x.wait(timeout=120)
        ra.communicate(timeout=30)
        assert c["server.dropped_slow"] == 1, c
        assert "fell behind" in x.err, x.err
        want, have = flows(out), flows(got)
        assert len(want) >= 100000 and have == want, f"ra beside the slow client: {first_diff(want, have)}"
        slow.close()

    def slow_reader_at_stop(tmp):
        # SIGTERM while a client that reads, but slower than the replay makes
        # records, is megabytes behind: it still gets every record and the
        # closing MAR, on a record boundary, as long as it keeps reading.
        # One that stops reading is given up, said and counted.
        port = free_port()
        pcap = big_capture(tmp)
        out = os.path.join(tmp, "file.argus")
        x = Argos(argos, ["-r", pcap, "-S", "1", "-T", "2.5", "-P", str(port), "--wait-clients", "2",
                          "--client-buffer", str(64 << 20), "-w", out])
        slow = connect(port, rcvbuf=65536, timeout=30)
        stalled = connect(port, rcvbuf=4096)
        got = read_n(slow, 128)
        read_n(stalled, 128)
        slow.sendall(b"START: ")
        stalled.sendall(b"START: ")  # ... and never reads again
        deadline = time.time() + 1.5
        while time.time() < deadline:  # about 2 MB/s
            got += slow.recv(65536)
            time.sleep(0.03)
        x.p.send_signal(signal.SIGTERM)
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            got += chunk
            time.sleep(0.01)
        c = x.wait(timeout=120)
        recs = list(records(got))  # (raises at a record cut short)
        assert recs[-1][:2] == (0x83, 0x30), "no closing MAR at the end of the stream"
        want = len(list(records(open(out, "rb").read())))
        assert len(recs) == want, (len(recs), want)
        assert c["server.dropped_slow"] == 1 and "not delivered (it stopped reading)" in x.err, c
        slow.close()
        stalled.close()

    def killed_client(tmp):
        port = free_port()
        pcap = big_capture(tmp)
        out, got = os.path.join(tmp, "file.argus"), os.path.join(tmp, "ra.argus")
        x = Argos(argos, ["-r", pcap, "-S", "1", "-T", "2.5", "-P", str(port), "--wait-clients", "2", "-w", out])
        victim = spawn(["ra", "-S", f"127.0.0.1:{port}", "-n"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ra = spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", got],
                              stderr=subprocess.PIPE, text=True)
        # Once flow records reach it (not just the start MAR), kill one
        # client outright.
        while True:
            line = victim.stdout.readline()
            assert line, "the client to be killed got no flow record"
            if b" tcp " in line or b" udp " in line:
                break
        victim.kill()
        victim.wait()
        c = x.wait(timeout=120)
        ra.communicate(timeout=30)
        want, have = flows(out), flows(got)
        assert have == want, f"the surviving client: {first_diff(want, have)}"
        assert c["server.started"] == 2 and c["server.closed"] == 2, c

    def start_timeout(tmp):
        port = free_port()
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "--wait-clients", "1",
                          "-w", os.path.join(tmp, "o.argus")])
        idle = connect(port, timeout=15)
        t0 = time.monotonic()
        assert read_n(idle, 128)[:2] == b"\x83\x10"
        rest = read_n(idle, 1)  # no START: sent; the server closes after 5 s
        waited = time.monotonic() - t0
        assert rest == b"" and 4.5 <= waited <= 8, f"closed after {waited:.1f} s"
        good = connect(port)
        read_n(good, 128)
        good.sendall(b"FILTER: man or (udp)")
        assert read_n(good, 2) == b"OK"
        good.sendall(b"START: user='root',cmd='test'")  # as v5 clients send it
        stream = read_all(good)
        c = x.wait()
        assert c["server.timed_out"] == 1, c
        assert stream[:2] != b"OK", "a second OK"
        assert [r[:2] for r in records(b"\0" * 128 + stream)][-1] == (0x83, 0x30)

    def client_filters(tmp):
        # A collector's FILTER: is applied by the sensor when it reads it as
        # ra does: only the matching records cross the network. A raw
        # client proves it (it filters nothing itself), its filter split
        # over two segments; ra -S clients are filtered at the sensor too,
        # one naming src both ways round (ra may turn a record around
        # before matching). Each gets exactly what `ra -r FILE - FILTER`
        # selects from the file.
        port = free_port()
        out, got_u, got_s = (os.path.join(tmp, n) for n in ("file.argus", "udp.argus", "src.argus"))
        x = Argos(argos, ["-r", pc("large-home-lan-mixed.pcap"), "-P", str(port), "--wait-clients", "4",
                          "-w", out])
        # A client of its own that writes more than ra's wrapper: nothing
        # after the wrapper's parenthesis is dropped.
        own = connect(port, timeout=15)
        own_mar = read_n(own, 128)
        own.sendall(b"FILTER: man or (port 443) or (port 53)")
        assert read_n(own, 2) == b"OK"
        own.sendall(b"START: ")
        raw = connect(port, timeout=15)
        mar = read_n(raw, 128)
        assert mar[:2] == b"\x83\x10"
        raw.sendall(b"FILTER: man or (udp and (port 53 o")
        raw.settimeout(0.5)
        try:
            early = raw.recv(2)
        except socket.timeout:
            early = b""
        assert early == b"", f"answered {early!r} before the filter was whole"
        raw.settimeout(15)
        raw.sendall(b"r port 5353))")
        assert read_n(raw, 2) == b"OK"
        raw.sendall(b"START: ")
        clients = [spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", got_u, "-", "udp"], stderr=subprocess.PIPE),
                   spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", got_s, "-", "src host 192.168.5.16"],
                         stderr=subprocess.PIPE)]
        stream = read_all(raw)
        own_stream = read_all(own)
        c = x.wait()
        for ra in clients:
            ra.communicate(timeout=30)
        rawf = os.path.join(tmp, "raw.argus")
        open(rawf, "wb").write(mar + stream)
        ownf = os.path.join(tmp, "own.argus")
        open(ownf, "wb").write(own_mar + own_stream)
        both = flows(out, "port 443 or port 53")
        assert 0 < len(flows(out, "port 443")) < len(both) < len(flows(out)), len(both)
        assert flows(ownf) == both, f"client's own filter: {first_diff(both, flows(ownf))}"
        every, dns, udp = flows(out), flows(out, "udp and (port 53 or port 5353)"), flows(out, "udp")
        host = flows(out, "host 192.168.5.16")  # src host, both ways round
        assert 0 < len(dns) < len(udp) < len(every), (len(dns), len(udp), len(every))
        have = flows(rawf)
        assert have == dns, f"raw client: {first_diff(dns, have)}"
        have = flows(got_u)
        assert have == udp, f"ra -S - udp: {first_diff(udp, have)}"
        want, have = flows(out, "src host 192.168.5.16"), flows(got_s)
        assert want and have == want, f"ra -S - src host: {first_diff(want, have)}"
        assert c["server.filtered"] == 4, c
        assert c["server.held_back"] == (len(every) - len(dns)) + (len(every) - len(udp)) + (len(every) - len(host)) + \
            (len(every) - len(both)), c
        assert x.err.count("sending only the records of its filter") == 4, x.err
        assert x.err.count("(matched both ways round: it names src or dst)") == 1, x.err

    def directed_filters(tmp):
        # Filters naming src or dst, matched by the sensor both ways round:
        # each raw client gets every record ra selects with that filter
        # (whichever way ra shows it) and nothing outside the file; on
        # captures with mid-stream TCP and lone replies, which ra turns
        # around.
        exprs = ["src host 10.0.0.6", "dst port 443", "src pkts gt 3", "dst bytes gt 1000", "src syn",
                 "dst reset or src fin", "src ttl eq 64 and tcp", "not src net 10.0.0.0/8", "dst 192.168.5.16"]
        narrower = set()  # filters that held something back
        for name in ("large-http-browsing.pcap", "large-home-lan-mixed.pcap"):
            port = free_port()
            out = os.path.join(tmp, "file.argus")
            if os.path.exists(out):
                os.unlink(out)
            x = Argos(argos, ["-r", pc(name), "-P", str(port), "--wait-clients", str(len(exprs)), "-w", out])
            socks = []
            for e in exprs:
                s = connect(port, timeout=30)
                socks.append((s, read_n(s, 128)))
                s.sendall(b"FILTER: man or (" + e.encode() + b")")
                assert read_n(s, 2) == b"OK", e
                s.sendall(b"START: ")
            streams = [mar + read_all(s) for s, mar in socks]
            c = x.wait()
            every = set(flows(out))
            for e, data in zip(exprs, streams):
                got = os.path.join(tmp, "got.argus")
                open(got, "wb").write(data)
                have, want = set(flows(got)), set(flows(out, e))
                assert want <= have <= every, f"{name}, '{e}': {len(want - have)} records ra keeps were held " \
                    f"back, {len(have - every)} not in the file"
                if len(have) < len(every):
                    narrower.add(e)
            assert c["server.filtered"] == len(exprs), (name, c)
        assert narrower == set(exprs), f"filters that held nothing back anywhere: {set(exprs) - narrower}"

    def hostile_filters(tmp):
        # FILTER: text from the network: a filter nested 20000 deep is
        # answered "OK" and left to the client (every record is sent); one
        # that never closes is cut off at 64 KiB. The sensor carries on.
        port = free_port()
        out = os.path.join(tmp, "file.argus")
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "--wait-clients", "1", "-w", out])
        endless = connect(port)
        read_n(endless, 128)
        try:
            endless.sendall(b"FILTER: man or (" + b"(" * 70000)
        except OSError:
            pass  # closed while sending: what is asked
        try:
            rest = read_n(endless, 1)
        except ConnectionResetError:
            rest = b""  # closed with the unread bytes: a reset
        assert rest == b"", "a 70 KB filter that never closes was not cut off"
        # A filter carrying a newline and an escape sequence cannot write a
        # line of its own into the sensor's log.
        forged = connect(port)
        read_n(forged, 128)
        forged.sendall(b"FILTER: man or (udp\nargos: packets=1 forged\x1b[2J)")
        read_n(forged, 2)
        forged.close()
        deep = connect(port)
        mar = read_n(deep, 128)
        deep.sendall(b"FILTER: man or (" + b"(" * 20000 + b"udp" + b")" * 20000 + b")")
        assert read_n(deep, 2) == b"OK"
        deep.sendall(b"START: ")
        stream = read_all(deep)
        c = x.wait()
        got = os.path.join(tmp, "deep.argus")
        open(got, "wb").write(mar + stream)
        want, have = flows(out), flows(got)
        assert want and have == want, f"deep filter: {first_diff(want, have)}"
        assert c["server.filtered"] == 0 and c["server.closed"] == 3, c
        assert "client message too long" in x.err and "nested deeper than 64 levels" in x.err, x.err
        assert not [l for l in x.err.splitlines() if l.startswith("argos: packets=1 forged")], x.err
        assert "\x1b" not in x.err and "(udp\\x0aargos: packets=1 forged\\x1b[2J)" in x.err, x.err

    def udp_push(tmp):
        port, got, t = udp_collector()
        out = os.path.join(tmp, "file.argus")
        x = Argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "-w", out,
                          "-w", f"argus-udp://127.0.0.1:{port}"])
        c = x.wait()
        t.join()
        body = open(out, "rb").read()
        assert got and len(got[0]) == 128 and got[0][:2] == b"\x83\x10", "the first datagram is not the start MAR"
        recs = [r[2] for r in records(body)]
        assert got[1:] == recs, f"{len(got) - 1} datagrams after the start MAR, {len(recs)} records in the file"
        assert c["udp.sent"] == len(got) and c["udp.dropped"] == 0, c
        pushed = os.path.join(tmp, "udp.argus")
        open(pushed, "wb").write(b"".join(got))
        assert flows(pushed) == flows(out)

    def udp_push_filtered(tmp):
        # outputs.udp as {address, filter}: the collector gets the start
        # MAR, then only the records `ra - FILTER` selects from the file.
        port, got, t = udp_collector()
        out, cfg = os.path.join(tmp, "file.argus"), os.path.join(tmp, "udp.yaml")
        expr = "tcp and pkts gt 5 or icmp"
        with open(cfg, "w") as f:
            f.write(f"outputs:\n  files: [{out}]\n  udp:\n"
                    f"    - address: 127.0.0.1:{port}\n      filter: {expr}\n")
        x = Argos(argos, ["-X", "-F", cfg, "-r", pc("large-home-lan-mixed.pcap")])
        c = x.wait()
        t.join()
        assert got and got[0][:2] == b"\x83\x10", "the first datagram is not the start MAR"
        pushed = os.path.join(tmp, "udp.argus")
        open(pushed, "wb").write(b"".join(got))
        want, every = flows(out, expr), flows(out)
        assert 0 < len(want) < len(every), (len(want), len(every))
        have = flows(pushed)
        assert have == want, f"UDP push with a filter: {first_diff(want, have)}"
        assert c["udp.sent"] == len(got), c

    def all_outputs(tmp):
        udp_port, got, t = udp_collector()
        port = free_port()
        f1, f2, s = (os.path.join(tmp, n) for n in ("a.argus", "b.argus", "s.argus"))
        x = Argos(argos, ["-r", pc("large-home-lan-mixed.pcap"), "-w", f1, "-w", f2, "-P", str(port),
                          "--wait-clients", "1", "-w", f"argus-udp://127.0.0.1:{udp_port}"])
        ra = spawn(["ra", "-S", f"127.0.0.1:{port}", "-w", s], stderr=subprocess.DEVNULL)
        x.wait()
        ra.communicate(timeout=30)
        t.join()
        u = os.path.join(tmp, "u.argus")
        open(u, "wb").write(b"".join(got))
        want = flows(f1)
        for name, path in (("second file", f2), ("ra -S", s), ("UDP push", u)):
            have = flows(path)
            assert want and have == want, f"{name}: {first_diff(want, have)}"

    def packets_in(paths):
        total = 0
        for path in paths:
            data = open(path, "rb").read()
            assert data[:2] == b"\x83\x10", f"{path} does not start with the start MAR"
            p = subprocess.run(["ra", "-r", path, "-n", "-c", ",", "-s", "proto", "pkts"],
                               capture_output=True, text=True, timeout=120)
            assert p.returncode == 0 and not p.stderr.strip(), f"ra cannot read {path} whole: {p.stderr}"
            total += sum(int(l.split(",")[1]) for l in p.stdout.splitlines()[1:] if l.split(",")[0] != "man")
        return total

    def rotation(tmp):
        pcap = big_capture(tmp)
        one = os.path.join(tmp, "one.argus")
        Argos(argos, ["-r", pcap, "-S", "1", "-w", one]).wait(timeout=120)
        want = packets_in([one])
        assert want == 1000000, f"{want} packets in the unrotated file"
        # By size, as fast as the replay goes: 1 MB files.
        d = os.path.join(tmp, "size")
        os.mkdir(d)
        c = Argos(argos, ["-r", pcap, "-S", "1", "-w", os.path.join(d, "a.argus"),
                          "--rotate-size", "1000000"]).wait(timeout=120)
        files = sorted(os.listdir(d))
        assert len(files) >= 10 and c["output.files"] == len(files), (files, c)
        assert all(os.path.getsize(os.path.join(d, f)) <= 1000000 for f in files)
        got = packets_in([os.path.join(d, f) for f in files])
        assert got == want, f"size rotation: {got} packets over {len(files)} files, {want} in one"
        # By time: a file per wall-clock second of a 2 s paced replay.
        d = os.path.join(tmp, "time")
        os.mkdir(d)
        c = Argos(argos, ["-r", pcap, "-S", "1", "-T", "2.5", "--rotate-interval", "1",
                          "-w", os.path.join(d, "argus.%Y%m%d-%H%M%S.out")]).wait(timeout=120)
        files = sorted(os.listdir(d))
        assert len(files) >= 2 and all(re.fullmatch(r"argus\.\d{8}-\d{6}\.out", f) for f in files), files
        got = packets_in([os.path.join(d, f) for f in files])
        assert got == want, f"time rotation: {got} packets over {len(files)} files, {want} in one"
        # Each file opens with the sensor's start MAR, stamped with the time
        # the file was opened (offset 32): its name's second (or, for the
        # first file, named before the sensor started writing, the next);
        # the sensor's start (offset 24) in every one.
        heads = [open(os.path.join(d, f), "rb").read(128) for f in files]
        starts = {h[24:32] for h in heads}
        assert len(starts) == 1, [h[24:32].hex() for h in heads]
        for f, h in zip(files, heads):
            named = time.mktime(time.strptime(f, "argus.%Y%m%d-%H%M%S.out"))
            now = struct.unpack(">I", h[32:36])[0]
            assert h[:2] == b"\x83\x10" and 0 <= now - named <= 1, (f, now, h[:4].hex())

    def sighup(tmp):
        pcap = big_capture(tmp)
        out = os.path.join(tmp, "live.argus")
        x = Argos(argos, ["-r", pcap, "-S", "1", "-T", "2.5", "-w", out])
        time.sleep(1.0)
        os.rename(out, out + ".old")  # what logrotate does, then it sends SIGHUP
        x.p.send_signal(signal.SIGHUP)
        x.wait(timeout=120)
        assert os.path.exists(out), "SIGHUP did not reopen the output file"
        got = packets_in([out + ".old", out])
        assert got == 1000000, f"{got} packets across the two files, 1000000 read"

    def ipv6_and_done(tmp):
        # An IPv6 listener (-B ::1) and a client ending its session with
        # DONE:, which the server answers by closing the connection.
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            probe.close()
        except OSError as e:
            print(f"      (skipped: no IPv6 loopback here: {e})")
            return
        port = free_port()
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "-B", "::1", "--allow", "::1/128",
                          "--wait-clients", "1", "-w", os.path.join(tmp, "o.argus")])
        quitter = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        quitter.settimeout(10)
        quitter.connect(("::1", port))
        assert read_n(quitter, 128)[:2] == b"\x83\x10"
        quitter.sendall(b"DONE: ")
        assert read_n(quitter, 1) == b"", "DONE: did not end the session"
        stayer = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        stayer.settimeout(10)
        stayer.connect(("::1", port))
        read_n(stayer, 128)
        stayer.sendall(b"START: ")
        stream = read_all(stayer)
        c = x.wait()
        assert [r[:2] for r in records(b"\0" * 128 + stream)][-1] == (0x83, 0x30)
        assert c["server.accepted"] == 2 and c["server.started"] == 1 and c["server.closed"] == 2, c
        assert "serving Argus records on [::1]:" in x.err, x.err
        # "::" and "0.0.0.0" together: each its own family (the IPv6 socket
        # no longer holds the IPv4 port), and clients of both are served.
        port = free_port()
        x = Argos(argos, ["-r", pc("dns-udp.pcap"), "-P", str(port), "-B", "::,0.0.0.0", "--wait-clients", "2",
                          "-w", os.path.join(tmp, "both.argus")])
        both = []
        for family, host in ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1")):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect((host, port))
            read_n(s, 128)
            s.sendall(b"START: ")
            both.append(s)
        streams = [read_all(s) for s in both]
        c = x.wait()
        assert c["server.started"] == 2 and streams[0] == streams[1] and streams[0], c

    def dead_collector(tmp):
        # UDP push to a port nobody listens on: the run finishes normally,
        # the file is whole, and the refused datagrams are counted.
        out = os.path.join(tmp, "o.argus")
        c = Argos(argos, ["-r", pc("large-echo-500-tcp-conns.pcap"), "-w", out,
                          "-w", f"argus-udp://127.0.0.1:{free_port()}"]).wait()
        records_in_file = len(list(records(open(out, "rb").read()))) + 1  # and the start MAR
        assert c["udp.dropped"] > 0 and c["udp.sent"] + c["udp.dropped"] == records_in_file, c
        # Every refused datagram is counted (the refusal of the last ones may
        # come after the sensor's last send), not one in two.
        assert c["udp.sent"] <= 2, c
        assert len(flows(out)) == c["records"], c

    def reopen_fails(tmp):
        # SIGHUP after the output's directory went away: the new file cannot
        # be opened; it is tried again each second and opens once the
        # directory is back. The records in between are counted as lost,
        # the exit status says so, and both files are whole.
        pcap = big_capture(tmp)
        d = os.path.join(tmp, "out")
        os.mkdir(d)
        # A 5 s paced replay whose 20,000 flows report together once a
        # second: the first file gets the first burst, the 1.5 s without a
        # file the next one, the new file the last ones and the flush.
        x = Argos(argos, ["-r", pcap, "-S", "1", "-T", "1", "-w", os.path.join(d, "a.argus")])
        for _ in range(100):  # until the first burst is in the file
            f = os.path.join(d, "a.argus")
            if os.path.exists(f) and os.path.getsize(f) > 128:
                break
            time.sleep(0.05)
        os.rename(d, d + ".moved")
        x.p.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        os.mkdir(d)  # the next retry, within a second, opens the file
        x.wait(timeout=120, status=1)
        assert "records lost (no file could be opened, or a write failed)" in x.err, x.err
        assert "cannot open" in x.err and "further failures counted" in x.err, x.err
        before = packets_in([os.path.join(d + ".moved", "a.argus")])
        after = packets_in([os.path.join(d, "a.argus")])
        assert before > 0 and after > 0 and before + after < 1000000, (before, after)

    checks = [("ra -S follows the stream", ra_follows), ("radium relays the stream", radium_relays),
              ("a late client's start MAR says when it connected", late_client_mar),
              ("twelve clients: ten served, two refused", twelve_clients),
              ("--max-clients 3: three served, two refused", max_clients),
              ("allow-list refuses 127.0.0.2", denied), ("slow client dropped, others unaffected", slow_client),
              ("client killed mid-stream", killed_client), ("START: timeout and FILTER: OK", start_timeout),
              ("client filters applied by the sensor", client_filters),
              ("src/dst filters matched both ways round", directed_filters), ("hostile FILTER: messages", hostile_filters),
              ("UDP push", udp_push), ("UDP push with a record filter", udp_push_filtered), ("files, UDP and server at once", all_outputs),
              ("rotation by size and by time loses nothing", rotation), ("SIGHUP reopens the file", sighup),
              ("IPv6 listener, DONE: ends a session", ipv6_and_done),
              ("dead UDP collector counted", dead_collector), ("a slow reader gets everything at a stop", slow_reader_at_stop), ("failed reopen counted", reopen_fails)]
    if a.only:
        checks = [(n, f) for n, f in checks if a.only in n]
    return run_checks("stream", checks, cleanup=kill_running)


def udp_collector():
    """A UDP collector on loopback: its port, the list its datagrams go to,
    and the thread filling it, which ends 5 s after the last datagram."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    got = []
    t = threading.Thread(target=lambda: [got.append(d) for d in iter_datagrams(rx)])
    t.start()
    return rx.getsockname()[1], got, t


def iter_datagrams(sock):
    while True:
        try:
            d = sock.recv(65536)
        except socket.timeout:
            return
        yield d


if __name__ == "__main__":
    sys.exit(main())
