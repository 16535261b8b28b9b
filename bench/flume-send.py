#!/usr/bin/python3
"""bench/flume-send.py PORT EVENTS SIZE CALLS: one appendBatch of EVENTS
bodies of SIZE bytes, encoded once with python3-avro, sent CALLS times
over one connection after Avro's handshake, each answer awaited: the
load of bench/flume.sh, with the protocol of tests/flumeclient.py."""

import hashlib
import io
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import avro.io
import avro.ipc
import avro.protocol
import avro.schema

from flumeclient import FLUME_COMPACT as TEXT


def main():
    port, n, size, calls = (int(a) for a in sys.argv[1:5])
    proto = avro.protocol.parse(TEXT)
    h = hashlib.md5(TEXT.encode()).digest()
    body = (b"abcdefghij" * (size // 10 + 1))[:size]
    events = [{"headers": {}, "body": body} for _ in range(n)]
    call = io.BytesIO()
    enc = avro.io.BinaryEncoder(call)
    avro.io.DatumWriter(avro.schema.parse('{"type":"map","values":"bytes"}')).write({}, enc)
    enc.write_utf8("appendBatch")
    avro.io.DatumWriter(proto.messages["appendBatch"].request).write({"events": events}, enc)
    hs = io.BytesIO()
    avro.ipc.HANDSHAKE_REQUESTOR_WRITER.write(
        {"clientHash": h, "serverHash": h, "clientProtocol": None, "meta": None},
        avro.io.BinaryEncoder(hs))
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    for i in range(calls):
        msg = (hs.getvalue() if i == 0 else b"") + call.getvalue()
        s.sendall(struct.pack(">iii", i, 1, len(msg)) + msg)
        serial, count = struct.unpack(">ii", f.read(8))
        for _ in range(count):
            (k,) = struct.unpack(">i", f.read(4))
            reply = f.read(k)
        if serial != i or not reply.endswith(b"\0\0\0"):
            sys.exit("bad answer")


main()
