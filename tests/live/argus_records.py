"""Minimal Argus v3 record walker shared by the live tests: yields
(type, cause, record bytes) for every record after the 128-byte start MAR."""


def records(data):
    off = 128 if len(data) >= 128 else len(data)
    while off + 4 <= len(data):
        words = int.from_bytes(data[off + 2:off + 4], "big")
        if words == 0:
            raise ValueError("zero-length record at offset %d" % off)
        yield data[off], data[off + 1], data[off:off + words * 4]
        off += words * 4
    if off != len(data):
        raise ValueError("trailing %d bytes" % (len(data) - off))
