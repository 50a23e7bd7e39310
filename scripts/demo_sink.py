#!/usr/bin/env python3
"""scripts/demo_sink.py: a stand-in delivery service for the local quick start.

Answers every POST with 200 and appends one JSON line per request (path,
Idempotency-Key, body) to the log file given as the second argument, so
you can watch what the worker sends.  Usage: demo_sink.py PORT LOGFILE
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path,
                                  "idempotency_key": self.headers.get("Idempotency-Key"),
                                  "body": parsed}) + "\n")
        out = b'{"status":"accepted"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
