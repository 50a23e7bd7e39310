-- Deterministic variant assignment (SPEC §6): hash(campaign_id, lead_id,
-- step) picks a variant in proportion to the weights.  Test user prefix 0024.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- 10,000 leads over weights 70/30 land within 2 percentage points.
CREATE TEMP TABLE picks AS
SELECT i, campaigns.pick_variant('00000000-0000-0000-0024-000000000001',
		('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 1, ARRAY[70, 30]) AS v
  FROM generate_series(1, 10000) i;
SELECT count(*) FILTER (WHERE v NOT IN (1, 2)) AS out_of_range,
	   abs(count(*) FILTER (WHERE v = 1) / 100.0 - 70) <= 2 AS within_2pp_of_70,
	   abs(count(*) FILTER (WHERE v = 2) / 100.0 - 30) <= 2 AS within_2pp_of_30
  FROM picks;
-- The same lead always gets the same variant.
SELECT count(*) AS changed FROM picks
 WHERE v <> campaigns.pick_variant('00000000-0000-0000-0024-000000000001',
		('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 1, ARRAY[70, 30]);
-- Another step or another campaign is an independent draw (not the same split).
SELECT count(*) FILTER (WHERE v = campaigns.pick_variant('00000000-0000-0000-0024-000000000001',
		('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 2, ARRAY[70, 30])) BETWEEN 5400 AND 6200 AS step_independent,
	   count(*) FILTER (WHERE v = campaigns.pick_variant('00000000-0000-0000-0024-000000000002',
		('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 1, ARRAY[70, 30])) BETWEEN 5400 AND 6200 AS campaign_independent
  FROM picks;
-- Five variants 10/20/30/40/0: each share within 2 points, zero weight never.
SELECT v, round(count(*) / 100.0) AS pct FROM (
	SELECT campaigns.pick_variant('00000000-0000-0000-0024-000000000003',
		('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 3, ARRAY[10, 20, 30, 40, 0]) AS v
	  FROM generate_series(1, 10000) i) x GROUP BY v ORDER BY v;
SELECT bool_and(abs(pct - w) <= 2) AS all_within_2pp FROM (
	SELECT v, count(*) / 100.0 AS pct, (ARRAY[10, 20, 30, 40, 0])[v] AS w FROM (
		SELECT campaigns.pick_variant('00000000-0000-0000-0024-000000000003',
			('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, 3, ARRAY[10, 20, 30, 40, 0]) AS v
		  FROM generate_series(1, 10000) i) x GROUP BY v) y;
-- Edge cases: one variant; a single positive weight among zeros; all zero.
SELECT campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, ARRAY[50]) AS one,
	   campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, ARRAY[0, 0, 1]) AS only_third,
	   campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, ARRAY[0, 0]) AS all_zero,
	   campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, '{}') AS no_weights;
\set VERBOSITY sqlstate
SELECT campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, ARRAY[50, -1]);
SELECT campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, ARRAY[50, NULL]);
SELECT campaigns.pick_variant(gen_random_uuid(), gen_random_uuid(), 1, '{{1},{2}}');
\set VERBOSITY default
-- _step_variant reads the labels and weights (default 50) of a step object.
SELECT campaigns._step_variant('00000000-0000-0000-0024-000000000001', '00000000-0000-4000-8024-000000000001',
		'{"step":1,"variants":[{"label":"only"}]}') AS default_weight,
	   campaigns._step_variant('00000000-0000-0000-0024-000000000001', '00000000-0000-4000-8024-000000000001',
		'{"step":1,"variants":[{"label":"never","weight":0},{"label":"always","weight":5}]}') AS weighted,
	   campaigns._step_variant('00000000-0000-0000-0024-000000000001', '00000000-0000-4000-8024-000000000001',
		'{"step":1,"action_type":"profile_visit"}') AS no_variants;
-- The action tick queues carries the variant its hash picks, and the lead
-- records it.
SET campaigns.user_id = '00000000-0000-0000-0024-000000000001';
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES ('00000000-0000-0000-0024-000000000001', 'v1', 'v1@s.example');
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES ('00000000-0000-0000-0024-0000000000d1', '00000000-0000-0000-0024-000000000001', 'v');
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
SELECT ('00000000-0000-4000-8024-' || lpad(i::text, 12, '0'))::uuid, '00000000-0000-0000-0024-000000000001',
	   '00000000-0000-0000-0024-0000000000d1', 'v' || i || '@l.example' FROM generate_series(1, 200) i;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
	alias_ids, unreviewed_launch_policy)
VALUES ('00000000-0000-0000-0024-000000000001', '00000000-0000-0000-0024-000000000001', '00000000-0000-0000-0024-0000000000d1',
	'v', 'email', 'immediate', 10000, '00:00', '24:00', 60, 'UTC', '{mon,tue,wed,thu,fri,sat,sun}',
	'[{"step":1,"channel":"email","variants":[{"label":"A","weight":70},{"label":"B","weight":30}]}]', '{v1}', 'launch_default');
SELECT campaigns.campaign_launch('00000000-0000-0000-0024-000000000001') -> 'summary' AS summary;
UPDATE campaigns.campaign_lead SET eligible_at = '2031-01-01 00:00Z' WHERE campaign_id = '00000000-0000-0000-0024-000000000001';
UPDATE campaigns.campaign SET next_action_at = '2031-01-01 00:00Z' WHERE campaign_id = '00000000-0000-0000-0024-000000000001';
DO $$
BEGIN
	FOR i IN 0 .. 199 LOOP
		PERFORM campaigns.tick('2031-01-01 00:00Z'::timestamptz + make_interval(mins => i));
	END LOOP;
END
$$;
SELECT count(*) AS actions,
	   count(*) FILTER (WHERE a.variant = (ARRAY['A', 'B'])[campaigns.pick_variant(a.campaign_id, cl.lead_id, 1, ARRAY[70, 30])]) AS hash_agrees,
	   count(*) FILTER (WHERE cl.variants ->> '1' = a.variant) AS lead_records_it,
	   count(*) FILTER (WHERE a.variant = 'A') AS a, count(*) FILTER (WHERE a.variant = 'B') AS b
  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id)
 WHERE a.campaign_id = '00000000-0000-0000-0024-000000000001';
