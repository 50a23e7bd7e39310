"""Rate counting of http_handle when the shared counters are full.

A server with campaigns.http_rate_slots = 2: the first two keys that make
a request in a minute are counted in shared memory, a third finds no free
slot and is counted in the table http_rate_window.  Every key is limited
alike either way.  (pg_regress covers slots = 0, the gateway test the
shared counters.)
"""
from conftest import make_server

USER = "00000000-0000-0000-00e7-000000000001"


def test_keys_beyond_the_shared_slots_are_counted_in_the_table(request):
    pg = make_server(request, {"campaigns.http_rate_slots": "2",
                               "campaigns.worker_enabled": "off"})
    keys = [pg.q("SELECT campaigns.api_key_create(%s, %s)", (USER, "k%d" % i))[0][0] for i in range(3)]
    pg.q("UPDATE campaigns.api_key SET rate_limit_per_minute = 3")
    with pg.connect() as conn:
        # One transaction: one minute's window for every request.
        with conn.transaction():
            statuses = {}
            for i, key in enumerate(keys):
                statuses["k%d" % i] = [
                    conn.execute("SELECT status FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', %s, '')",
                                 ('{"authorization": "Bearer %s"}' % key,)).fetchone()[0]
                    for _ in range(4)]
            rows = conn.execute("""
                SELECT k.name, w.store, w.hits FROM campaigns.http_rate_usage() w
                  JOIN campaigns.api_key k USING (api_key_id) ORDER BY k.name""").fetchall()
    assert statuses == {"k0": [200, 200, 200, 429], "k1": [200, 200, 200, 429], "k2": [200, 200, 200, 429]}
    assert rows == [("k0", "shared_memory", 4), ("k1", "shared_memory", 4), ("k2", "table", 4)]
