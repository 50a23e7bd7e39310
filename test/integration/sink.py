"""A test delivery service on 127.0.0.1 that records every request.

Run as a script (python3 sink.py PORT) or use Sink from tests.  It records
each POST (time, path, headers, JSON body) in memory and answers according to
its mode, which tests change at run time:

  ok            200
  status:N      N (e.g. status:500, status:422)
  retry_after:S 429 with Retry-After: S (S may be an HTTP-date)
  slow:MS       sleep MS milliseconds, then 200
  per-key modes: a mode can also be set for one idempotency key only.

GET /__requests returns the records as JSON; POST /__mode sets the mode.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink:
    def __init__(self, port, host="127.0.0.1"):
        self.lock = threading.Lock()
        self.records = []
        self.mode = "ok"
        self.key_modes = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"{}", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/__requests":
                    with sink.lock:
                        body = json.dumps(sink.records).encode()
                    self._reply(200, body)
                else:
                    self._reply(404)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                if self.path == "/__mode":
                    m = json.loads(raw)
                    sink.set_mode(m.get("mode", "ok"), m.get("key"))
                    self._reply(200)
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                key = self.headers.get("Idempotency-Key")
                with sink.lock:
                    mode = sink.key_modes.get(key, sink.mode)
                    sink.records.append({
                        "t": time.time(), "path": self.path, "key": key,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body, "mode": mode})
                if mode == "ok":
                    self._reply(200, b'{"ok":true}')
                elif mode.startswith("status:"):
                    self._reply(int(mode[7:]), b'{"error":"told to fail"}')
                elif mode.startswith("retry_after:"):
                    self._reply(429, b'{"error":"slow down"}', {"Retry-After": mode[12:]})
                elif mode.startswith("slow:"):
                    time.sleep(int(mode[5:]) / 1000.0)
                    try:
                        self._reply(200, b'{"ok":true}')
                    except OSError:
                        pass
                else:
                    self._reply(500)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256
            allow_reuse_address = True

        self.server = Server((host, port), Handler)
        self.server.daemon_threads = True
        self.port = port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def set_mode(self, mode, key=None):
        with self.lock:
            if key is None:
                self.mode = mode
            else:
                self.key_modes[key] = mode

    def requests(self):
        with self.lock:
            return list(self.records)

    def clear(self):
        with self.lock:
            self.records.clear()

    @property
    def url(self):
        return "http://127.0.0.1:%d/deliver" % self.port


if __name__ == "__main__":
    s = Sink(int(sys.argv[1])).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
