"""The outbound guard and stored secrets, with the worker delivering.

- Every connection the worker makes is checked on the address it connects
  to, after DNS: loopback, private, link-local (metadata), IPv6 loopback, an
  IPv4-mapped loopback and a name that resolves to loopback are refused --
  the action fails at once with the reason, the sink receives nothing --
  unless campaigns.outbound_allow lists them; the GUC endpoints are checked
  alike; a change of the allow-list applies on SIGHUP, to connections
  already open too.
- Auth headers are stored encrypted: the sink receives them decrypted, the
  server log never shows them (not even for a failed call that carried
  one), a ciphertext copied to another row does not decrypt, and the key
  file's life (created at start, replaced, readable by others, hex form,
  missing, turned off) gives clear outcomes.
- The upgrade from 0.1.0 encrypts the auth headers it finds, and refuses to
  run without a key while there are any.
"""
import json
import os
import re
import stat
import uuid

import psycopg
import pytest

from conftest import PG_PORT_BASE, make_server
from pgserver import PgServer, seed, wait_for

REFUSED = " refused: the address is not allowed (campaigns.outbound_allow)"


def actions(pg, campaign_id):
    return pg.q("SELECT state, attempts, last_error FROM campaigns.action WHERE campaign_id = %s ORDER BY action_id",
                (campaign_id,))


def settled(pg, campaign_id, timeout=60):
    """The campaign's actions once none is queued or in flight."""
    def done():
        rows = actions(pg, campaign_id)
        return rows if rows and all(r[0] not in ("queued", "in_flight") for r in rows) else None
    return wait_for(done, timeout=timeout, what="campaign %s to settle" % campaign_id)


def set_allow(pg, value):
    """Sets campaigns.outbound_allow and waits until the worker has it."""
    seen = pg.log_text().count("campaigns.outbound_allow is now")
    pg.set_conf(campaigns__outbound_allow=value)
    wait_for(lambda: pg.log_text().count("campaigns.outbound_allow is now") > seen,
             what="the worker to reload campaigns.outbound_allow")


def as_user(pg, user_id, sql, args=()):
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (user_id,))
        return c.execute(sql, args).fetchone()[0]


def endpoint_create(pg, user_id, body):
    return as_user(pg, user_id, "SELECT campaigns.delivery_endpoint_create(%s)", (json.dumps(body),))


@pytest.fixture
def guarded(request, sink):
    """A server that allows nothing special, its GUC endpoint on the sink;
    errors go to its log too (as they do by default)."""
    return make_server(request, {
        "log_min_messages": "warning",
        "campaigns.outbound_allow": "''",
        "campaigns.email_endpoint": "'%s'" % sink.url,
        "campaigns.request_timeout_ms": "2000",
        "campaigns.retry_base_ms": "200",
        "campaigns.retry_max_ms": "1000",
        "campaigns.lease_seconds": "1",
        "campaigns.max_attempts": "3",
    })


def test_special_addresses_refused_unless_allowed(guarded, sink):
    pg = guarded
    port = sink.port
    targets = {
        "loopback": ("http://127.0.0.1:%d/deliver" % port, {"127.0.0.1"}),
        "private": ("http://10.0.0.1:%d/deliver" % port, {"10.0.0.1"}),
        "metadata": ("http://169.254.169.254:%d/latest/meta-data/" % port, {"169.254.169.254"}),
        "ipv6 loopback": ("http://[::1]:%d/deliver" % port, {"::1"}),
        "mapped loopback": ("http://[::ffff:127.0.0.1]:%d/deliver" % port, {"::ffff:127.0.0.1"}),
        "a name for loopback": ("http://localhost:%d/deliver" % port, {"127.0.0.1", "::1"}),
    }
    campaigns = {name: seed(pg, 2, url=url, steps=1)[1] for name, (url, _) in targets.items()}
    campaigns["the GUC endpoint"] = seed(pg, 2, steps=1)[1]
    targets["the GUC endpoint"] = (sink.url, {"127.0.0.1"})
    for name, cid in campaigns.items():
        rows = settled(pg, cid)
        addrs = targets[name][1]
        for state, attempts, last_error in rows:
            # failed at the first attempt, not retried, with the address
            assert (state, attempts) == ("failed", 1), (name, rows)
            m = re.fullmatch(r"outbound connection to (\S+)" + re.escape(REFUSED), last_error or "")
            assert m and m.group(1) in addrs, (name, last_error)
    assert sink.requests() == []


def test_allowed_addresses_delivered_and_reload_applies(guarded, sink):
    pg = guarded
    port = sink.port
    set_allow(pg, "127.0.0.1/32")
    ok = {
        "loopback": seed(pg, 2, url="http://127.0.0.1:%d/deliver" % port, steps=1)[1],
        "mapped loopback": seed(pg, 2, url="http://[::ffff:127.0.0.1]:%d/deliver" % port, steps=1)[1],
        "a name for loopback": seed(pg, 2, url="http://localhost:%d/deliver" % port, steps=1)[1],
        "the GUC endpoint": seed(pg, 2, steps=1)[1],
    }
    _, v6 = seed(pg, 2, url="http://[::1]:%d/deliver" % port, steps=1)
    for name, cid in ok.items():
        assert {r[0] for r in settled(pg, cid)} == {"sent"}, name
    assert {r[2] for r in settled(pg, v6)} == {"outbound connection to ::1" + REFUSED}
    assert len(sink.requests()) == 8

    # Allowed no more: refused on the connections curl keeps open as well.
    set_allow(pg, "")
    uid = pg.q1("SELECT user_id FROM campaigns.campaign WHERE campaign_id = %s", (ok["loopback"],))
    _, again = seed(pg, 2, url="http://127.0.0.1:%d/deliver" % port, steps=1, user_id=str(uid))
    rows = settled(pg, again)
    assert rows == [("failed", 1, "outbound connection to 127.0.0.1" + REFUSED)] * 2
    assert len(sink.requests()) == 8

    # A wider range lets them go again.
    set_allow(pg, "10.0.0.0/8, 127.0.0.0/8")
    _, third = seed(pg, 1, url="http://127.0.0.1:%d/deliver" % port, steps=1)
    assert settled(pg, third) == [("sent", 1, None)]
    assert len(sink.requests()) == 9


def test_bad_allow_list_keeps_the_old_one(guarded, sink):
    pg = guarded
    set_allow(pg, "127.0.0.1/32")
    with pg.connect() as c:
        c.execute("ALTER SYSTEM SET campaigns.outbound_allow = '127.0.0.1/32'")
        # ALTER SYSTEM refuses a bad list; a bad line in the file is
        # refused at reload and the old list stays in force.
        with pytest.raises(psycopg.Error) as e:
            c.execute("ALTER SYSTEM SET campaigns.outbound_allow = '127.0.0.1/40'")
        assert "invalid prefix length" in str(e.value.diag.message_detail)
    with open(os.path.join(pg.data, "postgresql.conf"), "a") as f:
        f.write("campaigns.outbound_allow = 'nonsense'\n")
    with open(os.path.join(pg.data, "postgresql.auto.conf"), "w") as f:
        f.write("")
    pg.q("SELECT pg_reload_conf()")
    wait_for(lambda: 'invalid value for parameter "campaigns.outbound_allow"' in pg.log_text(),
             what="the reload to refuse the list")
    _, cid = seed(pg, 1, steps=1)
    assert settled(pg, cid) == [("sent", 1, None)]


def test_auth_header_arrives_decrypted_and_is_never_logged(guarded, sink, sink2):
    pg = guarded
    set_allow(pg, "127.0.0.1/32")
    s1, s2 = "s3cr3t-" + uuid.uuid4().hex, "s3cr3t-" + uuid.uuid4().hex
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    ea = endpoint_create(pg, a, {"channel": "email", "url": sink2.url, "auth_header": "Bearer " + s1})
    eb = endpoint_create(pg, b, {"channel": "email", "url": sink2.url, "auth_header": "X-Api-Key: " + s2})
    assert ea["has_auth_header"] and eb["has_auth_header"] and s1 not in json.dumps(ea)
    # Calls that fail while carrying the secret, in literal SQL: the error is
    # logged, the statement (and the secret in it) is not.
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (a,))
        for body, sqlstate in [('{"channel": "email", "url": "%s", "auth_header": "Bearer %s"}' % (sink2.url, s1), "55000"),
                               ('{"channel": "linkedin", "url": "ftp://x/", "auth_header": "Bearer %s"}' % s1, "22023"),
                               ('{"url": "gopher://x/", "auth_header": "Bearer %s"}' % s1, "22023")]:
            with pytest.raises(psycopg.Error) as e:
                c.execute("SELECT campaigns.delivery_endpoint_create('%s')" % body)
            assert e.value.sqlstate == sqlstate
            assert s1 not in str(e.value) and s1 not in str(e.value.diag.message_detail)
        with pytest.raises(psycopg.Error):
            c.execute("SELECT campaigns.delivery_endpoint_update('%s', '{\"url\": 5, \"auth_header\": \"Bearer %s\"}')"
                      % (ea["delivery_endpoint_id"], s1))
    _, ca = seed(pg, 3, steps=1, user_id=a)
    _, cb = seed(pg, 2, steps=1, user_id=b)
    assert {r[0] for r in settled(pg, ca)} == {"sent"}
    assert {r[0] for r in settled(pg, cb)} == {"sent"}
    got = sink2.requests()
    by_campaign = {}
    for r in got:
        by_campaign.setdefault(r["body"]["campaign_id"], []).append(r["headers"])
    assert [h["authorization"] for h in by_campaign[ca]] == ["Bearer " + s1] * 3
    assert [h["x-api-key"] for h in by_campaign[cb]] == [s2] * 2
    assert all("authorization" not in h for h in by_campaign[cb])
    log = pg.log_text()
    assert "a delivery endpoint for this channel exists" in log   # the errors were logged...
    assert s1 not in log and s2 not in log                        # ...without the secret
    # nor is it in the table, the actions or any view a tenant has
    assert pg.q1("SELECT count(*) FROM campaigns.delivery_endpoint t WHERE t::text LIKE '%%s3cr3t%%'"
                 " OR position('s3cr3t'::bytea IN t.auth_header) > 0") == 0
    assert pg.q1("SELECT count(*) FROM campaigns.action t WHERE t::text LIKE '%%s3cr3t%%'") == 0


def test_ciphertext_copied_to_another_row_does_not_decrypt(guarded, sink, sink2):
    pg = guarded
    set_allow(pg, "127.0.0.1/32")
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    endpoint_create(pg, a, {"channel": "email", "url": sink2.url, "auth_header": "Bearer a-s3cr3t"})
    endpoint_create(pg, a, {"channel": "linkedin", "url": sink2.url})
    endpoint_create(pg, b, {"channel": "email", "url": sink2.url})
    # The owner (or anyone who could write the table) copies A's ciphertext
    # into B's row and into A's other row.
    pg.q("""UPDATE campaigns.delivery_endpoint t SET auth_header = s.auth_header
              FROM campaigns.delivery_endpoint s
             WHERE s.user_id = %s AND s.channel = 'email'
               AND ((t.user_id = %s AND t.channel = 'email') OR (t.user_id = %s AND t.channel = 'linkedin'))""",
         (a, b, a))
    _, cb = seed(pg, 1, steps=1, user_id=b)
    _, cl = seed(pg, 1, steps=1, user_id=a, channel="linkedin")
    _, ca = seed(pg, 1, steps=1, user_id=a)
    why = ("the delivery endpoint's auth header cannot be sent: the stored secret does not decrypt"
           " (it was not stored for this row, or was altered); store it again")
    assert settled(pg, cb) == [("failed", 1, why)]
    assert settled(pg, cl) == [("failed", 1, why)]
    assert settled(pg, ca) == [("sent", 1, None)]
    got = sink2.requests()
    assert [r["body"]["campaign_id"] for r in got] == [ca]
    assert got[0]["headers"]["authorization"] == "Bearer a-s3cr3t"


@pytest.fixture
def keyed(request, sink):
    """A server with the default key file, patient retries, errors and
    warnings in its log."""
    return make_server(request, {
        "log_min_messages": "warning",
        "campaigns.outbound_allow": "'127.0.0.1/32'",
        "campaigns.email_endpoint": "'%s'" % sink.url,
        "campaigns.retry_base_ms": "100",
        "campaigns.retry_max_ms": "300",
        "campaigns.lease_seconds": "1",
        "campaigns.max_attempts": "100",
    })


def test_secret_key_file_life(keyed, sink, sink2):
    pg = keyed
    key = os.path.join(pg.data, "campaigns_secret.key")

    # Created by the postmaster at start: 32 random bytes, mode 0600.
    st = os.stat(key)
    assert st.st_size == 32 and stat.S_IMODE(st.st_mode) == 0o600
    assert 'created the secret key file "%s"' % key in pg.log_text()
    with open(key, "rb") as f:
        original = f.read()

    a = str(uuid.uuid4())
    endpoint_create(pg, a, {"channel": "email", "url": sink2.url, "auth_header": "Bearer k-s3cr3t"})

    def deliver():
        _, cid = seed(pg, 1, steps=1, user_id=a)
        return settled(pg, cid)

    assert deliver() == [("sent", 1, None)]
    assert sink2.requests()[-1]["headers"]["authorization"] == "Bearer k-s3cr3t"

    # Another key in the file (a new file, as an operator would put it): the
    # worker notices, and the secret no longer decrypts.
    def put_key(data, mode=0o600):
        tmp = key + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, key)

    put_key(os.urandom(32))
    assert deliver() == [("failed", 1, "the delivery endpoint's auth header cannot be sent:"
                                        " the stored secret was encrypted with another key; store it again")]
    # The same key in hex (64 digits and a newline) is the same key.
    put_key(original.hex().encode() + b"\n")
    assert deliver() == [("sent", 1, None)]

    # A key file others can read is refused: storing fails with a clear
    # error (the details in the server log only), sending waits for it.
    os.chmod(key, 0o644)
    with pytest.raises(psycopg.Error) as e:
        endpoint_create(pg, str(uuid.uuid4()), {"channel": "email", "url": sink2.url, "auth_header": "x"})
    assert e.value.sqlstate == "F0000"
    assert str(e.value.diag.message_primary) == "secrets cannot be stored: the server's secret key is not available"
    assert key not in str(e.value)
    assert 'secret key file "%s" has mode 0644' % key in pg.log_text()
    _, waiting = seed(pg, 1, steps=1, user_id=a)
    wait_for(lambda: pg.q1("SELECT attempts > 0 AND state = 'queued' AND last_error = %s FROM campaigns.action"
                           " WHERE campaign_id = %s",
                           ("the delivery endpoint's auth header cannot be sent: the server's secret key is not"
                            " available (see the server log)", waiting)),
             what="the action to wait for the key")
    assert "stored secrets cannot be decrypted" in pg.log_text()
    os.chmod(key, 0o600)
    assert {r[0] for r in settled(pg, waiting)} == {"sent"}

    # No key file configured: secrets cannot be stored.
    pg.set_conf(campaigns__secret_key_file="")
    with pytest.raises(psycopg.Error) as e:
        endpoint_create(pg, str(uuid.uuid4()), {"channel": "email", "url": sink2.url, "auth_header": "x"})
    assert str(e.value.diag.message_primary) == "secrets cannot be stored: no secret key is configured"
    # ...but endpoints without one can.
    assert not endpoint_create(pg, str(uuid.uuid4()), {"channel": "email", "url": sink2.url})["has_auth_header"]

    # A file that does not exist yet is created when a secret is first stored.
    pg.set_conf(campaigns__secret_key_file="other.key")
    other = os.path.join(pg.data, "other.key")
    assert not os.path.exists(other)
    assert endpoint_create(pg, str(uuid.uuid4()), {"channel": "email", "url": sink2.url, "auth_header": "x"})["has_auth_header"]
    st = os.stat(other)
    assert st.st_size == 32 and stat.S_IMODE(st.st_mode) == 0o600
    assert 'created the secret key file "%s"' % other in pg.log_text()
    assert "k-s3cr3t" not in pg.log_text()


def start_0_1_0(request, sink, settings=None):
    conf = {"campaigns.worker_enabled": "off", "campaigns.outbound_allow": "'127.0.0.1/32'",
            "log_min_messages": "warning",
            "campaigns.email_endpoint": "'%s'" % sink.url}
    conf.update(settings or {})
    srv = PgServer(PG_PORT_BASE, conf)
    request.addfinalizer(srv.cleanup)
    srv.start(create=False)
    srv.q("CREATE EXTENSION campaigns VERSION '0.1.0'")
    return srv


def test_upgrade_encrypts_auth_headers(request, sink, sink2):
    pg = start_0_1_0(request, sink, {"campaigns.secret_key_file": "''"})
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    pg.q("""INSERT INTO campaigns.delivery_endpoint (user_id, channel, url, auth_header)
            VALUES (%s, 'email', %s, 'Bearer old-s3cr3t'), (%s, 'email', %s, ''), (%s, 'email', %s, NULL)""",
         (a, sink2.url, b, sink2.url, c, sink2.url))

    # Without a key the upgrade cannot encrypt them: it fails, changes nothing.
    with pytest.raises(psycopg.Error) as e:
        pg.q("ALTER EXTENSION campaigns UPDATE")
    assert str(e.value.diag.message_primary) == "secrets cannot be stored: no secret key is configured"
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'") == "0.1.0"
    assert pg.q1("SELECT auth_header FROM campaigns.delivery_endpoint WHERE user_id = %s", (a,)) == "Bearer old-s3cr3t"

    pg.set_conf(campaigns__secret_key_file="campaigns_secret.key")
    pg.q("ALTER EXTENSION campaigns UPDATE")
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'") == "0.2.0"
    rows = pg.q("""SELECT user_id::text, auth_header IS NOT NULL, position('old-s3cr3t'::bytea IN coalesce(auth_header, ''))
                     FROM campaigns.delivery_endpoint ORDER BY user_id""")
    assert sorted(rows) == sorted([(a, True, 0), (b, False, 0), (c, False, 0)])
    assert pg.q1("SELECT count(DISTINCT delivery_endpoint_id) FROM campaigns.delivery_endpoint") == 3
    assert as_user(pg, a, "SELECT campaigns.delivery_endpoint_list()")[0]["has_auth_header"] is True

    # The worker decrypts what the upgrade encrypted.
    pg.set_conf(campaigns__worker_enabled="on")
    _, ca = seed(pg, 1, steps=1, user_id=a)
    _, cb = seed(pg, 1, steps=1, user_id=b)
    assert settled(pg, ca) == [("sent", 1, None)]
    assert settled(pg, cb) == [("sent", 1, None)]
    heads = {r["body"]["campaign_id"]: r["headers"] for r in sink2.requests()}
    assert heads[ca]["authorization"] == "Bearer old-s3cr3t"
    assert "authorization" not in heads[cb]
    assert "old-s3cr3t" not in pg.log_text()
