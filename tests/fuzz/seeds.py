#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from capture files.

    seeds.py parser OUT_DIR PCAP...   one file per distinct frame: a byte
                                      naming the link type (fuzz_parser's
                                      kLinkTypes index), then the frame
    seeds.py pcap OUT_DIR PCAP...     every capture whole, and classic pcap
                                      files larger than --max-len also cut
                                      into valid pcap files of at most that
                                      size (header + whole records)

Reads classic pcap (both byte orders, micro- and nanosecond magic) and
pcapng (SHB, IDB, EPB, SPB and the old packet block). Damaged files give the
frames before the damage.
"""
import argparse
import hashlib
import os
import struct
import sys

# Same order as kLinkTypes in fuzz_parser.cc.
LINK_TYPES = [1, 113, 276, 101, 12, 228, 229, 0, 108, 14]
# PcapFileSource keeps at most this many bytes of a frame (kMaxCopyBytes).
MAX_FRAME = 2048
# Frames taken from one capture, spread evenly over it: the large captures
# repeat a few header shapes thousands of times.
MAX_FRAMES_PER_FILE = 300


def classic_frames(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None
    if len(data) < 24:
        return []
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    frames = []
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if off + 16 + caplen > len(data):
            break
        frames.append((linktype, data[off + 16:off + 16 + caplen], off, off + 16 + caplen))
        off += 16 + caplen
    return frames


def pcapng_frames(data):
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    frames = []
    links = []
    end = "<"
    off = 0
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        btype, blen = struct.unpack(end + "II", data[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:  # interface description
            links.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iface, _, _, caplen, _ = struct.unpack(end + "IIIII", body[:20])
            if iface < len(links):
                frames.append((links[iface], body[20:20 + caplen], off, off + blen))
        elif btype == 3 and len(body) >= 4 and links:  # simple packet
            frames.append((links[0], body[4:], off, off + blen))
        elif btype == 2 and len(body) >= 20:  # packet (obsolete)
            iface = struct.unpack(end + "H", body[:2])[0]
            caplen = struct.unpack(end + "I", body[12:16])[0]
            if iface < len(links):
                frames.append((links[iface], body[20:20 + caplen], off, off + blen))
        off += blen
    return frames


def frames_of(data):
    f = classic_frames(data)
    if f is None:
        f = pcapng_frames(data)
    return f or []


def write_unique(out_dir, blob, seen):
    digest = hashlib.sha1(blob).hexdigest()
    if digest in seen:
        return 0
    seen.add(digest)
    with open(os.path.join(out_dir, digest), "wb") as fh:
        fh.write(blob)
    return 1


def parser_seeds(out_dir, pcaps):
    seen = set()
    n = 0
    for path in pcaps:
        with open(path, "rb") as fh:
            data = fh.read()
        frames = [f for f in frames_of(data) if f[0] in LINK_TYPES]
        if len(frames) > MAX_FRAMES_PER_FILE:
            step = len(frames) / MAX_FRAMES_PER_FILE
            frames = [frames[int(i * step)] for i in range(MAX_FRAMES_PER_FILE)]
        for linktype, frame, _, _ in frames:
            blob = bytes([LINK_TYPES.index(linktype)]) + frame[:MAX_FRAME]
            n += write_unique(out_dir, blob, seen)
    return n


def pcap_seeds(out_dir, pcaps, max_len):
    seen = set()
    n = 0
    for path in pcaps:
        with open(path, "rb") as fh:
            data = fh.read()
        n += write_unique(out_dir, data, seen)
        frames = classic_frames(data)
        if len(data) <= max_len or not frames:
            continue
        # Cut into files of whole records that fit max_len, so the fuzzer
        # sees the middle and the end of long captures too.
        header = data[:24]
        chunk = bytearray(header)
        for _, _, start, stop in frames:
            if stop - start + 24 > max_len:
                continue
            if len(chunk) + stop - start > max_len:
                n += write_unique(out_dir, bytes(chunk), seen)
                chunk = bytearray(header)
            chunk += data[start:stop]
        if len(chunk) > 24:
            n += write_unique(out_dir, bytes(chunk), seen)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["parser", "pcap"])
    ap.add_argument("out_dir")
    ap.add_argument("pcaps", nargs="+")
    ap.add_argument("--max-len", type=int, default=65536)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.kind == "parser":
        n = parser_seeds(args.out_dir, args.pcaps)
    else:
        n = pcap_seeds(args.out_dir, args.pcaps, args.max_len)
    print(f"{n} seed files in {args.out_dir}")
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
