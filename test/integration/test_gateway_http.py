"""Raw-socket tests of campaigns-gateway's HTTP parsing (SPEC §10) and of /api/v1/docs.

Starts its own PostgreSQL (127.0.0.1:55447, campaigns preloaded, worker off)
and gateway (127.0.0.1:18094, 4 threads, Swagger UI from node_modules), and
for single tests more gateways on 18095 (a small body limit, a small
connection cap, a low open-file limit, no docs).  Talks to them over plain
sockets: each malformed request of SPEC §10 (NUL and other control bytes in
the request line and in header values, CR/LF in a value, folded headers,
conflicting or malformed Content-Length, Content-Length with
Transfer-Encoding, bad chunking, oversized target and headers) must be
refused with one JSON response and a Content-Type, write nothing, smuggle
nothing, and leave the gateway serving; a 413 must be readable by urllib
after it sent its whole body; 2,000 simultaneous connections are answered,
or past the cap refused with a JSON 503; a seeded fuzz of random, truncated
and mutated requests never stops it.  The docs page is checked for its
headers and its fixed file list, then driven in headless Chromium
(docs_browser.mjs).  Every server is stopped in a finalizer.  Run as the
postgres user (PostgreSQL refuses root).
"""
import contextlib
import http.client
import json
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from pgserver import PORT_OFFSET, PgServer
from test_gateway import wait_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATEWAY = os.path.join(ROOT, "gateway", "campaigns-gateway")
DOCS_DIR = os.path.join(ROOT, "node_modules", "swagger-ui-dist")
BROWSER_SCRIPT = os.path.join(os.path.dirname(__file__), "docs_browser.mjs")
PG_PORT = 55447 + PORT_OFFSET
GW_PORT = 18094 + PORT_OFFSET
GW2_PORT = 18095 + PORT_OFFSET
USER = "00000000-0000-0000-0076-00000000000a"
MAX_BODY = 1048576
GW_ROLE = "campaigns_http_gw"


class Gateway:
    """One campaigns-gateway process and its log."""

    def __init__(self, port, tmp, *args, environ=None, nofile=None):
        self.port = port
        self.log = os.path.join(tmp, f"gateway-{port}-{time.monotonic_ns()}.log")
        self.err = open(self.log, "ab")

        def limits():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

        self.proc = subprocess.Popen(
            [GATEWAY, "--listen", f"127.0.0.1:{port}",
             "--db", f"postgresql://{GW_ROLE}@127.0.0.1:{PG_PORT}/postgres", *args],
            stdout=subprocess.DEVNULL, stderr=self.err, env=environ, preexec_fn=limits)
        try:
            wait_port(port)
        except TimeoutError:
            self.stop()
            raise

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.err.close()


class Env:
    def __init__(self, pg, gw, key, tmp):
        self.pg, self.gw, self.key, self.tmp = pg, gw, key, tmp

    def datasets(self):
        return self.pg.q1("SELECT count(*) FROM campaigns.dataset")


@pytest.fixture(scope="module")
def env():
    if not os.access(GATEWAY, os.X_OK):
        pytest.fail(f"{GATEWAY} is not built (make -C gateway)")
    tmp = tempfile.mkdtemp(prefix="campaigns-gwhttp-")
    pg = PgServer(PG_PORT, {"campaigns.worker_enabled": "off", "max_connections": "40"})
    gw = None
    try:
        pg.start()
        pg.q(f"CREATE ROLE {GW_ROLE} LOGIN")
        pg.q(f"GRANT campaigns_gateway TO {GW_ROLE}")
        key = pg.q1("SELECT campaigns.api_key_create(%s, 'http')", (USER,))
        pg.q("UPDATE campaigns.api_key SET rate_limit_per_minute = 0")
        gw = Gateway(GW_PORT, tmp, "--threads", "4", "--docs-dir", DOCS_DIR)
        yield Env(pg, gw, key, tmp)
    finally:
        if gw is not None:
            gw.stop()
        pg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def extra_gateway(env, *args, **kw):
    gw = Gateway(GW2_PORT, env.tmp, *args, **kw)
    try:
        yield gw
    finally:
        gw.stop()


# Raw HTTP ---------------------------------------------------------------------

def parse_one(buf, head=False):
    """Parses the HTTP/1.1 response at the start of buf: (status, headers, body, rest).
    The response to a HEAD request (head=True) has no body whatever its Content-Length."""
    top, sep, rest = buf.partition(b"\r\n\r\n")
    assert sep, f"no complete response head: {buf[:300]!r}"
    lines = top.split(b"\r\n")
    m = re.fullmatch(rb"HTTP/1\.1 ([1-5]\d\d) [ -~]*", lines[0])
    assert m, f"bad status line: {lines[0]!r}"
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        assert colon and re.fullmatch(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name), f"bad header line {line!r}"
        headers[name.decode().lower()] = value.strip().decode()
    status = int(m.group(1))
    if status in (204, 304) or status < 200 or head:
        return status, headers, b"", rest
    assert "content-length" in headers, headers
    n = int(headers["content-length"])
    assert len(rest) >= n, f"body cut short: {len(rest)} of {n} bytes"
    return status, headers, rest[:n], rest[n:]


def exchange(data, port=GW_PORT, timeout=20, shut_write=False, cut=None):
    """Sends data on a new connection and reads until the gateway closes it.
    With cut, data goes in two writes 10 ms apart, so that the gateway reads
    them apart."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    chunks = []
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if cut is not None:
            s.sendall(data[:cut])
            time.sleep(0.01)
            data = data[cut:]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(data)
            if shut_write:
                s.shutdown(socket.SHUT_WR)
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                raise AssertionError(f"the gateway neither answered nor closed: {b''.join(chunks)[:300]!r}")
            except ConnectionResetError:
                raise AssertionError(f"connection reset after {b''.join(chunks)[:300]!r}")
            if not d:
                break
            chunks.append(d)
    finally:
        s.close()
    return b"".join(chunks)


def read_response(sock, head=False):
    """Reads one response from a keep-alive connection."""
    buf = b""
    while True:
        try:
            status, headers, body, rest = parse_one(buf, head)
            return status, headers, body, rest
        except AssertionError:
            d = sock.recv(65536)
            if not d:
                raise
            buf += d


def assert_json_error(status, headers, body, expected):
    assert status == expected, (status, body)
    assert headers.get("content-type") == "application/json", headers
    doc = json.loads(body)
    assert set(doc) == {"detail", "message"}, doc
    assert isinstance(doc["detail"], str) and re.fullmatch(r"[A-Z_]+", doc["detail"]), doc
    assert isinstance(doc["message"], str) and doc["message"], doc
    return doc


def assert_refused(data, expected, port=GW_PORT):
    """One JSON error response, then the connection closes: nothing after it is read as a request."""
    raw = exchange(data, port)
    status, headers, body, rest = parse_one(raw)
    assert rest == b"", f"more than one response: {raw[:600]!r}"
    assert headers.get("connection") == "close", headers
    return assert_json_error(status, headers, body, expected)


def get_me(env, port=GW_PORT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {env.key}"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def assert_serving(env, gw=None, port=GW_PORT):
    gw = gw or env.gw
    assert gw.alive(), gw.log_text()[-2000:]
    status, body = get_me(env, port)
    assert status == 200 and body["user_id"] == USER, body


def req(env, method="GET", target="/api/v1/auth/me", headers=(), body=b"", version=b"HTTP/1.1",
        host=True, auth=True):
    """A request as raw bytes; headers are (name, value) byte pairs."""
    lines = [method.encode() + b" " + (target.encode() if isinstance(target, str) else target) + b" " + version]
    if host:
        lines.append(b"Host: 127.0.0.1")
    if auth:
        lines.append(b"Authorization: Bearer " + env.key.encode())
    lines += [n + b": " + v for n, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def smuggled(env, name=b"smuggled"):
    """A request to create a dataset, hidden in the body of another."""
    body = b'{"name": "' + name + b'"}'
    return req(env, "POST", "/api/v1/datasets/",
               [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())], body)


# Malformed requests: each refused alone, in JSON, with nothing written --------

NUL_TARGET = "nul in the request target"


def malformed_cases(env):
    """(name, raw request, expected status)."""
    k = env.key.encode()
    body = b'{"name": "framing"}'
    post = lambda hdrs, payload: req(env, "POST", "/api/v1/datasets/",  # noqa: E731
                                     [(b"Content-Type", b"application/json")] + hdrs, payload)
    chunked = [(b"Transfer-Encoding", b"chunked")]
    cases = [
        (NUL_TARGET, b"GET /api/v1/auth/me\x00/../x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + k + b"\r\n\r\n", 400),
        ("nul in the query", req(env, target=b"/api/v1/auth/me?a=\x00"), 400),
        ("tab in the request target", req(env, target=b"/api/v1/auth\t/me"), 400),
        ("DEL in the request target", req(env, target=b"/api/v1/auth/me\x7f"), 400),
        ("SOH in the request target", req(env, target=b"/api/v1/\x01auth/me"), 400),
        ("nul in Authorization", req(env, auth=False, headers=[(b"Authorization", b"Bearer " + k + b"\x00junk")]), 400),
        ("nul in a header value", req(env, headers=[(b"X-A", b"a\x00b")]), 400),
        ("CR alone in a header value", req(env, headers=[(b"X-A", b"a\rb")]), 400),
        ("LF alone in a header value", req(env, headers=[(b"X-A", b"a\nb")]), 400),
        ("CR alone ending a header", req(env, headers=[(b"X-A", b"a\rX-B: b")]), 400),
        ("nul in a header name", req(env, headers=[(b"X-\x00A", b"1")]), 400),
        ("space before the colon", req(env, headers=[(b"X-A ", b"1")]), 400),
        ("empty header name", req(env, headers=[(b"", b"1")]), 400),
        ("folded header", req(env, headers=[(b"X-A", b"a\r\n b")]), 400),
        ("folded header with a tab", req(env, headers=[(b"X-A", b"a\r\n\tb")]), 400),
        ("Content-Length folded under another header",
         post([(b"X-A", b"a\r\n Content-Length: " + str(len(body)).encode())], body + smuggled(env)), 400),
        ("lines ending in LF alone", b"GET /api/v1/auth/me HTTP/1.1\nHost: x\nAuthorization: Bearer " + k + b"\n\n", 400),
        ("conflicting Content-Length",
         post([(b"Content-Length", str(len(body)).encode()), (b"Content-Length", b"2")], body), 400),
        ("Content-Length twice, equal",
         post([(b"Content-Length", str(len(body)).encode())] * 2, body), 400),
        ("Content-Length as a list", post([(b"Content-Length", b"%d, %d" % (len(body), len(body)))], body), 400),
        ("Content-Length: abc", post([(b"Content-Length", b"abc")], body), 400),
        ("Content-Length: -1", post([(b"Content-Length", b"-1")], body), 400),
        ("Content-Length: +19", post([(b"Content-Length", b"+19")], body), 400),
        ("Content-Length: 0x13", post([(b"Content-Length", b"0x13")], body), 400),
        ("Content-Length: 1 9", post([(b"Content-Length", b"1 9")], body), 400),
        ("empty Content-Length", post([(b"Content-Length", b"")], body), 400),
        ("Content-Length overflowing 64 bits", post([(b"Content-Length", b"99999999999999999999999")], body), 400),
        ("Content-Length then Transfer-Encoding",
         post([(b"Content-Length", b"5")] + chunked, b"0\r\n\r\n" + smuggled(env)), 400),
        ("Transfer-Encoding then Content-Length",
         post(chunked + [(b"Content-Length", b"200")], b"0\r\n\r\n" + smuggled(env)), 400),
        ("Transfer-Encoding twice", post(chunked * 2, b"0\r\n\r\n" + smuggled(env)), 400),
        ("Transfer-Encoding: chunked, chunked", post([(b"Transfer-Encoding", b"chunked, chunked")], b"0\r\n\r\n"), 400),
        ("Transfer-Encoding: gzip", post([(b"Transfer-Encoding", b"gzip")], b"0\r\n\r\n" + smuggled(env)), 400),
        ("Transfer-Encoding: identity", post([(b"Transfer-Encoding", b"identity")], body), 400),
        ("Transfer-Encoding: xchunked", post([(b"Transfer-Encoding", b"xchunked")], b"0\r\n\r\n"), 400),
        ("Transfer-Encoding: gzip, chunked", post([(b"Transfer-Encoding", b"gzip, chunked")], b"0\r\n\r\n"), 501),
        ("Transfer-Encoding in HTTP/1.0",
         req(env, "POST", "/api/v1/datasets/", chunked, b"13\r\n" + body + b"\r\n0\r\n\r\n", version=b"HTTP/1.0"), 400),
        ("chunk size not hex", post(chunked, b"zz\r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("chunk size with junk", post(chunked, b"13x\r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("chunk size with a space", post(chunked, b"13 \r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("negative chunk size", post(chunked, b"-13\r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("chunk size overflowing 64 bits", post(chunked, b"1ffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("chunk longer than its size", post(chunked, b"12\r\n" + body + b"\r\n0\r\n\r\n"), 400),
        ("chunk without CRLF", post(chunked, b"13\r\n" + body + b"0\r\n\r\n"), 400),
        ("chunk lines ending in LF alone", post(chunked, b"13\n" + body + b"\n0\n\n"), 400),
        ("HTTP/2.0 request line", req(env, version=b"HTTP/2.0"), 505),
        ("HTTP/0.9 request line", b"GET /api/v1/auth/me\r\n\r\n", 505),
        ("HTTP/1.2 request line", req(env, version=b"HTTP/1.2"), 400),
        ("lower-case http/1.1", req(env, version=b"http/1.1"), 400),
        ("no Host in HTTP/1.1", req(env, host=False), 400),
        ("two Host headers", req(env, headers=[(b"Host", b"other")]), 400),
        ("two Authorization headers", req(env, headers=[(b"Authorization", b"Bearer " + k)]), 400),
        ("two Content-Type headers",
         post([(b"Content-Type", b"text/csv"), (b"Content-Length", str(len(body)).encode())], body), 400),
        ("unknown method", req(env, "FROB"), 400),
        ("lower-case method", req(env, "get"), 400),
        ("request target of 8193 bytes", req(env, target="/" + "a" * 8192), 414),
        ("request target of 100,000 bytes", req(env, target="/" + "a" * 100000), 414),
        ("header value of 40,000 bytes", req(env, headers=[(b"X-Pad", b"v" * 40000)]), 431),
        ("101 header fields", req(env, headers=[(b"X-%d" % i, b"1") for i in range(99)]), 431),
        ("300 header fields of 1,000 bytes", req(env, headers=[(b"X-%d" % i, b"v" * 1000) for i in range(300)]), 431),
    ]
    return cases


CASE_NAMES = [c[0] for c in malformed_cases(type("E", (), {"key": "cmp_live_" + "x" * 43})())]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_malformed_request_refused_in_json(env, name):
    case = {c[0]: c for c in malformed_cases(env)}[name]
    _, raw, expected = case
    before = env.datasets()
    doc = assert_refused(raw, expected)
    if expected == 400:
        assert doc["detail"] == "BAD_REQUEST"
    # Nothing written: neither the request itself nor one hidden in its body.
    assert env.datasets() == before
    assert env.pg.q1("SELECT count(*) FROM campaigns.dataset WHERE name = 'smuggled'") == 0
    assert_serving(env)


def test_nul_refusals_name_the_cause_and_are_logged(env):
    doc = assert_refused(malformed_cases(env)[0][1], 400)
    assert "not allowed" in doc["message"]
    k = env.key.encode()
    doc = assert_refused(req(env, auth=False, headers=[(b"Authorization", b"Bearer " + k + b"\x00junk")]), 400)
    assert "NUL" in doc["message"], doc
    time.sleep(0.2)
    log = env.gw.log_text().splitlines()
    # Refused in the target: method and path are unknown; in a header: known.
    assert any(re.fullmatch(r"- - 400 \d+", line) for line in log), log[-10:]
    assert any(re.fullmatch(r"GET /api/v1/auth/me 400 \d+", line) for line in log), log[-10:]


def test_framing_errors_name_the_cause(env):
    body = b'{"name": "x"}'
    post = lambda hdrs, payload: req(env, "POST", "/api/v1/datasets/", hdrs, payload)  # noqa: E731
    assert "more than one Content-Length" in assert_refused(
        post([(b"Content-Length", b"13"), (b"Content-Length", b"2")], body), 400)["message"]
    assert "Content-Length together with Transfer-Encoding" in assert_refused(
        post([(b"Content-Length", b"5"), (b"Transfer-Encoding", b"chunked")], b"0\r\n\r\n"), 400)["message"]
    assert "malformed Content-Length" in assert_refused(post([(b"Content-Length", b"abc")], body), 400)["message"]
    assert "chunked" in assert_refused(post([(b"Transfer-Encoding", b"chunked")], b"zz\r\n"), 400)["message"]
    assert "folded" in assert_refused(req(env, headers=[(b"X-A", b"a\r\n b")]), 400)["message"]


def test_requests_split_anywhere(env):
    # Wherever a read ends, a request means the same: a folded header is
    # still found (the gateway looks back across reads), a good request
    # still served.
    folded = b"GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nX-A: a\r\n \tb\r\nAuthorization: Bearer " + \
        env.key.encode() + b"\r\n\r\n"
    good = b"GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nX-A: a  b \r\nAuthorization: Bearer " + \
        env.key.encode() + b"\r\n\r\n"
    start = folded.index(b"X-A")
    for cut in range(start, start + 16):
        status, headers, body, rest = parse_one(exchange(folded, shut_write=True, cut=cut))
        assert assert_json_error(status, headers, body, 400)["message"].startswith("a header is folded"), cut
        status, headers, body, rest = parse_one(exchange(good, shut_write=True, cut=cut))
        assert status == 200 and json.loads(body)["user_id"] == USER, (cut, body)
    body = b'{"name": "split"}'
    chunked = req(env, "POST", "/api/v1/datasets/", [(b"Transfer-Encoding", b"chunked")],
                  b"5\r\n" + body[:5] + b"\r\n" + b"%x\r\n" % (len(body) - 5) + body[5:] + b"\r\n0\r\n\r\n")
    before = env.datasets()
    for cut in range(len(chunked) - 40, len(chunked)):
        status, _, data, _ = parse_one(exchange(chunked, shut_write=True, cut=cut))
        assert status == 201 and json.loads(data)["name"] == "split", (cut, data)
    assert env.datasets() == before + 40


def test_limits_at_their_boundaries(env):
    # A target of exactly 8192 bytes is read (and routed: 404), one more is 414.
    target = "/api/v1/auth/me?" + "a" * (8192 - len("/api/v1/auth/me?"))
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, target=target))
        status, headers, body, _ = read_response(s)
        assert status == 200 and json.loads(body)["user_id"] == USER, body
    finally:
        s.close()
    assert_refused(req(env, target=target + "a"), 414)
    # 100 header fields are read; the 101st is 431 (Host and Authorization count).
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, headers=[(b"X-%d" % i, b"1") for i in range(98)]))
        status, _, body, _ = read_response(s)
        assert status == 200, body
    finally:
        s.close()
    assert_refused(req(env, headers=[(b"X-%d" % i, b"1") for i in range(99)]), 431)
    # Names and values up to 32,768 bytes in all are read, one byte more is 431.
    used = len(b"Host") + len(b"127.0.0.1") + len(b"Authorization") + len(b"Bearer " + env.key.encode()) + len(b"X-Pad")
    pad = 32768 - used
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, headers=[(b"X-Pad", b"v" * pad)]))
        status, _, body, _ = read_response(s)
        assert status == 200, body
    finally:
        s.close()
    assert_refused(req(env, headers=[(b"X-Pad", b"v" * (pad + 1))]), 431)
    assert_serving(env)


def test_body_limit_at_its_boundary_with_length_and_chunks(env):
    with extra_gateway(env, "--threads", "1", "--max-body", "100") as gw:
        def post(hdrs, payload):
            return req(env, "POST", "/api/v1/datasets/", [(b"Content-Type", b"application/json")] + hdrs, payload)

        exact = b'{"name": "' + b"n" * (100 - 12) + b'"}'
        assert len(exact) == 100
        before = env.datasets()
        for raw in [post([(b"Content-Length", b"100")], exact),
                    post([(b"Transfer-Encoding", b"chunked")], b"64\r\n" + exact + b"\r\n0\r\n\r\n"),
                    post([(b"Transfer-Encoding", b"chunked")],
                         b"32\r\n" + exact[:50] + b"\r\n32\r\n" + exact[50:] + b"\r\n0\r\n\r\n")]:
            s = socket.create_connection(("127.0.0.1", GW2_PORT), timeout=30)
            try:
                s.sendall(raw)
                status, _, body, _ = read_response(s)
                assert status == 201 and json.loads(body)["name"] == "n" * 88, body
            finally:
                s.close()
        assert env.datasets() == before + 3
        over = exact[:-2] + b'n"}'
        assert len(over) == 101
        for raw in [post([(b"Content-Length", b"101")], over),
                    post([(b"Transfer-Encoding", b"chunked")], b"65\r\n" + over + b"\r\n0\r\n\r\n"),
                    post([(b"Transfer-Encoding", b"chunked")],
                         b"32\r\n" + over[:50] + b"\r\n33\r\n" + over[50:] + b"\r\n0\r\n\r\n")]:
            doc = assert_refused(raw, 413, port=GW2_PORT)
            assert doc == {"detail": "PAYLOAD_TOO_LARGE", "message": "the request body exceeds 100 bytes"}
        assert env.datasets() == before + 3
        assert_serving(env, gw, GW2_PORT)


# 413 read by ordinary clients -----------------------------------------------

def test_413_read_by_urllib_after_sending_the_whole_body(env):
    for size in (2 * MAX_BODY, 4 * MAX_BODY, 16 * MAX_BODY):
        payload = b'{"name": "' + b"x" * size + b'"}'
        r = urllib.request.Request(f"http://127.0.0.1:{GW_PORT}/api/v1/datasets/", data=payload, method="POST",
                                   headers={"Authorization": f"Bearer {env.key}", "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(r, timeout=60)
        assert exc.value.code == 413, size
        assert exc.value.headers["Content-Type"] == "application/json"
        assert json.loads(exc.value.read()) == {"detail": "PAYLOAD_TOO_LARGE",
                                                "message": f"the request body exceeds {MAX_BODY} bytes"}
    assert_serving(env)


def test_413_over_a_raw_socket_then_closed_cleanly(env):
    payload = b"x" * (3 * MAX_BODY)
    raw = exchange(req(env, "POST", "/api/v1/datasets/", [(b"Content-Length", str(len(payload)).encode())], payload))
    status, headers, body, rest = parse_one(raw)
    assert rest == b""
    assert_json_error(status, headers, body, 413)
    # Past the drain bound (--max-body + 16 MiB) the gateway stops reading
    # and closes; the client may see a reset, the gateway goes on.
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        big = 40 * MAX_BODY
        s.sendall(req(env, "POST", "/api/v1/datasets/", [(b"Content-Length", str(big).encode())]))
        chunk = b"x" * 65536
        sent = 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < big:
                s.sendall(chunk)
                sent += len(chunk)
        assert sent < big, "the gateway read 40 MiB of a refused body"
    finally:
        s.close()
    assert_serving(env)


def test_expect_100_continue(env):
    body = b'{"name": "after continue"}'
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, "POST", "/api/v1/datasets/", [(b"Content-Type", b"application/json"),
                                                         (b"Content-Length", str(len(body)).encode()),
                                                         (b"Expect", b"100-continue")]))
        first = s.recv(65536)
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n", first
        s.sendall(body)
        status, _, data, _ = read_response(s)
        assert status == 201 and json.loads(data)["name"] == "after continue"
    finally:
        s.close()
    # Too large: refused at once, without asking for the body.
    raw = exchange(req(env, "POST", "/api/v1/datasets/", [(b"Content-Length", str(MAX_BODY + 1).encode()),
                                                         (b"Expect", b"100-continue")]))
    status, headers, data, rest = parse_one(raw)
    assert rest == b"" and not raw.startswith(b"HTTP/1.1 100")
    assert_json_error(status, headers, data, 413)


# Well-formed requests still flow ---------------------------------------------

def test_pipelined_requests_answered_in_order(env):
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env) + req(env, target="/api/v1/nowhere") + req(env))
        got = []
        buf = b""
        while len(got) < 3:
            parsed = parse_or_none(buf)
            if parsed is None:
                d = s.recv(65536)
                assert d, (got, buf)
                buf += d
                continue
            status, headers, body, buf = parse_one(buf)
            got.append(status)
            assert headers["content-type"] == "application/json"
        assert got == [200, 404, 200] and buf == b""
    finally:
        s.close()
    # A good request, then a malformed one: the first is answered, then the refusal, then the close.
    raw = exchange(req(env) + b"GET /x\x00 HTTP/1.1\r\nHost: x\r\n\r\n" + req(env))
    status, _, body, rest = parse_one(raw)
    assert status == 200 and json.loads(body)["user_id"] == USER
    status, headers, body, rest = parse_one(rest)
    assert rest == b"" and headers["connection"] == "close"
    assert_json_error(status, headers, body, 400)


def test_head_http10_and_keep_alive(env):
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, "HEAD", "/api/v1/openapi.json"))
        status, headers, body, rest = read_response(s, head=True)
        assert status in (200, 405) and int(headers["content-length"]) > 0 and rest == b""
        # The body was not sent: the next response on the connection starts cleanly.
        s.sendall(req(env))
        status, _, body, _ = read_response(s)
        assert status == 200 and json.loads(body)["user_id"] == USER
    finally:
        s.close()
    # HTTP/1.0 without keep-alive: answered, then closed.
    raw = exchange(req(env, version=b"HTTP/1.0", host=False))
    status, headers, body, rest = parse_one(raw)
    assert status == 200 and rest == b"" and headers["connection"] == "close"
    # HTTP/1.0 with keep-alive: kept.
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        for _ in range(2):
            s.sendall(req(env, version=b"HTTP/1.0", host=False, headers=[(b"Connection", b"keep-alive")]))
            status, headers, body, _ = read_response(s)
            assert status == 200 and headers["connection"] == "keep-alive"
    finally:
        s.close()
    # Header values keep their bytes (tab, UTF-8, obs-text as U+FFFD) and reach the database.
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    try:
        s.sendall(req(env, headers=[(b"X-Note", "a\tb é \xff".encode("latin-1", "ignore"))]))
        status, _, _, _ = read_response(s)
        assert status == 200
    finally:
        s.close()


# Connections: 2,000 at once, a cap, the file limit ---------------------------

def many(port, n, request, timeout=120):
    """Opens n connections at once, sends request on each and reads one
    response from each.  Returns [(status, headers, body) or an error string]."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        if hard < n + 64:
            pytest.fail(f"the test needs {n + 64} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    states = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        st = {"sock": s, "out": request, "in": b"", "result": None}
        states.append(st)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    pending = n
    deadline = time.monotonic() + timeout

    def finish(st, result):
        nonlocal pending
        st["result"] = result
        sel.unregister(st["sock"])
        st["sock"].close()
        pending -= 1

    while pending and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            st = key.data
            s = st["sock"]
            if st["result"] is not None:
                continue
            if ev & selectors.EVENT_WRITE and st["out"]:
                try:
                    k = s.send(st["out"])
                    st["out"] = st["out"][k:]
                except BlockingIOError:
                    pass
                except OSError:
                    st["out"] = b""      # refused already: read the answer
                if not st["out"]:
                    sel.modify(s, selectors.EVENT_READ, st)
                continue
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    finish(st, st["in"] and parse_or_none(st["in"]) or f"error {e!r} after {st['in'][:100]!r}")
                    continue
                if not d:
                    finish(st, parse_or_none(st["in"]) or f"closed after {st['in'][:100]!r}")
                    continue
                st["in"] += d
                parsed = parse_or_none(st["in"])
                if parsed:
                    finish(st, parsed)
    for st in states:
        if st["result"] is None:
            st["sock"].close()
            st["result"] = f"no answer within {timeout}s"
    return [st["result"] for st in states]


def parse_or_none(buf):
    try:
        status, headers, body, _ = parse_one(buf)
        return status, headers, body
    except (AssertionError, ValueError):
        return None


def test_2000_simultaneous_connections_answered(env):
    results = many(GW_PORT, 2000, req(env))
    errors = [r for r in results if isinstance(r, str)]
    assert not errors, (len(errors), errors[:5])
    statuses = {r[0] for r in results}
    assert statuses == {200}, statuses
    assert all(json.loads(r[2])["user_id"] == USER for r in results)
    assert_serving(env)


def test_connections_past_the_cap_get_a_json_503(env):
    with extra_gateway(env, "--threads", "2", "--max-connections", "50") as gw:
        results = many(GW2_PORT, 2000, req(env))
        errors = [r for r in results if isinstance(r, str)]
        assert not errors, (len(errors), errors[:5])
        by_status = {}
        for status, headers, body in results:
            by_status[status] = by_status.get(status, 0) + 1
            if status == 503:
                assert headers["retry-after"] == "1" and headers["connection"] == "close"
                assert assert_json_error(status, headers, body, 503) == {
                    "detail": "SERVICE_UNAVAILABLE", "message": "too many connections"}
            else:
                assert status == 200 and json.loads(body)["user_id"] == USER
        assert set(by_status) == {200, 503} and by_status[200] >= 50, by_status
        assert gw.alive()
        assert_serving(env, gw, GW2_PORT)
        # Once the crowd is gone, the cap has room again for all 50.
        results = many(GW2_PORT, 50, req(env))
        assert {r[0] for r in results if not isinstance(r, str)} == {200}, results[:3]
        assert "- - 503 0" in gw.log_text()


def test_open_file_limit_raised_and_the_cap_fitted_to_it(env):
    with extra_gateway(env, "--threads", "2", nofile=(64, 256)) as gw:
        with open(f"/proc/{gw.proc.pid}/limits") as f:
            line = next(ln for ln in f if ln.startswith("Max open files"))
        assert line.split()[3:5] == ["256", "256"], line
        m = re.search(r"at most (\d+) connections: the open-file limit is 256", gw.log_text())
        assert m and 0 < int(m.group(1)) < 256, gw.log_text()
        cap = int(m.group(1))
        results = many(GW2_PORT, 600, req(env))
        errors = [r for r in results if isinstance(r, str)]
        assert not errors, (len(errors), errors[:5])
        assert {r[0] for r in results} <= {200, 503}
        assert sum(1 for r in results if r[0] == 200) >= min(cap, 1)
        assert_serving(env, gw, GW2_PORT)


def test_out_of_file_descriptors_answers_503(env):
    # So low a limit that the cap does not fit: accept() runs out, and the
    # reserved descriptor is freed to answer 503 instead.
    with extra_gateway(env, "--threads", "2", nofile=(24, 24)) as gw:
        results = many(GW2_PORT, 200, req(env))
        errors = [r for r in results if isinstance(r, str)]
        assert not errors, (len(errors), errors[:5])
        statuses = [r[0] for r in results]
        assert set(statuses) == {200, 503} and statuses.count(200) >= 1, statuses
        for status, headers, body in results:
            if status == 503:
                assert_json_error(status, headers, body, 503)
        assert "out of file descriptors: answering new connections with 503" in gw.log_text()
        assert_serving(env, gw, GW2_PORT)


# Fuzz -------------------------------------------------------------------------

def test_fuzz_never_stops_the_gateway(env):
    rng = random.Random(20261203)
    body = b'{"name": "fuzz"}'
    bases = [
        req(env),
        req(env, "POST", "/api/v1/datasets/", [(b"Content-Type", b"application/json"),
                                              (b"Content-Length", str(len(body)).encode())], body),
        req(env, "POST", "/api/v1/datasets/", [(b"Transfer-Encoding", b"chunked")],
            b"8\r\n" + body[:8] + b"\r\n8\r\n" + body[8:] + b"\r\n0\r\n\r\n"),
        req(env, "GET", "/api/v1/campaigns/?limit=1&offset=0", [(b"Accept", b"*/*")]),
    ]
    alphabet = b"\x00\t\r\n :;,/?#%-\x7f\xff\xc3\xa9aZ09GETPOSTHTP.1chunked"
    answered = 0
    for i in range(400):
        kind = i % 3
        base = rng.choice(bases)
        if kind == 0:
            data = bytes(rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256)
                         for _ in range(rng.randrange(1, 600)))
        elif kind == 1:
            data = base[:rng.randrange(1, len(base))]
        else:
            data = bytearray(base)
            for _ in range(rng.randrange(1, 5)):
                pos = rng.randrange(len(data))
                op = rng.randrange(3)
                if op == 0:
                    data[pos] = rng.choice(alphabet)
                elif op == 1:
                    data.insert(pos, rng.choice(alphabet))
                else:
                    del data[pos]
            data = bytes(data)
        raw = exchange(data, shut_write=True)
        while raw:
            status, headers, payload, raw = parse_one(raw)
            if status < 200:
                continue        # 100 Continue
            assert headers.get("content-type") == "application/json", (data, headers)
            json.loads(payload)
            answered += 1
        if i % 50 == 0:
            assert env.gw.alive(), (i, data)
    assert answered > 100
    assert_serving(env)


# /api/v1/docs -------------------------------------------------------------------

def http_get(path, port=GW_PORT, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_docs_page_and_its_headers(env):
    if not os.path.isfile(os.path.join(DOCS_DIR, "swagger-ui-bundle.js")):
        pytest.fail(f"{DOCS_DIR} is missing: scripts/deps.sh runs npm ci")
    status, headers, page = http_get("/api/v1/docs")
    assert status == 200, page
    assert headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]:
        assert directive in csp, csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{16}"', headers["etag"])
    assert b"/api/v1/docs/swagger-ui-bundle.js" in page and b"/api/v1/docs/docs.js" in page
    assert b"<script>" not in page, "an inline script would need 'unsafe-inline'"
    for alias in ["/api/v1/docs/", "/api/v1/docs/index.html", "/api/v1/docs?x=1"]:
        s, h, p = http_get(alias)
        assert s == 200 and p == page and h["etag"] == headers["etag"], alias
    s, h, js = http_get("/api/v1/docs/docs.js")
    assert s == 200 and h["content-type"] == "text/javascript; charset=utf-8" and b"/api/v1/openapi.json" in js
    for name, ctype in [("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
                        ("swagger-ui.css", "text/css; charset=utf-8"),
                        ("favicon-32x32.png", "image/png"), ("favicon-16x16.png", "image/png")]:
        s, h, data = http_get("/api/v1/docs/" + name)
        with open(os.path.join(DOCS_DIR, name), "rb") as f:
            assert s == 200 and h["content-type"] == ctype and data == f.read(), name
        assert h["x-content-type-options"] == "nosniff" and "etag" in h
        # Revalidation: same ETag, 304 without a body; HEAD: the headers alone.
        s, h2, data = http_get("/api/v1/docs/" + name, headers={"If-None-Match": h["etag"]})
        assert s == 304 and data == b"" and h2["etag"] == h["etag"], name
        s, h3, data = http_get("/api/v1/docs/" + name, method="HEAD")
        assert s == 200 and data == b"" and h3["content-length"] == h["content-length"], name
    s, _, data = http_get("/api/v1/docs/swagger-ui.css", headers={"If-None-Match": '"0000000000000000"'})
    assert s == 200 and data


def test_docs_serve_only_their_fixed_files(env):
    for path in ["/api/v1/docs/index.css", "/api/v1/docs/package.json", "/api/v1/docs/swagger-ui-bundle.js.map",
                 "/api/v1/docs/LICENSE", "/api/v1/docs/swagger-initializer.js", "/api/v1/docs/SWAGGER-UI.CSS",
                 "/api/v1/docs/swagger-ui.css/", "/api/v1/docs//swagger-ui.css",
                 "/api/v1/docs/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/api/v1/docs/..%2fpackage.json",
                 "/api/v1/docs/../../../../etc/passwd", "/api/v1/docs/./swagger-ui.css"]:
        raw = exchange(req(env, target=path, headers=[(b"Connection", b"close")], auth=False))
        status, headers, body, _ = parse_one(raw)
        assert_json_error(status, headers, body, 404)
        assert b"root:" not in body
    s, h, body = http_get("/api/v1/docsx")
    assert s == 404 and json.loads(body)["message"] == "no such route"
    s, h, body = http_get("/api/v1/docs", method="POST")
    assert s == 405 and h["allow"] == "GET, HEAD" and h["content-type"] == "application/json"
    assert json.loads(body)["detail"] == "METHOD_NOT_ALLOWED"


def test_docs_without_swagger_ui_answer_404_and_the_api_goes_on(env):
    environ = {**os.environ, "CAMPAIGNS_DOCS_DIR": os.path.join(env.tmp, "no-such-dir")}
    with extra_gateway(env, "--threads", "1", environ=environ) as gw:
        s, h, body = http_get("/api/v1/docs/swagger-ui-bundle.js", port=GW2_PORT)
        assert s == 404 and h["content-type"] == "application/json"
        assert "--docs-dir" in json.loads(body)["message"]
        s, h, body = http_get("/api/v1/docs", port=GW2_PORT)
        assert s == 200        # the page itself is built in
        assert "no-such-dir/swagger-ui-bundle.js" in gw.log_text()
        assert_serving(env, gw, GW2_PORT)


def test_docs_in_a_real_browser(env):
    node = shutil.which("node")
    if node is None or not os.access("/usr/bin/chromium", os.X_OK):
        pytest.fail("node and /usr/bin/chromium are needed (scripts/deps.sh installs them)")
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")):
        pytest.fail("node_modules/playwright-core is missing: scripts/deps.sh runs npm ci")
    home = tempfile.mkdtemp(prefix="campaigns-docs-home-", dir=env.tmp)
    r = subprocess.run([node, BROWSER_SCRIPT, f"http://127.0.0.1:{GW_PORT}", env.key, USER],
                       capture_output=True, text=True, timeout=300, cwd=ROOT,
                       env={**os.environ, "HOME": home, "TMPDIR": home})
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    report = json.loads(r.stdout.strip().splitlines()[-1])
    s, _, doc = http_get("/api/v1/openapi.json")
    ops = {(m, p) for p, item in json.loads(doc)["paths"].items() for m in item
           if m in ("get", "put", "post", "delete", "patch", "head", "options", "trace")}
    assert report["operations"] == report["shown"] == len(ops) > 30, report
    assert report["status"] == "200" and report["user_id"] == USER, report
    assert report["request_url"].endswith("/auth/me"), report
    assert report["csp"] == [] and report["console"] == [], report
