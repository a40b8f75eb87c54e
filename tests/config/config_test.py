#!/usr/bin/env python3
"""YAML configuration: broken files refused with file:line and key, the
effective configuration printed and loaded back, the command line over the
file, the default file and -X, the examples, --from-argus-conf, and YAML-only
settings that change the records (idle timeouts, rotation names in UTC)."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import run_checks  # noqa: E402


def quiet_flows_pcap(path, reports=4, gap_s=2):
    """A capture of IGMPv2 membership reports from one host and LLDP frames
    from one switch, gap_s apart, with a UDP datagram between them: timers
    run on packet time, so a quiet flow only times out when other traffic
    moves the clock on."""
    import struct

    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xffff)
        s += s >> 16
        return ~s & 0xffff

    def ipv4(proto, src, dst, payload, ident=1, frag=0):
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 1, proto, 0,
                                   bytes(src), bytes(dst)))
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        return bytes(ip) + payload

    igmp = bytearray(struct.pack("!BBH4s", 0x16, 0, 0, bytes([239, 1, 2, 3])))
    igmp[2:4] = struct.pack("!H", csum(bytes(igmp)))
    report = bytes.fromhex("01005e010203" "020000000001" "0800") + ipv4(2, [10, 0, 0, 1], [239, 1, 2, 3], bytes(igmp))
    udp = bytes.fromhex("020000000010" "020000000009" "0800") + \
        ipv4(17, [10, 0, 0, 9], [10, 0, 0, 10], struct.pack("!HHHH", 4000, 9, 12, 0) + b"ping")
    # A UDP datagram in two fragments half a second apart.
    def fragments(ident):
        eth = bytes.fromhex("020000000021" "020000000020" "0800")
        data = struct.pack("!HHHH", 5000, 7, 8 + 40, 0) + bytes(40)
        a, b = data[:24], data[24:]
        return (eth + ipv4(17, [10, 0, 0, 20], [10, 0, 0, 21], a, ident, 0x2000),
                eth + ipv4(17, [10, 0, 0, 20], [10, 0, 0, 21], b, ident, 24 // 8))

    # LLDP: chassis id, port id, TTL, end.
    lldp = bytes.fromhex("0180c200000e" "020000000020" "88cc" "0207" "04020000000020" "0403" "0531" "0602" "0078" "0000")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(reports):
            first, rest = fragments(100 + i)
            for t, frame in ((i * gap_s, report), (i * gap_s + 0.25, lldp), (i * gap_s + 0.5, first),
                             (i * gap_s + gap_s / 2, udp), (i * gap_s + 1.5, rest)):
                f.write(struct.pack("<IIII", 1700000000 + int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    argos = os.path.abspath(args.argos)
    pc = lambda n: os.path.join(args.pcaps, n)  # noqa: E731
    env = dict(os.environ, ARGOS_DEFAULT_CONFIG="/nonexistent/argos.yaml", TZ="UTC")

    def run(argv, cwd=None, extra_env=None, timeout=120):
        e = dict(env, **(extra_env or {}))
        return subprocess.run([argos] + argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=e)

    def write(tmp, name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ra_lines(path, fields=("proto", "saddr", "sport", "daddr", "dport", "spkts", "dpkts")):
        # Flow records only: no header line, no management records.
        p = subprocess.run(["ra", "-n", "-c", ",", "-r", path, "-s"] + list(fields),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and not p.stderr.strip(), p.stderr
        lines = [l for l in p.stdout.splitlines()[1:] if l.strip()]
        return [l for l in lines if l.split(",")[0].strip() != "man"]

    def broken_files(tmp):
        pcap = pc("dns-udp.pcap")
        out = os.path.join(tmp, "o.argus")
        io = f"input:\n  files: [{pcap}]\noutputs:\n  files: [{out}]\n"
        # (name, text, expected fragment, line of the mistake)
        cases = [
            ("misspelt section", "sensr:\n  workers: 2\n", "unknown key (did you mean sensor?)", 1),
            ("misspelt nested key", "flows:\n  idle_timeout:\n    tcpp: 60s\n",
             "flows.idle_timeout.tcpp: unknown key (did you mean flows.idle_timeout.tcp?)", 3),
            ("word for a number", "sensor:\n  workers: two\n", "sensor.workers: 'two' is not a whole number", 2),
            ("out of range", "sensor:\n  workers: 100\n", "'100' is not between 1 and 64", 2),
            ("bad duration unit", "flows:\n  status_interval: 5x\n", "'5x' is not a duration", 2),
            ("timeout beyond argus's 16 bits", "flows:\n  idle_timeout:\n    tcp: 70000s\n",
             "flows.idle_timeout.tcp: '70000s' is not between", 3),
            ("not a boolean", "input:\n  promiscuous: maybe\n", "'maybe' is not true or false", 2),
            ("unknown choice", "flows:\n  full_policy: random\n", "'random' is not one of evict,drop", 2),
            ("bad size", "outputs:\n  server:\n    client_buffer: 8 potatoes\n", "is not a size in bytes", 3),
            ("map for a value", "sensor:\n  workers:\n    count: 2\n", "expected a value, found a map", 3),
            ("list for a section", "flows: [1, 2]\n", "flows: expected a map of settings, found a list", 1),
            ("duplicate key", "sensor:\n  workers: 2\n  workers: 3\n", "sensor.workers: given twice", 3),
            ("unclosed bracket", "sensor:\n  cores: [1, 2\nflows:\n  capacity: 64\n", "", 3),
            # yaml-cpp alone would read the rest of the file into the value.
            ("unclosed double quote", "sensor:\n  monitor_id: \"abc\nflows:\n  capacity: 64\n",
             "this quote is never closed", 2),
            ("bare number where the flag counts ms", "input:\n  dpdk:\n    exit_when_idle: 5\n",
             "input.dpdk.exit_when_idle: '5' needs a unit (5ms or 5s)", 3),
            ("unclosed single quote", "outputs:\n  files:\n    - path: 'it''s.argus\nflows:\n  capacity: 64\n",
             "this quote is never closed", 3),
            ("bad indentation", "sensor:\n  workers: 2\n   pin_threads: false\n", "", 3),
            ("unknown key in a file entry", "outputs:\n  files:\n    - path: a.out\n      rotate_sise: 1MiB\n",
             "outputs.files[0].rotate_sise: unknown key", 4),
            ("file entry without a path", "outputs:\n  files:\n    - rotate_size: 1MiB\n",
             "outputs.files[0]: a file needs a path", 3),
            ("rotation too small", "outputs:\n  files:\n    - path: a.out\n      rotate_size: 100\n",
             "at least 4096 bytes", 4),
            ("rotation interval beyond 32 bits", "outputs:\n  files:\n    - path: a.out\n      rotate_interval: 1e30s\n",
             "outputs.files[0].rotate_interval: '1e30s' is not a whole number of seconds", 4),
            ("second document", "sensor: {}\n---\nflows: {}\n", "a second YAML document", 2),
            ("not a map", "hello\n", "the file must be a map", 1),
            ("interval rotation without strftime",
             f"input:\n  files: [{pcap}]\noutputs:\n  files:\n    - path: {out}\n      rotate_interval: 1h\n",
             "needs strftime fields", 5),
            ("missing pcap file", f"outputs:\n  files: [{out}]\ninput:\n  files:\n    - {pcap}\n    - /nonexistent/x.pcap\n",
             "input.files[1]: cannot read pcap file '/nonexistent/x.pcap'", 6),
            ("two kinds of input", f"outputs:\n  files: [{out}]\ninput:\n  files: [{pcap}]\n  interface: eth0\n",
             "input.files and input.interface exclude each other", 5),
            ("more queues than CPUs",
             f"outputs:\n  files: [{out}]\nsensor:\n  workers: 64\ninput:\n  dpdk:\n    ports: [net_null0]\n    rx_queues: 64\n",
             "more receive queues (64) than CPUs", 8),
            ("tables beyond memory", io + "sensor:\n  workers: 64\nflows:\n  capacity: 268435456\n",
             "of memory", 8),
            ("allow-list prefix", io + "  server:\n    port: 5000\n    allow: [10.0.0.0/33]\n", "prefix length", 7),
            ("server setting without a port", io + "  server:\n    bind: [0.0.0.0]\n", "give -P PORT", 6),
            ("more waiting clients than allowed", io + "  server:\n    port: 5000\n    max_clients: 2\n    wait_clients: 3\n",
             "--wait-clients 3 exceeds --max-clients 2", 8),
            ("bad monitor id", io + "sensor:\n  monitor_id: 1.2.3.4.5\n", "'1.2.3.4.5' is not an integer", 6),
            ("filter on a DPDK port", f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports: [net_null0]\n  filter: tcp\n",
             "applies to libpcap inputs", 6),
            ("daemon writing stdout", f"input:\n  files: [{pcap}]\noutputs:\n  files: [\"-\"]\nsensor:\n  daemon: true\n",
             "a daemon cannot write standard output", 4),
            ("log directory missing", io + "sensor:\n  log:\n    file: /nonexistent/dir/argos.log\n",
             "directory '/nonexistent/dir' does not exist", 7),
            ("live setting with files", f"outputs:\n  files: [{out}]\ninput:\n  files: [{pcap}]\n  snap_length: 128\n",
             "input.snap_length: applies to live capture", 5),
            ("interface given twice", f"outputs:\n  files: [{out}]\ninput:\n  interface: [lo, lo]\n",
             "interface 'lo' is given twice", 4),
            ("empty packet range", f"outputs:\n  files: [{out}]\ninput:\n  files: [{pcap}]\n  packets: 5-5\n",
             "input.packets: '5-5' selects no packet", 5),
            ("unknown user", io + "sensor:\n  user: no-such-user-here\n", "sensor.user: no user 'no-such-user-here'", 6),
            ("capture filter that does not compile",
             f"outputs:\n  files: [{out}]\ninput:\n  files: [{pcap}]\n  filter: 'udp port 99999'\n",
             "input.filter: 'udp port 99999' does not compile for", 5),
            ("mbuf pool below its cache", f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports: [net_null0]\n    mbufs: 100\n",
             "input.dpdk.mbufs: 100 is too small: at least 384", 6),
            ("pid file that is a directory", io + "sensor:\n  pid_file: /tmp\n", "'/tmp' is a directory", 6),
            ("record filter without 'and'",
             f"input:\n  files: [{pcap}]\noutputs:\n  files:\n    - path: {out}\n      filter: \"tcp host 10.0.0.1\"\n",
             "outputs.files[0].filter: record filter 'tcp host 10.0.0.1': 'host' where 'and', 'or' or the end was expected", 6),
            ("udp collector filter", io + "  udp:\n    - address: 127.0.0.1:5999\n      filter: \"vid gt 3\"\n",
             "outputs.udp[0].filter: record filter 'vid gt 3': 'vid' is not supported", 7),
            ("udp collector key", io + "  udp:\n    - {addres: 127.0.0.1:5999}\n",
             "outputs.udp[0].addres: unknown key (a collector has address, filter)", 6),
            ("udp collector port", io + "  udp: [\"host:99999\"]\n", "is not HOST[:PORT]", 5),
            ("DPDK port without a name", f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports:\n      - rx_queues: 2\n",
             "input.dpdk.ports[0]: a port needs a name", 6),
            ("DPDK port given twice", f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports: [net_null0, net_null0]\n",
             "port 'net_null0' is given twice", 5),
            ("two ports, queues apart", f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports: [net_null0, {{name: net_null1, rx_queues: 2}}]\n",
             "port 'net_null1' has 2 receive queue(s), 'net_null0' 1", 5),
            ("two ports, two queues each, one worker",
             f"outputs:\n  files: [{out}]\ninput:\n  dpdk:\n    ports: [net_null0, net_null1]\n    rx_queues: 2\n",
             "2 ports with 2 receive queues each need --workers 2", 5),
        ]
        assert len(cases) >= 20
        bad = []
        for i, (name, text, frag, line) in enumerate(cases):
            path = write(tmp, f"bad{i}.yaml", text)
            p = run(["-F", path, "--check-config"])
            msg = p.stderr.strip()
            where = f"{path}:{line}:"
            ok = p.returncode == 2 and where in msg and frag in msg and len(msg.splitlines()) == 1
            if not ok:
                bad.append(f"{name}: want exit 2, '{where}' and '{frag}'; got exit {p.returncode}: {msg}")
            # Nothing starts: no output file appears.
            if os.path.exists(out):
                bad.append(f"{name}: the output file was created")
                os.unlink(out)
        assert not bad, "\n".join(bad)

    def round_trip(tmp):
        # A configuration touching every section prints as YAML that loads
        # back to the same configuration (printing it again gives the same text).
        text = (f"sensor:\n  monitor_id: '\"ab c\"'\n  workers: 2\n  cores: [0, 1]\n  stats_interval: 250ms\n"
                f"  pid_file: {tmp}/a.pid\n  log:\n    file: {tmp}/a.log\n"
                f"input:\n  files: [{pc('dns-udp.pcap')}, {pc('arp.pcap')}]\n  pace: 2.5\n  filter: 'udp or arp'\n"
                "flows:\n  capacity: 100000\n  full_policy: drop\n  status_interval: 0.5\n"
                "  idle_timeout: {tcp: 2m, ip: 1500ms, icmp: 7, igmp: 1h, fragment: 3s, arp: 4s, other: 9s}\n"
                f"outputs:\n  files:\n    - {tmp}/plain.argus\n    - path: {tmp}/r.%H.argus\n"
                "      rotate_interval: 1h\n      rotate_size: 64MiB\n      rotate_utc: yes\n"
                "  udp: [\"127.0.0.1:5999\", \"[::1]:600\"]\n"
                "  server: {port: 5601, bind: [\"::1\", 127.0.0.1], allow: [10.0.0.0/8], client_buffer: 1048576}\n")
        src = write(tmp, "rich.yaml", text)
        p1 = run(["-F", src, "--print-config"])
        assert p1.returncode == 0, p1.stderr
        printed = write(tmp, "printed.yaml", p1.stdout)
        p2 = run(["-F", printed, "--print-config"])
        assert p2.returncode == 0, p2.stderr
        assert p1.stdout == p2.stdout, "printed configuration does not load back the same:\n" + p1.stdout + "\n---\n" + p2.stdout
        for want in ["workers: 2", "stats_interval: 250ms", "status_interval: 500ms", "pace: 2.5", "full_policy: \"drop\"", "tcp: 120s",
                     "ip: 1.5s", "igmp: 3600s", "rotate_utc: true", "client_buffer: 1MiB", "\"::1\""]:
            assert want in p1.stdout, f"'{want}' not in the printed configuration:\n{p1.stdout}"
        p3 = run(["-F", printed, "--check-portable"])
        assert p3.returncode == 0, p3.stderr
        # Defaults alone print and load back too.
        d1 = run(["-X", "--print-config"])
        assert d1.returncode == 0, d1.stderr
        d2 = run(["-F", write(tmp, "defaults.yaml", d1.stdout), "--print-config"])
        assert d1.stdout == d2.stdout
        # What would not run is not printed as a configuration: the value
        # checks and the combination checks of --check-portable apply.
        for args, want in ((["-X", "-e", "abcdefgh"], "is not an integer, an IPv4 address"),
                           (["-X", "-r", "-", "-f"], "cannot be followed"),
                           (["-X", "-i", "dpdk:net_null0", "-r", pc("arp.pcap")], "exclude each other")):
            p = run(args + ["--print-config"])
            assert p.returncode == 2 and want in p.stderr and p.stdout == "", (args, p.returncode, p.stderr)
        # A template of DPDK or live settings, without an input, prints.
        tpl = write(tmp, "dpdk-template.yaml", "input:\n  dpdk:\n    exit_when_idle: 2s\n")
        p = run(["-F", tpl, "--print-config"])
        assert p.returncode == 0 and "exit_when_idle: 2s" in p.stdout, p.stderr

    def overrides(tmp):
        # Flags win over the file; -w, -r and list flags replace the file's lists.
        out_file = os.path.join(tmp, "from-file.argus")
        out_cli = os.path.join(tmp, "from-cli.argus")
        src = write(tmp, "base.yaml", f"input:\n  files: [{pc('arp.pcap')}]\nflows:\n  status_interval: 5s\n  capacity: 1000\n"
                    f"outputs:\n  files: [{out_file}]\n  server:\n    port: 5602\n    bind: [127.0.0.1, \"::1\"]\n")
        p = run(["-F", src, "-S", "2", "-B", "127.0.0.2", "--print-config"])
        assert p.returncode == 0, p.stderr
        assert "status_interval: 2s" in p.stdout and "capacity: 1000" in p.stdout, p.stdout
        assert re.search(r'bind: \["127.0.0.2"\]', p.stdout), p.stdout
        # -r and -w replace the file's input and outputs: the run reads dns-udp, writes only out_cli.
        p = run(["-F", src, "-r", pc("dns-udp.pcap"), "-w", out_cli, "-P", "0"])
        assert p.returncode == 0, p.stderr
        assert not os.path.exists(out_file), "the file's output was written despite -w"
        assert len(ra_lines(out_cli)) == 8, ra_lines(out_cli)
        # The file alone runs as configured (its server off by -P 0 here: no client needed).
        p = run(["-F", src, "-P", "0"])
        assert p.returncode == 0, p.stderr
        assert [l for l in ra_lines(out_file) if l.startswith("arp")], "arp.pcap records expected"

    def default_file(tmp):
        # Without -F the default file is read when it exists; -X ignores it.
        out = os.path.join(tmp, "default.argus")
        d = write(tmp, "default.yaml", f"outputs:\n  files: [{out}]\nflows:\n  capacity: 4242\n")
        e = {"ARGOS_DEFAULT_CONFIG": d}
        p = run(["--print-config"], extra_env=e)
        assert p.returncode == 0 and "capacity: 4242" in p.stdout, p.stdout + p.stderr
        p = run(["-X", "--print-config"], extra_env=e)
        assert p.returncode == 0 and "capacity: 1048576" in p.stdout, p.stdout
        p = run(["-r", pc("dns-udp.pcap")], extra_env=e)
        assert p.returncode == 0, p.stderr
        assert len(ra_lines(out)) == 8
        # A broken default file stops the start as any other file would.
        write(tmp, "default.yaml", "flows:\n  capacity: lots\n")
        p = run(["-r", pc("dns-udp.pcap"), "-w", os.path.join(tmp, "x.argus")], extra_env=e)
        assert p.returncode == 2 and f"{d}:2:" in p.stderr, p.stderr

    def examples(tmp):
        names = sorted(n for n in os.listdir(args.examples) if n.endswith(".yaml"))
        assert len(names) >= 3, names
        for n in names:
            p = run(["-F", os.path.join(args.examples, n), "--check-portable"], cwd=args.root)
            assert p.returncode == 0, f"{n}: {p.stderr}"
            assert "configuration OK" in p.stderr
        # The replay example runs here, as is, from the repository's top.
        os.makedirs(os.path.join(tmp, "out"), exist_ok=True)
        ex = os.path.join(args.examples, "pcap-replay.yaml")
        with open(ex) as f:
            text = f.read().replace("tests/data/pcaps/", os.path.abspath(args.pcaps) + "/")
        cfg = write(tmp, "replay.yaml", text)
        p = run(["-F", cfg, "--check-config"], cwd=tmp)
        assert p.returncode == 0, p.stderr
        p = run(["-F", cfg], cwd=tmp)
        assert p.returncode == 0, p.stderr
        lines = ra_lines(os.path.join(tmp, "out", "replay.argus"))
        assert len(lines) > 10, lines
        # The 100G host's file describes another machine: on this one its
        # queues do not fit, said with the line of rx_queues.
        big = os.path.join(args.examples, "100g-multi-queue.yaml")
        p = run(["-F", big, "--check-config"])
        if (os.cpu_count() or 1) < 12:
            assert p.returncode == 2 and "rx_queues" in p.stderr and "more receive queues" in p.stderr, p.stderr

    def from_argus_conf(tmp):
        conf = write(tmp, "argus.conf",
                     "# Debian's file\nARGUS_FLOW_TYPE=\"Bidirectional\"\nARGUS_FLOW_KEY=\"CLASSIC_5_TUPLE\"\n"
                     f"ARGUS_OUTPUT_FILE={tmp}/from-conf.argus\nARGUS_FLOW_STATUS_INTERVAL=3\n"
                     "ARGUS_MAR_STATUS_INTERVAL=60\nARGUS_TCP_TIMEOUT=120\nARGUS_MONITOR_ID=7\n"
                     "ARGUS_EVENT_DATA=prog:/bin/date:60\n")
        p = run(["--from-argus-conf", conf])
        assert p.returncode == 0, p.stderr
        assert "ARGUS_EVENT_DATA" in p.stderr, "an option without equivalent must be noted"
        y = write(tmp, "converted.yaml", p.stdout)
        p2 = run(["-F", y, "-r", pc("dns-udp.pcap"), "--print-config"])
        assert p2.returncode == 0, p2.stderr
        for want in ["status_interval: 3s", "tcp: 120s", "monitor_id: \"7\"", "from-conf.argus"]:
            assert want in p2.stdout, f"{want} not in\n{p2.stdout}"
        p3 = run(["-F", y, "-r", pc("dns-udp.pcap")])
        assert p3.returncode == 0, p3.stderr
        assert len(ra_lines(os.path.join(tmp, "from-conf.argus"))) == 8
        # Source ids as argus reads them: a quoted word is a string id, kept
        # in its quotes so that it loads back; a bare host name is a note.
        for value, want in (('"en0"', 'en0'), ('"abcdef"', 'abcd'), ("0x0a0b0c0d", "10.11.12.13")):
            ids = write(tmp, "ids.conf", f"ARGUS_MONITOR_ID={value}\n")
            p5 = run(["--from-argus-conf", ids])
            assert p5.returncode == 0, p5.stderr
            y5 = write(tmp, "ids.yaml", p5.stdout)
            out5 = os.path.join(tmp, "ids.argus")
            if os.path.exists(out5):
                os.unlink(out5)
            p6 = run(["-F", y5, "-r", pc("dns-udp.pcap"), "-w", out5])
            assert p6.returncode == 0, (value, p6.stderr)
            srcids = {l.split(",")[0] for l in subprocess.run(["ra", "-r", out5, "-n", "-c", ",", "-s", "srcid"],
                                                               capture_output=True, text=True).stdout.splitlines()[1:]}
            assert srcids == {want}, (value, srcids)
        p7 = run(["--from-argus-conf", write(tmp, "host.conf", "ARGUS_MONITOR_ID=sensorhost\n")])
        assert p7.returncode == 0 and "host names are not resolved" in p7.stderr, p7.stderr
        # Nothing read without end: a file over 1 MiB is refused.
        p8 = run(["--from-argus-conf", write(tmp, "big.conf", "#" * (2 << 20))])
        assert p8.returncode == 2 and "larger than 1 MiB" in p8.stderr, p8.stderr
        # A NUL would cut the quoted line short in a note: refused whole.
        p9 = run(["--from-argus-conf", write(tmp, "nul.conf", "ARGUS_MONITOR_ID=ab\0cd\nARGUS_FOO=1\n")])
        assert p9.returncode == 2 and "holds NUL bytes" in p9.stderr and p9.stdout == "", p9.stderr
        bad = write(tmp, "bad.conf", "ARGUS_TCP_TIMEOUT=abc\n")
        p4 = run(["--from-argus-conf", bad])
        assert p4.returncode == 2 and f"{bad}:1" in p4.stderr, p4.stderr

    def idle_timeouts(tmp):
        # Each flows.idle_timeout key (YAML only, as in argus.conf) splits
        # the flows of its own protocols, and only those, when made tiny:
        # more flow ids (ra's seq) for them, the same for the others. Timers
        # run at status-interval ticks, hence the 1 s interval in both runs.
        quiet = quiet_flows_pcap(os.path.join(tmp, "quiet.pcap"))
        classes = {"tcp": {"tcp"}, "ip": {"udp"}, "icmp": {"icmp", "ipv6-icmp"}, "arp": {"arp"},
                   "igmp": {"igmp"}, "other": {"llc", "lldp"}}
        pcaps = [pc("large-home-lan-mixed.pcap"), pc("mixed-dhcp-arp-icmp-icmpv6.pcap"), pc("icmp-echo.pcap"),
                 pc("arp.pcap"), quiet]

        def counts(pcap, yaml_extra):
            out = os.path.join(tmp, "t.argus")
            if os.path.exists(out):
                os.unlink(out)
            cfg = write(tmp, "t.yaml", f"input:\n  files: [{pcap}]\noutputs:\n  files: [{out}]\n"
                        "flows:\n  status_interval: 1s\n" + yaml_extra)
            p = run(["-F", cfg])
            assert p.returncode == 0, p.stderr
            c = {}
            for l in set(ra_lines(out, ("proto", "seq"))):
                proto = l.split(",")[0].strip()
                c[proto] = c.get(proto, 0) + 1
            return c

        for cls, protos in classes.items():
            changed = False
            for pcap in pcaps:
                base = counts(pcap, "")
                tiny = counts(pcap, f"  idle_timeout:\n    {cls}: 1ms\n")
                for proto in set(base) | set(tiny):
                    if proto in protos:
                        assert tiny.get(proto, 0) >= base.get(proto, 0), (cls, pcap, proto, base, tiny)
                        changed |= tiny.get(proto, 0) > base.get(proto, 0)
                    else:
                        assert tiny.get(proto, 0) == base.get(proto, 0), \
                            f"idle_timeout.{cls} changed {proto} records in {pcap}: {base} -> {tiny}"
                if changed:
                    break
            assert changed, f"flows.idle_timeout.{cls}: 1ms made no difference on {pcaps}"

        # The fragment timeout is how long a first fragment waits for the
        # rest: made tiny, the later fragments find no flow (counted).
        def orphans(extra):
            cfg = write(tmp, "f.yaml", f"input:\n  files: [{quiet}]\n"
                        f"outputs:\n  files: [{tmp}/f.argus]\nflows:\n  status_interval: 1s\n" + extra)
            p = run(["-F", cfg])
            assert p.returncode == 0, p.stderr
            m = re.search(r"table.frag_orphans=(\d+)", p.stderr)
            return int(m.group(1)) if m else 0
        base, tiny = orphans(""), orphans("  idle_timeout:\n    fragment: 1ms\n")
        assert base == 0 and tiny > 0, f"flows.idle_timeout.fragment: orphans {base} -> {tiny}"

    def rotate_utc(tmp):
        # rotate_utc names files in UTC whatever TZ says; without it, local time.
        pcap = pc("dns-udp.pcap")
        for utc in (True, False):
            d = os.path.join(tmp, f"utc-{utc}")
            os.makedirs(d)
            cfg = write(tmp, "rot.yaml", f"input:\n  files: [{pcap}]\noutputs:\n  files:\n"
                        f"    - path: {d}/a.%H%z.argus\n      rotate_interval: 1h\n      rotate_utc: {str(utc).lower()}\n")
            p = run(["-F", cfg], extra_env={"TZ": "Asia/Kolkata"})  # +0530: never the same hour as UTC
            assert p.returncode == 0, p.stderr
            names = os.listdir(d)
            assert len(names) == 1, names
            assert names[0].endswith("+0000.argus" if utc else "+0530.argus"), (utc, names)

    def option_coverage(tmp):
        # Every option of --print-config is named below with the test that
        # shows it changes the behaviour or the output; a new option without
        # one fails here.
        covered = {
            "sensor.monitor_id": "parity (srcid)", "sensor.mar_interval": "parity-corpus (-M in MARs)",
            "sensor.workers": "cli per_worker_counters", "sensor.cores": "cli core_plan",
            "sensor.pin_threads": "cli core_plan (--no-pin)", "sensor.stats_interval": "cli stats_line",
            "sensor.daemon": "daemon", "sensor.pid_file": "daemon", "sensor.log.to": "daemon",
            "sensor.log.file": "daemon", "sensor.user": "daemon run_as", "sensor.chroot": "cli -c confines the sensor to a directory", "sensor.group": "daemon run_as", "input.files": "config overrides", "input.follow": "cli -f follows a growing file", "input.pace": "stream (-T)", "input.packets": "cli -N packet range",
            "input.interface": "live-capture", "input.promiscuous": "live-capture capture options (-p)",
            "input.snap_length": "live-capture capture options (-s)", "input.buffer_size": "live-capture capture options (--pcap-buffer)",
            "input.filter": "cli filter", "input.filter_optimize": "cli -b prints the filter, -O", "input.dpdk.ports": "dpdk-replay check_yaml, two_ports", "input.dpdk.eal": "dpdk-replay check_yaml",
            "input.dpdk.rx_queues": "dpdk (2 queues)", "input.dpdk.mbufs": "dpdk-replay check_mbufs", "input.dpdk.exit_when_idle": "dpdk",
            "flows.capacity": "cli full_policy", "flows.full_policy": "cli full_policy",
            "flows.status_interval": "parity (-S)", "flows.type": "parity-unidirectional; unit FlowTable.Unidirectional*",
            "flows.key": "parity-matrix; unit FlowTable.Matrix*", "flows.idle_timeout.tcp": "config idle_timeouts",
            "flows.idle_timeout.ip": "config idle_timeouts", "flows.idle_timeout.icmp": "config idle_timeouts",
            "flows.idle_timeout.igmp": "config idle_timeouts", "flows.idle_timeout.fragment": "config idle_timeouts",
            "flows.idle_timeout.arp": "config idle_timeouts", "flows.idle_timeout.other": "config idle_timeouts",
            "metrics.tcp_perf": "config tcp_perf_off", "metrics.app_bytes": "parity-switches (-A)",
            "metrics.mac": "parity-switches (-m)", "metrics.jitter": "parity-switches (-J: sintpkt sjit dintpkt djit, act/idl); unit FlowTable.Jitter*",
            "metrics.packet_size": "parity-switches (-Z)", "metrics.response_time": "parity-switches (-R on both sensors: argus's records, unchanged)",
            "metrics.bidirectional_timestamps": "parity-switches (sstime sltime dstime dltime)",
            "metrics.start_records": "parity-start-records (cause Start, then Status)",
            "metrics.track_duplicates": "parity-duplicates; parity-bad-input tcp-duplicates; unit TcpTrackDuplicates.*",
            "metrics.user_data": "parity-switches (-U 32: suser duser); config user_data_limit",
            "outputs.files": "stream rotation, config rotate_utc, cli record filters on outputs", "outputs.udp": "stream udp_push, udp_push_filtered",
            "outputs.server.port": "stream", "outputs.server.bind": "stream ipv6", "outputs.server.allow": "stream allow_list",
            "outputs.server.max_clients": "stream max_clients", "outputs.server.client_buffer": "stream slow_client",
            "outputs.server.wait_clients": "stream", "outputs.server.client_timeout": "live-capture dead collector",
            "outputs.record_buffer": "dpdk-replay check_report_wave; unit ConfigValidate.RecordBufferFollowsTheInput",
        }
        p = run(["-X", "--print-config"])
        keys, stack = [], []
        for line in p.stdout.splitlines():
            m = re.match(r"^( *)([a-z_]+):", line)
            if not m:
                continue
            depth = len(m.group(1)) // 2
            stack = stack[:depth] + [m.group(2)]
            rest = line[m.end():].split("#")[0].strip()
            if rest:
                keys.append(".".join(stack))
        missing = [k for k in keys if k not in covered]
        assert not missing, f"options without a behaviour test: {missing}"
        # Every flag is explained by argos -h and in the README's table.
        flags = set(re.findall(r"\[(-[-a-zA-Z]+)\]$", p.stdout, re.M))
        assert {"-u", "-g", "-J", "-U", "-R", "-S"} <= flags, flags
        usage = run(["-h"]).stdout
        with open(os.path.join(args.root, "README.md")) as f:
            readme = f.read()
        for fl in sorted(flags):
            assert re.search(r"(?<![\w-])" + re.escape(fl) + r"(?![\w-])", usage), f"{fl} is not in argos -h"
            assert re.search(r"`" + re.escape(fl) + r"[` ]", readme), f"{fl} is not in README.md"
        # Every metric switch argus has is accepted, each one on its own.
        metrics = [k for k in keys if k.startswith("metrics.")]
        assert len(metrics) == 10, metrics
        for k in metrics:
            leaf = k.split(".")[1]
            val = "false" if leaf == "tcp_perf" else ("32" if leaf == "user_data" else "true")
            cfg = write(tmp, "m.yaml", f"input:\n  files: [{pc('arp.pcap')}]\noutputs:\n  files: [{tmp}/m.argus]\n"
                        f"metrics:\n  {leaf}: {val}\n")
            r = run(["-F", cfg, "--check-config"])
            assert r.returncode == 0, (k, r.stderr)

    def tcp_perf_off(tmp):
        # metrics.tcp_perf: false writes TCP_STATUS (network DSR subtype 4, 3
        # words) instead of TCP_PERF (30 words): ra shows the same states and
        # flags, and no window or sequence base any more.
        pcap = pc("tcp-http-ipv4-single-flow.pcap")
        outs = {}
        for perf in ("true", "false"):
            out = os.path.join(tmp, f"perf-{perf}.argus")
            cfg = write(tmp, "p.yaml", f"input:\n  files: [{pcap}]\noutputs:\n  files: [{out}]\n"
                        f"metrics:\n  tcp_perf: {perf}\n")
            p = run(["-F", cfg])
            assert p.returncode == 0, p.stderr
            outs[perf] = out
        base = ("proto", "saddr", "sport", "daddr", "dport", "spkts", "dpkts", "state")
        assert ra_lines(outs["true"], base) == ra_lines(outs["false"], base)
        with_perf = [f.strip() for f in ra_lines(outs["true"], ("proto", "swin", "stcpb"))[0].split(",")]
        without = [f.strip() for f in ra_lines(outs["false"], ("proto", "swin", "stcpb"))[0].split(",")]
        assert with_perf[2] not in ("", "0") and without[2] in ("", "0"), (with_perf, without)
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
        from argus_records import records
        with open(outs["false"], "rb") as f:
            fars = [r for t, _, r in records(f.read()) if t == 0x13]
        subtypes = set()
        for far in fars:
            off = 4
            while off + 4 <= len(far):
                if far[off] == 0x30:
                    subtypes.add((far[off + 1], far[off + 3]))
                off += far[off + 3] * 4
        assert subtypes == {(0x04, 3)}, subtypes

    def user_data_limit(tmp):
        # -U is bounded (256 bytes per direction), and its buffers count in
        # the memory check: a table that fits without them is refused with
        # them.
        base = ["-r", pc("arp.pcap"), "-w", os.path.join(tmp, "u.argus")]
        p = run(base + ["-U", "257"])
        assert p.returncode == 2 and "-U" in p.stderr and "256" in p.stderr, p.stderr
        assert run(base + ["-U", "256", "--check-config"]).returncode == 0
        with open("/proc/meminfo") as f:
            mem = int(next(l for l in f if l.startswith("MemTotal:")).split()[1]) * 1024
        flows = min(int(0.8 * mem / 500), 268435456)  # ~272 bytes a flow without -U, ~790 with -U 256
        p = run(base + ["--flows", str(flows), "--check-config"])
        assert p.returncode == 0, p.stderr
        p = run(base + ["--flows", str(flows), "-U", "256", "--check-config"])
        assert p.returncode == 2 and "of flow tables" in p.stderr, p.stderr

    def record_buffer_memory(tmp):
        # A live input's record buffer (one report per flow of capacity
        # unless --record-buffer says otherwise) counts in the memory check
        # beside the tables: at 416 bytes a report it outweighs a 272-byte
        # flow entry.
        with open("/proc/meminfo") as f:
            mem = int(next(l for l in f if l.startswith("MemTotal:")).split()[1]) * 1024
        flows = min(int(0.8 * mem / 500), 268435456)
        base = ["-i", "lo", "-w", os.path.join(tmp, "b.argus"), "--flows", str(flows), "--check-config"]
        p = run(base)
        assert p.returncode == 2 and "of record buffers (--record-buffer)" in p.stderr, p.stderr
        p = run(base + ["--record-buffer", "65536"])
        assert p.returncode == 0, p.stderr
        # Replay waits for the exporter instead: its buffer stays small.
        p = run(["-r", pc("arp.pcap"), "-w", os.path.join(tmp, "b.argus"), "--flows", str(flows), "--check-config"])
        assert p.returncode == 0, p.stderr
        # A memory cgroup's limit (a service's MemoryMax=, a container's)
        # counts as the machine's memory: 4M flows do not fit in 1 GiB.
        group = f"/sys/fs/cgroup/memory/argos-test-{os.getpid()}"
        try:
            os.mkdir(group)
        except OSError as e:
            print(f"      (cgroup part skipped: no cgroup v1 memory controller to write here: {e})")
            return
        try:
            with open(os.path.join(group, "memory.limit_in_bytes"), "w") as f:
                f.write(str(1 << 30))
            cmd = [argos, "-X", "-r", pc("arp.pcap"), "-w", os.path.join(tmp, "b.argus"), "--flows", "4000000",
                   "--check-config"]
            p = subprocess.run(["sh", "-c", f"echo $$ > {group}/cgroup.procs && exec \"$@\"", "sh", *cmd],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 2 and "cgroup memory limit, 1.0 GiB" in p.stderr, p.stderr
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr  # outside the group they fit
        finally:
            os.rmdir(group)

    def daemon_log_notes(tmp):
        # A daemon whose messages would go nowhere is told so before it
        # detaches: standard error (its /dev/null), or syslog without a socket.
        base = ["-X", "-r", pc("arp.pcap"), "-w", os.path.join(tmp, "n.argus"), "-d", "--check-config"]
        p = run(base + ["--log", "stderr"])
        assert p.returncode == 0 and "a daemon's standard error is /dev/null" in p.stderr, p.stderr
        p = run(base + ["--log", "syslog"])
        has_socket = os.path.exists("/dev/log")
        assert p.returncode == 0 and ("no syslog socket here" in p.stderr) != has_socket, p.stderr
        p = run(base + ["--log", "file", "--log-file", os.path.join(tmp, "d.log")])
        assert p.returncode == 0 and "note:" not in p.stderr, p.stderr

    def small_capture_buffer(tmp):
        # A kernel capture buffer too small for a burst is said (not refused).
        base = ["-i", "lo", "-w", os.path.join(tmp, "b.argus"), "--check-config"]
        p = run(base + ["--pcap-buffer", "64KiB"])
        assert p.returncode == 0 and "capture buffer of 65536 bytes" in p.stderr and \
            "holds at most 43 full-size" in p.stderr, p.stderr
        for enough in (["--pcap-buffer", "4MiB"], []):
            p = run(base + enough)
            assert p.returncode == 0 and "note:" not in p.stderr, p.stderr

    def interface_missing(tmp):
        # An interface that is not there is said with the line that names it
        # and exit status 3 (the machine's state, which may change: the
        # systemd unit restarts on 3 and not on 2's configuration errors).
        out = os.path.join(tmp, "m.argus")
        path = write(tmp, "missing-if.yaml", f"outputs:\n  files: [{out}]\ninput:\n  interface: [lo, no-such-if0]\n")
        for extra in (["--check-config"], []):
            p = run(["-F", path, *extra])
            assert p.returncode == 3 and f"{path}:4:" in p.stderr and \
                "input.interface[1]: no interface 'no-such-if0' to capture on here" in p.stderr, p.stderr
            assert not os.path.exists(out), "an output was created"
        p = run(["-i", "no-such-if0", "-w", out, "-d"])  # before detaching: the starter's status
        assert p.returncode == 3 and "no interface 'no-such-if0'" in p.stderr, p.stderr

    def interface_down(tmp):
        # An interface that is there but down is said by --check-config, as
        # the capture would refuse it at start (root: a veth pair, left down),
        # with exit status 3 like a missing one.
        name = f"argosdn{os.getpid() % 10000}"
        if subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"],
                          capture_output=True).returncode != 0:
            print("      (skipped: cannot create a veth pair here)")
            return
        try:
            base = ["-X", "-i", name, "-w", os.path.join(tmp, "d.argus"), "--check-config"]
            p = run(base)
            assert p.returncode == 3 and f"interface '{name}' is down" in p.stderr, p.stderr
            # The sensor itself refuses to start the same way, writing nothing.
            out = os.path.join(tmp, "down.argus")
            p = run(["-X", "-i", name, "-w", out])
            assert p.returncode == 3 and f"interface '{name}' is down" in p.stderr, p.stderr
            assert not os.path.exists(out), "an output was created"
            subprocess.run(["ip", "link", "set", name, "up"], check=True)
            p = run(base)
            assert p.returncode == 0, p.stderr
            p = run(base + ["udp port 99999"])
            assert p.returncode == 2 and f"does not compile for interface '{name}'" in p.stderr, p.stderr
        finally:
            subprocess.run(["ip", "link", "del", name], capture_output=True)

    def cli_errors(tmp):
        # Misspelt flags get a suggestion; values go through the same table as YAML.
        p = run(["-r", pc("arp.pcap"), "-w", os.path.join(tmp, "x"), "--worker", "2"])
        assert p.returncode == 2 and "unknown option --worker (did you mean --workers?)" in p.stderr, p.stderr
        p = run(["-r", pc("arp.pcap"), "-w", os.path.join(tmp, "x"), "-S", "5x"])
        assert p.returncode == 2 and "-S: '5x' is not a duration" in p.stderr, p.stderr
        p = run(["-r", pc("arp.pcap"), "-w", os.path.join(tmp, "x"), "--client-buffer", "1GiB", "-P", "5603"])
        assert p.returncode == 0, p.stderr
        p = run(["-F", "/nonexistent/argos.yaml"])
        assert p.returncode == 2 and "cannot read configuration file '/nonexistent/argos.yaml'" in p.stderr, p.stderr

    checks = [broken_files, round_trip, overrides, default_file, examples, from_argus_conf,
              idle_timeouts, rotate_utc, option_coverage, tcp_perf_off, user_data_limit, record_buffer_memory, small_capture_buffer, interface_missing, interface_down, daemon_log_notes, cli_errors]
    sys.exit(run_checks("config", [(f.__name__, f) for f in checks]))


if __name__ == "__main__":
    main()
