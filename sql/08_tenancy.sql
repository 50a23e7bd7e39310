-- Tenancy as a non-superuser role (superusers bypass RLS): user B can never
-- read, change, delete or reference user A's rows, over the SQL API or the
-- tables directly (which it may read under RLS, and not write); A's objects
-- look exactly like missing ones.  sql/80_privileges.sql and
-- 81_references.sql check the same for every table and API function.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS tenant_app;
RESET client_min_messages;
CREATE ROLE tenant_app;
GRANT campaigns_user TO tenant_app;

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
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO tenant_app;

SET ROLE tenant_app;
SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user;

-- User A builds a campaign.
SET campaigns.user_id = '00000000-0000-0000-0008-00000000000a';
SELECT campaigns.dataset_create('{"name": "A data"}') ->> 'dataset_id' AS a_ds \gset
SELECT campaigns.dataset_add_leads(:'a_ds', '[{"email": "secret@a.example"}]') ->> 'inserted' AS a_leads;
SELECT campaigns.template_create('{"name": "A tpl", "channel": "email", "body": "x"}') ->> 'template_id' AS a_tpl \gset
SELECT campaigns.template_create('{"name": "A li", "channel": "linkedin", "body": "x"}') ->> 'template_id' AS a_li \gset
SELECT campaigns.sender_profile_create('{"profile_name": "A prof"}') ->> 'sender_profile_id' AS a_sp \gset
SELECT campaigns.alias_create('{"alias_id": "shared-name", "full_email": "a@a.example"}') ->> 'alias_id' AS a_alias;
SELECT campaigns.connected_account_create('{"name": "A li"}') ->> 'connected_account_id' AS a_acct \gset
SELECT campaigns.campaign_create(jsonb_build_object('name', 'A campaign', 'dataset_id', :'a_ds',
	'alias_ids', '["shared-name"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'a_tpl')))))) ->> 'campaign_id' AS a_c \gset

-- User B sees none of it.
SET campaigns.user_id = '00000000-0000-0000-0008-00000000000b';
SELECT campaigns.campaign_list() AS campaigns, campaigns.campaign_count() AS campaign_count,
	   campaigns.dataset_list() AS datasets, campaigns.template_list() AS templates,
	   campaigns.sender_profile_list() AS profiles, campaigns.alias_list() AS aliases,
	   campaigns.connected_account_list() AS accounts;
SELECT (SELECT count(*) FROM campaigns.campaign) AS campaign_rows, (SELECT count(*) FROM campaigns.dataset) AS dataset_rows,
	   (SELECT count(*) FROM campaigns.lead) AS lead_rows, (SELECT count(*) FROM campaigns.template) AS template_rows,
	   (SELECT count(*) FROM campaigns.sender_profile) AS profile_rows, (SELECT count(*) FROM campaigns.email_alias) AS alias_rows,
	   (SELECT count(*) FROM campaigns.connected_account) AS account_rows;
-- API keys are not readable at all, not even one's own.
SELECT count(*) FROM campaigns.api_key;
-- Reading, changing and deleting A's objects: exactly "not found".
SELECT pg_temp.try(format($$SELECT campaigns.campaign_get(%L)$$, :'a_c'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_update(%L, '{"name": "pwned"}')$$, :'a_c'));
SELECT pg_temp.try(format($$SELECT campaigns.campaign_delete(%L)$$, :'a_c'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_get(%L)$$, :'a_ds'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_leads(%L)$$, :'a_ds'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_add_leads(%L, '[{"email": "x@b.example"}]')$$, :'a_ds'));
SELECT pg_temp.try(format($$SELECT campaigns.dataset_delete(%L)$$, :'a_ds'));
SELECT pg_temp.try(format($$SELECT campaigns.template_get(%L)$$, :'a_tpl'));
SELECT pg_temp.try(format($$SELECT campaigns.template_update(%L, '{"name": "pwned"}')$$, :'a_tpl'));
SELECT pg_temp.try(format($$SELECT campaigns.template_delete(%L)$$, :'a_tpl'));
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_get(%L)$$, :'a_sp'));
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_update(%L, '{"profile_name": "pwned"}')$$, :'a_sp'));
SELECT pg_temp.try(format($$SELECT campaigns.sender_profile_delete(%L)$$, :'a_sp'));
-- The same alias_id is free for B (a taken name would leak A's).
SELECT campaigns.alias_create('{"alias_id": "shared-name", "full_email": "b@b.example"}') ->> 'full_email' AS b_alias;
-- Referencing A's objects in a campaign: rejected like missing ones.
SELECT campaigns.dataset_create('{"name": "B data"}') ->> 'dataset_id' AS b_ds \gset
SELECT pg_temp.try(format($$SELECT campaigns.campaign_create(%L)$$, jsonb_build_object('name', 'B', 'dataset_id', :'a_ds',
	'type', 'mixed', 'alias_ids', '["shared-name"]'::jsonb, 'connected_account_id', :'a_acct',
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'channel', 'email', 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'a_tpl', 'sender_profile_id', :'a_sp'))),
		jsonb_build_object('step', 2, 'channel', 'linkedin', 'action_type', 'connection_request', 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'a_li')))))));
-- Direct table access: no writes at all (the API is the only write path).
UPDATE campaigns.campaign SET name = 'pwned' WHERE campaign_id = :'a_c';
DELETE FROM campaigns.template WHERE template_id = :'a_tpl';
INSERT INTO campaigns.dataset (user_id, name) VALUES ('00000000-0000-0000-0008-00000000000a', 'planted');
-- B cannot mint keys, nor call worker functions.
SELECT pg_temp.try($$SELECT campaigns.api_key_create('00000000-0000-0000-0008-00000000000b', 'mine')$$);

-- A's rows are untouched.
SET campaigns.user_id = '00000000-0000-0000-0008-00000000000a';
SELECT campaigns.campaign_get(:'a_c') ->> 'name' AS a_name, campaigns.template_get(:'a_tpl') ->> 'name' AS a_tpl_name,
	   campaigns.sender_profile_get(:'a_sp') ->> 'profile_name' AS a_profile,
	   jsonb_path_query_array(campaigns.alias_list(), '$[*].full_email') AS a_aliases,
	   campaigns.dataset_get(:'a_ds') ->> 'lead_count' AS a_lead_count, campaigns.dataset_count() AS a_datasets;
RESET campaigns.user_id;
RESET ROLE;
DROP OWNED BY tenant_app;
DROP ROLE tenant_app;
