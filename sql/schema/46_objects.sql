-- The small objects a user owns (SPEC §3): datasets and their leads,
-- templates, sender profiles, email aliases, connected accounts.  Each
-- function is jsonb in / jsonb out, exactly the HTTP bodies.

-- Datasets -------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._dataset_json(d @extschema@.dataset) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('dataset_id', d.dataset_id, 'user_id', d.user_id, 'name', d.name,
		'lead_count', d.lead_count, 'created_at', @extschema@._ts(d.created_at),
		'updated_at', @extschema@._ts(d.updated_at))
$$;

CREATE OR REPLACE FUNCTION @extschema@.dataset_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	d @extschema@.dataset;
BEGIN
	PERFORM @extschema@._validate('DatasetCreate', $1);
	INSERT INTO @extschema@.dataset (user_id, name)
	VALUES (@extschema@.current_user_id(), $1->>'name')
	RETURNING * INTO d;
	IF $1 ? 'leads' THEN
		PERFORM @extschema@._dataset_insert_leads(d.dataset_id, $1->'leads');
		SELECT * INTO d FROM @extschema@.dataset WHERE dataset_id = d.dataset_id;
	END IF;
	RETURN @extschema@._dataset_json(d);
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_create(jsonb) IS
'POST /datasets/: {name, leads?} creates a dataset, optionally with an array of leads.';

CREATE OR REPLACE FUNCTION @extschema@.dataset_get(dataset_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._dataset_json(d) INTO r FROM @extschema@.dataset d
	 WHERE d.dataset_id = $1 AND d.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('dataset');
	END IF;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.dataset_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._dataset_json(d) ORDER BY d.created_at DESC, d.dataset_id DESC)
		  FROM (SELECT * FROM @extschema@.dataset d WHERE d.user_id = @extschema@.current_user_id()
				 ORDER BY d.created_at DESC, d.dataset_id DESC
				OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) d), '[]');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.dataset_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$
	SELECT count(*) FROM @extschema@.dataset WHERE user_id = @extschema@.current_user_id()
$$;

CREATE OR REPLACE FUNCTION @extschema@.dataset_delete(dataset_id uuid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
BEGIN
	PERFORM 1 FROM @extschema@.dataset d WHERE d.dataset_id = $1 AND d.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('dataset');
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.campaign c WHERE c.dataset_id = $1 AND c.user_id = uid) THEN
		PERFORM @extschema@._conflict('the dataset is used by a campaign',
			'Delete the campaigns that use it first.');
	END IF;
	DELETE FROM @extschema@.dataset d WHERE d.dataset_id = $1 AND d.user_id = uid;
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_delete(uuid) IS
'DELETE /datasets/{id}: removes the dataset and its leads; 55000 while a campaign uses it.';

-- Leads ----------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._lead_json(l @extschema@.lead) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('lead_id', l.lead_id, 'dataset_id', l.dataset_id, 'email', l.email,
		'linkedin_url', l.linkedin_url, 'first_name', l.first_name, 'last_name', l.last_name,
		'company', l.company, 'title', l.title, 'timezone', l.timezone, 'fields', l.fields,
		'created_at', @extschema@._ts(l.created_at), 'updated_at', @extschema@._ts(l.updated_at))
$$;

-- _dataset_insert_leads(id, leads) inserts leads already checked against
-- LeadUpload; a lead whose email is already in the dataset
-- (case-insensitively, also earlier in the same batch) is merged: given
-- fields overwrite, fields objects are merged.
CREATE OR REPLACE FUNCTION @extschema@._dataset_insert_leads(id uuid, leads jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	e jsonb;
	inserted integer := 0;
	merged integer := 0;
	was_insert boolean;
	total integer;
BEGIN
	PERFORM 1 FROM @extschema@.dataset d WHERE d.dataset_id = id AND d.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('dataset');
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(leads) LOOP
		INSERT INTO @extschema@.lead AS l (user_id, dataset_id, email, linkedin_url, first_name,
			last_name, company, title, timezone, fields)
		VALUES (uid, id, nullif(e->>'email', ''), nullif(e->>'linkedin_url', ''), e->>'first_name',
			e->>'last_name', e->>'company', e->>'title', e->>'timezone', coalesce(e->'fields', '{}'))
		ON CONFLICT (dataset_id, lower(email)) DO UPDATE SET
			linkedin_url = coalesce(EXCLUDED.linkedin_url, l.linkedin_url),
			first_name = coalesce(EXCLUDED.first_name, l.first_name),
			last_name = coalesce(EXCLUDED.last_name, l.last_name),
			company = coalesce(EXCLUDED.company, l.company),
			title = coalesce(EXCLUDED.title, l.title),
			timezone = coalesce(EXCLUDED.timezone, l.timezone),
			fields = l.fields || EXCLUDED.fields,
			updated_at = now()
		RETURNING (xmax = 0) INTO was_insert;
		IF was_insert THEN
			inserted := inserted + 1;
		ELSE
			merged := merged + 1;
		END IF;
	END LOOP;
	UPDATE @extschema@.dataset d SET lead_count = d.lead_count + inserted, updated_at = now()
	 WHERE d.dataset_id = id
	RETURNING d.lead_count INTO total;
	RETURN jsonb_build_object('dataset_id', id, 'received', jsonb_array_length(leads),
		'inserted', inserted, 'merged', merged, 'lead_count', total);
END
$$;
COMMENT ON FUNCTION @extschema@._dataset_insert_leads(uuid, jsonb) IS
'Inserts (or merges, by email) leads already checked against LeadUpload into the caller''s dataset; returns {dataset_id, received, inserted, merged, lead_count}.';

CREATE OR REPLACE FUNCTION @extschema@.dataset_add_leads(dataset_id uuid, leads jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM @extschema@._validate('LeadUpload', leads);
	RETURN @extschema@._dataset_insert_leads($1, leads);
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_add_leads(uuid, jsonb) IS
'POST /datasets/{id}/leads: a JSON array of leads; duplicate emails are merged; returns {received, inserted, merged, lead_count}.';

CREATE OR REPLACE FUNCTION @extschema@._csv_to_leads(csv text) RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'csv_to_leads';
COMMENT ON FUNCTION @extschema@._csv_to_leads(text) IS
'Parses RFC 4180 CSV with a header row into lead objects; unknown columns go to fields, empty cells are omitted.';

-- dataset_add_leads_csv: a CSV syntax error (from the C parser, 22023 with a
-- plain message) is re-raised in FastAPI's shape, a value_error at ["body"],
-- so that the DETAIL of every 22023 of the API is a JSON error array.
CREATE OR REPLACE FUNCTION @extschema@.dataset_add_leads_csv(dataset_id uuid, csv text) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	leads jsonb;
BEGIN
	BEGIN
		leads := @extschema@._csv_to_leads($2);
	EXCEPTION WHEN invalid_parameter_value THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["body"]',
			'Value error, ' || SQLERRM, 'value_error')));
	END;
	PERFORM @extschema@._validate('LeadUpload', leads);
	RETURN @extschema@._dataset_insert_leads($1, leads);
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_add_leads_csv(uuid, text) IS
'POST /datasets/{id}/leads with text/csv: a header row, then one lead per row (row n is loc ["body", n-1]).';

CREATE OR REPLACE FUNCTION @extschema@.dataset_leads(dataset_id uuid, filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	PERFORM 1 FROM @extschema@.dataset d WHERE d.dataset_id = $1 AND d.user_id = uid;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('dataset');
	END IF;
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._lead_json(l) ORDER BY l.created_at, l.lead_id)
		  FROM (SELECT * FROM @extschema@.lead l WHERE l.dataset_id = $1 AND l.user_id = uid
				 ORDER BY l.created_at, l.lead_id OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) l), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_leads(uuid, jsonb) IS 'GET /datasets/{id}/leads: the dataset''s leads, oldest first, paged.';

-- Templates ------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._template_json(t @extschema@.template) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('template_id', t.template_id, 'user_id', t.user_id, 'name', t.name,
		'channel', t.channel, 'subject', t.subject, 'body', t.body,
		'created_at', @extschema@._ts(t.created_at), 'updated_at', @extschema@._ts(t.updated_at))
$$;

CREATE OR REPLACE FUNCTION @extschema@.template_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t @extschema@.template;
BEGIN
	PERFORM @extschema@._validate('TemplateCreate', $1);
	INSERT INTO @extschema@.template (user_id, name, channel, subject, body)
	VALUES (@extschema@.current_user_id(), $1->>'name', $1->>'channel', $1->>'subject', $1->>'body')
	RETURNING * INTO t;
	RETURN @extschema@._template_json(t);
END
$$;
COMMENT ON FUNCTION @extschema@.template_create(jsonb) IS
'POST /templates/: {name, channel, subject?, body} with {{field}} / {{field|fallback}} merge fields.';

CREATE OR REPLACE FUNCTION @extschema@.template_get(template_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._template_json(t) INTO r FROM @extschema@.template t
	 WHERE t.template_id = $1 AND t.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('template');
	END IF;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.template_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._template_json(t) ORDER BY t.created_at DESC, t.template_id DESC)
		  FROM (SELECT * FROM @extschema@.template t WHERE t.user_id = @extschema@.current_user_id()
				 ORDER BY t.created_at DESC, t.template_id DESC
				OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) t), '[]');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.template_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.template WHERE user_id = @extschema@.current_user_id() $$;

-- _template_in_use(id) is true when a campaign's steps name the template.
CREATE OR REPLACE FUNCTION @extschema@._template_in_use(uid uuid, id uuid) RETURNS boolean
LANGUAGE sql STABLE
AS $$
	SELECT EXISTS (SELECT 1 FROM @extschema@.campaign c
					WHERE c.user_id = uid
					  AND jsonb_path_exists(c.steps_config, '$[*].variants[*] ? (@.template_id == $id)',
											jsonb_build_object('id', id::text)))
$$;

CREATE OR REPLACE FUNCTION @extschema@.template_update(template_id uuid, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	t @extschema@.template;
BEGIN
	SELECT * INTO t FROM @extschema@.template x WHERE x.template_id = $1 AND x.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('template');
	END IF;
	PERFORM @extschema@._validate('TemplateUpdate', patch);
	IF patch ? 'channel' AND patch->>'channel' <> t.channel AND @extschema@._template_in_use(uid, t.template_id) THEN
		PERFORM @extschema@._conflict('the channel of a template used by a campaign cannot change');
	END IF;
	UPDATE @extschema@.template x SET
		name = CASE WHEN patch ? 'name' THEN patch->>'name' ELSE x.name END,
		channel = CASE WHEN patch ? 'channel' THEN patch->>'channel' ELSE x.channel END,
		subject = CASE WHEN patch ? 'subject' THEN patch->>'subject' ELSE x.subject END,
		body = CASE WHEN patch ? 'body' THEN patch->>'body' ELSE x.body END,
		updated_at = now()
	 WHERE x.template_id = t.template_id
	RETURNING * INTO t;
	RETURN @extschema@._template_json(t);
END
$$;
COMMENT ON FUNCTION @extschema@.template_update(uuid, jsonb) IS
'PATCH /templates/{id}: partial update; the channel of a template in use cannot change (55000).';

CREATE OR REPLACE FUNCTION @extschema@.template_delete(template_id uuid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
BEGIN
	PERFORM 1 FROM @extschema@.template t WHERE t.template_id = $1 AND t.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('template');
	END IF;
	IF @extschema@._template_in_use(uid, $1) THEN
		PERFORM @extschema@._conflict('the template is used by a campaign');
	END IF;
	DELETE FROM @extschema@.template t WHERE t.template_id = $1 AND t.user_id = uid;
END
$$;

-- Sender profiles --------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._sender_profile_json(s @extschema@.sender_profile) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('sender_profile_id', s.sender_profile_id, 'user_id', s.user_id,
		'profile_name', s.profile_name, 'sender_data', s.sender_data, 'description', s.description,
		'is_default', s.is_default, 'created_at', @extschema@._ts(s.created_at),
		'updated_at', @extschema@._ts(s.updated_at))
$$;

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	s @extschema@.sender_profile;
BEGIN
	PERFORM @extschema@._validate('SenderProfileCreate', $1);
	-- Serialise creations per user so that the limit of 5 holds.
	PERFORM pg_advisory_xact_lock(hashtextextended('campaigns.sender_profile:' || uid::text, 0));
	IF (SELECT count(*) FROM @extschema@.sender_profile x WHERE x.user_id = uid) >= 5 THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["body"]',
			'Value error, a user may have at most 5 sender profiles', 'value_error')));
	END IF;
	IF coalesce(($1->>'is_default')::boolean, false) THEN
		UPDATE @extschema@.sender_profile x SET is_default = false, updated_at = now()
		 WHERE x.user_id = uid AND x.is_default;
	END IF;
	INSERT INTO @extschema@.sender_profile (user_id, profile_name, sender_data, description, is_default)
	VALUES (uid, $1->>'profile_name', coalesce($1->'sender_data', '{}'), $1->>'description',
			coalesce(($1->>'is_default')::boolean, false))
	RETURNING * INTO s;
	RETURN @extschema@._sender_profile_json(s);
END
$$;
COMMENT ON FUNCTION @extschema@.sender_profile_create(jsonb) IS
'POST /sender-profiles/: {profile_name (1-100), sender_data?, description? (<=500), is_default?}; at most 5 per user; one default.';

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_get(sender_profile_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._sender_profile_json(s) INTO r FROM @extschema@.sender_profile s
	 WHERE s.sender_profile_id = $1 AND s.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('sender profile');
	END IF;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._sender_profile_json(s) ORDER BY s.created_at DESC, s.sender_profile_id DESC)
		  FROM (SELECT * FROM @extschema@.sender_profile s WHERE s.user_id = @extschema@.current_user_id()
				 ORDER BY s.created_at DESC, s.sender_profile_id DESC
				OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) s), '[]');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.sender_profile WHERE user_id = @extschema@.current_user_id() $$;

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_update(sender_profile_id uuid, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	s @extschema@.sender_profile;
BEGIN
	SELECT * INTO s FROM @extschema@.sender_profile x
	 WHERE x.sender_profile_id = $1 AND x.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('sender profile');
	END IF;
	PERFORM @extschema@._validate('SenderProfileUpdate', patch);
	IF coalesce((patch->>'is_default')::boolean, false) THEN
		UPDATE @extschema@.sender_profile x SET is_default = false, updated_at = now()
		 WHERE x.user_id = uid AND x.is_default AND x.sender_profile_id <> s.sender_profile_id;
	END IF;
	UPDATE @extschema@.sender_profile x SET
		profile_name = CASE WHEN patch ? 'profile_name' THEN patch->>'profile_name' ELSE x.profile_name END,
		sender_data = CASE WHEN patch ? 'sender_data' THEN patch->'sender_data' ELSE x.sender_data END,
		description = CASE WHEN patch ? 'description' THEN patch->>'description' ELSE x.description END,
		is_default = CASE WHEN patch ? 'is_default' THEN (patch->>'is_default')::boolean ELSE x.is_default END,
		updated_at = now()
	 WHERE x.sender_profile_id = s.sender_profile_id
	RETURNING * INTO s;
	RETURN @extschema@._sender_profile_json(s);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.sender_profile_delete(sender_profile_id uuid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
BEGIN
	PERFORM 1 FROM @extschema@.sender_profile s WHERE s.sender_profile_id = $1 AND s.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('sender profile');
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.campaign c
				WHERE c.user_id = uid
				  AND jsonb_path_exists(c.steps_config, '$[*].variants[*] ? (@.sender_profile_id == $id)',
										jsonb_build_object('id', $1::text))) THEN
		PERFORM @extschema@._conflict('the sender profile is used by a campaign');
	END IF;
	DELETE FROM @extschema@.sender_profile s WHERE s.sender_profile_id = $1 AND s.user_id = uid;
END
$$;

-- Sending identities -----------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._alias_json(a @extschema@.email_alias) RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT jsonb_build_object('alias_id', a.alias_id, 'full_email', a.full_email,
								 'created_at', @extschema@._ts(a.created_at)) $$;

CREATE OR REPLACE FUNCTION @extschema@.alias_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	a @extschema@.email_alias;
BEGIN
	PERFORM @extschema@._validate('AliasCreate', $1);
	INSERT INTO @extschema@.email_alias (user_id, alias_id, full_email)
	VALUES (uid, $1->>'alias_id', $1->>'full_email')
	ON CONFLICT DO NOTHING
	RETURNING * INTO a;
	IF NOT FOUND THEN
		PERFORM @extschema@._conflict('an alias with this alias_id exists');
	END IF;
	RETURN @extschema@._alias_json(a);
END
$$;
COMMENT ON FUNCTION @extschema@.alias_create(jsonb) IS
'POST /aliases/: {alias_id, full_email}, a sending mailbox; alias_id is unique per user (55000 when taken).';

CREATE OR REPLACE FUNCTION @extschema@.alias_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._alias_json(a) ORDER BY a.created_at, a.alias_id)
		  FROM (SELECT * FROM @extschema@.email_alias a WHERE a.user_id = @extschema@.current_user_id()
				 ORDER BY a.created_at, a.alias_id OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) a), '[]');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.alias_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.email_alias WHERE user_id = @extschema@.current_user_id() $$;

CREATE OR REPLACE FUNCTION @extschema@._connected_account_json(a @extschema@.connected_account) RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT jsonb_build_object('connected_account_id', a.connected_account_id, 'provider', a.provider,
								 'name', a.name, 'created_at', @extschema@._ts(a.created_at)) $$;

CREATE OR REPLACE FUNCTION @extschema@.connected_account_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	a @extschema@.connected_account;
	n jsonb := @extschema@._validate('ConnectedAccountCreate', $1);
BEGIN
	INSERT INTO @extschema@.connected_account (user_id, provider, name)
	VALUES (@extschema@.current_user_id(), n->>'provider', n->>'name')
	RETURNING * INTO a;
	RETURN @extschema@._connected_account_json(a);
END
$$;
COMMENT ON FUNCTION @extschema@.connected_account_create(jsonb) IS
'POST /connected-accounts/: {name, provider? = "linkedin"}.';

CREATE OR REPLACE FUNCTION @extschema@.connected_account_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p jsonb := @extschema@._validate('PageQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._connected_account_json(a) ORDER BY a.created_at, a.connected_account_id)
		  FROM (SELECT * FROM @extschema@.connected_account a WHERE a.user_id = @extschema@.current_user_id()
				 ORDER BY a.created_at, a.connected_account_id OFFSET (p->>'offset')::bigint LIMIT (p->>'limit')::int) a), '[]');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.connected_account_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.connected_account WHERE user_id = @extschema@.current_user_id() $$;
