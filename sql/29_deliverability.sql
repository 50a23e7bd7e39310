-- Deliverability (SPEC §11): the suppression list (canonical values, the
-- API, JSON and CSV import, automatic entries, enrolment and the
-- dispatcher's claim), stop_on_reply, the lead events complained,
-- auto_reply and soft_bounce, bounce protection, and per-lead pause,
-- resume and remove with their effect on completion.  The tenant's calls
-- are made by a bound, non-superuser login role; ticks, claims and
-- outcomes by the owner, as the worker makes them.
-- Users 00000000-0000-0000-0027-...: A (...0a) the tenant, B (...0b) another.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS deliv27_tenant;
RESET client_min_messages;
CREATE ROLE deliv27_tenant LOGIN;
GRANT campaigns_user TO deliv27_tenant;
SELECT campaigns.role_bind('deliv27_tenant', '00000000-0000-0000-0027-00000000000a');

-- err(sql): the error sql raises, as "SQLSTATE | message | detail", or "no
-- error" (and then what it did is undone).
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
	BEGIN
		EXECUTE sql;
		RAISE EXCEPTION USING ERRCODE = 'CMOK0';
	EXCEPTION WHEN SQLSTATE 'CMOK0' THEN
		RETURN 'no error';
	END;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN st || ' | ' || regexp_replace(msg, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g')
		|| ' | ' || coalesce(det, '');
END $$;
-- ds(name, leads): a dataset of the caller's; camp(dataset, extra, steps):
-- a campaign of it (one alias, open all day every day, 60 s apart; steps
-- email steps 2 days apart), launched.
CREATE FUNCTION pg_temp.ds(name text, leads jsonb) RETURNS uuid LANGUAGE sql AS $$
	SELECT (campaigns.dataset_create(jsonb_build_object('name', name, 'leads', leads)) ->> 'dataset_id')::uuid
$$;
CREATE FUNCTION pg_temp.camp(ds uuid, extra jsonb DEFAULT '{}', nsteps int DEFAULT 1, launch boolean DEFAULT true) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	tpl text := (SELECT t ->> 'template_id' FROM jsonb_array_elements(campaigns.template_list('{}')) t LIMIT 1);
	cid uuid;
BEGIN
	cid := (campaigns.campaign_create(jsonb_build_object('name', 'c', 'dataset_id', ds, 'alias_ids', '["m27"]'::jsonb,
		'sending_window_start', '00:00', 'sending_window_end', '24:00', 'min_interval_seconds', 60,
		'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
		'steps', (SELECT jsonb_agg(jsonb_build_object('step', i, 'delay_days', (i - 1) * 2,
					'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', tpl))))
				   FROM generate_series(1, nsteps) i)) || extra) ->> 'campaign_id')::uuid;
	IF launch THEN
		PERFORM campaigns.campaign_launch(cid);
	END IF;
	RETURN cid;
END $$;
-- cl(campaign, email): the enrolled lead of that email.
CREATE FUNCTION pg_temp.cl(cid uuid, em text) RETURNS uuid LANGUAGE sql AS $$
	SELECT (l ->> 'campaign_lead_id')::uuid FROM jsonb_array_elements(campaigns.campaign_leads(cid, '{"limit": 100}')) l
	 WHERE l ->> 'email' = em
$$;
-- leads(campaign): its enrolled leads, by email.
CREATE FUNCTION pg_temp.leads(cid uuid) RETURNS TABLE (email text, status text, stop_reason text, step int)
LANGUAGE sql AS $$
	SELECT l ->> 'email', l ->> 'status', l ->> 'stop_reason', (l ->> 'current_step')::int
	  FROM jsonb_array_elements(campaigns.campaign_leads(cid, '{"limit": 100}')) l ORDER BY 1
$$;
-- ev(campaign, email, body): records a lead event; its type, or the error.
CREATE FUNCTION pg_temp.ev(cid uuid, em text, body jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text;
BEGIN
	RETURN campaigns.lead_event_record(cid, pg_temp.cl(cid, em), body) ->> 'type';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || SQLERRM || ' ' || coalesce(det, '');
END $$;
-- z(t): t as RFC 3339 in UTC.
CREATE FUNCTION pg_temp.z(t timestamptz) RETURNS text LANGUAGE sql AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
-- (the worker's part, as the owner) tick(campaign): the scheduler for that
-- campaign now; acts(campaign): its actions; sent(campaign): every queued
-- action of the campaign delivered now.
CREATE FUNCTION pg_temp.tick(cid uuid) RETURNS int LANGUAGE sql AS $$
	SELECT (campaigns._tick(now(), cid) ->> 'queued')::int
$$;
CREATE FUNCTION pg_temp.acts(cid uuid) RETURNS TABLE (email text, step int, state text, key_ok boolean, last_error text)
LANGUAGE sql AS $$
	SELECT l.email, a.step, a.state, a.idempotency_key = a.campaign_lead_id || ':' || a.step, a.last_error
	  FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id) JOIN campaigns.lead l USING (lead_id)
	 WHERE a.campaign_id = cid ORDER BY l.email, a.step
$$;
CREATE FUNCTION pg_temp.sent(cid uuid) RETURNS int LANGUAGE sql AS $$
	SELECT campaigns.action_record_outcomes(array_agg(action_id ORDER BY action_id), array_agg('sent'::text ORDER BY action_id),
										   NULL, NULL, NULL, NULL)
	  FROM campaigns.action WHERE campaign_id = cid AND state = 'queued'
$$;
CREATE FUNCTION pg_temp.camp_state(cid uuid) RETURNS TABLE (status text, paused_reason text, total int, processed int)
LANGUAGE sql AS $$
	SELECT status, paused_reason, total_leads, processed_leads FROM campaigns.campaign WHERE campaign_id = cid
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO deliv27_tenant;

-- The owner's setup of A and B: an alias and a template each.  (The
-- owner's session names A, so that its reads are A's: the bound role may
-- repeat its own user, SPEC §10.)
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000b';
SELECT campaigns.alias_create('{"alias_id": "m27", "full_email": "m27@b.example"}') IS NOT NULL AS b_alias,
	   campaigns.template_create('{"name": "t", "channel": "email", "body": "hi"}') IS NOT NULL AS b_template;
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT campaigns.current_user_id();
SELECT campaigns.alias_create('{"alias_id": "m27", "full_email": "m27@a.example"}') IS NOT NULL AS a_alias,
	   campaigns.template_create('{"name": "t", "channel": "email", "body": "hi"}') IS NOT NULL AS a_template;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- Canonical values (src/suppression.c).
SELECT k AS kind, v AS given, campaigns._suppression_value(k, v) AS canonical
  FROM (VALUES
	('email', '  John.Doe@Example.COM '), ('email', 'a@b.c'), ('email', 'a@b'), ('email', '@b.com'),
	('email', 'a@@b.com'), ('email', 'a b@c.com'), ('email', 'a@.com'), ('email', 'a@b.'),
	('domain', 'Example.COM'), ('domain', '@example.com'), ('domain', 'example.com.'), ('domain', ' sub.Example.co.uk '),
	('domain', 'münchen.de'), ('domain', 'x@example.com'), ('domain', 'localhost'), ('domain', '-bad.com'),
	('domain', 'bad-.com'), ('domain', 'a..com'), ('domain', 'exa_mple.com'), ('domain', '@'), ('domain', 'a.b'),
	('linkedin_url', 'https://www.linkedin.com/in/John-Doe/'), ('linkedin_url', 'http://uk.linkedin.com/in/jane?trk=x#y'),
	('linkedin_url', 'LinkedIn.com/company/Acme'), ('linkedin_url', 'https://linkedin.com/in/jos%C3%A9'),
	('linkedin_url', 'https://linkedin.com/in/jos%c3%a9/'), ('linkedin_url', 'https://linkedin.com/in/a%2Fb'),
	('linkedin_url', 'https://linkedin.com/in/%7Ejo'), ('linkedin_url', 'https://m.linkedin.com./in/x//'),
	('linkedin_url', 'https://linkedin.com/'), ('linkedin_url', 'https://linkedin.com'), ('linkedin_url', 'linkedin.com?x'),
	('linkedin_url', 'https://evil-linkedin.com/in/x'), ('linkedin_url', 'https://linkedin.com.evil.com/in/x'),
	('linkedin_url', 'ftp://linkedin.com/in/x'), ('linkedin_url', 'linkedin.com:443/in/x'),
	('linkedin_url', 'https://www.linkedin.com/in/x y'), ('linkedin_url', 'https://li.example/1'),
	('phone', '+1 555')) t(k, v);
SELECT v AS email, campaigns._email_domain(v) AS domain
  FROM (VALUES ('John@Mail.Example.COM'), ('a@b@c.example'), ('nope'), ('x@localhost')) t(v);
-- Free-mail domains: entries, and "name.*" patterns (one or two short labels after the name).
SELECT d AS domain, campaigns._is_free_mail(d) AS free_mail
  FROM (VALUES ('gmail.com'), ('hotmail.com'), ('hotmail.co.uk'), ('yahoo.com.br'), ('gmx.net'), ('gmx.de'),
			   ('web.de'), ('mail.ru'), ('yandex.ru'), ('outlook.fr'), ('qq.com'), ('proton.me'),
			   ('live.nation.com'), ('outlookcorp.com'), ('acme.com'), ('gmail.co'), ('hotmail.example.org')) t(d);
SELECT count(*) >= 100 AS shipped_list, bool_and(domain = lower(domain)) AS lower_case FROM campaigns.free_mail_domain;

----------------------------------------------------------------------------
-- The suppression list through the API, as the tenant.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT s - 'suppression_id' - 'created_at' AS entry, s ->> 'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$' AS created_z
  FROM (VALUES (campaigns.suppression_create('{"kind": "email", "value": " Sup.Email@X.example "}')),
			   (campaigns.suppression_create('{"kind": "domain", "value": "@Blocked.EXAMPLE", "reason": "complained", "source": "crm"}')),
			   (campaigns.suppression_create('{"kind": "linkedin_url", "value": "https://www.linkedin.com/in/Sup-Li/?x=1", "reason": "unsubscribed", "source": null}'))) t(s);
-- The same entry in another spelling is a conflict that names it.
SELECT pg_temp.err($$SELECT campaigns.suppression_create('{"kind": "email", "value": "SUP.email@x.example", "reason": "bounced"}')$$) AS duplicate;
-- Validation: every error at once, Pydantic's shape; nothing written.
SELECT b AS body, pg_temp.err(format('SELECT campaigns.suppression_create(%L)', b)) AS error
  FROM (VALUES ('[]'), ('{}'), ('{"kind": "phone", "value": 5, "reason": "spam", "source": "", "x": 1}'),
			   ('{"kind": "email", "value": ""}'), ('{"kind": "email", "value": "not an address"}'),
			   ('{"kind": "domain", "value": "x@acme.example"}'), ('{"kind": "linkedin_url", "value": "https://example.com/in/x"}'),
			   ('{"kind": null, "value": null, "reason": null}'), ('{"kind": "email", "value": "a@b.example", "source": 7}')) t(b);
-- Boundaries: value 1..2048 characters, source 1..255 (or null).
SELECT n, pg_temp.err(format('SELECT campaigns.suppression_create(%L)',
		jsonb_build_object('kind', 'linkedin_url', 'value', 'linkedin.com/in/' || repeat('a', n - 16)))) AS value_length
  FROM (VALUES (2048), (2049)) t(n);
SELECT n, pg_temp.err(format('SELECT campaigns.suppression_create(%L)',
		jsonb_build_object('kind', 'email', 'value', 'src' || n || '@x.example', 'source', repeat('s', n)))) AS source_length
  FROM (VALUES (1), (255), (256)) t(n);
SELECT pg_temp.err(format('SELECT campaigns.suppression_create(%L)', jsonb_build_object('kind', 'email', 'value', repeat('a', 310) || '@x.example'))) AS email_320,
	   pg_temp.err(format('SELECT campaigns.suppression_create(%L)', jsonb_build_object('kind', 'email', 'value', repeat('a', 311) || '@x.example'))) AS email_321;
SELECT campaigns.suppression_count('{}') AS entries_nothing_written;
-- Reading: get, list (newest first; kind, reason, value substring), count.
SELECT (s ->> 'suppression_id')::uuid AS sup_li FROM jsonb_array_elements(campaigns.suppression_list('{"kind": "linkedin_url", "value": "sup-li"}')) s \gset
SELECT campaigns.suppression_get(:'sup_li') ->> 'value' AS got;
SELECT f AS filters, (SELECT jsonb_agg(s ->> 'value' ORDER BY s ->> 'value') FROM jsonb_array_elements(campaigns.suppression_list(f)) s) AS values,
	   campaigns.suppression_count(f) AS total
  FROM (VALUES ('{}'::jsonb), ('{"kind": "email", "limit": 2}'), ('{"kind": "email", "limit": 2, "offset": 2}'),
			   ('{"reason": "complained"}'), ('{"value": "X.EXAMPLE"}'), ('{"value": "_"}'), ('{"value": "%"}'),
			   ('{"kind": "domain", "reason": "manual"}')) t(f);
SELECT (SELECT array_agg(s ->> 'created_at' ORDER BY o) FROM jsonb_array_elements(campaigns.suppression_list('{}')) WITH ORDINALITY x(s, o))
	   = (SELECT array_agg(s ->> 'created_at' ORDER BY s ->> 'created_at' DESC, o) FROM jsonb_array_elements(campaigns.suppression_list('{}')) WITH ORDINALITY x(s, o)) AS newest_first;
SELECT f AS filters, pg_temp.err(format('SELECT campaigns.suppression_list(%L)', f)) AS error
  FROM (VALUES ('{"kind": "phone"}'::jsonb), ('{"reason": "spam", "limit": 0}'), ('{"offset": -1, "limit": 101}')) t(f);
SELECT pg_temp.err(format('SELECT campaigns.suppression_count(%L)', '{"kind": "phone"}')) AS count_error;
-- Deleting: gone, then not found like a missing id.
SELECT campaigns.suppression_delete(:'sup_li') AS deleted;
SELECT pg_temp.err(format('SELECT campaigns.suppression_delete(%L)', :'sup_li')) AS second_delete,
	   pg_temp.err(format('SELECT campaigns.suppression_get(%L)', :'sup_li')) AS get_deleted,
	   pg_temp.err(format('SELECT campaigns.suppression_get(%L)', gen_random_uuid())) AS get_missing,
	   pg_temp.err(format('SELECT campaigns.suppression_delete(%L)', gen_random_uuid())) AS delete_missing;
SELECT campaigns.suppression_create('{"kind": "linkedin_url", "value": "linkedin.com/in/sup-li", "reason": "unsubscribed"}') ->> 'value' AS again;
-- The tenant reads its own entries directly (row-level security) and
-- writes none.
SELECT count(*) AS own_rows, count(*) FILTER (WHERE user_id <> campaigns.current_user_id()) AS others FROM campaigns.suppression;
SELECT pg_temp.err($$INSERT INTO campaigns.suppression (user_id, kind, value, reason) VALUES (campaigns.current_user_id(), 'email', 'x@y.example', 'manual')$$) AS direct_insert,
	   pg_temp.err($$DELETE FROM campaigns.suppression$$) AS direct_delete,
	   (SELECT count(*) > 0 FROM campaigns.free_mail_domain) AS reads_free_mail;

----------------------------------------------------------------------------
-- Bulk import: JSON, all or nothing, duplicates merged.
SELECT campaigns.suppression_import('[
	{"kind": "email", "value": "Imp1@x.example", "reason": "bounced", "source": "old-tool"},
	{"kind": "email", "value": "imp1@X.example", "reason": "manual"},
	{"kind": "email", "value": "sup.email@x.example"},
	{"kind": "domain", "value": "imp.example"}]') AS imported;
SELECT s ->> 'value' AS value, s ->> 'reason' AS reason, s ->> 'source' AS source
  FROM jsonb_array_elements(campaigns.suppression_list('{"value": "imp"}')) s ORDER BY 1;
SELECT campaigns.suppression_count('{}') AS before_bad_import;
SELECT pg_temp.err($$SELECT campaigns.suppression_import('[
	{"kind": "email", "value": "fine@x.example"},
	{"kind": "fax", "value": "x"},
	{"kind": "domain", "value": "no@pe.example"},
	"entry",
	{"kind": "email", "value": "ok2@x.example", "why": 1},
	{"value": "a@b.example"}]')$$) AS bad_import;
SELECT campaigns.suppression_count('{}') AS after_bad_import, campaigns.suppression_count('{"value": "fine@"}') AS fine_not_written;
SELECT pg_temp.err($$SELECT campaigns.suppression_import('{"kind": "email"}')$$) AS not_a_list,
	   pg_temp.err(format('SELECT campaigns.suppression_import(%L)',
		(SELECT jsonb_agg(jsonb_build_object('kind', 'email', 'value', 'n' || i || '@x.example')) FROM generate_series(1, 50001) i))) AS too_many,
	   campaigns.suppression_import('[]') AS empty;
-- CSV: a header row (kind, value, reason, source); empty cells are absent.
SELECT campaigns.suppression_import_csv(E'kind,value,reason,source\r\nemail,Csv1@x.example,unsubscribed,\r\ndomain,csv.example,,list\n\nlinkedin_url,"https://linkedin.com/in/csv,one",manual,\nemail,csv1@x.example,,\n') AS csv_import;
SELECT s ->> 'kind' AS kind, s ->> 'value' AS value, s ->> 'reason' AS reason, s ->> 'source' AS source
  FROM jsonb_array_elements(campaigns.suppression_list('{"value": "csv"}')) s ORDER BY 2;
SELECT c AS csv, pg_temp.err(format('SELECT campaigns.suppression_import_csv(%L)', c)) AS error
  FROM (VALUES (E'kind,value,colour\nemail,x@x.example,red\nphone,123,\n'), (E'kind,value\nemail,"unterminated\n'),
			   (E'kind,value\nemail,a@x.example,extra\n'), (E'value\nb@x.example\n'), (E'')) t(c);
SELECT campaigns.suppression_import_csv(E'kind,value\n') AS header_only;
-- Paging through the list: offset and limit, the count unaffected.  (Entries
-- made at one instant are in suppression_id order.)
SELECT f AS filters, jsonb_array_length(campaigns.suppression_list(f)) AS rows, campaigns.suppression_count(f) AS total
  FROM (VALUES ('{"limit": 3}'::jsonb), ('{"limit": 3, "offset": 3}'), ('{"limit": 3, "offset": 6}'), ('{"offset": 8}'),
			   ('{"kind": "email", "limit": 1, "offset": 1}')) t(f);
SELECT campaigns.suppression_list('{"limit": 3}') || campaigns.suppression_list('{"limit": 3, "offset": 3}')
	   || campaigns.suppression_list('{"limit": 3, "offset": 6}') = campaigns.suppression_list('{}') AS pages_make_the_list;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- Another user's list never applies (and the tenant never sees it).
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000b';
SELECT campaigns.suppression_create('{"kind": "email", "value": "shared@share.example"}') ->> 'value' AS b_entry,
	   campaigns.suppression_create('{"kind": "email", "value": "sup.email@x.example"}') ->> 'value' AS b_same_as_a;
SELECT pg_temp.err(format('SELECT campaigns.suppression_get(%L)', (SELECT suppression_id FROM campaigns.suppression
		WHERE user_id = '00000000-0000-0000-0027-00000000000a' LIMIT 1))) AS b_reads_a;
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT count(*) AS a_sees_b FROM campaigns.suppression WHERE value = 'shared@share.example';
SELECT pg_temp.ds('shared', '[{"email": "shared@share.example"}]') AS ds_shared \gset
SELECT pg_temp.camp(:'ds_shared') AS c_shared \gset
SELECT campaigns.campaign_get(:'c_shared') ->> 'total_leads' AS enrolled_despite_b;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.tick(:'c_shared') AS queued;
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_shared';
SELECT count(*) AS claimed_despite_b FROM campaigns._dispatch_claim(1, 60000);
SELECT * FROM pg_temp.acts(:'c_shared');

----------------------------------------------------------------------------
-- Enrolment skips suppressed leads, warning code suppressed, counted like
-- the other skipped leads.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ds('enrol', '[{"email": "ok1@enrol.example"}, {"email": "SUP.EMAIL@x.example"},
	{"email": "someone@blocked.example"}, {"email": "ok2@enrol.example", "linkedin_url": "http://linkedin.com/in/sup-li"},
	{"linkedin_url": "https://linkedin.com/in/nobody"}, {"email": "ok3@sub.blocked.example"}]') AS ds_enrol \gset
SELECT pg_temp.camp(:'ds_enrol', launch => false) AS c_enrol \gset
SELECT r -> 'summary' AS summary, r #>> '{campaign,total_leads}' AS total_leads,
	   (SELECT jsonb_agg(jsonb_build_object('email', w -> 'email', 'code', w -> 'code', 'message', w -> 'message') ORDER BY w ->> 'email')
		  FROM jsonb_array_elements(r -> 'warnings') w) AS warnings
  FROM campaigns.campaign_launch(:'c_enrol') r;
SELECT email, status FROM pg_temp.leads(:'c_enrol');
-- A dataset whose every lead is suppressed fails its launch, saying so.
SELECT pg_temp.camp(pg_temp.ds('all suppressed', '[{"email": "sup.email@x.example"}, {"email": "x@blocked.example"}]'), launch => false) AS c_none \gset
SELECT r #>> '{campaign,status}' AS status, r #>> '{campaign,launch_error}' AS launch_error, r -> 'summary' AS summary
  FROM campaigns.campaign_launch(:'c_none') r;
SELECT pg_temp.camp(pg_temp.ds('one suppressed', '[{"email": "sup.email@x.example"}, {"linkedin_url": "https://linkedin.com/in/x"}]'), launch => false) AS c_mix \gset
SELECT r #>> '{campaign,launch_error}' AS launch_error FROM campaigns.campaign_launch(:'c_mix') r;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- At claim: an entry added after enrolment cancels the action and stops
-- the lead (suppressed); the campaign completes when that was its last.
SELECT pg_temp.tick(:'c_enrol') AS queued;
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_enrol';
SELECT * FROM pg_temp.acts(:'c_enrol');
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT campaigns.suppression_create('{"kind": "domain", "value": "enrol.example"}') ->> 'value' AS added_later;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS claimed FROM campaigns._dispatch_claim(1, 60000);
SELECT * FROM pg_temp.acts(:'c_enrol');
SELECT * FROM pg_temp.leads(:'c_enrol');
SELECT * FROM pg_temp.camp_state(:'c_enrol');
-- The last lead's action in flight past its lease, then suppressed:
-- cancelled at the re-claim, and the campaign completes.
SELECT campaigns._queue_due(now() + interval '61 seconds', :'c_enrol') AS queued_next;
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_enrol' AND state = 'queued';
SELECT body::jsonb #>> '{lead,email}' AS in_flight FROM campaigns._dispatch_claim(1, 60000);
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT campaigns.suppression_create('{"kind": "email", "value": "ok3@sub.blocked.example"}') ->> 'value' AS added_in_flight;
RESET SESSION AUTHORIZATION;
UPDATE campaigns.action SET next_attempt_at = '2000-01-01', lease_until = '2000-01-01' WHERE campaign_id = :'c_enrol' AND state = 'in_flight';
SELECT count(*) AS reclaimed FROM campaigns._dispatch_claim(1, 60000);
SELECT * FROM pg_temp.acts(:'c_enrol');
SELECT * FROM pg_temp.camp_state(:'c_enrol');

----------------------------------------------------------------------------
-- Automatic entries: bounced, unsubscribed and complained add the lead's
-- address (reason the event, source event:<id>); the other events none.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ds('auto', '[{"email": "bo@auto.example"}, {"email": "un@auto.example"}, {"email": "co@auto.example"},
	{"email": "sb@auto.example"}, {"email": "re@auto.example"}, {"email": "ar@auto.example"}, {"email": "op@auto.example"},
	{"email": "kept@auto.example"}]') AS ds_auto \gset
SELECT pg_temp.camp(:'ds_auto') AS c_auto \gset
-- (an entry made after the launch, which a bounce then leaves as it is)
SELECT campaigns.suppression_create('{"kind": "email", "value": "kept@auto.example", "source": "mine"}') ->> 'reason' AS kept;
SELECT e AS email, t AS type, pg_temp.ev(:'c_auto', e, jsonb_build_object('type', t)) AS recorded
  FROM (VALUES ('bo@auto.example', 'bounced'), ('un@auto.example', 'unsubscribed'), ('co@auto.example', 'complained'),
			   ('sb@auto.example', 'soft_bounce'), ('re@auto.example', 'replied'), ('ar@auto.example', 'auto_reply'),
			   ('op@auto.example', 'opened'), ('kept@auto.example', 'bounced')) t(e, t);
SELECT s ->> 'value' AS value, s ->> 'reason' AS reason,
		   s ->> 'source' = 'event:' || (SELECT max(e.event_id) FROM campaigns.event e
			JOIN campaigns.campaign_lead cl USING (campaign_lead_id) JOIN campaigns.lead l USING (lead_id)
		   WHERE l.email = s ->> 'value') AS source_is_its_event
  FROM jsonb_array_elements(campaigns.suppression_list('{"value": "@auto.example"}')) s ORDER BY 1;
SELECT * FROM pg_temp.leads(:'c_auto');
-- An event on a finished lead still suppresses; an entry already there is kept.
SELECT pg_temp.ev(:'c_auto', 're@auto.example', '{"type": "unsubscribed"}') AS late_unsubscribe;
SELECT s ->> 'value' AS value, s ->> 'reason' AS reason FROM jsonb_array_elements(campaigns.suppression_list('{"value": "re@auto"}')) s;
-- A lead with an email: the email (not its LinkedIn URL); one without: its LinkedIn URL.
SELECT pg_temp.camp(pg_temp.ds('li auto', '[{"email": "nobody@liauto.example", "linkedin_url": "https://linkedin.com/in/has-mail"}]')) AS c_li_mail \gset
SELECT pg_temp.ev(:'c_li_mail', 'nobody@liauto.example', '{"type": "unsubscribed"}') AS unsubscribed_with_email;
SELECT count(*) FILTER (WHERE kind = 'email') AS email_entries, count(*) FILTER (WHERE kind = 'linkedin_url') AS url_entries
  FROM campaigns.suppression WHERE value IN ('nobody@liauto.example', 'linkedin.com/in/has-mail');
RESET SESSION AUTHORIZATION;
-- (a LinkedIn-only lead, as the owner would have it: linkedin steps)
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SELECT campaigns.connected_account_create('{"name": "li27"}') ->> 'connected_account_id' AS acct \gset
SELECT pg_temp.ds('li only', '[{"linkedin_url": "https://www.linkedin.com/in/Only-Li/"}]') AS ds_li \gset
SELECT (campaigns.campaign_create(jsonb_build_object('name', 'li', 'type', 'linkedin', 'dataset_id', :'ds_li',
		'connected_account_id', :'acct', 'steps', '[{"step": 1, "action_type": "profile_visit"}]'::jsonb)) ->> 'campaign_id') AS c_li \gset
SELECT campaigns.campaign_launch(:'c_li') #>> '{campaign,status}' AS li_status;
SELECT campaigns.lead_event_record(:'c_li', (SELECT campaign_lead_id FROM campaigns.campaign_lead WHERE campaign_id = :'c_li'),
	'{"type": "unsubscribed"}') ->> 'type' AS li_unsubscribed;
SELECT kind, value, reason FROM campaigns.suppression WHERE value LIKE 'linkedin.com/in/only-li%';
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';

----------------------------------------------------------------------------
-- stop_on_reply.
SET SESSION AUTHORIZATION deliv27_tenant;
-- lead (the default): only the lead that replied.
SELECT pg_temp.camp(pg_temp.ds('lead scope', '[{"email": "a@scope.example"}, {"email": "b@scope.example"}]')) AS c_lead \gset
SELECT campaigns.campaign_get(:'c_lead') ->> 'stop_on_reply' AS default_scope;
SELECT pg_temp.ev(:'c_lead', 'a@scope.example', '{"type": "replied"}') AS replied;
SELECT * FROM pg_temp.leads(:'c_lead');
-- company: the campaign's other leads of the same domain (any case), not of
-- its subdomains or other domains; free-mail domains are no company.
SELECT pg_temp.ds('company', '[{"email": "a@acme.example"}, {"email": "b@acme.example"}, {"email": "C@ACME.example"},
	{"email": "d@other.example"}, {"email": "e@gmail.com"}, {"email": "f@gmail.com"}, {"email": "g@sub.acme.example"},
	{"email": "h@acme.example"}, {"email": "i@hotmail.co.uk"}, {"email": "j@hotmail.co.uk"}]') AS ds_company \gset
SELECT pg_temp.camp(:'ds_company', '{"stop_on_reply": "company"}', 2) AS c_company \gset
RESET SESSION AUTHORIZATION;
SELECT pg_temp.tick(:'c_company') AS queued;
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT campaigns.campaign_lead_pause(:'c_company', pg_temp.cl(:'c_company', 'h@acme.example')) ->> 'status' AS h_paused;
SELECT pg_temp.ev(:'c_company', 'b@acme.example', '{"type": "replied"}') AS acme_replied;
SELECT pg_temp.ev(:'c_company', 'e@gmail.com', '{"type": "replied"}') AS gmail_replied;
SELECT pg_temp.ev(:'c_company', 'i@hotmail.co.uk', '{"type": "replied"}') AS hotmail_replied;
SELECT * FROM pg_temp.leads(:'c_company');
SELECT * FROM pg_temp.camp_state(:'c_company');
RESET SESSION AUTHORIZATION;
SELECT email, step, state FROM pg_temp.acts(:'c_company') WHERE email LIKE '%acme.example' OR email LIKE 'e@%';
-- The last leads finish: the campaign completes.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ev(:'c_company', e, '{"type": "replied"}') AS replied
  FROM (VALUES ('d@other.example'), ('f@gmail.com'), ('g@sub.acme.example')) t(e);
SELECT * FROM pg_temp.camp_state(:'c_company');
SELECT pg_temp.ev(:'c_company', 'j@hotmail.co.uk', '{"type": "replied"}') AS last_replied;
SELECT * FROM pg_temp.camp_state(:'c_company');
-- all_campaigns: the same email in the user's other campaigns (not another
-- user's); a reply in a campaign of scope lead stops nothing elsewhere.
SELECT pg_temp.camp(pg_temp.ds('all 1', '[{"email": "Same@all.example"}, {"email": "other@all.example"}]'), '{"stop_on_reply": "all_campaigns"}') AS c_all1 \gset
SELECT pg_temp.camp(pg_temp.ds('all 2', '[{"email": "same@ALL.example"}]')) AS c_all2 \gset
SELECT pg_temp.camp(pg_temp.ds('all 3', '[{"email": "same@all.example"}, {"email": "else@all.example"}]')) AS c_all3 \gset
RESET SESSION AUTHORIZATION;
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000b';
SELECT pg_temp.camp(pg_temp.ds('b all', '[{"email": "same@all.example"}]')) AS c_all_b \gset
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SELECT pg_temp.tick(:'c_all2') AS queued_c2;
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ev(:'c_all3', 'same@all.example', '{"type": "replied"}') AS replied_in_lead_scope;
SELECT 'c_all1' AS c, * FROM pg_temp.leads(:'c_all1');
SELECT pg_temp.ev(:'c_all1', 'Same@all.example', '{"type": "replied"}') AS replied_in_all_scope;
SELECT 'c_all1' AS c, * FROM pg_temp.leads(:'c_all1') UNION ALL SELECT 'c_all2', * FROM pg_temp.leads(:'c_all2')
 UNION ALL SELECT 'c_all3', * FROM pg_temp.leads(:'c_all3');
SELECT 'c_all2' AS c, * FROM pg_temp.camp_state(:'c_all2') UNION ALL SELECT 'c_all3', * FROM pg_temp.camp_state(:'c_all3');
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.acts(:'c_all2');
SELECT status, stop_reason FROM campaigns.campaign_lead WHERE campaign_id = :'c_all_b';

----------------------------------------------------------------------------
-- auto_reply: no stop; with resume_at the next step waits until then (a
-- queued step goes back, and comes again, same action, at resume_at).
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.camp(pg_temp.ds('ooo', '[{"email": "plain@ooo.example"}, {"email": "back@ooo.example"}, {"email": "past@ooo.example"}]'), nsteps => 2) AS c_ooo \gset
RESET SESSION AUTHORIZATION;
-- (one lane: the first lead, plain@, is queued now)
SELECT pg_temp.tick(:'c_ooo') AS queued;
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ev(:'c_ooo', 'plain@ooo.example', '{"type": "auto_reply"}') AS without_resume_at;
SELECT * FROM pg_temp.leads(:'c_ooo');
RESET SESSION AUTHORIZATION;
SELECT email, step, state FROM pg_temp.acts(:'c_ooo');
SELECT pg_temp.sent(:'c_ooo') AS sent;
-- Its step 2 is due two local days after the send; an auto-reply back in
-- ten days holds it until then.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT e ->> 'type' AS type, (e ->> 'resume_at')::timestamptz = date_trunc('second', now()) + interval '10 days' AS resume_at_kept
  FROM campaigns.lead_event_record(:'c_ooo', pg_temp.cl(:'c_ooo', 'plain@ooo.example'),
		jsonb_build_object('type', 'auto_reply', 'resume_at', pg_temp.z(date_trunc('second', now()) + interval '10 days'))) e;
RESET SESSION AUTHORIZATION;
SELECT cl.status, cl.current_step, cl.eligible_at = cl.resume_at AS waits_for_resume, cl.resume_at - now() > interval '9 days' AS ten_days
  FROM campaigns.campaign_lead cl WHERE cl.campaign_lead_id = pg_temp.cl(:'c_ooo', 'plain@ooo.example');
-- A queued step goes back to wait: back@'s step 1, queued a minute later,
-- and an auto-reply saying it is back in an hour.
SELECT campaigns._queue_due(now() + interval '61 seconds', :'c_ooo') AS queued;
SELECT email, step, state FROM pg_temp.acts(:'c_ooo');
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ev(:'c_ooo', 'back@ooo.example', jsonb_build_object('type', 'auto_reply', 'resume_at', pg_temp.z(now() + interval '1 hour'))) AS back_in_an_hour;
RESET SESSION AUTHORIZATION;
SELECT email, step, state FROM pg_temp.acts(:'c_ooo') WHERE email = 'back@ooo.example';
SELECT cl.status, cl.eligible_at = cl.resume_at AS waits FROM campaigns.campaign_lead cl
 WHERE cl.campaign_lead_id = pg_temp.cl(:'c_ooo', 'back@ooo.example');
-- The lane goes to the next lead; back@ comes again (the same action) once it is back.
SELECT campaigns._queue_due(now() + interval '3 minutes', :'c_ooo') AS queued_before_resume;
SELECT email, step, state FROM pg_temp.acts(:'c_ooo');
SELECT campaigns._queue_due(now() + interval '65 minutes', :'c_ooo') AS queued_after_resume;
SELECT email, step, state, key_ok FROM pg_temp.acts(:'c_ooo');
-- resume_at in the past delays nothing; resume_at on another type, or not a
-- date-time, is refused.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.ev(:'c_ooo', 'past@ooo.example', '{"type": "auto_reply", "resume_at": "2001-01-01T00:00:00Z"}') AS past_resume;
SELECT (SELECT count(*) FROM campaigns.action WHERE campaign_lead_id = pg_temp.cl(:'c_ooo', 'past@ooo.example') AND state = 'queued') AS still_queued;
SELECT pg_temp.ev(:'c_ooo', 'past@ooo.example', b) AS refused
  FROM (VALUES ('{"type": "replied", "resume_at": "2031-01-01T00:00:00Z"}'::jsonb), ('{"type": "auto_reply", "resume_at": "tomorrow"}'),
			   ('{"type": "auto_reply", "resume_at": 5}'), ('{"type": "soft_bounce", "resume_at": null}')) t(b);
SELECT * FROM pg_temp.leads(:'c_ooo');
SELECT jsonb_path_query_array(campaigns.lead_events(:'c_ooo', pg_temp.cl(:'c_ooo', 'past@ooo.example')), '$[*].type') AS timeline;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- soft_bounce and complained; the stats count every event type.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.camp(pg_temp.ds('soft', '[{"email": "soft@soft.example"}, {"email": "comp@soft.example"}]')) AS c_soft \gset
SELECT pg_temp.ev(:'c_soft', 'soft@soft.example', '{"type": "soft_bounce"}') AS soft, pg_temp.ev(:'c_soft', 'comp@soft.example', '{"type": "complained"}') AS complained;
SELECT * FROM pg_temp.leads(:'c_soft');
SELECT s ->> 'value' AS value, s ->> 'reason' AS reason FROM jsonb_array_elements(campaigns.suppression_list('{"value": "@soft.example"}')) s;
SELECT j -> 'events' AS events, j -> 'leads' AS leads FROM campaigns.campaign_stats(:'c_soft') j;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- Bounce protection: over the last bounce_window email sends (at least
-- 20), a bounce rate above max_bounce_rate pauses the campaign
-- (bounce_rate_exceeded) with a notification.
-- bounce(tag, n_leads, window, max, sends): an active campaign of n leads
-- with 25 aliases (25 sends a tick), `sends` of them sent (fewer than n:
-- a campaign whose last lead finished is completed, and nothing pauses it).
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SELECT count(campaigns.alias_create(jsonb_build_object('alias_id', 'b' || i, 'full_email', 'b' || i || '@a.example'))) AS aliases
  FROM generate_series(1, 25) i;
CREATE FUNCTION pg_temp.bounce(tag text, nleads int, win int, rate int, sends int) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE cid uuid; k int;
BEGIN
	PERFORM set_config('campaigns.user_id', '00000000-0000-0000-0027-00000000000a', true);
	cid := pg_temp.camp(pg_temp.ds(tag, (SELECT jsonb_agg(jsonb_build_object('email', tag || lpad(i::text, 3, '0') || '@bounce.example'))
										  FROM generate_series(1, nleads) i)),
						jsonb_build_object('bounce_window', win, 'max_bounce_rate', rate,
										   'alias_ids', (SELECT jsonb_agg('b' || i) FROM generate_series(1, 25) i)));
	-- a tick a minute queues 25; the first `sends` leads (by email) are
	-- sent, in that order
	FOR k IN 0 .. (nleads - 1) / 25 LOOP
		PERFORM campaigns._queue_due(now() + k * interval '61 seconds', cid);
	END LOOP;
	PERFORM campaigns.action_record_outcome(x.action_id, 'sent', now() + x.o * interval '1 second')
	   FROM (SELECT a.action_id, row_number() OVER (ORDER BY l.email) AS o
			   FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id) JOIN campaigns.lead l USING (lead_id)
			  WHERE a.campaign_id = cid AND a.state = 'queued') x
	  WHERE x.o <= sends;
	RETURN cid;
END $$;
-- bounced(campaign, tag, i): lead i bounces; the campaign's status after it.
CREATE FUNCTION pg_temp.bounced(cid uuid, tag text, i int, typ text DEFAULT 'bounced') RETURNS text LANGUAGE sql AS $$
	SELECT campaigns.lead_event_record(cid, pg_temp.cl(cid, tag || lpad(i::text, 3, '0') || '@bounce.example'),
									   jsonb_build_object('type', typ)) ->> 'type';
	SELECT status || coalesce('/' || paused_reason, '') FROM campaigns.campaign WHERE campaign_id = cid
$$;
-- At the threshold (window 20, 10%): 2 bounces of 20 sends is 10%, not above;
-- the third is.
SELECT pg_temp.bounce('th', 25, 20, 10, 20) AS c_th \gset
SELECT i, pg_temp.bounced(:'c_th', 'th', i) AS status_after FROM generate_series(1, 3) i;
SELECT e.payload - 'message' AS notification, e.payload ->> 'message' AS message
  FROM campaigns.event e WHERE e.campaign_id = :'c_th' AND e.type = 'notification';
SELECT count(*) FILTER (WHERE state = 'queued') AS queued_after_pause, count(*) FILTER (WHERE state = 'cancelled') AS cancelled
  FROM campaigns.action WHERE campaign_id = :'c_th';
-- Under the minimum sample: 19 sends, 10 bounces, no decision.
SELECT pg_temp.bounce('ms', 25, 20, 5, 19) AS c_ms \gset
SELECT max(pg_temp.bounced(:'c_ms', 'ms', i)) AS status_after_10 FROM generate_series(1, 10) i;
-- ... the 20th send makes the sample: the next bounce decides.
SELECT campaigns.action_record_outcome(a.action_id, 'sent', now() + interval '1 minute') FROM campaigns.action a
 WHERE a.campaign_id = :'c_ms' AND a.state = 'queued' ORDER BY a.action_id LIMIT 1;
SELECT pg_temp.bounced(:'c_ms', 'ms', 11) AS status_after_20th_send;
-- max_bounce_rate 0: one bounce in 20 sends is above; 100: never.
SELECT pg_temp.bounce('z0', 25, 20, 0, 20) AS c_z0 \gset
SELECT pg_temp.bounced(:'c_z0', 'z0', 1) AS rate_0_one_bounce;
SELECT pg_temp.bounce('hu', 25, 20, 100, 20) AS c_hu \gset
SELECT max(pg_temp.bounced(:'c_hu', 'hu', i)) AS rate_100_all_bounce FROM generate_series(1, 20) i;
-- Only the last bounce_window sends count: 30 sent, window 20, 5%; the 10
-- oldest bounce without effect; of the recent ones the first makes 5% (not
-- above), the second 10%.
SELECT pg_temp.bounce('wi', 35, 20, 5, 30) AS c_wi \gset
SELECT max(pg_temp.bounced(:'c_wi', 'wi', i)) AS after_old_bounces FROM generate_series(1, 10) i;
SELECT pg_temp.bounced(:'c_wi', 'wi', 11) AS first_recent;
SELECT pg_temp.bounced(:'c_wi', 'wi', 12) AS second_recent;
-- soft bounces do not count.
SELECT pg_temp.bounce('so', 25, 20, 0, 20) AS c_so \gset
SELECT max(pg_temp.bounced(:'c_so', 'so', i, 'soft_bounce')) AS after_soft_bounces FROM generate_series(1, 5) i;
-- With an action in flight the campaign drains, then pauses, keeping the reason.
SELECT pg_temp.bounce('dr', 25, 20, 0, 20) AS c_dr \gset
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_dr' AND state = 'queued';
SELECT count(*) AS in_flight FROM campaigns._dispatch_claim(1, 60000);
SELECT pg_temp.bounced(:'c_dr', 'dr', 1) AS while_in_flight;
SELECT campaigns.action_record_outcome(a.action_id, 'sent') FROM campaigns.action a WHERE a.campaign_id = :'c_dr' AND a.state = 'in_flight';
SELECT status, paused_reason FROM campaigns.campaign WHERE campaign_id = :'c_dr';
-- A resume, then the next hard bounce pauses again (the window still holds them).
SELECT campaigns.campaign_resume(:'c_th') ->> 'status' AS resumed;
SELECT pg_temp.bounced(:'c_th', 'th', 4) AS next_bounce;
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';

----------------------------------------------------------------------------
-- Per-lead pause, resume and remove.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.camp(pg_temp.ds('ctl', '[{"email": "p1@ctl.example"}, {"email": "p2@ctl.example"}]'), nsteps => 2) AS c_ctl \gset
SELECT pg_temp.cl(:'c_ctl', 'p1@ctl.example') AS p1, pg_temp.cl(:'c_ctl', 'p2@ctl.example') AS p2 \gset
RESET SESSION AUTHORIZATION;
SELECT pg_temp.tick(:'c_ctl') AS queued;
SELECT email, step, state FROM pg_temp.acts(:'c_ctl');
SELECT l.email AS queued_email, cl.campaign_lead_id AS q, a.due_at AS q_due FROM campaigns.action a JOIN campaigns.campaign_lead cl USING (campaign_lead_id)
  JOIN campaigns.lead l USING (lead_id) WHERE a.campaign_id = :'c_ctl' AND a.state = 'queued' \gset
SET SESSION AUTHORIZATION deliv27_tenant;
-- pause: its queued action is cancelled, it keeps its step and eligible time.
SELECT j - 'campaign_lead_id' - 'lead_id' - 'enrolled_at' - 'eligible_at' AS paused, (j ->> 'eligible_at')::timestamptz = :'q_due' AS keeps_place
  FROM campaigns.campaign_lead_pause(:'c_ctl', :'q') j;
SELECT pg_temp.err(format('SELECT campaigns.campaign_lead_pause(%L, %L)', :'c_ctl', :'q')) AS pause_again,
	   pg_temp.err(format('SELECT campaigns.campaign_lead_resume(%L, %L)', :'c_ctl', CASE WHEN :'q' = :'p1' THEN :'p2' ELSE :'p1' END)) AS resume_not_paused;
SELECT jsonb_array_length(campaigns.campaign_leads(:'c_ctl', '{"status": "paused"}')) AS listed_paused;
RESET SESSION AUTHORIZATION;
SELECT email, step, state FROM pg_temp.acts(:'c_ctl');
-- the other lead takes the lane; the paused one is not queued.
SELECT campaigns._queue_due(now() + interval '61 seconds', :'c_ctl') AS queued;
SELECT email, step, state FROM pg_temp.acts(:'c_ctl');
SELECT pg_temp.sent(:'c_ctl') AS sent;
-- resume: eligible again at its kept time; pacing applies (the lane was just used).
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT j ->> 'status' AS resumed, (j ->> 'eligible_at')::timestamptz = :'q_due' AS same_place FROM campaigns.campaign_lead_resume(:'c_ctl', :'q') j;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.tick(:'c_ctl') AS queued_now;
SELECT campaigns._queue_due(now() + interval '90 seconds', :'c_ctl') AS queued_within_interval;
SELECT campaigns._queue_due(now() + interval '122 seconds', :'c_ctl') AS queued_after_interval;
SELECT email, step, state, key_ok FROM pg_temp.acts(:'c_ctl');
-- Paused while in flight: the outcome advances it; it stays paused, and its
-- next step is not queued until it resumes.
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_ctl' AND state = 'queued';
SELECT count(*) AS in_flight FROM campaigns._dispatch_claim(1, 60000);
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT campaigns.campaign_lead_pause(:'c_ctl', :'q') ->> 'status' AS paused_in_flight;
RESET SESSION AUTHORIZATION;
SELECT campaigns.action_record_outcome(a.action_id, 'sent') FROM campaigns.action a WHERE a.campaign_id = :'c_ctl' AND a.state = 'in_flight';
SELECT * FROM pg_temp.leads(:'c_ctl');
-- (two days later, both step 2s are due)
SELECT campaigns._queue_due(now() + interval '2 days 1 hour', :'c_ctl') AS queued_step2;
SELECT email, step, state FROM pg_temp.acts(:'c_ctl');
SELECT pg_temp.sent(:'c_ctl') AS sent;
-- The other lead finishes; the paused one keeps the campaign from completing.
SELECT * FROM pg_temp.leads(:'c_ctl');
SELECT * FROM pg_temp.camp_state(:'c_ctl');
-- remove: stopped for good (removed), counted; the campaign completes.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT j ->> 'status' AS status, j ->> 'stop_reason' AS stop_reason, j ->> 'finished_at' IS NOT NULL AS finished
  FROM campaigns.campaign_lead_remove(:'c_ctl', :'q') j;
SELECT pg_temp.err(format('SELECT campaigns.campaign_lead_remove(%L, %L)', :'c_ctl', :'q')) AS remove_again,
	   pg_temp.err(format('SELECT campaigns.campaign_lead_resume(%L, %L)', :'c_ctl', :'q')) AS resume_removed,
	   pg_temp.err(format('SELECT campaigns.campaign_lead_pause(%L, %L)', :'c_ctl', :'q')) AS pause_removed;
SELECT * FROM pg_temp.camp_state(:'c_ctl');
-- Missing and other tenants' ids are not found alike.
SELECT pg_temp.err(format('SELECT campaigns.campaign_lead_%s(%L, %L)', f, :'c_ctl', gen_random_uuid())) AS missing_lead,
	   pg_temp.err(format('SELECT campaigns.campaign_lead_%s(%L, %L)', f, gen_random_uuid(), :'q')) AS missing_campaign,
	   pg_temp.err(format('SELECT campaigns.campaign_lead_%s(%L, %L)', f, :'c_all_b',
		(SELECT campaign_lead_id FROM campaigns.campaign_lead WHERE campaign_id = :'c_all_b'))) AS others_campaign
  FROM (VALUES ('pause'), ('resume'), ('remove')) t(f);
RESET SESSION AUTHORIZATION;
-- Paused while in flight, and the worker died: the lease runs out, the
-- action is released (cancelled); on resume the lead is eligible at that
-- action's due time, and the same action comes again.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT pg_temp.camp(pg_temp.ds('rel', '[{"email": "t1@ctl.example"}]')) AS c_rel \gset
RESET SESSION AUTHORIZATION;
SELECT pg_temp.tick(:'c_rel') AS queued;
UPDATE campaigns.action SET next_attempt_at = '2000-01-01' WHERE campaign_id = :'c_rel';
SELECT count(*) AS in_flight FROM campaigns._dispatch_claim(1, 60000);
SELECT campaigns.campaign_lead_pause(:'c_rel', pg_temp.cl(:'c_rel', 't1@ctl.example')) ->> 'eligible_at' AS eligible_while_in_flight;
UPDATE campaigns.action SET next_attempt_at = now() - interval '1 second', lease_until = now() - interval '1 second' WHERE campaign_id = :'c_rel';
SELECT campaigns._dispatch_release() >= 1 AS released;
SELECT email, step, state FROM pg_temp.acts(:'c_rel');
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT (j ->> 'eligible_at')::timestamptz = (SELECT due_at FROM campaigns.action WHERE campaign_id = :'c_rel') AS eligible_at_due_time,
	   j ->> 'status' AS status
  FROM campaigns.campaign_lead_resume(:'c_rel', pg_temp.cl(:'c_rel', 't1@ctl.example')) j;
RESET SESSION AUTHORIZATION;
SELECT campaigns._queue_due(now() + interval '61 seconds', :'c_rel') AS queued_again;
SELECT email, step, state, key_ok FROM pg_temp.acts(:'c_rel');
SET SESSION AUTHORIZATION deliv27_tenant;
-- Paused leads in a campaign that is stopped are stopped too; removing a
-- paused lead completes a campaign.
SELECT pg_temp.camp(pg_temp.ds('ctl2', '[{"email": "q1@ctl.example"}, {"email": "q2@ctl.example"}]')) AS c_ctl2 \gset
SELECT campaigns.campaign_lead_pause(:'c_ctl2', pg_temp.cl(:'c_ctl2', 'q1@ctl.example')) ->> 'status' AS q1,
	   campaigns.campaign_lead_remove(:'c_ctl2', pg_temp.cl(:'c_ctl2', 'q2@ctl.example')) ->> 'status' AS q2;
SELECT * FROM pg_temp.camp_state(:'c_ctl2');
SELECT campaigns.campaign_lead_remove(:'c_ctl2', pg_temp.cl(:'c_ctl2', 'q1@ctl.example')) ->> 'stop_reason' AS removed_paused;
SELECT * FROM pg_temp.camp_state(:'c_ctl2');
SELECT pg_temp.camp(pg_temp.ds('ctl3', '[{"email": "r1@ctl.example"}, {"email": "r2@ctl.example"}]')) AS c_ctl3 \gset
SELECT campaigns.campaign_lead_pause(:'c_ctl3', pg_temp.cl(:'c_ctl3', 'r1@ctl.example')) ->> 'status' AS r1,
	   campaigns.campaign_pause(:'c_ctl3') ->> 'status' AS campaign, campaigns.campaign_stop(:'c_ctl3') ->> 'status' AS stopped;
SELECT * FROM pg_temp.leads(:'c_ctl3');
SELECT * FROM pg_temp.camp_state(:'c_ctl3');
-- A lead of a scheduled campaign may be paused before the start, and resumed.
SELECT pg_temp.camp(pg_temp.ds('ctl4', '[{"email": "s1@ctl.example"}]'),
	jsonb_build_object('launch_type', 'scheduled', 'start_date', pg_temp.z(now() + interval '3 days'))) AS c_ctl4 \gset
SELECT campaigns.campaign_get(:'c_ctl4') ->> 'status' AS scheduled,
	   campaigns.campaign_lead_pause(:'c_ctl4', pg_temp.cl(:'c_ctl4', 's1@ctl.example')) ->> 'status' AS paused,
	   campaigns.campaign_lead_resume(:'c_ctl4', pg_temp.cl(:'c_ctl4', 's1@ctl.example')) ->> 'status' AS resumed;
RESET SESSION AUTHORIZATION;

----------------------------------------------------------------------------
-- The campaign fields at their boundaries, and when they may change.
SET SESSION AUTHORIZATION deliv27_tenant;
SELECT t ->> 'template_id' AS tpl FROM jsonb_array_elements(campaigns.template_list('{}')) t LIMIT 1 \gset
SELECT f AS field, v AS value, pg_temp.err(format('SELECT campaigns.campaign_create(%L)', jsonb_build_object('name', 'f', 'dataset_id', :'ds_enrol',
		'alias_ids', '["m27"]'::jsonb, 'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'tpl')))), f, v))) AS error
  FROM (VALUES ('stop_on_reply', '"everyone"'::jsonb), ('stop_on_reply', '1'), ('stop_on_reply', 'null'),
			   ('max_bounce_rate', '-1'), ('max_bounce_rate', '101'), ('max_bounce_rate', '"5"'), ('max_bounce_rate', '5.5'), ('max_bounce_rate', 'null'),
			   ('bounce_window', '19'), ('bounce_window', '10001'), ('bounce_window', 'true')) t(f, v);
SELECT pg_temp.camp(:'ds_enrol', '{"stop_on_reply": "lead", "max_bounce_rate": 0, "bounce_window": 20}', launch => false) AS f1,
	   pg_temp.camp(:'ds_enrol', '{"stop_on_reply": "all_campaigns", "max_bounce_rate": 100, "bounce_window": 10000}', launch => false) AS f2,
	   pg_temp.camp(:'ds_enrol', launch => false) AS f3 \gset
SELECT j ->> 'stop_on_reply' AS stop_on_reply, j ->> 'max_bounce_rate' AS max_bounce_rate, j ->> 'bounce_window' AS bounce_window
  FROM (VALUES (campaigns.campaign_get(:'f1')), (campaigns.campaign_get(:'f2')), (campaigns.campaign_get(:'f3'))) t(j);
-- editable while active; not once completed.
SELECT j ->> 'status' AS status, j ->> 'stop_on_reply' AS stop_on_reply, j ->> 'max_bounce_rate' AS max_bounce_rate, j ->> 'bounce_window' AS bounce_window
  FROM campaigns.campaign_update(:'c_soft', '{"stop_on_reply": "company", "max_bounce_rate": 7, "bounce_window": 500}') j;
SELECT pg_temp.err(format('SELECT campaigns.campaign_update(%L, %L)', :'c_soft', '{"bounce_window": 19}')) AS active_bad,
	   pg_temp.err(format('SELECT campaigns.campaign_update(%L, %L)', :'c_ctl', '{"stop_on_reply": "lead"}')) AS completed;

----------------------------------------------------------------------------
-- Nothing of this file is left due for the files after it.
SELECT count(campaigns.campaign_pause(campaign_id)) AS paused
  FROM campaigns.campaign WHERE user_id = campaigns.current_user_id() AND status IN ('active', 'scheduled');
RESET SESSION AUTHORIZATION;
SELECT count(*) AS due_left FROM campaigns.action WHERE user_id::text LIKE '00000000-0000-0000-0027-%' AND state = 'queued';
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000b';
SELECT count(campaigns.campaign_pause(campaign_id)) AS b_paused FROM campaigns.campaign
 WHERE user_id = campaigns.current_user_id() AND status IN ('active', 'scheduled');
SET campaigns.user_id = '00000000-0000-0000-0027-00000000000a';
SELECT campaigns.role_unbind('deliv27_tenant');
DROP OWNED BY deliv27_tenant;
DROP ROLE deliv27_tenant;
