#!/usr/bin/env python3
"""A local HTTP/1.1 server that misbehaves on request, for phonepack's HTTP client tests.

    fault_server.py PORTFILE      binds 127.0.0.1 on a free port and writes it to PORTFILE

Paths: /ok, /flaky503/KEY?n=N (N 503s with Retry-After: 1, then 200), /reset/KEY?n=N (N truncated bodies,
then 200), /slow (waits 5 s before the body), /forbidden (403 with an S3 XML error), /skew (403
RequestTimeTooSkewed unless x-amz-date is within 5 minutes of "server time" = now + 1 hour), /always503,
/echo (reads the body, answers its length and SHA-256). GET /stats/KEY answers how many requests KEY got.
"""
import hashlib, http.server, json, sys, threading, time, urllib.parse, email.utils, calendar

counts = {}
lock = threading.Lock()
SKEW = 3600


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "REQ-%s" % status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlparse(self.path)
        parts = url.path.strip("/").split("/")
        query = urllib.parse.parse_qs(url.query)
        key = "/".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts[0] == "stats":
            with lock:
                n = counts.get("/".join(parts[1:]), 0)
            return self.reply(200, str(n).encode())
        with lock:
            counts[key] = counts.get(key, 0) + 1
            seen = counts[key]
        limit = int(query.get("n", ["0"])[0])
        kind = parts[0]
        if kind == "ok":
            return self.reply(200, b"ok")
        if kind == "flaky503":
            if seen <= limit:
                return self.reply(503, b"<Error><Code>SlowDown</Code><Message>busy</Message></Error>",
                                  [("Retry-After", "1")])
            return self.reply(200, b"ok")
        if kind == "reset":
            if seen <= limit:
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"0123456789")
                self.wfile.flush()
                self.close_connection = True
                return
            return self.reply(200, b"ok")
        if kind == "slow":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.flush()
            time.sleep(5)
            self.wfile.write(b"ok")
            return
        if kind == "forbidden":
            return self.reply(403, b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                                   b"<Message>The request signature we calculated does not match</Message>"
                                   b"<StringToSign>SERVER STRING</StringToSign><RequestId>RID-403</RequestId></Error>")
        if kind == "skew":
            server_now = time.time() + SKEW
            sent = self.headers.get("x-amz-date", "")
            try:
                sent_time = calendar.timegm(time.strptime(sent, "%Y%m%dT%H%M%SZ"))
            except ValueError:
                sent_time = 0
            if abs(sent_time - server_now) > 300:
                return self.reply(403, b"<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message></Error>",
                                  [("Date", email.utils.formatdate(server_now, usegmt=True))])
            return self.reply(200, b"ok")
        if kind == "always503":
            return self.reply(503, b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>",
                              [("Retry-After", "0")])
        if url.path == "/v3/auth/tokens" and self.command == "POST":
            request = json.loads(body or b"{}")
            password = request["auth"]["identity"]["password"]["user"]["password"]
            if password != "iam-test-password":
                return self.reply(401, json.dumps({"error": {"code": "401", "message": "The username or password is wrong."}}).encode())
            lifetime = int(query.get("lifetime", ["86400"])[0]) if "lifetime" in query else 86400
            expires = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + lifetime))
            return self.reply(201, json.dumps({"token": {"expires_at": expires, "methods": ["password"]}}).encode(),
                              [("X-Subject-Token", "TOKEN-%d" % seen)])
        if url.path == "/v3/projects":
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("SDK-HMAC-SHA256 Access=AKIAM") or not self.headers.get("X-Sdk-Date"):
                return self.reply(401, json.dumps({"error_code": "APIGW.0301", "error_msg": "not signed"}).encode())
            name = query.get("name", [""])[0]
            return self.reply(200, json.dumps({"projects": [{"id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "name": name}]}).encode())
        if kind == "echo":
            return self.reply(200, json.dumps({"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                                               "method": self.command}).encode())
        return self.reply(404, b"<Error><Code>NoSuchKey</Code><Message>nothing here</Message></Error>")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
