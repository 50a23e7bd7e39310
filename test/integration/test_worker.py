"""The background worker and HTTP dispatch, against a recording sink."""
import json
import os
import signal
import time

import pytest

from pgserver import DBNAME, seed, wait_for


def states(pg, campaign_id):
    return dict(pg.q("SELECT state, count(*) FROM campaigns.action WHERE campaign_id = %s GROUP BY 1",
                     (campaign_id,)))


def wait_settled(pg, campaign_id, timeout=60):
    """Waits until no action of the campaign is queued or in flight."""
    return wait_for(lambda: not ({"queued", "in_flight"} & set(states(pg, campaign_id))),
                    timeout=timeout, what="campaign %s to settle" % campaign_id)


def test_worker_running_and_status(pg):
    w = wait_for(lambda: pg.worker()["state"] in ("idle", "dispatching") and pg.worker(), what="worker")
    assert w["pid"] == pg.worker_pid()
    row = pg.q("SELECT database_name, started_at IS NOT NULL, last_pass_at IS NOT NULL FROM campaigns.worker_status")[0]
    assert row == (DBNAME, True, True)


def test_delivers_every_action_with_full_body(pg, sink, sink2):
    # One user with its own endpoint row and auth header, one on the GUC endpoint.
    u1, c1 = seed(pg, 40, url=sink2.url, auth_header="Bearer s3cret", ai=True,
                  custom_prompt="Profile prompt")
    u2, c2 = seed(pg, 30, ai=True, system_prompt="Campaign prompt " + "x" * 90)
    wait_settled(pg, c1)
    wait_settled(pg, c2)
    assert states(pg, c1) == {"sent": 40}
    assert states(pg, c2) == {"sent": 30}
    assert pg.q("SELECT attempts, last_error FROM campaigns.action WHERE attempts <> 1") == []

    keys1 = {r[0] for r in pg.q("SELECT idempotency_key FROM campaigns.action WHERE campaign_id = %s", (c1,))}
    got1 = sink2.requests()
    assert {r["key"] for r in got1} == keys1
    assert len(got1) == 40
    for r in got1:
        assert r["headers"]["authorization"] == "Bearer s3cret"
        assert r["headers"]["content-type"] == "application/json"
        b = r["body"]
        assert b["idempotency_key"] == r["key"]
        assert b["campaign_id"] == c1
        assert b["channel"] == "email" and b["action_type"] == "send_email"
        assert b["step"] == 1 and b["variant"] == "A" and b["attempt"] == 1
        assert b["alias_id"] == "al1" and b["alias_email"] == "me@example.com"
        assert b["track_clicks"] is True
        assert b["ai_personalization"] is True
        assert b["prompt"] == "Profile prompt"
        assert b["sender_profile_id"] is not None and b["template_id"] is not None
        lead = b["lead"]
        assert set(lead) >= {"email", "linkedin_url", "first_name", "last_name", "company", "title", "timezone", "fields"}
        assert b["subject"] is not None and b["body"] is not None
        assert "missing_fields" in b
        n = lead["fields"]["n"]
        assert lead["email"] == "lead%d@example.com" % n
        assert "message" not in b and "connected_account_id" not in b

    got2 = sink.requests()
    assert len(got2) == 30 and all("authorization" not in r["headers"] for r in got2)
    assert all(r["body"]["prompt"].startswith("Campaign prompt") for r in got2)

    # After a send, the lead's next step becomes eligible (delay_days 2).
    rows = pg.q("""SELECT cl.current_step, cl.next_step, cl.status, cl.eligible_at - a.sent_at
                     FROM campaigns.campaign_lead cl JOIN campaigns.action a USING (campaign_lead_id)
                    WHERE cl.campaign_id = %s""", (c1,))
    assert {(r[0], r[1], r[2]) for r in rows} == {(1, 2, "active")}
    assert {r[3].days for r in rows} == {2}
    w = pg.worker()
    assert w["sent"] >= 70 and w["claimed"] >= 70


def test_linkedin_body_and_default_prompt(pg, sink):
    u, c = seed(pg, 5, channel="linkedin", steps=1, ai=True)
    wait_settled(pg, c)
    reqs = sink.requests()
    assert len(reqs) == 5
    for r in reqs:
        b = r["body"]
        assert b["channel"] == "linkedin" and b["action_type"] == "message"
        assert b["connected_account_id"] is not None
        assert "alias_id" not in b and "subject" not in b
        assert b["message"] is not None
        assert "outreach message" in b["prompt"]   # the built-in default
    # The only step was sent: the leads completed.
    assert pg.q("SELECT DISTINCT status FROM campaigns.campaign_lead WHERE campaign_id = %s", (c,)) == [("completed",)]


def test_5xx_retried_with_backoff_until_max_attempts(pg, sink):
    sink.set_mode("status:503")
    u, c = seed(pg, 3)
    wait_settled(pg, c)
    assert states(pg, c) == {"failed": 3}
    reqs = sink.requests()
    by_key = {}
    for r in reqs:
        by_key.setdefault(r["key"], []).append(r)
    assert len(by_key) == 3
    for key, rs in by_key.items():
        assert len(rs) == 3                      # campaigns.max_attempts
        assert [r["body"]["attempt"] for r in rs] == [1, 2, 3]
        # Backoff: at least half of base * 2^(k-1) (equal jitter).
        assert rs[1]["t"] - rs[0]["t"] >= 0.1
        assert rs[2]["t"] - rs[1]["t"] >= 0.2
    rows = pg.q("SELECT attempts, http_status, last_error FROM campaigns.action WHERE campaign_id = %s", (c,))
    assert all(r[0] == 3 and r[1] == 503 and r[2].startswith("HTTP 503") for r in rows)
    # A failed action fails its lead, not the campaign (3 < streak limit):
    # with every lead finished the campaign completes, it is not paused.
    assert pg.q1("SELECT count(*) FROM campaigns.campaign_lead WHERE campaign_id = %s AND status = 'failed'", (c,)) == 3
    assert pg.q("SELECT status, paused_reason FROM campaigns.campaign WHERE campaign_id = %s", (c,)) == [("completed", None)]


def test_4xx_fails_at_once(pg, sink):
    sink.set_mode("status:422")
    u, c = seed(pg, 4)
    wait_settled(pg, c)
    assert states(pg, c) == {"failed": 4}
    assert len(sink.requests()) == 4
    assert pg.q("SELECT DISTINCT attempts, http_status FROM campaigns.action WHERE campaign_id = %s", (c,)) == [(1, 422)]


def test_429_honours_retry_after(pg, sink):
    sink.set_mode("retry_after:2")
    u, c = seed(pg, 2)
    wait_for(lambda: len(sink.requests()) >= 2, what="first attempts")
    sink.set_mode("ok")
    wait_settled(pg, c)
    assert states(pg, c) == {"sent": 2}
    by_key = {}
    for r in sink.requests():
        by_key.setdefault(r["key"], []).append(r["t"])
    for key, ts in by_key.items():
        assert len(ts) == 2
        assert ts[1] - ts[0] >= 2.0       # retry_base_ms is 200: only Retry-After explains 2 s


def test_429_honours_retry_after_http_date(pg, sink):
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3))
    sink.set_mode("retry_after:" + when)
    u, c = seed(pg, 1)
    wait_for(lambda: len(sink.requests()) >= 1, what="first attempt")
    sink.set_mode("ok")
    wait_settled(pg, c)
    ts = [r["t"] for r in sink.requests()]
    assert len(ts) == 2 and ts[1] - ts[0] >= 1.5


def test_timeout_retried_and_slow_endpoint_holds_back_nobody(pg, sink):
    pg.set_conf(campaigns__request_timeout_ms="3000")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.request_timeout_ms')") == "3s", what="reload")
    time.sleep(0.5)
    sink.set_mode("slow:6000")
    u1, slow = seed(pg, 1)
    wait_for(lambda: len(sink.requests()) == 1, what="the slow request")
    sink.set_mode("ok")
    u2, fast = seed(pg, 20)
    wait_settled(pg, fast)
    # The fast campaign is done while the slow request is still waiting.
    assert states(pg, fast) == {"sent": 20}
    assert states(pg, slow) == {"in_flight": 1}
    wait_settled(pg, slow)
    st, att, err = pg.q("SELECT state, attempts, last_error FROM campaigns.action WHERE campaign_id = %s", (slow,))[0]
    assert (st, att) == ("sent", 2)
    assert "timed out" in err        # the first attempt's error stays on record
    reqs = [r for r in sink.requests() if r["body"]["campaign_id"] == slow]
    assert len(reqs) == 2 and reqs[0]["key"] == reqs[1]["key"]
    # The timeout was recorded as a retry before the second attempt.
    assert pg.worker()["retried"] >= 1


def test_connection_refused_retried_then_failed(pg, sink):
    from conftest import DEAD_PORT
    u, c = seed(pg, 2, url="http://127.0.0.1:%d/x" % DEAD_PORT)
    wait_settled(pg, c)
    rows = pg.q("SELECT state, attempts, http_status, last_error FROM campaigns.action WHERE campaign_id = %s", (c,))
    for st, att, code, err in rows:
        assert (st, att, code) == ("failed", 3, None)
        assert "connect" in err.lower()


def test_missing_endpoint_retried(pg, sink):
    pg.set_conf(campaigns__linkedin_endpoint="")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.linkedin_endpoint')") == "", what="reload")
    time.sleep(0.5)
    u, c = seed(pg, 1, channel="linkedin", steps=1)
    wait_settled(pg, c)
    st, err = pg.q("SELECT state, last_error FROM campaigns.action WHERE campaign_id = %s", (c,))[0]
    assert st == "failed" and "no delivery endpoint" in err
    assert sink.requests() == []


def test_failure_streak_pauses_campaign(pg, sink):
    pg.set_conf(campaigns__max_in_flight="2")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.max_in_flight')") == "2", what="reload")
    time.sleep(0.5)
    sink.set_mode("status:400")
    u, c = seed(pg, 30)
    wait_for(lambda: pg.q1("SELECT status FROM campaigns.campaign WHERE campaign_id = %s", (c,)) == "paused",
             what="campaign paused")
    assert pg.q1("SELECT paused_reason FROM campaigns.campaign WHERE campaign_id = %s", (c,)) == "delivery_failing"
    time.sleep(1.5)
    n = len(sink.requests())
    assert n >= 10
    time.sleep(1.5)
    assert len(sink.requests()) == n         # nothing more goes out
    assert "cancelled" in states(pg, c)      # pausing cancels what was queued


def test_pause_while_in_flight_drains_then_pauses(pg, sink):
    pg.set_conf(campaigns__request_timeout_ms="10000", campaigns__max_in_flight="5")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.max_in_flight')") == "5", what="reload")
    sink.set_mode("slow:1500")
    u, c = seed(pg, 30)
    wait_for(lambda: len(sink.requests()) >= 5, what="requests in flight")
    with pg.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE campaigns.campaign SET status = 'draining' WHERE campaign_id = %s", (c,))
    inflight = len(sink.requests())
    assert inflight == 5
    wait_for(lambda: pg.q1("SELECT status FROM campaigns.campaign WHERE campaign_id = %s", (c,)) == "paused",
             what="draining -> paused")
    st = states(pg, c)
    assert st.get("sent") == 5 and st.get("queued") == 25 and "in_flight" not in st
    time.sleep(1.5)
    assert len(sink.requests()) == 5


def test_no_send_for_paused_campaign_or_stopped_lead(pg, sink):
    u, paused = seed(pg, 3, status="paused")
    u2, c = seed(pg, 4, status="draft")
    with pg.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("""UPDATE campaigns.campaign_lead SET status = 'stopped'
                         WHERE campaign_lead_id IN (SELECT campaign_lead_id FROM campaigns.campaign_lead
                                                     WHERE campaign_id = %s LIMIT 2)""", (c,))
        conn.execute("UPDATE campaigns.campaign SET status = 'active' WHERE campaign_id = %s", (c,))
        conn.execute("SELECT campaigns._wake_worker()")
    try:
        wait_for(lambda: states(pg, c).get("sent") == 2, what="live leads sent %s" % c, timeout=10)
    except AssertionError:
        print(states(pg, c), pg.q("select campaign_id, status from campaigns.campaign"), pg.q("select status, count(*) from campaigns.campaign_lead group by 1"), pg.worker(), sink.requests())
        raise
    time.sleep(1.5)
    assert states(pg, c) == {"sent": 2, "queued": 2}
    assert states(pg, paused) == {"queued": 3}
    assert len(sink.requests()) == 2


def test_sighup_applies_new_endpoint(pg, sink, sink2):
    pid = pg.worker_pid()
    pg.set_conf(campaigns__email_endpoint=sink2.url)
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.email_endpoint')") == sink2.url, what="reload")
    time.sleep(0.5)
    u, c = seed(pg, 5)
    wait_settled(pg, c)
    assert len(sink2.requests()) == 5 and sink.requests() == []
    assert pg.worker_pid() == pid


def test_survives_drop_database_of_another_database(pg, sink):
    pid = pg.worker_pid()
    pg.q("CREATE DATABASE other", dbname="template1")
    pg.q("DROP DATABASE other", dbname="template1")
    u, c = seed(pg, 3)
    wait_settled(pg, c)
    assert pg.worker_pid() == pid


def test_never_blocks_drop_of_its_database_or_extension(pg, sink):
    wait_for(pg.worker_pid, what="worker")
    # DROP EXTENSION: the worker holds no lock between passes.
    with pg.connect() as conn:
        conn.execute("SET lock_timeout = '5s'")
        conn.execute("DROP EXTENSION campaigns")
    time.sleep(1.5)
    assert pg.worker_pid() is not None
    with pg.connect() as conn:
        conn.execute("CREATE EXTENSION campaigns")
    u, c = seed(pg, 2)
    wait_settled(pg, c)
    # DROP DATABASE (without FORCE) of the worker's own database succeeds.
    pg.q("DROP DATABASE %s" % DBNAME, dbname="template1")
    assert "leaving database" in pg.log_text()


def test_sigterm_restarts_worker(pg, sink):
    pid = wait_for(pg.worker_pid, what="worker")
    os.kill(pid, signal.SIGTERM)
    new = wait_for(lambda: (pg.worker_pid() or pid) != pid and pg.worker_pid(), timeout=30,
                   what="worker restarted")
    assert new != pid
    u, c = seed(pg, 3)
    wait_settled(pg, c)


def test_idle_worker_does_not_busy_poll(pg, sink):
    wait_for(lambda: pg.worker()["state"] == "idle", what="idle worker")
    b0 = pg.worker()["batches"]
    time.sleep(3.0)
    b1 = pg.worker()["batches"]
    assert b1 - b0 <= 5           # the one-second heartbeat, not a spin


def api_campaign(pg, uid, n_leads, n_aliases):
    """Builds a campaign through the SQL API (as the tenant) and returns its id."""
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (uid,))
        ds = c.execute("SELECT campaigns.dataset_create('{\"name\": \"e2e\"}') ->> 'dataset_id'").fetchone()[0]
        leads = [{"email": "p%d@example.com" % i, "first_name": "P%d" % i, "company": "Co%d" % i}
                 for i in range(n_leads)]
        c.execute("SELECT campaigns.dataset_add_leads(%s, %s)", (ds, json.dumps(leads)))
        tpl = c.execute("""SELECT campaigns.template_create('{"name": "t", "channel": "email",
                              "subject": "Hi {{first_name}}", "body": "About {{company|you}} {{title}}"}') ->> 'template_id'""").fetchone()[0]
        aliases = []
        for i in range(n_aliases):
            c.execute("SELECT campaigns.alias_create(%s)",
                      (json.dumps({"alias_id": "a%d" % i, "full_email": "a%d@example.com" % i}),))
            aliases.append("a%d" % i)
        body = {"name": "e2e", "dataset_id": ds, "alias_ids": aliases, "min_interval_seconds": 60,
                "sending_window_start": "00:00:00", "sending_window_end": "24:00:00",
                "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "steps": [{"step": 1, "track_clicks": True, "variants": [{"label": "A", "template_id": tpl}]}]}
        cid = c.execute("SELECT campaigns.campaign_create(%s) ->> 'campaign_id'", (json.dumps(body),)).fetchone()[0]
        return cid


def test_end_to_end_launch_tick_dispatch(pg, sink):
    """campaign_create and campaign_launch through the API; the worker's tick
    queues one action per alias lane, dispatch delivers them, the outcomes
    complete the leads and the campaign."""
    uid = "00000000-0000-0000-0004-000000000e2e"
    cid = api_campaign(pg, uid, 4, 4)
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (uid,))
        c.execute("SELECT campaigns.campaign_launch(%s)", (cid,))
    wait_for(lambda: len(sink.requests()) == 4, what="four deliveries")
    wait_for(lambda: pg.q1("SELECT status FROM campaigns.campaign WHERE campaign_id = %s", (cid,)) == "completed",
             what="campaign completed")
    reqs = sink.requests()
    keys = {r[0] for r in pg.q("SELECT idempotency_key FROM campaigns.action WHERE campaign_id = %s", (cid,))}
    assert {r["key"] for r in reqs} == keys
    assert {r["body"]["alias_id"] for r in reqs} == {"a0", "a1", "a2", "a3"}
    for r in reqs:
        b = r["body"]
        n = b["lead"]["first_name"][1:]
        assert b["subject"] == "Hi P%s" % n
        assert b["body"] == "About Co%s " % n
        assert b["missing_fields"] == ["title"]
        assert b["track_clicks"] is True and b["variant"] == "A" and b["step"] == 1
    assert pg.q1("SELECT count(*) FROM campaigns.action WHERE campaign_id = %s AND render_warnings IS NOT NULL", (cid,)) == 4
    assert pg.worker()["ticks"] >= 1
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (uid,))
        stats = c.execute("SELECT campaigns.campaign_stats(%s)", (cid,)).fetchone()[0]
    assert stats["actions"]["sent"] == 4 and stats["leads"]["completed"] == 4
    assert stats["steps"][0]["variants"][0]["sent"] == 4


def test_api_pause_while_in_flight_drains(pg, sink):
    """campaign_pause with requests in flight: draining, then paused when they
    finish; nothing more goes out."""
    pg.set_conf(campaigns__request_timeout_ms="10000")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.request_timeout_ms')") == "10s", what="reload")
    uid = "00000000-0000-0000-0004-00000000d4a1"
    cid = api_campaign(pg, uid, 6, 3)
    sink.set_mode("slow:2000")
    with pg.connect() as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (uid,))
        c.execute("SELECT campaigns.campaign_launch(%s)", (cid,))
        wait_for(lambda: len(sink.requests()) == 3, what="three requests in flight")
        paused = c.execute("SELECT campaigns.campaign_pause(%s) ->> 'status'", (cid,)).fetchone()[0]
    assert paused == "draining"
    wait_for(lambda: pg.q1("SELECT status FROM campaigns.campaign WHERE campaign_id = %s", (cid,)) == "paused",
             what="draining -> paused")
    assert states(pg, cid).get("sent") == 3
    time.sleep(1.5)
    assert len(sink.requests()) == 3


def test_schedule_maintenance_with_pg_cron(request, sink):
    from conftest import PG_PORT_BASE
    from pgserver import PgServer
    srv = PgServer(PG_PORT_BASE + 1, {"cron.database_name": "'postgres'"}, preload="campaigns,pg_cron")
    request.addfinalizer(srv.cleanup)
    srv.start()
    srv.q("CREATE EXTENSION pg_cron")
    jobs = srv.q1("SELECT campaigns.schedule_maintenance(30)")
    assert [j["jobname"] for j in jobs] == ["campaigns-retention", "campaigns-stats-rollup"]
    rows = srv.q("SELECT jobname, schedule, command FROM cron.job ORDER BY jobname")
    assert rows == [("campaigns-retention", "17 3 * * *", "SELECT campaigns.purge_old(30)"),
                    ("campaigns-stats-rollup", "*/15 * * * *", "SELECT campaigns.stats_rollup()")]
    # Running it again replaces the jobs instead of adding more.
    srv.q1("SELECT campaigns.schedule_maintenance(7)")
    assert srv.q("SELECT count(*), min(command) FROM cron.job") == [(2, "SELECT campaigns.purge_old(7)")]
    # The commands run as written.
    assert srv.q1("SELECT campaigns.purge_old(7) ->> 'actions'") == "0"


def test_sigterm_lets_requests_in_flight_finish(pg, sink):
    """A clean stop records the outcomes of the requests in flight (they are
    not left to their lease and sent twice)."""
    pg.set_conf(campaigns__request_timeout_ms="5000")
    wait_for(lambda: pg.q1("SELECT current_setting('campaigns.request_timeout_ms')") == "5s", what="reload")
    time.sleep(0.5)
    sink.set_mode("slow:1500")
    u, c = seed(pg, 5)
    wait_for(lambda: len(sink.requests()) == 5, what="five requests in flight")
    pid = pg.worker_pid()
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: states(pg, c) == {"sent": 5}, timeout=20, what="in-flight outcomes recorded")
    new = wait_for(lambda: (pg.worker_pid() or pid) != pid and pg.worker_pid(), timeout=30,
                   what="worker restarted")
    wait_for(lambda: pg.worker()["state"] == "idle", what="new worker idle")
    time.sleep(1.0)
    assert len(sink.requests()) == 5 and new != pid
