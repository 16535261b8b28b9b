#!/usr/bin/python3
"""A Flume avro sink's side of AvroSourceProtocol, for ds-flume's tests.

It shares nothing with ds-flume: Debian's python3-avro encodes the calls
and the handshake; the Netty framing (serial, buffer count, then each
buffer as length and bytes, all big-endian) is written here as Avro's
NettyTransceiver frames it.

usage: flumeclient.py [options] PORT CALL...

A CALL is append:BODY, or batch:N:PREFIX (N events, bodies PREFIX0 ...),
or batchfile:PATH (one event a line of PATH).  BODY takes \\xNN escapes.
Each answer is printed, "append OK" or "batch N OK", and the handshake's
match as "handshake NONE" (then the retry's).  Exits 1 on any surprise.
"""

import argparse
import hashlib
import io
import socket
import struct
import sys
import time

import avro.io
import avro.ipc
import avro.protocol
import avro.schema

# Flume's AvroSourceProtocol, as its avdl declares it.
FLUME_AVPR = """
{"protocol": "AvroSourceProtocol",
 "namespace": "org.apache.flume.source.avro",
 "types": [
  {"type": "enum", "name": "Status", "symbols": ["OK", "FAILED", "UNKNOWN"]},
  {"type": "record", "name": "AvroFlumeEvent", "fields": [
    {"name": "headers", "type": {"type": "map", "values": "string"}},
    {"name": "body", "type": "bytes"}]}],
 "messages": {
  "append": {"request": [{"name": "event", "type": "AvroFlumeEvent"}],
             "response": "Status"},
  "appendBatch": {"request": [{"name": "events",
                               "type": {"type": "array",
                                        "items": "AvroFlumeEvent"}}],
                  "response": "Status"}}}
"""

# The same, compact, as Avro's Java writes a protocol out.
FLUME_COMPACT = (
    '{"protocol":"AvroSourceProtocol",'
    '"namespace":"org.apache.flume.source.avro",'
    '"types":[{"type":"enum","name":"Status",'
    '"symbols":["OK","FAILED","UNKNOWN"]},'
    '{"type":"record","name":"AvroFlumeEvent","fields":['
    '{"name":"headers","type":{"type":"map","values":"string"}},'
    '{"name":"body","type":"bytes"}]}],'
    '"messages":{"append":{"request":[{"name":"event",'
    '"type":"AvroFlumeEvent"}],"response":"Status"},'
    '"appendBatch":{"request":[{"name":"events",'
    '"type":{"type":"array","items":"AvroFlumeEvent"}}],'
    '"response":"Status"}}}'
)

PROTOCOL = avro.protocol.parse(FLUME_AVPR)
META = avro.schema.parse('{"type": "map", "values": "bytes"}')
MATCH = ["BOTH", "CLIENT", "NONE"]


def fail(msg):
    print("flumeclient: " + msg, file=sys.stderr)
    sys.exit(1)


def unescape(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


class Client:
    def __init__(self, port, args):
        self.args = args
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=args.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.serial = args.serial
        self.handshaken = False
        self.send_text = args.send_protocol
        # The hash the client believes the server's: its own at first.
        self.text = self.protocol_text()
        self.hash = hashlib.md5(self.text.encode()).digest()
        self.server_hash = self.hash

    def protocol_text(self):
        return str(PROTOCOL) if self.args.text == "python" else FLUME_COMPACT

    def encode(self, name, datum):
        buf = io.BytesIO()
        enc = avro.io.BinaryEncoder(buf)
        if not self.handshaken:
            req = {"clientHash": self.hash, "serverHash": self.server_hash,
                   "clientProtocol": self.text if self.send_text else None,
                   "meta": None}
            avro.ipc.HANDSHAKE_REQUESTOR_WRITER.write(req, enc)
        avro.io.DatumWriter(META).write({}, enc)
        enc.write_utf8(name)
        msg = PROTOCOL.messages[name]
        avro.io.DatumWriter(msg.request).write(datum, enc)
        return buf.getvalue()

    def frame(self, message):
        # Netty's transceiver cuts a message into buffers; so do we.
        size = self.args.buffer
        parts = [message[i:i + size] for i in range(0, len(message), size)]
        out = struct.pack(">ii", self.serial, len(parts))
        for p in parts:
            out += struct.pack(">i", len(p)) + p
        return out

    def send(self, data):
        if self.args.split:
            # A few bytes a segment, with time for each to arrive alone.
            for i in range(0, len(data), self.args.split):
                self.sock.sendall(data[i:i + self.args.split])
                time.sleep(0.02)
        else:
            self.sock.sendall(data)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except socket.timeout:
                return None
            if not chunk:
                fail("the server closed the connection")
            out += chunk
        return out

    def read_frame(self):
        head = self.recv_exact(8)
        if head is None:
            return None
        serial, count = struct.unpack(">ii", head)
        if serial != self.serial:
            fail("reply serial %d to request %d" % (serial, self.serial))
        data = b""
        for _ in range(count):
            (n,) = struct.unpack(">i", self.recv_exact(4))
            data += self.recv_exact(n)
        return data

    def call(self, name, datum):
        """Send a call; its status, or None when no answer came in time."""
        self.pending = (name, datum)
        self.send(self.frame(self.encode(name, datum)))
        if self.args.say_sent:
            print("sent", flush=True)
        return self.answer()

    def answer(self):
        name, datum = self.pending
        while True:
            reply = self.read_frame()
            if reply is None:
                return None
            dec = avro.io.BinaryDecoder(io.BytesIO(reply))
            again = False
            if not self.handshaken:
                hs = avro.ipc.HANDSHAKE_REQUESTOR_READER.read(dec)
                print("handshake " + hs["match"])
                if hs["match"] != "BOTH":
                    text, h = hs["serverProtocol"], hs["serverHash"]
                    if text is None or h != hashlib.md5(text.encode()).digest():
                        fail("the server's hash is not its protocol's MD5")
                    avro.protocol.parse(text)
                    self.server_hash = h
                if hs["match"] == "NONE":
                    if self.send_text:
                        fail("NONE though the protocol was sent")
                    self.send_text = True
                    again = True
                else:
                    self.handshaken = True
            self.serial += 1
            if again:
                self.send(self.frame(self.encode(name, datum)))
                continue
            avro.io.DatumReader(META).read(dec)
            if dec.read_boolean():
                err = avro.io.DatumReader(avro.schema.parse('["string"]')).read(dec)
                return "error " + err
            status = avro.io.DatumReader(PROTOCOL.messages[name].response).read(dec)
            if dec.reader.read(1):
                fail("bytes after the reply")
            return status


def event(body, headers):
    return {"headers": headers, "body": body}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("calls", nargs="*")
    ap.add_argument("-H", dest="headers", action="append", default=[],
                    help="KEY=VALUE, a header of every event (\\xNN escapes)")
    ap.add_argument("--text", choices=["python", "compact"], default="python",
                    help="the client's protocol text: python's own or Flume's compact one")
    ap.add_argument("--send-protocol", action="store_true",
                    help="send the protocol text in the first handshake")
    ap.add_argument("--split", type=int, default=0,
                    help="send the frames a few bytes a TCP segment")
    ap.add_argument("--buffer", type=int, default=8192,
                    help="bytes a Netty buffer")
    ap.add_argument("--serial", type=int, default=1)
    ap.add_argument("--say-sent", action="store_true",
                    help='print "sent" once a call is sent')
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--expect-timeout", action="store_true",
                    help="the first call must get no answer within the timeout")
    ap.add_argument("--check", metavar="FILE",
                    help="at each answer, every body of the call must be in FILE already")
    args = ap.parse_args()

    headers = {}
    for h in args.headers:
        k, _, v = h.partition("=")
        headers[unescape(k).decode("utf-8")] = unescape(v).decode("utf-8")

    c = Client(args.port, args)
    for spec in args.calls:
        kind, _, rest = spec.partition(":")
        if kind == "append":
            bodies = [unescape(rest)]
            status = c.call("append", {"event": event(bodies[0], headers)})
            what = "append"
        elif kind in ("batch", "batchfile"):
            if kind == "batch":
                n, _, prefix = rest.partition(":")
                bodies = [("%s%d" % (prefix, i)).encode() for i in range(int(n))]
            else:
                with open(rest, "rb") as f:
                    bodies = f.read().splitlines()
            status = c.call("appendBatch",
                            {"events": [event(b, headers) for b in bodies]})
            what = "batch %d" % len(bodies)
        else:
            fail("unknown call " + spec)
        if args.expect_timeout:
            if status is not None:
                fail("answered %s, though downstream blocks" % status)
            print("no answer")
            sys.stdout.flush()
            args.expect_timeout = False
            # The answer comes once downstream reads again.
            c.sock.settimeout(60)
            status = c.answer()
        if status is None:
            fail("no answer within %gs" % args.timeout)
        if args.check:
            with open(args.check, "rb") as f:
                firsts = {l.split(b"\t")[0] for l in f.read().split(b"\n")}
            for b in bodies:
                if b not in firsts:
                    fail("answered before %r was downstream" % b)
        print("%s %s" % (what, status))


if __name__ == "__main__":
    main()
