-- Delivery endpoints (48_endpoints.sql) as a non-superuser tenant: create,
-- list, get, PATCH, delete; every field at its boundaries and every error
-- path; another user's endpoint exactly like a missing one; the auth header
-- stored encrypted and never in any output (responses, errors, the table);
-- the outbound guard's URL checks against campaigns.outbound_allow (which
-- test/regress.conf sets to 127.0.0.1/32) and that GUC's own checks; the
-- same over HTTP.
-- Users: 00000000-0000-0000-0061-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
CREATE ROLE tenant61;
GRANT campaigns_user TO tenant61;

-- try(sql): the result, or the SQLSTATE with the message (and the error
-- array of a 22023).
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
-- create(body): the response without the generated id and timestamps, or the error.
CREATE FUNCTION pg_temp.create(body text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN regexp_replace(regexp_replace(pg_temp.try(format('SELECT campaigns.delivery_endpoint_create(%L)', body)),
		'"delivery_endpoint_id": "[0-9a-f-]{36}"', '"delivery_endpoint_id": <id>'),
		'"(created_at|updated_at)": "[0-9T:.Z-]+"', '"\1": <ts>', 'g');
END $$;
-- created(body): 'ok' or create's error, the endpoint deleted again (so
-- that one list can try many bodies on one channel).
CREATE FUNCTION pg_temp.created(body text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text := pg_temp.create(body);
BEGIN
	IF r LIKE 'ok: %' THEN
		PERFORM campaigns.delivery_endpoint_delete((x ->> 'delivery_endpoint_id')::uuid)
		   FROM jsonb_array_elements(campaigns.delivery_endpoint_list()) x
		  WHERE x ->> 'channel' = (regexp_match(r, '"channel": "([a-z]+)"'))[1];
		RETURN 'ok';
	END IF;
	RETURN r;
END $$;
-- a_state(channel): user A's stored row, as the owner sees it.
CREATE FUNCTION pg_temp.a_state(ch text, OUT url text, OUT has_header boolean, OUT ct text)
LANGUAGE sql SECURITY DEFINER AS $$
	SELECT e.url, e.auth_header IS NOT NULL, md5(coalesce(e.auth_header, ''))
	  FROM campaigns.delivery_endpoint e
	 WHERE e.user_id = '00000000-0000-0000-0061-00000000000a' AND e.channel = ch
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text), pg_temp.create(text), pg_temp.created(text),
	pg_temp.a_state(text) TO tenant61;
SET ROLE tenant61;
SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user;

-- Without a user: 28000.
SELECT pg_temp.create('{"channel": "email", "url": "https://mail.example/send"}');

SET campaigns.user_id = '00000000-0000-0000-0061-00000000000a';

-- Create: the response names no secret, only has_auth_header.
SELECT pg_temp.create('{"channel": "email", "url": "https://mail.example/send", "auth_header": "Bearer s3cr3t-A"}');
SELECT jsonb_object_keys(campaigns.delivery_endpoint_get((campaigns.delivery_endpoint_list() -> 0 ->> 'delivery_endpoint_id')::uuid)) AS response_keys;
-- One per channel: a second one is a conflict (HTTP 409), and changes nothing.
SELECT pg_temp.create('{"channel": "email", "url": "https://other.example/", "auth_header": "Bearer s3cr3t-A"}');
SELECT pg_temp.create('{"channel": "linkedin", "url": "http://127.0.0.1:9/li"}');
SELECT e ->> 'channel' AS channel, e ->> 'url' AS url, e -> 'has_auth_header' AS has_auth_header
  FROM jsonb_array_elements(campaigns.delivery_endpoint_list()) e;

-- Required fields, types, unknown keys, all errors at once in field order.
SELECT pg_temp.create('{}');
SELECT pg_temp.create('[]');
SELECT pg_temp.create('null');
SELECT pg_temp.create('{"channel": "sms", "url": 5, "auth_header": 7, "extra": 1}');
SELECT pg_temp.create('{"channel": null, "url": null, "auth_header": null}');
SELECT pg_temp.create('{"channel": "email", "url": "ftp://x.example/", "auth_header": "a\nb", "z": true}');

-- url: http or https, at most 2048 characters, a host, no user information,
-- no fragment, printable ASCII.
SET campaigns.user_id = '00000000-0000-0000-0061-0000000000b0';
SELECT n, pg_temp.created(format('{"channel": "email", "url": "https://h.example/%s"}', repeat('a', n - 18))) AS result
  FROM (VALUES (2048), (2049)) v(n);
SELECT CASE WHEN length(u) > 60 THEN left(u, 20) || '... (' || length(u) || ' characters)' ELSE u END AS url,
	   pg_temp.created(jsonb_build_object('channel', 'email', 'url', u)::text) AS result
  FROM unnest(ARRAY['', 'mail.example/send', '/send', 'ftp://mail.example/', 'file:///etc/passwd',
					'gopher://h.example/', 'HTTPS://MAIL.EXAMPLE/X', 'http:mail.example', 'http:/mail.example',
					'http://', 'http:///x', 'http://user:pw@mail.example/', 'http://user@mail.example/',
					'https://mail.example/#frag', 'https://mail.example/x?y#', 'https://mail.example/a b',
					'https://mail.example/é', E'https://mail.example/\t', 'http://h.example:0/', 'http://h.example:1/',
					'http://h.example:65535/', 'http://h.example:65536/', 'http://h.example:/', 'http://h.example:8o/',
					'http://h.example:123456/', 'http://a..b/', 'http://.a/', 'http://a./', 'http://ex_ample.com/',
					'http://ex%41mple.com/', 'http://exa*mple.com/', 'http://' || repeat('a', 63) || '.example/',
					'http://' || repeat('a', 64) || '.example/', 'http://' || repeat('abcdefghi.', 25) || 'com/',
					'http://' || repeat('abcdefghi.', 25) || 'com./', 'http://' || repeat('abcdefghi.', 25) || 'comx/',
					'http://' || repeat('abcdefghi.', 26) || 'com/', 'http://[::1', 'http://[fe80::1%25eth0]/',
					'http://[2606:4700::1]:8443/x', 'http://[2606:4700::1]x/', 'http://[not-v6]/', 'http://1.2.3/',
					'http://1.2.3.4.5/', 'http://256.1.1.1/', 'http://example.123/', 'http://0x/', 'http://8.8.8.8/'])
	   WITH ORDINALITY AS t(u, o)
 ORDER BY o;

-- A literal address, in every form curl accepts, held against the guard's
-- ranges (127.0.0.1/32 allowed here, nothing else of the special ranges).
SELECT u, pg_temp.created(jsonb_build_object('channel', 'linkedin', 'url', u)::text) AS result
  FROM unnest(ARRAY['http://127.0.0.1:9/', 'http://127.1:9/', 'http://2130706433/', 'http://0x7f000001/',
					'http://0177.0.0.1/', 'http://127.0.0.2/', 'http://2130706434/', 'http://127.255.255.255/',
					'http://[::ffff:127.0.0.1]/', 'http://[::ffff:127.0.0.2]/', 'http://[::1]/', 'http://[::]/',
					'http://0.0.0.0/', 'http://0/', 'http://10.0.0.1/', 'http://10.255.255.255/', 'http://11.0.0.1/',
					'http://100.64.0.1/', 'http://100.128.0.1/', 'http://169.254.169.254/latest/meta-data/',
					'http://172.16.0.1/', 'http://172.31.255.255/', 'http://172.32.0.1/', 'http://192.168.1.1/',
					'http://192.0.2.1/', 'http://198.18.0.1/', 'http://224.0.0.1/', 'http://239.255.255.250/',
					'http://240.0.0.1/', 'http://255.255.255.255/', 'http://[::ffff:10.0.0.1]/',
					'http://[::ffff:169.254.169.254]/', 'http://[64:ff9b::a00:1]/', 'http://[64:ff9b::808:808]/',
					'http://[::10.0.0.1]/', 'http://[fc00::1]/', 'http://[fd12:3456::1]/', 'http://[fe80::1]/',
					'http://[febf::1]/', 'http://[fec0::1]/', 'http://[ff02::1]/', 'http://[2001:db8::1]/',
					'http://[2002:a00:1::]/', 'http://[2606:4700::1111]/', 'http://localhost:9/',
					'http://LOCALHOST./', 'http://api.localhost/', 'http://localhost.example/'])
	   WITH ORDINALITY AS t(u, o)
 ORDER BY o;
SELECT campaigns.delivery_endpoint_count() AS endpoints_left;

-- auth_header: 1 to 4096 characters, one header line.
SELECT n, pg_temp.created(format('{"channel": "email", "url": "https://h.example/", "auth_header": "%s"}', repeat('x', n))) AS result
  FROM (VALUES (4096), (4097), (0)) v(n);
SELECT h, pg_temp.create(jsonb_build_object('channel', 'email', 'url', 'https://h.example/', 'auth_header', h)::text) AS result
  FROM unnest(ARRAY[E'Bearer s3cr3t\r\nX-Evil: 1', E'Bearer s3cr3t\n', E'Bearer\ts3cr3t', E'Bearer s3cr3t\u0085',
					E'Bearer s3cr3t\u007f', E'\u001b[0m', 'X-Api-Key:', 'X-Api-Key:   ', '   ', 'Host: internal.example',
					'Content-Length: 0', 'transfer-encoding: chunked', 'CONNECTION: close', 'Idempotency-Key: x',
					'Content-Type: text/plain', 'Expect: 100-continue']) WITH ORDINALITY AS t(h, o)
 ORDER BY o;
SELECT pg_temp.create('{"channel": "email", "url": "https://h.example/", "auth_header": "\u0000x"}') AS nul;
SELECT campaigns.delivery_endpoint_count() AS nothing_written;
-- accepted forms: a bare value (sent as Authorization), "Name: value", a
-- bare value with a colon after a space, non-ASCII text
SELECT h, pg_temp.created(jsonb_build_object('channel', 'email', 'url', 'https://h.example/', 'auth_header', h)::text) AS result
  FROM unnest(ARRAY['Bearer s3cr3t', 'X-Api-Key: s3cr3t', 'x-api-key:s3cr3t', 'Basic dXNlcjpwYXNz', 'Token a:b',
					'X-Signature: ünïcode']) WITH ORDINALITY AS t(h, o)
 ORDER BY o;

-- The stored header is a ciphertext: version 1, 33 bytes longer than the
-- header, different each time, and the header is nowhere in the table.
SET campaigns.user_id = '00000000-0000-0000-0061-00000000000b';
SELECT campaigns.delivery_endpoint_create('{"channel": "email", "url": "https://mail.example/send", "auth_header": "Bearer s3cr3t-A"}') ->> 'delivery_endpoint_id' AS b_email \gset
RESET ROLE;
SELECT right(e.user_id::text, 2) AS user_, get_byte(e.auth_header, 0) AS version,
	   length(e.auth_header) - length('Bearer s3cr3t-A') AS overhead,
	   position('s3cr3t'::bytea IN e.auth_header) AS plaintext_at
  FROM campaigns.delivery_endpoint e
 WHERE e.user_id::text LIKE '00000000-0000-0000-0061-%' AND e.auth_header IS NOT NULL
 ORDER BY e.user_id;
SELECT (SELECT auth_header FROM campaigns.delivery_endpoint WHERE user_id = '00000000-0000-0000-0061-00000000000a' AND channel = 'email')
	<> (SELECT auth_header FROM campaigns.delivery_endpoint WHERE user_id = '00000000-0000-0000-0061-00000000000b' AND channel = 'email')
	   AS same_header_other_ciphertext;
SELECT count(*) AS rows_showing_the_secret FROM campaigns.delivery_endpoint t WHERE t::text LIKE '%s3cr3t%';
SELECT count(*) AS rows_showing_the_secret FROM campaigns.delivery_endpoint t
 WHERE position('s3cr3t'::bytea IN t.auth_header) > 0;
-- Only the owner may encrypt, and nothing decrypts in SQL.
SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'campaigns'::regnamespace
   AND (p.proname ILIKE '%decrypt%' OR p.proname ILIKE '%secret%') ORDER BY 1;
SET ROLE tenant61;
SELECT pg_temp.try($$SELECT campaigns._secret_encrypt('x', '00000000-0000-0000-0061-00000000000b', 'y')$$);
-- what a tenant can read of the table directly, if anything, shows no secret
SELECT CASE WHEN r IN ('ok: 0', '42501 permission denied for table delivery_endpoint') THEN 'no secret' ELSE r END AS direct_select
  FROM pg_temp.try($$SELECT count(*) FROM campaigns.delivery_endpoint t
					  WHERE t::text LIKE '%s3cr3t%' OR position('s3cr3t'::bytea IN t.auth_header) > 0$$) r;

-- Get, list, count: another user's endpoint is a missing one.
SET campaigns.user_id = '00000000-0000-0000-0061-00000000000a';
SELECT campaigns.delivery_endpoint_list() -> 0 ->> 'delivery_endpoint_id' AS a_email,
	   campaigns.delivery_endpoint_list() -> 1 ->> 'delivery_endpoint_id' AS a_li \gset
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_get(%L) ->> ''channel''', :'a_email'));
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_get(%L)', :'b_email')) AS other_users;
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_get(%L)', '00000000-0000-0000-0061-ffffffffffff')) AS missing;
SELECT jsonb_array_length(campaigns.delivery_endpoint_list()) AS listed, campaigns.delivery_endpoint_count() AS counted,
	   campaigns.delivery_endpoint_list('{"channel": "linkedin"}') -> 0 ->> 'channel' AS filtered,
	   campaigns.delivery_endpoint_count('{"channel": "linkedin"}') AS filtered_count,
	   campaigns.delivery_endpoint_list('{"limit": "1", "offset": "1"}') -> 0 ->> 'channel' AS second_page,
	   jsonb_array_length(campaigns.delivery_endpoint_list('{"offset": 2}')) AS past_the_end;
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_list('{"channel": "sms"}')$$);
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_count('{"channel": "sms"}')$$);
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_list('{"limit": "0"}')$$);
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_list('{"limit": "101", "offset": "-1"}')$$);
-- (DeliveryEndpointListQuery: every parameter's error at once, in its order)
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_list('{"channel": "sms", "limit": "x", "offset": "1e3"}')$$);
SELECT pg_temp.try($$SELECT campaigns.delivery_endpoint_count('{"channel": 5, "limit": "100", "offset": "0"}')$$);

-- PATCH: omitted = unchanged, auth_header null = removed, a new one is
-- encrypted afresh; bad input changes nothing; a taken channel is 409;
-- another user's endpoint is a missing one, whatever the body.
SELECT * INTO TEMP a_before FROM pg_temp.a_state('email');
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_update(%L, %L) - ''delivery_endpoint_id'' - ''created_at'' - ''updated_at''', :'a_email', p)) AS result
  FROM unnest(ARRAY['{"url": "ftp://x/"}', '{"url": null}', '{"channel": "linkedin"}', '{"channel": "fax"}',
					'{"auth_header": ""}', '{"auth_header": "Host: x"}', '{"colour": "red"}', '[1]',
					'{"url": "http://10.0.0.1/", "auth_header": "a\u000db"}', '{"channel": null}',
					'{"channel": "email", "url": "http://[::1]/", "auth_header": null, "x": 1}']) AS t(p);
SELECT s = b AS unchanged FROM pg_temp.a_state('email') s, a_before b;
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_update(%L, %L)', :'b_email', '{"url": "https://mine.example/"}')) AS other_users,
	   pg_temp.try(format('SELECT campaigns.delivery_endpoint_update(%L, %L)', :'b_email', '{"url": 5}')) AS other_users_bad_body,
	   pg_temp.try(format('SELECT campaigns.delivery_endpoint_update(%L, %L)', '00000000-0000-0000-0061-ffffffffffff', '{}')) AS missing;
SELECT campaigns.delivery_endpoint_update(:'a_email', '{}') - 'updated_at' = campaigns.delivery_endpoint_get(:'a_email') - 'updated_at' AS empty_patch_changes_nothing;
SELECT campaigns.delivery_endpoint_update(:'a_email', '{"url": "https://new.example/"}') ->> 'url' AS url;
SELECT s.url, s.has_header AS header_kept, s.ct = b.ct AS same_ciphertext FROM pg_temp.a_state('email') s, a_before b;
SELECT campaigns.delivery_endpoint_update(:'a_email', '{"auth_header": "X-Api-Key: n3w-s3cr3t"}') -> 'has_auth_header' AS has_auth_header;
SELECT s.has_header, s.ct <> b.ct AS new_ciphertext FROM pg_temp.a_state('email') s, a_before b;
SELECT campaigns.delivery_endpoint_update(:'a_email', '{"auth_header": null}') -> 'has_auth_header' AS has_auth_header;
SELECT has_header AS stored FROM pg_temp.a_state('email');
SELECT campaigns.delivery_endpoint_delete(:'a_li');
SELECT campaigns.delivery_endpoint_update(:'a_email', '{"channel": "linkedin", "auth_header": "Bearer again"}')
	   - 'delivery_endpoint_id' - 'created_at' - 'updated_at' AS moved;
SELECT campaigns.delivery_endpoint_create('{"channel": "email", "url": "http://127.0.0.1:9/"}') ->> 'channel' AS recreated;
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_update(%L, %L)', :'a_email', '{"channel": "email"}')) AS taken;

-- Delete: own once, then missing; another user's is missing and stays.
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_delete(%L)', :'b_email')) AS other_users;
SELECT pg_temp.try(format('SELECT campaigns.delivery_endpoint_delete(%L)', :'a_email')) AS own,
	   pg_temp.try(format('SELECT campaigns.delivery_endpoint_delete(%L)', :'a_email')) AS again;
SET campaigns.user_id = '00000000-0000-0000-0061-00000000000b';
SELECT campaigns.delivery_endpoint_get(:'b_email') ->> 'url' AS b_still_there;

-- The GUCs are the owner's: a tenant can neither read nor set them.
SELECT pg_temp.try('SHOW campaigns.outbound_allow');
SELECT pg_temp.try('SHOW campaigns.secret_key_file');
SELECT pg_temp.try($$SELECT set_config('campaigns.outbound_allow', '0.0.0.0/0', false)$$);
SELECT pg_temp.try($$SELECT set_config('campaigns.secret_key_file', '/tmp/k', false)$$);
RESET ROLE;
SHOW campaigns.outbound_allow;
-- campaigns.outbound_allow is checked when set (here by ALTER SYSTEM, which
-- runs the check; RESET leaves the file as it was).
\set VERBOSITY default
ALTER SYSTEM SET campaigns.outbound_allow = 'bogus';
ALTER SYSTEM SET campaigns.outbound_allow = '10.0.0.1/8';
ALTER SYSTEM SET campaigns.outbound_allow = '10.0.0.0/33';
ALTER SYSTEM SET campaigns.outbound_allow = '::1/129';
ALTER SYSTEM SET campaigns.outbound_allow = '10.0.0.0/8/1';
ALTER SYSTEM SET campaigns.outbound_allow = '127.0.0.1', '[::1]';
ALTER SYSTEM SET campaigns.outbound_allow = '127.0.0.1/32, 10.0.0.0/8 fd00::/8,::1', '0.0.0.0/0';
ALTER SYSTEM SET campaigns.outbound_allow = '';
ALTER SYSTEM RESET campaigns.outbound_allow;
\set VERBOSITY terse

-- The same over HTTP, as the gateway's role.
CREATE ROLE gw61;
GRANT campaigns_gateway TO gw61;
SELECT campaigns.api_key_create('00000000-0000-0000-0061-0000000000ca', 'c') AS kc,
	   campaigns.api_key_create('00000000-0000-0000-0061-0000000000cb', 'd') AS kd \gset
CREATE FUNCTION pg_temp.req(m text, p text, key text, b text DEFAULT NULL, q text DEFAULT '')
RETURNS TABLE(status int, total text, body text) LANGUAGE sql AS $$
	SELECT h.status, h.headers ->> 'X-Total-Count',
		   regexp_replace(regexp_replace(h.body,
				'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
				'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g')
	  FROM campaigns.http_handle(m, p, q,
			jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', 'application/json'), b) h
$$;
CREATE FUNCTION pg_temp.raw(m text, p text, key text, b text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
	SELECT h.body::jsonb FROM campaigns.http_handle(m, p, '',
		jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', 'application/json'), b) h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.req(text, text, text, text, text), pg_temp.raw(text, text, text, text) TO gw61;
SET ROLE gw61;
SELECT * FROM pg_temp.req('POST', '/api/v1/delivery-endpoints/', :'kc', '{"channel": "email", "url": "http://127.0.0.1:9/hook", "auth_header": "Bearer h77p-s3cr3t"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/delivery-endpoints', :'kc', '{"channel": "email", "url": "http://127.0.0.1:9/hook", "auth_header": "Bearer h77p-s3cr3t"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/delivery-endpoints/', :'kc', '{"channel": "linkedin", "url": "http://169.254.169.254/", "auth_header": "Bearer h77p-s3cr3t\r\nX: y"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/delivery-endpoints/', :'kc', 'not json');
SELECT pg_temp.raw('GET', '/api/v1/delivery-endpoints/', :'kc') -> 0 ->> 'delivery_endpoint_id' AS c_email \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/', :'kc');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints', :'kc', q => 'channel=linkedin');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/', :'kc', q => 'channel=pigeon');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/' || :'c_email', :'kc');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/' || :'c_email', :'kd');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/not-a-uuid', :'kc');
-- (a literal {} segment is no parameter: 404, not an internal error)
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/{}', :'kc');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/{}/stats', :'kc');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/delivery-endpoints/' || :'c_email', :'kd', '{"url": "http://127.0.0.1:1/"}');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/delivery-endpoints/' || :'c_email', :'kc', '{"url": "http://127.0.0.1:1/", "auth_header": null}');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/delivery-endpoints/' || :'c_email', :'kc', '{"url": "http://[::1]:1/"}');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/delivery-endpoints/' || :'c_email', :'kd');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/delivery-endpoints/' || :'c_email', :'kc');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/delivery-endpoints/' || :'c_email', :'kc');
SELECT * FROM pg_temp.req('GET', '/api/v1/delivery-endpoints/', :'kc');
SELECT p, jsonb_object_keys(pg_temp.raw('GET', '/api/v1/openapi.json', :'kc') -> 'paths' -> p) AS method
  FROM unnest(ARRAY['/api/v1/delivery-endpoints/', '/api/v1/delivery-endpoints/{delivery_endpoint_id}']) p
 ORDER BY 1, 2;
RESET ROLE;
