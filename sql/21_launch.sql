-- campaign_launch and the user's status changes (SPEC §5): summary and
-- warnings, launch failures and reset, batched enrolment through tick,
-- scheduled start under each unreviewed-launch policy, pause, resume, stop,
-- unschedule, playground review, errors and tenancy.  Test user prefix 0021.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SET campaigns.user_id = '00000000-0000-0000-0021-000000000001';

INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
VALUES ('00000000-0000-0000-0021-000000000001', 'al1', 'al1@sender.example');
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name)
VALUES ('00000000-0000-0000-0021-0000000000a1', '00000000-0000-0000-0021-000000000001', 'li');
-- Dataset 1: 12 leads; 2 without email (one blank), 1 without linkedin_url.
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
VALUES ('00000000-0000-0000-0021-0000000000d1', '00000000-0000-0000-0021-000000000001', 'd1'),
	   ('00000000-0000-0000-0021-0000000000d2', '00000000-0000-0000-0021-000000000001', 'empty');
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email, linkedin_url)
SELECT ('00000000-0000-0000-0021-1000000000' || lpad(i::text, 2, '0'))::uuid, '00000000-0000-0000-0021-000000000001',
	   '00000000-0000-0000-0021-0000000000d1',
	   CASE i WHEN 3 THEN NULL WHEN 7 THEN '  ' ELSE 'p' || i || '@lead.example' END,
	   CASE WHEN i = 5 THEN NULL ELSE 'https://li.example/in/' || i END
  FROM generate_series(1, 12) i;

-- mk(n, ...): a draft campaign inserted directly (the create API is another
-- issue's).
CREATE FUNCTION pg_temp.mk(n int, ctype text DEFAULT 'email', launch text DEFAULT 'immediate',
						   start timestamptz DEFAULT NULL, ai boolean DEFAULT false,
						   policy text DEFAULT 'launch_default', aliases text[] DEFAULT '{al1}',
						   ds uuid DEFAULT '00000000-0000-0000-0021-0000000000d1',
						   account uuid DEFAULT '00000000-0000-0000-0021-0000000000a1') RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	cid uuid := ('00000000-0000-0000-0021-2000000000' || lpad(n::text, 2, '0'))::uuid;
BEGIN
	INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, start_date,
		daily_limit, sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
		steps_config, alias_ids, connected_account_id, unreviewed_launch_policy)
	VALUES (cid, '00000000-0000-0000-0021-000000000001', ds, 'c' || n, ctype, launch, start,
		50, '09:00', '17:00', 300, 'Europe/London', '{mon,tue,wed,thu,fri}',
		CASE ctype
			WHEN 'email' THEN jsonb_build_array(jsonb_build_object('step', 1, 'delay_days', 1, 'channel', 'email',
				'ai_personalization_enabled', ai, 'variants', '[{"label":"A","weight":50}]'::jsonb))
			WHEN 'linkedin' THEN '[{"step":1,"delay_days":0,"channel":"linkedin","action_type":"connection_request"}]'::jsonb
			ELSE '[{"step":1,"delay_days":0,"channel":"email","variants":[{"label":"A","weight":50}]},
				   {"step":2,"delay_days":2,"channel":"linkedin","action_type":"message"}]'::jsonb END,
		CASE WHEN ctype <> 'linkedin' THEN aliases END,
		CASE WHEN ctype <> 'email' THEN account END, policy);
	RETURN cid;
END
$$;
CREATE FUNCTION pg_temp.st(cid uuid) RETURNS text LANGUAGE sql AS $$
	SELECT status || coalesce(' (' || paused_reason || ')', '') || ' total=' || coalesce(total_leads::text, 'null')
		   || ' processed=' || processed_leads
	  FROM campaigns.campaign WHERE campaign_id = cid
$$;

-- Immediate launch of an email campaign: 10 of 12 leads reachable.
SELECT pg_temp.mk(1) IS NOT NULL AS created;
SELECT r -> 'summary' AS summary, jsonb_array_length(r -> 'warnings') AS warnings,
	   r -> 'campaign' ->> 'status' AS status, (r -> 'campaign' ->> 'total_leads')::int AS total_leads,
	   r -> 'campaign' ->> 'launch_job_id' IS NOT NULL AS has_job, r -> 'campaign' ->> 'launch_requested_at' IS NOT NULL AS requested
  FROM campaigns.campaign_launch('00000000-0000-0000-0021-200000000001') r;
SELECT w ->> 'lead_id' AS lead_id, w ->> 'code' AS code, w ->> 'message' AS message
  FROM jsonb_array_elements((SELECT campaigns.campaign_launch(pg_temp.mk(2)) -> 'warnings')) w;
SELECT count(*) AS enrolled, count(*) FILTER (WHERE cl.status = 'pending' AND current_step = 0 AND next_step = 1
											  AND next_channel = 'email') AS pending_step1,
	   bool_and(eligible_at = campaigns.add_local_days(c.activated_at, 1, 'Europe/London')) AS eligible_after_delay,
	   bool_and(c.activated_at = c.launch_requested_at) AS activated_at_launch
  FROM campaigns.campaign_lead cl JOIN campaigns.campaign c USING (campaign_id)
 WHERE campaign_id = '00000000-0000-0000-0021-200000000001';
SELECT pg_temp.st('00000000-0000-0000-0021-200000000001');

-- A LinkedIn campaign skips the lead without linkedin_url; a mixed one needs both.
SELECT campaigns.campaign_launch(pg_temp.mk(3, 'linkedin')) -> 'summary' AS linkedin_summary;
SELECT campaigns.campaign_launch(pg_temp.mk(4, 'mixed')) -> 'summary' AS mixed_summary;
SELECT lane_email_count, cardinality(lane_last_sent_at) AS lanes FROM campaigns.campaign
 WHERE campaign_id IN ('00000000-0000-0000-0021-200000000003', '00000000-0000-0000-0021-200000000004') ORDER BY campaign_id;

-- Errors: launching twice, a missing or another user's campaign.
\set VERBOSITY sqlstate
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000001');
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-2000000000ff');
\set VERBOSITY default
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000001');
SET campaigns.user_id = '00000000-0000-0000-0021-000000000002';
\set VERBOSITY sqlstate
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000002');
SELECT campaigns.campaign_pause('00000000-0000-0000-0021-200000000001');
\set VERBOSITY default
SET campaigns.user_id = '00000000-0000-0000-0021-000000000001';

-- Launch failures: no alias, a deleted alias, no connected account.
SELECT r -> 'campaign' ->> 'status' AS status, r -> 'campaign' ->> 'launch_error' AS launch_error,
	   r -> 'summary' AS summary
  FROM campaigns.campaign_launch(pg_temp.mk(5, aliases => '{}')) r;
SELECT campaigns.campaign_launch(pg_temp.mk(6, aliases => '{al1,gone}')) -> 'campaign' ->> 'launch_error' AS deleted_alias;
SELECT campaigns.campaign_launch(pg_temp.mk(7, 'linkedin', account => NULL)) -> 'campaign' ->> 'launch_error' AS no_account;
-- (a campaign cannot name a connected account that does not exist, or is
-- another user's: the foreign key refuses it)
\set VERBOSITY sqlstate
SELECT pg_temp.mk(99, 'linkedin', account => '00000000-0000-0000-0021-0000000000ee');
\set VERBOSITY default
SELECT count(*) AS leads_of_failed FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000005';
-- reset: failed -> draft, launch_error cleared; only from failed.
SELECT r ->> 'status' AS status, r ->> 'launch_error' AS launch_error, r ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_reset('00000000-0000-0000-0021-200000000005') r;
\set VERBOSITY sqlstate
SELECT campaigns.campaign_reset('00000000-0000-0000-0021-200000000005');
\set VERBOSITY default
-- Fixed: add the alias and launch again.
UPDATE campaigns.campaign SET alias_ids = '{al1}' WHERE campaign_id = '00000000-0000-0000-0021-200000000005';
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000005') -> 'campaign' ->> 'status' AS relaunched;

-- No launchable lead (SPEC §5: launching -> failed, launch_error says why);
-- the response still carries the summary and the warnings.
-- An empty dataset:
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'status' AS status,
	   r -> 'campaign' ->> 'launch_error' AS launch_error, r -> 'campaign' ->> 'total_leads' AS total_leads,
	   r -> 'warnings' AS warnings
  FROM campaigns.campaign_launch(pg_temp.mk(8, ds => '00000000-0000-0000-0021-0000000000d2')) r;
SELECT count(*) AS leads_of_empty, (SELECT next_action_at IS NULL FROM campaigns.campaign
	WHERE campaign_id = '00000000-0000-0000-0021-200000000008') AS not_due
  FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000008';
-- Dataset 3: 0 of 3 leads launchable on LinkedIn (or mixed) steps, 2 of 3
-- on email steps (one lead has neither address); dataset 4: one lead, with
-- an email and without linkedin_url.
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
VALUES ('00000000-0000-0000-0021-0000000000d3', '00000000-0000-0000-0021-000000000001', 'no linkedin'),
	   ('00000000-0000-0000-0021-0000000000d4', '00000000-0000-0000-0021-000000000001', 'one lead');
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email, linkedin_url)
VALUES ('00000000-0000-0000-0021-300000000001', '00000000-0000-0000-0021-000000000001', '00000000-0000-0000-0021-0000000000d3', 'x1@lead.example', NULL),
	   ('00000000-0000-0000-0021-300000000002', '00000000-0000-0000-0021-000000000001', '00000000-0000-0000-0021-0000000000d3', 'x2@lead.example', '   '),
	   ('00000000-0000-0000-0021-300000000003', '00000000-0000-0000-0021-000000000001', '00000000-0000-0000-0021-0000000000d3', NULL, NULL),
	   ('00000000-0000-0000-0021-300000000004', '00000000-0000-0000-0021-000000000001', '00000000-0000-0000-0021-0000000000d4', 'x4@lead.example', NULL);
-- 0 of 3 on a LinkedIn campaign: failed, with the reason and every warning.
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'status' AS status,
	   r -> 'campaign' ->> 'launch_error' AS launch_error, r -> 'campaign' ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_launch(pg_temp.mk(30, 'linkedin', ds => '00000000-0000-0000-0021-0000000000d3')) r;
SELECT w ->> 'lead_id' AS lead_id, w ->> 'code' AS code
  FROM jsonb_array_elements((SELECT campaigns.campaign_launch(pg_temp.mk(31, 'linkedin', ds => '00000000-0000-0000-0021-0000000000d3')) -> 'warnings')) w;
SELECT count(*) AS leads_of_failed_30 FROM campaigns.campaign_lead
 WHERE campaign_id IN ('00000000-0000-0000-0021-200000000030', '00000000-0000-0000-0021-200000000031');
-- 2 of 3 on an email campaign launch; the mixed campaign needs both
-- addresses, which no lead of dataset 3 has.
SELECT campaigns.campaign_launch(pg_temp.mk(32, ds => '00000000-0000-0000-0021-0000000000d3')) #>> '{campaign,status}' AS email_2_of_3;
SELECT r -> 'summary' AS summary, r #>> '{campaign,status}' AS status, r #>> '{campaign,launch_error}' AS launch_error
  FROM campaigns.campaign_launch(pg_temp.mk(33, 'mixed', ds => '00000000-0000-0000-0021-0000000000d3')) r;
-- A dataset of exactly one lead, unreachable (1 of 1 lacks the address)...
SELECT r -> 'summary' AS summary, r #>> '{campaign,status}' AS status, r #>> '{campaign,launch_error}' AS launch_error
  FROM campaigns.campaign_launch(pg_temp.mk(34, 'linkedin', ds => '00000000-0000-0000-0021-0000000000d4')) r;
SELECT campaigns.campaign_launch(pg_temp.mk(35, 'mixed', ds => '00000000-0000-0000-0021-0000000000d4')) #>> '{campaign,launch_error}' AS mixed_one_lead;
SELECT campaigns.campaign_launch(pg_temp.mk(36, ds => '00000000-0000-0000-0021-0000000000d2')) #>> '{campaign,launch_error}' AS email_empty;
-- ...and reachable on email: 1 of 1 launches.
SELECT r -> 'summary' AS summary, r #>> '{campaign,status}' AS status, r #>> '{campaign,total_leads}' AS total_leads
  FROM campaigns.campaign_launch(pg_temp.mk(37, ds => '00000000-0000-0000-0021-0000000000d4')) r;
-- 1 of 3 launchable on LinkedIn: the lead gets a linkedin_url; after a
-- reset the failed campaign launches with it alone.
UPDATE campaigns.lead SET linkedin_url = 'https://li.example/in/x2' WHERE lead_id = '00000000-0000-0000-0021-300000000002';
SELECT r ->> 'status' AS status, r ->> 'launch_error' AS launch_error, r ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_reset('00000000-0000-0000-0021-200000000030') r;
SELECT r -> 'summary' AS summary, r #>> '{campaign,status}' AS status, r #>> '{campaign,launch_error}' AS launch_error,
	   r #>> '{campaign,total_leads}' AS total_leads
  FROM campaigns.campaign_launch('00000000-0000-0000-0021-200000000030') r;
SELECT lead_id, status FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000030';
-- The empty dataset's campaign: reset, leads added, launched.
SELECT campaigns.campaign_reset('00000000-0000-0000-0021-200000000008') ->> 'status' AS reset_8;
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
VALUES ('00000000-0000-0000-0021-300000000005', '00000000-0000-0000-0021-000000000001', '00000000-0000-0000-0021-0000000000d2', 'x5@lead.example');
SELECT r #>> '{campaign,status}' AS status, r #>> '{campaign,launch_error}' AS launch_error, r #>> '{campaign,total_leads}' AS total_leads
  FROM campaigns.campaign_launch('00000000-0000-0000-0021-200000000008') r;

-- Batched enrolment: 4 leads per batch; the rest is enrolled by tick.
SET campaigns.launch_batch_size = 4;
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'status' AS status, r -> 'campaign' ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_launch(pg_temp.mk(9)) r;
SELECT status = 'launching' AND enrol_cursor IS NOT NULL AS in_progress FROM campaigns.campaign
 WHERE campaign_id = '00000000-0000-0000-0021-200000000009';
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
SELECT pg_temp.st('00000000-0000-0000-0021-200000000009');
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
SELECT pg_temp.st('00000000-0000-0000-0021-200000000009');
SELECT enrol_cursor IS NULL AS cursor_cleared, (SELECT count(DISTINCT lead_id) FROM campaigns.campaign_lead
	WHERE campaign_id = '00000000-0000-0000-0021-200000000009') AS distinct_leads
  FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-0021-200000000009';
RESET campaigns.launch_batch_size;

-- Scheduled launch: enrolled now, eligible from start_date + delay; unschedule
-- discards the enrolment; tick before start_date does nothing, at it starts.
SELECT r -> 'campaign' ->> 'status' AS status, r -> 'summary' ->> 'launchable_rows' AS launchable
  FROM campaigns.campaign_launch(pg_temp.mk(10, launch => 'scheduled', start => '2030-01-07 10:00Z')) r;
SELECT bool_and(eligible_at = '2030-01-08 10:00Z') AS eligible_start_plus_delay, count(*)
  FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000010';
SELECT r ->> 'status' AS status, r ->> 'total_leads' AS total_leads
  FROM campaigns.campaign_unschedule('00000000-0000-0000-0021-200000000010') r;
SELECT count(*) AS leads_after_unschedule FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000010';
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000010') -> 'campaign' ->> 'status' AS rescheduled;
SELECT campaigns.tick('2030-01-07 09:59:59Z') IS NOT NULL AS ticked;
SELECT pg_temp.st('00000000-0000-0000-0021-200000000010');
SELECT campaigns.tick('2030-01-07 10:00Z') IS NOT NULL AS ticked;
SELECT pg_temp.st('00000000-0000-0000-0021-200000000010');

-- Scheduled start with unreviewed AI drafts, under each policy.
SELECT campaigns.campaign_launch(pg_temp.mk(11, launch => 'scheduled', start => '2030-01-07 10:00Z', ai => true, policy => 'launch_default')) -> 'campaign' ->> 'status' AS s11,
	   campaigns.campaign_launch(pg_temp.mk(12, launch => 'scheduled', start => '2030-01-07 10:00Z', ai => true, policy => 'hold')) -> 'campaign' ->> 'status' AS s12,
	   campaigns.campaign_launch(pg_temp.mk(13, launch => 'scheduled', start => '2030-01-07 10:00Z', ai => true, policy => 'cancel')) -> 'campaign' ->> 'status' AS s13,
	   campaigns.campaign_launch(pg_temp.mk(14, launch => 'scheduled', start => '2030-01-07 10:00Z', ai => true, policy => 'hold')) -> 'campaign' ->> 'status' AS s14;
-- Campaign 14's drafts are reviewed, so hold does not apply to it.
SELECT campaigns.campaign_playground_review('00000000-0000-0000-0021-200000000014') ->> 'status' AS reviewed_status;
SELECT playground_reviewed_at IS NOT NULL AS reviewed FROM campaigns.campaign
 WHERE campaign_id = '00000000-0000-0000-0021-200000000014';
SELECT campaigns.tick('2030-01-07 10:00:01Z') IS NOT NULL AS ticked;
SELECT right(campaign_id::text, 2) AS c, pg_temp.st(campaign_id) FROM campaigns.campaign
 WHERE campaign_id IN ('00000000-0000-0000-0021-200000000011', '00000000-0000-0000-0021-200000000012',
					   '00000000-0000-0000-0021-200000000013', '00000000-0000-0000-0021-200000000014') ORDER BY 1;
SELECT right(campaign_id::text, 2) AS c, type, payload ->> 'kind' AS kind, payload ->> 'policy' AS policy,
	   payload ->> 'status' AS status, occurred_at
  FROM campaigns.event WHERE user_id = '00000000-0000-0000-0021-000000000001' AND type = 'notification' ORDER BY 1;
SELECT count(*) AS leads_of_cancelled FROM campaigns.campaign_lead WHERE campaign_id = '00000000-0000-0000-0021-200000000013';
-- The held campaign resumes when the user says so.
SELECT r ->> 'status' AS status, r ->> 'paused_reason' AS paused_reason
  FROM campaigns.campaign_resume('00000000-0000-0000-0021-200000000012') r;

-- pause / resume / stop and their refusals.
\set VERBOSITY sqlstate
SELECT campaigns.campaign_pause('00000000-0000-0000-0021-200000000013');   -- draft
SELECT campaigns.campaign_resume('00000000-0000-0000-0021-200000000001');  -- active
SELECT campaigns.campaign_stop('00000000-0000-0000-0021-200000000001');    -- active
SELECT campaigns.campaign_unschedule('00000000-0000-0000-0021-200000000001');
SELECT campaigns.campaign_reset('00000000-0000-0000-0021-200000000001');
\set VERBOSITY default
SELECT campaigns.campaign_stop('00000000-0000-0000-0021-200000000001');
SELECT r ->> 'status' AS status, r ->> 'paused_reason' AS reason FROM campaigns.campaign_pause('00000000-0000-0000-0021-200000000001') r;
SELECT r ->> 'status' AS status, r ->> 'paused_reason' AS reason FROM campaigns.campaign_resume('00000000-0000-0000-0021-200000000001') r;
SELECT campaigns.campaign_pause('00000000-0000-0000-0021-200000000001') ->> 'status' AS paused_again;
SELECT r ->> 'status' AS status, r ->> 'processed_leads' AS processed, r ->> 'total_leads' AS total
  FROM campaigns.campaign_stop('00000000-0000-0000-0021-200000000001') r;
\set VERBOSITY sqlstate
SELECT campaigns.campaign_playground_review('00000000-0000-0000-0021-200000000001');  -- completed
\set VERBOSITY default
SELECT status, stop_reason, count(*) FROM campaigns.campaign_lead
 WHERE campaign_id = '00000000-0000-0000-0021-200000000001' GROUP BY 1, 2;
-- A scheduled campaign can be paused by the user too.
SELECT campaigns.campaign_pause('00000000-0000-0000-0021-200000000010') IS NOT NULL AS paused_active_10;

-- Tenancy: an application role sees only its user's campaigns.
CREATE ROLE sched21_app;
GRANT campaigns_user TO sched21_app;
SET ROLE sched21_app;
SET campaigns.user_id = '00000000-0000-0000-0021-000000000002';
\set VERBOSITY sqlstate
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000013');
SELECT campaigns.campaign_unschedule('00000000-0000-0000-0021-200000000010');
SELECT campaigns.tick(now());
SELECT campaigns._tick(now(), NULL);
SELECT campaigns._queue_due(now(), NULL);
SELECT campaigns._start_scheduled('00000000-0000-0000-0021-200000000010', now());
\set VERBOSITY default
SET campaigns.user_id = '00000000-0000-0000-0021-000000000001';
SELECT campaigns.campaign_launch('00000000-0000-0000-0021-200000000013') -> 'summary' AS own_launch;
RESET ROLE;
DROP ROLE sched21_app;

-- End to end through the campaign API: create, launch, tick, deliver, read.
SET campaigns.user_id = '00000000-0000-0000-0021-000000000003';
SELECT campaigns.dataset_create('{"name": "api"}') ->> 'dataset_id' AS ds \gset
SELECT jsonb_typeof(campaigns.dataset_add_leads(:'ds', '[{"email": "ann@x.example", "first_name": "Ann"},
	{"email": "bob@x.example"}, {"first_name": "NoMail", "linkedin_url": "https://li.example/in/nomail"}]')) AS added;
SELECT campaigns.template_create('{"name": "T", "channel": "email", "subject": "Hi", "body": "Hello {{first_name|there}}"}') ->> 'template_id' AS tpl \gset
SELECT campaigns.alias_create('{"alias_id": "api1", "full_email": "api1@s.example"}') IS NOT NULL AS alias;
SELECT campaigns.campaign_create(jsonb_build_object(
	'name', 'API', 'dataset_id', :'ds', 'alias_ids', jsonb_build_array('api1'), 'timezone', 'Europe/London',
	'sending_window_start', '00:00:00', 'sending_window_end', '24:00:00',
	'send_days', jsonb_build_array('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'),
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl'))),
		jsonb_build_object('step', 2, 'delay_days', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'B', 'template_id', :'tpl')))))) ->> 'campaign_id' AS cid \gset
SELECT r -> 'summary' AS summary, r -> 'campaign' ->> 'status' AS status, r -> 'campaign' ->> 'total_leads' AS total_leads,
	   jsonb_array_length(r -> 'warnings') AS warnings
  FROM campaigns.campaign_launch(:'cid') r;
RESET campaigns.user_id;
SELECT campaigns.tick(now() + interval '1 second') IS NOT NULL AS ticked;
SELECT count(*) AS queued, min(step) AS step, min(alias_id) AS alias FROM campaigns.action WHERE campaign_id = :'cid' AND state = 'queued';
SELECT campaigns.action_record_outcome(action_id, 'sent', now() + interval '2 seconds') FROM campaigns.action
 WHERE campaign_id = :'cid' AND state = 'queued';
SET campaigns.user_id = '00000000-0000-0000-0021-000000000003';
SELECT c ->> 'status' AS status, c ->> 'total_leads' AS total_leads, c ->> 'processed_leads' AS processed
  FROM campaigns.campaign_get(:'cid') c;
SELECT l ->> 'status' AS status, l ->> 'current_step' AS current_step, l ->> 'next_step' AS next_step,
	   l ->> 'eligible_at' IS NOT NULL AS next_eligible, l -> 'variants' AS variants
  FROM jsonb_array_elements(campaigns.campaign_leads(:'cid')) l ORDER BY 2 DESC;
SELECT campaigns.campaign_pause(:'cid') ->> 'status' AS paused;
SELECT campaigns.campaign_get(:'cid') ->> 'status' AS read_back;
