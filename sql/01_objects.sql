-- Datasets and leads (JSON and CSV), templates, sender profiles, aliases,
-- connected accounts, API keys: create/get/list/update/delete, validation
-- errors in FastAPI's shape, and "a rejected call writes nothing".
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- try(sql) runs a statement and shows its SQLSTATE and DETAIL (as jsonb when
-- it parses, which is the contract for 22023).
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; r text;
BEGIN
	EXECUTE sql INTO r;
	RETURN 'ok: ' || coalesce(r, 'null');
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	IF st = '22023' AND det IS NOT NULL AND det <> '' THEN
		RETURN st || ' ' || det::jsonb::text;
	END IF;
	RETURN st || ' ' || msg;
END $$;

SET campaigns.user_id = '00000000-0000-0000-0001-000000000001';

-- Datasets
SELECT pg_temp.try($$SELECT campaigns.dataset_create('{}')$$);
SELECT pg_temp.try($$SELECT campaigns.dataset_create('{"name": ""}')$$);
SELECT pg_temp.try($$SELECT campaigns.dataset_create(jsonb_build_object('name', repeat('x', 256)))$$);
SELECT pg_temp.try($$SELECT campaigns.dataset_create('{"name": 5, "extra": 1}')$$);
SELECT pg_temp.try($$SELECT campaigns.dataset_create('[1]')$$);
SELECT count(*) AS datasets_after_rejections FROM campaigns.dataset WHERE user_id = campaigns.current_user_id();
SELECT campaigns.dataset_create(jsonb_build_object('name', repeat('x', 255))) ->> 'lead_count' AS lead_count;
SELECT campaigns.dataset_create('{"name": "Prospects"}') - '{dataset_id,user_id,created_at,updated_at}'::text[] AS dataset;
SELECT (SELECT dataset_id FROM campaigns.dataset WHERE name = 'Prospects') AS ds \gset

-- Leads: validation of every lead, all errors at once, nothing written.
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, %L)$$, :'ds',
	'[{"email": "a@example.com"}, {"email": "not-an-email"}, {"first_name": "nobody"},
	  {"email": "b@example.com", "timezone": "Mars/Base"}, {"email": "c@example.com", "age": 3},
	  "string", {"email": "d@example.com", "fields": []}]'));
SELECT count(*) AS leads_after_rejection FROM campaigns.lead WHERE user_id = campaigns.current_user_id();
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, %L)$$, :'ds', '{"email": "a@example.com"}'));
-- Duplicates by email (case-insensitive) merge, within a batch and across batches.
SELECT campaigns.dataset_add_leads(:'ds', '[
	{"email": "ann@example.com", "first_name": "Ann", "fields": {"plan": "pro"}},
	{"email": "ANN@example.com", "company": "Acme", "fields": {"seats": 5}},
	{"linkedin_url": "https://www.linkedin.com/in/bob", "first_name": "Bob", "timezone": "Europe/London"},
	{"email": "cy@example.com", "first_name": "Cy", "last_name": "Young", "title": "CTO"}]') - 'dataset_id';
SELECT campaigns.dataset_add_leads(:'ds', '[{"email": "ann@example.com", "last_name": "Lee"}]') - 'dataset_id';
SELECT email, first_name, last_name, company, fields FROM campaigns.lead WHERE dataset_id = :'ds' AND email ILIKE 'ann@%';
SELECT campaigns.dataset_get(:'ds') ->> 'lead_count' AS lead_count;
-- CSV upload: header row, quoted cells, unknown columns into fields, blank lines skipped.
SELECT campaigns.dataset_add_leads_csv(:'ds', E'email,first_name,company,plan\r\n"dee@example.com","Dee","Quote, ""Inc""",gold\r\n\r\nann@example.com,,,platinum\n') - 'dataset_id';
SELECT email, first_name, company, fields FROM campaigns.lead WHERE dataset_id = :'ds' AND email IN ('dee@example.com', 'ann@example.com') ORDER BY email;
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds', E'email,first_name\n"unterminated,x\n'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds', E'email\na@example.com,extra\n'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds', E'email,email\nx@example.com,y@example.com\n'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds', ''));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads_csv(%L, %L)$$, :'ds', E'email,first_name\nbad-email,Zed\n'));
SELECT jsonb_array_length(campaigns.dataset_leads(:'ds')) AS leads,
	   jsonb_array_length(campaigns.dataset_leads(:'ds', '{"offset": 1, "limit": 2}')) AS page;
SELECT pg_temp.try(format($$SELECT campaigns.dataset_leads(%L, '{"limit": 0}')$$, :'ds'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_leads(%L, '{"limit": "101", "offset": "-1"}')$$, :'ds'));
SELECT pg_temp.try($$SELECT campaigns.dataset_add_leads('00000000-0000-0000-0000-000000000000', '[{"email": "a@example.com"}]')$$);
SELECT jsonb_array_length(campaigns.dataset_list()) AS datasets, campaigns.dataset_count() AS counted,
	   campaigns.dataset_list('{"limit": 1}') -> 0 ->> 'name' AS newest;

-- Templates
SELECT pg_temp.try($$SELECT campaigns.template_create('{"name": "t", "channel": "fax", "body": ""}')$$);
SELECT pg_temp.try($$SELECT campaigns.template_create('{"name": "t", "channel": "email", "body": "Hi {{first_name"}')$$);
SELECT pg_temp.try($$SELECT campaigns.template_create('{"channel": "email", "subject": 3}')$$);
SELECT count(*) AS templates_after_rejections FROM campaigns.template WHERE user_id = campaigns.current_user_id();
SELECT campaigns.template_create('{"name": "Intro", "channel": "email", "subject": "Hi {{first_name|there}}", "body": "Hello {{first_name}} at {{company|your team}}"}')
	- '{template_id,user_id,created_at,updated_at}'::text[] AS template;
SELECT (SELECT template_id FROM campaigns.template WHERE name = 'Intro') AS tpl \gset
SELECT campaigns.template_update(:'tpl', '{"name": "Intro v2", "subject": null}') ->> 'name' AS renamed;
SELECT campaigns.template_get(:'tpl') -> 'subject' AS subject;
SELECT pg_temp.try(format($$SELECT campaigns.template_update(%L, '{"body": "{{ }}"}')$$, :'tpl'));
SELECT campaigns.template_count() AS templates, jsonb_array_length(campaigns.template_list()) AS listed;
SELECT pg_temp.try(format($$SELECT campaigns.template_delete(%L)$$, :'tpl'));
SELECT pg_temp.try(format($$SELECT campaigns.template_get(%L)$$, :'tpl'));

-- Sender profiles: at most 5 per user, one default.
SELECT pg_temp.try($$SELECT campaigns.sender_profile_create('{"profile_name": ""}')$$);
SELECT pg_temp.try($$SELECT campaigns.sender_profile_create(jsonb_build_object('profile_name', repeat('p', 101), 'description', repeat('d', 501), 'sender_data', '{"custom_prompt": 1}'::jsonb))$$);
SELECT campaigns.sender_profile_create(jsonb_build_object('profile_name', repeat('p', 100), 'description', repeat('d', 500))) ->> 'is_default' AS is_default;
SELECT campaigns.sender_profile_create(jsonb_build_object('profile_name', 'P' || i, 'is_default', i = 3, 'sender_data', jsonb_build_object('custom_prompt', 'Be brief ' || i))) ->> 'is_default' FROM generate_series(2, 5) i;
SELECT pg_temp.try($$SELECT campaigns.sender_profile_create('{"profile_name": "sixth"}')$$);
SELECT profile_name, is_default FROM campaigns.sender_profile WHERE is_default;
SELECT campaigns.sender_profile_update(sender_profile_id, '{"is_default": true}') ->> 'profile_name' AS new_default
  FROM campaigns.sender_profile WHERE profile_name = 'P5';
SELECT profile_name FROM campaigns.sender_profile WHERE is_default;
SELECT campaigns.sender_profile_count() AS profiles;
SELECT campaigns.sender_profile_delete(sender_profile_id) FROM campaigns.sender_profile WHERE profile_name = 'P2';
SELECT campaigns.sender_profile_create('{"profile_name": "fifth again"}') ->> 'profile_name' AS created;

-- Aliases and connected accounts
SELECT pg_temp.try($$SELECT campaigns.alias_create('{"alias_id": "", "full_email": "nope"}')$$);
SELECT campaigns.alias_create('{"alias_id": "sales-1", "full_email": "sales@example.com"}') - 'created_at' AS alias;
SELECT pg_temp.try($$SELECT campaigns.alias_create('{"alias_id": "sales-1", "full_email": "other@example.com"}')$$);
SELECT jsonb_array_length(campaigns.alias_list()) AS aliases;
SELECT pg_temp.try($$SELECT campaigns.connected_account_create('{"name": "Li", "provider": "twitter"}')$$);
SELECT campaigns.connected_account_create('{"name": "My LinkedIn"}') - '{connected_account_id,created_at}'::text[] AS account;
SELECT jsonb_array_length(campaigns.connected_account_list()) AS accounts;

-- Field limits at their boundaries (max accepted, max+1 rejected).
SELECT campaigns.dataset_create(jsonb_build_object('name', 'limits')) ->> 'dataset_id' AS lim \gset
SELECT campaigns.dataset_add_leads(:'lim', jsonb_build_array(jsonb_build_object(
	'email', 'edge@example.com', 'first_name', repeat('f', 255), 'last_name', repeat('l', 255),
	'company', repeat('c', 255), 'title', repeat('t', 255), 'linkedin_url', repeat('u', 2048)))) ->> 'inserted' AS at_max;
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, %L)$$, :'lim', jsonb_build_array(jsonb_build_object(
	'email', 'edge2@example.com', 'first_name', repeat('f', 256), 'last_name', repeat('l', 256),
	'company', repeat('c', 256), 'title', repeat('t', 256), 'linkedin_url', repeat('u', 2049)))));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, %L)$$, :'lim', '[{"linkedin_url": ""}, {"email": null, "linkedin_url": null}]'));
SELECT pg_temp.try($$SELECT campaigns.template_create(jsonb_build_object('name', repeat('n', 256), 'channel', 'email', 'subject', repeat('s', 999), 'body', 'x'))$$);
SELECT campaigns.template_create(jsonb_build_object('name', repeat('n', 255), 'channel', 'linkedin', 'subject', repeat('s', 998), 'body', 'x')) ->> 'channel' AS template_at_max;
SELECT pg_temp.try($$SELECT campaigns.alias_create(jsonb_build_object('alias_id', repeat('a', 256), 'full_email', 'x@example.com'))$$);
SELECT campaigns.alias_create(jsonb_build_object('alias_id', repeat('a', 255), 'full_email', 'x@example.com')) ->> 'full_email' AS alias_at_max;
SELECT pg_temp.try($$SELECT campaigns.connected_account_create('{"name": ""}')$$);
SELECT pg_temp.try(format($$SELECT campaigns.dataset_leads(%L, '{"offset": "x", "limit": "1.5"}')$$, :'lim'));
SELECT jsonb_array_length(campaigns.dataset_leads(:'lim', '{"limit": 100, "offset": 0}')) AS limit_100,
	   jsonb_array_length(campaigns.dataset_leads(:'lim', '{"limit": "1", "offset": "1"}')) AS past_the_end;

-- Dataset delete
SELECT campaigns.dataset_delete(:'ds');
SELECT count(*) AS leads_left FROM campaigns.lead WHERE user_id = campaigns.current_user_id() AND dataset_id = :'ds';
SELECT pg_temp.try(format($$SELECT campaigns.dataset_delete(%L)$$, :'ds'));

-- API keys: the token's shape, only its hash stored, revocation.
SELECT campaigns.api_key_create('00000000-0000-0000-0001-000000000001', 'ci') AS token \gset
SELECT :'token' ~ '^cmp_live_[A-Za-z0-9_-]{43}$' AS token_shape, length(:'token') AS token_length;
SELECT token_hash = sha256(convert_to(:'token', 'UTF8')) AS hash_stored, token_prefix = left(:'token', 13) AS prefix_stored,
	   NOT EXISTS (SELECT 1 FROM campaigns.api_key k WHERE encode(k.token_hash, 'escape') LIKE '%cmp_live%') AS token_not_stored
  FROM campaigns.api_key;
SELECT campaigns.api_key_revoke(:'token') AS revoked, campaigns.api_key_revoke(:'token') AS revoked_again;
SELECT count(DISTINCT campaigns.api_key_create('00000000-0000-0000-0001-000000000001', 'k' || i)) AS distinct_tokens FROM generate_series(1, 50) i;
SELECT pg_temp.try($$SELECT campaigns.api_key_create(NULL, 'x')$$);
RESET campaigns.user_id;
