-- tick over 40 simulated days (2026-09-28 .. 2026-11-07) for campaigns in
-- America/New_York, Europe/London, Australia/Lord_Howe, Asia/Kathmandu and
-- UTC, across their DST changes (Lord Howe 2026-10-04, London 2026-10-25,
-- New York 2026-11-01), with several windows, send days, limits, intervals
-- and lanes.  Every queued action is sent at once; then every rule of
-- SPEC §6 is checked on every action.  Test user prefix 0022.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET campaigns.user_id = '00000000-0000-0000-0022-000000000001';

-- Fixture: a campaign (draft, inserted directly) over its own dataset of n
-- leads, three steps (delays 0, 2, 3 days), launched, then its leads made
-- eligible at the simulation start.
CREATE FUNCTION pg_temp.mk(k int, tz text, ws time, we time, days text[], lim int, ivl int,
						   aliases text[], channel text, nleads int) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	uid uuid := current_setting('campaigns.user_id')::uuid;
	ds uuid := ('00000000-0000-0000-0022-1000000000' || lpad(k::text, 2, '0'))::uuid;
	cid uuid := ('00000000-0000-0000-0022-2000000000' || lpad(k::text, 2, '0'))::uuid;
	steps jsonb;
BEGIN
	INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES (ds, uid, 'sim ' || k);
	INSERT INTO campaigns.lead (user_id, dataset_id, email, linkedin_url)
	SELECT uid, ds, 'lead' || i || '@c' || k || '.example', 'https://linkedin.example/in/' || k || '-' || i
	  FROM generate_series(1, nleads) i;
	IF channel = 'email' THEN
		steps := '[{"step":1,"delay_days":0,"channel":"email","action_type":"send_email","variants":[{"label":"A","weight":70},{"label":"B","weight":30}]},
				   {"step":2,"delay_days":2,"channel":"email","action_type":"send_email","variants":[{"label":"A","weight":50}]},
				   {"step":3,"delay_days":3,"channel":"email","action_type":"send_email","variants":[{"label":"A","weight":50}]}]';
	ELSE
		steps := '[{"step":1,"delay_days":0,"channel":"linkedin","action_type":"connection_request"},
				   {"step":2,"delay_days":2,"channel":"linkedin","action_type":"message"},
				   {"step":3,"delay_days":3,"channel":"linkedin","action_type":"message"}]';
	END IF;
	INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, connected_account_id, unreviewed_launch_policy)
	VALUES (cid, uid, ds, 'sim ' || k, channel, 'immediate', lim, ws, we, ivl, tz, days, steps,
		CASE WHEN channel = 'email' THEN aliases END,
		CASE WHEN channel = 'linkedin' THEN '00000000-0000-0000-0022-3000000000a1'::uuid END,
		'launch_default');
	PERFORM campaigns.campaign_launch(cid);
	UPDATE campaigns.campaign_lead SET eligible_at = '2026-09-28 00:00Z' WHERE campaign_id = cid;
	UPDATE campaigns.campaign SET activated_at = '2026-09-28 00:00Z', next_action_at = '2026-09-28 00:00Z'
	 WHERE campaign_id = cid;
	RETURN cid;
END
$$;

INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
SELECT current_setting('campaigns.user_id')::uuid, a, a || '@sender.example' FROM unnest(ARRAY['a1', 'a2', 'a3']) a;
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name)
VALUES ('00000000-0000-0000-0022-3000000000a1', current_setting('campaigns.user_id')::uuid, 'li');

CREATE TEMP TABLE sim (k int, cid uuid, pause_from timestamptz, resume_at timestamptz,
					   paused_at timestamptz, resumed_at timestamptz);
INSERT INTO sim (k, cid) VALUES
	(1, pg_temp.mk(1, 'America/New_York', '09:00', '17:00', '{mon,tue,wed,thu,fri}', 7, 1800, '{a1,a2}', 'email', 60)),
	(2, pg_temp.mk(2, 'Europe/London', '08:30', '12:00', '{mon,wed,fri}', 5, 600, '{a1}', 'email', 40)),
	-- the window opens inside Lord Howe's 02:00 -> 02:30 gap on 2026-10-04
	(3, pg_temp.mk(3, 'Australia/Lord_Howe', '02:10', '03:30', '{mon,tue,wed,thu,fri,sat,sun}', 4, 900, '{a1}', 'email', 40)),
	-- a window ending at midnight in a +05:45 zone
	(4, pg_temp.mk(4, 'Asia/Kathmandu', '22:00', '24:00', '{mon,tue,wed,thu,fri,sat,sun}', 6, 300, '{a1,a2,a3}', 'email', 50)),
	-- a single send day, whole-day window
	(5, pg_temp.mk(5, 'UTC', '00:00', '24:00', '{tue}', 20, 3600, '{a1,a2}', 'email', 40)),
	-- New York's repeated hour 01:00-02:00 on 2026-11-01
	(6, pg_temp.mk(6, 'America/New_York', '01:00', '02:30', '{mon,tue,wed,thu,fri,sat,sun}', 20, 600, '{a1}', 'email', 200)),
	-- paused from 2026-10-07 12:00 to 2026-10-09 12:00 UTC
	(7, pg_temp.mk(7, 'Europe/London', '09:00', '17:00', '{mon,tue,wed,thu,fri}', 10, 900, '{a1,a2}', 'email', 60)),
	-- LinkedIn: one lane, the connected account
	(8, pg_temp.mk(8, 'UTC', '10:00', '16:00', '{mon,tue,wed,thu,fri}', 3, 3600, NULL, 'linkedin', 20)),
	-- a 30-minute offset zone with a whole-day window and a small limit hit mid-window
	(9, pg_temp.mk(9, 'Australia/Lord_Howe', '08:00', '20:00', '{mon,tue,wed,thu,fri}', 3, 60, '{a1,a2}', 'email', 30));
UPDATE sim SET pause_from = '2026-10-07 12:00Z', resume_at = '2026-10-09 12:00Z' WHERE k = 7;

SELECT k, c.status, c.total_leads FROM sim JOIN campaigns.campaign c ON c.campaign_id = sim.cid ORDER BY k;

-- Forecasts taken before the run, to compare with what the run queues.
CREATE TEMP TABLE fc AS
SELECT sim.k, d ->> 'date' AS day, (d ->> 'planned_sends')::int AS planned, f ->> 'next_send_time' AS next_send
  FROM sim,
	   LATERAL campaigns._forecast(sim.cid, 35, '2026-09-28 00:00Z') f,
	   LATERAL jsonb_array_elements(f -> 'days') d
 WHERE sim.k <> 7;

-- The run: tick, send everything queued at once, jump to the next due time.
DO $$
DECLARE
	t timestamptz := '2026-09-28 00:00Z';
	stop constant timestamptz := '2026-11-07 00:00Z';
	r jsonb;
	ids bigint[];
	nxt timestamptz;
	same int := 0;
	turns int := 0;
	s record;
BEGIN
	WHILE t < stop LOOP
		FOR s IN SELECT * FROM sim WHERE pause_from IS NOT NULL LOOP
			IF s.paused_at IS NULL AND t >= s.pause_from THEN
				PERFORM campaigns.campaign_pause(s.cid);
				UPDATE sim SET paused_at = t WHERE k = s.k;
			ELSIF s.paused_at IS NOT NULL AND s.resumed_at IS NULL AND t >= s.resume_at THEN
				PERFORM campaigns.campaign_resume(s.cid);
				UPDATE sim SET resumed_at = t WHERE k = s.k;
			END IF;
		END LOOP;
		r := campaigns.tick(t);
		SELECT array_agg(action_id ORDER BY action_id) INTO ids FROM campaigns.action
		 WHERE state = 'queued' AND next_attempt_at <= t AND campaign_id IN (SELECT cid FROM sim);
		IF ids IS NOT NULL THEN
			UPDATE campaigns.action SET state = 'in_flight' WHERE action_id = ANY (ids);
			PERFORM campaigns.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
				array_fill(t, ARRAY[cardinality(ids)]), NULL, NULL, NULL);
		END IF;
		-- (only this file's campaigns: others may share the database)
		SELECT min(next_action_at) INTO nxt FROM campaigns.campaign
		 WHERE status IN ('launching', 'scheduled', 'active', 'draining') AND campaign_id IN (SELECT cid FROM sim);
		nxt := least(coalesce(nxt, stop), (SELECT min(resume_at) FROM sim WHERE resumed_at IS NULL AND resume_at > t),
					 (SELECT min(pause_from) FROM sim WHERE paused_at IS NULL AND pause_from > t));
		IF nxt <= t THEN
			same := same + 1;
			IF same > 3 THEN
				RAISE EXCEPTION 'simulation stuck at %', t;
			END IF;
			nxt := t;
		ELSE
			same := 0;
		END IF;
		t := nxt;
		turns := turns + 1;
	END LOOP;
	RAISE NOTICE 'simulation done';
END
$$;

-- What happened, per campaign.
SELECT k, c.status, count(a.*) AS actions,
	   count(*) FILTER (WHERE a.step = 1) AS step1, count(*) FILTER (WHERE a.step = 2) AS step2,
	   count(*) FILTER (WHERE a.step = 3) AS step3, c.processed_leads, c.total_leads
  FROM sim JOIN campaigns.campaign c ON c.campaign_id = sim.cid
  LEFT JOIN campaigns.action a ON a.campaign_id = sim.cid
 GROUP BY k, c.status, c.processed_leads, c.total_leads ORDER BY k;

CREATE TEMP VIEW acts AS
SELECT sim.k, c.timezone, c.sending_window_start AS ws, c.sending_window_end AS we, c.send_days,
	   c.daily_limit, c.min_interval_seconds, a.*, coalesce(a.alias_id, a.connected_account_id::text) AS lane,
	   (a.due_at AT TIME ZONE c.timezone) AS local
  FROM campaigns.action a JOIN campaigns.campaign c USING (campaign_id) JOIN sim ON sim.cid = a.campaign_id;

-- Every action went out when queued, and was sent.
SELECT count(*) AS not_sent FROM acts WHERE state <> 'sent' OR sent_at <> due_at;

-- Inside the window, on an allowed local day.
SELECT k, id, local FROM (SELECT k, action_id AS id, local, ws, we, send_days FROM acts) x
 WHERE local::time < ws OR (we <> '24:00' AND local::time >= we)
	OR lower(to_char(local, 'Dy')) <> ALL (send_days);

-- At most daily_limit per local day.
SELECT k, local::date, count(*) FROM acts GROUP BY k, local::date, daily_limit HAVING count(*) > daily_limit;

-- At least min_interval apart per lane.
SELECT k, lane, due_at, prev FROM (
	SELECT k, lane, due_at, min_interval_seconds,
		   lag(due_at) OVER (PARTITION BY k, lane ORDER BY due_at, action_id) AS prev FROM acts) x
 WHERE due_at - prev < make_interval(secs => min_interval_seconds);

-- Each step at least delay_days (local days) after the previous one was sent.
SELECT a.k, a.campaign_lead_id, a.step FROM acts a JOIN acts p
	ON p.campaign_lead_id = a.campaign_lead_id AND p.step = a.step - 1
 WHERE a.due_at < campaigns.add_local_days(p.sent_at, CASE a.step WHEN 2 THEN 2 ELSE 3 END, a.timezone);
SELECT count(*) AS step_without_previous FROM acts a
 WHERE a.step > 1 AND NOT EXISTS (SELECT 1 FROM acts p WHERE p.campaign_lead_id = a.campaign_lead_id AND p.step = a.step - 1);
SELECT count(*) AS before_start FROM acts WHERE due_at < '2026-09-28 00:00Z';

-- Follow-ups before new leads: no first step went out while a follow-up
-- of the same campaign was eligible and still waiting.
SELECT n.k, n.due_at, f.campaign_lead_id, f.step FROM acts n JOIN acts f ON f.k = n.k AND f.step > 1
  JOIN acts p ON p.campaign_lead_id = f.campaign_lead_id AND p.step = f.step - 1
 WHERE n.step = 1 AND f.due_at > n.due_at
   AND campaigns.add_local_days(p.sent_at, CASE f.step WHEN 2 THEN 2 ELSE 3 END, f.timezone) <= n.due_at;

-- Campaign 7: nothing while paused, no burst after resume.
SELECT paused_at, resumed_at FROM sim WHERE k = 7;
SELECT count(*) AS sent_while_paused FROM acts a JOIN sim s ON s.k = a.k
 WHERE a.k = 7 AND a.due_at >= s.paused_at AND a.due_at < s.resumed_at;
SELECT count(*) AS in_first_interval_after_resume FROM acts a JOIN sim s ON s.k = a.k
 WHERE a.k = 7 AND a.due_at >= s.resumed_at AND a.due_at < s.resumed_at + interval '15 minutes';

-- DST days: the first sends on the change days, in local time.
SELECT k, min(due_at) AS first_utc, min(local) AS first_local FROM acts
 WHERE (k = 3 AND local::date = '2026-10-04') OR (k = 6 AND local::date = '2026-11-01')
 GROUP BY k ORDER BY k;
-- Campaign 6 on the day of the repeated hour: sends in both passes of 01:xx.
SELECT count(*) FILTER (WHERE due_at < '2026-11-01 06:00Z') AS edt, count(*) FILTER (WHERE due_at >= '2026-11-01 06:00Z') AS est
  FROM acts WHERE k = 6 AND local::date = '2026-11-01';

-- The forecast made before the run agrees with the run, day by day.
SELECT f.k, f.day, f.planned, count(a.*) AS queued
  FROM fc f LEFT JOIN acts a ON a.k = f.k AND to_char(a.local, 'YYYY-MM-DD') = f.day
 GROUP BY f.k, f.day, f.planned HAVING f.planned <> count(a.*) ORDER BY 1, 2;
SELECT f.k, f.next_send, to_char(min(a.due_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first_queued
  FROM (SELECT DISTINCT k, next_send FROM fc) f JOIN acts a ON a.k = f.k GROUP BY f.k, f.next_send
HAVING f.next_send IS DISTINCT FROM to_char(min(a.due_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
SELECT count(*) > 200 AS forecast_compared, sum(planned) > 0 AS forecast_nonempty FROM fc;

-- Counters stay true.
SELECT k, c.processed_leads = (SELECT count(*) FROM campaigns.campaign_lead cl
								WHERE cl.campaign_id = c.campaign_id AND cl.status NOT IN ('pending', 'active')) AS processed_true,
	   c.total_leads = (SELECT count(*) FROM campaigns.campaign_lead cl WHERE cl.campaign_id = c.campaign_id) AS total_true
  FROM sim JOIN campaigns.campaign c ON c.campaign_id = sim.cid ORDER BY k;
