-- A campaign's life through campaigns.http_handle as the gateway's role:
-- launch (202), the status changes and their refusals (409), the playground
-- review, stats, forecast, enrolled leads, a lead's events, and other users' keys
-- on every one of those routes (404).
-- Users: 00000000-0000-0000-0072-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE ROLE http72_gw;
GRANT campaigns_gateway TO http72_gw;
SELECT campaigns.api_key_create('00000000-0000-0000-0072-00000000000a', 'owner') AS ka,
	   campaigns.api_key_create('00000000-0000-0000-0072-00000000000b', 'other') AS kb \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE user_id::text LIKE '00000000-0000-0000-0072-%';

CREATE FUNCTION pg_temp.req(m text, p text, key text, b text DEFAULT NULL, q text DEFAULT '')
RETURNS TABLE(status int, body text) LANGUAGE sql AS $$
	SELECT h.status,
		   regexp_replace(regexp_replace(h.body,
				'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
				'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g')
	  FROM campaigns.http_handle(m, p, q,
			jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', 'application/json'), b) h
$$;
CREATE FUNCTION pg_temp.raw(m text, p text, key text, b text DEFAULT NULL, q text DEFAULT '') RETURNS jsonb
LANGUAGE sql AS $$
	SELECT h.body::jsonb FROM campaigns.http_handle(m, p, q,
		jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', 'application/json'), b) h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.req(text, text, text, text, text), pg_temp.raw(text, text, text, text, text) TO http72_gw;
SET ROLE http72_gw;

-- The owner's objects, all through HTTP.
SELECT status FROM pg_temp.req('POST', '/api/v1/aliases/', :'ka', '{"alias_id": "a1", "full_email": "a1@example.com"}');
SELECT pg_temp.raw('POST', '/api/v1/templates/', :'ka', '{"name": "t", "channel": "email", "subject": "Hi {{first_name|there}}", "body": "Hello"}') ->> 'template_id' AS t1 \gset
SELECT pg_temp.raw('POST', '/api/v1/datasets/', :'ka',
	'{"name": "d", "leads": [{"email": "l1@example.com", "first_name": "L1"}, {"email": "l2@example.com"}]}') ->> 'dataset_id' AS d1 \gset
\set body '{"name": "life", "dataset_id": "' :d1 '", "alias_ids": ["a1"], "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "' :t1 '"}]}, {"step": 2, "delay_days": 2, "variants": [{"label": "A", "template_id": "' :t1 '"}]}]}'
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'ka', :'body') ->> 'campaign_id' AS c1 \gset

-- Refused before launch (409), then launch (202), then launch again (409).
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/pause', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/resume', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/reset', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/launch', :'kb');
SELECT status, body::jsonb -> 'summary' AS summary, body::jsonb -> 'warnings' AS warnings,
	   body::jsonb -> 'campaign' ->> 'status' AS campaign_status
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/launch', :'ka', 'ignored: launch takes no body');
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/launch', :'ka');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1', :'ka');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c1', :'ka');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/campaigns/' || :'c1', :'ka', '{"steps": []}');

-- Enrolled leads, filters and paging, and another user's view (404).
RESET ROLE;
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
SET ROLE http72_gw;
SELECT status, jsonb_array_length(body::jsonb) FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads', :'ka');
SELECT status, jsonb_array_length(body::jsonb) FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads', :'ka', q => 'limit=1&offset=1');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads', :'ka', q => 'status=lost');
-- X-Total-Count: the rows the filters select, whatever the page.
SELECT h.status, h.headers ->> 'X-Total-Count' AS total, jsonb_array_length(h.body::jsonb) AS page
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/' || :'c1' || '/leads', 'limit=1',
	   jsonb_build_object('authorization', 'Bearer ' || :'ka'), NULL) h;
SELECT h.status, h.headers ->> 'X-Total-Count' AS total, h.body
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/' || :'c1' || '/leads', 'status=failed',
	   jsonb_build_object('authorization', 'Bearer ' || :'ka'), NULL) h;
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads', :'kb');
SELECT pg_temp.raw('GET', '/api/v1/campaigns/' || :'c1' || '/leads', :'ka') -> 0 ->> 'campaign_lead_id' AS cl1 \gset

-- A lead's events: record (201), read, refuse bad ones (422), other users (404).
SELECT status, body::jsonb ->> 'type' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'ka', '{"type": "opened"}');
SELECT status, jsonb_array_length(body::jsonb) > 0 AS has_events FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'ka', '{"type": "teleported", "x": 1}');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'ka', '{"type": ');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'kb');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/leads/' || :'cl1' || '/events', :'kb', '{"type": "replied"}');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/leads/00000000-0000-0000-0072-000000000099/events', :'ka');

-- Stats: the owner's counts; 404 for another user's key.
SELECT status, jsonb_typeof(body::jsonb) AS body_type FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/stats', :'ka');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/stats', :'kb');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/00000000-0000-0000-0072-000000000099/stats', :'ka');

-- Forecast: days default, bounds, parsing, other users.
SELECT status, body::jsonb ? 'next_send_at' OR body::jsonb ? 'days' AS has_plan FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka');
SELECT status FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka', q => 'days=1');
SELECT status FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka', q => 'days=90');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka', q => 'days=0');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka', q => 'days=91');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'ka', q => 'days=seven');
SELECT * FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c1' || '/forecast', :'kb', q => 'days=7');

-- Pause, resume, stop; other users cannot (404); refused changes (409).
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/pause', :'kb');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/pause', :'ka');
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/pause', :'ka');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/resume', :'ka');
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/unschedule', :'ka');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/pause', :'ka');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/stop', :'ka');
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/stop', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/stop', :'kb');

-- The playground review, and its 404 for others.
SELECT status FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/playground/review', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c1' || '/playground/review', :'kb');

-- A scheduled launch can be unscheduled (back to draft); a draft cannot.
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'ka',
	jsonb_set(jsonb_set(:'body'::jsonb, '{launch_type}', '"scheduled"'), '{start_date}', to_jsonb(to_char(now() + interval '7 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))::text) ->> 'campaign_id' AS c2 \gset
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/unschedule', :'ka');
SELECT status, body::jsonb ->> 'status' AS campaign_status
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/playground/review', :'ka');
SELECT status FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/launch', :'ka');
RESET ROLE;
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
SET ROLE http72_gw;
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c2', :'ka');
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/unschedule', :'kb');
SELECT status, body::jsonb ->> 'status' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/unschedule', :'ka');
SELECT status, body::jsonb ->> 'detail' FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/reset', :'ka');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c2', :'kb');

-- A failed launch is reset to draft (200); the failure is staged directly
-- (superuser, trigger off), as nothing in these tests makes enrolment fail.
RESET ROLE;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE campaigns.campaign SET status = 'failed', launch_error = 'staged' WHERE campaign_id = :'c2';
COMMIT;
SET ROLE http72_gw;
SELECT * FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/reset', :'kb');
SELECT status, body::jsonb ->> 'status' AS status_after, body::jsonb ->> 'launch_error' AS launch_error
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c2' || '/reset', :'ka');
SELECT status FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c2', :'ka');

-- A launch in which no lead is launchable: still 202 with the summary and
-- the warnings, and the campaign failed with the reason; reset works.
SELECT pg_temp.raw('POST', '/api/v1/datasets/', :'ka',
	'{"name": "no email", "leads": [{"linkedin_url": "https://li.example/in/n1"}, {"linkedin_url": "https://li.example/in/n2"}]}') ->> 'dataset_id' AS d3 \gset
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'ka', jsonb_set(:'body'::jsonb, '{dataset_id}', to_jsonb(:'d3'::text))::text) ->> 'campaign_id' AS c3 \gset
SELECT status, body::jsonb -> 'summary' AS summary, jsonb_array_length(body::jsonb -> 'warnings') AS warnings,
	   body::jsonb #>> '{warnings,0,code}' AS code, body::jsonb #>> '{campaign,status}' AS campaign_status,
	   body::jsonb #>> '{campaign,launch_error}' AS launch_error
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c3' || '/launch', :'ka');
SELECT status, body::jsonb ->> 'status' AS status_after, body::jsonb ->> 'launch_error' AS launch_error
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c3' || '/reset', :'ka');
SELECT status FROM pg_temp.req('DELETE', '/api/v1/campaigns/' || :'c3', :'ka');

RESET ROLE;
DROP OWNED BY http72_gw;
DROP ROLE http72_gw;
