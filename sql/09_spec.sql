-- Black-box conformance of the SQL API against SPEC.md, as a client who has
-- read only the spec would check it: identity (§2), objects (§3), campaign
-- create validation (§4), the status machine through the user-facing
-- functions (§5), scheduling through tick(now) and the forecast (§6), and the
-- response model of the seed.  Users 00000000-0000-0000-0009-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS spec_app;
DROP ROLE IF EXISTS spec_gw;
RESET client_min_messages;
CREATE ROLE spec_app;
GRANT campaigns_user TO spec_app;

-- try(sql): 'ok: <result>' or '<SQLSTATE> <message>'; for 22023 the DETAIL
-- must be a JSON array of {loc, msg, type} and is shown as loc=type items.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; r text; j jsonb;
BEGIN
	EXECUTE sql INTO r;
	RETURN 'ok: ' || coalesce(r, 'null');
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	IF st = '22023' THEN
		BEGIN
			j := det::jsonb;
		EXCEPTION WHEN others THEN
			RETURN '22023 DETAIL IS NOT JSON: ' || coalesce(det, '<null>') || ' / ' || msg;
		END;
		IF jsonb_typeof(j) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(j) e
				WHERE jsonb_typeof(e) <> 'object' OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e) k) <> '{loc,msg,type}'
				   OR jsonb_typeof(e->'loc') <> 'array' OR jsonb_typeof(e->'msg') <> 'string' OR jsonb_typeof(e->'type') <> 'string') THEN
			RETURN '22023 DETAIL IS NOT A {loc,msg,type} ARRAY: ' || det;
		END IF;
		RETURN '22023 ' || (SELECT string_agg((e->'loc')::text || '=' || (e->>'type'), ' ' ORDER BY o)
							  FROM jsonb_array_elements(j) WITH ORDINALITY AS x(e, o));
	END IF;
	RETURN st || ' ' || msg;
END $$;
-- err(sql): the full error items (loc, msg, type) of a 22023.
CREATE FUNCTION pg_temp.errs(sql text) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
DECLARE st text; det text; r text;
BEGIN
	EXECUTE sql INTO r;
	RETURN NEXT '"no error"'::jsonb;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
	IF st <> '22023' THEN
		RETURN NEXT to_jsonb(st);
		RETURN;
	END IF;
	BEGIN
		RETURN QUERY SELECT e FROM jsonb_array_elements(det::jsonb) e;
	EXCEPTION WHEN others THEN
		RETURN NEXT to_jsonb('DETAIL IS NOT A JSON ARRAY: ' || coalesce(det, '<null>'));
	END;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text), pg_temp.errs(text) TO spec_app;

----------------------------------------------------------------------------
-- §2 Identity and tenancy
----------------------------------------------------------------------------
SET ROLE spec_app;
SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user;
-- No identity at all: 28000 "no authenticated user", from the API too.
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
SELECT pg_temp.try($$SELECT campaigns.campaign_list()$$);
SELECT pg_temp.try($$SELECT campaigns.dataset_create('{"name": "x"}')$$);
SELECT pg_temp.try($$SELECT campaigns.campaign_create('{}')$$);
-- PostgREST's convention: request.jwt.claims ->> 'sub'.
SET request.jwt.claims = '{"sub": "00000000-0000-0000-0009-0000000000aa", "role": "spec_app"}';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
-- The GUC wins over the claims.
SET campaigns.user_id = '00000000-0000-0000-0009-0000000000bb';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
RESET campaigns.user_id;
-- Claims without sub, with a non-uuid sub, or not JSON: 28000.
SET request.jwt.claims = '{"role": "spec_app"}';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
SET request.jwt.claims = '{"sub": "alice"}';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
SET request.jwt.claims = 'not json';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
RESET request.jwt.claims;
SET campaigns.user_id = 'not-a-uuid';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
SET campaigns.user_id = '';
SELECT pg_temp.try($$SELECT campaigns.current_user_id()$$);
RESET campaigns.user_id;
-- A tenant cannot mint or revoke keys, nor run the scheduler.
SELECT pg_temp.try($$SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', 'k')$$);
SELECT pg_temp.try($$SELECT campaigns.api_key_revoke('cmp_live_x')$$);
SELECT pg_temp.try($$SELECT campaigns.tick(now())$$);
SELECT pg_temp.try($$SELECT campaigns.action_record_outcome(1, 'sent')$$);
-- Nor the scheduler's pieces (a tenant's clock would move its campaigns).
SELECT pg_temp.try($$SELECT campaigns._tick(now(), NULL)$$) AS _tick,
	   pg_temp.try($$SELECT campaigns._queue_due(now(), NULL)$$) AS _queue_due,
	   pg_temp.try($$SELECT campaigns._start_scheduled(NULL, now())$$) AS _start_scheduled;
RESET ROLE;

-- API keys: cmp_live_ + 43 URL-safe characters, only the SHA-256 stored.
SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', 'ci') AS key1 \gset
SELECT :'key1' ~ '^cmp_live_[A-Za-z0-9_-]{43}$' AS key_format, length(:'key1') AS key_length;
SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', 'ci') <> :'key1' AS keys_differ;
SELECT count(*) AS rows_holding_token_text
  FROM campaigns.api_key k WHERE to_jsonb(k)::text LIKE '%' || substr(:'key1', 10) || '%';
SELECT count(*) AS rows_with_sha256
  FROM campaigns.api_key WHERE token_hash = sha256(convert_to(:'key1', 'UTF8')) AND revoked_at IS NULL;
SELECT campaigns.api_key_revoke(:'key1') AS revoked, campaigns.api_key_revoke(:'key1') AS revoked_again;
SELECT pg_temp.try($$SELECT campaigns.api_key_create(NULL, 'x')$$);
SELECT pg_temp.try($$SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', '')$$);
SELECT pg_temp.try(format($$SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', %L)$$, repeat('k', 256)));

----------------------------------------------------------------------------
-- §3 Objects a user owns
----------------------------------------------------------------------------
SET ROLE spec_app;
SET campaigns.user_id = '00000000-0000-0000-0009-000000000001';
SELECT campaigns.dataset_create('{"name": "Spec leads"}') AS ds \gset
SELECT (:'ds'::jsonb - 'dataset_id' - 'created_at' - 'updated_at' - 'user_id') AS dataset_body,
	   (:'ds'::jsonb ->> 'dataset_id') ~ '^[0-9a-f-]{36}$' AS has_id;
SELECT :'ds'::jsonb ->> 'dataset_id' AS ds_id \gset
-- Duplicate emails in one dataset are merged, not doubled (in one batch and
-- across batches, case-insensitively).
SELECT campaigns.dataset_add_leads(:'ds_id', '[
	{"email": "ann@example.com", "first_name": "Ann", "company": "Acme", "timezone": "Europe/Paris"},
	{"email": "bob@example.com", "first_name": "Bob"},
	{"email": "ANN@example.com", "last_name": "Smith"},
	{"email": "cy@example.com", "linkedin_url": "https://linkedin.com/in/cy"}
]') - 'dataset_id' AS add_result;
SELECT campaigns.dataset_add_leads(:'ds_id', '[{"email": "bob@example.com", "title": "CTO"}]') - 'dataset_id' AS add_again;
SELECT campaigns.dataset_get(:'ds_id') ->> 'lead_count' AS lead_count;
SELECT array_agg(l ->> 'email' ORDER BY l ->> 'email') AS emails FROM jsonb_array_elements(campaigns.dataset_leads(:'ds_id')) l;
SELECT l - 'lead_id' - 'dataset_id' - 'created_at' - 'updated_at' - 'user_id' AS merged_ann
  FROM jsonb_array_elements(campaigns.dataset_leads(:'ds_id')) l WHERE l->>'email' ILIKE 'ann@%';
-- CSV upload merges too.
SELECT campaigns.dataset_add_leads_csv(:'ds_id', E'email,first_name,industry\nbob@example.com,Robert,SaaS\ndee@example.com,Dee,\n') - 'dataset_id' AS csv_result;
SELECT campaigns.dataset_get(:'ds_id') ->> 'lead_count' AS lead_count_after_csv;
-- A CSV that does not parse: 22023 with the JSON error array too.
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds_id', c)) AS csv_errors
  FROM (VALUES (E'email\n"unterminated\n'), (''), (E'email,email\na@x.example,b@x.example\n'), (E'email\na@x.example,extra\n')) t(c);
SELECT e FROM pg_temp.errs(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds_id', E'email\n"unterminated\n')) e;
-- Bad leads: 22023 with loc by position, nothing written.
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, '[{"email": "eve@example.com"}, {"email": "not an email"}, {"timezone": "Mars/Olympus"}]')$$, :'ds_id'));
SELECT campaigns.dataset_get(:'ds_id') ->> 'lead_count' AS lead_count_unchanged;

-- Templates with merge fields.
SELECT campaigns.template_create('{"name": "Intro", "channel": "email", "subject": "Hi {{first_name}}", "body": "Hello {{first_name}} at {{company|your team}}"}') AS tpl \gset
SELECT (:'tpl'::jsonb - 'template_id' - 'created_at' - 'updated_at' - 'user_id') AS template_body;
SELECT :'tpl'::jsonb ->> 'template_id' AS tpl_id \gset
SELECT campaigns.template_create('{"name": "Bump", "channel": "email", "body": "Following up"}') ->> 'template_id' AS tpl2_id \gset
SELECT campaigns.template_create('{"name": "LI note", "channel": "linkedin", "body": "Hi {{first_name}}"}') ->> 'template_id' AS li_tpl_id \gset
-- All errors at once: a bad channel does not hide a bad merge field.
SELECT e FROM pg_temp.errs($$SELECT campaigns.template_create('{"name": "Bad", "channel": "sms", "subject": "{{}}", "body": "Hi {{first name}}", "x": 1}')$$) e;
SELECT pg_temp.try(format($$SELECT campaigns.template_update(%L, '{"name": "", "body": "{{oops"}')$$, :'tpl_id')) AS template_update_errors;

-- Sender profiles: at most 5 per user.
SELECT campaigns.sender_profile_create('{"profile_name": "P1", "sender_data": {"custom_prompt": "Be brief."}, "description": "first", "is_default": true}') AS sp \gset
SELECT (:'sp'::jsonb - 'sender_profile_id' - 'created_at' - 'updated_at' - 'user_id') AS sender_profile_body;
SELECT :'sp'::jsonb ->> 'sender_profile_id' AS sp_id \gset
SELECT count(campaigns.sender_profile_create(jsonb_build_object('profile_name', 'P' || i))) AS more_profiles
  FROM generate_series(2, 5) i;
SELECT pg_temp.try($$SELECT campaigns.sender_profile_create('{"profile_name": "P6"}')$$);
SELECT campaigns.sender_profile_count() AS profiles;
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_update(%L, '{"profile_name": ""}')$$, :'sp_id'));
SELECT pg_temp.try($$SELECT campaigns.sender_profile_create('{"profile_name": "", "description": 5}')$$);
-- Field boundaries (checked on update, the limit being reached): profile_name
-- 1-100, description <= 500; one default at a time.
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_update(%L, %L)$$, :'sp_id', jsonb_build_object('profile_name', repeat('p', 100), 'description', repeat('d', 500)))) ~ '^ok' AS at_limits,
	   pg_temp.try(format($$SELECT campaigns.sender_profile_update(%L, %L)$$, :'sp_id', jsonb_build_object('profile_name', repeat('p', 101), 'description', repeat('d', 501)))) AS over_limits;
SELECT (campaigns.sender_profile_update(x.id, '{"is_default": true}') ->> 'is_default') AS new_default
  FROM (SELECT (l ->> 'sender_profile_id')::uuid AS id FROM jsonb_array_elements(campaigns.sender_profile_list()) l
		 WHERE l ->> 'profile_name' = 'P3') x;
SELECT string_agg(l ->> 'profile_name', ',' ORDER BY l ->> 'profile_name') FILTER (WHERE (l ->> 'is_default')::boolean) AS defaults
  FROM jsonb_array_elements(campaigns.sender_profile_list()) l;

-- Sending identities.
SELECT campaigns.alias_create('{"alias_id": "spec-a", "full_email": "a@sender.example"}') - 'created_at' - 'user_id' AS alias_body;
SELECT campaigns.alias_create('{"alias_id": "spec-b", "full_email": "b@sender.example"}') ->> 'alias_id' AS alias_b;
SELECT campaigns.connected_account_create('{"name": "Spec LinkedIn", "provider": "linkedin"}') AS acct \gset
SELECT (:'acct'::jsonb - 'connected_account_id' - 'created_at' - 'user_id') AS account_body;
SELECT :'acct'::jsonb ->> 'connected_account_id' AS acct_id \gset
SELECT pg_temp.try($$SELECT campaigns.connected_account_create('{"name": "x", "provider": "twitter"}')$$);

----------------------------------------------------------------------------
-- §4 Campaign create: the response model and the defaults
----------------------------------------------------------------------------
-- The smallest valid email body: every default appears in the response.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Minimal', 'dataset_id', :'ds_id',
	'alias_ids', '["spec-a"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id'))))))
  AS c1 \gset
-- Exactly the seed's 29 response fields and the campaign fields of SPEC
-- §11 (stop_on_reply, max_bounce_rate, bounce_window), no more, no fewer.
SELECT array_agg(k ORDER BY k) = ARRAY['alias_ids', 'bounce_window', 'campaign_id', 'connected_account_id', 'created_at',
	'daily_limit', 'dataset_id', 'description', 'launch_error', 'launch_job_id', 'launch_requested_at',
	'launch_type', 'max_bounce_rate', 'min_interval_seconds', 'name', 'paused_reason', 'playground_discovery_dismissed_at',
	'processed_leads', 'send_days', 'sending_window_end', 'sending_window_start', 'start_date', 'status',
	'steps_config', 'stop_on_reply', 'system_prompt', 'timezone', 'total_leads', 'type', 'unreviewed_launch_policy',
	'updated_at', 'user_id'] AS seed_fields, count(*) AS n_fields
  FROM jsonb_object_keys(:'c1'::jsonb) k;
SELECT :'c1'::jsonb - 'campaign_id' - 'dataset_id' - 'created_at' - 'updated_at' - 'steps_config' AS defaults;
SELECT jsonb_pretty(jsonb_set(:'c1'::jsonb -> 'steps_config', '{0,variants,0,template_id}', '"<tpl>"')) AS steps_config,
	   :'c1'::jsonb #>> '{steps_config,0,variants,0,template_id}' = :'tpl_id' AS template_echoed;
SELECT (:'c1'::jsonb ->> 'campaign_id') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AS campaign_id_uuid,
	   :'c1'::jsonb ->> 'dataset_id' = :'ds_id' AS dataset_id_echoed,
	   (:'c1'::jsonb ->> 'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS created_at_rfc3339_z,
	   (:'c1'::jsonb ->> 'updated_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS updated_at_rfc3339_z,
	   :'c1'::jsonb ->> 'created_at' = :'c1'::jsonb ->> 'updated_at' AS created_is_updated;
SELECT :'c1'::jsonb ->> 'campaign_id' AS c1_id \gset
-- The read returns the same body as the create.
SELECT campaigns.campaign_get(:'c1_id') = :'c1'::jsonb AS get_equals_create;

-- Every field given, in a mixed campaign: echoed normalised (send_days in
-- week order, times HH:MM:SS, steps sorted by step, start_date in UTC Z).
SELECT campaigns.campaign_create(jsonb_build_object(
	'name', 'Full', 'dataset_id', :'ds_id', 'description', 'All fields', 'type', 'mixed',
	'alias_ids', '["spec-b", "spec-a"]'::jsonb, 'connected_account_id', :'acct_id',
	'launch_type', 'scheduled', 'start_date', '2099-03-01T10:30:00+02:00',
	'daily_limit', 10000, 'sending_window_start', '08:05', 'sending_window_end', '24:00',
	'min_interval_seconds', 3600, 'timezone', 'America/New_York', 'send_days', '["sun", "wed", "mon"]'::jsonb,
	'system_prompt', repeat('p', 100), 'unreviewed_launch_policy', 'hold',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 3, 'channel', 'linkedin', 'action_type', 'message', 'message_template', 'Hi {{first_name|there}}', 'delay_days', 365),
		jsonb_build_object('step', 1, 'channel', 'email', 'ai_personalization_enabled', true, 'track_clicks', true, 'action_type', 'send_email',
			'variants', jsonb_build_array(
				jsonb_build_object('label', 'A', 'weight', 0, 'template_id', :'tpl_id', 'sender_profile_id', :'sp_id'),
				jsonb_build_object('label', 'B', 'weight', 100, 'type', 'PERSONALIZATION'))),
		jsonb_build_object('step', 2, 'channel', 'linkedin', 'action_type', 'connection_request', 'message_template', repeat('n', 300),
			'variants', jsonb_build_array(jsonb_build_object('label', 'LI', 'template_id', :'li_tpl_id'))))))
  AS c2 \gset
SELECT :'c2'::jsonb - 'campaign_id' - 'dataset_id' - 'created_at' - 'updated_at' - 'steps_config' - 'system_prompt' - 'connected_account_id' AS full_body,
	   :'c2'::jsonb ->> 'connected_account_id' = :'acct_id' AS account_echoed,
	   :'c2'::jsonb ->> 'system_prompt' = repeat('p', 100) AS prompt_echoed;
SELECT jsonb_pretty(jsonb_set(jsonb_path_query_array(:'c2'::jsonb -> 'steps_config', '$[*] ? (@.step >= 2)'),
	'{0,variants,0,template_id}', '"<li_tpl>"')) AS linkedin_steps,
	   :'c2'::jsonb #>> '{steps_config,1,variants,0,template_id}' = :'li_tpl_id' AS li_template_echoed;
SELECT jsonb_pretty(jsonb_set(:'c2'::jsonb -> 'steps_config' -> 0, '{variants,0}',
	(:'c2'::jsonb #> '{steps_config,0,variants,0}') - 'template_id' - 'sender_profile_id')) AS email_step,
	   :'c2'::jsonb #>> '{steps_config,0,variants,0,template_id}' = :'tpl_id' AS template_echoed,
	   :'c2'::jsonb #>> '{steps_config,0,variants,0,sender_profile_id}' = :'sp_id' AS profile_echoed;
-- Equivalent start_date spellings normalise to UTC Z.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Tz', 'dataset_id', :'ds_id', 'type', 'linkedin',
	'connected_account_id', :'acct_id', 'launch_type', 'scheduled', 'start_date', '2099-01-01t00:00:00.5-05:30',
	'steps', '[{"step": 1, "action_type": "profile_visit"}]'::jsonb)) -> 'start_date' AS start_date_utc;
SELECT count(*) AS campaigns_so_far FROM campaigns.campaign;

----------------------------------------------------------------------------
-- §4 Validation: every rule, its loc, its Pydantic type
----------------------------------------------------------------------------
-- A helper that tries a body derived from the minimal valid one.
CREATE FUNCTION pg_temp.body(patch jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('name', 'V', 'dataset_id', current_setting('spec.ds'),
		'alias_ids', '["spec-a"]'::jsonb,
		'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))))))
		|| patch
$$;
CREATE FUNCTION pg_temp.v(patch jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(pg_temp.try(format('SELECT campaigns.campaign_create(%L)', pg_temp.body(patch))), '^ok: .*$', 'ok')
$$;
CREATE FUNCTION pg_temp.vstep(step jsonb, extra jsonb DEFAULT '{}') RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.v(jsonb_build_object('steps', jsonb_build_array(step)) || extra)
$$;
SET spec.ds = :'ds_id';
SET spec.tpl = :'tpl_id';
SET spec.li_tpl = :'li_tpl_id';
SET spec.acct = :'acct_id';
SELECT pg_temp.v('{}') ~ '^ok' AS base_is_valid;

-- Body shape.
SELECT pg_temp.try($$SELECT campaigns.campaign_create('[]')$$) AS array_body,
	   pg_temp.try($$SELECT campaigns.campaign_create('"x"')$$) AS string_body,
	   pg_temp.try($$SELECT campaigns.campaign_create('null')$$) AS json_null_body;
SELECT pg_temp.try($$SELECT campaigns.campaign_create('{}')$$) AS empty_body;
SELECT e FROM pg_temp.errs($$SELECT campaigns.campaign_create('{}')$$) e;
-- name
SELECT p, pg_temp.v(jsonb_build_object('name', p)) FROM (VALUES ('""'::jsonb), ('"x"'), (to_jsonb(repeat('n', 255))),
	(to_jsonb(repeat('n', 256))), (to_jsonb(repeat('é', 255))), ('null'), ('5'), ('["x"]')) t(p) WHERE length(p::text) < 30;
SELECT pg_temp.v(jsonb_build_object('name', repeat('n', 255))) ~ '^ok' AS name_255,
	   pg_temp.v(jsonb_build_object('name', repeat('é', 255))) ~ '^ok' AS name_255_multibyte,
	   pg_temp.v(jsonb_build_object('name', repeat('n', 256))) AS name_256;
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"name": ""}'))) e
UNION ALL
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body(jsonb_build_object('name', repeat('n', 256))))) e;
-- dataset_id
SELECT p, pg_temp.v(jsonb_build_object('dataset_id', p)) FROM (VALUES ('"nope"'::jsonb), ('"00000000-0000-0000-0009-00000000ffff"'),
	('null'), ('123'), ('"3c90c3cc0d444b5088888dd25736052a"')) t(p);
-- steps
SELECT p, pg_temp.v(jsonb_build_object('steps', p)) FROM (VALUES ('[]'::jsonb), ('null'), ('{}'), ('"x"'), ('[1]'), ('[null]')) t(p);
SELECT pg_temp.v(jsonb_build_object('steps', (SELECT jsonb_agg(jsonb_build_object('step', i, 'variants',
	jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))) FROM generate_series(1, 10) i))) ~ '^ok' AS ten_steps,
	   pg_temp.v(jsonb_build_object('steps', (SELECT jsonb_agg(jsonb_build_object('step', least(i, 10), 'variants',
	jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))) FROM generate_series(1, 11) i))) AS eleven_steps;
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"steps": []}'))) e;
-- description
SELECT pg_temp.v(jsonb_build_object('description', repeat('d', 1000))) ~ '^ok' AS descr_1000,
	   pg_temp.v(jsonb_build_object('description', repeat('d', 1001))) AS descr_1001,
	   pg_temp.v('{"description": null}') ~ '^ok' AS descr_null,
	   pg_temp.v('{"description": ""}') ~ '^ok' AS descr_empty,
	   pg_temp.v('{"description": 1}') AS descr_number;
-- type, launch_type, unreviewed_launch_policy: enum
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body(
	'{"type": "sms", "launch_type": "later", "unreviewed_launch_policy": "maybe"}'))) e;
SELECT pg_temp.v('{"type": "EMAIL"}') AS type_case, pg_temp.v('{"type": null}') AS type_null;
-- alias_ids
SELECT p, pg_temp.v(jsonb_build_object('alias_ids', p)) FROM (VALUES ('null'::jsonb), ('[]'), ('["spec-a", "spec-a"]'),
	('["nobody"]'), ('"spec-a"'), ('[1]'), ('["spec-a", "spec-b"]')) t(p);
SELECT pg_temp.v('{"alias_ids": null}') AS alias_ids_null, (SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)',
	pg_temp.body('{"alias_ids": ["nobody"]}'))) e) AS unknown_alias;
-- connected_account_id: required when any step is linkedin
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'action_type', 'follow'), '{"type": "linkedin"}') AS li_no_account;
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'action_type', 'follow'),
	jsonb_build_object('type', 'linkedin', 'connected_account_id', current_setting('spec.acct'))) ~ '^ok' AS li_with_account;
SELECT p, pg_temp.vstep(jsonb_build_object('step', 1, 'action_type', 'follow'), jsonb_build_object('type', 'linkedin', 'connected_account_id', p))
  FROM (VALUES ('"zz"'::jsonb), ('"00000000-0000-0000-0009-00000000ffff"'), ('7')) t(p);
-- launch_type / start_date
SELECT pg_temp.v('{"launch_type": "scheduled"}') AS scheduled_no_date,
	   pg_temp.v('{"launch_type": "scheduled", "start_date": "2001-01-01T00:00:00Z"}') AS scheduled_past,
	   pg_temp.v('{"launch_type": "scheduled", "start_date": "2099-01-01T00:00:00Z"}') ~ '^ok' AS scheduled_future,
	   pg_temp.v('{"start_date": "2099-01-01T00:00:00Z"}') AS immediate_with_date,
	   pg_temp.v('{"launch_type": "immediate", "start_date": null}') ~ '^ok' AS immediate_null_date;
SELECT p, pg_temp.v(jsonb_build_object('launch_type', 'scheduled', 'start_date', p))
  FROM (VALUES ('"2099-01-01"'::jsonb), ('"2099-01-01T00:00:00"'), ('"2099-13-01T00:00:00Z"'), ('"2099-02-29T00:00:00Z"'),
			   ('"tomorrow"'), ('5')) t(p);
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"launch_type": "scheduled"}'))) e
UNION ALL
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"launch_type": "scheduled", "start_date": "2001-01-01T00:00:00Z"}'))) e
UNION ALL
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"start_date": "2099-01-01T00:00:00Z"}'))) e;
-- daily_limit and min_interval_seconds: strict integers at their bounds
SELECT p, pg_temp.v(jsonb_build_object('daily_limit', p)) AS daily_limit, pg_temp.v(jsonb_build_object('min_interval_seconds', p)) AS min_interval
  FROM (VALUES ('0'::jsonb), ('1'), ('59'), ('60'), ('3600'), ('3601'), ('10000'), ('10001'), ('"500"'), ('500.0'), ('1.5'), ('true'), ('null'), ('-1')) t(p);
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"daily_limit": 0, "min_interval_seconds": 3601}'))) e
UNION ALL
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body('{"daily_limit": 10001, "min_interval_seconds": "300"}'))) e;
-- sending window
SELECT s, e, pg_temp.v(jsonb_build_object('sending_window_start', s, 'sending_window_end', e))
  FROM (VALUES ('"09:00"'::jsonb, '"17:00"'::jsonb), ('"09:00:00"', '"09:00:00"'), ('"17:00"', '"09:00"'), ('"00:00"', '"24:00:00"'),
			   ('"24:00"', '"24:00"'), ('"9:00"', '"17:00"'), ('"09:60"', '"17:00"'), ('"25:00"', '"26:00"'), ('"09:00:00.5"', '"17:00"'),
			   ('900', '"17:00"'), ('"23:59:59"', '"24:00"'), ('"09:00"', '"24:00:01"')) t(s, e);
SELECT r ->> 'sending_window_start' AS ws, r ->> 'sending_window_end' AS we
  FROM (SELECT campaigns.campaign_create(pg_temp.body('{"sending_window_start": "00:00", "sending_window_end": "24:00:00"}')) r) x;
-- timezone
SELECT p, pg_temp.v(jsonb_build_object('timezone', p)) FROM (VALUES ('"Europe/Berlin"'::jsonb), ('"Mars/Base"'), ('"utc"'),
	('""'), ('null'), ('3'), ('"Asia/Kathmandu"')) t(p);
-- send_days
SELECT p, pg_temp.v(jsonb_build_object('send_days', p)) FROM (VALUES ('[]'::jsonb), ('["mon", "mon"]'), ('["Mon"]'), ('["monday"]'),
	('"mon"'), ('[1]'), ('null'), ('["sun", "sat", "fri", "thu", "wed", "tue", "mon"]')) t(p);
SELECT campaigns.campaign_create(pg_temp.body('{"send_days": ["sun", "sat", "tue"]}')) -> 'send_days' AS week_order;
-- system_prompt
SELECT pg_temp.v(jsonb_build_object('system_prompt', repeat('s', 99))) AS prompt_99,
	   pg_temp.v(jsonb_build_object('system_prompt', repeat('s', 100))) ~ '^ok' AS prompt_100,
	   pg_temp.v(jsonb_build_object('system_prompt', repeat('s', 5000))) ~ '^ok' AS prompt_5000,
	   pg_temp.v(jsonb_build_object('system_prompt', repeat('s', 5001))) AS prompt_5001,
	   pg_temp.v('{"system_prompt": ""}') AS prompt_empty,
	   pg_temp.v('{"system_prompt": null}') ~ '^ok' AS prompt_null;
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body(jsonb_build_object('system_prompt', repeat('s', 99))))) e;
-- Unknown keys anywhere.
SELECT pg_temp.v('{"bogus": 1, "status": "active", "campaign_id": "00000000-0000-0000-0009-000000000000"}') AS extra_top;
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'colour', 'red', 'variants',
	jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl'), 'size', 2)))) AS extra_nested;

-- Steps: loc paths are positions in the array as sent.
SELECT s0 AS step, pg_temp.vstep(s) FROM (VALUES
	('{"variants": [{"label": "A", "template_id": "%T"}]}'::text),
	('{"step": 0, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 11, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": "1", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "delay_days": -1, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "delay_days": 366, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "delay_days": 365, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1}'),
	('{"step": 1, "variants": []}'),
	('{"step": 1, "variants": null}'),
	('{"step": 1, "channel": "linkedin", "action_type": "follow"}'),
	('{"step": 1, "channel": "sms", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "track_clicks": "yes", "ai_personalization_enabled": 1, "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "action_type": "connection_request", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "action_type": "send_email", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "action_type": "fax", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "message_template": "Hi {{first_name", "variants": [{"label": "A", "template_id": "%T"}]}'),
	('{"step": 1, "message_template": 5, "variants": [{"label": "A", "template_id": "%T"}]}')
	) t(s0), LATERAL (SELECT replace(s0, '%T', current_setting('spec.tpl'))::jsonb AS s) x;
-- Variants.
SELECT vs, pg_temp.vstep(jsonb_build_object('step', 1, 'variants', replace(vs, '%T', current_setting('spec.tpl'))::jsonb)) FROM (VALUES
	('[{"template_id": "%T"}]'::text),
	('[{"label": "", "template_id": "%T"}]'),
	('[{"label": "abcdefghij", "template_id": "%T"}]'),
	('[{"label": "abcdefghijk", "template_id": "%T"}]'),
	('[{"label": "A", "template_id": "%T"}, {"label": "A", "template_id": "%T"}]'),
	('[{"label": "A", "weight": -1, "template_id": "%T"}]'),
	('[{"label": "A", "weight": 101, "template_id": "%T"}]'),
	('[{"label": "A", "weight": 0, "template_id": "%T"}, {"label": "B", "weight": 0, "template_id": "%T"}]'),
	('[{"label": "A", "weight": 0, "template_id": "%T"}, {"label": "B", "weight": 1, "template_id": "%T"}]'),
	('[{"label": "A", "weight": "50", "template_id": "%T"}]'),
	('[{"label": "A", "type": "template", "template_id": "%T"}]'),
	('[{"label": "A"}]'),
	('[{"label": "A", "template_id": null}]'),
	('[{"label": "A", "template_id": "bad"}]'),
	('[{"label": "A", "template_id": "00000000-0000-0000-0009-00000000ffff"}]'),
	('[{"label": "A", "type": "PERSONALIZATION"}]'),
	('[{"label": "A", "template_id": "%T", "sender_profile_id": "00000000-0000-0000-0009-00000000ffff"}]'),
	('[{"label": "A", "template_id": "%T", "sender_profile_id": 1}]'),
	('[{"label": "1", "template_id": "%T"}, {"label": "2", "template_id": "%T"}, {"label": "3", "template_id": "%T"}, {"label": "4", "template_id": "%T"}, {"label": "5", "template_id": "%T"}]'),
	('[{"label": "1", "template_id": "%T"}, {"label": "2", "template_id": "%T"}, {"label": "3", "template_id": "%T"}, {"label": "4", "template_id": "%T"}, {"label": "5", "template_id": "%T"}, {"label": "6", "template_id": "%T"}]'),
	('[1]')
	) t(vs);
-- A template of the other channel, on a LinkedIn step of an email campaign.
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.li_tpl')))));
SELECT e->>'msg' AS wrong_channel_template FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', pg_temp.body(jsonb_build_object('steps',
	jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.li_tpl'))))))))) e;
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'channel', 'linkedin', 'action_type', 'follow')) AS linkedin_step_in_email_campaign;
-- LinkedIn rules: action_type required; note <= 300; message <= 8000 and
-- required unless variants or AI supply the text.
CREATE FUNCTION pg_temp.li(step jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.vstep(step, jsonb_build_object('type', 'linkedin', 'alias_ids', NULL, 'connected_account_id', current_setting('spec.acct')))
$$;
SELECT s, pg_temp.li(s) FROM (VALUES
	('{"step": 1}'::jsonb),
	('{"step": 1, "action_type": "send_email"}'),
	('{"step": 1, "action_type": "connection_request"}'),
	('{"step": 1, "action_type": "message"}'),
	('{"step": 1, "action_type": "inmail"}'),
	('{"step": 1, "action_type": "message", "ai_personalization_enabled": true}'),
	('{"step": 1, "action_type": "message", "track_clicks": true, "message_template": "x"}'),
	('{"step": 1, "channel": "email", "action_type": "message", "message_template": "x"}'),
	('{"step": 1, "action_type": "like_post"}'),
	('{"step": 1, "action_type": "withdraw_invitation"}')
	) t(s);
SELECT pg_temp.li(jsonb_build_object('step', 1, 'action_type', 'connection_request', 'message_template', repeat('x', 300))) AS note_300,
	   pg_temp.li(jsonb_build_object('step', 1, 'action_type', 'connection_request', 'message_template', repeat('x', 301))) AS note_301,
	   pg_temp.li(jsonb_build_object('step', 1, 'action_type', 'message', 'message_template', repeat('x', 8000))) AS msg_8000,
	   pg_temp.li(jsonb_build_object('step', 1, 'action_type', 'message', 'message_template', repeat('x', 8001))) AS msg_8001;
SELECT pg_temp.li(jsonb_build_object('step', 1, 'action_type', 'message', 'variants',
	jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.li_tpl'))))) AS message_from_variants;
-- Mixed campaigns need a channel on every step.
SELECT pg_temp.vstep(jsonb_build_object('step', 1, 'action_type', 'follow'),
	jsonb_build_object('type', 'mixed', 'connected_account_id', current_setting('spec.acct'))) AS mixed_without_channel;
-- Duplicate step numbers; steps sorted in the response.
SELECT pg_temp.v(jsonb_build_object('steps', jsonb_build_array(
	jsonb_build_object('step', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))),
	jsonb_build_object('step', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl'))))))) AS duplicate_steps;
SELECT jsonb_path_query_array(campaigns.campaign_create(pg_temp.body(jsonb_build_object('steps', jsonb_build_array(
	jsonb_build_object('step', 7, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))),
	jsonb_build_object('step', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))),
	jsonb_build_object('step', 5, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))))))),
	'$.steps_config[*].step') AS sorted_steps;

-- All violations together, nested loc paths, and nothing written.
SELECT count(*) AS campaigns_before FROM campaigns.campaign \gset
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_create(%L)', jsonb_build_object(
	'name', '', 'dataset_id', 'x', 'daily_limit', 0, 'timezone', 'Nowhere', 'send_days', '["mon", "xyz"]'::jsonb,
	'alias_ids', '["spec-a"]'::jsonb, 'extra', true,
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')))),
		jsonb_build_object('step', 2, 'delay_days', 400, 'variants', jsonb_build_array(
			jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl')),
			jsonb_build_object('label', 'B', 'weight', 101, 'template_id', current_setting('spec.tpl')))))))) e;
SELECT count(*) - :campaigns_before AS campaigns_written FROM campaigns.campaign;

----------------------------------------------------------------------------
-- §5 Status machine through the user-facing functions
----------------------------------------------------------------------------
-- The delivery side is not the tenant's: these stand in for the worker and
-- the dispatcher (claiming queued actions, reporting outcomes) and for an
-- operator removing an alias behind the campaign's back.
RESET ROLE;
CREATE FUNCTION pg_temp.tick(t timestamptz) RETURNS jsonb LANGUAGE sql SECURITY DEFINER
AS $$ SELECT campaigns.tick(t) $$;
CREATE FUNCTION pg_temp.claim(cid uuid) RETURNS integer LANGUAGE sql SECURITY DEFINER AS $$
	WITH u AS (UPDATE campaigns.action SET state = 'in_flight', lease_until = now() + interval '5 minutes'
				WHERE campaign_id = cid AND state = 'queued' RETURNING 1)
	SELECT count(*)::int FROM u $$;
CREATE FUNCTION pg_temp.deliver(cid uuid, outcome text, at timestamptz) RETURNS integer LANGUAGE sql SECURITY DEFINER AS $$
	SELECT campaigns.action_record_outcomes(array_agg(action_id ORDER BY action_id),
		array_fill(outcome, ARRAY[count(*)::int]), array_fill(at, ARRAY[count(*)::int]), NULL, NULL, NULL)
	  FROM campaigns.action WHERE campaign_id = cid AND state = 'in_flight' $$;
CREATE FUNCTION pg_temp.drop_alias(uid uuid, a text) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$
	DELETE FROM campaigns.email_alias WHERE user_id = uid AND alias_id = a $$;
-- (the launch batch size is the operator's: campaigns.launch_batch_size is
-- superuser-only, as tenants launch in their own sessions)
CREATE FUNCTION pg_temp.set_batch(n int) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$
	SELECT set_config('campaigns.launch_batch_size', n::text, true) $$;
GRANT EXECUTE ON FUNCTION pg_temp.tick(timestamptz), pg_temp.claim(uuid), pg_temp.deliver(uuid, text, timestamptz),
	pg_temp.drop_alias(uuid, text), pg_temp.set_batch(int) TO spec_app;
SET ROLE spec_app;
SET campaigns.user_id = '00000000-0000-0000-0009-000000000001';
-- An always-open campaign (every day, 00:00-24:00, 60 s interval) on the
-- four-lead dataset (two of them without linkedin_url) and a lone alias.
SELECT campaigns.alias_create('{"alias_id": "spec-tmp", "full_email": "tmp@sender.example"}') ->> 'alias_id' AS tmp_alias;
CREATE FUNCTION pg_temp.mk(extra jsonb DEFAULT '{}') RETURNS uuid LANGUAGE sql AS $$
	SELECT (campaigns.campaign_create(pg_temp.body(jsonb_build_object('name', 'M', 'sending_window_start', '00:00',
		'sending_window_end', '24:00', 'min_interval_seconds', 60,
		'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb) || extra)) ->> 'campaign_id')::uuid
$$;
-- mk_in(status): a campaign brought to that status through the API only.
CREATE FUNCTION pg_temp.mk_in(st text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE c uuid; r jsonb;
BEGIN
	IF st = 'scheduled' THEN
		c := pg_temp.mk('{"launch_type": "scheduled", "start_date": "2099-06-01T00:00:00Z"}');
	ELSIF st = 'failed' THEN
		c := pg_temp.mk('{"alias_ids": ["spec-tmp"]}');
	ELSE
		c := pg_temp.mk();
	END IF;
	IF st = 'draft' THEN RETURN c; END IF;
	IF st = 'failed' THEN
		PERFORM pg_temp.drop_alias(campaigns.current_user_id(), 'spec-tmp');
		r := campaigns.campaign_launch(c);
		PERFORM campaigns.alias_create('{"alias_id": "spec-tmp", "full_email": "tmp@sender.example"}');
		RETURN c;
	END IF;
	IF st = 'launching' THEN
		PERFORM pg_temp.set_batch(1);
	END IF;
	r := campaigns.campaign_launch(c);
	PERFORM pg_temp.set_batch(50000);
	IF st IN ('launching', 'scheduled', 'active') THEN RETURN c; END IF;
	IF st = 'draining' THEN
		PERFORM pg_temp.tick(now());
		PERFORM pg_temp.claim(c);
	END IF;
	r := campaigns.campaign_pause(c);
	IF st = 'completed' THEN
		r := campaigns.campaign_stop(c);
	END IF;
	RETURN c;
END $$;
-- (Each read in its own statement: campaign_get is STABLE and sees the
-- snapshot of the statement that calls it.)
CREATE TEMP TABLE reached AS
SELECT st, pg_temp.mk_in(st) AS c	-- launching last: a tick would enrol its next batch
  FROM unnest(ARRAY['draft', 'scheduled', 'active', 'draining', 'paused', 'completed', 'failed', 'launching']) st;
SELECT st, campaigns.campaign_get(c) ->> 'status' AS reached FROM reached;

-- Every user-facing status function against every status: the new status,
-- or 55000 with the status left as it was.
CREATE FUNCTION pg_temp.op(st text, fn text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE c uuid := pg_temp.mk_in(st); r text; after text;
BEGIN
	IF fn = 'delete' THEN
		r := pg_temp.try(format('SELECT campaigns.campaign_delete(%L)', c));
		r := CASE WHEN r LIKE 'ok%' THEN 'deleted' ELSE r END;
		RETURN r || CASE WHEN r = 'deleted' AND EXISTS (SELECT 1 FROM campaigns.campaign WHERE campaign_id = c) THEN ' BUT STILL THERE' ELSE '' END;
	END IF;
	r := pg_temp.try(format('SELECT campaigns.campaign_%s(%L) %s', fn, c, CASE WHEN fn = 'launch' THEN '-> ''campaign''' ELSE '' END));
	after := campaigns.campaign_get(c) ->> 'status';
	IF r LIKE 'ok%' THEN
		RETURN '-> ' || after || CASE WHEN (r::text ~ ('"status": "' || after || '"')) THEN '' ELSE ' (RESPONSE DISAGREES)' END;
	END IF;
	RETURN r || CASE WHEN after <> st THEN ' BUT NOW ' || after ELSE '' END;
END $$;
SELECT st AS status,
	   pg_temp.op(st, 'launch') AS launch, pg_temp.op(st, 'pause') AS pause, pg_temp.op(st, 'resume') AS resume,
	   pg_temp.op(st, 'stop') AS stop, pg_temp.op(st, 'unschedule') AS unschedule, pg_temp.op(st, 'reset') AS reset,
	   pg_temp.op(st, 'delete') AS delete
  FROM unnest(ARRAY['draft', 'launching', 'scheduled', 'active', 'draining', 'paused', 'completed', 'failed']) st;
-- The 55000 message and detail a client sees.
SELECT c AS done_id FROM pg_temp.mk_in('completed') c \gset
SET spec.done = :'done_id';
DO $$
DECLARE d text;
BEGIN
	PERFORM campaigns.campaign_resume(current_setting('spec.done')::uuid);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'sqlstate %: % / %', SQLSTATE, SQLERRM, d;
END $$;
-- Missing campaigns are P0002 for every function.
SELECT fn, pg_temp.try(format('SELECT campaigns.campaign_%s(%L)', fn, '00000000-0000-0000-0009-00000000ffff'))
  FROM unnest(ARRAY['get', 'launch', 'pause', 'resume', 'stop', 'unschedule', 'reset', 'playground_review', 'delete']) fn;

-- Launch: the response, the launch fields, the enrolment counters.
SELECT pg_temp.mk() AS lc \gset
SELECT r -> 'summary' AS summary, jsonb_array_length(r -> 'warnings') AS warnings,
	   r #>> '{campaign,status}' AS status, r #> '{campaign,total_leads}' AS total_leads,
	   r #> '{campaign,processed_leads}' AS processed_leads,
	   r #>> '{campaign,launch_job_id}' IS NOT NULL AS has_job_id,
	   (r #>> '{campaign,launch_requested_at}') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS requested_at_z,
	   r #> '{campaign,launch_error}' AS launch_error
  FROM campaigns.campaign_launch(:'lc') r;
-- A LinkedIn campaign on the same dataset: leads without linkedin_url are
-- skipped with warnings.
SELECT (campaigns.campaign_create(pg_temp.body(jsonb_build_object('type', 'linkedin', 'alias_ids', NULL,
	'connected_account_id', :'acct_id', 'steps', '[{"step": 1, "action_type": "connection_request"}]'::jsonb))) ->> 'campaign_id') AS lic \gset
SELECT r -> 'summary' AS summary, jsonb_path_query_array(r -> 'warnings', '$[*].code') AS codes,
	   r #> '{campaign,total_leads}' AS total_leads
  FROM campaigns.campaign_launch(:'lic') r;
-- A second launch is refused.
SELECT pg_temp.try(format('SELECT campaigns.campaign_launch(%L)', :'lc')) AS second_launch;

-- Draining: a pause while an action is in flight drains, and the last
-- outcome finishes the pause.
SELECT pg_temp.mk() AS dc \gset
SELECT campaigns.campaign_launch(:'dc') #>> '{campaign,status}' AS launched;
SELECT pg_temp.tick(now()) IS NOT NULL AS ticked, pg_temp.claim(:'dc') AS in_flight;
SELECT campaigns.campaign_pause(:'dc') ->> 'status' AS paused_while_in_flight;
SELECT campaigns.campaign_get(:'dc') ->> 'paused_reason' AS reason;
SELECT pg_temp.try(format('SELECT campaigns.campaign_resume(%L)', :'dc')) AS resume_while_draining;
SELECT pg_temp.deliver(:'dc', 'sent', now()) AS delivered;
SELECT campaigns.campaign_get(:'dc') ->> 'status' AS after_last_outcome;
SELECT campaigns.campaign_resume(:'dc') ->> 'status' AS resumed;
SELECT campaigns.campaign_get(:'dc') -> 'paused_reason' AS reason_cleared;

-- Failed launch, then reset after fixing the cause.
SELECT pg_temp.mk_in('failed') AS fc \gset
SELECT j ->> 'status' AS status, j ->> 'launch_error' AS launch_error, j -> 'total_leads' AS total_leads,
	   j ->> 'launch_requested_at' IS NOT NULL AS requested
  FROM campaigns.campaign_get(:'fc') j;
SELECT j ->> 'status' AS status, j -> 'launch_error' AS launch_error FROM campaigns.campaign_reset(:'fc') j;
SELECT campaigns.campaign_launch(:'fc') #>> '{campaign,status}' AS relaunched;

-- Scheduled: unschedule returns to draft; pause then resume.
SELECT pg_temp.mk_in('scheduled') AS sc \gset
SELECT j ->> 'status' AS status, j -> 'total_leads' AS total_leads FROM campaigns.campaign_unschedule(:'sc') j;
SELECT campaigns.campaign_launch(:'sc') #>> '{campaign,status}' AS rescheduled;
SELECT campaigns.campaign_pause(:'sc') ->> 'status' AS paused;
SELECT campaigns.campaign_resume(:'sc') ->> 'status' AS resumed;

-- Playground review: recorded on drafts and running campaigns, refused when completed.
SELECT campaigns.campaign_playground_review(pg_temp.mk()) ->> 'status' AS reviewed_draft;
SELECT pg_temp.try(format('SELECT campaigns.campaign_playground_review(%L)', :'done_id')) AS review_completed;

-- Editing by status (PATCH semantics).  dataset_id moves to another
-- dataset of the caller's (sending a field's current value is no change).
SELECT campaigns.dataset_create('{"name": "Other"}') ->> 'dataset_id' AS ds2 \gset
SET spec.ds2 = :'ds2';
CREATE TEMP TABLE edit_target AS
SELECT st, pg_temp.mk_in(st) AS c
  FROM unnest(ARRAY['draft', 'scheduled', 'active', 'paused', 'completed', 'failed']) st;
CREATE FUNCTION pg_temp.ed(c uuid, patch jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(pg_temp.try(format('SELECT campaigns.campaign_update(%L, %L)', c, patch)), '^ok: .*$', 'ok')
$$;
SELECT st, f,
	   pg_temp.ed(c, p) AS result
  FROM edit_target,
	   (VALUES ('name', '{"name": "Renamed"}'::jsonb), ('description', '{"description": "d"}'),
			   ('daily_limit', '{"daily_limit": 7}'), ('min_interval_seconds', '{"min_interval_seconds": 120}'),
			   ('system_prompt', jsonb_build_object('system_prompt', repeat('q', 100))),
			   ('unreviewed_launch_policy', '{"unreviewed_launch_policy": "cancel"}'),
			   ('playground_discovery_dismissed_at', '{"playground_discovery_dismissed_at": "2030-01-01T00:00:00Z"}'),
			   ('timezone', '{"timezone": "Europe/Paris"}'), ('send_days', '{"send_days": ["mon"]}'),
			   ('sending_window_start', '{"sending_window_start": "10:00"}'),
			   ('alias_ids', '{"alias_ids": ["spec-b"]}'),
			   ('dataset_id', jsonb_build_object('dataset_id', current_setting('spec.ds2'))),
			   ('type', '{"type": "mixed"}'),
			   ('steps', jsonb_build_object('steps', jsonb_build_array(jsonb_build_object('step', 1, 'delay_days', 2, 'variants',
					jsonb_build_array(jsonb_build_object('label', 'Z', 'template_id', current_setting('spec.tpl')))))))) t(f, p)
 ORDER BY array_position(ARRAY['draft', 'scheduled', 'active', 'paused', 'completed', 'failed'], st), f;
-- Sending back what was read changes nothing and is accepted in any status.
SELECT st, pg_temp.ed(c, jsonb_build_object('name', campaigns.campaign_get(c) -> 'name', 'daily_limit', campaigns.campaign_get(c) -> 'daily_limit')) AS same_values
  FROM edit_target ORDER BY array_position(ARRAY['draft', 'scheduled', 'active', 'paused', 'completed', 'failed'], st);
-- PATCH semantics: omitted unchanged, null clears, "" rejected for system_prompt.
SELECT pg_temp.mk(jsonb_build_object('description', 'keep me', 'system_prompt', repeat('k', 100))) AS pc \gset
SELECT j ->> 'name' AS name, j ->> 'description' AS description, j -> 'system_prompt' AS system_prompt,
	   j ->> 'daily_limit' AS daily_limit
  FROM campaigns.campaign_update(:'pc', '{"name": "Patched", "system_prompt": null}') j;
SELECT pg_temp.ed(:'pc', '{"system_prompt": ""}') AS empty_prompt,
	   pg_temp.ed(:'pc', '{"daily_limit": null}') AS null_daily_limit,
	   pg_temp.ed(:'pc', '{"name": null}') AS null_name,
	   pg_temp.ed(:'pc', '{"bogus": 1}') AS unknown_key,
	   pg_temp.ed(:'pc', '{"status": "active"}') AS status_by_patch,
	   pg_temp.ed(:'pc', '{"daily_limit": 0, "name": ""}') AS two_errors;
SELECT j ->> 'name' AS name, j ->> 'daily_limit' AS daily_limit, j ->> 'status' AS status,
	   j ->> 'updated_at' >= j ->> 'created_at' AS updated_later
  FROM campaigns.campaign_get(:'pc') j;
-- A PATCH to a missing campaign is P0002 (after or before validation alike).
SELECT pg_temp.ed('00000000-0000-0000-0009-00000000ffff', '{"name": "x"}') AS patch_missing;

----------------------------------------------------------------------------
-- §6 Scheduling through tick(now)
----------------------------------------------------------------------------
-- Quiet the campaigns of the sections above, so that only this section's
-- campaigns send.
SELECT count(campaigns.campaign_pause(c.campaign_id)) AS paused_others
  FROM campaigns.campaign c WHERE c.status IN ('active', 'scheduled');
RESET ROLE;
-- sim(cid, from, until): tick at `from`, deliver whatever the campaign has
-- queued as sent at that instant, then jump to the campaign's next due time;
-- every send is logged.  (The worker and the dispatcher do this for real.)
CREATE TEMP TABLE sends (cid uuid, at timestamptz, step int, lead uuid);
GRANT SELECT, INSERT ON sends TO spec_app;
CREATE FUNCTION pg_temp.sim(cid uuid, t timestamptz, until timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE n integer := 0; nxt timestamptz;
BEGIN
	LOOP
		PERFORM campaigns.tick(t);
		INSERT INTO sends SELECT a.campaign_id, t, a.step, cl.lead_id
		  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id)
		 WHERE a.campaign_id = cid AND a.state = 'queued';
		PERFORM pg_temp.claim(cid);
		n := n + coalesce(pg_temp.deliver(cid, 'sent', t), 0);
		SELECT next_action_at INTO nxt FROM campaigns.campaign WHERE campaign_id = cid;
		EXIT WHEN nxt IS NULL OR nxt > until;
		t := greatest(nxt, t + interval '1 microsecond');
	END LOOP;
	RETURN n;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.sim(uuid, timestamptz, timestamptz) TO spec_app;
SET ROLE spec_app;
SET campaigns.user_id = '00000000-0000-0000-0009-000000000001';

-- Five leads; window 09:00-10:00 New York time on weekdays; 3 a day; 10
-- minutes apart; step 2 one day after step 1 was sent.  Scheduled start
-- Friday 2099-03-06 09:30 EST; US clocks go forward on Sunday 2099-03-08.
SELECT campaigns.dataset_create('{"name": "Six"}') ->> 'dataset_id' AS ds6 \gset
SELECT campaigns.dataset_add_leads(:'ds6', (SELECT jsonb_agg(jsonb_build_object('email', 'six' || i || '@example.com', 'first_name', 'L' || i))
	FROM generate_series(1, 5) i)) ->> 'inserted' AS six_leads;
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Pacing', 'dataset_id', :'ds6', 'alias_ids', '["spec-a"]'::jsonb,
	'timezone', 'America/New_York', 'sending_window_start', '09:00', 'sending_window_end', '10:00',
	'daily_limit', 3, 'min_interval_seconds', 600, 'launch_type', 'scheduled', 'start_date', '2099-03-06T09:30:00-05:00',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id'))),
		jsonb_build_object('step', 2, 'delay_days', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'B', 'template_id', :'tpl2_id')))))) ->> 'campaign_id' AS pc6 \gset
SELECT j #>> '{campaign,status}' AS status, j #> '{campaign,total_leads}' AS total_leads, j #> '{campaign,processed_leads}' AS processed
  FROM campaigns.campaign_launch(:'pc6') j;
-- Before the start date nothing happens.
SELECT pg_temp.tick('2099-03-06T14:00:00Z') IS NOT NULL AS ticked;
SELECT campaigns.campaign_get(:'pc6') ->> 'status' AS before_start, (SELECT count(*) FROM sends) AS sent;
SELECT pg_temp.sim(:'pc6', '2099-03-06T14:30:00Z', '2099-03-20T00:00:00Z') AS delivered;
SELECT to_char(at AT TIME ZONE 'America/New_York', 'Dy YYYY-MM-DD HH24:MI') AS local_time,
	   to_char(at AT TIME ZONE 'UTC', 'HH24:MI"Z"') AS utc, step
  FROM sends WHERE cid = :'pc6' ORDER BY at;
-- Each lead: step 1 then step 2, at least a day apart in local time.
SELECT count(DISTINCT lead) AS leads, bool_and(s2.at >= s1.at + interval '1 day' - interval '1 hour') AS follow_up_after_delay
  FROM sends s1 JOIN sends s2 USING (cid, lead) WHERE cid = :'pc6' AND s1.step = 1 AND s2.step = 2;
SELECT j ->> 'status' AS status, j -> 'total_leads' AS total_leads, j -> 'processed_leads' AS processed_leads
  FROM campaigns.campaign_get(:'pc6') j;
SELECT jsonb_path_query_array(campaigns.campaign_leads(:'pc6'), '$[*].status') AS lead_statuses,
	   jsonb_path_query_array(campaigns.campaign_leads(:'pc6'), '$[*].current_step') AS current_steps;

-- Pause stops new actions; resume sends no catch-up burst.  Window
-- 09:00-17:00 UTC every day, 10 minutes apart, one step, five leads.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Resume', 'dataset_id', :'ds6', 'alias_ids', '["spec-a"]'::jsonb,
	'min_interval_seconds', 600, 'launch_type', 'scheduled', 'start_date', '2099-04-01T09:00:00Z',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS rc \gset
SELECT campaigns.campaign_launch(:'rc') #>> '{campaign,status}' AS status;
SELECT pg_temp.sim(:'rc', '2099-04-01T09:00:00Z', '2099-04-01T09:00:00Z') AS first_send;
SELECT campaigns.campaign_pause(:'rc') ->> 'status' AS paused;
-- Ticks while paused send nothing.
SELECT pg_temp.tick('2099-04-01T09:10:00Z') IS NOT NULL AS t1, pg_temp.tick('2099-04-01T12:00:00Z') IS NOT NULL AS t2;
SELECT count(*) AS sent_while_paused FROM sends WHERE cid = :'rc' AND at > '2099-04-01T09:00:00Z';
SELECT count(*) AS queued_while_paused FROM campaigns.action WHERE campaign_id = :'rc' AND state IN ('queued', 'in_flight');
-- Resumed at 13:00 after 4 hours: one send at 13:00, the next 10 minutes later.
SELECT campaigns.campaign_resume(:'rc') ->> 'status' AS resumed;
SELECT pg_temp.sim(:'rc', '2099-04-01T13:00:00Z', '2099-04-01T13:25:00Z') AS sent_after_resume;
SELECT to_char(at AT TIME ZONE 'UTC', 'HH24:MI') AS at, count(*) AS sends FROM sends WHERE cid = :'rc' GROUP BY at ORDER BY at;
SELECT j -> 'total_leads' AS total_leads, j -> 'processed_leads' AS processed_leads, j ->> 'status' AS status
  FROM campaigns.campaign_get(:'rc') j;

-- replied, bounced and unsubscribed stop a lead; opened does not.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Events', 'dataset_id', :'ds6', 'alias_ids', '["spec-a", "spec-b"]'::jsonb,
	'sending_window_start', '00:00', 'sending_window_end', '24:00', 'min_interval_seconds', 60,
	'launch_type', 'scheduled', 'start_date', '2099-05-01T00:00:00Z', 'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id'))),
		jsonb_build_object('step', 2, 'delay_days', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'B', 'template_id', :'tpl2_id')))))) ->> 'campaign_id' AS ec \gset
SELECT campaigns.campaign_launch(:'ec') #>> '{campaign,status}' AS status;
SELECT pg_temp.sim(:'ec', '2099-05-01T00:00:00Z', '2099-05-02T00:00:00Z') AS step1_sends;
SELECT j -> 'processed_leads' AS processed_after_step1 FROM campaigns.campaign_get(:'ec') j;
CREATE TEMP TABLE ev_leads AS
SELECT (l ->> 'campaign_lead_id')::uuid AS clid, l ->> 'email' AS email FROM jsonb_array_elements(campaigns.campaign_leads(:'ec')) l;
SELECT email, (SELECT e - 'event_id' - 'campaign_id' - 'campaign_lead_id' FROM campaigns.lead_event_record(:'ec', clid,
		jsonb_build_object('type', t, 'occurred_at', '2099-05-01T12:00:00+02:00', 'data', jsonb_build_object('by', 'test'))) e) AS event
  FROM ev_leads JOIN (VALUES ('six1@example.com', 'replied'), ('six2@example.com', 'bounced'), ('six3@example.com', 'unsubscribed'),
						  ('six4@example.com', 'opened')) v(email, t) USING (email)
 ORDER BY email;
SELECT pg_temp.sim(:'ec', '2099-05-02T00:00:00Z', '2099-05-10T00:00:00Z') AS step2_sends;
SELECT l ->> 'email' AS email, l ->> 'status' AS status, l ->> 'stop_reason' AS stop_reason, l ->> 'current_step' AS current_step
  FROM jsonb_array_elements(campaigns.campaign_leads(:'ec')) l ORDER BY 1;
SELECT j ->> 'status' AS status, j -> 'total_leads' AS total_leads, j -> 'processed_leads' AS processed_leads
  FROM campaigns.campaign_get(:'ec') j;
SELECT count(*) AS step2_sends_to_stopped_leads
  FROM sends s JOIN ev_leads e ON e.clid IS NOT NULL
 WHERE s.cid = :'ec' AND s.step = 2 AND s.lead IN (SELECT lead_id FROM campaigns.campaign_lead WHERE campaign_lead_id IN
	(SELECT clid FROM ev_leads WHERE email IN ('six1@example.com', 'six2@example.com', 'six3@example.com')));
-- The lead's timeline, and event validation.
SELECT jsonb_path_query_array(campaigns.lead_events(:'ec', clid), '$[*].type') AS timeline,
	   jsonb_path_query_array(campaigns.lead_events(:'ec', clid), '$[*].occurred_at') AS occurred
  FROM ev_leads WHERE email = 'six1@example.com';
SELECT clid AS ev_clid FROM ev_leads WHERE email = 'six5@example.com' \gset
-- Timestamps keep their fractional seconds, in UTC with Z, as in the campaign.
SELECT e ->> 'occurred_at' AS occurred_at, e ->> 'type' AS type
  FROM campaigns.lead_event_record(:'ec', :'ev_clid', '{"type": "clicked", "occurred_at": "2099-05-03T08:00:00.25-01:00"}') e;
SELECT l ->> 'last_sent_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS last_sent_z,
	   l ->> 'enrolled_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS enrolled_z,
	   (l ->> 'enrolled_at')::timestamptz = (SELECT enrolled_at FROM campaigns.campaign_lead WHERE campaign_lead_id = :'ev_clid') AS enrolled_exact
  FROM jsonb_array_elements(campaigns.campaign_leads(:'ec')) l WHERE l ->> 'campaign_lead_id' = :'ev_clid';
SELECT pg_temp.try(format('SELECT campaigns.lead_event_record(%L, %L, %L)', :'ec', :'ev_clid', b)) AS event_errors
  FROM (VALUES ('{}'::jsonb), ('{"type": "liked"}'), ('{"type": "replied", "occurred_at": "yesterday", "data": 5, "x": 1}'), ('[]')) t(b);
SELECT e FROM pg_temp.errs(format('SELECT campaigns.lead_event_record(%L, %L, %L)', :'ec', :'ev_clid', '"replied"')) e;
SELECT pg_temp.try(format('SELECT campaigns.lead_event_record(%L, %L, %L)', :'ec', '00000000-0000-0000-0009-00000000ffff', '{"type": "opened"}')) AS unknown_lead;
-- The bounce and the unsubscribe put those addresses on the suppression
-- list (SPEC §11); the campaigns below reuse the dataset, so the entries
-- go again.
SELECT s ->> 'kind' AS kind, s ->> 'value' AS value, s ->> 'reason' AS reason
  FROM jsonb_array_elements(campaigns.suppression_list('{}')) s ORDER BY 2;
SELECT count(campaigns.suppression_delete((s ->> 'suppression_id')::uuid)) AS unsuppressed
  FROM jsonb_array_elements(campaigns.suppression_list('{}')) s;

-- The forecast: planned sends per local day and the next send time.  The
-- campaign's zone is chosen so that local noon is near the real clock
-- (the forecast starts now): always open, 2 a day, 5 leads, one step.
SELECT format('Etc/GMT%s', CASE WHEN o >= 0 THEN '-' || o ELSE '+' || -o END) AS fz
  FROM (SELECT 12 - extract(hour FROM now() AT TIME ZONE 'UTC')::int AS o) x \gset
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Forecast', 'dataset_id', :'ds6', 'alias_ids', '["spec-a"]'::jsonb,
	'timezone', :'fz', 'sending_window_start', '00:00', 'sending_window_end', '24:00', 'min_interval_seconds', 60, 'daily_limit', 2,
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS fc6 \gset
SELECT f ->> 'status' AS status, jsonb_path_query_array(f -> 'days', '$[*].planned_sends') AS planned, f ->> 'reason' AS reason,
	   f -> 'next_send_time' AS next_send_time
  FROM campaigns.campaign_forecast(:'fc6', 3) f;
SELECT campaigns.campaign_launch(:'fc6') #>> '{campaign,status}' AS launched;
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(f) k) AS keys,
	   jsonb_path_query_array(f -> 'days', '$[*].planned_sends') AS planned, f -> 'total_planned' AS total,
	   (f -> 'days' -> 0 ->> 'date') = (now() AT TIME ZONE :'fz')::date::text AS first_day_is_local_today,
	   (f ->> 'next_send_time') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS next_send_z,
	   f ->> 'campaign_id' = :'fc6' AS id, f ->> 'timezone' = :'fz' AS tz, f -> 'truncated' AS truncated, f -> 'reason' AS reason
  FROM campaigns.campaign_forecast(:'fc6', 3) f;
-- The forecast changes nothing.
SELECT count(*) AS actions FROM campaigns.action WHERE campaign_id = :'fc6';
SELECT d, regexp_replace(pg_temp.try(format('SELECT campaigns.campaign_forecast(%L, %s)', :'fc6', d)), '^ok: .*$', 'ok') AS forecast_days
  FROM (VALUES ('0'), ('1'), ('90'), ('91'), ('NULL')) t(d);
-- Dates are ISO whatever the client's DateStyle.
SET datestyle = 'SQL, DMY';
SELECT (SELECT bool_and(d ->> 'date' ~ '^\d{4}-\d\d-\d\d$') FROM jsonb_array_elements(f -> 'days') d) AS iso_dates,
	   jsonb_array_length(f -> 'days') AS n_days
  FROM campaigns.campaign_forecast(:'fc6', 90) f;
RESET datestyle;
SELECT e FROM pg_temp.errs(format('SELECT campaigns.campaign_forecast(%L, 0)', :'fc6')) e;
SELECT f -> 'total_planned' AS total, f ->> 'reason' AS reason, f -> 'next_send_time' AS next_send
  FROM campaigns.campaign_forecast(:'pc6', 7) f;

-- Scheduled start with AI steps and no playground review: each policy.
CREATE FUNCTION pg_temp.ai_campaign(policy text, start text) RETURNS uuid LANGUAGE sql AS $$
	SELECT (campaigns.campaign_create(jsonb_build_object('name', 'AI ' || policy, 'dataset_id', current_setting('spec.ds6'),
		'alias_ids', '["spec-a"]'::jsonb, 'launch_type', 'scheduled', 'start_date', start, 'unreviewed_launch_policy', policy,
		'steps', jsonb_build_array(jsonb_build_object('step', 1, 'ai_personalization_enabled', true,
			'variants', jsonb_build_array(jsonb_build_object('label', 'P', 'type', 'PERSONALIZATION')))))) ->> 'campaign_id')::uuid
$$;
SET spec.ds6 = :'ds6';
CREATE TEMP TABLE ai AS
SELECT p AS policy, reviewed, pg_temp.ai_campaign(p, '2099-07-01T00:00:00Z') AS c
  FROM unnest(ARRAY['launch_default', 'hold', 'cancel']) p, (VALUES (false), (true)) r(reviewed);
SELECT count(campaigns.campaign_launch(c)) AS launched FROM ai;
SELECT count(campaigns.campaign_playground_review(c)) AS reviewed FROM ai WHERE reviewed;
SELECT pg_temp.tick('2099-07-01T00:00:00Z') IS NOT NULL AS started;
SELECT policy, reviewed, j ->> 'status' AS status, j ->> 'paused_reason' AS paused_reason, j -> 'total_leads' AS total_leads,
	   (SELECT count(*) FROM campaigns.event e WHERE e.campaign_id = ai.c AND e.campaign_lead_id IS NULL) AS notifications
  FROM ai, campaigns.campaign_get(ai.c) j ORDER BY policy, reviewed;
-- A held campaign resumes once reviewed.
SELECT campaigns.campaign_playground_review(c) ->> 'status' AS reviewed_while_held, campaigns.campaign_resume(c) ->> 'status' AS resumed
  FROM ai WHERE policy = 'hold' AND NOT reviewed;

-- Several aliases are several lanes, used in rotation: two sends at once,
-- each alias at most once per interval.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Lanes', 'dataset_id', :'ds6', 'alias_ids', '["spec-a", "spec-b"]'::jsonb,
	'min_interval_seconds', 600, 'launch_type', 'scheduled', 'start_date', '2099-08-03T09:00:00Z',
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS lanes \gset
SELECT campaigns.campaign_launch(:'lanes') #>> '{campaign,status}' AS status;
SELECT pg_temp.sim(:'lanes', '2099-08-03T09:00:00Z', '2099-08-03T12:00:00Z') AS sent;
SELECT to_char(a.sent_at AT TIME ZONE 'UTC', 'HH24:MI') AS at, string_agg(coalesce(a.alias_id, '<none>'), ',' ORDER BY a.alias_id) AS aliases
  FROM campaigns.action a WHERE a.campaign_id = :'lanes' GROUP BY 1 ORDER BY 1;

-- A scheduled campaign whose start_date is moved (allowed while scheduled)
-- starts at the new date, earlier or later, and step 1's delay_days counts
-- from the new date.
CREATE FUNCTION pg_temp.sched(start text, delay int) RETURNS uuid LANGUAGE sql AS $$
	SELECT (campaigns.campaign_create(jsonb_build_object('name', 'Moved', 'dataset_id', current_setting('spec.ds6'),
		'alias_ids', '["spec-a"]'::jsonb, 'min_interval_seconds', 60, 'launch_type', 'scheduled', 'start_date', start,
		'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
		'steps', jsonb_build_array(jsonb_build_object('step', 1, 'delay_days', delay, 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', current_setting('spec.tpl'))))))) ->> 'campaign_id')::uuid
$$;
SELECT pg_temp.sched('2099-10-10T09:00:00Z', 0) AS earlier, pg_temp.sched('2099-10-10T09:00:00Z', 1) AS later \gset
SELECT campaigns.campaign_launch(:'earlier') #>> '{campaign,status}' AS earlier_status;
SELECT campaigns.campaign_launch(:'later') #>> '{campaign,status}' AS later_status;
SELECT campaigns.campaign_update(:'earlier', '{"start_date": "2099-10-05T09:00:00Z"}') ->> 'start_date' AS moved_earlier;
SELECT campaigns.campaign_update(:'later', '{"start_date": "2099-10-12T09:00:00Z"}') ->> 'start_date' AS moved_later;
SELECT pg_temp.sim(:'earlier', '2099-10-05T09:00:00Z', '2099-10-05T09:00:00Z') AS sent_at_new_earlier_start;
SELECT campaigns.campaign_get(:'earlier') ->> 'status' AS earlier_status;
-- Nothing at the old start, nor one day after it; the first send one day
-- after the new start.
SELECT pg_temp.sim(:'later', '2099-10-10T09:00:00Z', '2099-10-13T08:59:59Z') AS sent_before_new_start_plus_delay;
SELECT campaigns.campaign_get(:'later') ->> 'status' AS later_status;
SELECT pg_temp.sim(:'later', '2099-10-13T09:00:00Z', '2099-10-13T09:00:00Z') AS sent_at_new_start_plus_delay;

-- Paused before its start, moved later, resumed: it waits for the new start.
SELECT pg_temp.sched('2099-10-20T09:00:00Z', 0) AS pz \gset
SELECT campaigns.campaign_launch(:'pz') #>> '{campaign,status}' AS status;
SELECT campaigns.campaign_pause(:'pz') ->> 'status' AS paused;
SELECT campaigns.campaign_update(:'pz', '{"start_date": "2099-10-22T09:00:00Z"}') ->> 'start_date' AS moved;
SELECT campaigns.campaign_resume(:'pz') ->> 'status' AS resumed;
SELECT pg_temp.sim(:'pz', '2099-10-20T09:00:00Z', '2099-10-22T08:59:59Z') AS sent_before_new_start;
SELECT pg_temp.sim(:'pz', '2099-10-22T09:00:00Z', '2099-10-22T09:00:00Z') AS sent_at_new_start;

-- Switched to an immediate launch while scheduled: it starts at the next tick.
SELECT pg_temp.sched('2099-12-01T09:00:00Z', 0) AS now_c \gset
SELECT campaigns.campaign_launch(:'now_c') #>> '{campaign,status}' AS status;
SELECT j ->> 'launch_type' AS launch_type, j -> 'start_date' AS start_date, j ->> 'status' AS status
  FROM campaigns.campaign_update(:'now_c', '{"launch_type": "immediate", "start_date": null}') j;
SELECT pg_temp.sim(:'now_c', '2099-11-02T09:00:00Z', '2099-11-02T09:00:00Z') AS sent_at_next_tick;
SELECT campaigns.campaign_get(:'now_c') ->> 'status' AS status;

-- Pacing edits allowed while active take effect at once: raising a
-- reached daily limit lets the campaign send again the same day.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Raise', 'dataset_id', :'ds6', 'alias_ids', '["spec-a"]'::jsonb,
	'min_interval_seconds', 600, 'daily_limit', 1, 'launch_type', 'scheduled', 'start_date', '2099-08-10T09:00:00Z',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS raise \gset
SELECT campaigns.campaign_launch(:'raise') #>> '{campaign,status}' AS status;
SELECT pg_temp.sim(:'raise', '2099-08-10T09:00:00Z', '2099-08-10T12:00:00Z') AS sent_with_limit_1;
SELECT campaigns.campaign_update(:'raise', '{"daily_limit": 3, "min_interval_seconds": 60}') ->> 'daily_limit' AS raised;
SELECT pg_temp.sim(:'raise', '2099-08-10T12:00:00Z', '2099-08-10T16:59:59Z') AS sent_after_raise;
SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at FROM sends WHERE cid = :'raise' ORDER BY at;

-- A day is a local calendar day: step 2 one day after a Saturday 09:00 EST
-- send goes on Sunday 09:00 EDT, 23 hours later.  A mixed campaign sends its
-- email step from the alias and its LinkedIn step from the connected account.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'DST mixed', 'dataset_id', :'ds_id', 'type', 'mixed',
	'alias_ids', '["spec-b"]'::jsonb, 'connected_account_id', :'acct_id',
	'timezone', 'America/New_York', 'sending_window_start', '09:00', 'sending_window_end', '10:00',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'launch_type', 'scheduled', 'start_date', '2099-03-07T09:00:00-05:00',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'channel', 'email', 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id'))),
		jsonb_build_object('step', 2, 'channel', 'linkedin', 'delay_days', 1, 'action_type', 'message', 'message_template', 'Hi {{first_name|there}}')))) ->> 'campaign_id' AS mixed \gset
SELECT j -> 'summary' AS summary, j #>> '{campaign,status}' AS status FROM campaigns.campaign_launch(:'mixed') j;
SELECT pg_temp.sim(:'mixed', '2099-03-07T14:00:00Z', '2099-03-10T00:00:00Z') AS sent;
SELECT to_char(a.sent_at AT TIME ZONE 'America/New_York', 'Dy HH24:MI') AS local_time, to_char(a.sent_at AT TIME ZONE 'UTC', 'HH24:MI"Z"') AS utc,
	   a.step, a.channel, a.action_type, a.alias_id, a.connected_account_id = :'acct_id' AS from_account
  FROM campaigns.action a WHERE a.campaign_id = :'mixed' ORDER BY a.sent_at;
SELECT campaigns.campaign_get(:'mixed') ->> 'status' AS status;

-- Sending identities edited while paused are the ones used after resume
-- (two aliases replaced by one: one lane, never an action without alias).
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Swap', 'dataset_id', :'ds6', 'alias_ids', '["spec-a", "spec-b"]'::jsonb,
	'min_interval_seconds', 600, 'launch_type', 'scheduled', 'start_date', '2099-08-17T09:00:00Z',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS swap \gset
SELECT campaigns.campaign_launch(:'swap') #>> '{campaign,status}' AS status;
SELECT pg_temp.sim(:'swap', '2099-08-17T09:00:00Z', '2099-08-17T09:00:00Z') AS sent_before;
SELECT campaigns.campaign_pause(:'swap') ->> 'status' AS paused;
SELECT campaigns.campaign_update(:'swap', '{"alias_ids": ["spec-tmp"]}') -> 'alias_ids' AS new_aliases;
SELECT campaigns.campaign_resume(:'swap') ->> 'status' AS resumed;
SELECT pg_temp.sim(:'swap', '2099-08-17T10:00:00Z', '2099-08-17T12:00:00Z') AS sent_after;
SELECT to_char(a.sent_at AT TIME ZONE 'UTC', 'HH24:MI') AS at, string_agg(coalesce(a.alias_id, '<none>'), ',' ORDER BY a.alias_id) AS aliases
  FROM campaigns.action a WHERE a.campaign_id = :'swap' AND a.state = 'sent' GROUP BY 1 ORDER BY 1;

-- A failed delivery fails that lead, not the campaign.
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Fail', 'dataset_id', :'ds6', 'alias_ids', '["spec-a"]'::jsonb,
	'min_interval_seconds', 60, 'launch_type', 'scheduled', 'start_date', '2099-09-01T09:00:00Z',
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl_id')))))) ->> 'campaign_id' AS fl \gset
SELECT campaigns.campaign_launch(:'fl') #>> '{campaign,status}' AS status;
SELECT pg_temp.tick('2099-09-01T09:00:00Z') IS NOT NULL AS ticked, pg_temp.claim(:'fl') AS claimed,
	   pg_temp.deliver(:'fl', 'failed', '2099-09-01T09:00:05Z') AS failed;
SELECT j ->> 'status' AS status, j -> 'processed_leads' AS processed_leads, j -> 'total_leads' AS total_leads
  FROM campaigns.campaign_get(:'fl') j;
SELECT jsonb_path_query_array(campaigns.campaign_leads(:'fl', '{"status": "failed"}'), '$[*].status') AS failed_leads;
SELECT pg_temp.sim(:'fl', '2099-09-01T09:01:00Z', '2099-09-02T00:00:00Z') AS sent_after;
SELECT j ->> 'status' AS status, j -> 'processed_leads' AS processed_leads FROM campaigns.campaign_get(:'fl') j;

-- What a campaign uses cannot be deleted under it.
SELECT pg_temp.try(format('SELECT campaigns.dataset_delete(%L)', :'ds6')) AS delete_used_dataset,
	   pg_temp.try(format('SELECT campaigns.template_delete(%L)', :'tpl_id')) AS delete_used_template,
	   pg_temp.try(format('SELECT campaigns.sender_profile_delete(%L)', :'sp_id')) AS delete_used_profile;

-- No path skips the status machine.  The tenant cannot write the table at
-- all (the API is the only write path); the owner's direct writes are refused
-- by the status trigger too.
SELECT pg_temp.try(format($$UPDATE campaigns.campaign SET status = 'active' WHERE campaign_id = %L RETURNING status$$, pg_temp.mk())) AS tenant_update;
RESET ROLE;
SELECT pg_temp.try(format($$UPDATE campaigns.campaign SET status = 'active' WHERE campaign_id = %L RETURNING status$$, pg_temp.mk())) AS draft_to_active;
SELECT pg_temp.try(format($$UPDATE campaigns.campaign SET status = 'draft' WHERE campaign_id = %L RETURNING status$$, :'pc6')) AS completed_to_draft;
SELECT pg_temp.try(format($$DELETE FROM campaigns.campaign WHERE campaign_id = %L RETURNING status$$, :'fc6')) AS delete_active;
SELECT pg_temp.try($$INSERT INTO campaigns.campaign (user_id, dataset_id, name, status, steps_config)
	SELECT campaigns.current_user_id(), dataset_id, 'x', 'active', '[]' FROM campaigns.dataset LIMIT 1 RETURNING status$$) AS insert_active;
SET ROLE spec_app;
SELECT from_status, array_agg(to_status ORDER BY to_status) AS to_statuses FROM campaigns.status_transitions() GROUP BY 1 ORDER BY 1;

-- Lists: newest first, filters, paging, the total.
SELECT campaigns.campaign_count('{"status": "completed"}') = jsonb_array_length(campaigns.campaign_list('{"status": "completed", "limit": 100}')) AS count_matches,
	   campaigns.campaign_count('{"name": "PACING"}') AS by_name,
	   jsonb_array_length(campaigns.campaign_list('{"limit": 2}')) AS limited,
	   campaigns.campaign_list('{"limit": 1}') -> 0 ->> 'name' AS newest,
	   (SELECT bool_and((a ->> 'created_at') >= (b ->> 'created_at'))
		  FROM (SELECT x, o FROM jsonb_array_elements(campaigns.campaign_list('{"limit": 100}')) WITH ORDINALITY t(x, o)) p(a, i)
		  JOIN (SELECT x, o FROM jsonb_array_elements(campaigns.campaign_list('{"limit": 100}')) WITH ORDINALITY t(x, o)) q(b, j) ON j = i + 1) AS newest_first;
SELECT f, pg_temp.try(format('SELECT campaigns.campaign_list(%L)', f)) AS list_errors
  FROM (VALUES ('{"limit": 0}'::jsonb), ('{"limit": 101}'), ('{"offset": -1}'), ('{"limit": "x"}'), ('{"status": "sleeping"}')) t(f);

-- Stats of the events campaign: leads by status, actions and events in
-- total and per step.
SELECT j -> 'leads' AS leads, j -> 'actions' AS actions, j -> 'events' AS events
  FROM campaigns.campaign_stats(:'ec') j;
SELECT s ->> 'step' AS step, s ->> 'sent' AS sent, s ->> 'replied' AS replied, s ->> 'bounced' AS bounced,
	   s ->> 'unsubscribed' AS unsubscribed, s ->> 'opened' AS opened, s ->> 'clicked' AS clicked
  FROM jsonb_array_elements(campaigns.campaign_stats(:'ec') -> 'steps') s ORDER BY 1;

----------------------------------------------------------------------------
-- Tenancy: another user, as the same non-superuser role
----------------------------------------------------------------------------
SET campaigns.user_id = '00000000-0000-0000-0009-000000000002';
SELECT fn, pg_temp.try(format('SELECT campaigns.campaign_%s(%L)', fn, :'fc6')) AS other_users_campaign
  FROM unnest(ARRAY['get', 'launch', 'pause', 'resume', 'stop', 'unschedule', 'reset', 'playground_review', 'delete']) fn;
SELECT pg_temp.try(format('SELECT campaigns.campaign_stats(%L)', :'ec')) AS stats_other;
SELECT pg_temp.try(format('SELECT campaigns.campaign_update(%L, %L)', :'fc6', '{"name": "x"}')) AS update_other,
	   pg_temp.try(format('SELECT campaigns.campaign_forecast(%L, 3)', :'fc6')) AS forecast_other,
	   pg_temp.try(format('SELECT campaigns.campaign_leads(%L)', :'ec')) AS leads_other,
	   pg_temp.try(format('SELECT campaigns.lead_events(%L, %L)', :'ec', :'ev_clid')) AS events_other,
	   pg_temp.try(format('SELECT campaigns.lead_event_record(%L, %L, %L)', :'ec', :'ev_clid', '{"type": "replied"}')) AS record_other;
SELECT campaigns.campaign_list() AS list, campaigns.campaign_count() AS count,
	   (SELECT count(*) FROM campaigns.campaign) AS campaign_rows, (SELECT count(*) FROM campaigns.action) AS action_rows,
	   (SELECT count(*) FROM campaigns.event) AS event_rows, (SELECT count(*) FROM campaigns.campaign_lead) AS lead_rows;
-- Referencing user 1's objects: the same errors as missing ones.
SELECT pg_temp.v('{}') AS with_user1_objects;
SET campaigns.user_id = '00000000-0000-0000-0009-000000000001';
SELECT campaigns.campaign_get(:'fc6') ->> 'status' AS still_active, campaigns.campaign_get(:'ec') ->> 'status' AS still_completed;

RESET campaigns.user_id;
RESET ROLE;

----------------------------------------------------------------------------
-- §8 over http_handle, as the gateway's role: the errors above reach an HTTP
-- client in FastAPI's shape, and nothing else of the database shows.
----------------------------------------------------------------------------
CREATE ROLE spec_gw;
GRANT campaigns_gateway TO spec_gw;
SELECT campaigns.api_key_create('00000000-0000-0000-0009-000000000001', 'spec http') AS hkey \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE user_id = '00000000-0000-0000-0009-000000000001';
CREATE FUNCTION pg_temp.h(m text, p text, b text DEFAULT NULL, ct text DEFAULT 'application/json', q text DEFAULT '')
RETURNS TABLE(status int, body text) LANGUAGE sql AS $$
	SELECT x.status, regexp_replace(regexp_replace(x.body,
			'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
			'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g')
	  FROM campaigns.http_handle(m, p, q, jsonb_build_object('authorization', 'Bearer ' || current_setting('spec.hkey'),
			'content-type', ct), b) x
$$;
GRANT EXECUTE ON FUNCTION pg_temp.h(text, text, text, text, text) TO spec_gw;
SET spec.hkey = :'hkey';
SET ROLE spec_gw;
SELECT * FROM pg_temp.h('POST', format('/api/v1/datasets/%s/leads', :'ds_id'), E'email\n"unterminated\n', 'text/csv');
SELECT * FROM pg_temp.h('POST', '/api/v1/templates/', '{"name": "Bad", "channel": "sms", "body": "Hi {{first name}}"}');
SELECT * FROM pg_temp.h('POST', format('/api/v1/campaigns/%s/leads/%s/events', :'ec', :'ev_clid'), '{"x": 1, "type": "liked"}');
SELECT * FROM pg_temp.h('GET', format('/api/v1/campaigns/%s/forecast', :'fc6'), q => 'days=0');
SELECT * FROM pg_temp.h('POST', format('/api/v1/campaigns/%s/resume', :'done_id'));
SELECT * FROM pg_temp.h('GET', '/api/v1/campaigns/00000000-0000-0000-0009-00000000ffff');
SELECT status, (body::jsonb -> 'detail' -> 0 -> 'loc') AS loc, (body::jsonb -> 'detail' -> 0 ->> 'type') AS type
  FROM pg_temp.h('POST', '/api/v1/campaigns', '{"name": "x", "dataset_id": "00000000-0000-0000-0009-00000000ffff", "steps": [{"step": 1, "variants": [{"label": "A", "weight": 101}]}]}');
RESET ROLE;
DROP OWNED BY spec_gw;
DROP ROLE spec_gw;
DROP OWNED BY spec_app;
DROP ROLE spec_app;
