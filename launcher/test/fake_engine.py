#!/usr/bin/env python3
"""fake_engine.py SOCKET MODE - a Docker Engine API stand-in on a unix socket for the bad-input tests.

MODE "fail": every request gets 500 {"message":"boom"}, as an engine that is broken.
MODE "create": ping and image inspect succeed and listing finds nothing, but creating a
container gets 500 {"message":"boom"}, as an engine that refuses the job itself.
Threaded: cmpirun talks to the engine from several threads, each on a connection it keeps.
"""
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

SOCKET, MODE = sys.argv[1], sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real engine

    def address_string(self):
        return "unix"  # a unix peer has no (host, port) to log

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-engine: " + (fmt % args) + "\n")

    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0]  # /v1.40/...
        if MODE == "create":
            if path.endswith("/_ping"):
                return self.reply(200, "OK")
            if "/images/" in path:
                return self.reply(200, '{"Id":"sha256:0"}')
            if path.endswith("/containers/json"):
                return self.reply(200, "[]")
        self.reply(500, '{"message":"boom"}')

    do_GET = do_POST = do_DELETE = do_HEAD = answer


if os.path.exists(SOCKET):
    os.unlink(SOCKET)
with socketserver.ThreadingUnixStreamServer(SOCKET, Handler) as server:
    server.serve_forever()
