-- HTTP surface (SPEC §8): the whole HTTP contract lives here, so that the
-- gateway (gateway/campaigns-gateway) only moves bytes and pg_regress can
-- test every route, header and status without a socket.
--
--   http_route          one row per (method, path): the router and the OpenAPI
--                       document both read it, so they cannot disagree
--   http_rate_window    per-key, per-minute request counters (unlogged)
--   _http_authenticate  SECURITY DEFINER: token -> user, and counts the hit
--   _http_error         SQLSTATE -> HTTP status and body
--   _http_openapi       the OpenAPI 3 document of http_route
--   http_handle         (method, path, query, headers, body) -> (status, headers, body)
--
-- http_handle is SECURITY DEFINER owned by campaigns_user (not a superuser),
-- so the API functions it calls run under row-level security as that role,
-- for the user the API key belongs to and for no other.

CREATE TABLE @extschema@.http_route (
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
	UNIQUE (method, path),
	UNIQUE (shape, method)
);
COMMENT ON TABLE @extschema@.http_route IS
'The routes of the HTTP surface under /api/v1 ({name} segments are uuid path parameters, and no literal segment is a uuid): http_handle routes by it and _http_openapi documents it.';

-- Query parameters, as OpenAPI parameter objects (without "in").
CREATE FUNCTION @extschema@._http_page_params() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT '[{"name": "offset", "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "Rows to skip."},
			 {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, "description": "Rows to return."}]'::jsonb
$$;
COMMENT ON FUNCTION @extschema@._http_page_params() IS 'The offset and limit query parameters of every paged list.';

INSERT INTO @extschema@.http_route
	(operation_id, method, path, auth, body, query_params, success_status, response, total_count, tag, summary)
VALUES
	('openapi', 'GET', '/openapi.json', false, NULL, '[]', 200, 'object', false, 'meta', 'This OpenAPI 3 document (no key needed).'),
	('auth_me', 'GET', '/auth/me', true, NULL, '[]', 200, 'object', false, 'meta', 'Who the API key belongs to.'),
	('campaign_create', 'POST', '/campaigns/', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Create a campaign (status draft).'),
	('campaign_list', 'GET', '/campaigns/', true, NULL,
		@extschema@._http_page_params() || '[{"name": "status", "schema": {"type": "string", "enum": ["draft", "launching", "scheduled", "active", "draining", "paused", "completed", "failed"]}, "description": "Only campaigns in this status."},
											 {"name": "name", "schema": {"type": "string"}, "description": "Case-insensitive substring of the name."}]',
		200, 'array', true, 'campaigns', 'List campaigns, newest first.'),
	('campaign_get', 'GET', '/campaigns/{campaign_id}', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Read a campaign.'),
	('campaign_update', 'PATCH', '/campaigns/{campaign_id}', true, 'json', '[]', 200, 'object', false, 'campaigns', 'Partly update a campaign (omitted = unchanged, null = cleared).'),
	('campaign_delete', 'DELETE', '/campaigns/{campaign_id}', true, NULL, '[]', 204, 'none', false, 'campaigns', 'Delete a campaign (draft, paused, completed or failed).'),
	('campaign_launch', 'POST', '/campaigns/{campaign_id}/launch', true, NULL, '[]', 202, 'object', false, 'campaigns', 'Launch a draft campaign.'),
	('campaign_pause', 'POST', '/campaigns/{campaign_id}/pause', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Pause a campaign.'),
	('campaign_resume', 'POST', '/campaigns/{campaign_id}/resume', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Resume a paused campaign.'),
	('campaign_stop', 'POST', '/campaigns/{campaign_id}/stop', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Stop a paused campaign (completed).'),
	('campaign_unschedule', 'POST', '/campaigns/{campaign_id}/unschedule', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a scheduled campaign to draft.'),
	('campaign_reset', 'POST', '/campaigns/{campaign_id}/reset', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a failed campaign to draft.'),
	('campaign_playground_review', 'POST', '/campaigns/{campaign_id}/playground/review', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Record that the AI drafts were reviewed.'),
	('campaign_stats', 'GET', '/campaigns/{campaign_id}/stats', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Counts by status, step and variant.'),
	('campaign_forecast', 'GET', '/campaigns/{campaign_id}/forecast', true, NULL,
		'[{"name": "days", "schema": {"type": "integer", "minimum": 1, "maximum": 90, "default": 14}, "description": "Days to plan."}]',
		200, 'object', false, 'campaigns', 'Planned sends per local day and the next send time.'),
	('campaign_leads', 'GET', '/campaigns/{campaign_id}/leads', true, NULL,
		@extschema@._http_page_params() || '[{"name": "status", "schema": {"type": "string", "enum": ["pending", "active", "completed", "stopped", "failed"]}, "description": "Only leads in this status."}]',
		200, 'array', true, 'campaigns', 'Leads enrolled in a campaign.'),
	('lead_events', 'GET', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, NULL, '[]', 200, 'array', false, 'campaigns', 'A lead''s timeline.'),
	('lead_event_record', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Record an event of a lead (replied, bounced...).'),
	('dataset_create', 'POST', '/datasets/', true, 'json', '[]', 201, 'object', false, 'datasets', 'Create a dataset, optionally with leads.'),
	('dataset_list', 'GET', '/datasets/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'datasets', 'List datasets, newest first.'),
	('dataset_get', 'GET', '/datasets/{dataset_id}', true, NULL, '[]', 200, 'object', false, 'datasets', 'Read a dataset.'),
	('dataset_delete', 'DELETE', '/datasets/{dataset_id}', true, NULL, '[]', 204, 'none', false, 'datasets', 'Delete a dataset and its leads.'),
	('dataset_add_leads', 'POST', '/datasets/{dataset_id}/leads', true, 'json_or_csv', '[]', 200, 'object', false, 'datasets', 'Add leads: a JSON array of lead objects, or text/csv with a header row.'),
	('dataset_leads', 'GET', '/datasets/{dataset_id}/leads', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'datasets', 'A dataset''s leads, oldest first.'),
	('template_create', 'POST', '/templates/', true, 'json', '[]', 201, 'object', false, 'templates', 'Create a template.'),
	('template_list', 'GET', '/templates/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'templates', 'List templates, newest first.'),
	('template_get', 'GET', '/templates/{template_id}', true, NULL, '[]', 200, 'object', false, 'templates', 'Read a template.'),
	('template_update', 'PATCH', '/templates/{template_id}', true, 'json', '[]', 200, 'object', false, 'templates', 'Partly update a template.'),
	('template_delete', 'DELETE', '/templates/{template_id}', true, NULL, '[]', 204, 'none', false, 'templates', 'Delete a template.'),
	('sender_profile_create', 'POST', '/sender-profiles/', true, 'json', '[]', 201, 'object', false, 'sender-profiles', 'Create a sender profile (at most 5).'),
	('sender_profile_list', 'GET', '/sender-profiles/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'sender-profiles', 'List sender profiles.'),
	('sender_profile_get', 'GET', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 200, 'object', false, 'sender-profiles', 'Read a sender profile.'),
	('sender_profile_update', 'PATCH', '/sender-profiles/{sender_profile_id}', true, 'json', '[]', 200, 'object', false, 'sender-profiles', 'Partly update a sender profile.'),
	('sender_profile_delete', 'DELETE', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 204, 'none', false, 'sender-profiles', 'Delete a sender profile.'),
	('alias_create', 'POST', '/aliases/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create an email alias (a sending mailbox).'),
	('alias_list', 'GET', '/aliases/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'identities', 'List email aliases.'),
	('connected_account_create', 'POST', '/connected-accounts/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create a connected LinkedIn account.'),
	('connected_account_list', 'GET', '/connected-accounts/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'identities', 'List connected accounts.');

-- Not tenant data: every user may read every route (RLS on, like every table).
ALTER TABLE @extschema@.http_route ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON @extschema@.http_route FOR SELECT USING (true);
GRANT SELECT ON @extschema@.http_route TO campaigns_user;

-- Rate limiting: fixed one-minute windows per API key.  Each backend counts
-- in its own row (backend = pg_backend_pid()), so concurrent requests on one
-- key never wait on each other's row lock; the count of a window is the sum
-- of its rows.  Unlogged: counters are not worth a WAL flush per GET, and a
-- crash only forgets the current minute.
CREATE UNLOGGED TABLE @extschema@.http_rate_window (
	api_key_id	uuid NOT NULL,
	window_start timestamptz NOT NULL,
	backend		integer NOT NULL,
	hits		integer NOT NULL,
	PRIMARY KEY (api_key_id, window_start, backend)
);
ALTER TABLE @extschema@.http_rate_window ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE @extschema@.http_rate_window IS
'Requests per API key per minute, one row per backend (no grants: only _http_authenticate touches it).';

-- _http_authenticate(token) is the one place that reads api_key across
-- users: it finds the live key whose SHA-256 matches, counts the request in
-- the key's current window and returns who the key belongs to, or a row of
-- nulls for an unknown or revoked key.  It takes the token itself (not a key
-- id), so only a holder of a token can spend that key's rate.
CREATE FUNCTION @extschema@._http_authenticate(token text,
	OUT user_id uuid, OUT api_key_id uuid, OUT key_name text, OUT token_prefix text,
	OUT rate_limit integer, OUT hits integer, OUT reset_seconds integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	stale boolean;
	w timestamptz;
	mine integer;
BEGIN
	-- One statement: every PL/pgSQL statement costs a little on each request.
	SELECT a.user_id, a.api_key_id, a.name, a.token_prefix,
		   coalesce(a.rate_limit_per_minute,
					nullif(current_setting('campaigns.http_rate_limit_per_minute', true), '')::integer, 600),
		   a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute'
	  INTO user_id, api_key_id, key_name, token_prefix, rate_limit, stale
	  FROM @extschema@.api_key a
	 WHERE a.token_hash = sha256(convert_to(token, 'UTF8')) AND a.revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	-- A write to a logged table costs a WAL flush: record use once a minute.
	IF stale THEN
		UPDATE @extschema@.api_key a SET last_used_at = now()
		 WHERE a.api_key_id = _http_authenticate.api_key_id
		   AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute');
	END IF;
	IF rate_limit <= 0 THEN
		rate_limit := NULL;		-- no limit
		RETURN;
	END IF;
	w := date_trunc('minute', now());
	reset_seconds := greatest(1, ceil(extract(epoch FROM (w + interval '1 minute' - clock_timestamp())))::integer);
	INSERT INTO @extschema@.http_rate_window AS r (api_key_id, window_start, backend, hits)
	VALUES (_http_authenticate.api_key_id, w, pg_backend_pid(), 1)
	ON CONFLICT (api_key_id, window_start, backend) DO UPDATE SET hits = r.hits + 1
	RETURNING r.hits INTO mine;
	IF mine = 1 THEN
		-- First hit of this backend in the window: forget the key's old windows.
		DELETE FROM @extschema@.http_rate_window r
		 WHERE r.api_key_id = _http_authenticate.api_key_id AND r.window_start < w;
	END IF;
	SELECT sum(r.hits)::integer INTO hits FROM @extschema@.http_rate_window r
	 WHERE r.api_key_id = _http_authenticate.api_key_id AND r.window_start = w;
END
$$;
COMMENT ON FUNCTION @extschema@._http_authenticate(text) IS
'Authenticates an API token (SHA-256 lookup, revoked keys refused) and counts the request in the key''s rate window; nulls when the token is unknown.';
REVOKE EXECUTE ON FUNCTION @extschema@._http_authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._http_authenticate(text) TO campaigns_user;

-- _http_url_decode(s, plus_is_space) undoes percent-encoding (and, in a
-- query string, '+' for space).  A '%' not followed by two hex digits stays
-- as it is; bytes that do not form UTF-8 raise SQLSTATE 22021.  (PL/pgSQL,
-- not SQL: its plans are cached, a SQL function's body is parsed per call.)
CREATE FUNCTION @extschema@._http_url_decode(s text, plus_is_space boolean) RETURNS text
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
CREATE FUNCTION @extschema@._http_query(query text) RETURNS jsonb
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
CREATE FUNCTION @extschema@._http_error(sqlstate text, message text, detail text, context text DEFAULT NULL,
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

-- _http_openapi() builds the OpenAPI 3 document from http_route.
CREATE FUNCTION @extschema@._http_openapi() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH op AS (
		SELECT r.path, lower(r.method) AS m, jsonb_strip_nulls(jsonb_build_object(
			'operationId', r.operation_id,
			'summary', r.summary,
			'tags', jsonb_build_array(r.tag),
			'security', CASE WHEN NOT r.auth THEN '[]'::jsonb END,
			'parameters', (SELECT coalesce(jsonb_agg(p ORDER BY o), '[]') FROM (
				SELECT jsonb_build_object('name', btrim(s, '{}'), 'in', 'path', 'required', true,
										  'schema', '{"type": "string", "format": "uuid"}'::jsonb) AS p, o
				  FROM unnest(r.segs) WITH ORDINALITY AS u(s, o) WHERE s LIKE '{%}'
				UNION ALL
				SELECT q || '{"in": "query", "required": false}', 100 + o
				  FROM jsonb_array_elements(r.query_params) WITH ORDINALITY AS e(q, o)) ps),
			'requestBody', CASE r.body
				WHEN 'json' THEN '{"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}'::jsonb
				WHEN 'json_or_csv' THEN '{"required": true, "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}, "text/csv": {"schema": {"type": "string"}}}}'::jsonb
				END,
			'responses', jsonb_build_object(r.success_status::text, jsonb_strip_nulls(jsonb_build_object(
					'description', CASE r.success_status WHEN 201 THEN 'Created' WHEN 202 THEN 'Accepted'
														  WHEN 204 THEN 'No Content' ELSE 'OK' END,
					'headers', CASE WHEN r.total_count THEN
						'{"X-Total-Count": {"description": "Rows matching the filters, ignoring offset and limit.", "schema": {"type": "integer"}}}'::jsonb END,
					'content', CASE r.response
						WHEN 'object' THEN '{"application/json": {"schema": {"type": "object"}}}'::jsonb
						WHEN 'array' THEN '{"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}'::jsonb
						END)))
				|| CASE WHEN r.auth THEN '{"401": {"$ref": "#/components/responses/Unauthorized"},
										  "429": {"$ref": "#/components/responses/RateLimited"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.segs::text LIKE '%{%' THEN '{"404": {"$ref": "#/components/responses/NotFound"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.body IS NOT NULL THEN '{"413": {"$ref": "#/components/responses/PayloadTooLarge"},
													 "415": {"$ref": "#/components/responses/UnsupportedMediaType"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.body IS NOT NULL OR r.query_params <> '[]' THEN
						'{"422": {"$ref": "#/components/responses/ValidationError"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.method IN ('PATCH', 'DELETE') OR r.path ~ '/(launch|pause|resume|stop|unschedule|reset)$' THEN
						'{"409": {"$ref": "#/components/responses/Conflict"}}'::jsonb ELSE '{}' END
		)) AS o
		  FROM @extschema@.http_route r
	)
	SELECT jsonb_build_object(
		'openapi', '3.0.3',
		'info', jsonb_build_object('title', 'campaigns', 'version',
			(SELECT e.extversion FROM pg_extension e WHERE e.extname = 'campaigns'),
			'description', 'Multi-step outreach campaigns, served from PostgreSQL.'),
		'security', '[{"bearerAuth": []}]'::jsonb,
		'paths', (SELECT jsonb_object_agg('/api/v1' || path, ops) FROM (
					SELECT path, jsonb_object_agg(m, o) AS ops FROM op GROUP BY path) g),
		'components', '{
			"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key: cmp_live_..."}},
			"schemas": {
				"Error": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}, "message": {"type": "string"}}},
				"ValidationError": {"type": "object", "required": ["loc", "msg", "type"], "properties": {
					"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
					"msg": {"type": "string"}, "type": {"type": "string"}}},
				"HTTPValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}}},
			"headers": {
				"X-RateLimit-Limit": {"description": "Requests allowed per minute for this key.", "schema": {"type": "integer"}},
				"X-RateLimit-Remaining": {"description": "Requests left in the current minute.", "schema": {"type": "integer"}},
				"X-RateLimit-Reset": {"description": "Seconds until the current window ends.", "schema": {"type": "integer"}},
				"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
			"responses": {
				"Unauthorized": {"description": "Missing, unknown or revoked API key.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"NotFound": {"description": "No such object (or another user''s).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"Conflict": {"description": "The change is refused in the object''s current status.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"PayloadTooLarge": {"description": "The body exceeds the size limit.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"UnsupportedMediaType": {"description": "The body is not JSON (or CSV where allowed).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"ValidationError": {"description": "Validation error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
				"RateLimited": {"description": "Too many requests for this key.", "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}, "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"}, "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
		}'::jsonb)
$$;
COMMENT ON FUNCTION @extschema@._http_openapi() IS 'The OpenAPI 3 document of the HTTP surface, generated from http_route.';

-- _http_json_error_pos(body, context, detail) guesses the character offset of
-- a JSON syntax error from the CONTEXT line PostgreSQL reports ("JSON data,
-- line N: <text up to the bad token>"), for FastAPI's ["body", pos] loc.
CREATE FUNCTION @extschema@._http_json_error_pos(body text, context text, detail text) RETURNS integer
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
-- here and writes back what it returns.  Every error of the API becomes a
-- status and a JSON body; the routing and authentication before it raise
-- nothing a request can cause (the gateway answers 500 for an error that
-- escapes anyway).  Only a key names the user: the identity GUCs are set
-- from it, transaction-locally, before any API function runs.
CREATE FUNCTION @extschema@.http_handle(method text, path text, query text, req_headers jsonb, req_body text,
	OUT status integer, OUT headers jsonb, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h jsonb;
	p text;
	req_segs text[];
	r @extschema@.http_route;
	allowed text;
	ids uuid[] := '{}';
	v_shape text;
	ignored text;
	max_body bigint;
	authz text;
	token text;
	a record;
	ct text;
	payload jsonb;
	csv boolean := false;
	q jsonb;
	filters jsonb := '{}';
	qp jsonb;
	days integer;
	result jsonb;
	total bigint;
	e record;
	v_state text;
	v_msg text;
	v_detail text;
	v_ctx text;
BEGIN
	headers := '{"Content-Type": "application/json"}';
	-- Route: /api/v1/<segments>, one trailing slash ignored.  A query string
	-- left on the path is taken as the query when none is given apart.
	p := coalesce(path, '');
	IF strpos(p, '?') > 0 THEN
		IF coalesce(query, '') = '' THEN
			query := substr(p, strpos(p, '?') + 1);
		END IF;
		p := left(p, strpos(p, '?') - 1);
	END IF;
	IF p NOT LIKE '/api/v1/%' THEN
		status := 404;
		body := '{"detail": "NOT_FOUND", "message": "no such route"}';
		RETURN;
	END IF;
	p := substr(p, 9);
	IF right(p, 1) = '/' THEN
		p := left(p, -1);
	END IF;
	-- The request's shape: uuid segments become {} (they are the path
	-- parameters, always the 2nd and 4th segments), the others must equal a
	-- route's literals.  One expression: each statement costs a little.
	v_shape := regexp_replace(p, '(^|/)[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}(?=/|$)',
							  '\1{}', 'g');
	SELECT rt.* INTO r FROM @extschema@.http_route rt
	 WHERE rt.shape = v_shape AND rt.method = upper(http_handle.method);
	IF NOT FOUND THEN
		SELECT string_agg(rt.method, ', ' ORDER BY rt.method) INTO allowed
		  FROM @extschema@.http_route rt WHERE rt.shape = v_shape;
		IF allowed IS NULL THEN
			status := 404;
			body := '{"detail": "NOT_FOUND", "message": "no such route"}';
		ELSE
			status := 405;
			headers := headers || jsonb_build_object('Allow', allowed);
			body := '{"detail": "METHOD_NOT_ALLOWED", "message": "method not allowed on this route"}';
		END IF;
		RETURN;
	END IF;

	IF strpos(r.shape, '{}') > 0 THEN
		req_segs := string_to_array(p, '/');
		ids := ARRAY[req_segs[2]::uuid, CASE WHEN r.segs[4] LIKE '{%}' THEN req_segs[4]::uuid END];
	END IF;

	-- Body size, before anything reads the body.
	IF req_body <> '' AND octet_length(req_body) > coalesce(nullif(current_setting('campaigns.http_max_body_bytes', true), '')::bigint, 1048576) THEN
		max_body := coalesce(nullif(current_setting('campaigns.http_max_body_bytes', true), '')::bigint, 1048576);
		status := 413;
		body := jsonb_build_object('detail', 'PAYLOAD_TOO_LARGE',
								   'message', format('the request body exceeds %s bytes', max_body))::text;
		RETURN;
	END IF;

	-- Header names are case-insensitive (the gateway sends them in lower
	-- case, so the scan is for other callers).
	IF jsonb_typeof(req_headers) = 'object' THEN
		h := req_headers;
		IF (r.auth AND NOT h ? 'authorization') OR (r.body IS NOT NULL AND NOT h ? 'content-type') THEN
			SELECT jsonb_object_agg(lower(k), v) INTO h FROM jsonb_each(req_headers) AS x(k, v);
		END IF;
	ELSE
		h := '{}';
	END IF;

	-- Authentication and rate limit.
	IF r.auth THEN
		authz := btrim(h ->> 'authorization');
		token := btrim(substr(authz, 7));
		IF authz IS NULL OR lower(left(authz, 7)) <> 'bearer ' OR token = '' OR token ~ '\s' THEN
			status := 401;
			headers := headers || '{"WWW-Authenticate": "Bearer"}';
			body := jsonb_build_object('detail', 'UNAUTHORIZED', 'message',
				CASE WHEN authz IS NULL THEN 'missing API key (Authorization: Bearer <key>)'
					 ELSE 'malformed Authorization header (expected Bearer <key>)' END)::text;
			RETURN;
		END IF;
		a := @extschema@._http_authenticate(token);
		IF a.user_id IS NULL THEN
			status := 401;
			headers := headers || '{"WWW-Authenticate": "Bearer error=\"invalid_token\""}';
			body := '{"detail": "UNAUTHORIZED", "message": "invalid or revoked API key"}';
			RETURN;
		END IF;
		-- The key's user, for this transaction (the gateway runs one per
		-- request), whatever the caller had set; PostgREST's claims emptied.
		-- (Assignments, not PERFORM: a simple expression skips the executor.)
		ignored := set_config('campaigns.user_id', a.user_id::text, true);
		ignored := set_config('request.jwt.claims', '', true);
		IF a.rate_limit IS NOT NULL THEN
			headers := headers || jsonb_build_object(
				'X-RateLimit-Limit', a.rate_limit::text,
				'X-RateLimit-Remaining', greatest(a.rate_limit - a.hits, 0)::text,
				'X-RateLimit-Reset', a.reset_seconds::text);
			IF a.hits > a.rate_limit THEN
				status := 429;
				headers := headers || jsonb_build_object('Retry-After', a.reset_seconds::text);
				body := jsonb_build_object('detail', 'RATE_LIMITED', 'message',
					format('rate limit of %s requests per minute exceeded', a.rate_limit))::text;
				RETURN;
			END IF;
		END IF;
	END IF;

	-- The body: JSON, or CSV where the route allows it.
	IF r.body IS NOT NULL THEN
		ct := lower(btrim(split_part(h ->> 'content-type', ';', 1)));
		IF coalesce(req_body, '') = '' THEN
			status := 422;
			body := '{"detail": [{"loc": ["body"], "msg": "Field required", "type": "missing"}]}';
			RETURN;
		ELSIF ct = 'text/csv' AND r.body = 'json_or_csv' THEN
			csv := true;
		ELSIF coalesce(ct, '') NOT IN ('', 'application/json') AND ct !~ '^application/[a-z0-9.+-]*\+json$' THEN
			-- No content type at all is read as JSON, as FastAPI does.
			status := 415;
			body := jsonb_build_object('detail', 'UNSUPPORTED_MEDIA_TYPE', 'message',
				CASE WHEN r.body = 'json_or_csv' THEN 'the body must be application/json or text/csv'
					 ELSE 'the body must be application/json' END)::text;
			RETURN;
		ELSE
			BEGIN
				payload := req_body::jsonb;
			EXCEPTION WHEN others THEN
				GET STACKED DIAGNOSTICS v_ctx = PG_EXCEPTION_CONTEXT, v_detail = PG_EXCEPTION_DETAIL;
				status := 422;
				body := jsonb_build_object('detail', jsonb_build_array(jsonb_build_object(
					'loc', jsonb_build_array('body', @extschema@._http_json_error_pos(req_body, v_ctx, v_detail)),
					'msg', 'JSON decode error', 'type', 'json_invalid')))::text;
				RETURN;
			END;
		END IF;
	END IF;

	-- Dispatch.  Errors of the API roll back its writes (not the rate count).
	BEGIN
		IF r.query_params <> '[]' THEN
			BEGIN
				q := @extschema@._http_query(query);
			EXCEPTION WHEN others THEN
				RAISE EXCEPTION 'invalid query string' USING ERRCODE = '22023',
					DETAIL = '[{"loc": ["query"], "msg": "Invalid query string: not UTF-8 once percent-decoded", "type": "value_error"}]';
			END;
			FOR qp IN SELECT jsonb_array_elements(r.query_params) LOOP
				IF q ? (qp ->> 'name') THEN
					filters := filters || jsonb_build_object(qp ->> 'name', q -> (qp ->> 'name'));
				END IF;
			END LOOP;
		END IF;
		-- Two levels (tag, then operation, most used first): every WHEN a
		-- request passes is an expression PL/pgSQL prepares once per transaction.
		CASE r.tag
		WHEN 'campaigns' THEN
			CASE r.operation_id
				WHEN 'campaign_get' THEN
					result := @extschema@.campaign_get(ids[1]);
				WHEN 'campaign_create' THEN
					result := @extschema@.campaign_create(payload);
				WHEN 'campaign_list' THEN
					result := @extschema@.campaign_list(filters);
					total := @extschema@.campaign_count(filters);
				WHEN 'campaign_update' THEN
					result := @extschema@.campaign_update(ids[1], payload);
				WHEN 'campaign_delete' THEN
					PERFORM @extschema@.campaign_delete(ids[1]);
				WHEN 'campaign_launch' THEN
					result := @extschema@.campaign_launch(ids[1]);
				WHEN 'campaign_stats' THEN
					result := @extschema@.campaign_stats(ids[1]);
				WHEN 'campaign_pause' THEN
					result := @extschema@.campaign_pause(ids[1]);
				WHEN 'campaign_resume' THEN
					result := @extschema@.campaign_resume(ids[1]);
				WHEN 'campaign_stop' THEN
					result := @extschema@.campaign_stop(ids[1]);
				WHEN 'campaign_unschedule' THEN
					result := @extschema@.campaign_unschedule(ids[1]);
				WHEN 'campaign_reset' THEN
					result := @extschema@.campaign_reset(ids[1]);
				WHEN 'campaign_playground_review' THEN
					result := @extschema@.campaign_playground_review(ids[1]);
				WHEN 'campaign_forecast' THEN
					IF NOT q ? 'days' THEN
						days := 14;
					ELSIF q ->> 'days' !~ '^\s*-?[0-9]{1,9}\s*$' THEN
						RAISE EXCEPTION 'invalid days' USING ERRCODE = '22023',
							DETAIL = '[{"loc": ["query", "days"], "msg": "Input should be a valid integer, unable to parse string as an integer", "type": "int_parsing"}]';
					ELSE
						days := (q ->> 'days')::integer;	-- campaign_forecast checks the range
					END IF;
					result := @extschema@.campaign_forecast(ids[1], days);
				WHEN 'campaign_leads' THEN
					result := @extschema@.campaign_leads(ids[1], filters);
					-- No count function: the rows campaign_leads pages through.
					total := (SELECT count(*) FROM @extschema@.campaign_lead cl
							   WHERE cl.campaign_id = ids[1] AND cl.user_id = @extschema@.current_user_id()
								 AND (filters ->> 'status' IS NULL OR cl.status = filters ->> 'status'));
				WHEN 'lead_events' THEN
					result := @extschema@.lead_events(ids[1], ids[2]);
				WHEN 'lead_event_record' THEN
					result := @extschema@.lead_event_record(ids[1], ids[2], payload);
			END CASE;
		WHEN 'datasets' THEN
			CASE r.operation_id
				WHEN 'dataset_get' THEN
					result := @extschema@.dataset_get(ids[1]);
				WHEN 'dataset_create' THEN
					result := @extschema@.dataset_create(payload);
				WHEN 'dataset_list' THEN
					result := @extschema@.dataset_list(filters);
					total := @extschema@.dataset_count(filters);
				WHEN 'dataset_add_leads' THEN
					IF csv THEN
						result := @extschema@.dataset_add_leads_csv(ids[1], req_body);
					ELSE
						result := @extschema@.dataset_add_leads(ids[1], payload);
					END IF;
				WHEN 'dataset_leads' THEN
					result := @extschema@.dataset_leads(ids[1], filters);
					total := (SELECT count(*) FROM @extschema@.lead l
							   WHERE l.dataset_id = ids[1] AND l.user_id = @extschema@.current_user_id());
				WHEN 'dataset_delete' THEN
					PERFORM @extschema@.dataset_delete(ids[1]);
			END CASE;
		WHEN 'templates' THEN
			CASE r.operation_id
				WHEN 'template_get' THEN
					result := @extschema@.template_get(ids[1]);
				WHEN 'template_create' THEN
					result := @extschema@.template_create(payload);
				WHEN 'template_list' THEN
					result := @extschema@.template_list(filters);
					total := @extschema@.template_count(filters);
				WHEN 'template_update' THEN
					result := @extschema@.template_update(ids[1], payload);
				WHEN 'template_delete' THEN
					PERFORM @extschema@.template_delete(ids[1]);
			END CASE;
		WHEN 'sender-profiles' THEN
			CASE r.operation_id
				WHEN 'sender_profile_get' THEN
					result := @extschema@.sender_profile_get(ids[1]);
				WHEN 'sender_profile_create' THEN
					result := @extschema@.sender_profile_create(payload);
				WHEN 'sender_profile_list' THEN
					result := @extschema@.sender_profile_list(filters);
					total := @extschema@.sender_profile_count(filters);
				WHEN 'sender_profile_update' THEN
					result := @extschema@.sender_profile_update(ids[1], payload);
				WHEN 'sender_profile_delete' THEN
					PERFORM @extschema@.sender_profile_delete(ids[1]);
			END CASE;
		WHEN 'identities' THEN
			CASE r.operation_id
				WHEN 'alias_create' THEN
					result := @extschema@.alias_create(payload);
				WHEN 'alias_list' THEN
					result := @extschema@.alias_list(filters);
					total := @extschema@.alias_count(filters);
				WHEN 'connected_account_create' THEN
					result := @extschema@.connected_account_create(payload);
				WHEN 'connected_account_list' THEN
					result := @extschema@.connected_account_list(filters);
					total := @extschema@.connected_account_count(filters);
			END CASE;
		WHEN 'meta' THEN
			CASE r.operation_id
				WHEN 'auth_me' THEN
					result := jsonb_build_object('user_id', a.user_id, 'api_key_id', a.api_key_id,
												 'key_name', a.key_name, 'token_prefix', a.token_prefix,
												 'rate_limit_per_minute', a.rate_limit);
				WHEN 'openapi' THEN
					result := @extschema@._http_openapi();
			END CASE;
		END CASE;
		status := r.success_status;
		IF r.response = 'none' THEN
			headers := headers - 'Content-Type';
			body := '';
		ELSE
			body := coalesce(result, 'null'::jsonb)::text;
		END IF;
		IF r.total_count THEN
			headers := headers || jsonb_build_object('X-Total-Count', total::text);
		END IF;
	EXCEPTION WHEN others THEN
		GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
								v_ctx = PG_EXCEPTION_CONTEXT;
		e := @extschema@._http_error(v_state, v_msg, v_detail, v_ctx);
		status := e.status;
		body := e.body::text;
		IF status = 503 THEN
			headers := headers || '{"Retry-After": "1"}';
		ELSIF status = 401 THEN
			headers := headers || '{"WWW-Authenticate": "Bearer"}';
		ELSIF status >= 500 THEN
			RAISE LOG 'campaigns http_handle: % % failed: % %', method, path, v_state, v_msg;
		END IF;
	END;
END
$$;
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) IS
'The HTTP surface of SPEC §8: routes a request (method, raw path, raw query string, headers, body) and returns its status, headers and body; authenticates Bearer API keys, applies rate limits and maps every error.';
ALTER FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) OWNER TO campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) TO campaigns_gateway;
GRANT USAGE ON SCHEMA @extschema@ TO campaigns_gateway;
