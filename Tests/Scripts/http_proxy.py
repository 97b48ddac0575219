#!/usr/bin/env python3
"""A plain-HTTP forward proxy on 127.0.0.1 (what https_proxy/http_proxy or the config's proxy point at).

    http_proxy.py PORTFILE     writes its port to PORTFILE, then forwards each request it is sent (absolute URL
                               in the request line) to that URL, adding X-Test-Proxy: 1 so the server can tell.
"""
import http.client
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            self.send_error(400, "absolute http:// URL expected")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        headers["X-Test-Proxy"] = "1"
        upstream = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        upstream.request(self.command, url.path + ("?" + url.query if url.query else ""), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
