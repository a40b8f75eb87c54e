"""The check runner the Python test scripts share: each check gets a fresh
temporary directory; an assertion (or a failed system call) fails that
check only; a summary line ends the run."""
import subprocess
import sys
import tempfile

FAILURES = (AssertionError, OSError, ValueError, subprocess.SubprocessError)


def run_checks(suite, checks, cleanup=None):
    """Runs (name, fn(tmpdir)) pairs in order, prints "ok"/"FAIL" per check
    and "<suite>: N of M checks ok"; `cleanup` runs after every check.
    Returns the exit status: 0 when every check passed."""
    failed = 0
    for name, fn in checks:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print(f"ok    {name}")
            except FAILURES as e:
                print(f"FAIL  {name}: {e}")
                failed += 1
            finally:
                if cleanup:
                    cleanup()
            sys.stdout.flush()
    print(f"{suite}: {len(checks) - failed} of {len(checks)} checks ok")
    return 1 if failed else 0
