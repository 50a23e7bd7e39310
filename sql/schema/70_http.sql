-- HTTP surface (SPEC §8): the whole HTTP contract lives here, so that the
-- gateway (gateway/campaigns-gateway) only moves bytes and pg_regress can
-- test every route, header and status without a socket.
--
--   http_route          one row per (method, path): the router and the OpenAPI
--                       document both read it, so they cannot disagree
--   http_rate_window    per-key, per-minute request counters (unlogged), for
--                       keys the shared-memory counters (src/http_rate.c) cannot hold
--   http_rate_usage     both sets of counters, for operators
--   _http_error         SQLSTATE -> HTTP status and body
--   _http_openapi       the OpenAPI 3.1 document of http_route and the models
--   http_handle         (method, path, query, headers, body) -> (status, headers, body),
--                       in C (src/http_handle.c)
--
-- http_handle is SECURITY DEFINER, owned like everything else by the
-- extension owner: the gateway's role can execute it and nothing else
-- (90_grants.sql).  It names the user from the API key alone (the identity
-- GUCs, transaction-locally), and the API functions it calls filter every
-- query on that user.

CREATE TABLE IF NOT EXISTS @extschema@.http_route (
	operation_id text PRIMARY KEY,
	method		text NOT NULL CHECK (method IN ('GET', 'POST', 'PATCH', 'DELETE')),
	path		text NOT NULL CHECK (path ~ '^/'),
	segs		text[] NOT NULL GENERATED ALWAYS AS (string_to_array(btrim(path, '/'), '/')) STORED,
	-- The path with each {parameter} as {}: what http_handle looks up.
	shape		text NOT NULL GENERATED ALWAYS AS (regexp_replace(btrim(path, '/'), '\{[a-z_]+\}', '{}', 'g')) STORED
		-- http_handle takes path parameters from the 2nd and 4th segments only
		CHECK (shape ~ '^[^/{}]+(/\{\}(/[^/{}]+(/\{\}(/[^/{}]+)*)?)?)?(/[^/{}]+)*$'),
	auth		boolean NOT NULL DEFAULT true,
	body		text CHECK (body IN ('json', 'json_or_csv')),
	query_params jsonb NOT NULL DEFAULT '[]',
	success_status integer NOT NULL,
	response	text NOT NULL CHECK (response IN ('object', 'array', 'none')),
	total_count	boolean NOT NULL DEFAULT false,
	tag			text NOT NULL,
	summary		text NOT NULL,
	-- The models (src/models.c) of the request body and of the response
	-- body (of each item, for an array): the OpenAPI document references
	-- them and http_handle writes responses in their field order.
	request_model text,
	response_model text,
	UNIQUE (method, path),
	UNIQUE (shape, method)
);
COMMENT ON TABLE @extschema@.http_route IS
'The routes of the HTTP surface under /api/v1 ({name} segments are uuid path parameters, and no literal segment is a uuid): http_handle routes by it and _http_openapi documents it; request_model and response_model name models of src/models.c (query_params are made from one by _model_parameters).';

-- The JSON Schemas of the models (src/openapi.c, from the descriptions the
-- validator walks): components.schemas, and the query parameters of a
-- query model as OpenAPI parameter objects (without "in").
CREATE OR REPLACE FUNCTION @extschema@._model_schemas() RETURNS json
LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'model_schemas';
COMMENT ON FUNCTION @extschema@._model_schemas() IS
'The JSON Schema of every request and response model of the API (components.schemas of the OpenAPI document, as json: properties in model order), from the same descriptions the validator checks bodies against.';
CREATE OR REPLACE FUNCTION @extschema@._model_parameters(model text) RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'model_parameters';
COMMENT ON FUNCTION @extschema@._model_parameters(text) IS
'The query parameters of a query model (PageQuery, CampaignListQuery...) as OpenAPI parameter objects without "in".';

INSERT INTO @extschema@.http_route
	(operation_id, method, path, auth, body, query_params, success_status, response, total_count, tag, summary,
	 request_model, response_model)
VALUES
	('openapi', 'GET', '/openapi.json', false, NULL, '[]', 200, 'object', false, 'meta', 'This OpenAPI 3.1 document (no key needed).',
		NULL, NULL),
	('auth_me', 'GET', '/auth/me', true, NULL, '[]', 200, 'object', false, 'meta', 'Who the API key belongs to.',
		NULL, 'AuthMe'),
	('campaign_create', 'POST', '/campaigns/', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Create a campaign (status draft).',
		'CampaignCreate', 'CampaignResponse'),
	('campaign_list', 'GET', '/campaigns/', true, NULL, @extschema@._model_parameters('CampaignListQuery'), 200, 'array', true, 'campaigns', 'List campaigns, newest first.',
		NULL, 'CampaignResponse'),
	('campaign_get', 'GET', '/campaigns/{campaign_id}', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Read a campaign.',
		NULL, 'CampaignResponse'),
	('campaign_update', 'PATCH', '/campaigns/{campaign_id}', true, 'json', '[]', 200, 'object', false, 'campaigns', 'Partly update a campaign (omitted = unchanged, null = cleared).',
		'CampaignUpdate', 'CampaignResponse'),
	('campaign_delete', 'DELETE', '/campaigns/{campaign_id}', true, NULL, '[]', 204, 'none', false, 'campaigns', 'Delete a campaign (draft, paused, completed or failed).',
		NULL, NULL),
	('campaign_launch', 'POST', '/campaigns/{campaign_id}/launch', true, NULL, '[]', 202, 'object', false, 'campaigns', 'Launch a draft campaign.',
		NULL, 'LaunchResponse'),
	('campaign_pause', 'POST', '/campaigns/{campaign_id}/pause', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Pause a campaign.',
		NULL, 'CampaignResponse'),
	('campaign_resume', 'POST', '/campaigns/{campaign_id}/resume', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Resume a paused campaign.',
		NULL, 'CampaignResponse'),
	('campaign_stop', 'POST', '/campaigns/{campaign_id}/stop', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Stop a paused campaign (completed).',
		NULL, 'CampaignResponse'),
	('campaign_unschedule', 'POST', '/campaigns/{campaign_id}/unschedule', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a scheduled campaign to draft.',
		NULL, 'CampaignResponse'),
	('campaign_reset', 'POST', '/campaigns/{campaign_id}/reset', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a failed campaign to draft.',
		NULL, 'CampaignResponse'),
	('campaign_playground_review', 'POST', '/campaigns/{campaign_id}/playground/review', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Record that the AI drafts were reviewed.',
		NULL, 'CampaignResponse'),
	('campaign_stats', 'GET', '/campaigns/{campaign_id}/stats', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Counts by status, step and variant.',
		NULL, 'CampaignStats'),
	('campaign_forecast', 'GET', '/campaigns/{campaign_id}/forecast', true, NULL, @extschema@._model_parameters('ForecastQuery'), 200, 'object', false, 'campaigns', 'Planned sends per local day and the next send time.',
		NULL, 'CampaignForecast'),
	('campaign_leads', 'GET', '/campaigns/{campaign_id}/leads', true, NULL, @extschema@._model_parameters('CampaignLeadsQuery'), 200, 'array', true, 'campaigns', 'Leads enrolled in a campaign.',
		NULL, 'CampaignLeadResponse'),
	('lead_events', 'GET', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, NULL, '[]', 200, 'array', false, 'campaigns', 'A lead''s timeline.',
		NULL, 'LeadEventResponse'),
	('lead_event_record', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Record an event of a lead (replied, bounced, complained, auto_reply...).',
		'LeadEventCreate', 'LeadEventResponse'),
	('campaign_lead_pause', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/pause', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Pause one enrolled lead (it keeps its place).',
		NULL, 'CampaignLeadResponse'),
	('campaign_lead_resume', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/resume', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Resume a paused lead (pacing applies).',
		NULL, 'CampaignLeadResponse'),
	('campaign_lead_remove', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/remove', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Remove one enrolled lead from the campaign for good (stop_reason removed).',
		NULL, 'CampaignLeadResponse'),
	('dataset_create', 'POST', '/datasets/', true, 'json', '[]', 201, 'object', false, 'datasets', 'Create a dataset, optionally with leads.',
		'DatasetCreate', 'DatasetResponse'),
	('dataset_list', 'GET', '/datasets/', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'datasets', 'List datasets, newest first.',
		NULL, 'DatasetResponse'),
	('dataset_get', 'GET', '/datasets/{dataset_id}', true, NULL, '[]', 200, 'object', false, 'datasets', 'Read a dataset.',
		NULL, 'DatasetResponse'),
	('dataset_delete', 'DELETE', '/datasets/{dataset_id}', true, NULL, '[]', 204, 'none', false, 'datasets', 'Delete a dataset and its leads.',
		NULL, NULL),
	('dataset_add_leads', 'POST', '/datasets/{dataset_id}/leads', true, 'json_or_csv', '[]', 200, 'object', false, 'datasets', 'Add leads: a JSON array of lead objects, or text/csv with a header row.',
		'LeadUpload', 'LeadUploadResult'),
	('dataset_leads', 'GET', '/datasets/{dataset_id}/leads', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'datasets', 'A dataset''s leads, oldest first.',
		NULL, 'LeadResponse'),
	('template_create', 'POST', '/templates/', true, 'json', '[]', 201, 'object', false, 'templates', 'Create a template.',
		'TemplateCreate', 'TemplateResponse'),
	('template_list', 'GET', '/templates/', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'templates', 'List templates, newest first.',
		NULL, 'TemplateResponse'),
	('template_get', 'GET', '/templates/{template_id}', true, NULL, '[]', 200, 'object', false, 'templates', 'Read a template.',
		NULL, 'TemplateResponse'),
	('template_update', 'PATCH', '/templates/{template_id}', true, 'json', '[]', 200, 'object', false, 'templates', 'Partly update a template.',
		'TemplateUpdate', 'TemplateResponse'),
	('template_delete', 'DELETE', '/templates/{template_id}', true, NULL, '[]', 204, 'none', false, 'templates', 'Delete a template.',
		NULL, NULL),
	('sender_profile_create', 'POST', '/sender-profiles/', true, 'json', '[]', 201, 'object', false, 'sender-profiles', 'Create a sender profile (at most 5).',
		'SenderProfileCreate', 'SenderProfileResponse'),
	('sender_profile_list', 'GET', '/sender-profiles/', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'sender-profiles', 'List sender profiles.',
		NULL, 'SenderProfileResponse'),
	('sender_profile_get', 'GET', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 200, 'object', false, 'sender-profiles', 'Read a sender profile.',
		NULL, 'SenderProfileResponse'),
	('sender_profile_update', 'PATCH', '/sender-profiles/{sender_profile_id}', true, 'json', '[]', 200, 'object', false, 'sender-profiles', 'Partly update a sender profile.',
		'SenderProfileUpdate', 'SenderProfileResponse'),
	('sender_profile_delete', 'DELETE', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 204, 'none', false, 'sender-profiles', 'Delete a sender profile.',
		NULL, NULL),
	('alias_create', 'POST', '/aliases/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create an email alias (a sending mailbox).',
		'AliasCreate', 'AliasResponse'),
	('alias_list', 'GET', '/aliases/', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'identities', 'List email aliases.',
		NULL, 'AliasResponse'),
	('connected_account_create', 'POST', '/connected-accounts/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create a connected LinkedIn account.',
		'ConnectedAccountCreate', 'ConnectedAccountResponse'),
	('connected_account_list', 'GET', '/connected-accounts/', true, NULL, @extschema@._model_parameters('PageQuery'), 200, 'array', true, 'identities', 'List connected accounts.',
		NULL, 'ConnectedAccountResponse'),
	('delivery_endpoint_create', 'POST', '/delivery-endpoints/', true, 'json', '[]', 201, 'object', false, 'delivery-endpoints', 'Set the delivery endpoint of a channel (one per channel; the auth header is write-only).',
		'DeliveryEndpointCreate', 'DeliveryEndpointResponse'),
	('delivery_endpoint_list', 'GET', '/delivery-endpoints/', true, NULL, @extschema@._model_parameters('DeliveryEndpointListQuery'), 200, 'array', true, 'delivery-endpoints', 'List delivery endpoints by channel.',
		NULL, 'DeliveryEndpointResponse'),
	('delivery_endpoint_get', 'GET', '/delivery-endpoints/{delivery_endpoint_id}', true, NULL, '[]', 200, 'object', false, 'delivery-endpoints', 'Read a delivery endpoint.',
		NULL, 'DeliveryEndpointResponse'),
	('delivery_endpoint_update', 'PATCH', '/delivery-endpoints/{delivery_endpoint_id}', true, 'json', '[]', 200, 'object', false, 'delivery-endpoints', 'Partly update a delivery endpoint (auth_header null removes it).',
		'DeliveryEndpointUpdate', 'DeliveryEndpointResponse'),
	('delivery_endpoint_delete', 'DELETE', '/delivery-endpoints/{delivery_endpoint_id}', true, NULL, '[]', 204, 'none', false, 'delivery-endpoints', 'Delete a delivery endpoint (the channel falls back to the server''s endpoint).',
		NULL, NULL),
	('suppression_create', 'POST', '/suppressions/', true, 'json', '[]', 201, 'object', false, 'suppressions', 'Add an email, domain or LinkedIn URL to the suppression list.',
		'SuppressionCreate', 'SuppressionResponse'),
	('suppression_list', 'GET', '/suppressions/', true, NULL, @extschema@._model_parameters('SuppressionListQuery'), 200, 'array', true, 'suppressions', 'List the suppression list, newest first.',
		NULL, 'SuppressionResponse'),
	('suppression_import', 'POST', '/suppressions/import', true, 'json_or_csv', '[]', 200, 'object', false, 'suppressions', 'Add many entries at once, all or nothing: a JSON array of entries, or text/csv with a header row (kind, value, reason, source).',
		'SuppressionUpload', 'SuppressionImportResult'),
	('suppression_get', 'GET', '/suppressions/{suppression_id}', true, NULL, '[]', 200, 'object', false, 'suppressions', 'Read a suppression entry.',
		NULL, 'SuppressionResponse'),
	('suppression_delete', 'DELETE', '/suppressions/{suppression_id}', true, NULL, '[]', 204, 'none', false, 'suppressions', 'Delete a suppression entry.',
		NULL, NULL)
ON CONFLICT (operation_id) DO UPDATE SET
	method = excluded.method, path = excluded.path, auth = excluded.auth, body = excluded.body,
	query_params = excluded.query_params, success_status = excluded.success_status,
	response = excluded.response, total_count = excluded.total_count, tag = excluded.tag,
	summary = excluded.summary, request_model = excluded.request_model,
	response_model = excluded.response_model;

-- Not tenant data: every user may read every route (RLS on, like every table).
ALTER TABLE @extschema@.http_route ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS everyone ON @extschema@.http_route;
CREATE POLICY everyone ON @extschema@.http_route FOR SELECT USING (true);
GRANT SELECT ON @extschema@.http_route TO campaigns_user;

-- Rate limiting: fixed one-minute windows per API key.  When the library is
-- preloaded, http_handle counts in shared memory (campaigns.http_rate_slots
-- keys at once); otherwise, or for a key that finds no free slot, it counts
-- here.  Each backend counts in its own row (backend = pg_backend_pid()), so
-- concurrent requests on one key never wait on each other's row lock; the
-- count of a window is the sum of its rows.  Unlogged: counters are not
-- worth a WAL flush per GET, and a crash only forgets the current minute.
CREATE UNLOGGED TABLE IF NOT EXISTS @extschema@.http_rate_window (
	api_key_id	uuid NOT NULL,
	window_start timestamptz NOT NULL,
	backend		integer NOT NULL,
	hits		integer NOT NULL,
	PRIMARY KEY (api_key_id, window_start, backend)
);
ALTER TABLE @extschema@.http_rate_window ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE @extschema@.http_rate_window IS
'Requests per API key per minute that the shared counters could not hold, one row per backend (no grants: only http_handle, as the owner of api_key, touches it).';

CREATE OR REPLACE FUNCTION @extschema@._http_rate_shared(OUT api_key_id uuid, OUT window_start timestamptz, OUT hits integer)
RETURNS SETOF record
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'http_rate_shared';
COMMENT ON FUNCTION @extschema@._http_rate_shared() IS
'This database''s request counters in shared memory (none when the library is not preloaded).';
REVOKE EXECUTE ON FUNCTION @extschema@._http_rate_shared() FROM PUBLIC;

-- http_rate_usage() shows every key's counted requests per window, from
-- shared memory and from the table (for operators; superuser only).
CREATE OR REPLACE FUNCTION @extschema@.http_rate_usage(OUT api_key_id uuid, OUT window_start timestamptz,
	OUT hits integer, OUT store text)
RETURNS SETOF record
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.api_key_id, s.window_start, s.hits, 'shared_memory' FROM @extschema@._http_rate_shared() s
	UNION ALL
	SELECT w.api_key_id, w.window_start, sum(w.hits)::integer, 'table' FROM @extschema@.http_rate_window w
	 GROUP BY w.api_key_id, w.window_start
$$;
COMMENT ON FUNCTION @extschema@.http_rate_usage() IS
'Requests counted per API key and one-minute window, and where they are counted (shared_memory or table).';
REVOKE EXECUTE ON FUNCTION @extschema@.http_rate_usage() FROM PUBLIC;

-- The X-Total-Count of the two routes whose list function has no count
-- function of its own: the rows campaign_leads / dataset_leads page through.
CREATE OR REPLACE FUNCTION @extschema@._campaign_leads_count(campaign_id uuid, filters jsonb) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT count(*) FROM @extschema@.campaign_lead cl
	 WHERE cl.campaign_id = $1 AND cl.user_id = @extschema@.current_user_id()
	   AND ($2 ->> 'status' IS NULL OR cl.status = $2 ->> 'status')
$$;
COMMENT ON FUNCTION @extschema@._campaign_leads_count(uuid, jsonb) IS
'How many leads of a campaign (of the current user) campaign_leads pages through.';
CREATE OR REPLACE FUNCTION @extschema@._dataset_leads_count(dataset_id uuid, filters jsonb) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT count(*) FROM @extschema@.lead l
	 WHERE l.dataset_id = $1 AND l.user_id = @extschema@.current_user_id()
$$;
COMMENT ON FUNCTION @extschema@._dataset_leads_count(uuid, jsonb) IS
'How many leads of a dataset (of the current user) dataset_leads pages through.';

-- http_handle caches what api_key says about each token it has seen, per
-- backend.  Any change that matters (a key created, revoked, deleted, its
-- limit or owner changed) fires this trigger, which invalidates every
-- backend's cache when the change commits: a revoked key is refused from
-- the next request on.  (last_used_at, which http_handle itself writes, does
-- not fire it.)
CREATE OR REPLACE FUNCTION @extschema@._api_key_changed() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'api_key_changed';
COMMENT ON FUNCTION @extschema@._api_key_changed() IS
'Statement trigger of api_key: makes every backend''s http_handle key cache stale at commit.';
CREATE OR REPLACE TRIGGER api_key_changed
	AFTER INSERT OR DELETE OR TRUNCATE
	   OR UPDATE OF api_key_id, user_id, name, token_hash, token_prefix, rate_limit_per_minute, revoked_at
	ON @extschema@.api_key
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._api_key_changed();

-- _http_url_decode(s, plus_is_space) undoes percent-encoding (and, in a
-- query string, '+' for space).  A '%' not followed by two hex digits stays
-- as it is; bytes that do not form UTF-8 raise SQLSTATE 22021.  (PL/pgSQL,
-- not SQL: its plans are cached, a SQL function's body is parsed per call.)
CREATE OR REPLACE FUNCTION @extschema@._http_url_decode(s text, plus_is_space boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF plus_is_space THEN
		s := replace(s, '+', ' ');
	END IF;
	IF strpos(s, '%') = 0 THEN
		RETURN s;
	END IF;
	RETURN (SELECT convert_from(string_agg(
				CASE WHEN t.m[1] ~ '^%[0-9A-Fa-f]{2}$' THEN decode(substr(t.m[1], 2), 'hex')
					 ELSE convert_to(t.m[1], 'UTF8') END, ''::bytea ORDER BY t.o), 'UTF8')
			  FROM regexp_matches(s, '%[0-9A-Fa-f]{2}|[^%]+|%', 'g') WITH ORDINALITY AS t(m, o));
END
$$;
COMMENT ON FUNCTION @extschema@._http_url_decode(text, boolean) IS
'Percent-decodes a path segment or (plus_is_space) a query-string component.';

-- _http_query(query) parses a query string into an object of strings; a
-- parameter given twice keeps its last value, one without "=" is "".
CREATE OR REPLACE FUNCTION @extschema@._http_query(query text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kv text;
	r jsonb := '{}';
BEGIN
	IF left(query, 1) = '?' THEN
		query := substr(query, 2);
	END IF;
	IF query IS NULL OR query = '' THEN
		RETURN r;
	END IF;
	FOREACH kv IN ARRAY string_to_array(query, '&') LOOP
		CONTINUE WHEN kv = '';
		IF strpos(kv, '=') = 0 THEN
			r := r || jsonb_build_object(@extschema@._http_url_decode(kv, true), '');
		ELSE
			r := r || jsonb_build_object(@extschema@._http_url_decode(split_part(kv, '=', 1), true),
										 @extschema@._http_url_decode(substr(kv, strpos(kv, '=') + 1), true));
		END IF;
	END LOOP;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@._http_query(text) IS
'Parses a URL query string (without "?") into a JSON object of decoded strings.';

-- _http_error(sqlstate, message, detail, context) maps an error of the SQL
-- API to an HTTP status and body.  Only the messages the API raises on
-- purpose (404, 409, 413 and validation) reach the client; anything else is
-- a bare 500.  A 22023 without a JSON array detail shows its message only
-- when a RAISE wrote it (context "... at RAISE"): PostgreSQL's own 22023
-- messages (jsonb operators on the wrong type...) are internal text.
CREATE OR REPLACE FUNCTION @extschema@._http_error(sqlstate text, message text, detail text, context text DEFAULT NULL,
	OUT status integer, OUT body jsonb)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d jsonb;
BEGIN
	IF sqlstate = '22023' THEN
		status := 422;
		BEGIN
			d := detail::jsonb;
		EXCEPTION WHEN others THEN
			d := NULL;
		END;
		IF d IS NULL OR jsonb_typeof(d) <> 'array' OR jsonb_array_length(d) = 0 THEN
			d := jsonb_build_array(jsonb_build_object('loc', '["body"]'::jsonb,
				'msg', CASE WHEN split_part(context, E'\n', 1) LIKE '% at RAISE' THEN coalesce(nullif(message, ''), 'Invalid value')
							ELSE 'Invalid value' END,
				'type', 'value_error'));
		END IF;
		body := jsonb_build_object('detail', d);
	ELSIF sqlstate = 'P0002' THEN
		status := 404;
		body := jsonb_build_object('detail', 'NOT_FOUND', 'message', coalesce(nullif(message, ''), 'not found'));
	ELSIF sqlstate = '55000' THEN
		status := 409;
		body := jsonb_build_object('detail', 'CONFLICT', 'message', coalesce(nullif(message, ''), 'conflict'));
	ELSIF sqlstate = '23505' THEN
		status := 409;
		body := jsonb_build_object('detail', 'CONFLICT', 'message', 'an object with this key already exists');
	ELSIF sqlstate = '28000' THEN
		status := 401;
		body := jsonb_build_object('detail', 'UNAUTHORIZED', 'message', 'missing or invalid API key');
	ELSIF sqlstate = '54000' THEN
		status := 413;
		body := jsonb_build_object('detail', 'PAYLOAD_TOO_LARGE', 'message', coalesce(nullif(message, ''), 'request too large'));
	ELSIF sqlstate IN ('40001', '40P01', '55P03', '57014', '53300') THEN
		-- Serialization failure, deadlock, lock or statement timeout, too
		-- many connections: worth retrying.
		status := 503;
		body := jsonb_build_object('detail', 'SERVICE_UNAVAILABLE', 'message', 'try again');
	ELSIF sqlstate LIKE '22%' OR sqlstate IN ('23502', '23503', '23514') THEN
		-- Data the API did not validate itself: say which kind, not the text.
		status := 422;
		body := jsonb_build_object('detail', jsonb_build_array(jsonb_build_object(
			'loc', '["body"]'::jsonb, 'msg', 'Invalid value', 'type', 'value_error')));
	ELSE
		status := 500;
		body := jsonb_build_object('detail', 'INTERNAL_ERROR', 'message', 'internal error');
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._http_error(text, text, text, text) IS
'Maps an SQLSTATE (and the API''s message and detail) to an HTTP status and body; never returns internal text for a 500.';

-- _http_openapi() builds the OpenAPI 3.1 document: the paths of http_route,
-- each request and response body a reference to the JSON Schema of its
-- model (_model_schemas, generated from the descriptions the validator
-- walks), the X-RateLimit-* headers on every response of an authenticated
-- route (when the key has a limit).  It is json, not jsonb, so that keys
-- stay in the order written: properties in model order, as a reader of the
-- interactive documentation expects them.
CREATE OR REPLACE FUNCTION @extschema@._http_openapi() RETURNS json
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH route AS (
		SELECT r.*, row_number() OVER (ORDER BY
				array_position(ARRAY['meta', 'campaigns', 'datasets', 'templates', 'sender-profiles', 'identities',
									 'delivery-endpoints'], r.tag),
				r.tag, r.path, array_position(ARRAY['GET', 'POST', 'PATCH', 'DELETE'], r.method)) AS n
		  FROM @extschema@.http_route r
	), op AS (
		SELECT r.path, r.n, lower(r.method) AS m, json_strip_nulls(json_build_object(
			'operationId', r.operation_id,
			'summary', r.summary,
			'tags', json_build_array(r.tag),
			'security', CASE WHEN NOT r.auth THEN '[]'::json END,
			'parameters', (SELECT coalesce(json_agg(p ORDER BY o), '[]') FROM (
				SELECT json_build_object('name', btrim(s, '{}'), 'in', 'path', 'required', true,
										 'schema', json_build_object('type', 'string', 'format', 'uuid')) AS p, o
				  FROM unnest(r.segs) WITH ORDINALITY AS u(s, o) WHERE s LIKE '{%}'
				UNION ALL
				SELECT json_build_object('name', q ->> 'name', 'in', 'query', 'required', false,
										 'schema', q -> 'schema', 'description', q ->> 'description'), 100 + o
				  FROM jsonb_array_elements(r.query_params) WITH ORDINALITY AS e(q, o)) ps),
			'requestBody', CASE WHEN r.body IS NOT NULL THEN json_build_object('required', true, 'content',
				json_build_object('application/json', json_build_object('schema',
						json_build_object('$ref', '#/components/schemas/' || r.request_model)),
					'text/csv', CASE WHEN r.body = 'json_or_csv' THEN json_build_object('schema', json_build_object(
						'type', 'string', 'description', CASE WHEN r.operation_id = 'suppression_import'
							THEN 'A header row naming kind, value and optionally reason and source, then one entry per row; empty cells are left out.'
							ELSE 'A header row, then one lead per row: columns email, linkedin_url, first_name, last_name, company, title and timezone are lead fields, any other goes into fields; empty cells are left out.' END)) END)) END,
			'responses', (SELECT json_object_agg(code, resp ORDER BY code) FROM (
				SELECT r.success_status::text AS code, json_build_object(
					'description', CASE r.success_status WHEN 201 THEN 'Created' WHEN 202 THEN 'Accepted'
														  WHEN 204 THEN 'No Content' ELSE 'OK' END,
					'headers', CASE WHEN r.auth OR r.total_count THEN json_build_object(
						'X-RateLimit-Limit', CASE WHEN r.auth THEN json_build_object('$ref', '#/components/headers/X-RateLimit-Limit') END,
						'X-RateLimit-Remaining', CASE WHEN r.auth THEN json_build_object('$ref', '#/components/headers/X-RateLimit-Remaining') END,
						'X-RateLimit-Reset', CASE WHEN r.auth THEN json_build_object('$ref', '#/components/headers/X-RateLimit-Reset') END,
						'X-Total-Count', CASE WHEN r.total_count THEN json_build_object(
							'description', 'Rows matching the filters, ignoring offset and limit.', 'schema', json_build_object('type', 'integer')) END) END,
					'content', CASE WHEN r.response <> 'none' THEN json_build_object('application/json', json_build_object('schema', CASE
						WHEN r.response_model IS NULL THEN json_build_object('type', 'object')
						WHEN r.response = 'array' THEN json_build_object('type', 'array', 'items',
							json_build_object('$ref', '#/components/schemas/' || r.response_model))
						ELSE json_build_object('$ref', '#/components/schemas/' || r.response_model) END)) END) AS resp
				UNION ALL
				SELECT e.code, json_build_object('$ref', '#/components/responses/' || e.name)
				  FROM (VALUES ('401', 'Unauthorized', r.auth),
							   ('404', 'NotFound', r.path LIKE '%{%'),
							   ('409', 'Conflict', r.method IN ('PATCH', 'DELETE') OR r.path ~ '/(launch|pause|resume|stop|unschedule|reset|remove)$'
												   OR r.operation_id = 'suppression_create'),
							   ('413', 'PayloadTooLarge', r.body IS NOT NULL),
							   ('415', 'UnsupportedMediaType', r.body IS NOT NULL),
							   ('422', 'ValidationError', r.body IS NOT NULL OR r.query_params <> '[]'),
							   ('429', 'RateLimited', r.auth)) AS e(code, name, applies)
				 WHERE e.applies) x)
		)) AS o
		  FROM route r
	), rate AS (
		SELECT json_build_object(
			'X-RateLimit-Limit', json_build_object('$ref', '#/components/headers/X-RateLimit-Limit'),
			'X-RateLimit-Remaining', json_build_object('$ref', '#/components/headers/X-RateLimit-Remaining'),
			'X-RateLimit-Reset', json_build_object('$ref', '#/components/headers/X-RateLimit-Reset')) AS h
	), error_response AS (
		-- what each error response of an authenticated route is
		SELECT e.n, e.name, json_strip_nulls(json_build_object('description', e.description,
					'headers', e.headers,
					'content', json_build_object('application/json', json_build_object('schema',
						json_build_object('$ref', '#/components/schemas/' || e.schema))))) AS r
		  FROM rate, LATERAL (VALUES
			(1, 'Unauthorized', 'Missing, malformed, unknown or revoked API key.', 'Error',
			 json_build_object('WWW-Authenticate', json_build_object('description',
				'Bearer (with error="invalid_token" for a key that is not valid).', 'schema', json_build_object('type', 'string')))),
			(2, 'NotFound', 'No such object (or another user''s).', 'Error', rate.h),
			(3, 'Conflict', 'The change is refused in the object''s current status.', 'Error', rate.h),
			(4, 'PayloadTooLarge', 'The body exceeds the size limit (the http_max_body_bytes setting), checked before the key.', 'Error', NULL),
			(5, 'UnsupportedMediaType', 'The body is not JSON (or CSV where allowed).', 'Error', rate.h),
			(6, 'ValidationError', 'Validation error: every error of the body or the query parameters at once.', 'HTTPValidationError', rate.h),
			(7, 'RateLimited', 'Too many requests for this key in the current minute.', 'Error',
			 json_build_object('Retry-After', json_build_object('$ref', '#/components/headers/Retry-After'),
							   'X-RateLimit-Limit', json_build_object('$ref', '#/components/headers/X-RateLimit-Limit'),
							   'X-RateLimit-Remaining', json_build_object('$ref', '#/components/headers/X-RateLimit-Remaining'),
							   'X-RateLimit-Reset', json_build_object('$ref', '#/components/headers/X-RateLimit-Reset')))
		  ) AS e(n, name, description, schema, headers)
	)
	SELECT json_build_object(
		'openapi', '3.1.0',
		'info', json_build_object('title', 'campaigns', 'version',
			(SELECT e.extversion FROM pg_extension e WHERE e.extname = 'campaigns'),
			'description', 'Multi-step outreach campaigns (email and LinkedIn sequences), served from PostgreSQL.  Every schema here is generated from the descriptions the server validates bodies against.',
			'license', json_build_object('name', 'PostgreSQL License', 'identifier', 'PostgreSQL')),
		'servers', json_build_array(json_build_object('url', '/',
			'description', 'The server that serves this document; every path starts with /api/v1.')),
		'security', '[{"bearerAuth": []}]'::json,
		'tags', '[{"name": "meta", "description": "This document and the API key."},
				  {"name": "campaigns", "description": "Campaigns, their launch, status, stats, forecast, enrolled leads and events."},
				  {"name": "datasets", "description": "Datasets of leads (JSON or CSV uploads)."},
				  {"name": "templates", "description": "Message templates with merge fields."},
				  {"name": "sender-profiles", "description": "Sender profiles (at most 5 per user)."},
				  {"name": "identities", "description": "Sending identities: email aliases and connected LinkedIn accounts."},
				  {"name": "delivery-endpoints", "description": "Where the worker delivers the actions of each channel, and the header that authenticates them (write-only)."}]'::json,
		'paths', (SELECT json_object_agg('/api/v1' || path, ops ORDER BY n) FROM (
					SELECT path, min(n) AS n, json_object_agg(m, o ORDER BY n) AS ops FROM op GROUP BY path) g),
		'components', json_build_object(
			'securitySchemes', '{"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key: cmp_live_..."}}'::json,
			'schemas', @extschema@._model_schemas(),
			'headers', '{
				"X-RateLimit-Limit": {"description": "Requests allowed per minute for this key (sent when the key has a limit).", "schema": {"type": "integer"}},
				"X-RateLimit-Remaining": {"description": "Requests left in the current minute (sent when the key has a limit).", "schema": {"type": "integer"}},
				"X-RateLimit-Reset": {"description": "Seconds until the current minute ends (sent when the key has a limit).", "schema": {"type": "integer"}},
				"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}'::json,
			'responses', (SELECT json_object_agg(name, r ORDER BY n) FROM error_response)))
$$;
COMMENT ON FUNCTION @extschema@._http_openapi() IS 'The OpenAPI 3.1 document of the HTTP surface (json, keys in the order written): the paths of http_route, the schemas of the models the server validates against.';

-- _http_json_error_pos(body, context, detail) guesses the character offset of
-- a JSON syntax error from the CONTEXT line PostgreSQL reports ("JSON data,
-- line N: <text up to the bad token>"), for FastAPI's ["body", pos] loc.
CREATE OR REPLACE FUNCTION @extschema@._http_json_error_pos(body text, context text, detail text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m text[];
	line integer;
	frag text;
	tok text;
	line_start integer := 0;
	i integer;
	pos integer;
BEGIN
	IF detail LIKE 'The input string ended unexpectedly%' THEN
		RETURN char_length(body);
	END IF;
	m := regexp_match(context, 'JSON data, line ([0-9]+): ([^\n]*)');
	IF m IS NULL THEN
		RETURN 0;
	END IF;
	line := m[1]::integer;
	frag := m[2];
	IF frag LIKE '...%' THEN
		frag := substr(frag, 4);
	END IF;
	IF frag LIKE '%...' THEN
		frag := left(frag, -3);
	END IF;
	FOR i IN 2..line LOOP
		line_start := strpos(substr(body, line_start + 1), E'\n') + line_start;
	END LOOP;
	-- 'Token "x" is invalid.', 'Expected ..., but found "x".'
	tok := (regexp_match(detail, '"(.*)"( is invalid)?\.$', 's'))[1];
	-- The fragment ends where the bad token ends, within its line.
	pos := strpos(substr(body, line_start + 1), frag);
	IF pos = 0 THEN
		RETURN 0;
	END IF;
	pos := line_start + pos - 1 + char_length(frag) - coalesce(char_length(tok), 0);
	RETURN greatest(pos, 0);
END
$$;
COMMENT ON FUNCTION @extschema@._http_json_error_pos(text, text, text) IS
'The character offset of a JSON syntax error, from PostgreSQL''s error context (best effort, 0 when unknown).';

-- http_handle is the whole HTTP surface: the gateway passes each request
-- here and writes back what it returns (src/http_handle.c).  Every error of
-- the API becomes a status and a JSON body; the routing and authentication
-- before it raise nothing a request can cause (the gateway answers 500 for
-- an error that escapes anyway).  Only a key names the user: the identity
-- GUCs are set from it, transaction-locally, before any API function runs.
CREATE OR REPLACE FUNCTION @extschema@.http_handle(method text, path text, query text, req_headers jsonb, req_body text,
	OUT status integer, OUT headers jsonb, OUT body text)
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'http_handle';
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) IS
'The HTTP surface of SPEC §8: routes a request (method, raw path, raw query string, headers, body) and returns its status, headers and body; authenticates Bearer API keys, applies rate limits and maps every error.';
REVOKE EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) TO campaigns_gateway;
