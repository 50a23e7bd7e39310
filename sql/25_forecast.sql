-- campaign_forecast: planned sends per local day and the next send time,
-- computed by running the scheduler on a copy that is rolled back.  (Its
-- agreement with a real run is checked in 22_tick_simulation.)  Test user
-- prefix 0025.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET campaigns.user_id = '00000000-0000-0000-0025-000000000001';
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES ('00000000-0000-0000-0025-000000000001', 'f1', 'f1@s.example');
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES ('00000000-0000-0000-0025-0000000000d1', '00000000-0000-0000-0025-000000000001', 'f');
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
SELECT ('00000000-0000-4000-8025-' || lpad(i::text, 12, '0'))::uuid, '00000000-0000-0000-0025-000000000001',
	   '00000000-0000-0000-0025-0000000000d1', 'f' || i || '@l.example' FROM generate_series(1, 10) i;
CREATE FUNCTION pg_temp.mk(n int, launch text DEFAULT 'immediate', start timestamptz DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	cid uuid := ('00000000-0000-0000-0025-2000000000' || lpad(n::text, 2, '0'))::uuid;
BEGIN
	INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, start_date, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, unreviewed_launch_policy)
	VALUES (cid, '00000000-0000-0000-0025-000000000001', '00000000-0000-0000-0025-0000000000d1', 'f' || n, 'email',
		launch, start, 4, '09:00', '17:00', 600, 'Asia/Kathmandu', '{mon,tue,wed,thu,fri}',
		'[{"step":1,"channel":"email","variants":[{"label":"A","weight":1}]},
		  {"step":2,"delay_days":1,"channel":"email","variants":[{"label":"A","weight":1}]}]', '{f1}', 'launch_default');
	RETURN cid;
END
$$;

-- A fixed start (Monday 2031-01-06 00:00 UTC = 05:45 local): 4 sends a
-- weekday (the limit), first steps and follow-ups, none at the weekend.
SELECT pg_temp.mk(1) IS NOT NULL AS c1;
SELECT campaigns.campaign_launch('00000000-0000-0000-0025-200000000001') -> 'summary' AS summary;
UPDATE campaigns.campaign_lead SET eligible_at = '2031-01-06 00:00Z' WHERE campaign_id = '00000000-0000-0000-0025-200000000001';
SELECT f - 'days' - 'campaign_id' AS forecast, f -> 'days' AS days
  FROM campaigns._forecast('00000000-0000-0000-0025-200000000001', 9, '2031-01-06 00:00Z') f;
-- Nothing was changed by it.
SELECT count(*) AS actions FROM campaigns.action WHERE campaign_id = '00000000-0000-0000-0025-200000000001';
SELECT status, pace_day_count, processed_leads, (SELECT count(*) FROM campaigns.campaign_lead
	WHERE campaign_id = '00000000-0000-0000-0025-200000000001' AND status = 'pending') AS pending
  FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0025-200000000001';

-- The public function forecasts from now(): its shape.
SELECT jsonb_array_length(f -> 'days') AS days, f ->> 'total_planned' IS NOT NULL AS has_total,
	   f ->> 'next_send_time' IS NOT NULL AS has_next, f ->> 'status' AS status, f ->> 'timezone' AS tz, f -> 'truncated' AS truncated,
	   (f -> 'days' -> 0 ->> 'date')::date = (now() AT TIME ZONE 'Asia/Kathmandu')::date AS starts_today
  FROM campaigns.campaign_forecast('00000000-0000-0000-0025-200000000001', 14) f;

-- Paused: nothing planned, and the reason says why.
SELECT campaigns.campaign_pause('00000000-0000-0000-0025-200000000001') ->> 'status' AS status;
SELECT f ->> 'total_planned' AS planned, f ->> 'next_send_time' AS next, f ->> 'reason' AS reason
  FROM campaigns.campaign_forecast('00000000-0000-0000-0025-200000000001', 3) f;
-- Draft: not launched.
SELECT pg_temp.mk(2) IS NOT NULL AS c2;
SELECT f ->> 'total_planned' AS planned, f ->> 'reason' AS reason
  FROM campaigns.campaign_forecast('00000000-0000-0000-0025-200000000002', 3) f;
-- Scheduled: nothing before start_date (Wednesday 2031-01-08 04:15 UTC = 10:00 local).
SELECT pg_temp.mk(3, 'scheduled', '2031-01-08 04:15Z') IS NOT NULL AS c3;
SELECT campaigns.campaign_launch('00000000-0000-0000-0025-200000000003') -> 'campaign' ->> 'status' AS status;
SELECT f ->> 'next_send_time' AS next, f -> 'days' AS days
  FROM campaigns._forecast('00000000-0000-0000-0025-200000000003', 4, '2031-01-06 00:00Z') f;
SELECT status FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0025-200000000003';

-- A long simulation stops after 1,000 sends: truncated, later days unknown.
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
SELECT '00000000-0000-0000-0025-000000000001', 'g' || i, 'g' || i || '@s.example' FROM generate_series(1, 5) i;
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES ('00000000-0000-0000-0025-0000000000d2', '00000000-0000-0000-0025-000000000001', 'many');
INSERT INTO campaigns.lead (user_id, dataset_id, email)
SELECT '00000000-0000-0000-0025-000000000001', '00000000-0000-0000-0025-0000000000d2', 'm' || i || '@l.example' FROM generate_series(1, 1200) i;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
	alias_ids, unreviewed_launch_policy)
VALUES ('00000000-0000-0000-0025-200000000004', '00000000-0000-0000-0025-000000000001', '00000000-0000-0000-0025-0000000000d2',
	'many', 'email', 'immediate', 700, '00:00', '24:00', 60, 'UTC', '{mon,tue,wed,thu,fri,sat,sun}',
	'[{"step":1,"channel":"email","variants":[{"label":"A","weight":1}]}]', '{g1,g2,g3,g4,g5}', 'launch_default');
SELECT campaigns.campaign_launch('00000000-0000-0000-0025-200000000004') -> 'campaign' ->> 'status' AS status;
UPDATE campaigns.campaign_lead SET eligible_at = '2031-01-06 00:00Z' WHERE campaign_id = '00000000-0000-0000-0025-200000000004';
SELECT f -> 'truncated' AS truncated, f -> 'total_planned' AS planned, f -> 'days' AS days
  FROM campaigns._forecast('00000000-0000-0000-0025-200000000004', 4, '2031-01-06 00:00Z') f;

-- Errors.
\set VERBOSITY sqlstate
SELECT campaigns.campaign_forecast(gen_random_uuid(), 7);
\set VERBOSITY default
SELECT campaigns.campaign_forecast('00000000-0000-0000-0025-200000000001', 0);
SELECT campaigns.campaign_forecast('00000000-0000-0000-0025-200000000001', 91);
-- NULL days is the default, as an omitted ?days= (ForecastQuery: 14).
SELECT jsonb_array_length(campaigns.campaign_forecast('00000000-0000-0000-0025-200000000001', NULL) -> 'days') AS default_days;

-- Tenancy.
CREATE ROLE sched25_app;
GRANT campaigns_user TO sched25_app;
SET ROLE sched25_app;
SET campaigns.user_id = '00000000-0000-0000-0025-000000000002';
\set VERBOSITY sqlstate
SELECT campaigns.campaign_forecast('00000000-0000-0000-0025-200000000003', 7);
SELECT campaigns._forecast('00000000-0000-0000-0025-200000000003', 7, now());
SELECT campaigns._forecast('00000000-0000-0000-0025-200000000001', 0, now());
\set VERBOSITY default
SET campaigns.user_id = '00000000-0000-0000-0025-000000000001';
SELECT jsonb_array_length(campaigns.campaign_forecast('00000000-0000-0000-0025-200000000003', 7) -> 'days') AS own_days;
SELECT status FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0025-200000000003';
RESET ROLE;
-- (_forecast, with a chosen start, is the owner's: the API is campaign_forecast)
SELECT campaigns._forecast('00000000-0000-0000-0025-200000000003', 4, '2031-01-06 00:00Z') -> 'total_planned' AS own_planned;
-- (and it checks the caller's ownership itself: another user's campaign is
-- not found, even for the owner acting as that user)
SET campaigns.user_id = '00000000-0000-0000-0025-000000000002';
\set VERBOSITY sqlstate
SELECT campaigns._forecast('00000000-0000-0000-0025-200000000003', 7, now());
\set VERBOSITY default
SET campaigns.user_id = '00000000-0000-0000-0025-000000000001';
DROP ROLE sched25_app;
