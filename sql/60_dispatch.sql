-- Dispatch (SPEC §7), the SQL side of the worker: outcome classification
-- and backoff, the claim (request bodies, endpoints, what may not be sent,
-- leases), the outcome recorder, lease release, stats, maintenance and the
-- worker status view.  The worker itself is off here (test/regress.conf);
-- test/integration drives it over HTTP.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS dispatch_app;
RESET client_min_messages;

-- Classification: 2xx sent; 429, 5xx and transport errors retried; the rest failed.
SELECT s, campaigns._dispatch_classify(s, false) AS outcome
  FROM unnest(ARRAY[100, 199, 200, 201, 299, 300, 304, 399, 400, 404, 408, 428, 429, 430, 499, 500, 503, 599, 600]) s;
SELECT campaigns._dispatch_classify(0, true) AS transport, campaigns._dispatch_classify(200, true) AS transport_200,
	   campaigns._dispatch_classify(NULL, NULL) AS nothing;

-- Backoff: base 1000 ms doubling, upper half jittered, capped at 1 h; Retry-After wins.
SELECT a, campaigns._dispatch_backoff_ms(a, NULL, 0) AS low, campaigns._dispatch_backoff_ms(a, NULL, 0.5) AS mid,
	   campaigns._dispatch_backoff_ms(a, NULL, 0.999999) AS high
  FROM unnest(ARRAY[0, 1, 2, 3, 12, 13, 100]) a;
SELECT campaigns._dispatch_backoff_ms(3, 0, 0.5) AS retry_after_0,
	   campaigns._dispatch_backoff_ms(3, 2000, 0.5) AS retry_after_2s,
	   campaigns._dispatch_backoff_ms(1, 7200000, 0.5) AS retry_after_2h,
	   campaigns._dispatch_backoff_ms(1, 999999999999, 0.5) AS retry_after_capped;
SELECT campaigns._dispatch_backoff_ms(1, NULL, 1.0);
SELECT campaigns._dispatch_backoff_ms(1, NULL, -0.1);
SELECT campaigns._dispatch_backoff_ms(1, NULL, 'NaN');
SELECT max(campaigns._dispatch_backoff_ms(4, NULL, random())) <= 8000 AS within,
	   min(campaigns._dispatch_backoff_ms(4, NULL, random())) >= 4000 AS above_half
  FROM generate_series(1, 200);

-- GUCs and their limits.
SELECT name, setting, unit, context FROM pg_settings
 WHERE name IN ('campaigns.max_in_flight', 'campaigns.request_timeout_ms', 'campaigns.max_attempts',
				'campaigns.retry_base_ms', 'campaigns.retry_max_ms', 'campaigns.lease_seconds',
				'campaigns.email_endpoint', 'campaigns.linkedin_endpoint', 'campaigns.database_name',
				'campaigns.worker_enabled')
 ORDER BY name;
SET campaigns.max_attempts = 0;
SET campaigns.max_attempts = 101;
SET campaigns.max_in_flight = 10;

-- The worker is registered but disabled: it holds no database connection.
SELECT state, pid IS NOT NULL AS has_pid, database_name, in_flight, claimed, sent
  FROM campaigns.worker_status;
SELECT count(*) AS worker_sessions_here FROM pg_stat_activity
 WHERE backend_type = 'campaigns worker' AND datname IS NOT NULL;
SELECT campaigns._wake_worker();
SELECT campaigns._wake_trigger();

-- Fixtures (as superuser, bypassing the status machine for set-up only).
SET session_replication_role = replica;
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0060-0000000000d1', '00000000-0000-0000-0060-00000000000a', 'A'),
	('00000000-0000-0000-0060-0000000000d2', '00000000-0000-0000-0060-00000000000b', 'B');
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email, linkedin_url, first_name, last_name, company, title, timezone, fields) VALUES
	('00000000-0000-0000-0060-000000000101', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'ann@example.com', NULL, 'Ann', 'Lee', 'Acme', 'CTO', 'Europe/Paris', '{"city": "Paris"}'),
	('00000000-0000-0000-0060-000000000102', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'bob@example.com', 'https://linkedin.com/in/bob', 'Bob', NULL, NULL, NULL, NULL, '{}'),
	('00000000-0000-0000-0060-000000000103', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'cy@example.com', NULL, 'Cy', NULL, 'Cyco', NULL, NULL, '{}'),
	('00000000-0000-0000-0060-000000000104', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'di@example.com', NULL, 'Di', NULL, 'Dico', NULL, NULL, '{}'),
	('00000000-0000-0000-0060-000000000201', '00000000-0000-0000-0060-00000000000b', '00000000-0000-0000-0060-0000000000d2',
	 'zed@example.com', NULL, 'Zed', NULL, NULL, NULL, NULL, '{}');
INSERT INTO campaigns.template (template_id, user_id, name, channel, subject, body) VALUES
	('00000000-0000-0000-0060-0000000000e1', '00000000-0000-0000-0060-00000000000a', 't1', 'email',
	 'Hi {{first_name}}', 'Hello {{first_name}} from {{company}} in {{city|your city}}, {{title}}'),
	('00000000-0000-0000-0060-0000000000e2', '00000000-0000-0000-0060-00000000000a', 't2', 'email',
	 'Broken {{first_name', 'Body {{last_name|friend}}');
INSERT INTO campaigns.sender_profile (sender_profile_id, user_id, profile_name, sender_data, is_default) VALUES
	('00000000-0000-0000-0060-0000000000f1', '00000000-0000-0000-0060-00000000000a', 'default', '{"custom_prompt": "Profile prompt"}', true),
	('00000000-0000-0000-0060-0000000000f2', '00000000-0000-0000-0060-00000000000a', 'other', '{}', false);
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0060-00000000000a', 'sales', 'sales@example.com');
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name) VALUES
	('00000000-0000-0000-0060-0000000000ca', '00000000-0000-0000-0060-00000000000a', 'li');
-- (the auth header stored as delivery_endpoint_create stores it: encrypted
-- for its row and user; the claim shows it redacted)
INSERT INTO campaigns.delivery_endpoint (delivery_endpoint_id, user_id, channel, url, auth_header) VALUES
	('00000000-0000-0000-0060-0000000000de', '00000000-0000-0000-0060-00000000000a', 'email', 'http://127.0.0.1:1/email',
	 campaigns._secret_encrypt('Bearer tok', '00000000-0000-0000-0060-00000000000a',
							   campaigns._delivery_endpoint_secret_context('00000000-0000-0000-0060-0000000000de')));
-- Campaign 1: email, step 1 (variant A: t1, default profile; variant B: t2,
-- profile "other", PERSONALIZATION) and step 2 after 2 days; New York time.
-- Campaign 2: LinkedIn message, AI personalization, campaign system_prompt,
-- no variants (null, as campaign_create normalises a step without them).
-- Campaign 3: paused.
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, status, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, connected_account_id, system_prompt, unreviewed_launch_policy) VALUES
	('00000000-0000-0000-0060-0000000000c1', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'c1', 'email', 'active', 'immediate', 100, '00:00', '24:00', 60, 'America/New_York', '{mon,tue,wed,thu,fri,sat,sun}',
	 '[{"step": 1, "delay_days": 0, "channel": "email", "track_clicks": true, "ai_personalization_enabled": false,
		"action_type": null, "message_template": null,
		"variants": [{"label": "A", "weight": 50, "type": "TEMPLATE", "template_id": "00000000-0000-0000-0060-0000000000e1", "sender_profile_id": null},
					 {"label": "B", "weight": 50, "type": "PERSONALIZATION", "template_id": "00000000-0000-0000-0060-0000000000e2", "sender_profile_id": "00000000-0000-0000-0060-0000000000f2"}]},
	   {"step": 2, "delay_days": 2, "channel": "email", "track_clicks": false, "ai_personalization_enabled": false,
		"action_type": null, "message_template": null,
		"variants": [{"label": "A", "weight": 50, "type": "TEMPLATE", "template_id": "00000000-0000-0000-0060-0000000000e1", "sender_profile_id": null}]}]',
	 '{sales}', NULL, NULL, 'launch_default'),
	('00000000-0000-0000-0060-0000000000c2', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'c2', 'linkedin', 'active', 'immediate', 100, '00:00', '24:00', 60, 'UTC', '{mon,tue,wed,thu,fri,sat,sun}',
	 '[{"step": 1, "delay_days": 0, "channel": "linkedin", "track_clicks": false, "ai_personalization_enabled": true,
		"action_type": "message", "message_template": "Hey {{first_name}} at {{company|your company}}", "variants": null}]',
	 NULL, '00000000-0000-0000-0060-0000000000ca', 'Campaign prompt', 'launch_default'),
	('00000000-0000-0000-0060-0000000000c3', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000d1',
	 'c3', 'email', 'paused', 'immediate', 100, '00:00', '24:00', 60, 'UTC', '{mon,tue,wed,thu,fri,sat,sun}',
	 '[{"step": 1, "delay_days": 0, "channel": "email", "variants": [{"label": "A", "weight": 50, "type": "TEMPLATE", "template_id": "00000000-0000-0000-0060-0000000000e1", "sender_profile_id": null}]}]',
	 '{sales}', NULL, NULL, 'launch_default'),
	('00000000-0000-0000-0060-0000000000c9', '00000000-0000-0000-0060-00000000000b', '00000000-0000-0000-0060-0000000000d2',
	 'b1', 'email', 'active', 'immediate', 100, '00:00', '24:00', 60, 'UTC', '{mon,tue,wed,thu,fri,sat,sun}',
	 '[{"step": 1, "delay_days": 0, "channel": "email", "variants": []}]', NULL, NULL, NULL, 'launch_default');
INSERT INTO campaigns.campaign_lead (campaign_lead_id, user_id, campaign_id, lead_id, status, current_step, next_step) VALUES
	('00000000-0000-0000-0060-00000000a001', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1', '00000000-0000-0000-0060-000000000101', 'active', 0, 1),
	('00000000-0000-0000-0060-00000000a002', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1', '00000000-0000-0000-0060-000000000102', 'active', 0, 1),
	('00000000-0000-0000-0060-00000000a003', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1', '00000000-0000-0000-0060-000000000103', 'stopped', 0, 1),
	('00000000-0000-0000-0060-00000000a004', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1', '00000000-0000-0000-0060-000000000104', 'active', 0, 1),
	('00000000-0000-0000-0060-00000000b001', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c2', '00000000-0000-0000-0060-000000000101', 'active', 0, 1),
	('00000000-0000-0000-0060-00000000c001', '00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c3', '00000000-0000-0000-0060-000000000101', 'active', 0, 1),
	('00000000-0000-0000-0060-00000000f001', '00000000-0000-0000-0060-00000000000b', '00000000-0000-0000-0060-0000000000c9', '00000000-0000-0000-0060-000000000201', 'active', 0, 1);
INSERT INTO campaigns.action (user_id, campaign_id, campaign_lead_id, step, variant, channel, action_type,
		alias_id, connected_account_id, idempotency_key, due_at, next_attempt_at)
SELECT cl.user_id, cl.campaign_id, cl.campaign_lead_id, v.step, v.variant, v.channel, v.action_type,
	   v.alias_id, v.account::uuid, v.key, now() + v.due, now() + v.due
  FROM (VALUES
	('00000000-0000-0000-0060-00000000a001'::uuid, 1, 'A', 'email', 'send_email', 'sales', NULL, 'k-a1', interval '-10 min'),
	('00000000-0000-0000-0060-00000000a002', 1, 'A', 'email', 'send_email', 'sales', NULL, 'k-a2', interval '-5 min'),
	('00000000-0000-0000-0060-00000000a003', 1, 'A', 'email', 'send_email', 'sales', NULL, 'k-a3', interval '-20 min'),
	('00000000-0000-0000-0060-00000000a004', 1, 'B', 'email', 'send_email', 'sales', NULL, 'k-a4', interval '-3 min'),
	('00000000-0000-0000-0060-00000000a001', 2, 'A', 'email', 'send_email', 'sales', NULL, 'k-a5', interval '1 hour'),
	('00000000-0000-0000-0060-00000000b001', 1, NULL, 'linkedin', 'message', NULL, '00000000-0000-0000-0060-0000000000ca', 'k-b1', interval '-1 min'),
	('00000000-0000-0000-0060-00000000c001', 1, 'A', 'email', 'send_email', 'sales', NULL, 'k-c1', interval '-30 min'),
	('00000000-0000-0000-0060-00000000f001', 1, NULL, 'email', 'send_email', NULL, NULL, 'k-z1', interval '-2 min')
  ) v(cl, step, variant, channel, action_type, alias_id, account, key, due)
  JOIN campaigns.campaign_lead cl ON cl.campaign_lead_id = v.cl;
-- The claim serves every user: actions other test files left due are
-- parked for the length of this file (and restored at its end).
UPDATE campaigns.action SET next_attempt_at = next_attempt_at + interval '1000 years'
 WHERE user_id::text NOT LIKE '00000000-0000-0000-0060-%' AND state IN ('queued', 'in_flight');
RESET session_replication_role;

-- The claim takes the oldest due actions of active campaigns and live leads
-- (not the stopped lead's a3, not paused c3's c1, not a5 which is not due).
CREATE TEMP TABLE claimed AS SELECT * FROM campaigns._dispatch_claim(2, 60000);
SELECT idempotency_key, attempt, url, auth_header FROM claimed ORDER BY idempotency_key;
SELECT idempotency_key,
	   jsonb_pretty(body::jsonb - 'action_id' - 'due_at' - 'lead' - 'template_id' - 'campaign_lead_id' - 'campaign_id' - 'sender_profile_id') AS body
  FROM claimed ORDER BY idempotency_key;
SELECT c.idempotency_key,
	   (c.body::jsonb ->> 'action_id')::bigint = a.action_id AS action_id_ok,
	   (c.body::jsonb ->> 'due_at')::timestamptz = a.due_at AS due_at_ok,
	   (c.body::jsonb ->> 'campaign_id')::uuid = a.campaign_id AS campaign_ok,
	   (c.body::jsonb ->> 'campaign_lead_id')::uuid = a.campaign_lead_id AS lead_ok,
	   c.body::jsonb ->> 'template_id' AS template_id,
	   c.body::jsonb ->> 'sender_profile_id' AS sender_profile_id,
	   c.body::jsonb -> 'lead' AS lead
  FROM claimed c JOIN campaigns.action a USING (action_id) ORDER BY 1;
SELECT idempotency_key, state, attempts, lease_until > now() + interval '59 s' AS leased,
	   next_attempt_at = lease_until AS next_is_lease_end, render_warnings
  FROM campaigns.action WHERE user_id::text LIKE '00000000-0000-0000-0060-%' ORDER BY idempotency_key;

-- The rest: a template that does not parse goes out as written (and says
-- so); a channel without an endpoint row or GUC gets no URL (the worker
-- retries it); LinkedIn takes message_template and the campaign prompt.
CREATE TEMP TABLE claimed2 AS SELECT * FROM campaigns._dispatch_claim(10, 60000);
SELECT idempotency_key, attempt, url, auth_header,
	   body::jsonb ->> 'subject' AS subject, body::jsonb ->> 'body' AS text_body, body::jsonb ->> 'message' AS message,
	   body::jsonb ->> 'prompt' AS prompt, body::jsonb ->> 'sender_profile_id' AS profile,
	   body::jsonb ->> 'connected_account_id' AS account, body::jsonb -> 'missing_fields' AS missing
  FROM claimed2 ORDER BY idempotency_key;
SELECT idempotency_key, render_warnings FROM campaigns.action
 WHERE render_warnings IS NOT NULL AND user_id::text LIKE '00000000-0000-0000-0060-%' ORDER BY 1;
SELECT count(*) AS nothing_more FROM campaigns._dispatch_claim(10, 60000);

-- A lease that ran out (the worker died) is claimed again, same key, same attempt.
UPDATE campaigns.action SET next_attempt_at = now() - interval '1 s', lease_until = now() - interval '1 s'
 WHERE idempotency_key = 'k-b1';
-- (a NULL batch size or lease claims nothing)
SELECT count(*) AS null_claims_nothing FROM campaigns._dispatch_claim(NULL, 60000);
SELECT count(*) AS null_claims_nothing FROM campaigns._dispatch_claim(10, NULL);
SELECT idempotency_key, attempt, (body::jsonb ->> 'idempotency_key') AS body_key FROM campaigns._dispatch_claim(10, 60000);

-- Recording outcomes (action_record_outcomes, 56_outcome.sql): bad input
-- changes nothing.
SELECT action_id AS a1 FROM campaigns.action WHERE idempotency_key = 'k-a1' \gset
SELECT action_id AS a2 FROM campaigns.action WHERE idempotency_key = 'k-a2' \gset
SELECT action_id AS a4 FROM campaigns.action WHERE idempotency_key = 'k-a4' \gset
SELECT action_id AS b1 FROM campaigns.action WHERE idempotency_key = 'k-b1' \gset
SELECT action_id AS z1 FROM campaigns.action WHERE idempotency_key = 'k-z1' \gset
SELECT campaigns.action_record_outcomes(ARRAY[:a1], ARRAY['sent', 'sent'], ARRAY[now()], NULL, NULL, NULL);
SELECT campaigns.action_record_outcomes(ARRAY[:a1], ARRAY['maybe'], ARRAY[now()], NULL, NULL, NULL);
SELECT campaigns.action_record_outcomes(ARRAY[:a1], ARRAY[NULL], ARRAY[now()], NULL, NULL, NULL);
SELECT campaigns.action_record_outcomes(NULL, ARRAY['sent'], ARRAY[now()], NULL, NULL, NULL);
SELECT count(*) AS still_in_flight FROM campaigns.action
 WHERE state = 'in_flight' AND user_id::text LIKE '00000000-0000-0000-0060-%';

-- sent: the next step is eligible 2 local days later (New York, across the
-- DST change of 2026-03-08: same local time, one hour less in UTC).
-- retry: queued again at retry_at.  failed (422): the lead fails.
SET campaigns.max_attempts = 2;
SELECT campaigns.action_record_outcomes(ARRAY[:a1, :a2, :a4, :z1, :b1],
		ARRAY['sent', 'retry', 'failed', 'sent', 'sent'],
		ARRAY['2026-03-07 15:00+00', now(), now(), now(), now()]::timestamptz[],
		ARRAY[200, 503, 422, 201, 200], ARRAY[NULL, 'HTTP 503: busy', 'HTTP 422: bad', NULL, NULL],
		ARRAY[NULL, now() + interval '1 min', NULL, NULL, NULL]::timestamptz[]) AS recorded;
SELECT idempotency_key, state, attempts, http_status, last_error, lease_until IS NULL AS unleased,
	   CASE WHEN idempotency_key = 'k-a2' THEN next_attempt_at > now() + interval '50 s' END AS retry_later
  FROM campaigns.action WHERE user_id::text LIKE '00000000-0000-0000-0060-%' ORDER BY idempotency_key;
SELECT campaign_lead_id, status, current_step, next_step, eligible_at AT TIME ZONE 'UTC' AS eligible_utc,
	   CASE WHEN campaign_lead_id = '00000000-0000-0000-0060-00000000a001' THEN last_sent_at AT TIME ZONE 'UTC'
			ELSE NULL END AS a001_sent_utc,
	   last_sent_at IS NOT NULL AS has_sent, finished_at IS NOT NULL AS finished, stop_reason
  FROM campaigns.campaign_lead WHERE campaign_id IN (SELECT campaign_id FROM campaigns.campaign
																 WHERE name !~ 'streak' AND user_id::text LIKE '00000000-0000-0000-0060-%')
 ORDER BY campaign_lead_id;
-- Recording again (not in flight any more) changes nothing.
SELECT campaigns.action_record_outcomes(ARRAY[:a1, :a4], ARRAY['failed', 'sent'], ARRAY[now(), now()], NULL, NULL, NULL) AS recorded;
-- The retry's second attempt is the last (max_attempts 2): the action and its lead fail.
UPDATE campaigns.action SET next_attempt_at = now() WHERE action_id = :a2;
SELECT idempotency_key, attempt FROM campaigns._dispatch_claim(10, 60000);
SELECT campaigns.action_record_outcomes(ARRAY[:a2], ARRAY['retry'], ARRAY[now()], ARRAY[429], ARRAY['HTTP 429'], ARRAY[now()]) AS recorded;
SELECT a.state, a.attempts, a.http_status, cl.status AS lead_status, cl.stop_reason
  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id) WHERE a.action_id = :a2;
RESET campaigns.max_attempts;
-- One failed lead does not fail the campaign.
SELECT name, status, failure_streak FROM campaigns.campaign
 WHERE user_id::text LIKE '00000000-0000-0000-0060-%' ORDER BY name;

-- Failure streaks: 10 failed actions in a row pause the campaign; a sent one resets the count.
SET session_replication_role = replica;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, status, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
		alias_ids, unreviewed_launch_policy)
SELECT ('00000000-0000-0000-0060-0000000000c' || n)::uuid, '00000000-0000-0000-0060-00000000000a',
	   '00000000-0000-0000-0060-0000000000d1', 'streak' || n, 'email', 'active', 'immediate', 100, '00:00', '24:00', 60,
	   'UTC', '{mon,tue,wed,thu,fri,sat,sun}', '[{"step": 1, "variants": []}]', '{sales}', 'launch_default'
  FROM unnest(ARRAY['4', '5', '6']) n;
INSERT INTO campaigns.lead (lead_id, user_id, dataset_id, email)
SELECT ('00000000-0000-0000-0060-0000000009' || lpad(g::text, 2, '0'))::uuid, '00000000-0000-0000-0060-00000000000a',
	   '00000000-0000-0000-0060-0000000000d1', 'l' || g || '@example.com'
  FROM generate_series(1, 12) g;
INSERT INTO campaigns.campaign_lead (user_id, campaign_id, lead_id, status, next_step)
SELECT '00000000-0000-0000-0060-00000000000a'::uuid, c.campaign_id, l.lead_id, 'active', 1
  FROM campaigns.campaign c, campaigns.lead l
 WHERE c.user_id = '00000000-0000-0000-0060-00000000000a' AND l.user_id = c.user_id AND c.name IN ('streak4', 'streak5') AND l.email LIKE 'l%@example.com'
   AND (c.name = 'streak4' OR l.email <> 'l12@example.com' AND l.email <> 'l11@example.com')
UNION ALL
SELECT '00000000-0000-0000-0060-00000000000a'::uuid, c.campaign_id, l.lead_id, 'active', 1
  FROM campaigns.campaign c, campaigns.lead l
 WHERE c.user_id = '00000000-0000-0000-0060-00000000000a' AND l.user_id = c.user_id AND c.name = 'streak6' AND l.email IN ('l1@example.com', 'l2@example.com');
INSERT INTO campaigns.action (user_id, campaign_id, campaign_lead_id, step, channel, action_type, alias_id,
		idempotency_key, due_at, next_attempt_at)
SELECT cl.user_id, cl.campaign_id, cl.campaign_lead_id, 1, 'email', 'send_email', 'sales',
	   c.name || '-' || l.email, now() - interval '1 h', now() - interval '1 h'
  FROM campaigns.campaign_lead cl JOIN campaigns.campaign c USING (campaign_id) JOIN campaigns.lead l USING (lead_id)
 WHERE c.user_id = '00000000-0000-0000-0060-00000000000a' AND c.name LIKE 'streak%';
RESET session_replication_role;
SELECT count(*) AS claimed FROM campaigns._dispatch_claim(100, 60000);
CREATE TEMP TABLE streak AS
SELECT c.name, array_agg(a.action_id ORDER BY a.idempotency_key) AS ids
  FROM campaigns.action a JOIN campaigns.campaign c USING (campaign_id)
 WHERE c.user_id = '00000000-0000-0000-0060-00000000000a' AND c.name LIKE 'streak%' GROUP BY c.name;
-- streak4: 9 failures (streak 9, still active), then [failed, sent, failed]:
-- every lead has finished, so the campaign completes.
SELECT campaigns.action_record_outcomes(ids[1:9], array_fill('failed'::text, ARRAY[9]), array_fill(now(), ARRAY[9]), NULL, NULL, NULL)
  FROM streak WHERE name = 'streak4';
SELECT name, status, failure_streak, paused_reason FROM campaigns.campaign WHERE name = 'streak4' AND user_id = '00000000-0000-0000-0060-00000000000a';
SELECT campaigns.action_record_outcomes(ids[10:12], ARRAY['failed', 'sent', 'failed'], array_fill(now(), ARRAY[3]), NULL, NULL, NULL)
  FROM streak WHERE name = 'streak4';
SELECT name, status, failure_streak, paused_reason FROM campaigns.campaign WHERE name = 'streak4' AND user_id = '00000000-0000-0000-0060-00000000000a';
-- streak5: 10 failures in one batch pause it.
SELECT campaigns.action_record_outcomes(ids, array_fill('failed'::text, ARRAY[10]), array_fill(now(), ARRAY[10]), NULL, NULL, NULL)
  FROM streak WHERE name = 'streak5';
SELECT name, status, failure_streak, paused_reason FROM campaigns.campaign WHERE name = 'streak5' AND user_id = '00000000-0000-0000-0060-00000000000a';
-- streak6: draining stays draining while one action is in flight, then pauses.
SET session_replication_role = replica;
UPDATE campaigns.campaign SET status = 'draining' WHERE campaign_id = '00000000-0000-0000-0060-0000000000c6';
RESET session_replication_role;
SELECT campaigns.action_record_outcomes(ids[1:1], ARRAY['sent'], ARRAY[now()], NULL, NULL, NULL) FROM streak WHERE name = 'streak6';
SELECT name, status FROM campaigns.campaign WHERE name = 'streak6' AND user_id = '00000000-0000-0000-0060-00000000000a';
SELECT count(*) AS claimable_while_draining FROM campaigns._dispatch_claim(100, 60000);
SELECT campaigns.action_record_outcomes(ids[2:2], ARRAY['retry'], ARRAY[now()], NULL, NULL, ARRAY[now()]) FROM streak WHERE name = 'streak6';
SELECT name, status, paused_reason FROM campaigns.campaign WHERE name = 'streak6' AND user_id = '00000000-0000-0000-0060-00000000000a';

-- Release: an expired lease of a campaign that is no longer active is
-- cancelled (a resume queues it again), and a draining campaign pauses.
SET session_replication_role = replica;
UPDATE campaigns.campaign SET status = 'active' WHERE campaign_id = '00000000-0000-0000-0060-0000000000c2';
RESET session_replication_role;
SELECT campaigns._dispatch_release() AS released_nothing;
SET session_replication_role = replica;
UPDATE campaigns.campaign SET status = 'draining' WHERE campaign_id = '00000000-0000-0000-0060-0000000000c2';
UPDATE campaigns.action SET state = 'in_flight', next_attempt_at = now() - interval '1 s', lease_until = now() - interval '1 s'
 WHERE idempotency_key = 'k-b1';
RESET session_replication_role;
SELECT campaigns._dispatch_release() AS released;
SELECT a.state, c.status FROM campaigns.action a JOIN campaigns.campaign c USING (campaign_id) WHERE idempotency_key = 'k-b1';
SELECT campaigns._dispatch_next_due() IS NOT NULL AS a_queued_action_is_due;

-- Stats, as the tenant (a non-superuser role).
INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type, occurred_at)
VALUES ('00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1',
		'00000000-0000-0000-0060-00000000a001', 'replied', '2026-03-08 12:00+00'),
	   ('00000000-0000-0000-0060-00000000000a', '00000000-0000-0000-0060-0000000000c1',
		'00000000-0000-0000-0060-00000000a001', 'opened', '2026-03-07 12:00+00');
CREATE ROLE dispatch_app;
GRANT campaigns_user TO dispatch_app;
SET ROLE dispatch_app;
SET campaigns.user_id = '00000000-0000-0000-0060-00000000000a';
SELECT jsonb_pretty(campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c1'));
SELECT campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c3') -> 'actions' AS paused_campaign;
SELECT campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c9');
SELECT campaigns.campaign_stats('00000000-0000-0000-0060-0000000000ff');
SET campaigns.user_id = '00000000-0000-0000-0060-00000000000b';
SELECT campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c1');
SELECT campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c9') -> 'actions' AS own;
SELECT state FROM campaigns.worker_status;
SELECT campaigns._dispatch_claim(1, 1000);
SELECT campaigns._dispatch_claim_rows(1, 1000);
SELECT campaigns.action_record_outcomes(ARRAY[1], ARRAY['sent'], ARRAY[now()], NULL, NULL, NULL);
RESET ROLE;
RESET campaigns.user_id;

-- Maintenance without pg_cron: a notice, nothing scheduled.
SELECT campaigns.schedule_maintenance();
SELECT campaigns.schedule_maintenance(0);
SELECT campaigns.purge_old(0);
-- Retention keeps queued and in-flight actions, rolls finished ones up first.
UPDATE campaigns.action SET updated_at = now() - interval '100 days' WHERE idempotency_key IN ('k-a1', 'k-c1', 'k-a4');
SELECT campaigns.purge_old(90) - 'cutoff' AS purged;
SELECT idempotency_key FROM campaigns.action WHERE idempotency_key IN ('k-a1', 'k-c1', 'k-a4') ORDER BY 1;
SELECT c.name, s.day, s.step, s.variant, s.sent, s.failed, s.cancelled
  FROM campaigns.campaign_daily_stats s JOIN campaigns.campaign c USING (campaign_id)
 WHERE s.day = '2026-03-07' AND s.user_id::text LIKE '00000000-0000-0000-0060-%' ORDER BY 1, 2, 3, 4;
SELECT s.variant, sum(s.sent) AS sent, sum(s.failed) AS failed
  FROM campaigns.campaign_daily_stats s
 WHERE s.campaign_id = '00000000-0000-0000-0060-0000000000c1' GROUP BY 1 ORDER BY 1;
SELECT (campaigns.campaign_stats('00000000-0000-0000-0060-0000000000c1') -> 'daily' -> 0) - 'day' AS first_day
  FROM (SELECT set_config('campaigns.user_id', '00000000-0000-0000-0060-00000000000a', false)) x;
RESET campaigns.user_id;
SELECT campaigns.stats_rollup() >= 1 AS rolled_up;
SELECT campaigns.stats_rollup((now() AT TIME ZONE 'UTC')::date + 1) >= 0 AS rolled_up_from_tomorrow;
SELECT count(*) AS own_rows_from_tomorrow FROM campaigns.campaign_daily_stats
 WHERE user_id::text LIKE '00000000-0000-0000-0060-%' AND day > (now() AT TIME ZONE 'UTC')::date;

-- Other test files' actions come back as they were.
UPDATE campaigns.action SET next_attempt_at = next_attempt_at - interval '1000 years'
 WHERE user_id::text NOT LIKE '00000000-0000-0000-0060-%' AND state IN ('queued', 'in_flight');
