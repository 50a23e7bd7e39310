"""End-to-end tests of campaigns-gateway in front of a real PostgreSQL.

Starts its own PostgreSQL (127.0.0.1:55441, campaigns preloaded) and the
gateway (127.0.0.1:18091, 4 threads), then talks HTTP to it: every route of
the OpenAPI document once, create -> launch -> stats, keys (missing,
malformed, revoked, another user's), bad bodies (malformed JSON, wrong
content type, oversized, not UTF-8), hostile strings, rate limits, 500
concurrent connections with wrk, a PostgreSQL restart under the gateway,
and a graceful SIGTERM.  Everything is stopped in a finalizer, also on
failure.  Run as the postgres user (PostgreSQL refuses root).
"""
import contextlib
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import psycopg
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATEWAY = os.path.join(ROOT, "gateway", "campaigns-gateway")
from pgserver import PGBIN, PORT_OFFSET  # noqa: E402

PG_PORT = 55441 + PORT_OFFSET
GW_PORT = 18091 + PORT_OFFSET
THREADS = 4
LOCK = "/tmp/campaigns-install.lock"
USER_A = "00000000-0000-0000-0075-00000000000a"
USER_B = "00000000-0000-0000-0075-00000000000b"


@contextlib.contextmanager
def install_lock():
    """The lock every helper holds while it installs or starts a server on the installed build."""
    if os.environ.get("CAMPAIGNS_INSTALL_LOCK_HELD"):  # a caller already holds it
        yield
        return
    with open(LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def wait_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class Env:
    """The running PostgreSQL and gateway, and helpers to talk to them."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        self.gw = None
        self.gw_log = os.path.join(tmp, "gateway.log")
        self.pg_log = os.path.join(tmp, "postgres.log")

    # PostgreSQL -------------------------------------------------------------
    def pg_ctl(self, *args, check=True):
        return subprocess.run([f"{PGBIN}/pg_ctl", "-D", self.data, "-l", self.pg_log, "-w", "-t", "60", *args],
                              check=check, capture_output=True, text=True, timeout=90)

    def dsn(self, user="postgres"):
        return f"host=127.0.0.1 port={PG_PORT} dbname=postgres user={user}"

    def sql(self, query, params=None):
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    # Gateway ----------------------------------------------------------------
    def start_gateway(self, *extra):
        self.gw_err = open(self.gw_log, "ab")
        self.gw = subprocess.Popen(
            [GATEWAY, "--listen", f"127.0.0.1:{GW_PORT}", "--threads", str(THREADS),
             "--db", f"postgresql://campaigns_e2e_gw@127.0.0.1:{PG_PORT}/postgres", *extra],
            stdout=subprocess.DEVNULL, stderr=self.gw_err)
        wait_port(GW_PORT)

    def stop_gateway(self):
        if self.gw and self.gw.poll() is None:
            self.gw.send_signal(signal.SIGTERM)
            try:
                self.gw.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.gw.kill()
                self.gw.wait(timeout=10)

    def request(self, method, path, key=None, body=None, content_type="application/json", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", GW_PORT, timeout=30)
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = f"Bearer {key}"
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            if content_type:
                h["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, key=None, body=None, **kw):
        status, headers, data = self.request(method, path, key, body, **kw)
        return status, headers, (json.loads(data) if data else None)

    def gateway_connections(self):
        return self.sql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'campaigns_e2e_gw'")[0][0]


@pytest.fixture(scope="module")
def env():
    if not os.access(GATEWAY, os.X_OK):
        pytest.fail(f"{GATEWAY} is not built (make -C gateway)")
    tmp = tempfile.mkdtemp(prefix="campaigns-gw-")
    e = Env(tmp)
    try:
        subprocess.run([f"{PGBIN}/initdb", "-D", e.data, "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        with open(os.path.join(e.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"port = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{tmp}'\n"
                    "shared_preload_libraries = 'campaigns'\ncampaigns.worker_enabled = off\n"
                    "campaigns.outbound_allow = '127.0.0.1/32'\n"
                    "max_connections = 60\nfsync = off\ntimezone = 'UTC'\n")
        with install_lock():
            e.pg_ctl("start")
            e.sql("CREATE EXTENSION campaigns")
        e.sql("CREATE ROLE campaigns_e2e_gw LOGIN")
        e.sql("GRANT campaigns_gateway TO campaigns_e2e_gw")
        e.key_a = e.sql("SELECT campaigns.api_key_create(%s, 'a')", (USER_A,))[0][0]
        e.key_b = e.sql("SELECT campaigns.api_key_create(%s, 'b')", (USER_B,))[0][0]
        e.key_revoked = e.sql("SELECT campaigns.api_key_create(%s, 'revoked')", (USER_A,))[0][0]
        e.key_limited = e.sql("SELECT campaigns.api_key_create(%s, 'limited')", (USER_A,))[0][0]
        e.sql("SELECT campaigns.api_key_revoke(%s)", (e.key_revoked,))
        e.sql("UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE name IN ('a', 'b')")
        e.sql("UPDATE campaigns.api_key SET rate_limit_per_minute = 3 WHERE name = 'limited'")
        e.start_gateway()
        yield e
    finally:
        e.stop_gateway()
        e.pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def make_campaign(env, key, name="e2e"):
    """An alias, a template, a dataset with two leads and a draft campaign, all over HTTP."""
    suffix = str(time.time_ns())
    s, _, alias = env.json("POST", "/api/v1/aliases/", key, {"alias_id": "al" + suffix, "full_email": "s@example.com"})
    assert s == 201, alias
    s, _, tpl = env.json("POST", "/api/v1/templates/", key,
                         {"name": "t", "channel": "email", "subject": "Hi {{first_name|there}}", "body": "Hello"})
    assert s == 201, tpl
    s, _, ds = env.json("POST", "/api/v1/datasets/", key, {"name": "d"})
    assert s == 201, ds
    s, _, added = env.json("POST", f"/api/v1/datasets/{ds['dataset_id']}/leads", key,
                           b"email,first_name\nx1@example.com,X\nx2@example.com,Y\n", content_type="text/csv")
    assert s == 200 and added["inserted"] == 2, added
    s, h, c = env.json("POST", "/api/v1/campaigns/", key, {
        "name": name, "dataset_id": ds["dataset_id"], "alias_ids": [alias["alias_id"]],
        "steps": [{"step": 1, "variants": [{"label": "A", "template_id": tpl["template_id"]}]}]})
    assert s == 201, c
    return {"campaign": c, "dataset": ds, "template": tpl, "alias": alias}


def stats_landed(env):
    return env.sql("SELECT to_regprocedure('campaigns.campaign_stats(uuid)') IS NOT NULL")[0][0]


def test_every_openapi_route_answers(env):
    s, _, doc = env.json("GET", "/api/v1/openapi.json")
    assert s == 200 and doc["openapi"].startswith("3.")
    objs = make_campaign(env, env.key_a, "routes")
    ids = {"campaign_id": objs["campaign"]["campaign_id"], "dataset_id": objs["dataset"]["dataset_id"],
           "template_id": objs["template"]["template_id"]}
    s, _, sp = env.json("POST", "/api/v1/sender-profiles/", env.key_a, {"profile_name": "p"})
    assert s == 201, sp
    ids["sender_profile_id"] = sp["sender_profile_id"]
    s, _, de = env.json("POST", "/api/v1/delivery-endpoints/", env.key_a,
                        {"channel": "linkedin", "url": "http://127.0.0.1:9/li"})
    assert s == 201, de
    ids["delivery_endpoint_id"] = de["delivery_endpoint_id"]
    s, _, sup = env.json("POST", "/api/v1/suppressions/", env.key_a, {"kind": "domain", "value": "routes.example"})
    assert s == 201, sup
    ids["suppression_id"] = sup["suppression_id"]
    # A launched campaign with enrolled leads, for the lead routes.
    launched = make_campaign(env, env.key_a, "routes launched")["campaign"]["campaign_id"]
    s, _, body = env.json("POST", f"/api/v1/campaigns/{launched}/launch", env.key_a)
    assert s == 202, body
    s, _, leads = env.json("GET", f"/api/v1/campaigns/{launched}/leads", env.key_a)
    assert s == 200 and leads, leads
    bodies = {
        "campaign_create": {"name": "x"}, "campaign_update": {"name": "renamed"},
        "dataset_create": {"name": "x"}, "dataset_add_leads": [{"email": "z@example.com"}],
        "template_create": {"name": "x", "channel": "email", "subject": "s", "body": "b"},
        "template_update": {"name": "y"}, "sender_profile_create": {"profile_name": "q"},
        "sender_profile_update": {"description": "d"},
        "alias_create": {"alias_id": "routes-al", "full_email": "r@example.com"},
        "connected_account_create": {"name": "li"}, "lead_event_record": {"type": "opened"},
        "delivery_endpoint_create": {"channel": "email", "url": "http://127.0.0.1:9/e", "auth_header": "Bearer t"},
        "delivery_endpoint_update": {"url": "https://hooks.example/li"},
        "suppression_create": {"kind": "email", "value": "routes@example.com"},
        "suppression_import": [{"kind": "email", "value": "routes2@example.com"}],
    }
    seen = 0
    # Deletes last, so that the other routes find their objects.
    ops = sorted(((p, m, op) for p, ms in doc["paths"].items() for m, op in ms.items()),
                 key=lambda t: (t[1] == "delete", t[0]))
    for path, method, op in ops:
        oid = op["operationId"]
        real = path
        for name, value in ids.items():
            real = real.replace("{" + name + "}", value)
        if "{campaign_lead_id}" in real:
            real = real.replace("{campaign_id}", launched).replace("{campaign_lead_id}", leads[0]["campaign_lead_id"])
        assert "{" not in real, real
        key = None if op.get("security") == [] else env.key_a
        s, _, data = env.request(method.upper(), real, key, bodies.get(oid))
        seen += 1
        detail = json.loads(data).get("detail") if data and data.startswith(b"{") else None
        assert s != 405 and not (s == 404 and b"no such route" in data), (oid, s, data)
        if oid == "campaign_stats" and not stats_landed(env):
            assert s == 500 and detail == "INTERNAL_ERROR", (oid, s, data)
            continue
        assert s < 500, (oid, s, data)
        # Each answers with its documented success status, or a refusal in the documented shape.
        if s >= 400:
            assert str(s) in op["responses"], (oid, s, data)
        else:
            assert str(s) in op["responses"], (oid, s, data)
    assert seen == sum(len(ms) for ms in doc["paths"].values()) >= 38


def test_every_spec_route_is_documented_and_nothing_else_is_served(env):
    s, _, doc = env.json("GET", "/api/v1/openapi.json")
    spec = {
        ("post", "/api/v1/campaigns/"), ("get", "/api/v1/campaigns/"), ("get", "/api/v1/campaigns/{campaign_id}"),
        ("patch", "/api/v1/campaigns/{campaign_id}"), ("delete", "/api/v1/campaigns/{campaign_id}"),
        ("post", "/api/v1/campaigns/{campaign_id}/launch"), ("post", "/api/v1/campaigns/{campaign_id}/pause"),
        ("post", "/api/v1/campaigns/{campaign_id}/resume"), ("post", "/api/v1/campaigns/{campaign_id}/stop"),
        ("post", "/api/v1/campaigns/{campaign_id}/unschedule"), ("post", "/api/v1/campaigns/{campaign_id}/reset"),
        ("post", "/api/v1/campaigns/{campaign_id}/playground/review"), ("get", "/api/v1/campaigns/{campaign_id}/stats"),
        ("get", "/api/v1/campaigns/{campaign_id}/forecast"), ("get", "/api/v1/campaigns/{campaign_id}/leads"),
        ("get", "/api/v1/campaigns/{campaign_id}/leads/{campaign_lead_id}/events"),
        ("post", "/api/v1/campaigns/{campaign_id}/leads/{campaign_lead_id}/events"),
        ("post", "/api/v1/datasets/"), ("get", "/api/v1/datasets/"), ("get", "/api/v1/datasets/{dataset_id}"),
        ("delete", "/api/v1/datasets/{dataset_id}"), ("post", "/api/v1/datasets/{dataset_id}/leads"),
        ("get", "/api/v1/datasets/{dataset_id}/leads"),
        ("post", "/api/v1/templates/"), ("get", "/api/v1/templates/"), ("get", "/api/v1/templates/{template_id}"),
        ("patch", "/api/v1/templates/{template_id}"), ("delete", "/api/v1/templates/{template_id}"),
        ("post", "/api/v1/sender-profiles/"), ("get", "/api/v1/sender-profiles/"),
        ("get", "/api/v1/sender-profiles/{sender_profile_id}"), ("patch", "/api/v1/sender-profiles/{sender_profile_id}"),
        ("delete", "/api/v1/sender-profiles/{sender_profile_id}"),
        ("post", "/api/v1/aliases/"), ("get", "/api/v1/aliases/"), ("post", "/api/v1/connected-accounts/"),
        ("get", "/api/v1/connected-accounts/"), ("get", "/api/v1/auth/me"), ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/delivery-endpoints/"), ("get", "/api/v1/delivery-endpoints/"),
        ("get", "/api/v1/delivery-endpoints/{delivery_endpoint_id}"),
        ("patch", "/api/v1/delivery-endpoints/{delivery_endpoint_id}"),
        ("delete", "/api/v1/delivery-endpoints/{delivery_endpoint_id}"),
        # SPEC §11: a lead's pause, resume and remove; the suppression list
        ("post", "/api/v1/campaigns/{campaign_id}/leads/{campaign_lead_id}/pause"),
        ("post", "/api/v1/campaigns/{campaign_id}/leads/{campaign_lead_id}/resume"),
        ("post", "/api/v1/campaigns/{campaign_id}/leads/{campaign_lead_id}/remove"),
        ("post", "/api/v1/suppressions/"), ("get", "/api/v1/suppressions/"), ("post", "/api/v1/suppressions/import"),
        ("get", "/api/v1/suppressions/{suppression_id}"), ("delete", "/api/v1/suppressions/{suppression_id}"),
    }
    documented = {(m, p) for p, ms in doc["paths"].items() for m in ms}
    assert documented == spec
    # Methods and paths outside the document are refused by the router.
    zero = "00000000-0000-0000-0075-000000000099"
    for method, path in [("PUT", "/api/v1/campaigns/"), ("POST", f"/api/v1/campaigns/{zero}"),
                         ("GET", f"/api/v1/campaigns/{zero}/launch"), ("PATCH", "/api/v1/datasets/")]:
        s, h, data = env.request(method, path, env.key_a)
        assert s == 405 and "allow" in h, (method, path, s)
    for path in ["/api/v1/campaign/", "/api/v1/campaigns/x/y/z", "/api/v2/campaigns/", "/", "/api/v1"]:
        s, _, data = env.request("GET", path, env.key_a)
        assert s == 404, (path, s)


def test_create_launch_stats_through_http_with_curl(env):
    objs = make_campaign(env, env.key_a, "curl flow")
    cid = objs["campaign"]["campaign_id"]
    assert objs["campaign"]["status"] == "draft"

    def curl(*args):
        out = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        body, code = out.rsplit("\n", 1)
        return int(code), (json.loads(body) if body else None)

    base = f"http://127.0.0.1:{GW_PORT}/api/v1"
    auth = ["-H", f"Authorization: Bearer {env.key_a}"]
    code, body = curl("-X", "POST", f"{base}/campaigns/{cid}/launch", *auth)
    assert code == 202, body
    assert set(body) == {"campaign", "summary", "warnings"}
    assert body["summary"]["total_rows"] == 2 and body["summary"]["launchable_rows"] == 2
    code, body = curl(f"{base}/campaigns/{cid}", *auth)
    assert code == 200 and body["status"] in ("launching", "active", "scheduled"), body
    code, body = curl(f"{base}/campaigns/{cid}/stats", *auth)
    if stats_landed(env):
        assert code == 200 and isinstance(body, dict), body
    else:
        assert code == 500 and body == {"detail": "INTERNAL_ERROR", "message": "internal error"}
    code, body = curl(f"{base}/campaigns/?status=active&limit=100", *auth, "-D", "/dev/stderr")
    assert code == 200 and any(c["campaign_id"] == cid for c in body)


def test_keys(env):
    objs = make_campaign(env, env.key_a, "keys")
    cid = objs["campaign"]["campaign_id"]
    path = f"/api/v1/campaigns/{cid}"
    s, h, body = env.json("GET", path)
    assert s == 401 and body["detail"] == "UNAUTHORIZED" and h.get("www-authenticate", "").startswith("Bearer")
    for header in ["Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "bearer", "Token " + env.key_a]:
        s, _, body = env.json("GET", path, headers={"Authorization": header})
        assert s == 401, (header, s, body)
    s, _, body = env.json("GET", path, env.key_revoked)
    assert s == 401 and body == {"detail": "UNAUTHORIZED", "message": "invalid or revoked API key"}
    s, _, body = env.json("GET", path, env.key_a[:-1] + ("A" if env.key_a[-1] != "A" else "B"))
    assert s == 401
    # Another user's object is 404 on every verb, exactly like a missing one.
    s_missing, _, missing = env.json("GET", "/api/v1/campaigns/00000000-0000-0000-0075-000000000099", env.key_b)
    for method, p, body in [("GET", path, None), ("PATCH", path, {"name": "mine"}), ("DELETE", path, None),
                            ("POST", path + "/launch", None), ("GET", path + "/forecast", None)]:
        s, _, got = env.json(method, p, env.key_b, body)
        assert s == 404 and s_missing == 404 and got == missing, (method, p, s, got)
    s, _, got = env.json("GET", path, env.key_a)
    assert s == 200 and got["name"] == "keys"
    s, _, me = env.json("GET", "/api/v1/auth/me", env.key_b)
    assert s == 200 and me["user_id"] == USER_B


def test_bad_bodies(env):
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, '{"name": "x",}')
    assert s == 422 and body["detail"][0]["type"] == "json_invalid" and body["detail"][0]["loc"][0] == "body"
    assert body["detail"][0]["loc"][1] == 13
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, '{"name": "x"}', content_type="text/plain")
    assert s == 415 and body["detail"] == "UNSUPPORTED_MEDIA_TYPE"
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, '{"name": "x"}', content_type="application/xml")
    assert s == 415
    # No content type at all is read as JSON, as FastAPI does.
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, '{"name": "untyped"}', content_type=None)
    assert s == 201 and body["name"] == "untyped"
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, "")
    assert s == 422 and body["detail"][0]["type"] == "missing"
    # Over the limit: refused before the body is read (curl waits for 100-continue).
    big = os.path.join(env.tmp, "big.json")
    with open(big, "w") as f:
        json.dump({"name": "x" * (1024 * 1024)}, f)
    out = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                          "-H", f"Authorization: Bearer {env.key_a}", "-H", "Content-Type: application/json",
                          "--data-binary", "@" + big, f"http://127.0.0.1:{GW_PORT}/api/v1/datasets/"],
                         capture_output=True, text=True, timeout=30).stdout
    body, code = out.rsplit("\n", 1)
    assert code == "413" and json.loads(body)["detail"] == "PAYLOAD_TOO_LARGE", out[-300:]
    # Just under the limit reaches the database, which judges the name.
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, json.dumps({"name": "x" * 1000000}))
    assert s == 422 and body["detail"][0]["loc"] == ["body", "name"], body
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, b'{"name": "\xff"}')
    assert s == 400 and body["detail"] == "BAD_REQUEST"
    s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, b'{"name": "a\x00b"}')
    assert s == 400
    # Chunked upload over the limit.
    conn = http.client.HTTPConnection("127.0.0.1", GW_PORT, timeout=30)
    try:
        conn.putrequest("POST", "/api/v1/datasets/")
        conn.putheader("Authorization", f"Bearer {env.key_a}")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        chunk = b"x" * 65536
        with contextlib.suppress(OSError):
            for _ in range(20):
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        assert r.status == 413 and json.loads(r.read())["detail"] == "PAYLOAD_TOO_LARGE"
    finally:
        conn.close()


def test_hostile_strings_are_data(env):
    names = ["'); DROP TABLE campaigns.campaign; --", "../../etc/passwd", "\" OR 1=1 --", "%00%27",
             "Robert'); DELETE FROM campaigns.api_key;--", "日本語 ✓ \\ \t"]
    for name in names:
        s, _, ds = env.json("POST", "/api/v1/datasets/", env.key_a, {"name": name})
        assert s == 201 and ds["name"] == name, (name, ds)
        s, _, got = env.json("GET", f"/api/v1/datasets/{ds['dataset_id']}", env.key_a)
        assert got["name"] == name
    objs = make_campaign(env, env.key_a, names[0])
    assert objs["campaign"]["name"] == names[0]
    from urllib.parse import quote
    s, h, found = env.json("GET", "/api/v1/campaigns/?name=" + quote(names[0]), env.key_a)
    assert s == 200 and [c["name"] for c in found] == [names[0]] and h["x-total-count"] == "1"
    assert env.sql("SELECT count(*) FROM campaigns.api_key")[0][0] >= 4
    for raw in ["/api/v1/campaigns/../../etc/passwd", "/api/v1/campaigns/..%2F..%2Fetc%2Fpasswd",
                "/api/v1/../v1/campaigns/", "/api/v1/campaigns/%00", "/api/v1/campaigns/' OR '1'='1"]:
        s, _, body = env.request("GET", raw.replace(" ", "%20"), env.key_a)
        assert s == 404, (raw, s, body)
    out = subprocess.run(["curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                          "-H", f"Authorization: Bearer {env.key_a}",
                          f"http://127.0.0.1:{GW_PORT}/api/v1/campaigns/../../../etc/passwd"],
                         capture_output=True, text=True, timeout=30).stdout
    assert out == "404"


def test_rate_limit(env):
    statuses = []
    limited = None
    for _ in range(8):
        s, h, body = env.json("GET", "/api/v1/auth/me", env.key_limited)
        statuses.append(s)
        assert h["x-ratelimit-limit"] == "3"
        assert 1 <= int(h["x-ratelimit-reset"]) <= 60
        if s == 429:
            limited = (h, body)
            break
        assert s == 200
    assert limited is not None, statuses
    h, body = limited
    assert body["detail"] == "RATE_LIMITED"
    assert 1 <= int(h["retry-after"]) <= 60 and h["x-ratelimit-remaining"] == "0"
    # Another key of the same user is not limited by it.
    s, h, _ = env.json("GET", "/api/v1/auth/me", env.key_a)
    assert s == 200 and "x-ratelimit-limit" not in h
    # The gateway's server preloads the library: counted in shared memory
    # (the table is the fallback pg_regress covers).  Its window ends with
    # the 4th request, the one refused.
    rows = env.sql("SELECT w.store, w.hits FROM campaigns.http_rate_usage() w"
                   " JOIN campaigns.api_key k USING (api_key_id) WHERE k.name = 'limited'")
    assert {r[0] for r in rows} == {"shared_memory"}, rows
    assert [r[1] for r in rows] == [4], (rows, statuses)


def test_access_log(env):
    env.request("GET", "/api/v1/openapi.json")
    time.sleep(0.2)
    with open(env.gw_log) as f:
        lines = f.read().splitlines()
    assert any(re.fullmatch(r"GET /api/v1/openapi\.json 200 \d+", line) for line in lines), lines[-5:]


def test_500_concurrent_connections(env):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed")
    cid = make_campaign(env, env.key_a, "wrk")["campaign"]["campaign_id"]
    before = env.gateway_connections()
    out = subprocess.run(["wrk", "-t", "2", "-c", "500", "-d", "5s", "--timeout", "30s",
                          "-H", f"Authorization: Bearer {env.key_a}",
                          f"http://127.0.0.1:{GW_PORT}/api/v1/campaigns/{cid}"],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 500, out
    assert "Non-2xx or 3xx responses" not in out, out
    assert "Socket errors" not in out, out
    after = env.gateway_connections()
    assert 0 < after <= THREADS and before <= THREADS, (before, after)
    s, _, _ = env.json("GET", f"/api/v1/campaigns/{cid}", env.key_a)
    assert s == 200


def test_postgres_restart_costs_503_not_the_gateway(env):
    s, _, _ = env.json("GET", "/api/v1/auth/me", env.key_a)
    assert s == 200
    with install_lock():
        env.pg_ctl("stop", "-m", "fast")
        try:
            s, h, body = env.json("GET", "/api/v1/auth/me", env.key_a)
            assert s == 503 and body["detail"] == "SERVICE_UNAVAILABLE" and h.get("retry-after") == "1"
            s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, {"name": "while down"})
            assert s == 503
            assert env.gw.poll() is None
        finally:
            env.pg_ctl("start")
    # Requests after the restart succeed, writes included: each thread finds
    # its old connection closed before sending and opens a new one.
    for i in range(4 * THREADS):
        s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, {"name": f"after restart {i}"})
        assert s == 201, (i, body)
    s, _, _ = env.json("GET", "/api/v1/auth/me", env.key_a)
    assert s == 200
    # A PostgreSQL restart while the gateway is idle costs nothing either.
    with install_lock():
        env.pg_ctl("restart", "-m", "fast")
    for i in range(4 * THREADS):
        s, _, body = env.json("POST", "/api/v1/datasets/", env.key_a, {"name": f"after idle restart {i}"})
        assert s == 201, (i, body)


def test_sigterm_is_graceful(env):
    s, _, _ = env.json("GET", "/api/v1/auth/me", env.key_a)
    assert s == 200
    assert env.gateway_connections() > 0
    env.gw.send_signal(signal.SIGTERM)
    assert env.gw.wait(timeout=20) == 0
    deadline = time.time() + 10
    while env.gateway_connections() > 0 and time.time() < deadline:
        time.sleep(0.05)
    assert env.gateway_connections() == 0
    with open(env.gw_log) as f:
        assert "stopped" in f.read()
    env.start_gateway()
    s, _, _ = env.json("GET", "/api/v1/auth/me", env.key_a)
    assert s == 200


def test_flags_and_environment(env):
    r = subprocess.run([GATEWAY, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--listen" in r.stdout and "CAMPAIGNS_DATABASE_URL" in r.stdout
    r = subprocess.run([GATEWAY, "--threads", "0"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--threads" in r.stderr
    r = subprocess.run([GATEWAY, "--listen", "nonsense"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    # Configuration from the environment: a second gateway on another port, 1 thread.
    port = GW_PORT + 1
    p = subprocess.Popen([GATEWAY], env={**os.environ, "CAMPAIGNS_LISTEN": f"127.0.0.1:{port}",
                                         "CAMPAIGNS_DATABASE_URL": f"postgresql://campaigns_e2e_gw@127.0.0.1:{PG_PORT}/postgres",
                                         "CAMPAIGNS_THREADS": "1", "CAMPAIGNS_MAX_BODY": "100",
                                         "CAMPAIGNS_TIMEOUT": "1"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/v1/datasets/", body=json.dumps({"name": "y" * 200}),
                     headers={"Authorization": f"Bearer {env.key_a}", "Content-Type": "application/json"})
        assert conn.getresponse().status == 413
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {env.key_a}"})
        assert conn.getresponse().status == 200
        conn.close()
        # The request timeout: a request stuck behind a lock is cut (503), not
        # left waiting for the lock (the client would give up first).
        with psycopg.connect(env.dsn()) as locker:
            locker.execute("LOCK TABLE campaigns.dataset IN ACCESS EXCLUSIVE MODE")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/datasets/", headers={"Authorization": f"Bearer {env.key_a}"})
            r = conn.getresponse()
            body = json.loads(r.read())
            conn.close()
            assert r.status == 503 and body["detail"] == "SERVICE_UNAVAILABLE", body
            locker.rollback()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v1/datasets/", headers={"Authorization": f"Bearer {env.key_a}"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
