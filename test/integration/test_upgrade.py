"""The upgrade from 0.1.0: ALTER EXTENSION campaigns UPDATE on a database
that has data.

One server, two databases: `fresh` gets the current version with CREATE
EXTENSION, `upgraded` gets 0.1.0 (sql/campaigns--0.1.0.sql, as released),
then data, then ALTER EXTENSION campaigns UPDATE.  Afterwards

- the upgraded database has exactly the objects of the fresh one: every
  function (its whole definition, owner and grants), table (columns in
  order, defaults, constraints, indexes, triggers, policies, row-level
  security, grants), view, comment and the rows of the route table;
- every row that existed before is still there, unchanged in the columns
  0.1.0 had;
- the current version's rules hold on the upgraded data (see
  test_rules_in_force_after_upgrade).
"""
import json

import psycopg
import pytest

from conftest import make_server

USER_A = "00000000-0000-0000-00a9-00000000000a"
USER_B = "00000000-0000-0000-00a9-00000000000b"

# Every object of the extension (pg_depend deptype 'e'), one line each, in a
# form that is equal when the objects are: definitions are compared through
# md5 to keep the lines short, ACLs are sorted.
FINGERPRINT = r"""
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'campaigns'),
members AS (
	SELECT d.classid, d.objid FROM pg_depend d, ext
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
lines AS (
	-- functions
	SELECT format('function %s owner=%s acl=%s def=%s comment=%s', p.oid::regprocedure, p.proowner::regrole,
				  (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(p.proacl) x),
				  md5(CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE p.prosrc END),
				  md5(coalesce(obj_description(p.oid, 'pg_proc'), ''))) AS line
	  FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	UNION ALL
	-- relations
	SELECT format('relation %s kind=%s persistence=%s owner=%s rls=%s force=%s acl=%s options=%s comment=%s',
				  c.oid::regclass, c.relkind, c.relpersistence, c.relowner::regrole, c.relrowsecurity,
				  c.relforcerowsecurity,
				  (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(c.relacl) x),
				  c.reloptions, md5(coalesce(obj_description(c.oid, 'pg_class'), '')))
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	-- columns, in order
	SELECT format('column %s #%s %s %s notnull=%s default=%s generated=%s identity=%s compression=%s acl=%s comment=%s',
				  c.oid::regclass, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
				  pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated, a.attidentity, a.attcompression,
				  (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x),
				  md5(coalesce(col_description(c.oid, a.attnum), '')))
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
	 WHERE c.relkind IN ('r', 'v', 'p', 'u')
	UNION ALL
	-- view definitions
	SELECT format('view %s %s', c.oid::regclass, md5(pg_get_viewdef(c.oid)))
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	 WHERE c.relkind = 'v'
	UNION ALL
	-- indexes of member tables
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	  FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
	UNION ALL
	-- constraints of member tables
	SELECT format('constraint %s %s %s', co.conrelid::regclass, co.conname, pg_get_constraintdef(co.oid))
	  FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
	UNION ALL
	-- triggers of member tables
	SELECT format('trigger %s', pg_get_triggerdef(t.oid))
	  FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
	 WHERE NOT t.tgisinternal
	UNION ALL
	-- policies of member tables
	SELECT format('policy %s %s cmd=%s permissive=%s roles=%s using=%s check=%s', po.polrelid::regclass,
				  po.polname, po.polcmd, po.polpermissive,
				  (SELECT string_agg(r::regrole::text, ',' ORDER BY r::regrole::text) FROM unnest(po.polroles) r),
				  pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid))
	  FROM members m JOIN pg_policy po ON m.classid = 'pg_class'::regclass AND po.polrelid = m.objid
	UNION ALL
	-- types, schemas and anything else that is a member
	SELECT format('type %s owner=%s', t.oid::regtype, t.typowner::regrole)
	  FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
	UNION ALL
	SELECT format('schema %s owner=%s acl=%s', n.nspname, n.nspowner::regrole,
				  (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(n.nspacl) x))
	  FROM pg_namespace n WHERE n.nspname = 'campaigns'
	UNION ALL
	SELECT format('member %s', pg_describe_object(m.classid, m.objid, 0))
	  FROM members m WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass)
	UNION ALL
	SELECT format('extension config=%s', (SELECT array_agg(x::regclass::text ORDER BY x::regclass::text)
											FROM unnest(e.extconfig) x))
	  FROM pg_extension e WHERE e.extname = 'campaigns'
	UNION ALL
	-- the route table's rows (data the install script writes)
	SELECT format('route %s', r::text) FROM campaigns.http_route r
)
SELECT line FROM lines ORDER BY line
"""


def fingerprint(pg, db):
    return [r[0] for r in pg.q(FINGERPRINT, dbname=db)]


def seed_0_1_0(pg, db):
    """Data of two users in a 0.1.0 installation: what the 0.1.0 API writes
    where it is plain SQL, the rest (a launched campaign with enrolled leads,
    actions and events) directly, as the 0.1.0 scheduler would have."""
    with pg.connect(db) as c:
        for uid in (USER_A, USER_B):
            c.execute("SELECT campaigns.api_key_create(%s, 'k')", (uid,))
            c.execute("SELECT set_config('campaigns.user_id', %s, false)", (uid,))
            ds = c.execute("SELECT campaigns.dataset_create('{\"name\": \"d\"}') ->> 'dataset_id'").fetchone()[0]
            c.execute("SELECT campaigns.dataset_add_leads(%s, %s)",
                      (ds, json.dumps([{"email": "l%d@example.com" % i, "first_name": "L%d" % i} for i in range(5)])))
            tpl = c.execute("""SELECT campaigns.template_create('{"name": "t", "channel": "email",
                               "subject": "Hi {{first_name}}", "body": "Hello"}') ->> 'template_id'""").fetchone()[0]
            c.execute("""SELECT campaigns.alias_create('{"alias_id": "a1", "full_email": "a@example.com"}')""")
            c.execute("""SELECT campaigns.sender_profile_create('{"profile_name": "p", "is_default": true}')""")
            c.execute("""SELECT campaigns.connected_account_create('{"name": "li"}')""")
            c.execute("RESET campaigns.user_id")
            c.execute("SET session_replication_role = replica")
            steps = [{"step": 1, "delay_days": 0, "channel": "email", "variants": [
                {"label": "A", "weight": 50, "type": "TEMPLATE", "template_id": tpl, "sender_profile_id": None}],
                "ai_personalization_enabled": False, "track_clicks": False, "action_type": "send_email",
                "message_template": None}]
            cid = c.execute("""INSERT INTO campaigns.campaign (user_id, dataset_id, name, type, status, launch_type,
                    daily_limit, sending_window_start, sending_window_end, min_interval_seconds, timezone,
                    send_days, steps_config, alias_ids, unreviewed_launch_policy, total_leads, activated_at)
                 VALUES (%s, %s, 'c', 'email', 'active', 'immediate', 100, '09:00', '17:00', 300, 'UTC',
                    '{mon,tue,wed,thu,fri}', %s, '{a1}', 'launch_default', 5, now())
                 RETURNING campaign_id""", (uid, ds, json.dumps(steps))).fetchone()[0]
            c.execute("""INSERT INTO campaigns.campaign_lead (user_id, campaign_id, lead_id, status, current_step, next_step, next_channel)
                         SELECT %s, %s, lead_id, 'active', 0, 1, 'email' FROM campaigns.lead WHERE dataset_id = %s""",
                      (uid, cid, ds))
            c.execute("""INSERT INTO campaigns.action (user_id, campaign_id, campaign_lead_id, step, variant, channel,
                            action_type, alias_id, idempotency_key, due_at, next_attempt_at, state)
                         SELECT user_id, campaign_id, campaign_lead_id, 1, 'A', 'email', 'send_email', 'a1',
                                campaign_lead_id || ':1', now(), now(), 'queued'
                           FROM campaigns.campaign_lead WHERE campaign_id = %s""", (cid,))
            c.execute("""INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type)
                         SELECT user_id, campaign_id, campaign_lead_id, 'opened'
                           FROM campaigns.campaign_lead WHERE campaign_id = %s LIMIT 2""", (cid,))
            c.execute("RESET session_replication_role")


def table_digests(pg, db, columns=None):
    """md5 of every table's rows, over the given columns per table (default:
    all of them), and the columns used."""
    tables = [r[0] for r in pg.q("""SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                     WHERE n.nspname = 'campaigns' AND c.relkind = 'r' ORDER BY 1""", dbname=db)]
    cols = {}
    out = {}
    for t in tables:
        if columns is not None and t not in columns:
            continue
        if t == "http_route":
            # the install script's rows, not data (the fingerprint compares them)
            continue
        cols[t] = columns[t] if columns is not None else [
            r[0] for r in pg.q("""SELECT attname FROM pg_attribute WHERE attrelid = ('campaigns.' || %s)::regclass
                                   AND attnum > 0 AND NOT attisdropped ORDER BY attnum""", (t,), dbname=db)]
        collist = ", ".join('"%s"' % c for c in cols[t])
        out[t] = pg.q1("SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '')"
                       " FROM (SELECT %s FROM campaigns.%s) r" % (collist, t), dbname=db)
    return out, cols


@pytest.fixture(scope="module")
def upgraded(request):
    pg = make_server(request, {"campaigns.worker_enabled": "off"})
    for db in ("fresh", "upgraded"):
        pg.q("CREATE DATABASE %s" % db)
    pg.q("CREATE EXTENSION campaigns", dbname="fresh")
    pg.q("CREATE EXTENSION campaigns VERSION '0.1.0'", dbname="upgraded")
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'", dbname="upgraded") == "0.1.0"
    seed_0_1_0(pg, "upgraded")
    before, cols = table_digests(pg, "upgraded")
    pg.q("ALTER EXTENSION campaigns UPDATE", dbname="upgraded")
    return pg, before, cols


def test_upgrade_reaches_the_current_version(upgraded):
    pg, _, _ = upgraded
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'", dbname="upgraded") == \
        pg.q1("SELECT default_version FROM pg_available_extensions WHERE name = 'campaigns'", dbname="upgraded")


def test_upgraded_objects_equal_a_fresh_install(upgraded):
    pg, _, _ = upgraded
    fresh = fingerprint(pg, "fresh")
    up = fingerprint(pg, "upgraded")
    missing = sorted(set(fresh) - set(up))
    extra = sorted(set(up) - set(fresh))
    assert not missing and not extra, "\nonly in a fresh install:\n  %s\nonly after the upgrade:\n  %s" % (
        "\n  ".join(missing), "\n  ".join(extra))


def test_data_survives_the_upgrade(upgraded):
    pg, before, cols = upgraded
    after, _ = table_digests(pg, "upgraded", cols)
    # http_route is the extension's own table of routes, which an upgrade
    # rewrites (test_upgraded_objects_equal_a_fresh_install compares its rows).
    before = {t: d for t, d in before.items() if t != "http_route"}
    after.pop("http_route", None)
    assert after == before
    # and there was data to lose
    assert int(before["campaign_lead"].split(":")[0]) == 10
    assert int(before["action"].split(":")[0]) == 10


def test_upgraded_data_is_served(upgraded):
    """The current API reads and changes what 0.1.0 wrote."""
    pg, _, _ = upgraded
    with pg.connect("upgraded") as c:
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_A,))
        campaigns = c.execute("SELECT campaigns.campaign_list()").fetchone()[0]
        assert len(campaigns) == 1 and campaigns[0]["status"] == "active"
        cid = campaigns[0]["campaign_id"]
        stats = c.execute("SELECT campaigns.campaign_stats(%s)", (cid,)).fetchone()[0]
        # (every event type is counted, zeros included)
        assert stats["actions"]["queued"] == 5 and {k: v for k, v in stats["events"].items() if v} == {"opened": 2}
        paused = c.execute("SELECT campaigns.campaign_pause(%s)", (cid,)).fetchone()[0]
        assert paused["status"] == "paused"
        c.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_B,))
        assert len(c.execute("SELECT campaigns.campaign_list()").fetchone()[0]) == 1


def _sqlstate(conn, sql, args=None):
    """The SQLSTATE sql raises in its own transaction (None when it does not)."""
    try:
        with conn.transaction():
            conn.execute(sql, args)
    except psycopg.Error as e:
        return e.sqlstate, e.diag.message_primary, e.diag.message_detail
    return None


def test_rules_in_force_after_upgrade(upgraded):
    """The 0.2.0 boundary holds on the upgraded installation, as a tenant's
    login role: no DML, no DDL on http_handle (0.1.0 gave it to
    campaigns_user), another user's id refused exactly like a missing one,
    and a bound role cannot act as another user."""
    pg, _, _ = upgraded
    db = "upgraded"
    pg.q("CREATE ROLE up_tenant LOGIN; GRANT campaigns_user TO up_tenant", dbname=db)
    pg.q("CREATE ROLE up_bound LOGIN; GRANT campaigns_user TO up_bound", dbname=db)
    pg.q("SELECT campaigns.role_bind('up_bound', %s)", (USER_A,), dbname=db)
    a_ds = pg.q1("SELECT dataset_id::text FROM campaigns.dataset WHERE user_id = %s", (USER_A,), dbname=db)
    a_c, a_cl = pg.q("SELECT campaign_id::text, campaign_lead_id::text FROM campaigns.campaign_lead WHERE user_id = %s LIMIT 1",
                     (USER_A,), dbname=db)[0]
    b_tpl = pg.q1("SELECT template_id::text FROM campaigns.template WHERE user_id = %s", (USER_B,), dbname=db)
    try:
        # every object is the extension owner's
        assert pg.q1("""SELECT count(*) FROM (
                            SELECT proowner AS o FROM pg_proc WHERE pronamespace = 'campaigns'::regnamespace
                            UNION ALL SELECT relowner FROM pg_class WHERE relnamespace = 'campaigns'::regnamespace) x
                         WHERE o <> (SELECT extowner FROM pg_extension WHERE extname = 'campaigns')""", dbname=db) == 0
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="up_tenant", dbname=db, autocommit=True) as t:
            t.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_B,))
            # DML refused on every table (42501)
            for sql in ("INSERT INTO campaigns.dataset (user_id, name) VALUES ('%s', 'x')" % USER_B,
                        "UPDATE campaigns.campaign SET daily_limit = 10000",
                        "UPDATE campaigns.action SET next_attempt_at = now()",
                        "DELETE FROM campaigns.event",
                        "TRUNCATE campaigns.api_key",
                        "INSERT INTO campaigns.api_key (user_id, name, token_hash, token_prefix, rate_limit_per_minute)"
                        " VALUES ('%s', 'x', sha256('cmp_live_x'::bytea), 'cmp_live_x', 1000000)" % USER_B,
                        "INSERT INTO campaigns.delivery_endpoint (user_id, channel, url)"
                        " VALUES ('%s', 'email', 'http://127.0.0.1:1/')" % USER_B):
                assert _sqlstate(t, sql)[0] == "42501", sql
            # http_handle cannot be taken over
            for sql in ("ALTER FUNCTION campaigns.http_handle(text, text, text, jsonb, text) SECURITY INVOKER",
                        "ALTER FUNCTION campaigns.http_handle(text, text, text, jsonb, text) RENAME TO h",
                        "ALTER FUNCTION campaigns.http_handle(text, text, text, jsonb, text) SET search_path = public"):
                assert _sqlstate(t, sql)[0] == "42501", sql
            # the API still serves B, and B alone
            assert len(t.execute("SELECT campaigns.campaign_list()").fetchone()[0]) == 1
            assert t.execute("SELECT count(*) FROM campaigns.campaign").fetchone()[0] == 1
            # A's ids are refused exactly as missing ones are
            body = {"name": "x", "dataset_id": a_ds, "alias_ids": ["a1"],
                    "steps": [{"step": 1, "variants": [{"label": "A", "template_id": b_tpl}]}]}
            other = _sqlstate(t, "SELECT campaigns.campaign_create(%s)", (json.dumps(body),))
            body["dataset_id"] = "00000000-0000-0000-00a9-0000000000ff"
            missing = _sqlstate(t, "SELECT campaigns.campaign_create(%s)", (json.dumps(body),))
            assert other == missing and other[0] == "22023"
            for fn, args in (("campaign_get(%s)", (a_c,)), ("lead_events(%s, %s)", (a_c, a_cl)),
                             ("dataset_leads(%s)", (a_ds,))):
                other = _sqlstate(t, "SELECT campaigns." + fn, args)
                missing = _sqlstate(t, "SELECT campaigns." + fn, tuple("00000000-0000-0000-00a9-0000000000ff" for _ in args))
                assert other == missing and other[0] == "P0002", fn
        # in the tables (as the owner, who alone writes them): the composite
        # keys refuse B's event on A's campaign and lead like a missing one
        with pg.connect(db) as c:
            errs = []
            for cid, clid in ((a_c, a_cl), ("00000000-0000-0000-00a9-0000000000f1", "00000000-0000-0000-00a9-0000000000f2")):
                e = _sqlstate(c, "INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type)"
                                 " VALUES (%s, %s, %s, 'replied')", (USER_B, cid, clid))
                errs.append((e[0], e[1], e[2].replace(cid, "<id>")))
            assert errs[0] == errs[1] and errs[0][0] == "23503"
        # a bound role is its user, and cannot name another
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="up_bound", dbname=db, autocommit=True) as t:
            assert str(t.execute("SELECT campaigns.current_user_id()").fetchone()[0]) == USER_A
            t.execute("SELECT set_config('campaigns.user_id', %s, false)", (USER_B,))
            assert _sqlstate(t, "SELECT campaigns.campaign_list()")[0] == "28000"
            t.execute("SET ROLE campaigns_user")
            assert _sqlstate(t, "SELECT campaigns.current_user_id()")[0] == "28000"
            t.execute("RESET ROLE; RESET campaigns.user_id")
            t.execute("SELECT set_config('request.jwt.claims', %s, false)", (json.dumps({"sub": USER_B}),))
            assert _sqlstate(t, "SELECT count(*) FROM campaigns.campaign")[0] == "28000"
    finally:
        pg.q("SELECT campaigns.role_unbind('up_bound')", dbname=db)
        pg.q("DROP OWNED BY up_tenant, up_bound; DROP ROLE up_tenant; DROP ROLE up_bound", dbname=db)


def test_upgrade_refuses_references_across_users(upgraded):
    """0.1.0 let tenants write the tables, so a row may refer to another
    user's row; the upgrade then stops before changing anything, says which
    rows break the rule, and goes through once they are gone."""
    pg, _, _ = upgraded
    db = "crossed"
    pg.q("CREATE DATABASE %s" % db)
    pg.q("CREATE EXTENSION campaigns VERSION '0.1.0'", dbname=db)
    seed_0_1_0(pg, db)
    a_c, a_cl = pg.q("SELECT campaign_id::text, campaign_lead_id::text FROM campaigns.campaign_lead WHERE user_id = %s LIMIT 1",
                     (USER_A,), dbname=db)[0]
    # what the attack left behind: B's event on A's campaign and lead
    pg.q("INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type) VALUES (%s, %s, %s, 'replied')",
         (USER_B, a_c, a_cl), dbname=db)
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as e:
        pg.q("ALTER EXTENSION campaigns UPDATE", dbname=db)
    assert "keeps every reference inside one user" in e.value.diag.message_primary
    assert "1 rows of event whose campaign_id is not a campaign of the same user_id" in e.value.diag.message_primary
    assert "1 rows of event whose campaign_lead_id is not a campaign_lead of the same user_id" in e.value.diag.message_primary
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'", dbname=db) == "0.1.0"
    pg.q("DELETE FROM campaigns.event WHERE user_id = %s AND campaign_id = %s", (USER_B, a_c), dbname=db)
    pg.q("ALTER EXTENSION campaigns UPDATE", dbname=db)
    assert pg.q1("SELECT extversion FROM pg_extension WHERE extname = 'campaigns'", dbname=db) == \
        pg.q1("SELECT default_version FROM pg_available_extensions WHERE name = 'campaigns'", dbname=db)
