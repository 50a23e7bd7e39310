-- The one validator (_validate over the models of src/models.c) at the
-- boundaries of what the other suites do not reach: query parameters
-- (parsed from text, checked all at once, defaults filled), normalised
-- output, PATCH models, nested models, list item counts, the JSON Schemas
-- the OpenAPI document is made of, and the field order of responses over
-- HTTP.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- v(model, value): the normalised value, or the errors as loc=type lines.
CREATE FUNCTION pg_temp.v(model text, value jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; det text;
BEGIN
	RETURN 'ok ' || campaigns._validate(model, value)::text;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
	IF st <> '22023' THEN
		RETURN st || ' ' || SQLERRM;
	END IF;
	RETURN st || ' ' || (SELECT string_agg((e->>'loc') || '=' || (e->>'type') || ' ' || (e->>'msg'), ' | ' ORDER BY o)
						   FROM jsonb_array_elements(det::jsonb) WITH ORDINALITY AS x(e, o));
END $$;

-- Query parameters: text parsed as integers (spaces allowed, any length,
-- then bounded), null or absent is the default, unknown ones ignored.
SELECT q, pg_temp.v('PageQuery', q::jsonb) AS result
  FROM (VALUES ('{}'), ('{"offset": "0", "limit": "1"}'), ('{"offset": 0, "limit": 100}'),
			   ('{"offset": "-1", "limit": "0"}'), ('{"limit": "101"}'), ('{"limit": " 7 "}'),
			   ('{"limit": "+7"}'), ('{"limit": "7.0"}'), ('{"limit": 7.5}'), ('{"limit": "1e2"}'),
			   ('{"limit": ""}'), ('{"limit": true}'), ('{"limit": [1]}'), ('{"limit": null, "offset": null}'),
			   ('{"limit": "99999999999999999999999"}'), ('{"offset": "99999999999999999999999"}'),
			   ('{"offset": "9223372036854775807"}'), ('{"other": "x"}')) t(q);
SELECT pg_temp.v('PageQuery', NULL) AS no_filters;
SELECT q, pg_temp.v('CampaignListQuery', q::jsonb) AS result
  FROM (VALUES ('{"status": "paused", "name": "Q%"}'), ('{"status": "nope", "limit": "x", "offset": "-3"}'),
			   ('{"status": ""}'), ('{"name": 5}'), ('{"name": {"a": 1}}')) t(q);
SELECT q, pg_temp.v('CampaignLeadsQuery', q::jsonb) AS result
  FROM (VALUES ('{"status": "stopped"}'), ('{"status": "paused", "limit": "0"}')) t(q);
SELECT q, pg_temp.v('ForecastQuery', q::jsonb) AS result
  FROM (VALUES ('{}'), ('{"days": "1"}'), ('{"days": "90"}'), ('{"days": "0"}'), ('{"days": "91"}'), ('{"days": "x"}')) t(q);

-- A body: NULL is missing, anything but an object is model_attributes_type.
SELECT b, pg_temp.v('AliasCreate', b::jsonb) AS result
  FROM (VALUES (NULL), ('null'), ('[]'), ('"x"'), ('1'), ('{}')) t(b);
-- An unknown model is a bug of the caller, not a validation error.
SELECT pg_temp.v('NoSuchModel', '{}') AS unknown_model;

-- Normalised output: defaults filled, enum and uuid values canonical.
SELECT pg_temp.v('ConnectedAccountCreate', '{"name": "li"}') AS account;
SELECT pg_temp.v('SenderProfileCreate', '{"profile_name": "p"}') AS profile_defaults;
SELECT pg_temp.v('SenderProfileCreate', '{"profile_name": "p", "sender_data": {"custom_prompt": null, "tone": "dry"}}') AS extra_kept;
SELECT pg_temp.v('LeadEventCreate', '{"type": "opened", "occurred_at": "2030-01-02T03:04:05+02:00"}') AS event_utc;
-- A PATCH model: nothing required, no defaults, only what was given.
SELECT pg_temp.v('TemplateUpdate', '{}') AS empty_patch, pg_temp.v('TemplateUpdate', '{"subject": null}') AS cleared,
	   pg_temp.v('SenderProfileUpdate', '{"is_default": true}') AS one_field;
SELECT pg_temp.v('TemplateUpdate', '{"name": null, "channel": null, "body": "", "x": 1}') AS patch_errors;
-- Nested models: the errors where their field is, then unknown keys.
SELECT pg_temp.v('SenderProfileCreate', '{"zz": 1, "sender_data": {"custom_prompt": 5}, "profile_name": "", "is_default": "yes"}') AS nested;
SELECT pg_temp.v('SenderProfileCreate', '{"profile_name": "p", "sender_data": []}') AS not_a_dict,
	   pg_temp.v('SenderProfileCreate', '{"profile_name": "p", "sender_data": null}') AS null_dict;
-- A dataset with leads: every error of the body at once, in model order.
SELECT pg_temp.v('DatasetCreate', '{"x": 1, "name": "", "leads": [{"email": "bad"}, {}, "s"]}') AS dataset;
SELECT pg_temp.v('DatasetCreate', '{"name": "d", "leads": null}') AS null_leads;
-- List item counts at the boundary: 50,000 leads at most.
SELECT left(pg_temp.v('LeadUpload', (SELECT jsonb_agg(jsonb_build_object('email', 'l' || i || '@example.com'))
									  FROM generate_series(1, 50000) i)), 2) AS at_max,
	   pg_temp.v('LeadUpload', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 50001) i)) AS over_max;
SELECT pg_temp.v('LeadUpload', '[]') AS no_leads;
-- Formats shared by every model: one e-mail, time zone, date-time and merge-field rule.
SELECT e, pg_temp.v('AliasCreate', jsonb_build_object('alias_id', 'a', 'full_email', e)) AS result
  FROM (VALUES ('a@b.co'), ('a@b'), ('@b.co'), ('a@.co'), ('a@b.'), ('a b@c.de'), ('a@b@c.de'), ('a@b.c.d')) t(e);
SELECT z, pg_temp.v('LeadCreate', jsonb_build_object('email', 'a@b.co', 'timezone', z)) AS result
  FROM (VALUES ('Europe/Paris'), ('UTC'), ('europe/paris'), ('Mars/Base'), ('')) t(z);
SELECT d, pg_temp.v('LeadEventCreate', jsonb_build_object('type', 'opened', 'occurred_at', d)) AS result
  FROM (VALUES ('2030-01-01T00:00:00Z'), ('2030-01-01T00:00Z'), ('2030-01-01'), ('2030-02-30T00:00:00Z'),
			   ('2030-01-01T00:00:00.1234567Z'), ('2030-01-01 00:00:00-05:30')) t(d);
SELECT t, pg_temp.v('TemplateCreate', jsonb_build_object('name', 'n', 'channel', 'email', 'body', t)) AS result
  FROM (VALUES ('Hi {{first_name|there}}'), ('Hi {{'), ('{{ }}'), ('Hi }} there')) t(t);

-- A PATCH of a campaign reports the merged body's errors and its own field's
-- together, in model order.
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0011-0000000000d1', '00000000-0000-0000-0011-000000000001', 'd');
INSERT INTO campaigns.template (template_id, user_id, name, channel, body) VALUES
	('00000000-0000-0000-0011-0000000000e1', '00000000-0000-0000-0011-000000000001', 't', 'email', 'Hi');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0011-000000000001', 'a1', 'a@example.com');
SET campaigns.user_id = '00000000-0000-0000-0011-000000000001';
SELECT campaigns.campaign_create('{"name": "c", "dataset_id": "00000000-0000-0000-0011-0000000000d1", "alias_ids": ["a1"],
	"steps": [{"step": 1, "variants": [{"label": "A", "template_id": "00000000-0000-0000-0011-0000000000e1"}]}]}') ->> 'campaign_id' AS cid \gset
CREATE FUNCTION pg_temp.patch(p jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text;
BEGIN
	RETURN 'ok ' || coalesce(campaigns.campaign_update(current_setting('t11.cid')::uuid, p) ->> 'playground_discovery_dismissed_at', 'null');
EXCEPTION WHEN invalid_parameter_value THEN
	GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
	RETURN (SELECT string_agg((e->>'loc') || '=' || (e->>'type'), ' ' ORDER BY o)
			  FROM jsonb_array_elements(det::jsonb) WITH ORDINALITY AS x(e, o));
END $$;
SELECT set_config('t11.cid', :'cid', false) IS NOT NULL AS set;
SELECT p, pg_temp.patch(p::jsonb) AS result
  FROM (VALUES ('{"playground_discovery_dismissed_at": "2030-01-02T03:04:05+01:00"}'),
			   ('{"playground_discovery_dismissed_at": null}'),
			   ('{"zz": 1, "playground_discovery_dismissed_at": "soon", "name": "", "daily_limit": 0}'),
			   ('[]'), ('"x"')) t(p);
SELECT campaigns._campaign_validate_update('{}', NULL, campaigns.current_user_id()) AS null_patch;

-- The JSON Schemas of the OpenAPI document, from the same descriptions.
SELECT (s -> 'CampaignCreate' -> 'properties' -> 'name') AS name_schema,
	   (s -> 'CampaignCreate' -> 'properties' -> 'alias_ids') AS alias_ids_schema,
	   (s -> 'CampaignCreate' -> 'properties' -> 'sending_window_end' ->> 'description') AS window_end,
	   (s -> 'CampaignUpdate' -> 'required') IS NULL AS patch_requires_nothing,
	   (s -> 'LeadUpload') AS lead_upload
  FROM (SELECT campaigns._model_schemas()::jsonb AS s) x;
SELECT json_object_keys(campaigns._model_schemas() -> 'CampaignStepConfig' -> 'properties') AS step_fields_in_order;
SELECT campaigns._model_parameters('CampaignListQuery') AS list_parameters;
SELECT campaigns._model_parameters('CampaignCreate');
-- Every route names models that exist.
SELECT r.operation_id, m.model
  FROM campaigns.http_route r, LATERAL (VALUES (r.request_model), (r.response_model)) m(model)
 WHERE m.model IS NOT NULL AND NOT campaigns._model_schemas()::jsonb ? m.model;

-- Over HTTP, responses come in model order (the SQL API keeps jsonb).
SELECT campaigns.api_key_create('00000000-0000-0000-0011-000000000001', 'order') AS key \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE name = 'order';
SELECT regexp_replace(regexp_replace(h.body, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
					  '\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g') AS campaign_over_http
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/' || :'cid', '',
							 jsonb_build_object('Authorization', 'Bearer ' || :'key'), NULL) h;
SELECT regexp_replace(campaigns.campaign_get(:'cid')::text, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g') ~ '^\{"name": "c", "type": "email"' AS sql_api_is_jsonb;
SELECT h.status, h.body
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/', 'limit=0&status=nope', jsonb_build_object('Authorization', 'Bearer ' || :'key'), NULL) h;
SELECT h.status, h.body
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/' || :'cid' || '/forecast', 'days=1e3', jsonb_build_object('Authorization', 'Bearer ' || :'key'), NULL) h;
RESET campaigns.user_id;
