#!/usr/bin/python3
"""awspeer.py: the tests' stand-in peers of the Kinesis programs, on
127.0.0.1 with a port from the kernel, written to PORTFILE once listening.

  awspeer.py sigv4 PORTFILE LOG REGION
      answer PutRecords with success, and check each request's SigV4
      signature by computing it here, for service kinesis in REGION, with
      $AWS_SECRET_ACCESS_KEY; LOG gets "ok" or "bad ..." a request.
  awspeer.py proxy PORTFILE LOG UPSTREAM RULE...
      pass every request to UPSTREAM (kinesalite), but as the RULEs say:
        throttle=N    the first N GetRecords get 400
                      ProvisionedThroughputExceededException
        fail5xx=N     the first N calls of any kind get 500
        partial=N     the first N PutRecords have every other record
                      failed (not passed on), as Kinesis does
        down=FILE     while FILE exists, close every connection unanswered
      LOG gets a line per call: its action, and what was done to it.
"""
import hashlib
import hmac
import http.server
import json
import os
import sys
import urllib.request


def sign_ok(h, body, region):
    auth = h.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 Authorization"
    parts = dict(p.strip().split("=", 1) for p in auth[17:].split(","))
    key_id, date, reg, service, term = parts["Credential"].split("/")
    if (reg, service, term) != (region, "kinesis", "aws4_request"):
        return "scope %s/%s/%s" % (reg, service, term)
    if key_id != os.environ["AWS_ACCESS_KEY_ID"]:
        return "key id"
    amzdate = h["X-Amz-Date"]
    signed = parts["SignedHeaders"].split(";")
    needed = ["host", "x-amz-date", "x-amz-target", "content-type"]
    if os.environ.get("PEER_TOKEN"):
        if h.get("X-Amz-Security-Token") != os.environ["PEER_TOKEN"]:
            return "session token"
        needed.append("x-amz-security-token")
    for need in needed:
        if need not in signed:
            return "%s not signed" % need
    canon = "\n".join([
        "POST", "/", "",
        "".join("%s:%s\n" % (n, " ".join(h[n].split())) for n in signed),
        ";".join(signed),
        hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/kinesis/aws4_request" % (date, region)
    tosign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                        hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for m in (date, region, "kinesis", "aws4_request"):
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, tosign.encode(), hashlib.sha256).hexdigest()
    if sig != parts["Signature"]:
        return "signature %s, computed %s" % (parts["Signature"], sig)
    return None


class Peer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, line):
        with open(self.server.log, "a") as f:
            f.write(line + "\n")

    def answer(self, status, body, ctype="application/x-amz-json-1.1"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action = self.headers.get("X-Amz-Target", "").split(".")[-1]
        getattr(self, "serve_" + self.server.mode)(action, body)

    def serve_sigv4(self, action, body):
        bad = sign_ok(self.headers, body, self.server.region)
        self.note("ok" if bad is None else "bad " + bad)
        n = len(json.loads(body).get("Records", []))
        recs = [{"SequenceNumber": str(i + 1),
                 "ShardId": "shardId-000000000000"} for i in range(n)]
        self.answer(200, json.dumps({"FailedRecordCount": 0,
                                     "Records": recs}).encode())

    def serve_proxy(self, action, body):
        r = self.server.rules
        if "down" in r and os.path.exists(r["down"]):
            self.note(action + " down")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if r.get("fail5xx", 0) > 0:
            r["fail5xx"] -= 1
            self.note(action + " 500")
            self.answer(500, b'{"__type":"InternalFailure"}')
            return
        if action == "GetRecords" and r.get("throttle", 0) > 0:
            r["throttle"] -= 1
            self.note(action + " throttled")
            self.answer(400, json.dumps({
                "__type": "ProvisionedThroughputExceededException",
                "message": "Rate exceeded for shard"}).encode())
            return
        dropped = []
        if action == "PutRecords" and r.get("partial", 0) > 0:
            r["partial"] -= 1
            req = json.loads(body)
            recs = req["Records"]
            dropped = [i for i in range(len(recs)) if i % 2 == 1]
            req["Records"] = [x for i, x in enumerate(recs) if i % 2 == 0]
            body = json.dumps(req).encode()
            self.note("%s %d of %d failed" % (action, len(dropped),
                                              len(recs)))
        else:
            self.note(action)
        fwd = urllib.request.Request(self.server.upstream, data=body,
                                     method="POST")
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                fwd.add_header(k, v)
        try:
            with urllib.request.urlopen(fwd) as u:
                status, out = u.status, u.read()
        except urllib.error.HTTPError as e:
            status, out = e.code, e.read()
        if dropped and status == 200:
            got = json.loads(out)["Records"]
            merged = []
            for i in range(len(got) + len(dropped)):
                if i in dropped:
                    merged.append({
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard"})
                else:
                    merged.append(got.pop(0))
            out = json.dumps({"FailedRecordCount": len(dropped),
                              "Records": merged}).encode()
        self.answer(status, out)


def main():
    mode, portfile, log = sys.argv[1:4]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Peer)
    srv.mode, srv.log = mode, log
    if mode == "sigv4":
        srv.region = sys.argv[4]
    else:
        srv.upstream = sys.argv[4]
        srv.rules = {}
        for rule in sys.argv[5:]:
            k, v = rule.split("=", 1)
            srv.rules[k] = v if k == "down" else int(v)
    open(log, "a").close()
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


main()
