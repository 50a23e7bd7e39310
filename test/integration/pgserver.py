"""Throw-away PostgreSQL servers for the integration tests.

Each PgServer gets its own data directory (initdb) under a temporary
directory, listens on 127.0.0.1 only, preloads campaigns and runs the worker
against its own database.  Every wait is bounded.
"""
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import psycopg

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
# Added to every port the integration tests use (scripts/test.sh sets it
# for a private installation, see CAMPAIGNS_PGROOT there).
PORT_OFFSET = int(os.environ.get("CAMPAIGNS_IT_PORT_OFFSET", "0"))
DBNAME = "postgres"
# Helpers share `make install`; a server starts and creates the extension
# while holding this lock, when the environment names it.
INSTALL_LOCK = os.environ.get("CAMPAIGNS_INSTALL_LOCK")


def wait_for(pred, timeout=60.0, interval=0.05, what="condition"):
    """Polls pred() until it returns a truthy value, or fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s (last: %r)" % (timeout, what, last))


class PgServer:
    def __init__(self, port, settings=None, preload="campaigns"):
        self.port = port
        self.tmp = tempfile.mkdtemp(prefix="campaigns-it-")
        os.chmod(self.tmp, 0o777)
        self.data = os.path.join(self.tmp, "data")
        self.log = os.path.join(self.tmp, "server.log")
        subprocess.run([os.path.join(PGBIN, "initdb"), "-D", self.data, "-A", "trust",
                        "-E", "UTF8", "--locale=C", "-U", "postgres"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        conf = {
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "'%s'" % self.tmp,
            "shared_preload_libraries": "'%s'" % preload,
            "campaigns.database_name": "'%s'" % DBNAME,
            "fsync": "off",
            "max_connections": "30",
            "shared_buffers": "64MB",
            "log_min_messages": "log",
            "timezone": "'UTC'",
        }
        conf.update(settings or {})
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))

    def pg_ctl(self, *args, timeout=120, check=True):
        return subprocess.run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                               "-w", "-t", "60"] + list(args),
                              check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout)

    def start(self, create=True):
        lock = None
        if INSTALL_LOCK:
            lock = open(INSTALL_LOCK, "a")   # O_CLOEXEC: the server does not inherit it
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                self.pg_ctl("start")
            except subprocess.CalledProcessError as e:
                # say why, instead of only that pg_ctl failed
                raise RuntimeError("PostgreSQL did not start on port %d: %s\n--- server log:\n%s" % (
                    self.port, (e.stderr or b"").decode(errors="replace"), self.log_text()[-4000:])) from None
            if create:
                with self.connect() as c:
                    c.execute("CREATE EXTENSION campaigns")
        finally:
            if lock:
                lock.close()
        return self

    def restart_after_crash(self):
        self.pg_ctl("start")

    def stop(self, mode="fast"):
        self.pg_ctl("stop", "-m", mode, check=False)

    def cleanup(self):
        self.stop("immediate")
        if os.environ.get("CAMPAIGNS_IT_SHOW_LOG"):
            print(self.log_text())
        shutil.rmtree(self.tmp, ignore_errors=True)

    def connect(self, dbname=DBNAME):
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=dbname, autocommit=True, connect_timeout=10)

    def q(self, sql, args=None, dbname=DBNAME):
        with self.connect(dbname) as c:
            cur = c.execute(sql, args)
            return cur.fetchall() if cur.description else None

    def q1(self, sql, args=None, dbname=DBNAME):
        rows = self.q(sql, args, dbname)
        return rows[0][0] if rows else None

    def set_conf(self, **settings):
        with self.connect() as c:
            for k, v in settings.items():
                c.execute("ALTER SYSTEM SET %s = %s" % (k.replace("__", "."), psycopg.sql.Literal(str(v)).as_string(c)))
            c.execute("SELECT pg_reload_conf()")

    def worker(self):
        rows = self.q("SELECT pid, state, claimed, sent, retried, failed, batches, ticks, errors, in_flight"
                      " FROM campaigns.worker_status")
        cols = ["pid", "state", "claimed", "sent", "retried", "failed", "batches", "ticks", "errors", "in_flight"]
        return dict(zip(cols, rows[0]))

    def worker_pid(self, dbname="template1"):
        return self.q1("SELECT pid FROM pg_stat_activity WHERE backend_type = 'campaigns worker'",
                       dbname=dbname)

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""


def seed(srv, n, url=None, auth_header=None, steps=None, channel="email", status="active",
         ai=False, system_prompt=None, custom_prompt=None, user_id=None):
    """Creates one user's campaign with n leads and one due action per lead
    (step 1), directly in the tables.  Returns (user_id, campaign_id)."""
    user_id = user_id or str(uuid.uuid4())
    campaign_id = str(uuid.uuid4())
    if steps is None:
        steps = 2
    steps_config = []
    for k in range(1, steps + 1):
        st = {"step": k, "delay_days": 0 if k == 1 else 2, "channel": channel,
              "ai_personalization_enabled": ai, "track_clicks": channel == "email" and k == 1,
              "action_type": "send_email" if channel == "email" else "message",
              "message_template": None if channel == "email" else "Hi {{first_name}}, about {{company|your team}}",
              "variants": []}
        if channel == "email":
            st["variants"] = [{"label": "A", "weight": 50, "type": "TEMPLATE",
                               "template_id": "TEMPLATE", "sender_profile_id": None}]
        steps_config.append(st)
    import json
    with srv.connect() as c:
        c.execute("SET session_replication_role = replica")  # no status-machine trigger for fixtures
        ds = c.execute("INSERT INTO campaigns.dataset (user_id, name) VALUES (%s, 'it') RETURNING dataset_id",
                       (user_id,)).fetchone()[0]
        tpl = c.execute("INSERT INTO campaigns.template (user_id, name, channel, subject, body)"
                        " VALUES (%s, 't', %s, 'Hello {{first_name}}', 'Dear {{first_name}} at {{company|your team}}')"
                        " RETURNING template_id", (user_id, channel)).fetchone()[0]
        cfg = json.dumps(steps_config).replace('"TEMPLATE"', '"%s"' % tpl)
        c.execute("INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES (%s, 'al1', 'me@example.com')"
                  " ON CONFLICT DO NOTHING", (user_id,))
        c.execute("INSERT INTO campaigns.sender_profile (user_id, profile_name, sender_data, is_default)"
                  " VALUES (%s, 'me', %s, true) ON CONFLICT DO NOTHING",
                  (user_id, json.dumps({"custom_prompt": custom_prompt} if custom_prompt else {})))
        acct = c.execute("INSERT INTO campaigns.connected_account (user_id, name) VALUES (%s, 'li') RETURNING connected_account_id",
                         (user_id,)).fetchone()[0]
        if url is not None:
            # as delivery_endpoint_create stores it: the header encrypted for
            # its row and user (directly, so that any URL can be tested)
            c.execute("DELETE FROM campaigns.delivery_endpoint WHERE user_id = %s AND channel = %s", (user_id, channel))
            c.execute("""INSERT INTO campaigns.delivery_endpoint (delivery_endpoint_id, user_id, channel, url, auth_header)
                         SELECT id, %s, %s, %s, campaigns._secret_encrypt(%s, %s, campaigns._delivery_endpoint_secret_context(id))
                           FROM gen_random_uuid() id""",
                      (user_id, channel, url, auth_header, user_id))
        c.execute("""INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, status, launch_type,
                        daily_limit, sending_window_start, sending_window_end, min_interval_seconds, timezone,
                        send_days, steps_config, alias_ids, connected_account_id, system_prompt,
                        unreviewed_launch_policy, total_leads, activated_at)
                     VALUES (%s, %s, %s, 'it', %s, %s, 'immediate', 10000, '00:00', '24:00', 60, 'UTC',
                        '{mon,tue,wed,thu,fri,sat,sun}', %s, '{al1}', %s, %s, 'launch_default', %s, now())""",
                  (campaign_id, user_id, ds, channel, status, cfg, acct, system_prompt, n))
        c.execute("""INSERT INTO campaigns.lead (user_id, dataset_id, email, first_name, last_name, company, title, fields)
                     SELECT %s, %s, 'lead' || g || '@example.com', 'First' || g, 'Last' || g,
                            CASE WHEN g %% 2 = 0 THEN 'Co' || g END, 'CTO', jsonb_build_object('n', g)
                       FROM generate_series(1, %s) g""", (user_id, ds, n))
        c.execute("""INSERT INTO campaigns.campaign_lead (user_id, campaign_id, lead_id, status, current_step, next_step, variants)
                     SELECT %s, %s, lead_id, 'active', 0, 1, '{"1":"A"}' FROM campaigns.lead WHERE dataset_id = %s""",
                  (user_id, campaign_id, ds))
        c.execute("""INSERT INTO campaigns.action (user_id, campaign_id, campaign_lead_id, step, variant, channel,
                        action_type, alias_id, connected_account_id, idempotency_key, due_at, next_attempt_at)
                     SELECT cl.user_id, cl.campaign_id, cl.campaign_lead_id, 1, %s, %s, %s,
                            CASE WHEN %s = 'email' THEN 'al1' END,
                            CASE WHEN %s = 'linkedin' THEN %s::uuid END,
                            cl.campaign_lead_id || ':1', now(), now()
                       FROM campaigns.campaign_lead cl WHERE cl.campaign_id = %s""",
                  ("A" if channel == "email" else None, channel,
                   "send_email" if channel == "email" else "message", channel, channel, acct, campaign_id))
        c.execute("SELECT campaigns._wake_worker()")
    return user_id, campaign_id
