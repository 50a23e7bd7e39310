-- References stay inside a tenant (SPEC §10): every reference between rows
-- is a composite foreign key (user_id, x_id), so naming another tenant's id
-- fails exactly as naming a missing one does -- through every API function
-- that takes an id or a body naming ids (as a non-superuser tenant login
-- role), and in the tables themselves (as the owner, the only role that
-- writes them).  No answer tells a tenant whether someone else's id exists.
-- Users 00000000-0000-0000-0081-...: A (...0a) is the victim, B (...0b) the
-- attacker.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS ref81_tenant;
RESET client_min_messages;
CREATE ROLE ref81_tenant LOGIN;
GRANT campaigns_user TO ref81_tenant;

-- Each user: a dataset of three leads, an email and a linkedin template, a
-- sender profile, an alias, a connected account; a launched campaign with
-- an action and an event, a launched one without actions, a draft.
CREATE FUNCTION pg_temp.objects(u text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	o jsonb := '{}';
	steps jsonb;
	body jsonb;
BEGIN
	PERFORM set_config('campaigns.user_id', u, false);
	o := o || jsonb_build_object('ds', campaigns.dataset_create(jsonb_build_object('name', 'd', 'leads', jsonb_build_array(
			jsonb_build_object('email', '1@' || u || '.example', 'linkedin_url', 'https://li.example/1' || u),
			jsonb_build_object('email', '2@' || u || '.example', 'linkedin_url', 'https://li.example/2' || u),
			jsonb_build_object('email', '3@' || u || '.example', 'linkedin_url', 'https://li.example/3' || u)))) ->> 'dataset_id');
	o := o || jsonb_build_object('tpl', campaigns.template_create('{"name": "t", "channel": "email", "body": "x"}') ->> 'template_id',
		'li_tpl', campaigns.template_create('{"name": "l", "channel": "linkedin", "body": "x"}') ->> 'template_id',
		'sp', campaigns.sender_profile_create('{"profile_name": "p"}') ->> 'sender_profile_id',
		'alias', campaigns.alias_create(jsonb_build_object('alias_id', 'only-' || right(u, 2), 'full_email', 'a@x.example')) ->> 'alias_id',
		'acct', campaigns.connected_account_create('{"name": "li"}') ->> 'connected_account_id',
		'ep', campaigns.delivery_endpoint_create('{"channel": "email", "url": "https://hooks.example.com/e"}') ->> 'delivery_endpoint_id',
		'sup', campaigns.suppression_create(jsonb_build_object('kind', 'email', 'value', 'nobody@' || u || '.example')) ->> 'suppression_id');
	steps := jsonb_build_array(jsonb_build_object('step', 1, 'channel', 'email', 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', o ->> 'tpl', 'sender_profile_id', o ->> 'sp'))));
	body := jsonb_build_object('name', 'c', 'dataset_id', o ->> 'ds', 'alias_ids', jsonb_build_array(o ->> 'alias'),
		'sending_window_start', '00:00', 'sending_window_end', '24:00',
		'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb, 'steps', steps);
	o := o || jsonb_build_object('c1', campaigns.campaign_create(body) ->> 'campaign_id',
								 'c2', campaigns.campaign_create(body) ->> 'campaign_id',
								 'draft', campaigns.campaign_create(body || '{"name": "draft"}') ->> 'campaign_id',
								 'mixed', campaigns.campaign_create(body || jsonb_build_object('name', 'mixed', 'type', 'mixed',
									'connected_account_id', o ->> 'acct', 'steps', steps || jsonb_build_array(jsonb_build_object(
										'step', 2, 'channel', 'linkedin', 'action_type', 'connection_request')))) ->> 'campaign_id');
	PERFORM campaigns.campaign_launch((o ->> 'c1')::uuid);
	PERFORM campaigns.campaign_launch((o ->> 'c2')::uuid);
	PERFORM set_config('campaigns.user_id', '', false);
	RETURN o;
END $$;
SELECT pg_temp.objects('00000000-0000-0000-0081-00000000000a') AS a \gset
SELECT pg_temp.objects('00000000-0000-0000-0081-00000000000b') AS b \gset
-- (the worker's part: actions of c1 queued, c2 not ticked yet)
UPDATE campaigns.campaign SET next_action_at = '-infinity' WHERE campaign_id IN ((:'a'::jsonb ->> 'c2')::uuid, (:'b'::jsonb ->> 'c2')::uuid);
UPDATE campaigns.campaign SET status = 'paused', paused_reason = 'user', next_action_at = NULL
 WHERE campaign_id IN ((:'a'::jsonb ->> 'c2')::uuid, (:'b'::jsonb ->> 'c2')::uuid);
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
SELECT c.user_id, count(*) FILTER (WHERE a.action_id IS NOT NULL) AS actions, count(DISTINCT cl.campaign_lead_id) AS enrolled
  FROM campaigns.campaign c JOIN campaigns.campaign_lead cl ON cl.campaign_id = c.campaign_id
  LEFT JOIN campaigns.action a ON a.campaign_lead_id = cl.campaign_lead_id
 WHERE c.user_id::text LIKE '00000000-0000-0000-0081-%' GROUP BY 1 ORDER BY 1;
-- A's ids the attacker names: a lead enrolled in c1 (with an action) and one
-- in c2 (without).
SELECT :'a'::jsonb || jsonb_build_object(
	'cl1', (SELECT min(campaign_lead_id::text) FROM campaigns.campaign_lead WHERE campaign_id = (:'a'::jsonb ->> 'c1')::uuid),
	'cl2', (SELECT min(campaign_lead_id::text) FROM campaigns.campaign_lead WHERE campaign_id = (:'a'::jsonb ->> 'c2')::uuid),
	'lead', (SELECT min(lead_id::text) FROM campaigns.lead WHERE dataset_id = (:'a'::jsonb ->> 'ds')::uuid)) AS a \gset
SELECT :'b'::jsonb || jsonb_build_object(
	'cl1', (SELECT min(campaign_lead_id::text) FROM campaigns.campaign_lead WHERE campaign_id = (:'b'::jsonb ->> 'c1')::uuid)) AS b \gset
SET campaigns.user_id = '00000000-0000-0000-0081-00000000000a';
SELECT campaigns.lead_event_record((:'a'::jsonb ->> 'c1')::uuid, (:'a'::jsonb ->> 'cl1')::uuid, '{"type": "opened"}') ->> 'type' AS a_event;
SET campaigns.user_id = '00000000-0000-0000-0081-00000000000b';
SELECT campaigns.lead_event_record((:'b'::jsonb ->> 'c1')::uuid, (:'b'::jsonb ->> 'cl1')::uuid, '{"type": "opened"}') ->> 'type' AS b_event;
RESET campaigns.user_id;
-- (and a day of B's stats, as the roll-up writes them)
INSERT INTO campaigns.campaign_daily_stats (user_id, campaign_id, day, step, sent)
VALUES ('00000000-0000-0000-0081-00000000000b', (:'b'::jsonb ->> 'c1')::uuid, '2031-01-06', 1, 1);

-- one(sql): the first column of the first row of sql, as text.
CREATE FUNCTION pg_temp.one(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE sql INTO r;
	RETURN r;
END $$;
-- err(sql): the error sql raises, as "SQLSTATE | message | detail".
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
	RETURN st || ' | ' || msg || ' | ' || coalesce(det, '');
END $$;
-- same(template, others, missing): the error of template filled with
-- another tenant's ids against the one with missing ids, each id masked.
CREATE FUNCTION pg_temp.same(template text, others text[], missing text[], OUT error text, OUT same boolean)
LANGUAGE plpgsql AS $$
DECLARE
	e1 text := pg_temp.err(format(template, VARIADIC (SELECT array_agg(quote_literal(x) ORDER BY o) FROM unnest(others) WITH ORDINALITY u(x, o))));
	e2 text := pg_temp.err(format(template, VARIADIC (SELECT array_agg(quote_literal(x) ORDER BY o) FROM unnest(missing) WITH ORDINALITY u(x, o))));
	x text;
BEGIN
	FOREACH x IN ARRAY others LOOP e1 := replace(e1, x, '<id>'); END LOOP;
	FOREACH x IN ARRAY missing LOOP e2 := replace(e2, x, '<id>'); END LOOP;
	error := e1;
	same := e1 = e2;
END $$;

----------------------------------------------------------------------------
-- Through the API, as B's login role: A's ids, and random ones.
CREATE TEMP TABLE calls (fn text, template text, others text[], missing text[]);
INSERT INTO calls
SELECT fn, t, o, m FROM (VALUES
	-- a campaign's id
	('campaign_get', 'SELECT campaigns.campaign_get(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_update', 'SELECT campaigns.campaign_update(%s, ''{"name": "x"}'')', ARRAY[:'a'::jsonb ->> 'draft']),
	('campaign_delete', 'SELECT campaigns.campaign_delete(%s)', ARRAY[:'a'::jsonb ->> 'draft']),
	('campaign_launch', 'SELECT campaigns.campaign_launch(%s)', ARRAY[:'a'::jsonb ->> 'draft']),
	('campaign_pause', 'SELECT campaigns.campaign_pause(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_resume', 'SELECT campaigns.campaign_resume(%s)', ARRAY[:'a'::jsonb ->> 'c2']),
	('campaign_stop', 'SELECT campaigns.campaign_stop(%s)', ARRAY[:'a'::jsonb ->> 'c2']),
	('campaign_unschedule', 'SELECT campaigns.campaign_unschedule(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_reset', 'SELECT campaigns.campaign_reset(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_playground_review', 'SELECT campaigns.campaign_playground_review(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_stats', 'SELECT campaigns.campaign_stats(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_forecast', 'SELECT campaigns.campaign_forecast(%s, 7)', ARRAY[:'a'::jsonb ->> 'c1']),
	('campaign_leads', 'SELECT campaigns.campaign_leads(%s)', ARRAY[:'a'::jsonb ->> 'c1']),
	-- a campaign and one of its leads: A's both, or B's campaign and A's lead
	('lead_events', 'SELECT campaigns.lead_events(%s, %s)', ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1']),
	('lead_events', format('SELECT campaigns.lead_events(%L, %%s)', :'b'::jsonb ->> 'c1'), ARRAY[:'a'::jsonb ->> 'cl1']),
	('lead_event_record', 'SELECT campaigns.lead_event_record(%s, %s, ''{"type": "replied"}'')', ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1']),
	('lead_event_record', format('SELECT campaigns.lead_event_record(%L, %%s, ''{"type": "replied"}'')', :'b'::jsonb ->> 'c1'), ARRAY[:'a'::jsonb ->> 'cl1']),
	('campaign_lead_pause', 'SELECT campaigns.campaign_lead_pause(%s, %s)', ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1']),
	('campaign_lead_pause', format('SELECT campaigns.campaign_lead_pause(%L, %%s)', :'b'::jsonb ->> 'c1'), ARRAY[:'a'::jsonb ->> 'cl1']),
	('campaign_lead_resume', 'SELECT campaigns.campaign_lead_resume(%s, %s)', ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1']),
	('campaign_lead_resume', format('SELECT campaigns.campaign_lead_resume(%L, %%s)', :'b'::jsonb ->> 'c1'), ARRAY[:'a'::jsonb ->> 'cl1']),
	('campaign_lead_remove', 'SELECT campaigns.campaign_lead_remove(%s, %s)', ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1']),
	('campaign_lead_remove', format('SELECT campaigns.campaign_lead_remove(%L, %%s)', :'b'::jsonb ->> 'c1'), ARRAY[:'a'::jsonb ->> 'cl1']),
	-- a suppression entry's id
	('suppression_get', 'SELECT campaigns.suppression_get(%s)', ARRAY[:'a'::jsonb ->> 'sup']),
	('suppression_delete', 'SELECT campaigns.suppression_delete(%s)', ARRAY[:'a'::jsonb ->> 'sup']),
	-- a dataset's id
	('dataset_get', 'SELECT campaigns.dataset_get(%s)', ARRAY[:'a'::jsonb ->> 'ds']),
	('dataset_delete', 'SELECT campaigns.dataset_delete(%s)', ARRAY[:'a'::jsonb ->> 'ds']),
	('dataset_add_leads', 'SELECT campaigns.dataset_add_leads(%s, ''[{"email": "x@b.example"}]'')', ARRAY[:'a'::jsonb ->> 'ds']),
	('dataset_add_leads_csv', 'SELECT campaigns.dataset_add_leads_csv(%s, E''email\nx@b.example\n'')', ARRAY[:'a'::jsonb ->> 'ds']),
	('dataset_leads', 'SELECT campaigns.dataset_leads(%s)', ARRAY[:'a'::jsonb ->> 'ds']),
	-- templates and sender profiles
	('template_get', 'SELECT campaigns.template_get(%s)', ARRAY[:'a'::jsonb ->> 'tpl']),
	('template_update', 'SELECT campaigns.template_update(%s, ''{"name": "x"}'')', ARRAY[:'a'::jsonb ->> 'tpl']),
	('template_delete', 'SELECT campaigns.template_delete(%s)', ARRAY[:'a'::jsonb ->> 'tpl']),
	('delivery_endpoint_get', 'SELECT campaigns.delivery_endpoint_get(%s)', ARRAY[:'a'::jsonb ->> 'ep']),
	('delivery_endpoint_update', 'SELECT campaigns.delivery_endpoint_update(%s, ''{"url": "https://x.example.com/"}'')', ARRAY[:'a'::jsonb ->> 'ep']),
	('delivery_endpoint_delete', 'SELECT campaigns.delivery_endpoint_delete(%s)', ARRAY[:'a'::jsonb ->> 'ep']),
	('sender_profile_get', 'SELECT campaigns.sender_profile_get(%s)', ARRAY[:'a'::jsonb ->> 'sp']),
	('sender_profile_update', 'SELECT campaigns.sender_profile_update(%s, ''{"profile_name": "x"}'')', ARRAY[:'a'::jsonb ->> 'sp']),
	('sender_profile_delete', 'SELECT campaigns.sender_profile_delete(%s)', ARRAY[:'a'::jsonb ->> 'sp'])
	) v(fn, t, o), LATERAL (SELECT array_agg(gen_random_uuid()::text) FROM unnest(o)) r(m);
-- bodies naming A's objects: a new campaign, and a change of B's draft
INSERT INTO calls
SELECT w.fn, format(w.t, p.patch), ARRAY[p.x], ARRAY[p.m]
  FROM (VALUES
	('jsonb_build_object(''dataset_id'', %s)', :'a'::jsonb ->> 'ds', gen_random_uuid()::text),
	('jsonb_build_object(''steps'', jsonb_build_array(jsonb_build_object(''step'', 1, ''variants'', jsonb_build_array(jsonb_build_object(''label'', ''A'', ''template_id'', %s)))))',
	 :'a'::jsonb ->> 'tpl', gen_random_uuid()::text),
	(format('jsonb_build_object(''steps'', jsonb_build_array(jsonb_build_object(''step'', 1, ''variants'', jsonb_build_array(jsonb_build_object(''label'', ''A'', ''template_id'', %L, ''sender_profile_id'', %%s)))))', :'b'::jsonb ->> 'tpl'),
	 :'a'::jsonb ->> 'sp', gen_random_uuid()::text),
	(format('jsonb_build_object(''type'', ''mixed'', ''connected_account_id'', %%s, ''steps'', jsonb_build_array(jsonb_build_object(''step'', 1, ''channel'', ''email'', ''variants'', jsonb_build_array(jsonb_build_object(''label'', ''A'', ''template_id'', %L))), jsonb_build_object(''step'', 2, ''channel'', ''linkedin'', ''action_type'', ''connection_request'')))', :'b'::jsonb ->> 'tpl'),
	 :'a'::jsonb ->> 'acct', gen_random_uuid()::text),
	('jsonb_build_object(''alias_ids'', jsonb_build_array(%s))', :'a'::jsonb ->> 'alias', 'only-zz')) p(patch, x, m),
	(VALUES ('campaign_create', format('SELECT campaigns.campaign_create(%L::jsonb || %%s)',
				format('{"name": "n", "dataset_id": "%s", "alias_ids": ["%s"], "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "%s"}]}]}',
					   :'b'::jsonb ->> 'ds', :'b'::jsonb ->> 'alias', :'b'::jsonb ->> 'tpl'))),
			('campaign_update', format('SELECT campaigns.campaign_update(%L, %%s)', :'b'::jsonb ->> 'draft'))) w(fn, t);
SELECT count(*) AS calls FROM calls;
GRANT SELECT ON calls TO ref81_tenant;

SET SESSION AUTHORIZATION ref81_tenant;
SET campaigns.user_id = '00000000-0000-0000-0081-00000000000b';
SELECT c.fn, s.error, s.same FROM calls c, LATERAL pg_temp.same(c.template, c.others, c.missing) s ORDER BY c.fn, c.template;
-- In the tables, the attacker writes nothing at all (with A's ids or
-- random ones alike): the issue's event planted on A's campaign and lead.
SELECT pg_temp.err(format('INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type) VALUES (%L, %L, %L, %L)',
		'00000000-0000-0000-0081-00000000000b', :'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1', 'replied')) AS planted_event,
	   pg_temp.err(format('INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type) VALUES (%L, %L, %L, %L)',
		'00000000-0000-0000-0081-00000000000b', gen_random_uuid(), gen_random_uuid(), 'replied')) AS random_event;
-- Every API function that takes an id or a body that can name one was
-- called above (a new one shows here until it is).
SELECT p.proname AS not_called
  FROM pg_proc p
 WHERE p.pronamespace = 'campaigns'::regnamespace AND has_function_privilege(p.oid, 'EXECUTE') AND p.prosecdef
   AND ('uuid'::regtype = ANY (p.proargtypes) OR p.proname ~ '_(create|update)$')
   AND p.proname NOT IN (SELECT fn FROM calls)
   AND p.proname NOT IN ('dataset_create', 'template_create', 'sender_profile_create', 'alias_create', 'connected_account_create',
						 'delivery_endpoint_create', 'suppression_create')
 ORDER BY 1;
-- (those seven create objects from names the caller picks; an alias_id
-- another user has is free for this one, 08_tenancy, and so is an address
-- on another user's suppression list, 29_deliverability)
RESET campaigns.user_id;
RESET SESSION AUTHORIZATION;
-- A's objects are untouched.
SET campaigns.user_id = '00000000-0000-0000-0081-00000000000a';
SELECT c ->> 'name' AS draft_name, c ->> 'status' AS draft_status,
	   campaigns.dataset_get((:'a'::jsonb ->> 'ds')::uuid) ->> 'lead_count' AS a_leads,
	   campaigns.template_get((:'a'::jsonb ->> 'tpl')::uuid) ->> 'name' AS a_template,
	   jsonb_array_length(campaigns.lead_events((:'a'::jsonb ->> 'c1')::uuid, (:'a'::jsonb ->> 'cl1')::uuid)) AS a_events,
	   campaigns.suppression_get((:'a'::jsonb ->> 'sup')::uuid) ->> 'value' AS a_suppressed,
	   (SELECT string_agg(x ->> 'status', ',') FROM jsonb_array_elements(campaigns.campaign_leads((:'a'::jsonb ->> 'c1')::uuid)) x) AS a_c1_leads,
	   campaigns.campaign_get((:'a'::jsonb ->> 'c1')::uuid) ->> 'status' AS a_c1
  FROM campaigns.campaign_get((:'a'::jsonb ->> 'draft')::uuid) c;
RESET campaigns.user_id;

----------------------------------------------------------------------------
-- In the tables.  Every foreign key of the schema is composite, user_id
-- first on both sides (a new one shows here).
SELECT c.conrelid::regclass AS "table", c.conname,
	   (SELECT array_agg(a.attname ORDER BY k.o) FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
		  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns,
	   c.confrelid::regclass AS refers_to,
	   (SELECT array_agg(a.attname ORDER BY k.o) FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
		  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS ref_columns,
	   c.confdeltype AS on_delete
  FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'campaigns'::regnamespace ORDER BY 1::text, 2;
-- Columns that name another table's row without a foreign key: values
-- copied from a referenced row when the row was written (the action's
-- sending identity), or keys of tables that are no tenant's.
-- (A row's own id under a unique key of its own, as delivery_endpoint_id, is
-- no reference.)
SELECT c.relname AS "table", a.attname AS "column"
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'campaigns'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attname ~ '_id$' AND a.attname <> 'user_id'
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'f') AND a.attnum = ANY (k.conkey))
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'u' AND k.conkey = ARRAY[a.attnum])
 ORDER BY 1, 2;
-- For every foreign key, moving one of B's rows to A's parent row fails as
-- moving it to a missing one: same SQLSTATE, message and detail (ids
-- masked).  As the owner, who alone writes the tables; generated from the
-- catalog.
SELECT c.conrelid::regclass AS "table", c.conname, p.b_row IS NOT NULL AND p.a_parent IS NOT NULL AS rows_found, s.error, s.same
  FROM pg_constraint c,
	   LATERAL (SELECT a.attname AS col FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[2]) fk,
	   LATERAL (SELECT a.attname AS refcol FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[2]) rk,
	   -- one of B's rows, and one of A's parent rows (a campaign_lead without
	   -- an action, so that no unique key of the child gets in the way)
	   LATERAL (SELECT pg_temp.one(format('SELECT ctid::text FROM %s WHERE user_id = %L AND %I IS NOT NULL LIMIT 1',
										  c.conrelid::regclass, '00000000-0000-0000-0081-00000000000b', fk.col)) AS b_row,
						   pg_temp.one(format('SELECT %I::text FROM %s y WHERE user_id = %L %s LIMIT 1', rk.refcol, c.confrelid::regclass,
										  '00000000-0000-0000-0081-00000000000a',
										  CASE WHEN c.confrelid = 'campaigns.campaign_lead'::regclass
											   THEN 'AND NOT EXISTS (SELECT 1 FROM campaigns.action a WHERE a.campaign_lead_id = y.campaign_lead_id)' ELSE '' END)) AS a_parent) p,
	   LATERAL pg_temp.same(format('UPDATE %s SET %I = %%s WHERE ctid = %L', c.conrelid::regclass, fk.col, p.b_row),
							ARRAY[p.a_parent], ARRAY[gen_random_uuid()::text]) s
 WHERE c.contype = 'f' AND c.connamespace = 'campaigns'::regnamespace
 ORDER BY 1::text, 2;
-- The issue's attack, as the owner: B's event on A's campaign and lead.
SELECT * FROM pg_temp.same('INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type) VALUES (''00000000-0000-0000-0081-00000000000b'', %s, %s, ''replied'')',
						   ARRAY[:'a'::jsonb ->> 'c1', :'a'::jsonb ->> 'cl1'], ARRAY[gen_random_uuid()::text, gen_random_uuid()::text]);
-- (with B's own campaign and lead it is accepted: the key is the pair)
SELECT pg_temp.err(format('INSERT INTO campaigns.event (user_id, campaign_id, campaign_lead_id, type) VALUES (%L, %L, %L, %L)',
		'00000000-0000-0000-0081-00000000000b', :'b'::jsonb ->> 'c1', :'b'::jsonb ->> 'cl1', 'replied')) AS own_event;

-- The fast paths that skip per-row checks (enrolment, the pacing pass,
-- under session_replication_role = replica) wrote only rows every foreign
-- key accepts.
SELECT c.conname, pg_temp.one(format('SELECT count(*)::text FROM %s x WHERE %s AND NOT EXISTS (SELECT 1 FROM %s y WHERE (%s) = (%s))',
		c.conrelid::regclass,
		(SELECT string_agg(format('x.%I IS NOT NULL', a.attname), ' AND ') FROM unnest(c.conkey) k(n)
		   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
		c.confrelid::regclass,
		(SELECT string_agg(format('y.%I', a.attname), ', ' ORDER BY k.o) FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
		   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n),
		(SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.o) FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
		   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n)))::int AS broken_rows
  FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'campaigns'::regnamespace ORDER BY 1;

DROP OWNED BY ref81_tenant;
DROP ROLE ref81_tenant;
