#!/usr/bin/env python3
"""A hostile cloud on 127.0.0.1: one port that answers as CPH, eds-aic, IAM, OBS and OSS would, except that each
MODE lies the way an attacker's or a broken server would. It checks no signature: it is here to see what phonepack
does with the answers, not whether it signs.

    hostile_server.py MODE LOG     prints "READY PORT", logs one JSON line per request (raw path) to LOG

Modes:
  pull-traversal   export / FetchFile / job answers name the phone "../../victim"; objects are a small tar
  list-loop        every listing is truncated with the same next marker; CPH lists are always full
  jobs-trickle     CPH job answers and ShowJob trickle at 2 bytes a second
  trickle          object bodies trickle at 2 bytes a second
  terminal         keys, image names, phone names and error messages carry terminal escape sequences
  sidecar-403      objects are served, but KEY.sha256 is answered 403 AccessDenied
  plain            answers HEAD and GET of any key; records the raw path (for path-as-is checks)
  error-500        answers every GET and HEAD with 500 InternalError (to count retries)
  part-403         a multipart upload starts, but UploadPart 2 is answered 403 AccessDenied (every time); no key exists
  empty-pages      every listing page is empty and truncated, with a new marker each time
  silent           GET and HEAD are never answered (the connection stays open 30 s, then closes)
  skewed           every request is refused 403 RequestTimeTooSkewed, with a Date 2 hours ahead
  no-bucket        every key and the bucket itself are missing (HEAD 404, GET 404 NoSuchBucket)
"""
import hashlib
import io
import json
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, LOG = sys.argv[1], sys.argv[2]
LOCK = threading.Lock()
ESC = "\x1b]0;pwned\x07\x1b[2J"


def query_of(path):
    return path.partition("?")[2]


def object_bytes():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = b"planted by a hostile server\n"
        info = tarfile.TarInfo("data/data/com.example/.bashrc")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


OBJECT = object_bytes()
if MODE == "no-range":  # large enough for several ranges; every Range header is ignored (200, whole object)
    OBJECT = OBJECT + bytes(range(256)) * 1200
OBJECT_MD5 = hashlib.md5(OBJECT).hexdigest()
PAGES = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with LOCK, open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "action": self.headers.get("x-acs-action"),
                                "agent": self.headers.get("User-Agent"),
                                "proxied": self.headers.get("X-Test-Proxy") is not None}) + "\n")

    def date_time_string(self, timestamp=None):
        # The Date header: two hours ahead when this server's clock is the one that is off.
        return super().date_time_string(time.time() + 7200 if MODE == "skewed" else timestamp)

    def reply(self, status, body=b"", headers=None, trickle=False):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not trickle:
            self.wfile.write(body)
            return
        started = time.time()
        for i in range(len(body)):
            if time.time() - started > 120:  # bounded: never more than two minutes per answer
                return
            try:
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.5)

    def json(self, value, trickle=False):
        self.reply(200, json.dumps(value), {"Content-Type": "application/json"}, trickle=trickle)

    def do_HEAD(self):
        self.do_GET()

    def do_PUT(self):
        self.record()
        body = self.read_body()
        if MODE == "part-403" and "partNumber=2&" in self.path + "&":
            return self.reply(403, "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                                   "<Message>Access Denied</Message><RequestId>R403</RequestId></Error>",
                              {"Content-Type": "application/xml"})
        self.reply(200, headers={"ETag": '"%s"' % hashlib.md5(body).hexdigest()})

    def do_DELETE(self):
        self.record()
        self.reply(204)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self):
        self.record()
        self.read_body()
        path = self.path.split("?")[0]
        action = self.headers.get("x-acs-action")
        if MODE == "part-403" and query_of(self.path).startswith("uploads"):
            self.reply(200, "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                            "<UploadId>UP-1</UploadId></InitiateMultipartUploadResult>", {"Content-Type": "application/xml"})
        elif path.endswith("/v3/auth/tokens"):
            self.reply(201, json.dumps({"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}}),
                       {"X-Subject-Token": "HOSTILE-TOKEN", "Content-Type": "application/json"})
        elif path.endswith("/cloud-phone/phones/batch-storage"):
            self.json({"request_id": "req-1", "jobs": [{"phone_id": "../../victim", "job_id": "job-1"}]})
        elif action == "FetchFile":
            self.json({"RequestId": "r-1", "TaskId": "t-0",
                       "Data": [{"AndroidInstanceId": "../../victim", "TaskId": "t-1"}]})
        elif action == "DescribeTasks":
            self.json({"RequestId": "r-2", "Data": [{"TaskId": "t-1", "TaskStatus": "Finished",
                                                     "InstanceId": "../../victim"}]})
        else:
            self.reply(404, "{}", {"Content-Type": "application/json"})

    def do_GET(self):
        self.record()
        path, _, query = self.path.partition("?")
        if MODE == "silent":
            time.sleep(30)
            self.close_connection = True
            return
        if MODE == "skewed":
            return self.reply(403, "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code>"
                                   "<Message>The difference between the request time and the server's time is too "
                                   "large.</Message><RequestId>RSKEW</RequestId></Error>",
                              {"Content-Type": "application/xml"})
        if MODE == "no-bucket":
            return self.reply(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
                                   "<Message>The specified bucket does not exist</Message><RequestId>RNB</RequestId>"
                                   "</Error>", {"Content-Type": "application/xml"})
        if MODE == "error-500":
            return self.reply(500, "<?xml version=\"1.0\"?><Error><Code>InternalError</Code>"
                                   "<Message>We encountered an internal error.</Message><RequestId>R500</RequestId></Error>",
                              {"Content-Type": "application/xml"})
        if "/cloud-phone/" in path:
            return self.cph(path, query)
        if MODE == "part-403" and "/cloud-phone/" not in path:
            return self.reply(404, "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>",
                              {"Content-Type": "application/xml"})
        if path.endswith(".sha256") and MODE == "sidecar-403":
            return self.reply(403, "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                                   "<Message>Access Denied</Message><RequestId>R403</RequestId></Error>",
                              {"Content-Type": "application/xml"})
        if path.endswith(".sha256"):
            return self.reply(404, "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>",
                              {"Content-Type": "application/xml"})
        parts = path.strip("/").split("/", 1)
        if len(parts) == 1:  # a bucket: a listing
            return self.listing(query)
        if MODE == "terminal" and self.command == "GET":
            # Well-formed XML can still carry a newline and a bidi override (an ESC would make it ill-formed,
            # which the listing below tests: such an answer is refused whole).
            return self.reply(403, "<Error><Code>AccessDenied</Code><Message>denied\u202e" +
                              "\nphonepack: everything is fine</Message></Error>", {"Content-Type": "application/xml"})
        headers = {"ETag": '"%s"' % OBJECT_MD5, "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
                   "Content-Type": "application/x-tar"}
        self.reply(200, OBJECT, headers, trickle=(MODE == "trickle" and self.command == "GET"))

    def listing(self, query):
        keys = ["ok.tar"]
        if MODE == "terminal":
            keys = ["evil" + ESC + ".tar", "line\nphonepack: FAKE LINE.tar"]
        if MODE == "pull-traversal":
            keys = ["exports/acp-0001/data.tar"]
        if MODE == "unsorted":  # a store lists keys in byte order; this one does not
            keys = ["s/b.tar", "s/a.tar"]
        contents = "".join("<Contents><Key>%s</Key><Size>%d</Size><ETag>\"%s\"</ETag>"
                           "<LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>"
                           % (k, len(OBJECT), OBJECT_MD5) for k in keys)
        truncated = "true" if MODE in ("list-loop", "empty-pages") else "false"
        marker = "again"
        if MODE == "empty-pages":
            global PAGES
            PAGES += 1
            contents, marker = "", "page-%d" % PAGES
        body = ("<?xml version=\"1.0\"?><ListBucketResult><Name>b1</Name><IsTruncated>%s</IsTruncated>"
                "<NextMarker>%s</NextMarker><NextContinuationToken>%s</NextContinuationToken>%s"
                "</ListBucketResult>" % (truncated, marker, marker, contents))
        self.reply(200, body, {"Content-Type": "application/xml"})

    def cph(self, path, query):
        if path.endswith("/cloud-phone/jobs") or "/cloud-phone/jobs/" in path:
            if MODE == "jobs-trickle":
                job = {"job_id": "job-1", "status": 1, "server_id": "server0001"}
                return self.json({"jobs": [job]} if path.endswith("/jobs") else job, trickle=True)
            if "/cloud-phone/jobs/" in path:
                return self.json({"job_id": path.rsplit("/", 1)[1], "status": 1})
            if MODE == "list-loop":
                return self.json({"jobs": [{"job_id": "job-%d" % i, "status": 1, "server_id": "s%d" % i}
                                           for i in range(100)]})
            return self.json({"jobs": [{"job_id": "job-1", "status": 2, "phone_id": "../../victim"}]})
        if path.endswith("/cloud-phone/phone-images"):
            name = "image" + (ESC if MODE == "terminal" else "")
            return self.json({"phone_images": [{"image_id": "img-1", "image_name": name}],
                              "page_info": {"next_marker": "again" if MODE == "list-loop" else None}})
        if path.endswith("/cloud-phone/phones"):
            count = 200 if MODE == "list-loop" else 1
            name = "phone" + (ESC + "\nphonepack: FAKE" if MODE == "terminal" else "")
            return self.json({"phones": [{"phone_id": "p%d" % i, "phone_name": name, "server_id": "s", "status": 2}
                                         for i in range(count)], "count": 10 ** 9})
        if path.endswith("/cloud-phone/servers"):
            count = 100 if MODE == "list-loop" else 1
            return self.json({"servers": [{"server_id": "s%d" % i} for i in range(count)], "count": 10 ** 9})
        self.reply(404, "{}", {"Content-Type": "application/json"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("READY %d" % server.server_address[1], flush=True)
# Bounded: a fake never outlives a test run by much.
threading.Timer(600, server.shutdown).start()
server.serve_forever()
