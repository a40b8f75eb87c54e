#!/usr/bin/env python3
"""Daemon operation: -d detaches once inputs and outputs are open (the shell
gets exit 0), writes and locks the pid file, logs to a file with timestamps,
reopens the log on SIGHUP, and on SIGTERM flushes every flow (cause
SHUTDOWN), leaves an output that ra reads whole with the packets the summary
counts, and removes the pid file. A start-up failure still reaches the
terminal with exit 2; a second sensor on the same pid file is refused."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, os.path.join(HERE, "..", "live"))
from checks import run_checks  # noqa: E402
from argus_records import records  # noqa: E402

CAUSE_SHUTDOWN = 0x60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argos", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--unit", required=True)
    args = ap.parse_args()
    argos = os.path.abspath(args.argos)
    args.pcap = os.path.abspath(args.pcap)
    env = dict(os.environ, ARGOS_DEFAULT_CONFIG="/nonexistent/argos.yaml")

    def write(path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(") ")[1].split()[0] != "Z"
        except OSError:
            return False

    def wait_gone(pid, timeout_s):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if not alive(pid):
                return True
            time.sleep(0.05)
        return False

    def rotate_log_and_stop(pid, log):
        # logrotate: move the log away, SIGHUP, later lines go to a new
        # file; then SIGTERM, which must end the sensor.
        os.rename(log, log + ".1")
        os.kill(pid, signal.SIGHUP)
        time.sleep(0.5)
        os.kill(pid, signal.SIGTERM)
        assert wait_gone(pid, 60), "the daemon did not stop on SIGTERM"

    def summary_lines(log):
        with open(log) as f:
            text = f.read()
        return text, [l for l in text.splitlines() if "packets=" in l and "bytes_per_flow=" in l]

    def daemon_config(tmp, pace=0.5):
        # A replay paced to about 13 s: long enough to be stopped part-way.
        return write(os.path.join(tmp, "d.yaml"),
                     f"sensor:\n  daemon: true\n  pid_file: {tmp}/argos.pid\n  log:\n    file: {tmp}/argos.log\n"
                     f"input:\n  files: [{args.pcap}]\n  pace: {pace}\n"
                     f"outputs:\n  files: [{tmp}/out.argus]\n")

    def start(tmp, extra=(), pass_fds=()):
        t0 = time.monotonic()
        p = subprocess.run([argos, "-F", daemon_config(tmp)] + list(extra), capture_output=True, text=True,
                           timeout=60, env=env, cwd=tmp, pass_fds=pass_fds)
        return p, time.monotonic() - t0

    def held_descriptors(pid):
        # A descriptor can close between listing the directory and reading
        # its link (the worker opens and closes files while running): such a
        # one is not held.
        held = []
        for n in os.listdir(f"/proc/{pid}/fd"):
            try:
                held.append(os.readlink(f"/proc/{pid}/fd/{n}"))
            except FileNotFoundError:
                pass
        return held

    def read_pid(tmp):
        with open(os.path.join(tmp, "argos.pid")) as f:
            return int(f.read().strip())

    def detach_and_sigterm(tmp):
        # Started with a descriptor of the starter's open (fd 3 and above, as
        # a script's `exec 3>file` leaves): the daemon does not keep it.
        inherited = os.path.join(tmp, "inherited")
        fd = os.open(inherited, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            p, took = start(tmp, pass_fds=(fd,))
        finally:
            os.close(fd)
        assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"
        assert took < 10, f"the starting shell waited {took:.1f} s"
        pid = read_pid(tmp)
        try:
            assert alive(pid), "no process with the pid file's pid"
            # Detached: its own session, not a session leader, running in "/".
            assert os.getsid(pid) != os.getsid(0), "still in the shell's session"
            assert os.getsid(pid) != pid, "a session leader could acquire a terminal"
            assert os.readlink(f"/proc/{pid}/cwd") == "/", os.readlink(f"/proc/{pid}/cwd")
            held = held_descriptors(pid)
            assert inherited not in held, f"the daemon holds the starter's descriptor: {held}"
            time.sleep(2.5)
            assert alive(pid), "the daemon ended before the replay did"
            rotate_log_and_stop(pid, os.path.join(tmp, "argos.log"))
        finally:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        assert not os.path.exists(os.path.join(tmp, "argos.pid")), "pid file left behind"
        log, summary = summary_lines(os.path.join(tmp, "argos.log"))
        assert len(summary) == 1, "no summary line in the reopened log:\n" + log
        # "2026-11-22T13:45:01.123Z argos[PID]: packets=..."
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z argos\[%d\]: " % pid, summary[0]), summary[0]
        assert "stopped_by_signal=1" in summary[0], summary[0]
        packets = int(re.search(r" packets=(\d+)", summary[0]).group(1))
        assert 0 < packets < 82582, f"stopped part-way expected, {packets} packets"
        # The output: ra reads it whole, the flushed flows say SHUTDOWN, the
        # records hold every packet counted.
        out = os.path.join(tmp, "out.argus")
        with open(out, "rb") as f:
            recs = list(records(f.read()))  # raises on a cut record or trailing bytes
        assert recs and recs[-1][:2] == (0x83, 0x30), "the last record is not the closing MAR"
        fars = [c for t, c, _ in recs if t == 0x13]
        assert any(c & 0xf0 == CAUSE_SHUTDOWN for c in fars), "no record carries cause SHUTDOWN"
        ra = subprocess.run(["ra", "-r", out, "-n", "-c", ",", "-s", "spkts", "dpkts", "-", "not", "man"],
                            capture_output=True, text=True, timeout=60)
        assert ra.returncode == 0 and not ra.stderr.strip(), ra.stderr
        rows = [l.split(",") for l in ra.stdout.splitlines()[1:] if l.strip()]
        assert len(rows) == len(fars), (len(rows), len(fars))
        total = sum(int(a) + int(b) for a, b in rows)
        assert total == packets, f"records hold {total} packets, the summary says {packets}"

    def startup_failure(tmp):
        # An output that cannot be opened: the daemon reports it to the
        # waiting starter, which says it and exits 2; no pid file stays.
        p, _ = start(tmp, ["-w", "/nonexistent/dir/out.argus"])
        assert p.returncode == 2, f"exit {p.returncode}: {p.stderr}"
        assert "/nonexistent/dir/out.argus" in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(tmp, "argos.pid")), "pid file left by a failed start"
        # A failure after detaching (the stream port taken): said once on the
        # terminal, whether the daemon's messages go to a log file or nowhere
        # (--log stderr), and in the log file once.
        import socket
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            log = os.path.join(tmp, "argos.log")
            p = subprocess.run([argos, "-d", "-r", args.pcap, "-w", os.path.join(tmp, "o.argus"), "-P", port,
                                "--log", "stderr"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp)
            assert p.returncode == 2 and p.stderr.count(f"port {port}") == 1, p.stderr
            p, _ = start(tmp, ["-P", port])
            assert p.returncode == 2 and p.stderr.count(f"port {port}") == 1, p.stderr
            with open(log) as f:
                assert f.read().count(f"port {port}") == 1, "not in the log once"

    def second_instance(tmp):
        p, _ = start(tmp)
        assert p.returncode == 0, p.stderr
        pid = read_pid(tmp)
        try:
            other = os.path.join(tmp, "second")
            os.mkdir(other)
            q = subprocess.run([argos, "-F", daemon_config(tmp), "-w", f"{other}/out.argus"],
                               capture_output=True, text=True, timeout=60, env=env)
            assert q.returncode == 2 and f"another argos is running (pid {pid})" in q.stderr, q.stderr
            assert read_pid(tmp) == pid, "the pid file was overwritten"
            assert not os.path.exists(f"{other}/out.argus"), "the refused sensor opened its output"
        finally:
            os.kill(pid, signal.SIGTERM)
            assert wait_gone(pid, 60)

    def foreground_pid_file(tmp):
        # Without -d (systemd runs it so) the pid file is still written and
        # removed; SIGINT flushes as SIGTERM does.
        cfg = write(os.path.join(tmp, "f.yaml"), f"sensor:\n  pid_file: {tmp}/fg.pid\n"
                    f"input:\n  files: [{args.pcap}]\n  pace: 1\noutputs:\n  files: [{tmp}/fg.argus]\n")
        proc = subprocess.Popen([argos, "-F", cfg], stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(f"{tmp}/fg.pid") and time.monotonic() < deadline:
                time.sleep(0.05)
            with open(f"{tmp}/fg.pid") as f:
                assert int(f.read()) == proc.pid
            time.sleep(1)
            # SIGINT (Ctrl-C) stops it as SIGTERM does: every flow flushed.
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert "stopped_by_signal=1" in err, err
            packets = int(re.search(r"argos: packets=(\d+)", err).group(1))
            with open(f"{tmp}/fg.argus", "rb") as f:
                recs = list(records(f.read()))
            assert recs[-1][:2] == (0x83, 0x30), "the last record is not the closing MAR"
            assert any(t == 0x13 and c & 0xf0 == CAUSE_SHUTDOWN for t, c, _ in recs), "no SHUTDOWN record"
            ra = subprocess.run(["ra", "-r", f"{tmp}/fg.argus", "-n", "-c", ",", "-s", "pkts", "-", "not", "man"],
                                capture_output=True, text=True, timeout=60)
            assert sum(int(l) for l in ra.stdout.splitlines()[1:] if l.strip()) == packets, "records lose packets"
        finally:
            if proc.poll() is None:
                proc.kill()
        assert not os.path.exists(f"{tmp}/fg.pid")

    def systemd_unit(tmp):
        # The unit's own lines, run as systemd would: ExecStart stays in the
        # foreground even with daemon: true in the file, ExecReload's SIGHUP
        # keeps it running, KillSignal stops it cleanly within TimeoutStopSec.
        unit = {}
        with open(args.unit) as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.strip().split("=", 1)
                    unit[k] = v
        start = unit["ExecStart"].split()
        assert start[0] == "/usr/local/bin/argos" and start[1:3] == ["-F", "/etc/argos/argos.yaml"], start
        cfg = daemon_config(tmp, pace=1)
        proc = subprocess.Popen([argos, "-F", cfg] + start[3:], stderr=subprocess.PIPE, text=True, env=env)
        try:
            time.sleep(1.5)
            assert proc.poll() is None, "ExecStart detached or ended: " + proc.stderr.read()
            assert read_pid(tmp) == proc.pid, "the pid file should name the foreground process"
            assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID", unit["ExecReload"]
            os.kill(proc.pid, signal.SIGHUP)
            time.sleep(0.3)
            assert proc.poll() is None, "SIGHUP (reload) stopped the sensor"
            assert unit["KillSignal"] == "SIGTERM"
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=int(unit["TimeoutStopSec"]))
            assert proc.returncode == 0, proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
        assert unit.get("RestartPreventExitStatus") == "2", "a configuration error must not be restarted"
        if shutil.which("systemd-analyze"):
            r = subprocess.run(["systemd-analyze", "verify", args.unit], capture_output=True, text=True, timeout=60)
            msgs = [l for l in r.stderr.splitlines() if l.strip() and "/usr/local/bin/argos" not in l]
            assert not msgs, r.stderr

    def run_as(tmp):
        # -u nobody (argus's -u): everything is opened as root, then root is
        # given up for good before the first packet. Every thread runs with
        # nobody's ids; the files the sensor created are nobody's; it still
        # reopens its log after logrotate and writes every record; its pid
        # file, in a directory only root may write, is emptied at exit.
        import pwd
        assert os.geteuid() == 0, "the suite runs as root (scripts/test.sh)"
        nobody = pwd.getpwnam("nobody")
        os.chmod(tmp, 0o755)
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        os.chown(work, nobody.pw_uid, nobody.pw_gid)
        rundir = os.path.join(tmp, "run")
        os.mkdir(rundir, 0o755)
        pcap = shutil.copy(args.pcap, os.path.join(tmp, "in.pcap"))
        cfg = write(os.path.join(tmp, "u.yaml"),
                    f"sensor:\n  daemon: true\n  user: nobody\n  pid_file: {rundir}/argos.pid\n"
                    f"  log:\n    file: {work}/argos.log\n"
                    f"input:\n  files: [{pcap}]\n  pace: 0.5\noutputs:\n  files: [{work}/out.argus]\n")
        p = subprocess.run([argos, "-F", cfg], capture_output=True, text=True, timeout=60, env=env)
        assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"
        with open(f"{rundir}/argos.pid") as f:
            pid = int(f.read())
        try:
            time.sleep(1)
            tasks = os.listdir(f"/proc/{pid}/task")
            for t in tasks:
                with open(f"/proc/{pid}/task/{t}/status") as f:
                    st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
                assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, (t, st["Uid"])
                assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, (t, st["Gid"])
                assert "0" not in st["Groups"].split(), (t, st["Groups"])
            assert len(tasks) >= 3, f"threads: {tasks}"  # worker and exporter, started after the drop or not
            for f in (f"{work}/out.argus", f"{work}/argos.log", f"{rundir}/argos.pid"):
                assert os.stat(f).st_uid == nobody.pw_uid, f"{f} not handed to nobody"
            rotate_log_and_stop(pid, f"{work}/argos.log")
        finally:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        assert os.stat(f"{work}/argos.log").st_uid == nobody.pw_uid
        log, summary = summary_lines(f"{work}/argos.log")
        assert len(summary) == 1 and "stopped_by_signal=1" in summary[0], "no summary in the reopened log:\n" + log
        packets = int(re.search(r" packets=(\d+)", summary[0]).group(1))
        assert os.path.exists(f"{rundir}/argos.pid") and os.path.getsize(f"{rundir}/argos.pid") == 0, \
            "the pid file nobody could not unlink should be left empty"
        ra = subprocess.run(["ra", "-r", f"{work}/out.argus", "-n", "-c", ",", "-s", "pkts", "-", "not", "man"],
                            capture_output=True, text=True, timeout=60)
        assert ra.returncode == 0 and not ra.stderr.strip(), ra.stderr
        assert sum(int(l) for l in ra.stdout.splitlines()[1:] if l.strip()) == packets > 0, "records lose packets"
        # What nobody could not do later is refused before anything starts:
        # an output in a directory only root may write, an unknown user.
        for extra, want in ((["-w", f"{rundir}/out.argus"], f"directory '{rundir}' is not writable by user 'nobody'"),
                            (["-u", "no-such-user-here"], "no user 'no-such-user-here'")):
            q = subprocess.run([argos, "-F", cfg] + extra, capture_output=True, text=True, timeout=60, env=env)
            assert q.returncode == 2 and want in q.stderr, q.stderr
            assert not os.path.exists(f"{rundir}/out.argus"), "the refused sensor opened its output"

    sys.exit(run_checks("daemon", [("run as another user (-u)", run_as),("systemd unit: foreground, reload, stop", systemd_unit),("detach, pid file, log file, SIGHUP, SIGTERM", detach_and_sigterm),
                                   ("start-up failure reaches the terminal", startup_failure),
                                   ("second sensor on the same pid file", second_instance),
                                   ("pid file in the foreground, SIGINT", foreground_pid_file)]))


if __name__ == "__main__":
    main()
