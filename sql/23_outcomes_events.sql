-- What tick queues, and what happens next: action outcomes (sent, retry,
-- failed; idempotent), the failure streak that pauses a campaign, pause
-- while actions are in flight (draining), re-planning after resume, lead
-- events that stop a lead, completion, counters, campaign_leads and
-- lead_events.  Test user prefix 0023.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET campaigns.user_id = '00000000-0000-0000-0023-000000000001';

INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
VALUES ('00000000-0000-0000-0023-000000000001', 'm1', 'm1@s.example'),
	   ('00000000-0000-0000-0023-000000000001', 'm2', 'm2@s.example');

-- mk(n, leads, limit): a UTC campaign, whole-day window every day, 60 s
-- interval, two aliases, three email steps (delays 0, 1, 2), launched and
-- made eligible at 2030-03-04 10:00Z.
CREATE FUNCTION pg_temp.mk(n int, nleads int, lim int DEFAULT 100, ws time DEFAULT '00:00', we time DEFAULT '24:00') RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	uid uuid := '00000000-0000-0000-0023-000000000001';
	ds uuid := ('00000000-0000-0000-0023-1000000000' || lpad(n::text, 2, '0'))::uuid;
	cid uuid := ('00000000-0000-0000-0023-2000000000' || lpad(n::text, 2, '0'))::uuid;
BEGIN
	INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES (ds, uid, 'd' || n);
	INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
	SELECT ('00000000-0000-0023-' || lpad(n::text, 4, '0') || '-' || lpad(i::text, 12, '0'))::uuid, uid, ds, 'x' || i || '@l.example'
	  FROM generate_series(1, nleads) i;
	INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, unreviewed_launch_policy)
	VALUES (cid, uid, ds, 'c' || n, 'email', 'immediate', lim, ws, we, 60, 'UTC',
		'{mon,tue,wed,thu,fri,sat,sun}',
		'[{"step":1,"delay_days":0,"channel":"email","variants":[{"label":"A","weight":50},{"label":"B","weight":50}]},
		  {"step":2,"delay_days":1,"channel":"email","variants":[{"label":"A","weight":50}]},
		  {"step":3,"delay_days":2,"channel":"email","variants":[{"label":"A","weight":50}]}]',
		'{m1,m2}', 'launch_default');
	PERFORM campaigns.campaign_launch(cid);
	UPDATE campaigns.campaign_lead SET eligible_at = '2030-03-04 10:00Z' WHERE campaign_id = cid;
	UPDATE campaigns.campaign SET next_action_at = '2030-03-04 10:00Z' WHERE campaign_id = cid;
	RETURN cid;
END
$$;
-- tick(t): runs the scheduler; returns how many actions of this test's
-- user it queued (other test files' campaigns may share the database).
CREATE FUNCTION pg_temp.tick(t timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	PERFORM campaigns.tick(t);
	RETURN (SELECT count(*) FROM campaigns.action
			 WHERE user_id = '00000000-0000-0000-0023-000000000001' AND state = 'queued' AND due_at = t);
END
$$;
CREATE FUNCTION pg_temp.nxt(n int) RETURNS timestamptz LANGUAGE sql AS $$
	SELECT next_action_at FROM campaigns.campaign
	 WHERE campaign_id = ('00000000-0000-0000-0023-2000000000' || lpad(n::text, 2, '0'))::uuid
$$;
-- acts(cid): the campaign's actions, in a stable shape.
CREATE FUNCTION pg_temp.acts(cid uuid) RETURNS TABLE (a text, lead text, step int, state text, alias text,
	due text, next_attempt text, attempts int, key_ok boolean)
LANGUAGE sql AS $$
	SELECT 'a' || row_number() OVER (ORDER BY action_id), right(cl.lead_id::text, 2), step, state, alias_id,
		   to_char(due_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), to_char(next_attempt_at AT TIME ZONE 'UTC', 'DD HH24:MI:SS'),
		   attempts, idempotency_key = a.campaign_lead_id::text || ':' || step
	  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id)
	 WHERE a.campaign_id = cid ORDER BY action_id
$$;
CREATE FUNCTION pg_temp.aid(cid uuid, k int) RETURNS bigint LANGUAGE sql AS $$
	SELECT action_id FROM campaigns.action WHERE campaign_id = cid ORDER BY action_id OFFSET k - 1 LIMIT 1
$$;

SELECT pg_temp.mk(1, 3) IS NOT NULL AS c1;
-- tick: two lanes, so two actions at 10:00, the third lead one interval later.
SELECT pg_temp.tick('2030-03-04 10:00Z') AS queued, pg_temp.nxt(1) AS next_action_at;
SELECT * FROM pg_temp.acts('00000000-0000-0000-0023-200000000001');
SELECT pg_temp.tick('2030-03-04 10:00Z') AS queued_again_same_time;
SELECT pg_temp.tick('2030-03-04 10:00:30Z') AS queued_30s_later;
SELECT pg_temp.tick('2030-03-04 10:01Z') AS queued_60s_later, pg_temp.nxt(1) AS next_action_at;
SELECT * FROM pg_temp.acts('00000000-0000-0000-0023-200000000001');
SELECT right(lead_id::text, 2) AS lead, status, current_step, next_step, eligible_at, variants ? '1' AS has_variant
  FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0023-200000000001' ORDER BY 1;

-- sent: the lead advances; step 2 eligible one local day after the send.
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 1), 'sent', '2030-03-04 10:00:05Z', 202);
SELECT right(lead_id::text, 2) AS lead, status, current_step, next_step, eligible_at, last_sent_at
  FROM campaigns.campaign_lead WHERE campaign_lead_id = (SELECT campaign_lead_id FROM campaigns.action
	WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000001', 1));
SELECT next_action_at FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000001';
-- Reported twice (at-least-once delivery): nothing changes.
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 1), 'sent', '2030-03-04 11:00Z');
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 1), 'failed', '2030-03-04 11:00Z');
SELECT current_step, eligible_at, status FROM campaigns.campaign_lead WHERE campaign_lead_id = (SELECT campaign_lead_id FROM campaigns.action
	WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000001', 1));
-- retry: back to queued at retry_at, until campaigns.max_attempts (5) -> failed.
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 2), 'retry', '2030-03-04 10:00:05Z', 503, 'busy', '2030-03-04 10:10Z') AS r1;
SELECT a, state, next_attempt, attempts FROM pg_temp.acts('00000000-0000-0000-0023-200000000001') WHERE a = 'a2';
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 2), 'retry', '2030-03-04 10:10Z', 503, 'busy', '2030-03-04 10:20Z') AS r2,
	   campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 2), 'retry', '2030-03-04 10:20Z', 503, 'busy', '2030-03-04 10:30Z') AS r3,
	   campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 2), 'retry', '2030-03-04 10:30Z', 503, 'busy', '2030-03-04 10:40Z') AS r4;
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 2), 'retry', '2030-03-04 10:40Z', 503, 'busy', '2030-03-04 10:50Z') AS r5;
SELECT state, attempts, http_status, last_error FROM campaigns.action WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000001', 2);
SELECT status, finished_at, eligible_at FROM campaigns.campaign_lead WHERE campaign_lead_id = (SELECT campaign_lead_id FROM campaigns.action
	WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000001', 2));
SELECT processed_leads, failure_streak FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000001';
-- A success resets the streak.
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 3), 'sent', '2030-03-04 10:01:02Z');
SELECT processed_leads, failure_streak FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000001';

-- Outcome errors.
\set VERBOSITY sqlstate
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 3), 'delivered');
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000001', 3), NULL);
SELECT campaigns.action_record_outcome(-1, 'sent');
SELECT campaigns.action_record_outcomes(ARRAY[1, 2]::bigint[], ARRAY['sent'], NULL, NULL, NULL, NULL);
\set VERBOSITY default
SELECT campaigns.action_record_outcomes(ARRAY[-1, -2]::bigint[], ARRAY['sent', 'sent'], NULL, NULL, NULL, NULL) AS unknown_ids,
	   campaigns.action_record_outcomes('{}', '{}', NULL, NULL, NULL, NULL) AS empty;

-- Follow-ups go before new leads: campaign 2 has 4 leads, a daily limit
-- of 3 and a 10:00-12:00 window; day 1 sends three first steps, day 2 the
-- three follow-ups (one of them eligible only at 10:01) before the fourth
-- lead's first step, which waits for day 3.
SELECT pg_temp.mk(2, 4, 3, '10:00', '12:00') IS NOT NULL AS c2;
DO $$
DECLARE
	t timestamptz := '2030-03-04 10:00Z';
	r jsonb;
	ids bigint[];
BEGIN
	WHILE t < '2030-03-06 12:00Z' LOOP
		r := campaigns.tick(t);
		SELECT array_agg(action_id) INTO ids FROM campaigns.action
		 WHERE campaign_id = '00000000-0000-0000-0023-200000000002' AND state = 'queued';
		IF ids IS NOT NULL THEN
			UPDATE campaigns.action SET state = 'in_flight' WHERE action_id = ANY (ids);
			PERFORM campaigns.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
				array_fill(t, ARRAY[cardinality(ids)]), NULL, NULL, NULL);
		END IF;
		t := greatest((SELECT next_action_at FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000002'),
					  t + interval '1 second');
	END LOOP;
END
$$;
SELECT to_char(due_at AT TIME ZONE 'UTC', 'DD HH24:MI') AS due, right(cl.lead_id::text, 2) AS lead, step, alias_id
  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id)
 WHERE a.campaign_id = '00000000-0000-0000-0023-200000000002' ORDER BY action_id;

-- Delivery keeps failing: 10 failures in a row pause the campaign.
SELECT pg_temp.mk(3, 15) IS NOT NULL AS c3;
DO $$
DECLARE
	t timestamptz := '2030-03-04 10:00Z';
	ids bigint[];
	i int := 0;
BEGIN
	WHILE (SELECT status FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000003') = 'active' AND i < 20 LOOP
		PERFORM campaigns.tick(t);
		SELECT array_agg(action_id ORDER BY action_id) INTO ids FROM campaigns.action
		 WHERE campaign_id = '00000000-0000-0000-0023-200000000003' AND state = 'queued';
		IF ids IS NOT NULL THEN
			UPDATE campaigns.action SET state = 'in_flight' WHERE action_id = ANY (ids);
			PERFORM campaigns.action_record_outcomes(ids, array_fill('failed'::text, ARRAY[cardinality(ids)]),
				array_fill(t, ARRAY[cardinality(ids)]), array_fill(400, ARRAY[cardinality(ids)]),
				array_fill('bad request'::text, ARRAY[cardinality(ids)]), NULL);
		END IF;
		t := t + interval '1 minute';
		i := i + 1;
	END LOOP;
END
$$;
SELECT status, paused_reason, failure_streak, processed_leads, total_leads, next_action_at
  FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000003';
SELECT state, count(*) FROM campaigns.action WHERE campaign_id = '00000000-0000-0000-0023-200000000003' GROUP BY 1 ORDER BY 1;
SELECT status, count(*) FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0023-200000000003' GROUP BY 1 ORDER BY 1;
SELECT pg_temp.tick('2030-03-05 10:00Z') AS queued_while_paused;

-- The threshold is a setting: with 3, three failures in a row pause.
SET campaigns.failure_pause_threshold = 3;
SELECT pg_temp.mk(7, 5) IS NOT NULL AS c7;
SELECT pg_temp.tick('2030-03-04 10:00Z') AS queued;
SELECT campaigns.action_record_outcomes(array_agg(action_id ORDER BY action_id), '{failed,failed}', NULL, NULL, NULL, NULL) AS failed
  FROM campaigns.action WHERE campaign_id = '00000000-0000-0000-0023-200000000007';
SELECT status, failure_streak FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000007';
SELECT pg_temp.tick('2030-03-04 10:01Z') AS queued;
SELECT campaigns.action_record_outcomes(array_agg(action_id ORDER BY action_id), array_fill('failed'::text, ARRAY[count(*)::int]),
		NULL, NULL, NULL, NULL) AS failed
  FROM campaigns.action WHERE campaign_id = '00000000-0000-0000-0023-200000000007' AND state = 'queued';
SELECT status, paused_reason, failure_streak FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000007';
SELECT state, count(*) FROM campaigns.action WHERE campaign_id = '00000000-0000-0000-0023-200000000007' GROUP BY 1 ORDER BY 1;
RESET campaigns.failure_pause_threshold;
\set VERBOSITY sqlstate
SET campaigns.failure_pause_threshold = 0;
\set VERBOSITY default

-- Pause with an action in flight: draining, the queued one is cancelled;
-- when the in-flight one finishes the campaign is paused; resume re-plans
-- the cancelled action (same row, same key).
SELECT pg_temp.mk(4, 3) IS NOT NULL AS c4;
SELECT pg_temp.tick('2030-03-04 10:00Z') AS queued;
UPDATE campaigns.action SET state = 'in_flight' WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000004', 1);
SELECT r ->> 'status' AS status, r ->> 'paused_reason' AS reason FROM campaigns.campaign_pause('00000000-0000-0000-0023-200000000004') r;
SELECT a, state, key_ok FROM pg_temp.acts('00000000-0000-0000-0023-200000000004');
SELECT count(*) AS eligible_again FROM campaigns.campaign_lead
 WHERE campaign_id = '00000000-0000-0000-0023-200000000004' AND eligible_at IS NOT NULL;
SELECT pg_temp.tick('2030-03-04 10:05Z') AS queued_while_draining;
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000004', 1), 'sent', '2030-03-04 10:06Z');
SELECT status FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000004';
SELECT campaigns.campaign_resume('00000000-0000-0000-0023-200000000004') ->> 'status' AS resumed;
SELECT pg_temp.tick('2030-03-04 10:07Z') AS queued;
SELECT a, state, due, attempts, key_ok FROM pg_temp.acts('00000000-0000-0000-0023-200000000004');

-- Lead events.
SELECT right(lead_id::text, 2) AS lead, status FROM campaigns.campaign_lead
 WHERE campaign_id = '00000000-0000-0000-0023-200000000004' ORDER BY 1;
\set VERBOSITY sqlstate
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', gen_random_uuid(), '{"type":"replied"}');
SELECT campaigns.lead_event_record(gen_random_uuid(), gen_random_uuid(), '{"type":"replied"}');
\set VERBOSITY default
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', gen_random_uuid(),
	'{"kind":"x","occurred_at":"yesterday","data":[1]}');
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', gen_random_uuid(), '{"type":"liked"}');
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', gen_random_uuid(), '[]');
-- opened: recorded, the lead goes on.
SELECT e - 'event_id' - 'campaign_lead_id' FROM campaigns.lead_event_record('00000000-0000-0000-0023-200000000004',
	(SELECT campaign_lead_id FROM campaigns.action WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000004', 2)),
	'{"type":"opened","occurred_at":"2030-03-04T10:08:00Z","data":{"ip":"192.0.2.1"}}') e;
-- replied: the lead stops; its queued action is cancelled.
SELECT e ->> 'type' FROM campaigns.lead_event_record('00000000-0000-0000-0023-200000000004',
	(SELECT campaign_lead_id FROM campaigns.action WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000004', 2)),
	'{"type":"replied","occurred_at":"2030-03-04T10:09:00Z"}') e;
SELECT a, state FROM pg_temp.acts('00000000-0000-0000-0023-200000000004');
SELECT jsonb_array_length(campaigns.lead_events('00000000-0000-0000-0023-200000000004',
	(SELECT campaign_lead_id FROM campaigns.action WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000004', 2)))) AS timeline,
	(SELECT jsonb_agg(e ->> 'type') FROM jsonb_array_elements(campaigns.lead_events('00000000-0000-0000-0023-200000000004',
	(SELECT campaign_lead_id FROM campaigns.action WHERE action_id = pg_temp.aid('00000000-0000-0000-0023-200000000004', 2)))) e) AS types;
-- An outcome for the stopped lead's cancelled action changes nothing.
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000004', 2), 'sent', '2030-03-04 10:10Z');
-- The other two leads: one bounces, one unsubscribes -> campaign completed.
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', campaign_lead_id,
	jsonb_build_object('type', CASE WHEN rn = 1 THEN 'bounced' ELSE 'unsubscribed' END)) ->> 'type'
  FROM (SELECT campaign_lead_id, row_number() OVER (ORDER BY lead_id) rn FROM campaigns.campaign_lead
		 WHERE campaign_id = '00000000-0000-0000-0023-200000000004' AND status IN ('pending', 'active')) x;
SELECT status, processed_leads, total_leads FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000004';
SELECT status, stop_reason, count(*) FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0023-200000000004'
 GROUP BY 1, 2 ORDER BY 1, 2;
-- Events on a finished lead are recorded but change nothing.
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000004', campaign_lead_id, '{"type":"replied"}') ->> 'type' AS late
  FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0023-200000000004' AND stop_reason = 'bounced';
SELECT processed_leads FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000004';
-- The bounce and the unsubscribe suppressed those addresses (SPEC §11); the
-- campaigns below reuse them (mk numbers every dataset's leads alike).
SELECT s ->> 'value' AS value, s ->> 'reason' AS reason, s ->> 'source' ~ '^event:[0-9]+$' AS source_event
  FROM jsonb_array_elements(campaigns.suppression_list('{}')) s ORDER BY 1;
SELECT count(campaigns.suppression_delete((s ->> 'suppression_id')::uuid)) AS unsuppressed
  FROM jsonb_array_elements(campaigns.suppression_list('{}')) s;

-- A lead runs through all three steps and completes.
SELECT pg_temp.mk(5, 1) IS NOT NULL AS c5;
SELECT pg_temp.tick('2030-03-04 10:00Z') AS q1;
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000005', 1), 'sent', '2030-03-04 10:00:01Z');
SELECT pg_temp.tick('2030-03-05 09:00Z') AS too_early;
SELECT pg_temp.tick('2030-03-05 10:00:01Z') AS q2;
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000005', 2), 'sent', '2030-03-05 10:00:02Z');
SELECT pg_temp.tick('2030-03-07 10:00:02Z') AS q3;
SELECT campaigns.action_record_outcome(pg_temp.aid('00000000-0000-0000-0023-200000000005', 3), 'sent', '2030-03-07 10:00:03Z');
SELECT status, current_step, next_step, eligible_at, finished_at, variants FROM campaigns.campaign_lead
 WHERE campaign_id = '00000000-0000-0000-0023-200000000005';
SELECT status, processed_leads, total_leads, next_action_at FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000005';

-- Aliases edited while paused: the lanes follow; an alias that stays keeps
-- its interval, a new one is free at once.
SELECT pg_temp.mk(6, 6) IS NOT NULL AS c6;
SELECT pg_temp.tick('2030-03-04 10:00Z') AS queued;
SELECT campaigns.campaign_pause('00000000-0000-0000-0023-200000000006') ->> 'status' AS paused;
UPDATE campaigns.campaign SET alias_ids = '{m2,m9}' WHERE campaign_id = '00000000-0000-0000-0023-200000000006';
SELECT campaigns.campaign_resume('00000000-0000-0000-0023-200000000006') ->> 'status' AS resumed;
SELECT lane_email_count, lane_aliases, lane_last_sent_at[1] = '2030-03-04 10:00Z' AS m2_kept, lane_last_sent_at[2] IS NULL AS m9_free
  FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0023-200000000006';
SELECT pg_temp.tick('2030-03-04 10:00:30Z') AS queued_half_interval;
SELECT pg_temp.tick('2030-03-04 10:01Z') AS queued_full_interval;
SELECT a, state, alias, due FROM pg_temp.acts('00000000-0000-0000-0023-200000000006');

-- campaign_leads: filters and errors.
SELECT jsonb_array_length(campaigns.campaign_leads('00000000-0000-0000-0023-200000000003')) AS all_leads,
	   jsonb_array_length(campaigns.campaign_leads('00000000-0000-0000-0023-200000000003', '{"status":"failed"}')) AS failed,
	   jsonb_array_length(campaigns.campaign_leads('00000000-0000-0000-0023-200000000003', '{"limit":4,"offset":12}')) AS page,
	   jsonb_array_length(campaigns.campaign_leads('00000000-0000-0000-0023-200000000003', '{"limit":"2"}')) AS string_limit;
SELECT jsonb_object_keys(campaigns.campaign_leads('00000000-0000-0000-0023-200000000005') -> 0) AS keys ORDER BY 1;
SELECT campaigns.campaign_leads('00000000-0000-0000-0023-200000000003', '{"status":"gone","limit":0,"offset":-1}');
SELECT campaigns.campaign_leads('00000000-0000-0000-0023-200000000003', '{"limit":101,"offset":"x"}');
\set VERBOSITY sqlstate
SELECT campaigns.campaign_leads(gen_random_uuid());
\set VERBOSITY default

-- Tenancy: another user's campaign lead is not found; the worker's
-- functions are not for application roles.
CREATE ROLE sched23_app;
GRANT campaigns_user TO sched23_app;
SET ROLE sched23_app;
SET campaigns.user_id = '00000000-0000-0000-0023-000000000002';
\set VERBOSITY sqlstate
SELECT campaigns.lead_event_record('00000000-0000-0000-0023-200000000005',
	(SELECT campaign_lead_id FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0023-200000000005'), '{"type":"replied"}');
SELECT campaigns.campaign_leads('00000000-0000-0000-0023-200000000005');
SELECT campaigns.action_record_outcome(1, 'sent');
SELECT campaigns.action_record_outcomes('{1}', '{sent}', NULL, NULL, NULL, NULL);
\set VERBOSITY default
SET campaigns.user_id = '00000000-0000-0000-0023-000000000001';
SELECT jsonb_array_length(campaigns.campaign_leads('00000000-0000-0000-0023-200000000005')) AS own_leads;
RESET ROLE;
DROP ROLE sched23_app;
