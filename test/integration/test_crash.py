"""At-least-once delivery across crashes: kill -9 of the worker, and an
immediate-mode stop of the postmaster, with thousands of actions in flight."""
import os
import signal
import time

import psycopg
import pytest

from conftest import make_server
from pgserver import seed, wait_for

N = 4000
IN_FLIGHT = 1000


@pytest.fixture
def pgc(request, sink):
    return make_server(request, {
        "campaigns.outbound_allow": "'127.0.0.1/32'",
        "campaigns.email_endpoint": "'%s'" % sink.url,
        "campaigns.max_in_flight": str(IN_FLIGHT),
        "campaigns.request_timeout_ms": "5000",
        "campaigns.lease_seconds": "1",
        "campaigns.retry_base_ms": "100",
        "campaigns.max_attempts": "10",
    })


def safe(f):
    def g():
        try:
            return f()
        except psycopg.Error:
            return None
    return g


def count_sent(pg, c):
    return pg.q1("SELECT count(*) FROM campaigns.action WHERE campaign_id = %s AND state = 'sent'", (c,))


def check_delivery(pg, sink, c):
    wait_for(safe(lambda: count_sent(pg, c) == N), timeout=240, interval=0.5, what="every action sent")
    rows = pg.q("SELECT idempotency_key, state FROM campaigns.action WHERE campaign_id = %s", (c,))
    keys = {k for k, _ in rows}
    assert len(rows) == N and len(keys) == N and {s for _, s in rows} == {"sent"}
    reqs = sink.requests()
    received = {r["key"] for r in reqs}
    assert received == keys                         # none lost
    dups = len(reqs) - len(received)
    # Re-sent: only what was in flight (or not yet recorded) at the crash.
    assert dups <= IN_FLIGHT + 500, dups
    for r in reqs:
        assert r["body"]["idempotency_key"] == r["key"]
    return dups


def test_kill_9_worker_loses_nothing(pgc, sink):
    sink.set_mode("slow:300")
    u, c = seed(pgc, N, steps=1)
    wait_for(lambda: pgc.worker()["in_flight"] >= IN_FLIGHT // 2 and count_sent(pgc, c) >= 300,
             timeout=120, what="many in flight")
    pid = pgc.worker_pid()
    os.kill(pid, signal.SIGKILL)
    # The postmaster restarts everything; the worker comes back.
    wait_for(safe(lambda: (pgc.worker_pid() or pid) != pid), timeout=60, interval=0.2, what="new worker")
    dups = check_delivery(pgc, sink, c)
    print("kill -9: %d duplicate requests" % dups)


def test_immediate_stop_loses_nothing(pgc, sink):
    sink.set_mode("slow:300")
    u, c = seed(pgc, N, steps=1)
    wait_for(lambda: pgc.worker()["in_flight"] >= IN_FLIGHT // 2 and count_sent(pgc, c) >= 300,
             timeout=120, what="many in flight")
    pgc.stop("immediate")
    in_flight_after = None
    pgc.restart_after_crash()
    in_flight_after = pgc.q1("SELECT count(*) FROM campaigns.action WHERE campaign_id = %s AND state = 'in_flight'", (c,))
    assert in_flight_after > 0            # the crash did catch actions in flight
    dups = check_delivery(pgc, sink, c)
    print("immediate stop: %d duplicate requests" % dups)
