-- The deliverability routes through campaigns.http_handle as the gateway's
-- role (SPEC §8, §11): the suppression list (create 201, list with filters
-- and X-Total-Count, get, delete 204, import as JSON or text/csv), a lead's
-- pause, resume and remove, the new lead events and campaign fields, each
-- error status, and another user's key on every route (404, as for a
-- missing id).  Users: 00000000-0000-0000-0074-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE ROLE http74_gw;
GRANT campaigns_gateway TO http74_gw;
SELECT campaigns.api_key_create('00000000-0000-0000-0074-00000000000a', 'owner') AS ka,
	   campaigns.api_key_create('00000000-0000-0000-0074-00000000000b', 'other') AS kb \gset
UPDATE campaigns.api_key SET rate_limit_per_minute = 0 WHERE user_id::text LIKE '00000000-0000-0000-0074-%';

-- req(method, path, key, body, content type, query): status, the headers a
-- client acts on, the body with ids and times masked.
CREATE FUNCTION pg_temp.req(m text, p text, key text, b text DEFAULT NULL, ct text DEFAULT 'application/json', q text DEFAULT '')
RETURNS TABLE(status int, hdrs text, body text) LANGUAGE sql AS $$
	SELECT h.status,
		   (SELECT string_agg(k || '=' || v, ' ' ORDER BY k) FROM jsonb_each_text(h.headers) x(k, v)
			 WHERE k IN ('Allow', 'X-Total-Count', 'Content-Type')),
		   regexp_replace(regexp_replace(h.body,
				'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
				'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g')
	  FROM campaigns.http_handle(m, p, q,
			jsonb_strip_nulls(jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', ct)), b) h
$$;
CREATE FUNCTION pg_temp.raw(m text, p text, key text, b text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT h.body::jsonb FROM campaigns.http_handle(m, p, '',
		jsonb_build_object('authorization', 'Bearer ' || key, 'content-type', 'application/json'), b) h
$$;
GRANT EXECUTE ON FUNCTION pg_temp.req(text, text, text, text, text, text), pg_temp.raw(text, text, text, text) TO http74_gw;
SET ROLE http74_gw;

----------------------------------------------------------------------------
-- The suppression list.
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', :'ka', '{"kind": "email", "value": " Who@Else.example ", "source": "crm"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions', :'ka', '{"kind": "domain", "value": "@Blocked.example"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', :'ka', '{"kind": "email", "value": "who@else.example"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', :'ka', '{"kind": "url", "value": "x", "extra": true}');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', :'ka', 'kind=email', 'application/x-www-form-urlencoded');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', :'ka', '{"kind": ');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/', NULL, '{"kind": "email", "value": "a@b.example"}');
-- import: a JSON array, or text/csv; all or nothing, duplicates merged.
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka',
	'[{"kind": "email", "value": "imp@x.example"}, {"kind": "email", "value": "IMP@x.example"}, {"kind": "email", "value": "who@else.example"}]');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka',
	E'kind,value,reason\nlinkedin_url,https://www.linkedin.com/in/Csv-Person/,unsubscribed\ndomain,csv.example,\n', 'text/csv; charset=utf-8');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka',
	E'kind,value\nemail,fine@x.example\nemail,broken\n', 'text/csv');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka', '[{"kind": "email", "value": "fine@x.example"}, {"kind": "fax"}]');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka', '{"kind": "email", "value": "a@b.example"}');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka', 'x', 'text/plain');
SELECT * FROM pg_temp.req('POST', '/api/v1/suppressions/import', :'ka', NULL);
-- list: newest first, filters, paging, X-Total-Count.
SELECT status, hdrs, (SELECT jsonb_agg(s ->> 'value' ORDER BY s ->> 'value') FROM jsonb_array_elements(body::jsonb) s) AS values
  FROM pg_temp.req('GET', '/api/v1/suppressions/', :'ka');
SELECT q, status, hdrs, CASE WHEN jsonb_typeof(body::jsonb) = 'array'
	   THEN (SELECT jsonb_agg(s ->> 'value' ORDER BY s ->> 'value') FROM jsonb_array_elements(body::jsonb) s) ELSE body::jsonb END AS values
  FROM (VALUES ('kind=email'), ('reason=manual&kind=domain'), ('value=ELSE'), ('limit=2&offset=4'), ('kind=phone&limit=0')) t(q),
	   LATERAL pg_temp.req('GET', '/api/v1/suppressions/', :'ka', q => q);
SELECT status, hdrs, body FROM pg_temp.req('GET', '/api/v1/suppressions/', :'kb');
-- one entry: get, delete (204), then 404; another user's key gets 404.
SELECT (s ->> 'suppression_id') AS sup FROM jsonb_array_elements(pg_temp.raw('GET', '/api/v1/suppressions/', :'ka')) s
 WHERE s ->> 'value' = 'imp@x.example' \gset
SELECT * FROM pg_temp.req('GET', '/api/v1/suppressions/' || :'sup', :'ka');
SELECT * FROM pg_temp.req('GET', '/api/v1/suppressions/' || :'sup', :'kb');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/suppressions/' || :'sup', :'kb');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/suppressions/' || :'sup', :'ka');
SELECT * FROM pg_temp.req('DELETE', '/api/v1/suppressions/' || :'sup', :'ka');
SELECT * FROM pg_temp.req('GET', '/api/v1/suppressions/' || :'sup', :'ka');
SELECT * FROM pg_temp.req('PATCH', '/api/v1/suppressions/' || :'sup', :'ka', '{}');
SELECT * FROM pg_temp.req('GET', '/api/v1/suppressions/not-an-id', :'ka');

----------------------------------------------------------------------------
-- A campaign with the new fields, launched: a suppressed lead is skipped.
SELECT status FROM pg_temp.req('POST', '/api/v1/aliases/', :'ka', '{"alias_id": "h74", "full_email": "h74@example.com"}');
SELECT pg_temp.raw('POST', '/api/v1/templates/', :'ka', '{"name": "t", "channel": "email", "body": "Hello"}') ->> 'template_id' AS t \gset
SELECT pg_temp.raw('POST', '/api/v1/datasets/', :'ka',
	'{"name": "d", "leads": [{"email": "l1@acme.example"}, {"email": "l2@acme.example"}, {"email": "l3@blocked.example"}]}') ->> 'dataset_id' AS d \gset
\set body '{"name": "deliv", "dataset_id": "' :d '", "alias_ids": ["h74"], "stop_on_reply": "company", "max_bounce_rate": 3, "bounce_window": 50, "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "' :t '"}]}]}'
SELECT status, body::jsonb ->> 'stop_on_reply' AS stop_on_reply, body::jsonb ->> 'max_bounce_rate' AS max_bounce_rate,
	   body::jsonb ->> 'bounce_window' AS bounce_window
  FROM pg_temp.req('POST', '/api/v1/campaigns/', :'ka', :'body');
SELECT pg_temp.raw('POST', '/api/v1/campaigns/', :'ka', :'body') ->> 'campaign_id' AS c \gset
SELECT * FROM pg_temp.req('PATCH', '/api/v1/campaigns/' || :'c', :'ka', '{"stop_on_reply": "everyone", "bounce_window": 10001}');
SELECT status, body::jsonb -> 'summary' AS summary, body::jsonb #> '{warnings,0,code}' AS code, body::jsonb #> '{warnings,0,email}' AS email
  FROM pg_temp.req('POST', '/api/v1/campaigns/' || :'c' || '/launch', :'ka');
SELECT (l ->> 'campaign_lead_id') AS cl1 FROM jsonb_array_elements(pg_temp.raw('GET', '/api/v1/campaigns/' || :'c' || '/leads', :'ka')) l
 WHERE l ->> 'email' = 'l1@acme.example' \gset
SELECT (l ->> 'campaign_lead_id') AS cl2 FROM jsonb_array_elements(pg_temp.raw('GET', '/api/v1/campaigns/' || :'c' || '/leads', :'ka')) l
 WHERE l ->> 'email' = 'l2@acme.example' \gset

----------------------------------------------------------------------------
-- A lead's pause, resume and remove (200 with the lead; 409 when its status
-- does not allow it; 404 for another user's key or ids).
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/pause', :'c', :'cl1'), :'ka');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/pause', :'c', :'cl1'), :'ka');
SELECT status, hdrs, body FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c' || '/leads', :'ka', q => 'status=paused');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/resume', :'c', :'cl1'), :'kb');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/resume', :'c', :'cl1'), :'ka');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/resume', :'c', :'cl1'), :'ka');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/remove', :'c', gen_random_uuid()), :'ka');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/remove', gen_random_uuid(), :'cl1'), :'ka');
SELECT * FROM pg_temp.req('GET', format('/api/v1/campaigns/%s/leads/%s/remove', :'c', :'cl1'), :'ka');
-- the new events: auto_reply with resume_at (201; resume_at on another
-- type is 422); a reply stops the company (stop_on_reply company).
SELECT status, body::jsonb ->> 'type' AS type, body::jsonb ->> 'resume_at' AS resume_at
  FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/events', :'c', :'cl1'), :'ka',
				   '{"type": "auto_reply", "resume_at": "2031-02-03T04:05:06Z"}');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/events', :'c', :'cl1'), :'ka',
						  '{"type": "soft_bounce", "resume_at": "2031-02-03T04:05:06Z"}');
SELECT status, body::jsonb ->> 'type' AS type FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/events', :'c', :'cl2'), :'ka', '{"type": "replied"}');
SELECT status, (SELECT jsonb_agg(jsonb_build_array(l ->> 'email', l ->> 'status', l ->> 'stop_reason') ORDER BY l ->> 'email')
				  FROM jsonb_array_elements(body::jsonb) l) AS leads
  FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c' || '/leads', :'ka');
SELECT status, body::jsonb ->> 'status' AS campaign_status, body::jsonb ->> 'processed_leads' AS processed
  FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c', :'ka');
SELECT * FROM pg_temp.req('POST', format('/api/v1/campaigns/%s/leads/%s/remove', :'c', :'cl1'), :'ka');
SELECT status, body::jsonb -> 'leads' AS leads, body::jsonb -> 'events' AS events FROM pg_temp.req('GET', '/api/v1/campaigns/' || :'c' || '/stats', :'ka');

----------------------------------------------------------------------------
-- The OpenAPI document names every new route.
SELECT p AS path, jsonb_object_keys(d -> 'paths' -> p) AS method
  FROM (SELECT pg_temp.raw('GET', '/api/v1/openapi.json', NULL) AS d) x,
	   LATERAL jsonb_object_keys(x.d -> 'paths') p
 WHERE p LIKE '/api/v1/suppressions%' OR p LIKE '%/leads/{campaign_lead_id}/%'
 ORDER BY 1, 2;
RESET ROLE;
DROP OWNED BY http74_gw;
DROP ROLE http74_gw;
