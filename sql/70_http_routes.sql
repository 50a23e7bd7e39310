-- The HTTP surface through campaigns.http_handle, called as the gateway's
-- role would: every route of SPEC §8 and the status each answers with.
-- Users: 00000000-0000-0000-0070-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- A login role of the gateway: it may execute http_handle and nothing else.
CREATE ROLE http70_gw;
GRANT campaigns_gateway TO http70_gw;

SELECT campaigns.api_key_create('00000000-0000-0000-0070-000000000001', 'routes') AS key1 \gset
-- Unlimited, so that these tests never meet the rate limit.
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE user_id = '00000000-0000-0000-0070-000000000001';

-- req(method, path, key, body, content type, query) shows the status, the
-- headers a client acts on, and the body with ids and times masked.
CREATE FUNCTION pg_temp.req(m text, p text, key text DEFAULT NULL, b text DEFAULT NULL,
							ct text DEFAULT 'application/json', q text DEFAULT '')
RETURNS TABLE(status int, hdrs text, body text) LANGUAGE sql AS $$
	SELECT h.status,
		   (SELECT string_agg(k || '=' || v, ' ' ORDER BY k) FROM jsonb_each_text(h.headers) x(k, v)
			 WHERE k IN ('Allow', 'X-Total-Count', 'Retry-After', 'WWW-Authenticate', 'Content-Type')),
		   regexp_replace(regexp_replace(regexp_replace(h.body,
				'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
				'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g'), 'cmp_live_[A-Za-z0-9_-]+', 'cmp_live_<key>', 'g')
	  FROM campaigns.http_handle(m, p, q,
			jsonb_strip_nulls(jsonb_build_object('Authorization', 'Bearer ' || key, 'Content-Type', ct)), b) h
$$;
-- raw(...) returns the body as jsonb, to pick ids from.
CREATE FUNCTION pg_temp.raw(m text, p text, key text, b text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT h.body::jsonb FROM campaigns.http_handle(m, p, '',
		jsonb_build_object('Authorization', 'Bearer ' || key, 'Content-Type', 'application/json'), b) h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.req(text, text, text, text, text, text), pg_temp.raw(text, text, text, text) TO http70_gw;

SET ROLE http70_gw;

-- The gateway role reads no table and calls no API function itself.
SELECT count(*) FROM campaigns.campaign;
SELECT campaigns.campaign_get('00000000-0000-0000-0070-000000000099');
SELECT * FROM campaigns.http_rate_usage();

-- Meta routes.
SELECT status, hdrs, left(body, 40) FROM pg_temp.req('GET', '/api/v1/openapi.json');
SELECT * FROM pg_temp.req('GET', '/api/v1/auth/me', :'key1');

-- Aliases and connected accounts.
SELECT * FROM pg_temp.req('POST', '/api/v1/aliases/', :'key1', '{"alias_id": "sales", "full_email": "sales@example.com"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/aliases', :'key1', '{"alias_id": "sales", "full_email": "sales@example.com"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/aliases/', :'key1', '{"alias_id": "", "full_email": "nope"}');
SELECT * FROM pg_temp.req('GET', '/api/v1/aliases/', :'key1');
SELECT * FROM pg_temp.req('POST', '/api/v1/connected-accounts/', :'key1', '{"name": "Li"}');
SELECT * FROM pg_temp.req('GET', '/api/v1/connected-accounts', :'key1');

-- Datasets and leads (JSON and CSV).
SELECT pg_temp.raw('POST', '/api/v1/datasets/', :'key1', '{"name": "prospects"}') ->> 'dataset_id' AS d1 \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/datasets/' || :'d1', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/datasets/', :'key1');
SELECT * FROM pg_temp.req('POST', '/api/v1/datasets/' || :'d1' || '/leads', :'key1',
	'[{"email": "ada@example.com", "first_name": "Ada"}, {"email": "ADA@example.com", "company": "Engines"}]');
SELECT * FROM pg_temp.req('POST', '/api/v1/datasets/' || :'d1' || '/leads', :'key1',
	E'email,first_name,company\nbob@example.com,Bob,Acme\n', 'text/csv; charset=utf-8');
SELECT * FROM pg_temp.req('POST', '/api/v1/datasets/' || :'d1' || '/leads', :'key1', '[{"email": 5}]');
SELECT * FROM pg_temp.req('GET', '/api/v1/datasets/' || :'d1' || '/leads', :'key1', q => 'limit=1');
SELECT * FROM pg_temp.req('GET', '/api/v1/datasets/' || :'d1' || '/leads', :'key1', q => 'limit=0');

-- Templates.
SELECT pg_temp.raw('POST', '/api/v1/templates/', :'key1',
	'{"name": "intro", "channel": "email", "subject": "Hi {{first_name|there}}", "body": "Hello from us"}') ->> 'template_id' AS t1 \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/templates/' || :'t1', :'key1');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/templates/' || :'t1', :'key1', '{"name": "intro v2"}');
SELECT * FROM pg_temp.req('GET', '/api/v1/templates/', :'key1');
SELECT * FROM pg_temp.req('POST', '/api/v1/templates/', :'key1', '{"name": "x", "channel": "fax", "body": "b"}');

-- Sender profiles.
SELECT pg_temp.raw('POST', '/api/v1/sender-profiles/', :'key1',
	'{"profile_name": "Ada", "sender_data": {"custom_prompt": "Be brief."}}') ->> 'sender_profile_id' AS s1 \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/sender-profiles/' || :'s1', :'key1');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/sender-profiles/' || :'s1', :'key1', '{"description": "main"}');
SELECT * FROM pg_temp.req('GET', '/api/v1/sender-profiles/', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/sender-profiles/' || :'s1', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/sender-profiles/' || :'s1', :'key1');

-- Campaigns: create (201), read, list with X-Total-Count, update, delete (204).
\set body '{"name": "Q3 outreach", "dataset_id": "' :d1 '", "alias_ids": ["sales"], "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "' :t1 '"}]}]}'
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/', :'key1', :'body');
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'key1', :'body') ->> 'campaign_id' AS c1 \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1', :'key1');
SELECT status, hdrs, length(body) > 2 AS has_rows FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1');
SELECT status, hdrs, body = '[]' AS empty FROM pg_temp.req('GET', '/api/v1/campaigns', :'key1', q => 'offset=2');
SELECT status, hdrs FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1', q => 'limit=1&status=draft&name=q3%20OUT');
SELECT status, hdrs, body FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1', q => 'name=nothing+like+it');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1', q => 'limit=101');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1', q => 'limit=abc&offset=-1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1', q => 'status=sleeping');
SELECT status, body::jsonb ->> 'name', body::jsonb ->> 'daily_limit'
  FROM pg_temp.req('PATCH', '/api/v1/campaigns/' || :'c1', :'key1', '{"name": "Q3 outreach (edited)", "daily_limit": 50}');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/campaigns/' || :'c1', :'key1', '{"daily_limit": 0}');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/', :'key1', '{"name": ""}');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c1', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c1', :'key1');
-- The first campaign created above, the newest left.
SELECT pg_temp.raw('GET', '/api/v1/campaigns/', :'key1') -> 0 ->> 'campaign_id' AS c0 \gset
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c0', :'key1');
SELECT status, hdrs, body FROM pg_temp.req('GET', '/api/v1/campaigns/', :'key1');

-- A template in use by a campaign cannot go (409); a free one can (204).
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'key1', :'body') ->> 'campaign_id' AS c2 \gset
SELECT * FROM pg_temp.req('DELETE', '/api/v1/templates/' || :'t1', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c2', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/templates/' || :'t1', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/datasets/' || :'d1', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/datasets/' || :'d1', :'key1');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/aliases/sales', :'key1');

-- Routing: unknown path, wrong method (405 with Allow), malformed ids (404),
-- trailing slashes, path traversal, the base path only.
SELECT * FROM pg_temp.req('GET', '/api/v1/nothing', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v2/campaigns/', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns//', :'key1');
SELECT * FROM pg_temp.req('PUT', '/api/v1/campaigns/', :'key1');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/00000000-0000-0000-0070-000000000099', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/not-a-uuid', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/..%2F..%2Fetc%2Fpasswd', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/../datasets/', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/00000000-0000-0000-0070-000000000099/', :'key1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/%30%30000000-0000-0000-0070-000000000099', :'key1');
SELECT * FROM pg_temp.req('get', '/api/v1/auth/me', :'key1');

RESET ROLE;
-- What the gateway's role may do in the schema: execute http_handle and
-- nothing else; no table at all.
SELECT p.oid::regprocedure AS executable FROM pg_proc p
 WHERE p.pronamespace = 'campaigns'::regnamespace AND has_function_privilege('http70_gw', p.oid, 'EXECUTE')
 ORDER BY 1::text;
SELECT c.relname, privilege FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS privilege
 WHERE c.relnamespace = 'campaigns'::regnamespace AND c.relkind IN ('r', 'v', 'm')
   AND has_table_privilege('http70_gw', c.oid, privilege);
-- The route table: what the router serves and the OpenAPI document lists.
SELECT operation_id, method, path, auth, body, success_status, total_count FROM campaigns.http_route ORDER BY path, method;

-- http_handle takes path parameters from the 2nd and 4th segments only; the
-- table refuses routes it could not serve.
\set VERBOSITY terse
INSERT INTO campaigns.http_route (operation_id, method, path, success_status, response, tag, summary)
VALUES ('bad', 'GET', '/x/y/{id}', 200, 'object', 'meta', 'a parameter in the 3rd segment');
INSERT INTO campaigns.http_route (operation_id, method, path, success_status, response, tag, summary)
VALUES ('bad', 'GET', '/{id}', 200, 'object', 'meta', 'a parameter first');
\set VERBOSITY default
DROP OWNED BY http70_gw;
DROP ROLE http70_gw;
