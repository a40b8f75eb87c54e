#!/usr/bin/env python3
"""Prints the records of an Argus v3 file as DSR hex, one record per line.

A debugging aid for comparing our records with the reference sensor's:
`argus_dump.py FILE [--far-only]`. The record and DSR walk is the parity
test's (tests/parity/parity.py).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "parity"))
from parity import argus_records_raw, record_dsr_list  # noqa: E402


def main():
    path = sys.argv[1]
    far_only = "--far-only" in sys.argv
    data = open(path, "rb").read()
    for off, is_mar, rec in argus_records_raw(data):
        if is_mar:
            if not far_only:
                print(f"{off:06x} MAR {rec[:4].hex()}")
            continue
        parts = [d.hex() for d in record_dsr_list(rec)]
        print(f"{off:06x} FAR {rec[:4].hex()} " + " ".join(parts))


if __name__ == "__main__":
    main()
