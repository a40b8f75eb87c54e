#!/usr/bin/env python3
"""SIGTERM in the middle of a replay: argos reads a capture from standard
input, fed slowly in chunks, and is stopped part-way. It must exit 0, leave a
file that ra reads whole and that ends with the closing MAR, mark the flushed
flows with cause SHUTDOWN (0x60), and its records must hold exactly the
packets its summary line counts."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from argus_records import records  # noqa: E402

CHUNK_BYTES = 64 * 1024
CHUNK_PAUSE_S = 0.05   # about 1.3 MB/s: the 6.8 MB capture takes 5 s
SIGNAL_AFTER_S = 1.5
CAUSE_SHUTDOWN = 0x60


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def feed(pcap, pipe):
    try:
        with open(pcap, "rb") as f:
            while True:
                chunk = f.read(CHUNK_BYTES)
                if not chunk:
                    break
                pipe.write(chunk)
                pipe.flush()
                time.sleep(CHUNK_PAUSE_S)
    except (BrokenPipeError, ValueError, OSError):
        pass  # argos stopped reading: expected
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def check(argos, pcap, workers, out):
    # Our own pipe: the feeder keeps writing while argos is being stopped.
    rfd, wfd = os.pipe()
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen([argos, "-r", "-", "-w", out, "--workers", str(workers)],
                                stdin=rfd, stderr=errf)
        os.close(rfd)
        feeder = threading.Thread(target=feed, args=(pcap, os.fdopen(wfd, "wb")))
        feeder.start()
        time.sleep(SIGNAL_AFTER_S)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            fail("argos --workers %d did not stop within 20 s of SIGTERM" % workers)
        feeder.join()
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    if proc.returncode != 0:
        fail("argos --workers %d exit status %d: %s" % (workers, proc.returncode, err))
    m = re.search(r"argos: packets=(\d+) .*stopped_by_signal=1", err)
    if not m:
        fail("no summary line with stopped_by_signal=1: " + err)
    packets = int(m.group(1))

    data = open(out, "rb").read()
    recs = list(records(data))  # raises on a cut record or trailing bytes
    if not recs or recs[-1][:2] != (0x83, 0x30):
        fail("the last record is not the closing MAR (0x83, 0x30)")
    fars = [c for t, c, _ in recs if t == 0x13]
    shutdown = sum(1 for c in fars if c & 0xf0 == CAUSE_SHUTDOWN)
    if shutdown == 0:
        fail("no record carries cause SHUTDOWN (0x60)")

    r = subprocess.run(["ra", "-r", out, "-n", "-c", ",", "-s", "spkts", "dpkts", "-", "not", "man"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("ra could not read the output: " + r.stderr)
    rows = [l.split(",") for l in r.stdout.splitlines()[1:] if l.strip()]
    if len(rows) != len(fars):
        fail("ra shows %d flow records, the file holds %d" % (len(rows), len(fars)))
    total = sum(int(a) + int(b) for a, b in rows)
    if total != packets:
        fail("records hold %d packets, the summary says packets=%d" % (total, packets))
    last = subprocess.run(["ra", "-r", out, "-n", "-s", "stime", "proto"], stdout=subprocess.PIPE,
                          text=True).stdout.split()
    if not last or last[-1] != "man":
        fail("ra does not show the closing MAR last")
    print("PASS: --workers %d: stopped after %d packets, %d records (%d SHUTDOWN), record "
          "packets = summary packets" % (workers, packets, len(fars), shutdown))
    return packets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--pcap", required=True)
    args = ap.parse_args()
    argos = os.path.abspath(args.argos)
    full = subprocess.run([argos, "-r", args.pcap, "-w", os.devnull], stderr=subprocess.PIPE, text=True)
    m = re.search(r"packets=(\d+)", full.stderr)
    if full.returncode != 0 or not m:
        fail("the full replay failed: " + full.stderr)
    all_packets = int(m.group(1))
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            got = check(argos, args.pcap, workers, os.path.join(tmp, "w%d.argus" % workers))
            if not 0 < got < all_packets:
                fail("--workers %d: %d of %d packets: the signal did not land mid-replay"
                     % (workers, got, all_packets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
