-- Deliverability (SPEC §11, docs/deliverability.md): the suppression list,
-- the free-mail domains of stop_on_reply = company, the shared way leads are
-- stopped, bounce protection, and per-lead pause, resume and remove.

-- Canonical values (src/suppression.c) -------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._suppression_value(kind text, value text) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'suppression_value';
COMMENT ON FUNCTION @extschema@._suppression_value(text, text) IS
'The canonical form of value as a suppression entry of kind (email, domain, linkedin_url); null when it is not a valid one.';

CREATE OR REPLACE FUNCTION @extschema@._email_domain(email text) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'email_domain';
COMMENT ON FUNCTION @extschema@._email_domain(text) IS
'The canonical domain of an email address (what a domain entry or a company match compares); null when there is none.';

CREATE OR REPLACE FUNCTION @extschema@._csv_to_objects(csv text) RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'csv_to_objects';
COMMENT ON FUNCTION @extschema@._csv_to_objects(text) IS
'Parses RFC 4180 CSV with a header row into one object per row, keyed by the header''s names; empty cells are omitted.';

-- stop_on_reply = company finds the campaign's other leads of a domain
-- with one probe of this index.
CREATE INDEX IF NOT EXISTS lead_dataset_email_domain_idx
	ON @extschema@.lead (dataset_id, @extschema@._email_domain(email))
	WHERE email IS NOT NULL;

-- Free-mail domains ----------------------------------------------------------------

-- The list the extension ships (docs/deliverability.md lists it).  The
-- extension owner may add or delete rows; an upgrade adds the shipped ones
-- again and never deletes.
INSERT INTO @extschema@.free_mail_domain (domain)
SELECT d FROM unnest(ARRAY[
	-- Google, Microsoft, Yahoo, AOL, Apple
	'gmail.com', 'googlemail.com', 'outlook.*', 'hotmail.*', 'live.*', 'msn.com', 'windowslive.com',
	'yahoo.*', 'ymail.com', 'rocketmail.com', 'aol.*', 'aim.com', 'icloud.com', 'me.com', 'mac.com',
	-- privacy-minded and independent mail services
	'proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me', 'tutanota.com', 'tutanota.de', 'tuta.io',
	'tutamail.com', 'fastmail.com', 'fastmail.fm', 'hey.com', 'hushmail.com', 'mailbox.org', 'posteo.de',
	'posteo.net', 'zoho.com', 'zohomail.com', 'mail.com', 'email.com', 'usa.com', 'duck.com',
	'yopmail.com', 'mailinator.com', 'guerrillamail.com',
	-- Europe
	'gmx.*', 'web.de', 't-online.de', 'freenet.de', 'arcor.de', 'online.de', 'orange.fr', 'wanadoo.fr',
	'free.fr', 'laposte.net', 'sfr.fr', 'bbox.fr', 'libero.it', 'virgilio.it', 'tiscali.it', 'alice.it',
	'btinternet.com', 'sky.com', 'virginmedia.com', 'ntlworld.com', 'blueyonder.co.uk', 'talktalk.net',
	'ziggo.nl', 'kpnmail.nl', 'telenet.be', 'skynet.be', 'bluewin.ch', 'seznam.cz', 'centrum.cz',
	'wp.pl', 'o2.pl', 'onet.pl', 'interia.pl',
	-- Russia and neighbours
	'mail.ru', 'inbox.ru', 'list.ru', 'bk.ru', 'yandex.*', 'ya.ru', 'rambler.ru', 'ukr.net',
	-- Asia
	'qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sina.cn', 'sohu.com',
	'aliyun.com', 'naver.com', 'hanmail.net', 'daum.net', 'kakao.com', 'rediffmail.com',
	-- the Americas and Oceania
	'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net', 'bellsouth.net', 'cox.net', 'charter.net',
	'earthlink.net', 'optonline.net', 'shaw.ca', 'rogers.com', 'sympatico.ca', 'uol.com.br',
	'bol.com.br', 'terra.com.br', 'bigpond.com', 'optusnet.com.au', 'xtra.co.nz'
]) d
ON CONFLICT (domain) DO NOTHING;

ALTER TABLE @extschema@.free_mail_domain ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS everyone ON @extschema@.free_mail_domain;
CREATE POLICY everyone ON @extschema@.free_mail_domain FOR SELECT USING (true);

-- _is_free_mail(domain): domain is a free-mail domain of the list: equal to
-- an entry, or, for an entry "name.*", "name." followed by one or two
-- labels of two or three letters (hotmail.com, hotmail.co.uk, yahoo.com.br;
-- not live.nation.com).
CREATE OR REPLACE FUNCTION @extschema@._is_free_mail(domain text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM @extschema@.free_mail_domain f WHERE f.domain = $1)
		OR EXISTS (SELECT 1 FROM @extschema@.free_mail_domain f
					WHERE f.domain LIKE '%.*'
					  AND left($1, length(f.domain) - 1) = left(f.domain, -1)
					  AND substr($1, length(f.domain)) ~ '^[a-z]{2,3}(\.[a-z]{2,3})?$')
$$;
COMMENT ON FUNCTION @extschema@._is_free_mail(text) IS
'Whether a (canonical) domain is a free-mail domain of free_mail_domain, "name.*" entries matching name.<tld> and name.<sld>.<tld>.';

-- The suppression list ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._suppression_json(s @extschema@.suppression) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('suppression_id', s.suppression_id, 'kind', s.kind, 'value', s.value,
		'reason', s.reason, 'source', s.source, 'created_at', @extschema@._ts(s.created_at))
$$;
COMMENT ON FUNCTION @extschema@._suppression_json(@extschema@.suppression) IS 'The response body of a suppression entry.';

CREATE OR REPLACE FUNCTION @extschema@.suppression_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	n jsonb := @extschema@._validate('SuppressionCreate', $1);
	v text := @extschema@._suppression_value(n ->> 'kind', n ->> 'value');
	s @extschema@.suppression;
BEGIN
	INSERT INTO @extschema@.suppression (user_id, kind, value, reason, source)
	VALUES (uid, n ->> 'kind', v, n ->> 'reason', n ->> 'source')
	ON CONFLICT (user_id, kind, value) DO NOTHING
	RETURNING * INTO s;
	IF NOT FOUND THEN
		SELECT * INTO s FROM @extschema@.suppression x WHERE x.user_id = uid AND x.kind = n ->> 'kind' AND x.value = v;
		PERFORM @extschema@._conflict(format('the suppression list already has %s %s (suppression_id %s)',
											 replace(s.kind, '_', ' '), s.value, s.suppression_id));
	END IF;
	RETURN @extschema@._suppression_json(s);
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_create(jsonb) IS
'POST /suppressions/: {kind, value, reason?, source?} adds an entry to the caller''s suppression list (value normalised; reason default manual); 55000 when the list already has it.';

-- _suppression_import(entries): every entry validated against
-- SuppressionUpload (all errors at once, loc ["body", i, field]; nothing
-- written on any), then inserted; entries the list already has, or that
-- repeat an earlier entry of the upload, are merged: the entry already
-- there is kept as it is.
CREATE OR REPLACE FUNCTION @extschema@._suppression_import(entries jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	n jsonb := @extschema@._validate('SuppressionUpload', entries);
	inserted integer;
	total bigint;
BEGIN
	WITH inp AS (
		SELECT x.o, x.e ->> 'kind' AS kind, @extschema@._suppression_value(x.e ->> 'kind', x.e ->> 'value') AS value,
			   x.e ->> 'reason' AS reason, x.e ->> 'source' AS source
		  FROM jsonb_array_elements(n) WITH ORDINALITY AS x(e, o)
	), firsts AS (
		SELECT DISTINCT ON (inp.kind, inp.value) inp.* FROM inp ORDER BY inp.kind, inp.value, inp.o
	)
	INSERT INTO @extschema@.suppression (user_id, kind, value, reason, source)
	SELECT uid, f.kind, f.value, f.reason, f.source FROM firsts f ORDER BY f.o
	ON CONFLICT (user_id, kind, value) DO NOTHING;
	GET DIAGNOSTICS inserted = ROW_COUNT;
	SELECT count(*) INTO total FROM @extschema@.suppression s WHERE s.user_id = uid;
	RETURN jsonb_build_object('received', jsonb_array_length(n), 'inserted', inserted,
		'merged', jsonb_array_length(n) - inserted, 'suppression_count', total);
END
$$;
COMMENT ON FUNCTION @extschema@._suppression_import(jsonb) IS
'Validates (SuppressionUpload) and adds a JSON array of suppression entries, all or nothing; returns {received, inserted, merged, suppression_count}.';

CREATE OR REPLACE FUNCTION @extschema@.suppression_import(entries jsonb) RETURNS jsonb
LANGUAGE sql
AS $$ SELECT @extschema@._suppression_import($1) $$;
COMMENT ON FUNCTION @extschema@.suppression_import(jsonb) IS
'POST /suppressions/import: a JSON array of entries {kind, value, reason?, source?}, all or nothing (every error reported, loc ["body", i, field]); duplicates are merged; returns {received, inserted, merged, suppression_count}.';

-- suppression_import_csv: a CSV syntax error (22023 from the C parser) is
-- re-raised as a value_error at ["body"], like a lead upload's.
CREATE OR REPLACE FUNCTION @extschema@.suppression_import_csv(csv text) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	entries jsonb;
BEGIN
	BEGIN
		entries := @extschema@._csv_to_objects($1);
	EXCEPTION WHEN invalid_parameter_value THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["body"]',
			'Value error, ' || SQLERRM, 'value_error')));
	END;
	RETURN @extschema@._suppression_import(coalesce(entries, '[]'));
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_import_csv(text) IS
'POST /suppressions/import with text/csv: a header row naming kind, value and optionally reason and source, then one entry per row (the i-th data row is loc ["body", i-1]).';

CREATE OR REPLACE FUNCTION @extschema@.suppression_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q jsonb := @extschema@._validate('SuppressionListQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._suppression_json(s) ORDER BY s.created_at DESC, s.suppression_id DESC)
		  FROM (SELECT * FROM @extschema@.suppression s
				 WHERE s.user_id = @extschema@.current_user_id()
				   AND (q ->> 'kind' IS NULL OR s.kind = q ->> 'kind')
				   AND (q ->> 'reason' IS NULL OR s.reason = q ->> 'reason')
				   AND (q ->> 'value' IS NULL OR s.value ILIKE @extschema@._campaign_name_pattern(q ->> 'value'))
				 ORDER BY s.created_at DESC, s.suppression_id DESC
				OFFSET (q ->> 'offset')::bigint LIMIT (q ->> 'limit')::int) s), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_list(jsonb) IS
'GET /suppressions/: the caller''s suppression list, newest first; filters kind, reason, value (case-insensitive substring), offset, limit (1..100, default 50).';

CREATE OR REPLACE FUNCTION @extschema@.suppression_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q jsonb := @extschema@._validate('SuppressionListQuery', filters);
BEGIN
	RETURN (SELECT count(*) FROM @extschema@.suppression s
			 WHERE s.user_id = @extschema@.current_user_id()
			   AND (q ->> 'kind' IS NULL OR s.kind = q ->> 'kind')
			   AND (q ->> 'reason' IS NULL OR s.reason = q ->> 'reason')
			   AND (q ->> 'value' IS NULL OR s.value ILIKE @extschema@._campaign_name_pattern(q ->> 'value')));
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_count(jsonb) IS
'The number of entries suppression_list pages through (X-Total-Count).';

CREATE OR REPLACE FUNCTION @extschema@.suppression_get(suppression_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._suppression_json(s) INTO r FROM @extschema@.suppression s
	 WHERE s.suppression_id = $1 AND s.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('suppression entry');
	END IF;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_get(uuid) IS 'GET /suppressions/{id}: one entry of the caller''s list, or P0002.';

CREATE OR REPLACE FUNCTION @extschema@.suppression_delete(suppression_id uuid) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	DELETE FROM @extschema@.suppression s
	 WHERE s.suppression_id = $1 AND s.user_id = @extschema@.current_user_id();
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('suppression entry');
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.suppression_delete(uuid) IS
'DELETE /suppressions/{id}: removes an entry (leads already stopped stay stopped; later enrolments and sends may reach the address again); P0002 when missing.';

-- _lead_suppressed(user, email, linkedin_url): which kind of entry of the
-- user's list matches a lead's addresses (email, then its domain, then the
-- LinkedIn URL), or null.  Probes of the key (user_id, kind, value); the
-- launch summary names the kind for the leads it lists.
CREATE OR REPLACE FUNCTION @extschema@._lead_suppressed(uid uuid, email text, linkedin_url text) RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT CASE
		WHEN EXISTS (SELECT 1 FROM @extschema@.suppression s WHERE s.user_id = $1 AND s.kind = 'email'
						AND s.value = @extschema@._suppression_value('email', $2)) THEN 'email'
		WHEN EXISTS (SELECT 1 FROM @extschema@.suppression s WHERE s.user_id = $1 AND s.kind = 'domain'
						AND s.value = @extschema@._email_domain($2)) THEN 'domain'
		WHEN EXISTS (SELECT 1 FROM @extschema@.suppression s WHERE s.user_id = $1 AND s.kind = 'linkedin_url'
						AND s.value = @extschema@._suppression_value('linkedin_url', $3)) THEN 'linkedin_url'
	END
$$;
COMMENT ON FUNCTION @extschema@._lead_suppressed(uuid, text, text) IS
'The kind of the user''s suppression entry that matches a lead''s email, its domain or its LinkedIn URL (in that order), or null.';

-- _suppress_address(user, email, linkedin_url, reason, source): what an
-- unsubscribe, a complaint or a hard bounce adds: the lead's email, or its
-- LinkedIn URL when it has no email.  An entry already there is kept.
CREATE OR REPLACE FUNCTION @extschema@._suppress_address(uid uuid, email text, linkedin_url text, reason text, source text)
RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO @extschema@.suppression (user_id, kind, value, reason, source)
	SELECT $1, k.kind, k.value, $4, $5
	  FROM (SELECT 'email' AS kind, @extschema@._suppression_value('email', $2) AS value
			UNION ALL
			SELECT 'linkedin_url', @extschema@._suppression_value('linkedin_url', $3)) k
	 WHERE k.value IS NOT NULL
	 ORDER BY k.kind = 'email' DESC
	 LIMIT 1
	ON CONFLICT (user_id, kind, value) DO NOTHING
$$;
COMMENT ON FUNCTION @extschema@._suppress_address(uuid, text, text, text, text) IS
'Adds a lead''s email (else its LinkedIn URL) to the user''s suppression list with the given reason and source, unless an entry is there already.';

-- Stopping leads ------------------------------------------------------------------

-- _stop_leads(campaign, leads, reason, at): the given unfinished leads of a
-- campaign (pending, active or paused) stop for good: queued actions
-- cancelled, stop_reason set, finished at `at`, counted in
-- processed_leads; the campaign completes when that was its last lead.
-- The caller holds the campaign's row lock.  Returns how many stopped.
CREATE OR REPLACE FUNCTION @extschema@._stop_leads(cid uuid, ids uuid[], reason text, at timestamptz) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	IF ids IS NULL OR cardinality(ids) = 0 THEN
		RETURN 0;
	END IF;
	WITH stopped AS (
		UPDATE @extschema@.campaign_lead cl
		   SET status = 'stopped', stop_reason = reason, eligible_at = NULL, next_step = NULL,
			   next_channel = NULL, finished_at = at
		 WHERE cl.campaign_id = cid AND cl.campaign_lead_id = ANY (ids)
		   AND cl.status IN ('pending', 'active', 'paused')
		RETURNING cl.campaign_lead_id
	), cancelled AS (
		UPDATE @extschema@.action a SET state = 'cancelled', updated_at = now()
		  FROM stopped s
		 WHERE a.campaign_lead_id = s.campaign_lead_id AND a.state = 'queued'
		RETURNING 1
	)
	SELECT count(*) INTO n FROM stopped;
	IF n > 0 THEN
		UPDATE @extschema@.campaign c SET processed_leads = c.processed_leads + n
		 WHERE c.campaign_id = cid;
		PERFORM @extschema@._try_complete(ARRAY[cid]);
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._stop_leads(uuid, uuid[], text, timestamptz) IS
'Stops the given unfinished leads of a (locked) campaign with a stop_reason: queued actions cancelled, processed_leads counted, the campaign completed when nothing is left.';

-- Bounce protection -----------------------------------------------------------------

-- _bounce_check(campaign, at): evaluated whenever a hard bounce of the
-- campaign is recorded (the campaign row locked).  Over the campaign's
-- last bounce_window email sends, bounces are the sends that were the last
-- one to a lead that has a bounced event; with at least 20 sends, a rate
-- above max_bounce_rate (bounces * 100 > max_bounce_rate * sends: equal is
-- not above) pauses an active campaign (paused_reason bounce_rate_exceeded;
-- draining first when actions are in flight) and records a notification.
-- Returns whether it paused the campaign.
CREATE OR REPLACE FUNCTION @extschema@._bounce_check(cid uuid, at timestamptz) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	sends integer;
	bounces integer;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign x WHERE x.campaign_id = cid;
	IF NOT FOUND OR c.status <> 'active' THEN
		RETURN false;
	END IF;
	SELECT count(*), count(*) FILTER (WHERE w.bounced) INTO sends, bounces
	  FROM (SELECT EXISTS (SELECT 1 FROM @extschema@.event e
							WHERE e.campaign_lead_id = a.campaign_lead_id AND e.type = 'bounced')
				   AND NOT EXISTS (SELECT 1 FROM @extschema@.action b
									WHERE b.campaign_lead_id = a.campaign_lead_id AND b.state = 'sent'
									  AND b.channel = 'email' AND (b.sent_at, b.action_id) > (a.sent_at, a.action_id)) AS bounced
			  FROM @extschema@.action a
			 WHERE a.campaign_id = cid AND a.state = 'sent' AND a.channel = 'email'
			 ORDER BY a.sent_at DESC, a.action_id DESC
			 LIMIT c.bounce_window) w;
	IF sends < 20 OR bounces * 100 <= c.max_bounce_rate * sends THEN
		RETURN false;
	END IF;
	PERFORM @extschema@._cancel_queued(cid);
	UPDATE @extschema@.campaign x
	   SET status = CASE WHEN EXISTS (SELECT 1 FROM @extschema@.action a
									   WHERE a.campaign_id = cid AND a.state = 'in_flight')
						 THEN 'draining' ELSE 'paused' END,
		   paused_reason = 'bounce_rate_exceeded', next_action_at = NULL, updated_at = now()
	 WHERE x.campaign_id = cid;
	PERFORM @extschema@._notify(c, 'bounce_rate_exceeded',
		jsonb_build_object('bounces', bounces, 'sends', sends,
						   'bounce_rate', round(bounces * 100.0 / sends, 2),
						   'max_bounce_rate', c.max_bounce_rate, 'bounce_window', c.bounce_window,
						   'message', format('paused: %s of the last %s email sends bounced (%s%%, above max_bounce_rate %s%%)',
											 bounces, sends, round(bounces * 100.0 / sends, 2), c.max_bounce_rate)),
		at);
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@._bounce_check(uuid, timestamptz) IS
'Bounce protection, run on each hard bounce: pauses an active campaign (bounce_rate_exceeded, with a notification) whose bounce rate over its last bounce_window email sends (at least 20) is above max_bounce_rate.';

-- Per-lead control ------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._campaign_lead_json(cl @extschema@.campaign_lead, email text) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object(
		'campaign_lead_id', cl.campaign_lead_id, 'lead_id', cl.lead_id, 'email', email,
		'status', cl.status, 'current_step', cl.current_step, 'next_step', cl.next_step,
		'eligible_at', @extschema@._ts(cl.eligible_at),
		'last_sent_at', @extschema@._ts(cl.last_sent_at),
		'variants', cl.variants, 'stop_reason', cl.stop_reason,
		'enrolled_at', @extschema@._ts(cl.enrolled_at),
		'finished_at', @extschema@._ts(cl.finished_at),
		'resume_at', @extschema@._ts(cl.resume_at))
$$;
COMMENT ON FUNCTION @extschema@._campaign_lead_json(@extschema@.campaign_lead, text) IS 'The response body of an enrolled lead.';

-- _campaign_lead_lock(campaign, lead): the caller's campaign (locked, as
-- every change of a campaign's leads is) and its enrolled lead (locked);
-- P0002 for either missing or another user's.
CREATE OR REPLACE FUNCTION @extschema@._campaign_lead_lock(cid uuid, lid uuid, OUT c @extschema@.campaign, OUT cl @extschema@.campaign_lead)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	c := @extschema@._campaign_lock(cid);
	SELECT * INTO cl FROM @extschema@.campaign_lead x
	 WHERE x.campaign_lead_id = lid AND x.campaign_id = c.campaign_id AND x.user_id = c.user_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('campaign lead');
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._campaign_lead_lock(uuid, uuid) IS
'The caller''s campaign and one of its enrolled leads, both locked; P0002 when either is missing or another user''s.';

CREATE OR REPLACE FUNCTION @extschema@._campaign_lead_body(lid uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@._campaign_lead_json(cl, l.email)
	  FROM @extschema@.campaign_lead cl
	  LEFT JOIN @extschema@.lead l ON l.lead_id = cl.lead_id AND l.user_id = cl.user_id
	 WHERE cl.campaign_lead_id = lid
$$;
COMMENT ON FUNCTION @extschema@._campaign_lead_body(uuid) IS 'The response body of an enrolled lead, read afresh.';

CREATE OR REPLACE FUNCTION @extschema@._lead_refuse(cl @extschema@.campaign_lead, what text, allowed text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'campaign lead cannot be %', what
		USING ERRCODE = '55000',
			  DETAIL = format('The lead is %s; only a lead that is %s can be %s.', cl.status, allowed, what);
END
$$;
COMMENT ON FUNCTION @extschema@._lead_refuse(@extschema@.campaign_lead, text, text) IS
'Raises SQLSTATE 55000 (HTTP 409) for a per-lead change the lead''s status does not allow.';

CREATE OR REPLACE FUNCTION @extschema@.campaign_lead_pause(campaign_id uuid, campaign_lead_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	r record := @extschema@._campaign_lead_lock($1, $2);
BEGIN
	IF (r.cl).status NOT IN ('pending', 'active') THEN
		PERFORM @extschema@._lead_refuse(r.cl, 'paused', 'pending or active');
	END IF;
	-- Its queued action goes back (the lead keeps its eligible time, so it
	-- keeps its place); one in flight finishes and advances the lead.
	PERFORM @extschema@._cancel_queued((r.c).campaign_id, (r.cl).campaign_lead_id);
	UPDATE @extschema@.campaign_lead x SET status = 'paused'
	 WHERE x.campaign_lead_id = (r.cl).campaign_lead_id;
	RETURN @extschema@._campaign_lead_body((r.cl).campaign_lead_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_lead_pause(uuid, uuid) IS
'POST /campaigns/{id}/leads/{campaign_lead_id}/pause: a pending or active lead stops receiving steps until resumed (its queued action is cancelled, it keeps its step and eligible time; not counted in processed_leads, so the campaign does not complete meanwhile); 55000 for another status.';

CREATE OR REPLACE FUNCTION @extschema@.campaign_lead_resume(campaign_id uuid, campaign_lead_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	r record := @extschema@._campaign_lead_lock($1, $2);
	cl @extschema@.campaign_lead;
BEGIN
	IF (r.cl).status <> 'paused' THEN
		PERFORM @extschema@._lead_refuse(r.cl, 'resumed', 'paused');
	END IF;
	-- Eligible again at its kept time (or, when its action was cancelled in
	-- flight, at that action's due time); nothing while an action of its is
	-- still in flight (the outcome advances it).
	UPDATE @extschema@.campaign_lead x
	   SET status = CASE WHEN x.current_step > 0 THEN 'active' ELSE 'pending' END,
		   eligible_at = CASE
				WHEN x.eligible_at IS NOT NULL OR x.next_step IS NULL THEN x.eligible_at
				WHEN EXISTS (SELECT 1 FROM @extschema@.action a WHERE a.campaign_lead_id = x.campaign_lead_id
								AND a.state IN ('queued', 'in_flight')) THEN NULL
				ELSE greatest(coalesce((SELECT a.due_at FROM @extschema@.action a
										 WHERE a.campaign_lead_id = x.campaign_lead_id AND a.step = x.next_step
										   AND a.state = 'cancelled'), now()), x.resume_at) END
	 WHERE x.campaign_lead_id = (r.cl).campaign_lead_id
	RETURNING * INTO cl;
	-- The scheduler looks at the campaign again by the lead's time; pacing
	-- applies as for every lead (no burst).
	IF (r.c).status = 'active' AND cl.eligible_at IS NOT NULL THEN
		UPDATE @extschema@.campaign x
		   SET next_action_at = least(coalesce(x.next_action_at, cl.eligible_at), cl.eligible_at)
		 WHERE x.campaign_id = (r.c).campaign_id;
	END IF;
	RETURN @extschema@._campaign_lead_body(cl.campaign_lead_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_lead_resume(uuid, uuid) IS
'POST /campaigns/{id}/leads/{campaign_lead_id}/resume: a paused lead is pending or active again, eligible at its kept time; the campaign''s pacing applies (no burst); 55000 when it is not paused.';

CREATE OR REPLACE FUNCTION @extschema@.campaign_lead_remove(campaign_id uuid, campaign_lead_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	r record := @extschema@._campaign_lead_lock($1, $2);
BEGIN
	IF (r.cl).status NOT IN ('pending', 'active', 'paused') THEN
		PERFORM @extschema@._lead_refuse(r.cl, 'removed', 'pending, active or paused');
	END IF;
	PERFORM @extschema@._stop_leads((r.c).campaign_id, ARRAY[(r.cl).campaign_lead_id], 'removed', now());
	RETURN @extschema@._campaign_lead_body((r.cl).campaign_lead_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_lead_remove(uuid, uuid) IS
'POST /campaigns/{id}/leads/{campaign_lead_id}/remove: an unfinished lead stops for good (stop_reason removed; queued actions cancelled; counted in processed_leads; the campaign completes when it was the last); 55000 when already finished.';
