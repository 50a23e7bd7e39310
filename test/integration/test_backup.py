"""Backups: pg_dump of a database with campaigns, restored into another.

pg_dump writes an extension's table rows only for the tables the extension
registers (sql/schema/95_dump.sql).  A dump restored as docs/operations.md
says (pg_restore with session_replication_role = replica, so that the status
guard and the foreign keys do not judge rows the dump already holds in a
consistent state) gives back every row of every user's table, unchanged,
numbering that goes on after the restored rows, and an API that serves
them; the rows the install script writes itself (the routes) are not
doubled.
"""
import os
import subprocess

from conftest import make_server
from pgserver import PGBIN, seed
from test_upgrade import table_digests

USER_A = "00000000-0000-0000-00b4-00000000000a"
USER_B = "00000000-0000-0000-00b4-00000000000b"


def run(*args, env=None):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=120,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr
    return r


def test_dump_and_restore_keep_every_row(request):
    pg = make_server(request, {"campaigns.worker_enabled": "off"})
    seed(pg, 7, user_id=USER_A, url="https://hooks.example.com/a", auth_header="Bearer s3cret")
    seed(pg, 3, user_id=USER_B)
    pg.q("CREATE ROLE backup_tenant LOGIN")
    pg.q("SELECT campaigns.role_bind('backup_tenant', %s)", (USER_A,))
    pg.q("SELECT campaigns.api_key_create(%s, 'k')", (USER_A,))
    pg.q("INSERT INTO campaigns.suppression (user_id, kind, value, reason) VALUES (%s, 'email', 'gone@example.com', 'manual')",
         (USER_A,))
    pg.q("INSERT INTO campaigns.event (user_id, campaign_id, type) SELECT user_id, campaign_id, 'notification'"
         " FROM campaigns.campaign")
    before, cols = table_digests(pg, "postgres")
    # (every table that holds users' data has rows to lose)
    assert {t for t, d in before.items() if d.startswith("0:")} <= {"campaign_daily_stats", "http_rate_window"}, before

    dump = os.path.join(pg.tmp, "campaigns.dump")
    conn = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]
    run(os.path.join(PGBIN, "pg_dump"), *conn, "-d", "postgres", "-Fc", "-f", dump)
    pg.q("CREATE DATABASE restored")
    run(os.path.join(PGBIN, "pg_restore"), *conn, "-d", "restored", "--exit-on-error", dump,
        env={"PGOPTIONS": "-c session_replication_role=replica"})

    after, _ = table_digests(pg, "restored", cols)
    assert after == before
    # identity columns go on numbering after the restored rows
    top = pg.q1("SELECT max(event_id) FROM campaigns.event", dbname="restored")
    new = pg.q1("INSERT INTO campaigns.event (user_id, type) VALUES (%s, 'notification') RETURNING event_id",
                (USER_A,), dbname="restored")
    assert new > top
    # the API serves the restored rows, the binding holds
    with pg.connect("restored") as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_B,))
        listed = c.execute("SELECT campaigns.campaign_list()").fetchone()[0]
        assert [x["user_id"] for x in listed] == [USER_B]
        assert c.execute("SELECT campaigns.delivery_endpoint_list('{}')").fetchone()[0] == []
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_A,))
        eps = c.execute("SELECT campaigns.delivery_endpoint_list('{}')").fetchone()[0]
        assert [(e["url"], e["has_auth_header"]) for e in eps] == [("https://hooks.example.com/a", True)]
    assert pg.q1("SELECT user_id::text FROM campaigns.role_binding WHERE role = 'backup_tenant'::regrole",
                 dbname="restored") == USER_A
