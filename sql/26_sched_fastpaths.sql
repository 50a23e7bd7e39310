-- The scheduler's fast paths keep the rules: the enrolment insert that
-- replaces the per-row foreign-key check with one row lock (_enrol_insert),
-- the time-ordered ids, the multi-entry caches of next_send_time, and the
-- two plans of the pacing pass (_queue_pass: custom for many due campaigns,
-- generic for a few).  Test user prefix 0026.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET campaigns.user_id = '00000000-0000-0000-0026-000000000001';

INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
VALUES ('00000000-0000-0000-0026-000000000001', 'a1', 'a1@sender.example'),
	   ('00000000-0000-0000-0026-000000000002', 'a1', 'a1@other.example');
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
VALUES ('00000000-0000-0000-0026-0000000000d1', '00000000-0000-0000-0026-000000000001', 'd1'),
	   ('00000000-0000-0000-0026-0000000000d2', '00000000-0000-0000-0026-000000000002', 'other');
-- 10 leads, the 4th without an email.
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
SELECT ('00000000-0000-0000-0026-1000000000' || lpad(i::text, 2, '0'))::uuid, '00000000-0000-0000-0026-000000000001',
	   '00000000-0000-0000-0026-0000000000d1', CASE WHEN i <> 4 THEN 'p' || i || '@lead.example' END
  FROM generate_series(1, 10) i;
INSERT INTO campaigns.lead (user_id, dataset_id, email)
VALUES ('00000000-0000-0000-0026-000000000002', '00000000-0000-0000-0026-0000000000d2', 'o@lead.example');

CREATE FUNCTION pg_temp.mk(n int, uid uuid DEFAULT '00000000-0000-0000-0026-000000000001',
						   ds uuid DEFAULT '00000000-0000-0000-0026-0000000000d1') RETURNS uuid
LANGUAGE sql AS $$
	INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, unreviewed_launch_policy)
	VALUES (('00000000-0000-0000-0026-2' || lpad(n::text, 11, '0'))::uuid, uid, ds, 'c' || n, 'email', 'immediate',
		50, '09:00', '17:00', 300, 'UTC', '{mon,tue,wed,thu,fri}',
		'[{"step":1,"delay_days":1,"channel":"email","variants":[{"label":"A","weight":50},{"label":"B","weight":50}]}]',
		'{a1}', 'launch_default')
	RETURNING campaign_id
$$;

-- Enrolment in batches of 3: every reachable lead exactly once, in lead_id
-- order, and session_replication_role is back to origin after each batch.
SET campaigns.launch_batch_size = 3;
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_launch(pg_temp.mk(1)) r;
SHOW session_replication_role;
SELECT (campaigns.tick(now()) ->> 'enrolled')::int AS enrolled;
SHOW session_replication_role;
SELECT (campaigns.tick(now()) ->> 'enrolled')::int AS enrolled;
SELECT (campaigns.tick(now()) ->> 'enrolled')::int AS enrolled;
RESET campaigns.launch_batch_size;
SELECT c.status, c.total_leads, c.enrol_cursor IS NULL AS cursor_cleared,
	   (SELECT array_agg(right(cl.lead_id::text, 2) ORDER BY cl.campaign_lead_id)
		  FROM campaigns.campaign_lead cl WHERE cl.campaign_id = c.campaign_id) AS leads_in_id_order,
	   (SELECT bool_and(cl.user_id = c.user_id AND cl.status = 'pending' AND cl.next_step = 1
						AND cl.next_channel = 'email' AND cl.current_step = 0)
		  FROM campaigns.campaign_lead cl WHERE cl.campaign_id = c.campaign_id) AS rows_as_before
  FROM campaigns.campaign c WHERE c.campaign_id = '00000000-0000-0000-0026-200000000001';

-- _enrol_insert directly.  A campaign that does not exist enrols nothing.
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-2000000000ff', NULL, 10, 1, 'email', now(), now(), true, false);
-- After the last lead: nothing left.
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', '00000000-0000-0000-0026-100000000010',
									  10, 1, 'email', now(), now(), true, false);
-- batch 0 enrols nothing; the arguments that must be given.
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', '00000000-0000-0000-0026-100000000010',
									  0, 1, 'email', now(), now(), true, false);
\set VERBOSITY sqlstate
SELECT * FROM campaigns._enrol_insert(NULL, NULL, 10, 1, 'email', now(), now(), true, false);
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', NULL, NULL, 1, 'email', now(), now(), true, false);
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', NULL, -1, 1, 'email', now(), now(), true, false);
-- Enrolling the same leads again breaks the unique (campaign_id, lead_id):
-- the error comes through and the setting is restored.
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', NULL, 10, 1, 'email', now(), now(), true, false);
\set VERBOSITY default
SHOW session_replication_role;
DO $$
BEGIN
	PERFORM campaigns._enrol_insert('00000000-0000-0000-0026-200000000001', NULL, 10, 1, 'email', now(), now(), true, false);
EXCEPTION WHEN unique_violation THEN
	RAISE NOTICE 'unique_violation; session_replication_role = %', current_setting('session_replication_role');
END
$$;

-- The foreign key of campaign_id is still checked on every other path, and
-- a deleted campaign still takes its enrolled leads with it.
\set VERBOSITY sqlstate
INSERT INTO campaigns.campaign_lead (user_id, campaign_id, lead_id)
VALUES ('00000000-0000-0000-0026-000000000001', '00000000-0000-0000-0026-2000000000ff', '00000000-0000-0000-0026-100000000001');
UPDATE campaigns.campaign_lead SET campaign_id = '00000000-0000-0000-0026-2000000000ff'
 WHERE campaign_id = '00000000-0000-0000-0026-200000000001';
\set VERBOSITY default
SELECT campaigns.campaign_pause('00000000-0000-0000-0026-200000000001') ->> 'status' AS status;
SELECT campaigns.campaign_stop('00000000-0000-0000-0026-200000000001') ->> 'status' AS status;
DELETE FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0026-200000000001';
SELECT count(*) AS leads_left FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0026-200000000001';

-- Tenancy: an application role cannot run the enrolment insert (it is the
-- launch's, run as the extension owner), and its own launch enrols its own
-- leads only.
SELECT pg_temp.mk(2, '00000000-0000-0000-0026-000000000002', '00000000-0000-0000-0026-0000000000d2') IS NOT NULL AS other_created;
UPDATE campaigns.campaign SET status = 'launching', activated_at = now()
 WHERE campaign_id = '00000000-0000-0000-0026-200000000002';
SELECT pg_temp.mk(3) IS NOT NULL AS own_created;
CREATE ROLE sched26_app;
GRANT campaigns_user TO sched26_app;
SET ROLE sched26_app;
\set VERBOSITY sqlstate
SELECT * FROM campaigns._enrol_insert('00000000-0000-0000-0026-200000000002', NULL, 10, 1, 'email', now(), now(), true, false);
\set VERBOSITY default
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'status' AS status, r -> 'campaign' ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_launch('00000000-0000-0000-0026-200000000003') r;
SHOW session_replication_role;
RESET ROLE;
SELECT count(*) AS other_enrolled FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0026-200000000002';
SELECT count(*) AS own_enrolled, bool_and(l.user_id = '00000000-0000-0000-0026-000000000001') AS own_leads
  FROM campaigns.campaign_lead cl JOIN campaigns.lead l USING (lead_id)
 WHERE cl.campaign_id = '00000000-0000-0000-0026-200000000003';
-- (the application role may not run the pacing pass itself)
SET ROLE sched26_app;
\set VERBOSITY sqlstate
SELECT campaigns._queue_pass(now(), '{}', false);
\set VERBOSITY default
RESET ROLE;
DROP OWNED BY sched26_app;
DROP ROLE sched26_app;

-- Time-ordered ids: version 7, RFC 4122 variant, distinct, and increasing in
-- the order one backend makes them.
SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids,
	   bool_and(substr(id::text, 15, 1) = '7') AS version_7,
	   bool_and(substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) AS variant_10,
	   bool_and(prev IS NULL OR id > prev) AS increasing
  FROM (SELECT id, lag(id) OVER (ORDER BY i) AS prev
		  FROM (SELECT i, campaigns._uuid_ordered() AS id FROM generate_series(1, 20000) i) g) s;

-- next_send_time's caches: rows cycling through more zones and send-day
-- sets than the cache holds (and same-length names) give what one call per
-- row gives.
CREATE TEMP TABLE nst_in AS
SELECT i, '2031-03-01 00:00Z'::timestamptz + make_interval(secs => (hashint4(i) & 2147483647) % (300 * 86400)) AS t,
	   (ARRAY['UTC', 'Europe/London', 'Europe/Paris', 'Europe/Malta', 'America/New_York', 'Asia/Kathmandu',
			  'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'Asia/Tokyo'])[1 + i % 11] AS tz,
	   (ARRAY['{mon,tue,wed,thu,fri}', '{tue}', '{mon,wed,fri}', '{mon,tue,wed,thu,fri,sat,sun}', '{sat,sun}',
			  '{wed}', '{thu}', '{fri}', '{sun}', '{mon,sun}'])[1 + i % 10]::text[] AS days
  FROM generate_series(1, 1500) i;
CREATE TEMP TABLE nst_out (i int, r timestamptz);
DO $$
DECLARE
	x record;
	r timestamptz;
BEGIN
	FOR x IN SELECT * FROM nst_in LOOP
		EXECUTE 'SELECT campaigns.next_send_time($1, ''09:00'', ''17:00'', $2, $3, 3, 300, $4, $5, $6)'
		   INTO r USING x.t, x.tz, x.days, (x.t AT TIME ZONE x.tz)::date, x.i % 5, x.t - interval '4 minutes';
		INSERT INTO nst_out VALUES (x.i, r);
	END LOOP;
END
$$;
SELECT count(*) AS rows, count(*) FILTER (WHERE o.r IS NOT DISTINCT FROM
		campaigns.next_send_time(n.t, '09:00', '17:00', n.tz, n.days, 3, 300, (n.t AT TIME ZONE n.tz)::date, n.i % 5,
								 n.t - interval '4 minutes')) AS same
  FROM nst_in n JOIN nst_out o USING (i);
-- An unknown zone or day after cached ones is still an error.
\set VERBOSITY sqlstate
SELECT campaigns.next_send_time(t, '09:00', '17:00', CASE WHEN i = 30 THEN 'Mars/Olympus' ELSE tz END, days, 3, 300, NULL, 0, NULL)
  FROM nst_in WHERE i <= 30 ORDER BY i;
SELECT campaigns.next_send_time(t, '09:00', '17:00', tz, CASE WHEN i = 30 THEN '{funday}' ELSE days END, 3, 300, NULL, 0, NULL)
  FROM nst_in WHERE i <= 30 ORDER BY i;
\set VERBOSITY default

-- UTC offsets are remembered for whole daylight-saving periods; instants
-- looked up in no particular order over three years still give the local
-- weekday and the next local midnight PostgreSQL's own conversions give.
SELECT count(*) AS n,
	   count(*) FILTER (WHERE campaigns.next_send_time(t, '00:00', '24:00', tz,
			ARRAY[to_char(t AT TIME ZONE tz, 'dy')], 1, 0, NULL, 0, NULL) = t) AS same_day,
	   count(*) FILTER (WHERE campaigns.next_send_time(t, '00:00', '24:00', tz,
			array_remove('{mon,tue,wed,thu,fri,sat,sun}'::text[], to_char(t AT TIME ZONE tz, 'dy')), 1, 0, NULL, 0, NULL)
			= ((t AT TIME ZONE tz)::date + 1)::timestamp AT TIME ZONE tz) AS next_midnight
  FROM (SELECT '2030-01-01 00:00Z'::timestamptz + make_interval(secs => (hashint4(i) & 2147483647) % (3 * 365 * 86400)) AS t,
			   (ARRAY['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Australia/Sydney',
					  'Pacific/Chatham', 'America/Santiago'])[1 + i % 6] AS tz
		  FROM generate_series(1, 3000) i) s;

-- The pacing pass: 120 due campaigns (more than 100) are planned for their
-- number, a few share the generic plan.  Both plans queue the same actions
-- and leave the same pacing state.
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
SELECT ('00000000-0000-0000-0026-3' || lpad(i::text, 11, '0'))::uuid, '00000000-0000-0000-0026-000000000001', 'm' || i
  FROM generate_series(1, 120) i;
INSERT INTO campaigns.lead (user_id, dataset_id, email)
SELECT '00000000-0000-0000-0026-000000000001', ('00000000-0000-0000-0026-3' || lpad(i::text, 11, '0'))::uuid,
	   'm' || j || '@c' || i || '.example'
  FROM generate_series(1, 120) i, generate_series(1, 3) j;
DO $$
BEGIN
	FOR i IN 1 .. 120 LOOP
		PERFORM campaigns.campaign_launch(pg_temp.mk(100 + i, ds => ('00000000-0000-0000-0026-3' || lpad(i::text, 11, '0'))::uuid));
	END LOOP;
END
$$;
UPDATE campaigns.campaign SET next_action_at = '2031-01-06 10:00Z', timezone = (ARRAY['UTC', 'Asia/Kathmandu', 'America/New_York'])[1 + (right(campaign_id::text, 3)::int % 3)],
	   sending_window_start = '00:00', sending_window_end = '24:00', send_days = '{mon,tue,wed,thu,fri,sat,sun}'
 WHERE campaign_id::text LIKE '00000000-0000-0000-0026-2000000001%' OR campaign_id::text LIKE '00000000-0000-0000-0026-2000000002%';
UPDATE campaigns.campaign_lead SET eligible_at = '2031-01-06 10:00Z'
 WHERE campaign_id::text LIKE '00000000-0000-0000-0026-2000000001%' OR campaign_id::text LIKE '00000000-0000-0000-0026-2000000002%';
-- (a digest of the queued actions and of the campaigns' pacing state; the
-- passes run in transactions that are rolled back)
CREATE FUNCTION pg_temp.digest() RETURNS text LANGUAGE sql AS $$
	SELECT (SELECT count(*) || ' actions ' || md5(string_agg(a.campaign_lead_id || ' ' || a.step || ' ' || a.variant
							 || ' ' || a.alias_id || ' ' || a.due_at, ',' ORDER BY a.campaign_lead_id))
			  FROM campaigns.action a WHERE a.user_id = '00000000-0000-0000-0026-000000000001')
		   || ', ' ||
		   (SELECT count(*) || ' campaigns ' || md5(string_agg(c.campaign_id || ' ' || c.next_action_at || ' ' || c.pace_day
							 || ' ' || c.pace_day_count || ' ' || c.lane_last_sent_at::text || ' ' || c.lane_cursor,
							 ',' ORDER BY c.campaign_id))
			  FROM campaigns.campaign c WHERE c.user_id = '00000000-0000-0000-0026-000000000001' AND c.status = 'active')
$$;
BEGIN;
SELECT (campaigns.tick('2031-01-06 10:00Z') ->> 'queued')::int > 100 AS ticked;
SELECT pg_temp.digest() AS custom \gset
ROLLBACK;
BEGIN;
SELECT campaigns._queue_pass('2031-01-06 10:00Z', (SELECT array_agg(campaign_id) FROM campaigns.campaign
		WHERE status = 'active' AND next_action_at <= '2031-01-06 10:00Z'), false) > 100 AS passed_generic;
SELECT pg_temp.digest() AS generic \gset
ROLLBACK;
SELECT :'custom' = :'generic' AS same_result, regexp_replace(:'custom', ' [0-9a-f]{32}', '', 'g') AS passes;
-- A session ticking again and again (as the worker does, so that its plans
-- are cached) keeps queueing one action per campaign and interval: 3 leads
-- each, so three rounds for the 120, and one a round for campaign 3.
-- (Rolled back: tick is global, and other files' campaigns are due too.)
BEGIN;
DO $$
DECLARE
	t timestamptz;
BEGIN
	FOR k IN 0 .. 6 LOOP
		t := '2031-01-06 10:00Z'::timestamptz + make_interval(mins => 5 * k);
		PERFORM campaigns.tick(t);
		RAISE NOTICE '% UTC: % actions of this file queued', to_char(t AT TIME ZONE 'UTC', 'HH24:MI'),
			(SELECT count(*) FROM campaigns.action
			  WHERE user_id = '00000000-0000-0000-0026-000000000001' AND due_at = t);
	END LOOP;
END
$$;
ROLLBACK;
\set VERBOSITY sqlstate
SELECT campaigns._queue_pass(NULL, '{}', false);
\set VERBOSITY default

-- Every row the fast paths wrote (enrolment and the pacing pass of many
-- campaigns skip the per-row foreign-key checks) satisfies every composite
-- foreign key: the same user_id as the campaign, lead and enrolled lead it
-- refers to.
CREATE FUNCTION pg_temp.broken(c oid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE k pg_constraint; n bigint;
BEGIN
	SELECT * INTO k FROM pg_constraint WHERE oid = c;
	EXECUTE format('SELECT count(*) FROM %s x WHERE %s AND NOT EXISTS (SELECT 1 FROM %s y WHERE (%s) = (%s))',
		k.conrelid::regclass,
		(SELECT string_agg(format('x.%I IS NOT NULL', attname), ' AND ') FROM pg_attribute
		  WHERE attrelid = k.conrelid AND attnum = ANY (k.conkey)),
		k.confrelid::regclass,
		(SELECT string_agg(format('y.%I', a.attname), ', ' ORDER BY o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
		   JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n),
		(SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
		   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)) INTO n;
	RETURN n;
END $$;
BEGIN;
SELECT (campaigns.tick('2031-01-06 10:00Z') ->> 'queued')::int > 100 AS ticked_many,
	   (SELECT count(*) FROM campaigns.campaign_lead) > 360 AS many_enrolled;
SELECT conname, pg_temp.broken(oid) AS broken_rows
  FROM pg_constraint WHERE contype = 'f' AND connamespace = 'campaigns'::regnamespace
   AND confrelid IN ('campaigns.campaign'::regclass, 'campaigns.lead'::regclass, 'campaigns.campaign_lead'::regclass)
 ORDER BY 1;
ROLLBACK;

-- Clean up, so that later files do not meet these campaigns: stopped and
-- deleted (their actions and enrolled leads go with them).
SELECT count(campaigns.campaign_pause(campaign_id)) AS paused,
	   count(campaigns.campaign_stop(campaign_id)) AS stopped
  FROM campaigns.campaign WHERE user_id = '00000000-0000-0000-0026-000000000001' AND status = 'active';
UPDATE campaigns.campaign SET status = 'failed' WHERE campaign_id = '00000000-0000-0000-0026-200000000002';
DELETE FROM campaigns.campaign
 WHERE user_id IN ('00000000-0000-0000-0026-000000000001', '00000000-0000-0000-0026-000000000002');
SELECT (SELECT count(*) FROM campaigns.action WHERE user_id = '00000000-0000-0000-0026-000000000001') AS actions,
	   (SELECT count(*) FROM campaigns.campaign_lead WHERE user_id = '00000000-0000-0000-0026-000000000001') AS leads;
