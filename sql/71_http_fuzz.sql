-- Fuzz of campaigns.http_handle (C since 0.1.0's HTTP rewrite): thousands of
-- random and mutated requests (methods, raw paths with uuids, dot segments,
-- percent escapes and odd bytes, header objects of every JSON type, content
-- types, truncated and mutated bodies) through the gateway's role.  The
-- backend must survive every one and answer each with a status of the API,
-- never 500 and never an error that escapes.  Users: ...0073-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE ROLE http73_gw;
GRANT campaigns_gateway TO http73_gw;
SELECT campaigns.api_key_create('00000000-0000-0000-0073-000000000001', 'fuzz') AS k \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE name = 'fuzz';
SET campaigns.user_id = '00000000-0000-0000-0073-000000000001';
SELECT campaigns.dataset_create('{"name": "d", "leads": [{"email": "a@example.com"}]}') ->> 'dataset_id' AS d \gset
SELECT campaigns.template_create('{"name": "t", "channel": "email", "subject": "s", "body": "b"}') ->> 'template_id' AS t \gset
SELECT campaigns.alias_create('{"alias_id": "f1", "full_email": "f1@example.com"}') IS NOT NULL AS alias;
SELECT campaigns.campaign_create(format('{"name": "c", "dataset_id": "%s", "alias_ids": ["f1"], "steps": [{"step": 1, "variants": [{"label": "A", "weight": 100, "template_id": "%s"}]}]}', :'d', :'t')::jsonb) ->> 'campaign_id' AS c \gset
RESET campaigns.user_id;

CREATE TABLE pg_temp.req (i int, method text, path text, query text, headers jsonb, body text);
GRANT SELECT ON pg_temp.req TO http73_gw;
SELECT setseed(0.71);
INSERT INTO pg_temp.req
SELECT i,
	(ARRAY['GET', 'POST', 'PATCH', 'DELETE', 'get', 'PUT', '', 'G E T', NULL])[1 + floor(random() * 9)::int],
	CASE WHEN random() < 0.05 THEN NULL
	WHEN random() < 0.6 THEN
	-- A real route, its parameters filled with this user's ids, others' or
	-- garbage, sometimes with a trailing slash or a query left on the path.
	(SELECT '/api/v1' ||
		regexp_replace(regexp_replace(regexp_replace(regexp_replace(rt.path,
			'\{campaign_id\}', (ARRAY[:'c', :'c', gen_random_uuid()::text, 'x'])[1 + floor(random() * 4)::int]),
			'\{dataset_id\}', (ARRAY[:'d', :'d', gen_random_uuid()::text])[1 + floor(random() * 3)::int]),
			'\{template_id\}', (ARRAY[:'t', :'t', gen_random_uuid()::text])[1 + floor(random() * 3)::int]),
			'\{[a-z_]+\}', gen_random_uuid()::text) ||
		(ARRAY['', '', '', '/', '?days=2', '?limit=1&offset=0', '?status=paused', '/x'])[1 + floor(random() * 8)::int]
	   FROM campaigns.http_route rt WHERE i > 0 ORDER BY random() LIMIT 1)
	ELSE
	(ARRAY['/api/v1/', '/api/v1', '/api/v2/', '', '/', 'api/v1/', '/API/V1/'])[1 + floor(random() * 7)::int] ||
	coalesce((SELECT string_agg(seg, '/') FROM (
		SELECT (ARRAY['campaigns', 'datasets', 'templates', 'sender-profiles', 'aliases', 'connected-accounts',
					  'auth', 'me', 'openapi.json', 'leads', 'events', 'launch', 'pause', 'stats', 'forecast',
					  'playground', 'review', :'c', :'d', :'t', upper(:'c'), replace(:'c', '-', ''),
					  '00000000-0000-0000-0000-000000000000', left(:'c', 35), :'c' || 'a', '..', '.', '',
					  '%00', '%2e%2e', '{}', '{campaign_id}', 'é', E'\t', '?x=1', '?days=3', '?days=abc',
					  '?limit=1&offset=1', '?status=draft', '?q=%ff', '#frag', repeat('x', 300),
					  ''' OR 1=1 --', '%', '/'])[1 + floor(random() * 46)::int] AS seg
		  FROM generate_series(1, floor(random() * 6)::int) WHERE i > 0) s), '') END,
	(ARRAY[NULL, '', 'days=5', 'days=x', 'days=%zz', 'limit=500', 'offset=-1', 'status=nope', 'a=%C3%28', '&&=&'])[1 + floor(random() * 10)::int],
	(ARRAY[NULL, 'null', '[]', '"x"', '1', '{}',
		   jsonb_build_object('authorization', 'Bearer ' || :'k'),
		   jsonb_build_object('authorization', 'Bearer ' || :'k', 'content-type', 'application/json'),
		   jsonb_build_object('Authorization', 'Bearer ' || :'k', 'Content-Type', 'text/csv'),
		   jsonb_build_object('AUTHORIZATION', 'bearer  ' || :'k' || '  ', 'content-type', 'application/merge-patch+json; charset=utf-8'),
		   jsonb_build_object('authorization', 'Bearer ' || :'k', 'content-type', 'application/x-www-form-urlencoded'),
		   jsonb_build_object('authorization', 'Bearer ' || left(:'k', 20)),
		   '{"authorization": 42, "content-type": ["a"]}', '{"authorization": null}', '{"authorization": {"x": 1}}',
		   '{"authorization": "Bearer "}', '{"authorization": "Bearer a\u0001b"}', '{"authorization": true}',
		   jsonb_build_object('authorization', 'Bearer ' || :'k', 'content-type', ''),
		   jsonb_build_object('authorization', 'Bearer ' || :'k', 'content-type', repeat('a', 5000))
		  ])[1 + floor(random() * 20)::int],
	CASE floor(random() * 8)::int
		WHEN 0 THEN NULL
		WHEN 1 THEN ''
		WHEN 2 THEN '{"name": "fuzz"}'
		WHEN 3 THEN left('{"name": "x", "dataset_id": "' || :'d' || '", "steps": [{"step": 1}]}', floor(random() * 60)::int)
		WHEN 4 THEN E'email,first_name\na@example.com,A\n"b@example.com,B'
		WHEN 5 THEN '[{"email": "x@example.com"}, 1, null, "s"]'
		WHEN 6 THEN repeat('[', 5000)
		ELSE overlay('{"status": "paused", "name": "n", "steps": []}' PLACING chr(1 + floor(random() * 126)::int)
					 FROM 1 + floor(random() * 40)::int FOR 1)
	END
  FROM generate_series(1, 3000) i;

SET ROLE http73_gw;
-- Every request answered with a status of the API (none 500).  Writes of
-- earlier requests are seen by later ones; only the set of statuses is shown.
CREATE TEMP TABLE res AS
SELECT r.i, h.status, h.headers, h.body
  FROM pg_temp.req r, LATERAL campaigns.http_handle(r.method, r.path, r.query, r.headers, r.body) h;
SELECT count(*) AS requests,
	   count(*) FILTER (WHERE status IN (200, 201, 202, 204, 401, 404, 405, 409, 413, 415, 422)) AS api_statuses,
	   count(*) FILTER (WHERE status >= 500) AS server_errors,
	   count(DISTINCT status) >= 6 AS varied
  FROM res;
SELECT status, count(*) > 0 AS seen FROM res GROUP BY status ORDER BY status;
-- Every body is JSON (or empty for 204), every header value a string.
SELECT count(*) FILTER (WHERE status <> 204 AND body::jsonb IS NULL) AS bad_bodies,
	   count(*) FILTER (WHERE status = 204 AND body <> '') AS bad_empty,
	   count(*) FILTER (WHERE EXISTS (SELECT FROM jsonb_each(headers) x WHERE jsonb_typeof(x.value) <> 'string')) AS bad_headers
  FROM res;
-- No internal text in any answer.  (The OpenAPI document names settings
-- such as campaigns.outbound_allow in its descriptions: it is no answer.)
SELECT count(*) AS leaks FROM res WHERE body ~* 'select |plpgsql|sqlstate|campaigns\.|relation "|syntax error'
   AND body NOT LIKE '{"openapi"%';
RESET ROLE;

DROP TABLE pg_temp.req;
DROP OWNED BY http73_gw;
DROP ROLE http73_gw;
