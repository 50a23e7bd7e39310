-- The HTTP surface's guards, through campaigns.http_handle as the gateway's
-- role: authentication (missing, malformed, unknown, revoked keys), identity
-- that a request cannot choose, tenancy between two users' keys, content
-- types, malformed JSON, the body size limit, rate limits, hostile strings
-- as data, and the mapping of every error to a status without internal text.
-- Users: 00000000-0000-0000-0071-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE ROLE http71_gw;
GRANT campaigns_gateway TO http71_gw;

SELECT campaigns.api_key_create('00000000-0000-0000-0071-00000000000a', 'alice') AS ka,
	   campaigns.api_key_create('00000000-0000-0000-0071-00000000000b', 'bob') AS kb,
	   campaigns.api_key_create('00000000-0000-0000-0071-00000000000b', 'bob old') AS kold,
	   campaigns.api_key_create('00000000-0000-0000-0071-00000000000c', 'carol') AS kc \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE name IN ('alice', 'bob', 'bob old');
SELECT campaigns.api_key_revoke(:'kold');

-- call(method, path, headers, body, query): status, all headers but the
-- clock-dependent reset, body with ids and times masked.
CREATE FUNCTION pg_temp.call(m text, p text, h jsonb, b text DEFAULT NULL, q text DEFAULT '')
RETURNS TABLE(status int, hdrs text, body text) LANGUAGE sql AS $$
	SELECT r.status,
		   (SELECT string_agg(k || '=' || v, ' ' ORDER BY k) FROM jsonb_each_text(r.headers) x(k, v)
			 WHERE k NOT IN ('X-RateLimit-Reset', 'Retry-After')) ||
		   CASE WHEN r.headers ? 'Retry-After' THEN ' Retry-After=' ||
				CASE WHEN (r.headers ->> 'Retry-After')::int BETWEEN 1 AND 60 THEN '1..60' ELSE r.headers ->> 'Retry-After' END
				ELSE '' END ||
		   CASE WHEN r.headers ? 'X-RateLimit-Reset' THEN ' X-RateLimit-Reset=' ||
				CASE WHEN (r.headers ->> 'X-RateLimit-Reset')::int BETWEEN 1 AND 60 THEN '1..60' ELSE r.headers ->> 'X-RateLimit-Reset' END
				ELSE '' END,
		   regexp_replace(regexp_replace(r.body,
				'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
				'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g')
	  FROM campaigns.http_handle(m, p, q, h, b) r
$$;
CREATE FUNCTION pg_temp.auth(key text, ct text DEFAULT 'application/json') RETURNS jsonb
LANGUAGE sql AS $$ SELECT jsonb_build_object('Authorization', 'Bearer ' || key, 'Content-Type', ct) $$;
CREATE FUNCTION pg_temp.raw(m text, p text, key text, b text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT r.body::jsonb FROM campaigns.http_handle(m, p, '', pg_temp.auth(key), b) r
$$;
GRANT EXECUTE ON FUNCTION pg_temp.call(text, text, jsonb, text, text), pg_temp.auth(text, text),
	pg_temp.raw(text, text, text, text) TO http71_gw;

SET ROLE http71_gw;

-- Authentication.  The openapi document and unknown routes need no key.
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', '{}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', '{"Authorization": "Basic YWxhZGRpbjpvcGVu"}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', '{"Authorization": "Bearer"}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', '{"Authorization": "Bearer a b"}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', '{"Authorization": "Bearer cmp_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'kold'));
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(upper(:'ka')));
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', 'null');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', NULL);
SELECT * FROM pg_temp.call(NULL, NULL, NULL);
SELECT status FROM pg_temp.call('GET', '/api/v1/openapi.json', '{}');
SELECT * FROM pg_temp.call('GET', '/api/v1/nowhere', '{}');
-- Header names are case-insensitive; the scheme too.
SELECT status, body::jsonb ->> 'key_name' FROM pg_temp.call('GET', '/api/v1/auth/me', jsonb_build_object('authorization', 'bearer ' || :'ka'));
SELECT status, body::jsonb ->> 'key_name' FROM pg_temp.call('GET', '/api/v1/auth/me', jsonb_build_object('AUTHORIZATION', 'BEARER  ' || :'kb' || ' '));

-- A request cannot choose its user: the GUC and PostgREST's claims are
-- ignored, and the caller's own settings are untouched afterwards.
SET campaigns.user_id = '00000000-0000-0000-0071-00000000000b';
SET request.jwt.claims = '{"sub": "00000000-0000-0000-0071-00000000000b"}';
SELECT h.status, h.body::jsonb ->> 'user_id' AS user_id
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', pg_temp.auth(:'ka'), NULL) h;
SELECT * FROM pg_temp.call('GET', '/api/v1/auth/me', '{}');
SELECT current_setting('campaigns.user_id'), current_setting('request.jwt.claims');
RESET campaigns.user_id;
RESET request.jwt.claims;

-- Tenancy: Bob's key sees none of Alice's objects; they are 404, not 403.
SELECT pg_temp.raw('POST', '/api/v1/datasets/', :'ka', '{"name": "alice list"}') ->> 'dataset_id' AS da \gset
SELECT pg_temp.raw('POST', '/api/v1/templates/', :'ka', '{"name": "t", "channel": "email", "subject": "s", "body": "b"}') ->> 'template_id' AS ta \gset
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/' || :'da', pg_temp.auth(:'kb'));
SELECT * FROM pg_temp.call('DELETE', '/api/v1/datasets/' || :'da', pg_temp.auth(:'kb'));
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/' || :'da' || '/leads', pg_temp.auth(:'kb'));
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/' || :'da' || '/leads', pg_temp.auth(:'kb'), '[{"email": "x@example.com"}]');
SELECT * FROM pg_temp.call('PATCH', '/api/v1/templates/' || :'ta', pg_temp.auth(:'kb'), '{"name": "mine now"}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'kb'));
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'ka'));
-- A campaign of Bob's cannot name Alice's dataset or template.
SELECT * FROM pg_temp.call('POST', '/api/v1/campaigns/', pg_temp.auth(:'kb'),
	'{"name": "steal", "dataset_id": "' || :'da' || '", "alias_ids": ["x"], "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "' || :'ta' || '"}]}]}');
-- Alice's objects are intact.
SELECT status, body::jsonb ->> 'name' FROM pg_temp.call('GET', '/api/v1/templates/' || :'ta', pg_temp.auth(:'ka'));

-- Content types.
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka', 'text/plain'), '{"name": "x"}');
-- No content type at all is read as JSON (FastAPI does the same); +json types are JSON.
SELECT status, body::jsonb ->> 'name' FROM pg_temp.call('POST', '/api/v1/datasets/', jsonb_build_object('Authorization', 'Bearer ' || :'ka'), '{"name": "untyped"}');
SELECT status, body::jsonb ->> 'name' FROM pg_temp.call('PATCH', '/api/v1/templates/' || :'ta', pg_temp.auth(:'ka', 'application/merge-patch+json'), '{"name": "t"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka', 'application/jsonp'), '{"name": "x"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka', 'text/csv'), 'name');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/' || :'da' || '/leads', pg_temp.auth(:'ka', 'application/xml'), '<leads/>');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/' || :'da' || '/leads', pg_temp.auth(:'ka', 'multipart/form-data; boundary=x'), 'x');
SELECT status, body::jsonb ->> 'name' FROM pg_temp.call('POST', '/api/v1/datasets/',
	jsonb_build_object('authorization', 'Bearer ' || :'ka', 'CONTENT-TYPE', 'Application/JSON; charset=UTF-8'), '{"name": "typed"}');
SELECT status, body::jsonb ->> 'inserted' FROM pg_temp.call('POST', '/api/v1/datasets/' || :'da' || '/leads',
	pg_temp.auth(:'ka', 'TEXT/CSV'), E'email,first_name\n"x@example.com","X, Jr."\n');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/' || :'da' || '/leads', pg_temp.auth(:'ka', 'text/csv'), E'email\nnot-an-email\n');

-- Bodies: missing, malformed JSON (FastAPI's json_invalid, with the offset).
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), NULL);
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": x}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": "x"');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), E'{"name": "x",\n "leads": [1, 2,]}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": "a\u0000b"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '[1, 2]');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '"just a string"');
SELECT * FROM pg_temp.call('PATCH', '/api/v1/templates/' || :'ta', pg_temp.auth(:'ka'), '{"name": "t", "extra": 1}');

-- Hostile strings are data: they round-trip verbatim and change nothing else.
SELECT body::jsonb ->> 'name' = $n$'); DROP TABLE campaigns.campaign; --$n$ AS verbatim
  FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), $b${"name": "'); DROP TABLE campaigns.campaign; --"}$b$);
SELECT body::jsonb ->> 'name' AS name
  FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), $b${"name": "../../../etc/passwd\u0001 \" \\ %00 ${x} {{y}}"}$b$);
SELECT status, hdrs, body FROM pg_temp.call('GET', '/api/v1/campaigns/', pg_temp.auth(:'ka'),
	q => 'name=%27%29%3B%20DROP%20TABLE%20campaigns.campaign%3B%20--&status=draft');
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/campaigns/', pg_temp.auth(:'ka'), q => 'name=%25&name=_');
SELECT status, body FROM pg_temp.call('GET', '/api/v1/campaigns/', pg_temp.auth(:'ka'), q => 'name=%ff%fe');
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'ka'), q => 'limit=2&offset=1&unknown=1&&=&limit');
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'ka'), q => 'limit=2&offset=1');
-- A query string left on the path, or given with its "?", is the query.
SELECT status, hdrs, jsonb_array_length(body::jsonb) FROM pg_temp.call('GET', '/api/v1/datasets/?limit=1', pg_temp.auth(:'ka'));
SELECT status, hdrs, jsonb_array_length(body::jsonb) FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'ka'), q => '?limit=2');
SELECT status, body FROM pg_temp.call('GET', '/api/v1/datasets?limit=0', pg_temp.auth(:'ka'));
RESET ROLE;
SELECT count(*) FROM campaigns.campaign WHERE false;

-- The body size limit (413), at the boundary.
SET campaigns.http_max_body_bytes = 20;
SET ROLE http71_gw;
SELECT status, body::jsonb ->> 'name' FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": "12345678"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": "123456789"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'ka'), '{"name": "1234567é"}');
SELECT * FROM pg_temp.call('POST', '/api/v1/datasets/', '{}', '{"name": "123456789"}');
-- The gateway's role cannot lift the limit.
SET campaigns.http_max_body_bytes = 1000;
RESET ROLE;
RESET campaigns.http_max_body_bytes;

-- Rate limits: per key (3 a minute), and the default for keys without one
-- (2 a minute).  Each block is one transaction, so one window.
UPDATE campaigns.api_key SET rate_limit_per_minute = 3 WHERE name = 'bob';
SET ROLE http71_gw;
BEGIN;
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'kb'));
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kb'));
SELECT status, hdrs FROM pg_temp.call('POST', '/api/v1/datasets/', pg_temp.auth(:'kb'), '{"name": ""}');
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'kb'));
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'kb'));
-- Another key is not affected.
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
COMMIT;
RESET ROLE;
SET campaigns.http_rate_limit_per_minute = 2;
SET ROLE http71_gw;
BEGIN;
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kc'));
SELECT status, hdrs FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kc'));
SELECT status, hdrs, body FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kc'));
COMMIT;
RESET ROLE;
RESET campaigns.http_rate_limit_per_minute;
-- Counted in the table here (test/regress.conf sets campaigns.http_rate_slots
-- = 0; the gateway tests count in shared memory), per backend row, summed
-- per window; the key's use is recorded.
SELECT k.name, w.hits, w.store, w.window_start = date_trunc('minute', w.window_start)
  FROM campaigns.http_rate_usage() w
  JOIN campaigns.api_key k USING (api_key_id) WHERE k.name IN ('bob', 'carol') ORDER BY k.name;
SELECT name, last_used_at IS NOT NULL AS used FROM campaigns.api_key
 WHERE user_id::text LIKE '00000000-0000-0000-0071-%' ORDER BY name;

-- An unexpected failure is a bare 500: no SQL, no internal text.
BEGIN;
ALTER TABLE campaigns.dataset RENAME COLUMN name TO name_x;
SET ROLE http71_gw;
SELECT * FROM pg_temp.call('GET', '/api/v1/datasets/', pg_temp.auth(:'ka'));
ROLLBACK;

-- The error mapping itself, SQLSTATE by SQLSTATE.
SELECT s, e.status, e.body FROM unnest(ARRAY['22023', 'P0002', '55000', '23505', '28000', '54000',
	'40001', '40P01', '55P03', '57014', '22P02', '22003', '23502', '23503', '23514', '42883', '42501', 'XX000', 'P0001']) AS s,
	LATERAL campaigns._http_error(s, 'secret: SELECT * FROM campaigns.campaign', '[{"loc": ["body", "x"], "msg": "m", "type": "t"}]') e;
SELECT * FROM campaigns._http_error('22023', 'bad thing', 'not json', E'PL/pgSQL function f() line 3 at RAISE\nmore');
SELECT * FROM campaigns._http_error('22023', 'cannot delete from scalar', NULL, 'SQL statement "SELECT $1 - 1"');
SELECT * FROM campaigns._http_error('22023', 'bad thing', 'not json');
SELECT * FROM campaigns._http_error('22023', 'bad thing', '{"an": "object"}', 'PL/pgSQL function f() line 3 at RAISE');
SELECT * FROM campaigns._http_error('22023', '', '[]');
SELECT * FROM campaigns._http_error('P0002', NULL, NULL);

-- URL decoding.
SELECT campaigns._http_url_decode('a%20b+c%2B%', true), campaigns._http_url_decode('a+b%2fc', false),
	   campaigns._http_url_decode('%E2%82%AC%zz', true);
SELECT campaigns._http_query('a=1&b=&c&a=2&d=x%3Dy&&e=%26');

-- The key cache (per backend, src/http_handle.c) follows api_key: each
-- change below is seen by the very next request, in a later transaction
-- and within the same one.
SELECT campaigns.api_key_create('00000000-0000-0000-0071-00000000000d', 'dave') AS kd \gset
SET ROLE http71_gw;
SELECT status, headers ->> 'X-RateLimit-Limit' AS rate_limit
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', pg_temp.auth(:'kd'), NULL);
RESET ROLE;
UPDATE campaigns.api_key SET rate_limit_per_minute = 7 WHERE name = 'dave';
SET ROLE http71_gw;
SELECT status, headers ->> 'X-RateLimit-Limit' AS rate_limit
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', pg_temp.auth(:'kd'), NULL);
RESET ROLE;
UPDATE campaigns.api_key SET rate_limit_per_minute = 0, name = 'dave 2' WHERE name = 'dave';
SET ROLE http71_gw;
SELECT status, hdrs, body::jsonb ->> 'key_name' FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kd'));
RESET ROLE;
SELECT campaigns.api_key_revoke(:'kd');
SET ROLE http71_gw;
SELECT * FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'kd'));
RESET ROLE;
-- Within one transaction: revoked, then deleted, after being cached.
BEGIN;
SET ROLE http71_gw;
SELECT status FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
RESET ROLE;
SELECT campaigns.api_key_revoke(:'ka');
SET ROLE http71_gw;
SELECT * FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
ROLLBACK;
BEGIN;
SET ROLE http71_gw;
SELECT status FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
RESET ROLE;
DELETE FROM campaigns.api_key WHERE name = 'alice';
SET ROLE http71_gw;
SELECT status FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
ROLLBACK;
-- Rolled back: alice's key works again.
SET ROLE http71_gw;
SELECT status FROM pg_temp.call('GET', '/api/v1/auth/me', pg_temp.auth(:'ka'));
RESET ROLE;
-- last_used_at, which http_handle writes itself, does not empty the cache:
-- the trigger fires only for the columns authentication reads.
SELECT tgname, pg_get_triggerdef(oid) ~ 'UPDATE OF api_key_id, user_id, name, token_hash, token_prefix, rate_limit_per_minute, revoked_at' AS columns
  FROM pg_trigger WHERE tgrelid = 'campaigns.api_key'::regclass AND NOT tgisinternal;

DROP OWNED BY http71_gw;
DROP ROLE http71_gw;
