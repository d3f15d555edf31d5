#!/usr/bin/env python3
"""Writes the seed corpus of outbox_fuzz (fuzz/corpus/outbox_fuzz/): segment
files in the outbox's format (messaging/include/warden/messaging/outbox.hpp),
intact, torn and corrupt, in the target's input format: one options byte,
then the files separated by "WSEG"."""
import os
import struct
import zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "outbox_fuzz")


def record(magic, seq, payload, crc=True):
    head = magic + struct.pack("<I", len(payload))
    rest = struct.pack("<Q", seq) + payload
    c = zlib.crc32(head + rest) if crc else 0
    return head + struct.pack("<I", c) + rest


def data(seq, body, topic="File.Detected.n1", msg_id=None, crc=True):
    msg_id = msg_id or "id-%d" % seq
    payload = struct.pack("<qII", 1700000000000 + seq % 1000, len(topic), len(msg_id))
    payload += topic.encode() + msg_id.encode() + body.encode()
    return record(b"WOD1", seq, payload, crc)


def ack(floor, above=()):
    return record(b"WOA1", floor, b"".join(struct.pack("<Q", s) for s in above))


def seed(name, options, *files):
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(bytes([options]) + b"WSEG".join(files))


def main():
    os.makedirs(HERE, exist_ok=True)
    three = data(1, '{"n":1}') + data(2, '{"n":2}') + data(3, "{}")
    seed("intact", 0, three)
    seed("intact_cached", 1, three)
    seed("acked", 1, three + data(4, '{"n":4}') + ack(1, [3]))
    seed("two_segments", 2, data(1, "a") + data(2, "b"), data(3, "c") + data(4, "d") + ack(2))
    seed("torn_tail", 0, three + data(4, '{"n":4}')[:-3])
    seed("torn_header", 0, three + b"WOD1\x10")
    seed("garbage_tail", 0, three + b"\xa7" * 37 + b"WOD1garbage")
    flipped = bytearray(data(2, '{"n":2}'))
    flipped[-1] ^= 0x5A
    seed("corrupt_older", 0, data(1, "x") + bytes(flipped) + data(3, "z"), data(4, "w"))
    seed("corrupt_last", 0, data(1, "x") + bytes(flipped) + data(3, "z"))
    seed("seq_gap", 4, data(1, "x", crc=False) + data(5, "y", crc=False))
    seed("ack_only", 4, ack(7, [9, 10]), data(8, "p", crc=False))
    seed("empty", 0, b"")
    # Regressions (fuzz/outbox_fuzz findings): seqs near 2^64, a floor beyond
    # the last record, an ack listing seqs beyond it.
    seed("regress_huge_seq", 4, data(1, "a") + data(2**64 - 1, "b", crc=False))
    seed("regress_floor_gap", 1, data(1, "a") + data(2, "b") + ack(10))
    seed("regress_ack_above", 0, data(1, "a") + ack(0, [5, 6]))


if __name__ == "__main__":
    main()
