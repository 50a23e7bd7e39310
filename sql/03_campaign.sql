-- Campaign CRUD through the SQL API: a valid create of each type with the
-- seed's response fields and defaults, get/list/count, PATCH semantics, edit
-- and delete rules by status, and "a rejected call writes nothing".
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; r text;
BEGIN
	EXECUTE sql INTO r;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	IF st = '22023' AND det IS NOT NULL AND det <> '' THEN
		RETURN st || ' ' || det::jsonb::text;
	END IF;
	RETURN st || ' ' || msg;
END $$;
CREATE FUNCTION pg_temp.set_status(id uuid, st text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	SET LOCAL session_replication_role = replica;
	UPDATE campaigns.campaign SET status = st WHERE campaign_id = id;
	SET LOCAL session_replication_role = origin;
END $$;

SET campaigns.user_id = '00000000-0000-0000-0003-000000000001';
SELECT campaigns.dataset_create('{"name": "D"}') ->> 'dataset_id' AS ds \gset
SELECT campaigns.template_create('{"name": "E", "channel": "email", "subject": "Hi", "body": "Hello {{first_name|there}}"}') ->> 'template_id' AS tpl_email \gset
SELECT campaigns.template_create('{"name": "L", "channel": "linkedin", "body": "Hi {{first_name}}"}') ->> 'template_id' AS tpl_li \gset
SELECT campaigns.sender_profile_create('{"profile_name": "Me"}') ->> 'sender_profile_id' AS sp \gset
SELECT campaigns.alias_create('{"alias_id": "a1", "full_email": "a1@example.com"}') IS NOT NULL AS alias_a1;
SELECT campaigns.alias_create('{"alias_id": "a2", "full_email": "a2@example.com"}') IS NOT NULL AS alias_a2;
SELECT campaigns.connected_account_create('{"name": "Li"}') ->> 'connected_account_id' AS acct \gset

-- Email campaign with the minimum body: every response field, defaults filled.
SELECT campaigns.campaign_create(jsonb_build_object(
	'name', 'Minimal', 'dataset_id', :'ds', 'alias_ids', jsonb_build_array('a1'),
	'steps', jsonb_build_array(jsonb_build_object('step', 1,
		'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_email')))))) AS c \gset
SELECT jsonb_object_keys(:'c'::jsonb) AS response_field ORDER BY 1;
SELECT key, value FROM jsonb_each(:'c'::jsonb)
 WHERE key NOT IN ('campaign_id', 'user_id', 'dataset_id', 'created_at', 'updated_at', 'steps_config') ORDER BY key;
SELECT jsonb_pretty((:'c'::jsonb -> 'steps_config') #- '{0,variants,0,template_id}') AS steps_config;
SELECT (:'c'::jsonb ->> 'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$' AS created_at_rfc3339_utc,
	   :'c'::jsonb ->> 'user_id' = current_setting('campaigns.user_id') AS owner,
	   :'c'::jsonb ->> 'created_at' = :'c'::jsonb ->> 'updated_at' AS same_timestamps;
SELECT :'c'::jsonb ->> 'campaign_id' AS cid \gset

-- LinkedIn and mixed campaigns; steps are returned sorted, send_days in week order.
SELECT campaigns.campaign_create(jsonb_build_object(
	'name', 'LI', 'dataset_id', :'ds', 'type', 'linkedin', 'connected_account_id', :'acct',
	'send_days', '["fri","mon"]'::jsonb, 'timezone', 'Asia/Kathmandu',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 2, 'delay_days', 3, 'action_type', 'message', 'message_template', 'Thanks {{first_name}}'),
		jsonb_build_object('step', 1, 'action_type', 'connection_request')))) AS li \gset
SELECT :'li'::jsonb -> 'send_days' AS send_days, jsonb_path_query_array(:'li'::jsonb, '$.steps_config[*].step') AS steps,
	   :'li'::jsonb -> 'steps_config' -> 0 ->> 'channel' AS channel, :'li'::jsonb ->> 'timezone' AS timezone;
SELECT campaigns.campaign_create(jsonb_build_object(
	'name', 'Mixed', 'dataset_id', :'ds', 'type', 'mixed', 'connected_account_id', :'acct',
	'alias_ids', '["a1","a2"]'::jsonb, 'launch_type', 'scheduled', 'start_date', '2099-01-02T03:04:05+02:00',
	'sending_window_start', '08:30', 'sending_window_end', '24:00', 'daily_limit', 10000,
	'min_interval_seconds', 60, 'unreviewed_launch_policy', 'hold', 'system_prompt', repeat('p', 100),
	'description', 'd',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'channel', 'email', 'track_clicks', true, 'ai_personalization_enabled', true,
			'variants', jsonb_build_array(
				jsonb_build_object('label', 'A', 'weight', 70, 'template_id', :'tpl_email', 'sender_profile_id', :'sp'),
				jsonb_build_object('label', 'B', 'weight', 30, 'type', 'PERSONALIZATION'))),
		jsonb_build_object('step', 2, 'channel', 'linkedin', 'action_type', 'connection_request', 'delay_days', 2)))) AS mx \gset
SELECT :'mx'::jsonb ->> 'start_date' AS start_date, :'mx'::jsonb ->> 'sending_window_start' AS ws,
	   :'mx'::jsonb ->> 'sending_window_end' AS we, :'mx'::jsonb ->> 'launch_type' AS launch_type,
	   :'mx'::jsonb -> 'alias_ids' AS alias_ids, :'mx'::jsonb ->> 'status' AS status;

-- Rejections: all errors at once, nothing written.
SELECT count(*) AS campaigns_before FROM campaigns.campaign WHERE user_id = campaigns.current_user_id();
SELECT pg_temp.try(format($$SELECT campaigns.campaign_create(%L)$$, jsonb_build_object(
	'name', '', 'dataset_id', 'nope', 'daily_limit', 10001, 'steps', '[]'::jsonb, 'colour', 'red')));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_create(%L)$$, jsonb_build_object(
	'name', 'x', 'dataset_id', :'ds', 'alias_ids', '["a1"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(
		jsonb_build_object('label', 'A', 'template_id', :'tpl_email'),
		jsonb_build_object('label', 'B', 'weight', 101, 'template_id', :'tpl_email')))))));
SELECT pg_temp.try($$SELECT campaigns.campaign_create('"just a string"')$$);
SELECT count(*) AS campaigns_after FROM campaigns.campaign WHERE user_id = campaigns.current_user_id();

-- get / list / count
SELECT campaigns.campaign_get(:'cid') = :'c'::jsonb AS get_equals_create;
SELECT pg_temp.try($$SELECT campaigns.campaign_get('00000000-0000-0000-0000-000000000000')$$);
SELECT jsonb_path_query_array(campaigns.campaign_list(), '$[*].name') AS newest_first,
	   campaigns.campaign_count() AS total;
SELECT jsonb_path_query_array(campaigns.campaign_list('{"limit": 1, "offset": 1}'), '$[*].name') AS page,
	   jsonb_path_query_array(campaigns.campaign_list('{"name": "MIN"}'), '$[*].name') AS by_name,
	   jsonb_path_query_array(campaigns.campaign_list('{"status": "draft", "limit": "2"}'), '$[*].name') AS by_status,
	   campaigns.campaign_count('{"name": "i"}') AS count_by_name;
SELECT campaigns.campaign_list('{"name": "%"}') AS percent_is_literal;
SELECT pg_temp.try($$SELECT campaigns.campaign_list('{"status": "sleeping"}')$$);
SELECT pg_temp.try($$SELECT campaigns.campaign_list('{"limit": 101}')$$);

-- PATCH: omitted unchanged, explicit null clears, "" system_prompt rejected.
SELECT campaigns.campaign_update(:'cid', '{"description": "first", "daily_limit": 20}') - '{campaign_id,user_id,dataset_id,created_at,updated_at,steps_config}'::text[]
	= (:'c'::jsonb || '{"description": "first", "daily_limit": 20}') - '{campaign_id,user_id,dataset_id,created_at,updated_at,steps_config}'::text[] AS patched_only_given;
SELECT (campaigns.campaign_get(:'cid') ->> 'updated_at')::timestamptz > (:'c'::jsonb ->> 'updated_at')::timestamptz AS updated_at_moves;
SELECT campaigns.campaign_update(:'cid', '{"description": null}') -> 'description' AS cleared;
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"system_prompt": ""}')$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"daily_limit": null, "bogus": 1}')$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"alias_ids": null}')$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '[]')$$, :'cid'));
SELECT campaigns.campaign_get(:'cid') ->> 'daily_limit' AS daily_limit_unchanged;
SELECT campaigns.campaign_update(:'cid', '{"playground_discovery_dismissed_at": "2030-05-06T07:08:09Z"}') ->> 'playground_discovery_dismissed_at' AS dismissed;
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"playground_discovery_dismissed_at": "yesterday"}')$$, :'cid'));
SELECT pg_temp.try($$SELECT campaigns.campaign_update('00000000-0000-0000-0000-000000000000', '{}')$$);

-- Edit rules by status: what changes is checked against the status (55000).
SELECT pg_temp.set_status(:'cid', 'active');
SELECT campaigns.campaign_update(:'cid', '{"name": "Renamed", "min_interval_seconds": 600}') ->> 'name' AS active_rename;
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"timezone": "Europe/London"}')$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"timezone": "UTC", "name": "Same tz is no change"}')$$, :'cid'));
SELECT pg_temp.set_status(:'cid', 'paused');
SELECT campaigns.campaign_update(:'cid', '{"timezone": "Europe/London", "send_days": ["sun","sat"]}') -> 'send_days' AS paused_edit;
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"type": "mixed", "connected_account_id": "%s"}')$$, :'cid', :'acct'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"dataset_id": "%s"}')$$, :'cid', :'ds'));
SELECT pg_temp.set_status(:'cid', 'completed');
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"name": "late"}')$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{}')$$, :'cid'));
SELECT pg_temp.set_status(:'cid', 'draining');
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"description": "x"}')$$, :'cid'));

-- Delete by status.
SELECT pg_temp.try(format($$SELECT campaigns.campaign_delete(%L)$$, :'cid'));
SELECT pg_temp.set_status(:'cid', 'failed');
SELECT pg_temp.try(format($$SELECT campaigns.campaign_delete(%L)$$, :'cid'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_delete(%L)$$, :'cid'));

-- Objects a campaign uses cannot be deleted from under it.
SELECT pg_temp.try(format($$SELECT campaigns.template_delete(%L)$$, :'tpl_email'));
SELECT pg_temp.try(format($$SELECT campaigns.template_update(%L, '{"channel": "linkedin"}')$$, :'tpl_email'));
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_delete(%L)$$, :'sp'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_delete(%L)$$, :'ds'));

-- No user: 28000.
RESET campaigns.user_id;
SELECT pg_temp.try($$SELECT campaigns.campaign_list()$$);
SELECT pg_temp.try($$SELECT campaigns.campaign_create('{}')$$);

-- campaign_create keeps plans per backend: they follow a dropped and
-- re-created extension in the same session.
SET campaigns.user_id = '00000000-0000-0000-0003-000000000001';
SELECT campaigns.campaign_create('{}') IS NULL AS never;
SET client_min_messages = warning;
DROP EXTENSION campaigns CASCADE;
CREATE EXTENSION campaigns;
RESET client_min_messages;
SELECT campaigns.dataset_create('{"name": "D2"}') ->> 'dataset_id' AS ds2 \gset
SELECT campaigns.alias_create('{"alias_id": "a1", "full_email": "a1@example.com"}') IS NOT NULL AS alias_again;
SELECT campaigns.template_create('{"name": "E", "channel": "email", "body": "Hi"}') ->> 'template_id' AS tpl2 \gset
SELECT campaigns.campaign_create(jsonb_build_object('name', 'After re-create', 'dataset_id', :'ds2',
	'alias_ids', '["a1"]'::jsonb, 'steps', jsonb_build_array(jsonb_build_object('step', 1,
		'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl2')))))) ->> 'status' AS status;
RESET campaigns.user_id;
