"""The OpenAPI 3.1 document, read from a real gateway in front of a real PostgreSQL.

Starts its own PostgreSQL (127.0.0.1:55446 + offset, campaigns preloaded,
worker off) and the gateway (127.0.0.1:18096 + offset), then:

- validates /api/v1/openapi.json with Redocly CLI (the recommended rules,
  test/integration/redocly.yaml);
- checks that the routes of http_route and the paths of the document are
  the same, and that every $ref resolves;
- checks the X-RateLimit-* headers on every response of an authenticated
  route, in the document and on the wire;
- generates TypeScript types with openapi-typescript, type-checks with tsc a
  client written with openapi-fetch that creates and reads a campaign, runs
  it against the gateway, and checks that a wrong field name or type fails
  the type check;
- checks that every response body comes with its fields in the order of its
  model's properties in the document (the seed's order for a campaign).

The Node tools are the pinned ones of package.json (npm ci, scripts/deps.sh).
Everything is stopped in a finalizer, also on failure.
"""
import contextlib
import json
import os
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

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATEWAY = os.path.join(ROOT, "gateway", "campaigns-gateway")
BIN = os.path.join(ROOT, "node_modules", ".bin")
PG_PORT = 55446 + PORT_OFFSET
GW_PORT = 18096 + PORT_OFFSET
USER = "00000000-0000-0000-00a1-000000000001"
NODE_ENV = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
                NO_UPDATE_NOTIFIER="1", HOME=tempfile.gettempdir())


def wait_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class Api:
    """The gateway, and requests to it that keep the body's key order."""

    def __init__(self, key, limited_key):
        self.base = f"http://127.0.0.1:{GW_PORT}"
        self.key = key
        self.limited_key = limited_key

    def call(self, method, path, body=None, key=None, content_type="application/json"):
        data = None
        headers = {"Authorization": f"Bearer {key or self.key}"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, hdrs, raw = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, dict(e.headers), e.read()
        pairs = json.loads(raw, object_pairs_hook=list) if raw else None
        return status, {k.lower(): v for k, v in hdrs.items()}, pairs


def plain(pairs):
    """A value parsed with object_pairs_hook=list, as ordinary dicts."""
    if isinstance(pairs, list) and all(isinstance(p, tuple) and len(p) == 2 for p in pairs) and pairs:
        return {k: plain(v) for k, v in pairs}
    if isinstance(pairs, list):
        return [plain(v) for v in pairs]
    return pairs


@pytest.fixture(scope="module")
def env(request):
    if not os.access(GATEWAY, os.X_OK):
        pytest.fail(f"{GATEWAY} is not built (make -C gateway)")
    for tool in ("redocly", "openapi-typescript", "tsc"):
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            pytest.fail(f"node_modules/.bin/{tool} is missing (npm ci)")
    srv = PgServer(PG_PORT, {"campaigns.worker_enabled": "off"})
    request.addfinalizer(srv.cleanup)
    srv.start()
    srv.q("CREATE ROLE campaigns_openapi_gw LOGIN")
    srv.q("GRANT campaigns_gateway TO campaigns_openapi_gw")
    key = srv.q1("SELECT campaigns.api_key_create(%s, 'openapi')", (USER,))
    limited = srv.q1("SELECT campaigns.api_key_create(%s, 'limited')", (USER,))
    srv.q("UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE name = 'openapi'")
    srv.q("UPDATE campaigns.api_key SET rate_limit_per_minute = 1000 WHERE name = 'limited'")
    log = open(os.path.join(srv.tmp, "gateway.log"), "ab")
    gw = subprocess.Popen([GATEWAY, "--listen", f"127.0.0.1:{GW_PORT}", "--threads", "2",
                           "--db", f"postgresql://campaigns_openapi_gw@127.0.0.1:{PG_PORT}/postgres"],
                          stdout=subprocess.DEVNULL, stderr=log)

    def stop_gateway():
        if gw.poll() is None:
            gw.send_signal(signal.SIGTERM)
            try:
                gw.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gw.kill()
                gw.wait(timeout=10)
        log.close()
    request.addfinalizer(stop_gateway)
    wait_port(GW_PORT)
    api = Api(key, limited)
    api.srv = srv
    s, _, doc = api.call("GET", "/api/v1/openapi.json")
    assert s == 200
    api.doc_pairs = doc
    api.doc = plain(doc)
    tmp = tempfile.mkdtemp(prefix="campaigns-openapi-")
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    os.chmod(tmp, 0o777)
    api.tmp = tmp
    with open(os.path.join(tmp, "openapi.json"), "w") as f:
        json.dump(api.doc, f)
    return api


def run(cmd, cwd, timeout=180, **env):
    return subprocess.run(cmd, cwd=cwd, env=dict(NODE_ENV, **env), capture_output=True, text=True, timeout=timeout)


def resolve(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def test_document_is_valid_openapi_31(env):
    doc = env.doc
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] and doc["servers"][0]["url"]
    r = run([os.path.join(BIN, "redocly"), "lint", "--config", os.path.join(ROOT, "test", "integration", "redocly.yaml"),
             "--format=json", os.path.join(env.tmp, "openapi.json")], env.tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    problems = [(p["ruleId"], p["severity"], p["location"][0]["pointer"]) for p in json.loads(r.stdout)["problems"]]
    # No error, and one warning only: the document's own route cannot answer a 4xx.
    assert problems == [("operation-4xx-response", "warn", "#/paths/~1api~1v1~1openapi.json/get/responses")], problems
    # The lint fails on a broken document (so that this test can fail).
    broken = json.loads(json.dumps(doc))
    broken["paths"]["/api/v1/campaigns/"]["post"]["requestBody"]["content"]["application/json"]["schema"] = \
        {"$ref": "#/components/schemas/NoSuchModel"}
    with open(os.path.join(env.tmp, "broken.json"), "w") as f:
        json.dump(broken, f)
    r = run([os.path.join(BIN, "redocly"), "lint", "--config", os.path.join(ROOT, "test", "integration", "redocly.yaml"),
             os.path.join(env.tmp, "broken.json")], env.tmp)
    assert r.returncode != 0 and "Can't resolve $ref" in r.stdout + r.stderr, r.stdout + r.stderr


def test_routes_and_document_agree(env):
    doc = env.doc
    rows = env.srv.q("SELECT method, path, operation_id, body, request_model, response_model, response FROM campaigns.http_route")
    routed = {(m.lower(), "/api/v1" + p) for m, p, *_ in rows}
    documented = {(m, p) for p, ms in doc["paths"].items() for m in ms}
    assert routed == documented
    schemas = doc["components"]["schemas"]
    for method, path, oid, body, req, resp, kind in rows:
        op = doc["paths"]["/api/v1" + path][method.lower()]
        assert op["operationId"] == oid
        if body is None:
            assert "requestBody" not in op and req is None, oid
        else:
            assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{req}"}
        ok = op["responses"][next(c for c in op["responses"] if c.startswith("2"))]
        if kind == "none":
            assert "content" not in ok, oid
        elif resp is not None:
            schema = ok["content"]["application/json"]["schema"]
            ref = schema["items"]["$ref"] if kind == "array" else schema["$ref"]
            assert ref == f"#/components/schemas/{resp}", oid
    for ref in refs(doc):
        resolve(doc, ref)
    # The seed's models, with the seed's constraints.
    create = schemas["CampaignCreate"]
    assert create["required"] == ["name", "dataset_id", "steps"]
    assert create["additionalProperties"] is False
    p = create["properties"]
    assert (p["name"]["minLength"], p["name"]["maxLength"]) == (1, 255)
    assert p["dataset_id"]["format"] == "uuid"
    assert (p["steps"]["minItems"], p["steps"]["maxItems"]) == (1, 10)
    assert p["description"]["type"] == ["string", "null"] and p["description"]["maxLength"] == 1000
    assert p["type"]["enum"] == ["email", "linkedin", "mixed"] and p["type"]["default"] == "email"
    assert (p["daily_limit"]["minimum"], p["daily_limit"]["maximum"], p["daily_limit"]["default"]) == (1, 10000, 500)
    assert p["start_date"]["format"] == "date-time" and p["sending_window_start"]["default"] == "09:00:00"
    assert p["send_days"]["default"] == ["mon", "tue", "wed", "thu", "fri"] and p["send_days"]["uniqueItems"] is True
    assert p["description"]["description"] == "Campaign description"
    step = schemas["CampaignStepConfig"]["properties"]
    assert step["variants"]["items"] == {"$ref": "#/components/schemas/CampaignStepVariant"}
    assert step["action_type"]["enum"][-1] is None
    assert schemas["CampaignUpdate"].get("required") is None and "default" not in schemas["CampaignUpdate"]["properties"]["type"]
    assert schemas["HTTPValidationError"]["properties"]["detail"]["items"] == {"$ref": "#/components/schemas/ValidationError"}
    assert list(schemas["CampaignResponse"]["properties"])[:4] == ["campaign_id", "user_id", "dataset_id", "name"]
    for name in ["CampaignResponse", "LaunchResponse", "CampaignStats", "CampaignForecast", "LeadUploadResult",
                 "DatasetResponse", "LeadResponse", "TemplateResponse", "SenderProfileResponse", "AliasResponse",
                 "ConnectedAccountResponse", "CampaignLeadResponse", "LeadEventResponse", "AuthMe", "Error"]:
        assert schemas[name]["type"] == "object" and schemas[name]["properties"], name
    # Query parameters come from the query models.
    leads = doc["paths"]["/api/v1/campaigns/{campaign_id}/leads"]["get"]["parameters"]
    assert [x["name"] for x in leads] == ["campaign_id", "offset", "limit", "status"]
    assert next(x for x in leads if x["name"] == "limit")["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}


def test_rate_limit_headers_on_every_authenticated_response(env):
    doc = env.doc
    names = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = resolve(doc, resp["$ref"])
                headers = set(resp.get("headers", {}))
                if op.get("security") == [] or code in ("401", "413"):
                    assert not names & headers, (path, method, code)
                else:
                    assert names <= headers, (path, method, code)
    assert "Retry-After" in doc["components"]["responses"]["RateLimited"]["headers"]
    # On the wire: a success, a 404 and a 422 of a key with a limit all carry them.
    for method, path, body in [("GET", "/api/v1/auth/me", None),
                               ("GET", "/api/v1/campaigns/00000000-0000-0000-00a1-000000000099", None),
                               ("POST", "/api/v1/campaigns/", {"name": ""})]:
        s, h, _ = env.call(method, path, body, key=env.limited_key)
        assert s in (200, 404, 422) and {n.lower() for n in names} <= set(h), (path, s, h)
        assert h["x-ratelimit-limit"] == "1000"


CLIENT = r"""
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

type Campaign = components["schemas"]["CampaignResponse"];
type CampaignCreate = components["schemas"]["CampaignCreate"];

const client = createClient<paths>({
	baseUrl: process.env.BASE_URL,
	headers: { Authorization: `Bearer ${process.env.API_KEY}` },
});

async function main(): Promise<void> {
	const alias = await client.POST("/api/v1/aliases/", { body: { alias_id: "typed-1", full_email: "typed@example.com" } });
	if (!alias.data) throw new Error(JSON.stringify(alias.error));
	const tpl = await client.POST("/api/v1/templates/", {
		body: { name: "typed", channel: "email", subject: "Hi {{first_name|there}}", body: "Hello" },
	});
	if (!tpl.data) throw new Error(JSON.stringify(tpl.error));
	const ds = await client.POST("/api/v1/datasets/", { body: { name: "typed", leads: [{ email: "t1@example.com" }] } });
	if (!ds.data) throw new Error(JSON.stringify(ds.error));
	// A body typed as its model: excess property checks catch unknown fields
	// (openapi-fetch infers the body of an inline literal generically).
	const body: CampaignCreate = {
		name: "typed client", dataset_id: ds.data.dataset_id, alias_ids: [alias.data.alias_id], daily_limit: 250,
		steps: [{ step: 1, variants: [{ label: "A", template_id: tpl.data.template_id }] }],
	};
	const created = await client.POST("/api/v1/campaigns/", { body });
	if (!created.data) throw new Error(JSON.stringify(created.error));
	const c: Campaign = created.data;
	const read = await client.GET("/api/v1/campaigns/{campaign_id}", { params: { path: { campaign_id: c.campaign_id } } });
	if (!read.data) throw new Error(JSON.stringify(read.error));
	const limit: number = read.data.daily_limit;
	const status: Campaign["status"] = read.data.status;
	const label: string = read.data.steps_config[0]?.variants?.[0]?.label ?? "";
	const listed = await client.GET("/api/v1/campaigns/", { params: { query: { status: "draft", limit: 10 } } });
	const bad = await client.POST("/api/v1/campaigns/", { body: { name: "", dataset_id: ds.data.dataset_id, steps: [{ step: 1 }] } });
	let first = "";
	if (bad.response.status === 422 && bad.error && "detail" in bad.error && Array.isArray(bad.error.detail)) {
		first = bad.error.detail[0]?.type ?? "";
	}
	console.log(JSON.stringify({ campaign_id: c.campaign_id, name: read.data.name, daily_limit: limit, status, label,
		listed: (listed.data ?? []).map((x) => x.campaign_id), bad_status: bad.response.status, bad_first: first }));
}

main().catch((e) => { console.error(e); process.exit(1); });
"""

# Mistakes the types must catch: an unknown field, a field of the wrong type
# in a request, a misspelt field and a wrong type in a response.
WRONG = [
    ("daily_limit: 250,", "daily_limt: 250,", "'daily_limt' does not exist"),
    ("daily_limit: 250,", "daily_limit: \"250\",", "Type 'string' is not assignable to type 'number'"),
    ("name: read.data.name,", "name: read.data.nam,", "Property 'nam' does not exist"),
    ("const limit: number = read.data.daily_limit;", "const limit: string = read.data.daily_limit;",
     "Type 'number' is not assignable to type 'string'"),
    ("{ label: \"A\", template_id", "{ label: 7, template_id", "Type 'number' is not assignable to type 'string'"),
    ("status: \"draft\", limit: 10", "status: \"drafted\", limit: 10", "\"drafted\""),
]


def tsc(cwd, source):
    with open(os.path.join(cwd, "client.mts"), "w") as f:
        f.write(source)
    return run([os.path.join(BIN, "tsc"), "--strict", "--target", "es2022", "--module", "nodenext",
                "--moduleResolution", "nodenext", "--outDir", "out", "client.mts"], cwd)


def test_typed_client_creates_and_reads_a_campaign(env):
    work = os.path.join(env.tmp, "client")
    os.makedirs(work)
    os.symlink(os.path.join(ROOT, "node_modules"), os.path.join(work, "node_modules"))
    r = run([os.path.join(BIN, "openapi-typescript"), os.path.join(env.tmp, "openapi.json"),
             "--default-non-nullable", "false", "-o", "api.d.ts"], work)
    assert r.returncode == 0, r.stdout + r.stderr
    r = tsc(work, CLIENT)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["node", os.path.join("out", "client.mjs")], work, BASE_URL=env.base, API_KEY=env.key)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["name"] == "typed client" and out["daily_limit"] == 250 and out["status"] == "draft"
    assert out["label"] == "A" and out["campaign_id"] in out["listed"]
    assert out["bad_status"] == 422 and out["bad_first"] == "string_too_short"
    got = env.srv.q1("SELECT daily_limit FROM campaigns.campaign WHERE campaign_id = %s", (out["campaign_id"],))
    assert got == 250
    for good, bad, message in WRONG:
        assert good in CLIENT
        r = tsc(work, CLIENT.replace(good, bad))
        assert r.returncode != 0 and "error TS" in r.stdout and message in r.stdout, (bad, r.stdout)


def check_order(doc, schema, value, where):
    """Every object described by schema has its keys in the order of its properties."""
    while "$ref" in schema:
        schema = resolve(doc, schema["$ref"])
    if "anyOf" in schema:
        for s in schema["anyOf"]:
            if s.get("type") != "null" and value is not None:
                check_order(doc, s, value, where)
        return
    if isinstance(value, list) and value and isinstance(value[0], tuple) and "properties" in schema:
        keys = [k for k, _ in value]
        props = list(schema["properties"])
        known = [k for k in keys if k in props]
        assert known == [p for p in props if p in keys], (where, keys)
        assert keys[:len(known)] == known, (where, keys)
        for k, v in value:
            if k in schema["properties"]:
                check_order(doc, schema["properties"][k], v, f"{where}.{k}")
    elif isinstance(value, list) and schema.get("items") is not None:
        for i, v in enumerate(value):
            check_order(doc, schema["items"], v, f"{where}[{i}]")


def test_response_fields_in_model_order(env):
    doc = env.doc
    s, _, al = env.call("POST", "/api/v1/aliases/", {"alias_id": "order-1", "full_email": "o@example.com"})
    s, _, tpl = env.call("POST", "/api/v1/templates/", {"name": "o", "channel": "email", "body": "Hi"})
    s, _, ds = env.call("POST", "/api/v1/datasets/", {"name": "o"})
    ds_id = plain(ds)["dataset_id"]
    env.call("POST", f"/api/v1/datasets/{ds_id}/leads", b"email,first_name,plan\na@example.com,A,pro\n", content_type="text/csv")
    env.call("POST", "/api/v1/sender-profiles/", {"profile_name": "o", "sender_data": {"custom_prompt": "x", "zz": 1, "a": 2}})
    env.call("POST", "/api/v1/connected-accounts/", {"name": "li"})
    body = {"name": "order", "dataset_id": ds_id, "alias_ids": ["order-1"], "steps": [
        {"step": 2, "delay_days": 1, "variants": [{"label": "B", "template_id": plain(tpl)["template_id"]}]},
        {"step": 1, "variants": [{"label": "A", "weight": 10, "template_id": plain(tpl)["template_id"]}]}]}
    s, _, created = env.call("POST", "/api/v1/campaigns/", body)
    assert s == 201, created
    cid = plain(created)["campaign_id"]
    seed = ["campaign_id", "user_id", "dataset_id", "name", "type", "status", "launch_type", "daily_limit",
            "sending_window_start", "sending_window_end", "min_interval_seconds", "timezone", "steps_config",
            "send_days", "created_at", "updated_at", "description", "start_date", "alias_ids",
            "connected_account_id", "total_leads", "processed_leads", "launch_job_id", "launch_requested_at",
            "launch_error", "system_prompt", "unreviewed_launch_policy", "paused_reason",
            "playground_discovery_dismissed_at"]
    # (then the campaign fields of SPEC §11)
    assert [k for k, _ in created] == seed + ["stop_on_reply", "max_bounce_rate", "bounce_window"]
    step = dict(created)["steps_config"][0]
    assert [k for k, _ in step] == ["step", "delay_days", "channel", "variants", "ai_personalization_enabled",
                                    "track_clicks", "action_type", "message_template"]
    assert [k for k, _ in dict(step)["variants"][0]] == ["label", "weight", "type", "template_id", "sender_profile_id"]
    s, _, launched = env.call("POST", f"/api/v1/campaigns/{cid}/launch")
    assert s == 202, launched
    s, _, leads = env.call("GET", f"/api/v1/campaigns/{cid}/leads")
    clid = plain(leads)[0]["campaign_lead_id"]
    env.call("POST", f"/api/v1/campaigns/{cid}/leads/{clid}/events", {"type": "opened", "data": {"b": 1, "a": 2}})
    checked = 0
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        real = (path.replace("{campaign_id}", cid).replace("{dataset_id}", ds_id)
                .replace("{campaign_lead_id}", clid).replace("{template_id}", plain(tpl)["template_id"]))
        if "{" in real or path.endswith("openapi.json"):
            continue
        s, _, value = env.call("GET", real)
        assert s == 200, (real, value)
        check_order(doc, op["responses"]["200"]["content"]["application/json"]["schema"], value, real)
        checked += 1
    assert checked >= 15
    check_order(doc, {"$ref": "#/components/schemas/LaunchResponse"}, launched, "launch")
    s, _, err = env.call("POST", "/api/v1/campaigns/", {"name": 5, "x": 1})
    assert s == 422
    check_order(doc, {"$ref": "#/components/schemas/HTTPValidationError"}, err, "422")
    assert [k for k, _ in err] == ["detail"]
