#!/usr/bin/env python3
"""Prints the records of an Argus v3 file as DSR hex, one record per line.

A debugging aid for comparing our records with the reference sensor's:
`argus_dump.py FILE [--far-only]`.
"""
import sys


def records(data):
    off = 0
    # The start MAR is read as a fixed 128 bytes.
    if len(data) >= 128:
        yield off, data[:128]
        off = 128
    while off + 4 <= len(data):
        words = int.from_bytes(data[off + 2:off + 4], "big")
        if words == 0:
            off += 4
            continue
        yield off, data[off:off + words * 4]
        off += words * 4


def dsrs(rec):
    off = 4
    while off + 4 <= len(rec):
        t, sub = rec[off], rec[off + 1]
        if t & 0x80:
            n = 4
        elif sub & 0x80:
            n = int.from_bytes(rec[off + 2:off + 4], "big") * 4
        else:
            n = rec[off + 3] * 4
        if n == 0:
            break
        yield rec[off:off + n]
        off += n


def main():
    path = sys.argv[1]
    far_only = "--far-only" in sys.argv
    data = open(path, "rb").read()
    for off, rec in records(data):
        if rec[0] & 0xF0 == 0x80:
            if not far_only:
                print(f"{off:06x} MAR {rec[:4].hex()}")
            continue
        parts = [d.hex() for d in dsrs(rec)]
        print(f"{off:06x} FAR {rec[:4].hex()} " + " ".join(parts))


if __name__ == "__main__":
    main()
