#!/usr/bin/env python3
"""Live capture through libpcap (argos -i) on a veth pair between two network
namespaces this test creates. Known traffic goes from the sender namespace to
the capturing one only (10.213.77.0/24); argos is stopped with SIGTERM and its
output is judged by the real ra and by the raw record bytes. It runs with one
worker, then with two sharing the capture through the software dispatcher.
Then: capture options, an interface that goes away and comes back, a stream
collector whose host vanishes (dropped after --client-timeout), UDP push to
a multicast group (TTL 128, as argus), and two interfaces read as one link.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from argus_records import records  # noqa: E402

# A capture whose records are pushed to a multicast group (check_multicast_push).
PCAP_FOR_PUSH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "pcaps",
                             "large-http-browsing.pcap")
CAP_ADDR = "10.213.77.1"
SND_ADDR = "10.213.77.2"
UDP_PORT = 9999
TCP_PORT = 8080
UDP_DATAGRAMS = 5
CAUSE_SHUTDOWN = 0x60
IDLE_WAIT_S = 7.0  # longer than the status interval (5 s) plus a sweep cycle

# Runs in the capturing namespace: a UDP sink and a TCP echo for one connection.
SERVER = r"""
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((sys.argv[1], int(sys.argv[2])))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], int(sys.argv[3])))
t.listen(1)
print("ready", flush=True)
c, _ = t.accept()
data = c.recv(100)
c.sendall(data)
c.recv(100)  # until the peer closes
c.close()
"""

# Runs in the sender namespace: n datagrams from UDP port 40000 and a short
# TCP exchange; with n == 0, one datagram from port 40001 only.
SENDER = r"""
import socket, sys, time
host, uport, tport, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 40000 if n else 40001))
if n == 0:
    u.sendto(b"argos-live-late", (host, uport))
    sys.exit(0)
for i in range(n):
    u.sendto(b"argos-live-%d" % i, (host, uport))
    time.sleep(0.02)
t = socket.create_connection((host, tport), timeout=5)
t.sendall(b"hello")
assert t.recv(100) == b"hello"
t.close()
"""


class Skip(Exception):
    pass


def run(*cmd, check=True):
    r = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


class Namespaces:
    def __init__(self):
        tag = str(os.getpid())
        self.cap, self.snd = "argos-cap-" + tag, "argos-snd-" + tag
        self.cap_if, self.snd_if = "argc" + tag[-8:], "args" + tag[-8:]
        self.made = []
        self.procs = []

    def __enter__(self):
        if os.geteuid() != 0:
            raise Skip("not root: network namespaces need CAP_NET_ADMIN")
        r = run("ip", "netns", "add", self.cap, check=False)
        if r.returncode != 0:
            raise Skip("cannot create a network namespace: " + r.stderr.strip())
        self.made.append(self.cap)
        # `ip netns exec` remounts / as a slave; that fails where / is not a
        # mount point (a plain chroot), which is the environment, not argos.
        r = run("ip", "netns", "exec", self.cap, "true", check=False)
        if r.returncode != 0:
            self.__exit__()
            raise Skip("cannot enter a network namespace: " + r.stderr.strip())
        try:
            self._build()
        except BaseException:
            self.__exit__()  # a half-built pair must not outlive the test
            raise
        return self

    def _build(self):
        run("ip", "netns", "add", self.snd)
        self.made.append(self.snd)
        for ns in (self.cap, self.snd):
            # No IPv6 chatter (router solicitations, DAD): only the test's traffic.
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", self.cap, "link", "add", self.cap_if, "type", "veth",
            "peer", "name", self.snd_if, "netns", self.snd)
        run("ip", "-n", self.cap, "addr", "add", CAP_ADDR + "/24", "dev", self.cap_if)
        run("ip", "-n", self.snd, "addr", "add", SND_ADDR + "/24", "dev", self.snd_if)
        run("ip", "-n", self.cap, "link", "set", self.cap_if, "up")
        run("ip", "-n", self.snd, "link", "set", self.snd_if, "up")

    def __exit__(self, *exc):
        for p in self.procs:  # a failed check leaves no process behind
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in reversed(self.made):  # deleting a namespace removes its veth end
            run("ip", "netns", "del", ns, check=False)

    def exec(self, ns, *cmd, **kw):
        p = subprocess.Popen(("ip", "netns", "exec", ns) + cmd, **kw)
        self.procs.append(p)
        return p


def cpu_ticks(pid):
    """User and system clock ticks of a process, all its threads."""
    with open("/proc/%d/stat" % pid) as f:
        return sum(int(x) for x in f.read().split(") ")[1].split()[11:13])


def stop(proc):
    """SIGTERM, then argos's stderr and its summary line's counters."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    print("argos stderr: " + err.strip())
    summary = [l for l in err.splitlines() if l.startswith("argos: packets=")]
    if len(summary) != 1:
        fail("no summary line")
    return err, dict(re.findall(r"(\S+)=(\d+)", summary[0]))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ra_lines(out, fields, *filt):
    r = run("ra", "-r", out, "-n", "-c", ",", "-s", *fields, *(("-",) + filt if filt else ()))
    return [l.split(",") for l in r.stdout.splitlines()[1:] if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--keep", help="write the output here and keep it (debugging)")
    args = ap.parse_args()
    argos = os.path.abspath(args.argos)
    try:
        ns = Namespaces().__enter__()
    except Skip as e:
        print("SKIP: live capture test: %s" % e)
        return 77
    try:
        # One worker, then two sharing the capture by software dispatch.
        for workers in (1, 2):
            if args.keep:
                check_live(ns, argos, os.path.abspath(args.keep) + f".{workers}w", workers)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                check_live(ns, argos, os.path.join(tmp, "live.argus"), workers)
        with tempfile.TemporaryDirectory() as tmp:
            check_capture_options(ns, argos, tmp)
        with tempfile.TemporaryDirectory() as tmp:
            check_interface_returns(ns, argos, tmp)
        with tempfile.TemporaryDirectory() as tmp:
            check_dead_collector(ns, argos, tmp)
        with tempfile.TemporaryDirectory() as tmp:
            check_multicast_push(ns, argos, tmp)
        # Last: it adds a second link, which the checks above do not expect.
        with tempfile.TemporaryDirectory() as tmp:
            check_two_interfaces(ns, argos, tmp)
        return 0
    finally:
        ns.__exit__(None, None, None)


def check_capture_options(ns, argos, tmp):
    """-p, -s and --pcap-buffer reach the kernel: the interface's
    promiscuity count, the capture ring's size in the process's memory map,
    and packets cut at the snap length (their transport headers counted as
    truncated)."""
    def capture(extra):
        out = os.path.join(tmp, "opt.argus")
        if os.path.exists(out):
            os.unlink(out)
        proc = ns.exec(ns.cap, argos, "-i", ns.cap_if, "-w", out, *extra, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        if proc.poll() is not None:
            fail("argos %s exited early: %s" % (" ".join(extra), proc.stderr.read()))
        link = run("ip", "-n", ns.cap, "-d", "link", "show", ns.cap_if).stdout
        promisc = int(re.search(r"promiscuity (\d+)", link).group(1))
        with open("/proc/%d/maps" % proc.pid) as f:
            maps = f.read()
        # The TPACKET ring is mapped from the packet socket.
        ring = 0
        for l in maps.splitlines():
            if "socket:" in l or "packet" in l:
                lo, hi = (int(x, 16) for x in l.split()[0].split("-"))
                ring += hi - lo
        # A SYN to a closed port (74 bytes with its options) and the RST back.
        syn = "import socket, sys\ntry:\n    socket.create_connection((sys.argv[1], 9), timeout=2)\nexcept OSError:\n    pass\n"
        ns.exec(ns.snd, sys.executable, "-c", syn, CAP_ADDR).wait(timeout=30)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        if proc.returncode != 0:
            fail("argos %s: exit %d: %s" % (" ".join(extra), proc.returncode, err))
        summary = [l for l in err.splitlines() if l.startswith("argos: packets=")][0]
        return promisc, ring, dict(re.findall(r"(\S+)=(\d+)", summary))

    promisc, ring, kv = capture([])
    if promisc != 1:
        fail("default capture: promiscuity %d, want 1" % promisc)
    if int(kv["parse_rejects"]) != 0:
        fail("default snap length: %s packets rejected" % kv["parse_rejects"])
    promisc, _, _ = capture(["-p"])
    if promisc != 0:
        fail("-p: promiscuity %d, want 0" % promisc)
    _, ring8, _ = capture(["--pcap-buffer", "8MiB"])
    _, ring32, _ = capture(["--pcap-buffer", "32MiB"])
    # libpcap sizes its TPACKET_V3 ring from the buffer (here about twice
    # it, in whole blocks): at least the buffer, and four times the ring
    # for four times the buffer.
    if ring8 < 8 << 20 or not 3.6 * ring8 <= ring32 <= 4.4 * ring8:
        fail("--pcap-buffer: capture rings of %d and %d bytes for 8 and 32 MiB" % (ring8, ring32))
    # 64 bytes hold Ethernet and IPv4 but not a SYN's TCP header with its options.
    _, _, kv = capture(["-s", "64"])
    if int(kv["parse_rejects"]) == 0:
        fail("-s 64: no packet was cut short: %r" % kv)
    print("PASS: capture options: promiscuous by default, -p off, --pcap-buffer rings %d/%d bytes, -s 64 cut %s packets"
          % (ring8, ring32, kv["parse_rejects"]))


def check_interface_returns(ns, argos, tmp):
    """An interface that goes away under the capture (deleted, as a NIC
    reset or a re-created virtual interface does) is said at once; the
    sensor waits for it without spinning a core, opens it again once it is
    back, and records what comes after. Exit status 1 and
    capture.failures=1 tell of the gap."""
    cap_if, snd_if = ns.cap_if + "r", ns.snd_if + "r"
    cap_addr, snd_addr = "10.213.79.1", "10.213.79.2"

    def link():
        run("ip", "-n", ns.cap, "link", "add", cap_if, "type", "veth", "peer", "name", snd_if, "netns", ns.snd)
        run("ip", "-n", ns.cap, "addr", "add", cap_addr + "/24", "dev", cap_if)
        run("ip", "-n", ns.snd, "addr", "add", snd_addr + "/24", "dev", snd_if)
        run("ip", "-n", ns.cap, "link", "set", cap_if, "up")
        run("ip", "-n", ns.snd, "link", "set", snd_if, "up")

    def send(port, n):
        code = ("import socket, sys, time\n"
                "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "u.bind(('0.0.0.0', int(sys.argv[2])))\n"
                "for i in range(int(sys.argv[3])):\n"
                "    u.sendto(b'back-%d' % i, (sys.argv[1], 9))\n"
                "    time.sleep(0.01)\n")
        if ns.exec(ns.snd, sys.executable, "-c", code, cap_addr, str(port), str(n)).wait(timeout=30) != 0:
            fail("the sender failed")

    link()
    for user in ([], ["-u", "nobody"]):
        check_interface_returns_as(ns, argos, tmp, user, cap_if, link, send)


def check_interface_returns_as(ns, argos, tmp, user, cap_if, link, send):
    # As root, and as a user that root was given up for (-u): the sensor
    # keeps the one capability opening the interface again needs.
    out_dir = os.path.join(tmp, "back-" + ("-".join(user) or "root"))
    os.makedirs(out_dir, exist_ok=True)
    os.chmod(tmp, 0o755)
    os.chmod(out_dir, 0o777)
    out = os.path.join(out_dir, "back.argus")
    proc = ns.exec(ns.cap, argos, "-w", out, "-i", cap_if, *user, "udp", stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    if proc.poll() is not None:
        fail("argos exited early: " + proc.stderr.read())
    send(41000, 5)
    time.sleep(0.2)
    run("ip", "-n", ns.cap, "link", "del", cap_if)  # its peer goes with it
    time.sleep(0.5)
    cpu0 = cpu_ticks(proc.pid)
    time.sleep(2.0)
    cpu1 = cpu_ticks(proc.pid)
    if proc.poll() is not None:
        fail("argos ended when its interface went away: " + proc.stderr.read())
    # Clock ticks (1/100 s) over 2 s of waiting: a spinning core would take 200.
    if cpu1 - cpu0 > 20:
        fail("argos used %d of 200 clock ticks while its interface was gone" % (cpu1 - cpu0))
    link()
    time.sleep(2.5)  # opened again within a second or so
    send(41001, 5)
    time.sleep(0.3)
    err, kv = stop(proc)
    if proc.returncode != 1:
        fail("exit status %d after a capture gap, want 1" % proc.returncode)
    if "capture on interface '%s' failed" % cap_if not in err or "capture on interface '%s' resumed" % cap_if not in err:
        fail("the failure and the return were not said")
    # The exit tells of the gap, not of a capture down at the end.
    last = [l for l in err.splitlines() if l.startswith("argos: capture on interface '%s' failed" % cap_if)][-1]
    if "; resumed after" not in last:
        fail("the exit message reads as if the capture were still down: " + last)
    if kv.get("capture.failures") != "1":
        fail("capture.failures=%s, want 1" % kv.get("capture.failures"))
    flows = {l[0]: int(l[1]) for l in ra_lines(out, ("sport", "spkts"), "udp")}
    if flows.get("41000") != 5 or flows.get("41001") != 5:
        fail("want 5 datagrams before the gap and 5 after, ra shows %r" % flows)
    print("PASS: interface gone and back%s: %d ticks of CPU in 2 s while gone, 5 + 5 datagrams recorded"
          % (" as " + user[1] if user else "", cpu1 - cpu0))


def check_dead_collector(ns, argos, tmp):
    """A stream client whose host vanishes without closing (its link cut)
    is dropped once nothing is acknowledged for --client-timeout, is said
    and counted, and frees its place: with --max-clients 1 a new client is
    served, not refused."""
    port = 41561
    client = ("import socket, sys, time\n"
              "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)\n"
              "head = b''\n"
              "while len(head) < 128:\n"
              "    more = s.recv(128 - len(head))\n"
              "    if not more:\n"
              "        break  # refused: a 4-byte error MAR, then closed\n"
              "    head += more\n"
              "print(head[:2].hex(), flush=True)\n"
              "if sys.argv[3] == 'stay':\n"
              "    s.sendall(b'START: ')\n"
              "    s.recv(128)  # a status MAR: started\n"
              "    print('started', flush=True)\n"
              "    time.sleep(60)\n")
    out = os.path.join(tmp, "dead.argus")
    proc = ns.exec(ns.cap, argos, "-i", ns.cap_if, "-w", out, "-P", str(port), "-B", CAP_ADDR, "-M", "1",
                   "--max-clients", "1", "--client-timeout", "2", stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    if proc.poll() is not None:
        fail("argos exited early: " + proc.stderr.read())
    gone = ns.exec(ns.snd, sys.executable, "-c", client, CAP_ADDR, str(port), "stay", stdout=subprocess.PIPE, text=True)
    if gone.stdout.readline().strip() != "8310" or gone.stdout.readline().strip() != "started":
        fail("the first client was not served")
    run("ip", "-n", ns.snd, "link", "set", ns.snd_if, "down")  # its host is gone, nothing closed
    time.sleep(4.5)  # a status MAR within 1 s, unacknowledged for 2 s
    run("ip", "-n", ns.snd, "link", "set", ns.snd_if, "up")
    time.sleep(1.5)
    second = ns.exec(ns.snd, sys.executable, "-c", client, CAP_ADDR, str(port), "look", stdout=subprocess.PIPE, text=True)
    head = second.communicate(timeout=20)[0].strip()
    err, kv = stop(proc)
    if head != "8310":
        fail("the next client got %r, want the start MAR (8310): the dead client kept its place" % head)
    if kv.get("server.unreachable") != "1" or kv.get("server.accepted") != "2":
        fail("server.unreachable=%s server.accepted=%s, want 1 and 2"
             % (kv.get("server.unreachable"), kv.get("server.accepted")))
    if "unreachable: nothing acknowledged for 2 s" not in err:
        fail("the dropped client was not said")
    print("PASS: a vanished collector dropped after --client-timeout 2, its place served again")


def check_multicast_push(ns, argos, tmp):
    """UDP push to a multicast group of collectors goes out with a TTL of
    128, as argus sends it (the system default, 1, would stop at the first
    router). A member of the group in the other namespace reads the TTL of
    each datagram and the records themselves."""
    group, port = "239.255.77.1", 41600
    member = ("import socket, struct, sys\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "s.bind(('0.0.0.0', int(sys.argv[2])))\n"
              "s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,\n"
              "             socket.inet_aton(sys.argv[1]) + socket.inet_aton(sys.argv[3]))\n"
              "s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL (Linux)\n"
              "s.settimeout(3)\n"
              "print('ready', flush=True)\n"
              "try:\n"
              "    while True:\n"
              "        data, anc, _, _ = s.recvmsg(65536, 64)\n"
              "        ttl = [struct.unpack('i', d[:4])[0] for l, t, d in anc if t == 2]  # IP_TTL\n"
              "        print(len(data), data[:2].hex(), ttl[0] if ttl else -1, flush=True)\n"
              "except socket.timeout:\n"
              "    pass\n")
    run("ip", "-n", ns.cap, "route", "add", "224.0.0.0/4", "dev", ns.cap_if)
    try:
        rx = ns.exec(ns.snd, sys.executable, "-c", member, group, str(port), SND_ADDR, stdout=subprocess.PIPE,
                     text=True)
        if rx.stdout.readline().strip() != "ready":
            fail("the group member did not start")
        out = os.path.join(tmp, "mc.argus")
        p = ns.exec(ns.cap, argos, "-r", PCAP_FOR_PUSH, "-w", out, "-w", "argus-udp://%s:%d" % (group, port),
                    stderr=subprocess.PIPE, text=True)
        _, err = p.communicate(timeout=60)
        if p.returncode != 0:
            fail("argos pushing to a multicast group: exit %d: %s" % (p.returncode, err))
        lines = rx.communicate(timeout=30)[0].split()
    finally:
        run("ip", "-n", ns.cap, "route", "del", "224.0.0.0/4", "dev", ns.cap_if, check=False)
    got = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    with open(out, "rb") as f:
        want = 1 + len(list(records(f.read())))  # the start MAR, then what follows it
    if len(got) != want or not got or got[0][1] != "8310":
        fail("the group member got %d datagrams (first %r), the file has %d records" % (len(got), got[:1], want))
    ttls = {g[2] for g in got}
    if ttls != {"128"}:
        fail("multicast datagrams went out with TTL %s, want 128 (argus's)" % sorted(ttls))
    print("PASS: UDP push to multicast group %s: %d datagrams, TTL 128" % (group, len(got)))


def check_two_interfaces(ns, argos, tmp):
    """Two interfaces read as one link, as a tap's two ports deliver the two
    directions of a conversation: a second veth pair joins the namespaces
    and the capturing side routes its replies over it, so the sender's
    packets arrive on the first interface and the replies leave by the
    second. With both given (-i A -i B) each flow is one bidirectional
    record with both directions' packets, and each interface has its line
    of counters."""
    cap_if2, snd_if2 = ns.cap_if + "b", ns.snd_if + "b"
    run("ip", "-n", ns.cap, "link", "add", cap_if2, "type", "veth", "peer", "name", snd_if2, "netns", ns.snd)
    for n, i in ((ns.cap, cap_if2), (ns.snd, snd_if2)):
        run("ip", "-n", n, "link", "set", i, "up")
        # Each side receives on one link and answers on the other: no
        # reverse-path filter may drop that.
        for conf in ("all", "default", i, ns.cap_if if n == ns.cap else ns.snd_if):
            run("ip", "netns", "exec", n, "sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=0" % conf)
    run("ip", "-n", ns.cap, "route", "add", SND_ADDR + "/32", "dev", cap_if2)

    out = os.path.join(tmp, "two.argus")
    server = ns.exec(ns.cap, sys.executable, "-c", SERVER, CAP_ADDR, str(UDP_PORT), str(TCP_PORT),
                     stdout=subprocess.PIPE, text=True)
    if server.stdout.readline().strip() != "ready":
        fail("the listener did not start")
    proc = ns.exec(ns.cap, argos, "-w", out, "-i", ns.cap_if, "-i", cap_if2, "not", "ip6",
                   stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    if proc.poll() is not None:
        fail("argos -i %s -i %s exited early: %s" % (ns.cap_if, cap_if2, proc.stderr.read()))
    sender = ns.exec(ns.snd, sys.executable, "-c", SENDER, CAP_ADDR, str(UDP_PORT), str(TCP_PORT),
                     str(UDP_DATAGRAMS))
    if sender.wait(timeout=30) != 0:
        fail("the sender failed over the two links")
    server.wait(timeout=10)
    time.sleep(0.3)
    err, kv = stop(proc)
    if proc.returncode != 0:
        fail("argos -i A -i B: exit status %d" % proc.returncode)
    per = {m[0]: int(m[1]) for m in re.findall(r"argos: interface (\S+): received=(\d+)", err)}
    if sorted(per) != sorted([ns.cap_if, cap_if2]) or sum(per.values()) != int(kv["capture.received"]):
        fail("per-interface counters %r do not add up to capture.received=%s" % (per, kv["capture.received"]))
    # The sender's TCP segments (at least 4) came in on one, the replies
    # (at least 3) left by the other.
    if per[ns.cap_if] < UDP_DATAGRAMS + 4 or per[cap_if2] < 3:
        fail("the directions did not take separate links: %r" % per)
    fields = ("proto", "saddr", "sport", "daddr", "dport", "spkts", "dpkts", "state")
    tcp = [l for l in ra_lines(out, fields, "tcp") if l[4] == str(TCP_PORT)]
    if len(tcp) != 1:
        fail("expected one TCP record for the connection over two links, ra shows %r" % tcp)
    t = tcp[0]
    if t[1] != SND_ADDR or int(t[5]) < 4 or int(t[6]) < 3 or t[7] not in ("FIN", "CLO"):
        fail("TCP flow over two links %r: want %s's connection with both directions, closed" % (t, SND_ADDR))
    total = sum(int(a) + int(b) for a, b in ra_lines(out, ("spkts", "dpkts"), "not", "man"))
    if total != int(kv["packets"]):
        fail("records hold %d packets, the summary says packets=%s" % (total, kv["packets"]))
    print("PASS: two interfaces as one link: %s received %d, %s received %d; TCP %s/%s %s"
          % (ns.cap_if, per[ns.cap_if], cap_if2, per[cap_if2], t[5], t[6], t[7]))


def check_live(ns, argos, out, workers):
    server = ns.exec(ns.cap, sys.executable, "-c", SERVER, CAP_ADDR, str(UDP_PORT), str(TCP_PORT),
                     stdout=subprocess.PIPE, text=True)
    if server.stdout.readline().strip() != "ready":
        fail("the listener did not start")
    # ARP is left in: its flow is checked too, an empty filter is the default.
    proc = ns.exec(ns.cap, argos, "-i", ns.cap_if, "-w", out, "--workers", str(workers), "--stats-interval", "1",
                   stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the capture is active once argos has opened it
    if proc.poll() is not None:
        fail("argos exited early: " + proc.stderr.read())
    t0 = time.monotonic()
    sender = ns.exec(ns.snd, sys.executable, "-c", SENDER, CAP_ADDR, str(UDP_PORT), str(TCP_PORT),
                     str(UDP_DATAGRAMS))
    if sender.wait(timeout=30) != 0:
        fail("the sender failed")
    server.wait(timeout=10)
    # No packet for a while: the timers must run on the wall clock and report
    # the flows above before the signal. Then one late datagram, which only
    # the shutdown flush can report. Idle, the sensor must not keep a core
    # busy (clock ticks of 1/100 s, all its threads).
    ticks0 = cpu_ticks(proc.pid)
    time.sleep(IDLE_WAIT_S)
    idle_ticks = cpu_ticks(proc.pid) - ticks0
    if idle_ticks > IDLE_WAIT_S * 100 * 0.05:
        fail("idle for %.0f s, argos used %d clock ticks (over 5%% of a core)" % (IDLE_WAIT_S, idle_ticks))
    late = ns.exec(ns.snd, sys.executable, "-c", SENDER, CAP_ADDR, str(UDP_PORT), str(TCP_PORT), "0")
    if late.wait(timeout=30) != 0:
        fail("the late sender failed")
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    t_sig = time.monotonic()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("argos did not stop within 10 s of SIGTERM")
    stop_s = time.monotonic() - t_sig
    print("argos stderr: " + err.strip())
    print("stopped %.3f s after SIGTERM (traffic began %.1f s before)" % (stop_s, t_sig - t0))
    sys.stdout.flush()
    if proc.returncode != 0:
        fail("argos exit status %d" % proc.returncode)
    if stop_s > 2.0:
        fail("argos took %.1f s to stop" % stop_s)

    # The summary line and its capture counters.
    summary = [l for l in err.splitlines() if l.startswith("argos: packets=")]
    if len(summary) != 1:
        fail("no summary line")
    kv = dict(re.findall(r"(\S+)=(\d+)", summary[0]))
    for k in ("capture.received", "capture.dropped", "capture.if_dropped", "stopped_by_signal"):
        if k not in kv:
            fail("summary line lacks %s" % k)
    packets, received = int(kv["packets"]), int(kv["capture.received"])
    if int(kv["capture.dropped"]) != 0:
        fail("capture.dropped=%s on a few packets" % kv["capture.dropped"])
    if received < packets or packets < UDP_DATAGRAMS + 7:
        fail("implausible counts: packets=%d capture.received=%d" % (packets, received))
    # The periodic line carries the capture's counters while it runs: during
    # the quiet spell they hold the traffic above already.
    seen = [int(m) for m in re.findall(r"argos: stats .* capture_received=(\d+) capture_dropped=\d+", err)]
    if not seen or max(seen) < UDP_DATAGRAMS + 7 or max(seen) > received:
        fail("stats lines show capture_received %r, the summary %d" % (seen, received))

    # Flows as the real ra reads them.
    fields = ("proto", "saddr", "sport", "daddr", "dport", "spkts", "dpkts", "state")
    flows = ra_lines(out, fields, "not", "man")
    data = open(out, "rb").read()
    causes = [c for t_, c, _ in records(data) if t_ == 0x13]  # FARs, in file order as ra prints them
    if len(causes) != len(flows):
        fail("ra shows %d flow records, the file holds %d FARs" % (len(flows), len(causes)))
    udp = [(l, c) for l, c in zip(flows, causes) if l[0] == "udp" and l[2] == "40000"]
    if len(udp) != 1:
        fail("expected one UDP record from port 40000, ra shows %r" % udp)
    u, u_cause = udp[0]
    # Reported by the timers (first report, status interval) while no packet came.
    if u_cause != 0x10:
        fail("UDP flow 40000 has cause 0x%02x, want 0x10: the idle timers did not report it" % u_cause)
    late = [(l, c) for l, c in zip(flows, causes) if l[0] == "udp" and l[2] == "40001"]
    if len(late) != 1 or late[0][0][5:7] != ["1", "0"] or late[0][1] & 0xf0 != CAUSE_SHUTDOWN:
        fail("the late datagram's flow should be one 1/0 record with cause SHUTDOWN (0x60): %r" % late)
    if (u[1], u[3], u[4], u[5], u[6]) != (SND_ADDR, CAP_ADDR, str(UDP_PORT), str(UDP_DATAGRAMS), "0"):
        fail("UDP flow %r: want %s -> %s.%d with %d/0 packets" % (u, SND_ADDR, CAP_ADDR, UDP_PORT, UDP_DATAGRAMS))
    tcp = [l for l in ra_lines(out, fields, "tcp") if l[4] == str(TCP_PORT)]
    if len(tcp) != 1:
        fail("expected one TCP flow to port %d, ra shows %r" % (TCP_PORT, tcp))
    t = tcp[0]
    spkts, dpkts = int(t[5]), int(t[6])
    # SYN, ACK, data, ACK of the echo, FIN (+ ACK) one way; SYN-ACK, ACK, echo, FIN the other.
    if t[1] != SND_ADDR or spkts < 4 or dpkts < 3 or spkts + dpkts > 12:
        fail("TCP flow %r: implausible direction or packet counts" % t)
    if t[7] not in ("FIN", "CLO"):
        fail("TCP flow %r: state %s, want a closed connection (FIN or CLO)" % (t, t[7]))
    all_lines = ra_lines(out, ("stime", "proto"))
    if not all_lines or all_lines[-1][-1] != "man":
        fail("the closing MAR is not the last record: %r" % all_lines[-1:])

    # Record totals equal the summary, and the flushed flows carry SHUTDOWN.
    total = sum(int(a) + int(b) for a, b in ra_lines(out, ("spkts", "dpkts"), "not", "man"))
    if total != packets:
        fail("records hold %d packets, the summary says packets=%d" % (total, packets))
    closing = [(t_, c) for t_, c, _ in records(data)][-1]
    if closing != (0x83, 0x30):
        fail("last record is %r, want the closing MAR (0x83, 0x30)" % (closing,))
    print("PASS: live capture, %d worker(s): %d packets (capture.received=%d), UDP %s/%s, TCP %d/%d %s, %d FARs; "
          "%d clock ticks in %.0f s idle" % (workers, packets, received, u[5], u[6], spkts, dpkts, t[7], len(causes),
                                              idle_ticks, IDLE_WAIT_S))
    return 0


if __name__ == "__main__":
    sys.exit(main())
