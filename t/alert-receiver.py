#!/usr/bin/env python3
# t/alert-receiver.py -- a webhook receiver for the alert tests, loopback
# only.  Each POST body is checked to be one JSON object and appended, one
# line, to OUT (with the Authorization header under "_auth"), then answered
# 200.  Usage: alert-receiver.py OUT PORTFILE [PORT] [DELAY_SECONDS]
#   PORT 0 (default) picks a free port, written to PORTFILE once listening;
#   DELAY_SECONDS holds each answer that long (a slow receiver).
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT, PORTFILE = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
DELAY = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if DELAY > 0:
            time.sleep(DELAY)
        try:
            doc = json.loads(body)
            assert isinstance(doc, dict)
        except Exception:
            self.send_response(400)
            self.end_headers()
            return
        doc["_auth"] = self.headers.get("Authorization")
        doc["_type"] = self.headers.get("Content-Type")
        with open(OUT, "a") as f:
            f.write(json.dumps(doc, sort_keys=True) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", PORT), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
