-- campaigns 0.1.0, the install script as released (frozen: generated from
-- the schema sources of 0.1.0; never edit).  CREATE EXTENSION campaigns
-- VERSION '0.1.0' installs it; ALTER EXTENSION campaigns UPDATE upgrades it.

-- schema/00_header.sql
\echo Use "CREATE EXTENSION campaigns" to load this file. \quit

-- schema/10_roles.sql
-- Roles.
--
-- campaigns_user: what an application role is granted to use the SQL API.
--   Row-level security keeps it to the rows of campaigns.current_user_id().
-- campaigns_gateway: what the HTTP gateway's login role is granted; it can
--   execute campaigns.http_handle and nothing else.
-- Roles are cluster-wide, so they are created only when missing and are not
-- dropped with the extension.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'campaigns_user') THEN
		CREATE ROLE campaigns_user NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'campaigns_gateway') THEN
		CREATE ROLE campaigns_gateway NOLOGIN;
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA @extschema@ TO campaigns_user;

-- schema/20_identity.sql
-- Identity: who is calling (SPEC §2).

CREATE FUNCTION @extschema@.current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	v text := nullif(current_setting('campaigns.user_id', true), '');
	claims text;
BEGIN
	IF v IS NULL THEN
		claims := nullif(current_setting('request.jwt.claims', true), '');
		IF claims IS NOT NULL THEN
			BEGIN
				v := claims::jsonb ->> 'sub';
			EXCEPTION WHEN others THEN
				v := NULL;
			END;
		END IF;
	END IF;
	IF v IS NULL THEN
		RAISE EXCEPTION 'no authenticated user'
			USING ERRCODE = '28000',
				  HINT = 'Set campaigns.user_id or request.jwt.claims.';
	END IF;
	BEGIN
		RETURN v::uuid;
	EXCEPTION WHEN invalid_text_representation THEN
		RAISE EXCEPTION 'no authenticated user'
			USING ERRCODE = '28000',
				  DETAIL = 'The user id is not a uuid.';
	END;
END
$$;
COMMENT ON FUNCTION @extschema@.current_user_id() IS
'The calling user: GUC campaigns.user_id, else request.jwt.claims ->> ''sub'' (PostgREST), else SQLSTATE 28000.';

-- schema/30_tables.sql
-- Tables (SPEC §3).  Every row carries user_id; row-level security
-- (35_rls.sql) keeps each user to their own rows, and every API query also
-- filters on user_id explicitly so a superuser caller gets the same answers.
-- Keys that a client names are unique per user, so a conflict never reveals
-- another user's object.

CREATE TABLE @extschema@.api_key (
	api_key_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	name		text NOT NULL,
	token_hash	bytea NOT NULL UNIQUE,
	token_prefix text NOT NULL,
	rate_limit_per_minute integer,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX ON @extschema@.api_key (user_id);
COMMENT ON TABLE @extschema@.api_key IS
'API keys: only the SHA-256 of each token is stored; a revoked key authenticates nothing.';

CREATE TABLE @extschema@.dataset (
	dataset_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	name		text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
	lead_count	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON @extschema@.dataset (user_id, created_at DESC);
COMMENT ON TABLE @extschema@.dataset IS 'A list of leads; a campaign sends to one dataset.';

CREATE TABLE @extschema@.lead (
	lead_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	dataset_id	uuid NOT NULL REFERENCES @extschema@.dataset ON DELETE CASCADE,
	email		text,
	linkedin_url text,
	first_name	text,
	last_name	text,
	company		text,
	title		text,
	timezone	text,
	fields		jsonb NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lead_dataset_email_key ON @extschema@.lead (dataset_id, lower(email));
CREATE INDEX ON @extschema@.lead (dataset_id, lead_id);
COMMENT ON TABLE @extschema@.lead IS
'A person to reach.  Emails are unique per dataset, case-insensitively: a duplicate is merged into the existing lead.';

CREATE TABLE @extschema@.template (
	template_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	name		text NOT NULL,
	channel		text NOT NULL CHECK (channel IN ('email', 'linkedin')),
	subject		text,
	body		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON @extschema@.template (user_id, created_at DESC);
COMMENT ON TABLE @extschema@.template IS
'Message templates with {{field}} and {{field|fallback}} merge fields.';

CREATE TABLE @extschema@.sender_profile (
	sender_profile_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	profile_name text NOT NULL,
	sender_data	jsonb NOT NULL DEFAULT '{}',
	description	text,
	is_default	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON @extschema@.sender_profile (user_id, created_at DESC);
CREATE UNIQUE INDEX sender_profile_one_default ON @extschema@.sender_profile (user_id) WHERE is_default;
COMMENT ON TABLE @extschema@.sender_profile IS
'Who a message speaks as; sender_data may hold custom_prompt.  At most 5 per user.';

CREATE TABLE @extschema@.email_alias (
	user_id		uuid NOT NULL,
	alias_id	text NOT NULL,
	full_email	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, alias_id)
);
COMMENT ON TABLE @extschema@.email_alias IS 'Sending mailboxes, named by alias_ids of a campaign.';

CREATE TABLE @extschema@.connected_account (
	connected_account_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	provider	text NOT NULL DEFAULT 'linkedin' CHECK (provider = 'linkedin'),
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON @extschema@.connected_account (user_id);
COMMENT ON TABLE @extschema@.connected_account IS 'LinkedIn accounts, named by connected_account_id of a campaign.';

CREATE TABLE @extschema@.delivery_endpoint (
	user_id		uuid NOT NULL,
	channel		text NOT NULL CHECK (channel IN ('email', 'linkedin')),
	url			text NOT NULL,
	auth_header	text,
	PRIMARY KEY (user_id, channel)
);
COMMENT ON TABLE @extschema@.delivery_endpoint IS
'Per-user delivery service of a channel; without a row the GUC campaigns.<channel>_endpoint applies.';

CREATE TABLE @extschema@.campaign (
	campaign_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	dataset_id	uuid NOT NULL,
	name		text NOT NULL,
	description	text,
	type		text NOT NULL,
	status		text NOT NULL DEFAULT 'draft',
	launch_type	text NOT NULL,
	start_date	timestamptz,
	daily_limit	integer NOT NULL,
	sending_window_start time NOT NULL,
	sending_window_end time NOT NULL,
	min_interval_seconds integer NOT NULL,
	timezone	text NOT NULL,
	send_days	text[] NOT NULL,
	steps_config jsonb NOT NULL,
	alias_ids	text[],
	connected_account_id uuid,
	system_prompt text,
	unreviewed_launch_policy text NOT NULL,
	paused_reason text,
	playground_discovery_dismissed_at timestamptz,
	playground_reviewed_at timestamptz,
	total_leads	integer,
	processed_leads integer NOT NULL DEFAULT 0,
	launch_job_id text,
	launch_requested_at timestamptz,
	launch_error text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- Internal pacing state, owned by the scheduler (never in responses).
	activated_at timestamptz,			-- when sending may start (launch time or start_date)
	next_action_at timestamptz,			-- the scheduler looks at the campaign again at this time
	pace_day	date,					-- local day that pace_day_count counts
	pace_day_count integer NOT NULL DEFAULT 0,
	lane_last_sent_at timestamptz[],	-- per sending identity (alias_ids order, then the connected account): last send
	lane_email_count integer NOT NULL DEFAULT 0,	-- how many lanes (the first ones) are email aliases
	lane_aliases text[],				-- the alias of each email lane (alias_ids when the lanes were set)
	lane_cursor	integer NOT NULL DEFAULT 0,	-- rotation position among lanes (last lane used)
	enrol_cursor uuid,					-- last lead_id enrolled by an unfinished launch
	failure_streak integer NOT NULL DEFAULT 0,
	CHECK (status IN ('draft', 'launching', 'scheduled', 'active', 'draining', 'paused', 'completed', 'failed'))
);
ALTER TABLE @extschema@.campaign ALTER COLUMN steps_config SET COMPRESSION lz4;
CREATE INDEX campaign_user_created ON @extschema@.campaign (user_id, created_at DESC, campaign_id);
CREATE INDEX campaign_due ON @extschema@.campaign (next_action_at)
	WHERE status IN ('launching', 'scheduled', 'active', 'draining');
COMMENT ON TABLE @extschema@.campaign IS
'Campaigns: the response model of the Create Campaign API plus the scheduler''s pacing state.';

CREATE TABLE @extschema@.campaign_lead (
	campaign_lead_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL REFERENCES @extschema@.campaign ON DELETE CASCADE,
	lead_id		uuid NOT NULL,
	status		text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'active', 'completed', 'stopped', 'failed')),
	current_step integer NOT NULL DEFAULT 0,	-- steps sent so far
	next_step	integer,						-- step number of the next step, null when finished
	next_channel text,							-- channel of next_step (picks a lane)
	eligible_at	timestamptz,					-- when next_step may go; null while one is queued
	last_sent_at timestamptz,
	variants	jsonb NOT NULL DEFAULT '{}',	-- step number -> variant label
	stop_reason	text,
	enrolled_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	UNIQUE (campaign_id, lead_id)
);
-- Follow-ups (current_step > 0) before first steps, then earliest eligible
-- (ties by lead_id, so the order is deterministic): the scheduler probes
-- each (campaign, channel, follow-up?) range separately.
CREATE INDEX campaign_lead_next ON @extschema@.campaign_lead
	(campaign_id, next_channel, (current_step > 0), eligible_at, lead_id)
	WHERE status IN ('pending', 'active') AND eligible_at IS NOT NULL;
CREATE INDEX ON @extschema@.campaign_lead (campaign_id, status);
COMMENT ON TABLE @extschema@.campaign_lead IS 'One row per lead enrolled in a campaign at launch: where it is in the sequence.';

CREATE TABLE @extschema@.action (
	action_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL REFERENCES @extschema@.campaign ON DELETE CASCADE,
	campaign_lead_id uuid NOT NULL REFERENCES @extschema@.campaign_lead ON DELETE CASCADE,
	step		integer NOT NULL,
	variant		text,
	channel		text NOT NULL,
	action_type	text NOT NULL,
	alias_id	text,
	connected_account_id uuid,
	idempotency_key text NOT NULL UNIQUE,
	due_at		timestamptz NOT NULL,
	state		text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'in_flight', 'sent', 'failed', 'cancelled')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	lease_until	timestamptz,
	http_status	integer,
	last_error	text,
	render_warnings jsonb,
	sent_at		timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (campaign_lead_id, step)
);
-- The dispatcher's claim: queued and due, or in flight past its lease.
CREATE INDEX action_claim ON @extschema@.action (next_attempt_at)
	WHERE state IN ('queued', 'in_flight');
CREATE INDEX ON @extschema@.action (campaign_id, state);
COMMENT ON TABLE @extschema@.action IS
'The dispatcher''s durable outbox: one row per (campaign_lead, step), sent at least once under a stable idempotency key.';

CREATE TABLE @extschema@.event (
	event_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		uuid NOT NULL,
	campaign_id	uuid REFERENCES @extschema@.campaign ON DELETE CASCADE,
	campaign_lead_id uuid REFERENCES @extschema@.campaign_lead ON DELETE CASCADE,
	type		text NOT NULL,
	payload		jsonb NOT NULL DEFAULT '{}',
	occurred_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON @extschema@.event (campaign_lead_id, occurred_at);
CREATE INDEX ON @extschema@.event (campaign_id, occurred_at);
CREATE INDEX ON @extschema@.event (created_at);
COMMENT ON TABLE @extschema@.event IS
'Lead events (replied, bounced, unsubscribed, connection_accepted, opened, clicked) and campaign notifications.';

CREATE TABLE @extschema@.campaign_daily_stats (
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL REFERENCES @extschema@.campaign ON DELETE CASCADE,
	day			date NOT NULL,				-- UTC day of the outcome
	step		integer NOT NULL,
	variant		text NOT NULL DEFAULT '',
	sent		bigint NOT NULL DEFAULT 0,
	failed		bigint NOT NULL DEFAULT 0,
	cancelled	bigint NOT NULL DEFAULT 0,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, day, step, variant)
);
CREATE INDEX ON @extschema@.campaign_daily_stats (user_id);
COMMENT ON TABLE @extschema@.campaign_daily_stats IS
'Daily roll-up of finished actions per campaign, step and variant (stats_rollup); it outlives the actions that retention removes.';

-- schema/35_rls.sql
-- Row-level security: each user sees and writes only rows whose user_id is
-- current_user_id().  (Superusers and the table owner bypass RLS, which is
-- why every API query also filters on user_id explicitly.)
DO $rls$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['api_key', 'dataset', 'lead', 'template', 'sender_profile',
							 'email_alias', 'connected_account', 'delivery_endpoint',
							 'campaign', 'campaign_lead', 'action', 'event',
							 'campaign_daily_stats']
	LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant ON @extschema@.%I
							USING (user_id = (SELECT @extschema@.current_user_id()))
							WITH CHECK (user_id = (SELECT @extschema@.current_user_id()))', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.%I TO campaigns_user', t);
	END LOOP;
END
$rls$;


-- schema/40_status.sql
-- The status machine (src/status.c): one transition table in C, enforced by a
-- trigger on every path that changes a campaign's status.

CREATE FUNCTION @extschema@._campaign_status_guard() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'campaign_status_guard';
COMMENT ON FUNCTION @extschema@._campaign_status_guard() IS
'Trigger: a campaign starts as draft, changes status only along status_transitions(), and is deleted only in draft, paused, completed or failed (SQLSTATE 55000 otherwise).';

CREATE TRIGGER campaign_status_guard
	BEFORE INSERT OR UPDATE OF status OR DELETE ON @extschema@.campaign
	FOR EACH ROW EXECUTE FUNCTION @extschema@._campaign_status_guard();

CREATE FUNCTION @extschema@.status_transitions(
	OUT from_status text, OUT to_status text, OUT description text)
RETURNS SETOF record
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'status_transitions';
COMMENT ON FUNCTION @extschema@.status_transitions() IS
'The allowed campaign status changes, produced from the table the trigger enforces.';

CREATE FUNCTION @extschema@._campaign_check_edit(status text, fields text[]) RETURNS void
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'campaign_check_edit';
COMMENT ON FUNCTION @extschema@._campaign_check_edit(text, text[]) IS
'Refuses (SQLSTATE 55000) a change of fields that the campaign''s status does not allow.';


-- schema/40_validate.sql
-- Campaign validation and merge-field rendering (src/validate.c, src/render.c).

CREATE FUNCTION @extschema@._campaign_validate(body jsonb, user_id uuid,
											   check_start_future boolean DEFAULT true)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'campaign_validate';
COMMENT ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) IS
'Checks a Create Campaign request body for user_id (SPEC §4) and returns it normalised (defaults filled, steps sorted); otherwise raises 22023 with a DETAIL that is a JSON array of {loc, msg, type} errors, all of them.';
REVOKE ALL ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) TO campaigns_user;

CREATE FUNCTION @extschema@.render_template(template text, lead jsonb)
RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'render_template';
COMMENT ON FUNCTION @extschema@.render_template(text, jsonb) IS
'Fills the {{field}} and {{field|fallback}} merge fields of a template from a lead object; returns {"text": ..., "missing": [fields without value or fallback]}.  Raises 22023 on bad syntax.';
REVOKE ALL ON FUNCTION @extschema@.render_template(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.render_template(text, jsonb) TO campaigns_user;

-- schema/42_common.sql
-- Helpers shared by the SQL API: timestamps in RFC 3339 UTC, validation
-- errors in FastAPI's shape, pagination filters, field checks for the small
-- objects (datasets, leads, templates, sender profiles, identities).

CREATE FUNCTION @extschema@._ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN t IS NULL THEN NULL
		WHEN date_part('microseconds', t)::bigint % 1000000 = 0
			THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
	END
$$;
COMMENT ON FUNCTION @extschema@._ts(timestamptz) IS
'A timestamp as RFC 3339 in UTC ending in Z (fractional seconds only when there are any).  STABLE like to_char, so that it is inlined.';

CREATE FUNCTION @extschema@._raise_validation(errors jsonb) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	IF errors IS NOT NULL AND jsonb_array_length(errors) > 0 THEN
		RAISE EXCEPTION 'invalid request'
			USING ERRCODE = '22023', DETAIL = errors::text;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._raise_validation(jsonb) IS
'Raises SQLSTATE 22023 whose DETAIL is the JSON array of {loc,msg,type} items, when there are any.';

CREATE FUNCTION @extschema@._err(loc jsonb, msg text, type text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT jsonb_build_object('loc', loc, 'msg', msg, 'type', type) $$;

CREATE FUNCTION @extschema@._not_found(what text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION '% not found', what USING ERRCODE = 'P0002';
END
$$;
COMMENT ON FUNCTION @extschema@._not_found(text) IS
'Raises SQLSTATE P0002 (HTTP 404): used alike for a missing object and for another user''s.';

CREATE FUNCTION @extschema@._conflict(msg text, detail text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION '%', msg USING ERRCODE = '55000', DETAIL = coalesce(detail, '');
END
$$;

CREATE FUNCTION @extschema@._is_timestamptz(s text) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	PERFORM s::timestamptz;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

-- _check_object(body, spec, loc) returns the errors of body against spec, an
-- object of field -> {type, required, nullable, min, max, values}; types are
-- string, integer, boolean, object, uuid, email, enum, datetime, timezone.
-- Unknown keys are extra_forbidden.  Messages and types are Pydantic v2's.
CREATE FUNCTION @extschema@._check_object(body jsonb, spec jsonb, loc jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	errs jsonb := '[]';
	f text;
	s jsonb;
	v jsonb;
	t text;
	l jsonb;
	n bigint;
	str text;
BEGIN
	IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
		RETURN jsonb_build_array(@extschema@._err(loc,
			'Input should be a valid dictionary or object to extract fields from', 'model_attributes_type'));
	END IF;
	FOR f, s IN SELECT key, value FROM jsonb_each(spec) ORDER BY (value->>'order')::int NULLS LAST, key LOOP
		l := loc || to_jsonb(f);
		IF NOT body ? f THEN
			IF coalesce((s->>'required')::boolean, false) THEN
				errs := errs || @extschema@._err(l, 'Field required', 'missing');
			END IF;
			CONTINUE;
		END IF;
		v := body -> f;
		t := s ->> 'type';
		IF jsonb_typeof(v) = 'null' THEN
			IF NOT coalesce((s->>'nullable')::boolean, false) THEN
				errs := errs || CASE t
					WHEN 'integer' THEN @extschema@._err(l, 'Input should be a valid integer', 'int_type')
					WHEN 'boolean' THEN @extschema@._err(l, 'Input should be a valid boolean', 'bool_type')
					WHEN 'object' THEN @extschema@._err(l, 'Input should be a valid dictionary', 'dict_type')
					WHEN 'uuid' THEN @extschema@._err(l, 'UUID input should be a string, bytes or UUID object', 'uuid_type')
					ELSE @extschema@._err(l, 'Input should be a valid string', 'string_type') END;
			END IF;
			CONTINUE;
		END IF;
		IF t = 'integer' THEN
			IF jsonb_typeof(v) <> 'number' OR v::text !~ '^-?[0-9]+$' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid integer', 'int_type');
			ELSIF length(v::text) > 18 OR (s ? 'min' AND v::text::numeric < (s->>'min')::numeric) THEN
				errs := errs || @extschema@._err(l, format('Input should be greater than or equal to %s', s->>'min'), 'greater_than_equal');
			ELSIF s ? 'max' AND v::text::numeric > (s->>'max')::numeric THEN
				errs := errs || @extschema@._err(l, format('Input should be less than or equal to %s', s->>'max'), 'less_than_equal');
			END IF;
		ELSIF t = 'boolean' THEN
			IF jsonb_typeof(v) <> 'boolean' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid boolean', 'bool_type');
			END IF;
		ELSIF t = 'object' THEN
			IF jsonb_typeof(v) <> 'object' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid dictionary', 'dict_type');
			END IF;
		ELSIF jsonb_typeof(v) <> 'string' THEN
			errs := errs || CASE t
				WHEN 'uuid' THEN @extschema@._err(l, 'UUID input should be a string, bytes or UUID object', 'uuid_type')
				ELSE @extschema@._err(l, 'Input should be a valid string', 'string_type') END;
		ELSE
			str := v #>> '{}';
			n := char_length(str);
			IF t = 'uuid' THEN
				IF str !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
					errs := errs || @extschema@._err(l, 'Input should be a valid UUID', 'uuid_parsing');
				END IF;
			ELSIF t = 'enum' THEN
				IF NOT (s->'values') ? str THEN
					errs := errs || @extschema@._err(l, format('Input should be %s',
						(SELECT CASE WHEN count(*) = 1 THEN min(q)
							ELSE string_agg(q, ', ' ORDER BY o) FILTER (WHERE o < count_all) || ' or ' || max(q) FILTER (WHERE o = count_all) END
						 FROM (SELECT quote_literal(x) AS q, o, count(*) OVER () AS count_all
							   FROM jsonb_array_elements_text(s->'values') WITH ORDINALITY AS e(x, o)) z)), 'enum');
				END IF;
			ELSIF t = 'datetime' THEN
				IF str !~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})$'
				   OR NOT @extschema@._is_timestamptz(str) THEN
					errs := errs || @extschema@._err(l, 'Input should be a valid datetime', 'datetime_parsing');
				END IF;
			ELSIF s ? 'min' AND n < (s->>'min')::int THEN
				errs := errs || @extschema@._err(l, format('String should have at least %s character%s',
					s->>'min', CASE WHEN (s->>'min')::int = 1 THEN '' ELSE 's' END), 'string_too_short');
			ELSIF s ? 'max' AND n > (s->>'max')::int THEN
				errs := errs || @extschema@._err(l, format('String should have at most %s character%s',
					s->>'max', CASE WHEN (s->>'max')::int = 1 THEN '' ELSE 's' END), 'string_too_long');
			ELSIF t = 'email' AND str !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' THEN
				errs := errs || @extschema@._err(l, 'value is not a valid email address', 'value_error');
			ELSIF t = 'timezone' AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = str) THEN
				errs := errs || @extschema@._err(l, 'Value error, unknown time zone', 'value_error');
			END IF;
		END IF;
	END LOOP;
	FOR f IN SELECT key FROM jsonb_object_keys(body) AS k(key) WHERE NOT spec ? key ORDER BY key LOOP
		errs := errs || @extschema@._err(loc || to_jsonb(f), 'Extra inputs are not permitted', 'extra_forbidden');
	END LOOP;
	RETURN errs;
END
$$;
COMMENT ON FUNCTION @extschema@._check_object(jsonb, jsonb, jsonb) IS
'Checks a request object against a field spec; returns the validation errors (empty array when valid).';

-- _page(filters) reads offset and limit (JSON numbers, or numeric strings from
-- a query string): offset >= 0 (default 0), limit 1..100 (default 50).
CREATE FUNCTION @extschema@._page(filters jsonb, OUT page_offset bigint, OUT page_limit integer)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	errs jsonb := '[]';
	o text := coalesce(filters ->> 'offset', '0');
	l text := coalesce(filters ->> 'limit', '50');
BEGIN
	IF o !~ '^\s*[0-9]{1,15}\s*$' THEN
		errs := errs || @extschema@._err('["query","offset"]', CASE WHEN o ~ '^\s*-[0-9]+\s*$'
			THEN 'Input should be greater than or equal to 0' ELSE 'Input should be a valid integer, unable to parse string as an integer' END,
			CASE WHEN o ~ '^\s*-[0-9]+\s*$' THEN 'greater_than_equal' ELSE 'int_parsing' END);
	END IF;
	IF l !~ '^\s*-?[0-9]{1,9}\s*$' THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing');
	ELSIF l::int < 1 THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be greater than or equal to 1', 'greater_than_equal');
	ELSIF l::int > 100 THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be less than or equal to 100', 'less_than_equal');
	END IF;
	PERFORM @extschema@._raise_validation(errs);
	page_offset := o::bigint;
	page_limit := l::int;
END
$$;
COMMENT ON FUNCTION @extschema@._page(jsonb) IS
'Offset/limit pagination filters: offset >= 0 (default 0), limit 1..100 (default 50); 22023 otherwise.';

-- schema/45_campaign.sql
-- Campaign CRUD (SPEC §4, §5): jsonb in, jsonb out, exactly the HTTP bodies.
-- Validation is C (_campaign_validate, src/validate.c); the status machine is
-- C (src/status.c); these wrappers only move rows.

-- _campaign_json(c) is the response body of a campaign: every field of the
-- seed's response model, timestamps in RFC 3339 UTC, times as HH:MM:SS.
CREATE FUNCTION @extschema@._campaign_json(c @extschema@.campaign) RETURNS jsonb
LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'campaign_json';
COMMENT ON FUNCTION @extschema@._campaign_json(@extschema@.campaign) IS
'The response body of a campaign (the seed''s response model).';

-- _campaign_request(c) is a stored campaign in request shape: what
-- campaign_update merges a PATCH into before validating the result.
CREATE FUNCTION @extschema@._campaign_request(c @extschema@.campaign) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN jsonb_build_object(
		'name', c.name,
		'dataset_id', c.dataset_id,
		'steps', c.steps_config,
		'description', c.description,
		'type', c.type,
		'alias_ids', to_jsonb(c.alias_ids),
		'connected_account_id', c.connected_account_id,
		'launch_type', c.launch_type,
		'start_date', @extschema@._ts(c.start_date),
		'daily_limit', c.daily_limit,
		'sending_window_start', c.sending_window_start::text,
		'sending_window_end', c.sending_window_end::text,
		'min_interval_seconds', c.min_interval_seconds,
		'timezone', c.timezone,
		'send_days', to_jsonb(c.send_days),
		'system_prompt', c.system_prompt,
		'unreviewed_launch_policy', c.unreviewed_launch_policy);
END
$$;

-- _campaign_lock(id) returns the caller's campaign, locked FOR UPDATE, so
-- that concurrent changes of one campaign are serialised (every status
-- endpoint starts with it); P0002 when it is missing or another user's.
CREATE FUNCTION @extschema@._campaign_lock(id uuid) RETURNS @extschema@.campaign
LANGUAGE plpgsql
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign
	 WHERE campaign_id = id AND user_id = @extschema@.current_user_id()
	   FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('campaign');
	END IF;
	RETURN c;
END
$$;

CREATE FUNCTION @extschema@.campaign_create(jsonb) RETURNS jsonb
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'campaign_create';
COMMENT ON FUNCTION @extschema@.campaign_create(jsonb) IS
'POST /campaigns/: validates the body (all errors at once, SQLSTATE 22023) and creates a draft campaign; returns the response body.';

CREATE FUNCTION @extschema@.campaign_get(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._campaign_json(c) INTO r FROM @extschema@.campaign c
	 WHERE c.campaign_id = $1 AND c.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('campaign');
	END IF;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_get(uuid) IS 'GET /campaigns/{id}: the campaign, or P0002.';

-- _campaign_filter(filters) checks the list filters: status (one of the
-- statuses) and name (a case-insensitive substring), plus offset/limit.
CREATE FUNCTION @extschema@._campaign_filter(filters jsonb, OUT status text, OUT name_pattern text)
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	filters := coalesce(filters, '{}');
	status := filters ->> 'status';
	IF status IS NOT NULL AND status NOT IN ('draft', 'launching', 'scheduled', 'active',
											 'draining', 'paused', 'completed', 'failed') THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["query","status"]',
			'Input should be ''draft'', ''launching'', ''scheduled'', ''active'', ''draining'', ''paused'', ''completed'' or ''failed''', 'enum')));
	END IF;
	IF filters ->> 'name' IS NOT NULL THEN
		name_pattern := '%' || replace(replace(replace(filters ->> 'name', '\', '\\'), '%', '\%'), '_', '\_') || '%';
	END IF;
END
$$;

CREATE FUNCTION @extschema@.campaign_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
	f record := @extschema@._campaign_filter(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._campaign_json(c) ORDER BY c.created_at DESC, c.campaign_id DESC)
		  FROM (SELECT * FROM @extschema@.campaign c
				 WHERE c.user_id = @extschema@.current_user_id()
				   AND (f.status IS NULL OR c.status = f.status)
				   AND (f.name_pattern IS NULL OR c.name ILIKE f.name_pattern)
				 ORDER BY c.created_at DESC, c.campaign_id DESC
				OFFSET p.page_offset LIMIT p.page_limit) c), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_list(jsonb) IS
'GET /campaigns/: the caller''s campaigns, newest first; filters offset, limit (1..100, default 50), status, name (case-insensitive substring).';

CREATE FUNCTION @extschema@.campaign_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	f record := @extschema@._campaign_filter(filters);
BEGIN
	RETURN (SELECT count(*) FROM @extschema@.campaign c
			 WHERE c.user_id = @extschema@.current_user_id()
			   AND (f.status IS NULL OR c.status = f.status)
			   AND (f.name_pattern IS NULL OR c.name ILIKE f.name_pattern));
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_count(jsonb) IS
'The number of campaigns campaign_list would page through (X-Total-Count).';

CREATE FUNCTION @extschema@.campaign_update(campaign_id uuid, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	c @extschema@.campaign := @extschema@._campaign_lock(campaign_id);
	cur jsonb;
	n jsonb;
	dismissed timestamptz;
	changed text[];
	ch record;
	lanes timestamptz[];
BEGIN
	IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["body"]',
			'Input should be a valid dictionary or object to extract fields from', 'model_attributes_type')));
	END IF;
	IF c.status = 'completed' AND patch <> '{}' THEN
		PERFORM @extschema@._campaign_check_edit(c.status, ARRAY(SELECT jsonb_object_keys(patch)));
	END IF;
	-- playground_discovery_dismissed_at is a response field a PATCH may set;
	-- everything else is checked by the create validator on the merged body.
	IF patch ? 'playground_discovery_dismissed_at' THEN
		PERFORM @extschema@._raise_validation(@extschema@._check_object(
			jsonb_build_object('playground_discovery_dismissed_at', patch->'playground_discovery_dismissed_at'),
			'{"playground_discovery_dismissed_at": {"type": "datetime", "nullable": true}}', '["body"]'));
		dismissed := (patch->>'playground_discovery_dismissed_at')::timestamptz;
	ELSE
		dismissed := c.playground_discovery_dismissed_at;
	END IF;
	cur := @extschema@._campaign_request(c);
	n := @extschema@._campaign_validate(cur || (patch - 'playground_discovery_dismissed_at'), uid,
										patch ? 'start_date' OR patch ? 'launch_type');
	-- The status decides which fields may change (55000 names the others).
	SELECT array_agg(k ORDER BY k) INTO changed
	  FROM jsonb_object_keys(n) k
	 WHERE CASE WHEN k = 'start_date'
				THEN (n->>k)::timestamptz IS DISTINCT FROM c.start_date
				ELSE n->k IS DISTINCT FROM cur->k END;
	IF dismissed IS DISTINCT FROM c.playground_discovery_dismissed_at THEN
		changed := array_append(changed, 'playground_discovery_dismissed_at');
	END IF;
	IF changed IS NULL THEN
		RETURN @extschema@._campaign_json(c);
	END IF;
	PERFORM @extschema@._campaign_check_edit(c.status, changed);
	UPDATE @extschema@.campaign SET
		dataset_id = (n->>'dataset_id')::uuid,
		name = n->>'name',
		description = n->>'description',
		type = n->>'type',
		launch_type = n->>'launch_type',
		start_date = (n->>'start_date')::timestamptz,
		daily_limit = (n->>'daily_limit')::int,
		sending_window_start = (n->>'sending_window_start')::time,
		sending_window_end = (n->>'sending_window_end')::time,
		min_interval_seconds = (n->>'min_interval_seconds')::int,
		timezone = n->>'timezone',
		send_days = ARRAY(SELECT jsonb_array_elements_text(n->'send_days')),
		steps_config = n->'steps',
		alias_ids = CASE WHEN jsonb_typeof(n->'alias_ids') = 'array'
						 THEN ARRAY(SELECT jsonb_array_elements_text(n->'alias_ids')) END,
		connected_account_id = (n->>'connected_account_id')::uuid,
		system_prompt = n->>'system_prompt',
		unreviewed_launch_policy = n->>'unreviewed_launch_policy',
		playground_discovery_dismissed_at = dismissed,
		updated_at = now()
	 WHERE campaign.campaign_id = c.campaign_id
	RETURNING * INTO c;
	-- A scheduled campaign whose start_date or timezone changed starts at the
	-- new start_date (now, when switched to an immediate launch): tick looks
	-- at it then, and the enrolled leads' first step is eligible from it
	-- (+ its delay_days, in local days).
	-- The same holds for a paused campaign that has not sent anything yet
	-- (paused before its start): its leads wait for the new start on resume.
	IF changed && ARRAY['start_date', 'timezone', 'launch_type']
	   AND (c.status = 'scheduled'
			OR (c.status = 'paused' AND c.total_leads IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM @extschema@.action a WHERE a.campaign_id = c.campaign_id))) THEN
		UPDATE @extschema@.campaign
		   SET activated_at = coalesce(c.start_date, now()),
			   next_action_at = CASE WHEN c.status = 'scheduled' THEN coalesce(c.start_date, now()) ELSE next_action_at END
		 WHERE campaign.campaign_id = c.campaign_id;
		UPDATE @extschema@.campaign_lead cl
		   SET eligible_at = @extschema@.add_local_days(coalesce(c.start_date, now()),
				coalesce((c.steps_config -> 0 ->> 'delay_days')::int, 0), c.timezone)
		 WHERE cl.campaign_id = c.campaign_id AND cl.status = 'pending' AND cl.current_step = 0;
	END IF;
	-- The sending lanes of a launched campaign follow its identities: lane i
	-- is alias_ids[i] (then the connected account), so when alias_ids or the
	-- account change (allowed while scheduled or paused) the lanes are
	-- rebuilt, each alias keeping its last send time (pacing holds), and
	-- removed identities are never used again.
	IF c.lane_last_sent_at IS NOT NULL AND c.status IN ('scheduled', 'paused')
	   AND changed && ARRAY['alias_ids', 'connected_account_id'] THEN
		SELECT * INTO ch FROM @extschema@._launch_channels(c);
		lanes := ARRAY(
			SELECT (SELECT c.lane_last_sent_at[o.i]
					  FROM jsonb_array_elements_text(coalesce(nullif(cur->'alias_ids', 'null'), '[]')) WITH ORDINALITY AS o(a, i)
					 WHERE o.a = n.a AND o.i <= c.lane_email_count)
			  FROM unnest(CASE WHEN ch.needs_email THEN c.alias_ids ELSE '{}'::text[] END) WITH ORDINALITY AS n(a, j)
			 ORDER BY n.j);
		IF ch.needs_linkedin THEN
			lanes := lanes || CASE WHEN 'connected_account_id' = ANY (changed) THEN NULL::timestamptz
								   ELSE c.lane_last_sent_at[c.lane_email_count + 1] END;
		END IF;
		UPDATE @extschema@.campaign
		   SET lane_last_sent_at = CASE WHEN cardinality(lanes) = 0 THEN ARRAY[NULL::timestamptz] ELSE lanes END,
			   lane_email_count = CASE WHEN ch.needs_email THEN coalesce(cardinality(c.alias_ids), 0) ELSE 0 END,
			   lane_cursor = 0
		 WHERE campaign.campaign_id = c.campaign_id;
	END IF;
	-- New pacing limits of an active campaign apply from the next tick (a
	-- raised daily limit may send again today), as after a resume.
	IF c.status = 'active' AND changed && ARRAY['daily_limit', 'min_interval_seconds'] THEN
		UPDATE @extschema@.campaign SET next_action_at = '-infinity'
		 WHERE campaign.campaign_id = c.campaign_id;
	END IF;
	RETURN @extschema@._campaign_json(c);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_update(uuid, jsonb) IS
'PATCH /campaigns/{id}: omitted fields unchanged, explicit null clears; the merged campaign is validated like a create (22023) and the status decides which fields may change (55000).';

CREATE FUNCTION @extschema@.campaign_delete(campaign_id uuid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	c @extschema@.campaign := @extschema@._campaign_lock(campaign_id);
BEGIN
	-- The status guard trigger refuses (55000) outside draft, paused,
	-- completed and failed.
	DELETE FROM @extschema@.campaign WHERE campaign.campaign_id = c.campaign_id;
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_delete(uuid) IS
'DELETE /campaigns/{id}: allowed in draft, paused, completed and failed (55000 otherwise), P0002 when missing.';

-- schema/46_objects.sql
-- The small objects a user owns (SPEC §3): datasets and their leads,
-- templates, sender profiles, email aliases, connected accounts.  Each
-- function is jsonb in / jsonb out, exactly the HTTP bodies.

-- Datasets -------------------------------------------------------------------

CREATE FUNCTION @extschema@._dataset_json(d @extschema@.dataset) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('dataset_id', d.dataset_id, 'user_id', d.user_id, 'name', d.name,
		'lead_count', d.lead_count, 'created_at', @extschema@._ts(d.created_at),
		'updated_at', @extschema@._ts(d.updated_at))
$$;

CREATE FUNCTION @extschema@.dataset_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	d @extschema@.dataset;
	leads jsonb := CASE WHEN jsonb_typeof($1) = 'object' THEN $1 -> 'leads' END;
BEGIN
	PERFORM @extschema@._raise_validation(@extschema@._check_object($1 - 'leads',
		'{"name": {"type": "string", "required": true, "min": 1, "max": 255}}', '["body"]'));
	INSERT INTO @extschema@.dataset (user_id, name)
	VALUES (@extschema@.current_user_id(), $1->>'name')
	RETURNING * INTO d;
	IF leads IS NOT NULL THEN
		PERFORM @extschema@._dataset_add_leads(d.dataset_id, leads, '["body","leads"]');
		SELECT * INTO d FROM @extschema@.dataset WHERE dataset_id = d.dataset_id;
	END IF;
	RETURN @extschema@._dataset_json(d);
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_create(jsonb) IS
'POST /datasets/: {name, leads?} creates a dataset, optionally with an array of leads.';

CREATE FUNCTION @extschema@.dataset_get(dataset_id uuid) RETURNS jsonb
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

CREATE FUNCTION @extschema@.dataset_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._dataset_json(d) ORDER BY d.created_at DESC, d.dataset_id DESC)
		  FROM (SELECT * FROM @extschema@.dataset d WHERE d.user_id = @extschema@.current_user_id()
				 ORDER BY d.created_at DESC, d.dataset_id DESC
				OFFSET p.page_offset LIMIT p.page_limit) d), '[]');
END
$$;

CREATE FUNCTION @extschema@.dataset_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$
	SELECT count(*) FROM @extschema@.dataset WHERE user_id = @extschema@.current_user_id()
$$;

CREATE FUNCTION @extschema@.dataset_delete(dataset_id uuid) RETURNS void
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

CREATE FUNCTION @extschema@._lead_json(l @extschema@.lead) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('lead_id', l.lead_id, 'dataset_id', l.dataset_id, 'email', l.email,
		'linkedin_url', l.linkedin_url, 'first_name', l.first_name, 'last_name', l.last_name,
		'company', l.company, 'title', l.title, 'timezone', l.timezone, 'fields', l.fields,
		'created_at', @extschema@._ts(l.created_at), 'updated_at', @extschema@._ts(l.updated_at))
$$;

CREATE FUNCTION @extschema@._lead_spec() RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$ SELECT '{
	"email": {"type": "email", "nullable": true, "max": 320, "order": 1},
	"linkedin_url": {"type": "string", "nullable": true, "min": 1, "max": 2048, "order": 2},
	"first_name": {"type": "string", "nullable": true, "max": 255, "order": 3},
	"last_name": {"type": "string", "nullable": true, "max": 255, "order": 4},
	"company": {"type": "string", "nullable": true, "max": 255, "order": 5},
	"title": {"type": "string", "nullable": true, "max": 255, "order": 6},
	"timezone": {"type": "timezone", "nullable": true, "order": 7},
	"fields": {"type": "object", "nullable": true, "order": 8}}'::jsonb $$;

-- _dataset_add_leads(id, leads, loc) validates every lead (all errors at
-- once, nothing written on any), then inserts them; a lead whose email is
-- already in the dataset (case-insensitively, also earlier in the same
-- batch) is merged: given fields overwrite, fields objects are merged.
CREATE FUNCTION @extschema@._dataset_add_leads(id uuid, leads jsonb, loc jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	errs jsonb := '[]';
	spec jsonb := @extschema@._lead_spec();
	e jsonb;
	i integer := 0;
	inserted integer := 0;
	merged integer := 0;
	was_insert boolean;
	total integer;
BEGIN
	IF leads IS NULL OR jsonb_typeof(leads) <> 'array' THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err(loc, 'Input should be a valid list', 'list_type')));
	END IF;
	IF jsonb_array_length(leads) > 50000 THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err(loc,
			format('List should have at most 50000 items after validation, not %s', jsonb_array_length(leads)), 'too_long')));
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(leads) LOOP
		errs := errs || @extschema@._check_object(e, spec, loc || to_jsonb(i));
		IF jsonb_typeof(e) = 'object' AND coalesce(e->>'email', '') = '' AND coalesce(e->>'linkedin_url', '') = '' THEN
			errs := errs || @extschema@._err(loc || to_jsonb(i),
				'Value error, a lead needs an email or a linkedin_url', 'value_error');
		END IF;
		i := i + 1;
	END LOOP;
	PERFORM @extschema@._raise_validation(errs);

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

CREATE FUNCTION @extschema@.dataset_add_leads(dataset_id uuid, leads jsonb) RETURNS jsonb
LANGUAGE sql
AS $$ SELECT @extschema@._dataset_add_leads($1, $2, '["body"]') $$;
COMMENT ON FUNCTION @extschema@.dataset_add_leads(uuid, jsonb) IS
'POST /datasets/{id}/leads: a JSON array of leads; duplicate emails are merged; returns {received, inserted, merged, lead_count}.';

CREATE FUNCTION @extschema@._csv_to_leads(csv text) RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'csv_to_leads';
COMMENT ON FUNCTION @extschema@._csv_to_leads(text) IS
'Parses RFC 4180 CSV with a header row into lead objects; unknown columns go to fields, empty cells are omitted.';

-- dataset_add_leads_csv: a CSV syntax error (from the C parser, 22023 with a
-- plain message) is re-raised in FastAPI's shape, a value_error at ["body"],
-- so that the DETAIL of every 22023 of the API is a JSON error array.
CREATE FUNCTION @extschema@.dataset_add_leads_csv(dataset_id uuid, csv text) RETURNS jsonb
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
	RETURN @extschema@._dataset_add_leads($1, leads, '["body"]');
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_add_leads_csv(uuid, text) IS
'POST /datasets/{id}/leads with text/csv: a header row, then one lead per row (row n is loc ["body", n-1]).';

CREATE FUNCTION @extschema@.dataset_leads(dataset_id uuid, filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	p record := @extschema@._page(filters);
BEGIN
	PERFORM 1 FROM @extschema@.dataset d WHERE d.dataset_id = $1 AND d.user_id = uid;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('dataset');
	END IF;
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._lead_json(l) ORDER BY l.created_at, l.lead_id)
		  FROM (SELECT * FROM @extschema@.lead l WHERE l.dataset_id = $1 AND l.user_id = uid
				 ORDER BY l.created_at, l.lead_id OFFSET p.page_offset LIMIT p.page_limit) l), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.dataset_leads(uuid, jsonb) IS 'GET /datasets/{id}/leads: the dataset''s leads, oldest first, paged.';

-- Templates ------------------------------------------------------------------

CREATE FUNCTION @extschema@._template_json(t @extschema@.template) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('template_id', t.template_id, 'user_id', t.user_id, 'name', t.name,
		'channel', t.channel, 'subject', t.subject, 'body', t.body,
		'created_at', @extschema@._ts(t.created_at), 'updated_at', @extschema@._ts(t.updated_at))
$$;

-- _template_check(body, required) validates a template body (create: name,
-- channel, body required) including the merge-field syntax of subject/body.
CREATE FUNCTION @extschema@._template_check(b jsonb, required boolean) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	errs jsonb;
	f text;
BEGIN
	errs := @extschema@._check_object(b, jsonb_build_object(
		'name', jsonb_build_object('type', 'string', 'required', required, 'min', 1, 'max', 255, 'order', 1),
		'channel', jsonb_build_object('type', 'enum', 'required', required, 'values', '["email","linkedin"]'::jsonb, 'order', 2),
		'subject', jsonb_build_object('type', 'string', 'nullable', true, 'max', 998, 'order', 3),
		'body', jsonb_build_object('type', 'string', 'required', required, 'min', 1, 'max', 100000, 'order', 4)),
		'["body"]');
	-- The merge-field syntax of subject and body is checked whenever that
	-- field itself is a valid string, whatever the other fields' errors (all
	-- errors at once); the errors are then put in field order, extra keys
	-- last, as Pydantic reports them.
	IF jsonb_typeof(b) = 'object' THEN
		FOREACH f IN ARRAY ARRAY['subject', 'body'] LOOP
			IF jsonb_typeof(b->f) = 'string'
			   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(errs) e WHERE e->'loc' = jsonb_build_array('body', f)) THEN
				BEGIN
					PERFORM @extschema@.render_template(b->>f, '{}');
				EXCEPTION WHEN invalid_parameter_value THEN
					errs := errs || @extschema@._err(jsonb_build_array('body', f),
						'Value error, ' || SQLERRM, 'value_error');
				END;
			END IF;
		END LOOP;
		SELECT jsonb_agg(e ORDER BY array_position(ARRAY['name', 'channel', 'subject', 'body'], e->'loc'->>1) NULLS LAST, o)
		  INTO errs FROM jsonb_array_elements(errs) WITH ORDINALITY AS x(e, o);
	END IF;
	PERFORM @extschema@._raise_validation(errs);
END
$$;

CREATE FUNCTION @extschema@.template_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t @extschema@.template;
BEGIN
	PERFORM @extschema@._template_check($1, true);
	INSERT INTO @extschema@.template (user_id, name, channel, subject, body)
	VALUES (@extschema@.current_user_id(), $1->>'name', $1->>'channel', $1->>'subject', $1->>'body')
	RETURNING * INTO t;
	RETURN @extschema@._template_json(t);
END
$$;
COMMENT ON FUNCTION @extschema@.template_create(jsonb) IS
'POST /templates/: {name, channel, subject?, body} with {{field}} / {{field|fallback}} merge fields.';

CREATE FUNCTION @extschema@.template_get(template_id uuid) RETURNS jsonb
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

CREATE FUNCTION @extschema@.template_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._template_json(t) ORDER BY t.created_at DESC, t.template_id DESC)
		  FROM (SELECT * FROM @extschema@.template t WHERE t.user_id = @extschema@.current_user_id()
				 ORDER BY t.created_at DESC, t.template_id DESC
				OFFSET p.page_offset LIMIT p.page_limit) t), '[]');
END
$$;

CREATE FUNCTION @extschema@.template_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.template WHERE user_id = @extschema@.current_user_id() $$;

-- _template_in_use(id) is true when a campaign's steps name the template.
CREATE FUNCTION @extschema@._template_in_use(uid uuid, id uuid) RETURNS boolean
LANGUAGE sql STABLE
AS $$
	SELECT EXISTS (SELECT 1 FROM @extschema@.campaign c
					WHERE c.user_id = uid
					  AND jsonb_path_exists(c.steps_config, '$[*].variants[*] ? (@.template_id == $id)',
											jsonb_build_object('id', id::text)))
$$;

CREATE FUNCTION @extschema@.template_update(template_id uuid, patch jsonb) RETURNS jsonb
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
	PERFORM @extschema@._template_check(patch, false);
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

CREATE FUNCTION @extschema@.template_delete(template_id uuid) RETURNS void
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

CREATE FUNCTION @extschema@._sender_profile_json(s @extschema@.sender_profile) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('sender_profile_id', s.sender_profile_id, 'user_id', s.user_id,
		'profile_name', s.profile_name, 'sender_data', s.sender_data, 'description', s.description,
		'is_default', s.is_default, 'created_at', @extschema@._ts(s.created_at),
		'updated_at', @extschema@._ts(s.updated_at))
$$;

CREATE FUNCTION @extschema@._sender_profile_check(b jsonb, required boolean) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	errs jsonb;
BEGIN
	errs := @extschema@._check_object(b, jsonb_build_object(
		'profile_name', jsonb_build_object('type', 'string', 'required', required, 'min', 1, 'max', 100, 'order', 1),
		'sender_data', '{"type": "object", "order": 2}'::jsonb,
		'description', '{"type": "string", "nullable": true, "max": 500, "order": 3}'::jsonb,
		'is_default', '{"type": "boolean", "order": 4}'::jsonb),
		'["body"]');
	IF jsonb_typeof(b->'sender_data') = 'object' AND b->'sender_data' ? 'custom_prompt'
	   AND jsonb_typeof(b->'sender_data'->'custom_prompt') NOT IN ('string', 'null') THEN
		errs := errs || @extschema@._err('["body","sender_data","custom_prompt"]',
			'Input should be a valid string', 'string_type');
	END IF;
	PERFORM @extschema@._raise_validation(errs);
END
$$;

CREATE FUNCTION @extschema@.sender_profile_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	s @extschema@.sender_profile;
BEGIN
	PERFORM @extschema@._sender_profile_check($1, true);
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

CREATE FUNCTION @extschema@.sender_profile_get(sender_profile_id uuid) RETURNS jsonb
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

CREATE FUNCTION @extschema@.sender_profile_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._sender_profile_json(s) ORDER BY s.created_at DESC, s.sender_profile_id DESC)
		  FROM (SELECT * FROM @extschema@.sender_profile s WHERE s.user_id = @extschema@.current_user_id()
				 ORDER BY s.created_at DESC, s.sender_profile_id DESC
				OFFSET p.page_offset LIMIT p.page_limit) s), '[]');
END
$$;

CREATE FUNCTION @extschema@.sender_profile_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.sender_profile WHERE user_id = @extschema@.current_user_id() $$;

CREATE FUNCTION @extschema@.sender_profile_update(sender_profile_id uuid, patch jsonb) RETURNS jsonb
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
	PERFORM @extschema@._sender_profile_check(patch, false);
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

CREATE FUNCTION @extschema@.sender_profile_delete(sender_profile_id uuid) RETURNS void
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

CREATE FUNCTION @extschema@._alias_json(a @extschema@.email_alias) RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT jsonb_build_object('alias_id', a.alias_id, 'full_email', a.full_email,
								 'created_at', @extschema@._ts(a.created_at)) $$;

CREATE FUNCTION @extschema@.alias_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	a @extschema@.email_alias;
BEGIN
	PERFORM @extschema@._raise_validation(@extschema@._check_object($1,
		'{"alias_id": {"type": "string", "required": true, "min": 1, "max": 255, "order": 1},
		  "full_email": {"type": "email", "required": true, "max": 320, "order": 2}}', '["body"]'));
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

CREATE FUNCTION @extschema@.alias_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._alias_json(a) ORDER BY a.created_at, a.alias_id)
		  FROM (SELECT * FROM @extschema@.email_alias a WHERE a.user_id = @extschema@.current_user_id()
				 ORDER BY a.created_at, a.alias_id OFFSET p.page_offset LIMIT p.page_limit) a), '[]');
END
$$;

CREATE FUNCTION @extschema@.alias_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.email_alias WHERE user_id = @extschema@.current_user_id() $$;

CREATE FUNCTION @extschema@._connected_account_json(a @extschema@.connected_account) RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT jsonb_build_object('connected_account_id', a.connected_account_id, 'provider', a.provider,
								 'name', a.name, 'created_at', @extschema@._ts(a.created_at)) $$;

CREATE FUNCTION @extschema@.connected_account_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	a @extschema@.connected_account;
BEGIN
	PERFORM @extschema@._raise_validation(@extschema@._check_object($1,
		'{"name": {"type": "string", "required": true, "min": 1, "max": 255, "order": 1},
		  "provider": {"type": "enum", "values": ["linkedin"], "order": 2}}', '["body"]'));
	INSERT INTO @extschema@.connected_account (user_id, provider, name)
	VALUES (@extschema@.current_user_id(), coalesce($1->>'provider', 'linkedin'), $1->>'name')
	RETURNING * INTO a;
	RETURN @extschema@._connected_account_json(a);
END
$$;
COMMENT ON FUNCTION @extschema@.connected_account_create(jsonb) IS
'POST /connected-accounts/: {name, provider? = "linkedin"}.';

CREATE FUNCTION @extschema@.connected_account_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	p record := @extschema@._page(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._connected_account_json(a) ORDER BY a.created_at, a.connected_account_id)
		  FROM (SELECT * FROM @extschema@.connected_account a WHERE a.user_id = @extschema@.current_user_id()
				 ORDER BY a.created_at, a.connected_account_id OFFSET p.page_offset LIMIT p.page_limit) a), '[]');
END
$$;

CREATE FUNCTION @extschema@.connected_account_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM @extschema@.connected_account WHERE user_id = @extschema@.current_user_id() $$;

-- schema/47_apikey.sql
-- API keys (SPEC §2).  Minted by an administrator for a user; the token is
-- returned once and only its SHA-256 is stored.

CREATE FUNCTION @extschema@._api_key_token() RETURNS text
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'api_key_token';

CREATE FUNCTION @extschema@.api_key_create(user_id uuid, name text) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	token text := @extschema@._api_key_token();
BEGIN
	IF user_id IS NULL THEN
		RAISE EXCEPTION 'user_id must not be null' USING ERRCODE = '22004';
	END IF;
	-- 22023 carries the same JSON error array as every validation error.
	IF name IS NULL OR char_length(name) NOT BETWEEN 1 AND 255 THEN
		RAISE EXCEPTION 'an API key needs a name of 1 to 255 characters' USING ERRCODE = '22023',
			DETAIL = jsonb_build_array(CASE
				WHEN name IS NULL THEN @extschema@._err('["name"]', 'Field required', 'missing')
				WHEN char_length(name) < 1 THEN @extschema@._err('["name"]', 'String should have at least 1 character', 'string_too_short')
				ELSE @extschema@._err('["name"]', 'String should have at most 255 characters', 'string_too_long') END)::text;
	END IF;
	INSERT INTO @extschema@.api_key (user_id, name, token_hash, token_prefix)
	VALUES (user_id, name, sha256(convert_to(token, 'UTF8')), left(token, 13));
	RETURN token;
END
$$;
COMMENT ON FUNCTION @extschema@.api_key_create(uuid, text) IS
'Mints an API key for a user: returns the token (cmp_live_ + 43 URL-safe characters) once; stores only its SHA-256.';

CREATE FUNCTION @extschema@.api_key_revoke(token text) RETURNS boolean
LANGUAGE sql
AS $$
	WITH r AS (
		UPDATE @extschema@.api_key SET revoked_at = now()
		 WHERE token_hash = sha256(convert_to(token, 'UTF8')) AND revoked_at IS NULL
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM r)
$$;
COMMENT ON FUNCTION @extschema@.api_key_revoke(text) IS
'Revokes the key of a token; a revoked key authenticates nothing.  True when a live key was revoked.';

-- schema/50_schedule.sql
-- Scheduling primitives (src/schedule.c): send-time arithmetic, local-day
-- arithmetic and deterministic variant assignment (SPEC §6), plus the small
-- SQL helpers the launch, tick, outcome and forecast functions share.

CREATE FUNCTION @extschema@.next_send_time(
	eligible timestamptz, window_start time, window_end time, tz text,
	send_days text[], daily_limit integer, min_interval_seconds integer,
	pace_day date, pace_day_count integer, lane_last_sent_at timestamptz)
RETURNS timestamptz
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'next_send_time';
COMMENT ON FUNCTION @extschema@.next_send_time(timestamptz, time, time, text, text[], integer, integer, date, integer, timestamptz) IS
'The earliest instant >= eligible and >= lane_last_sent_at + min_interval_seconds that is inside [window_start, window_end) local time of tz, on a local weekday in send_days, on a local day whose send count (pace_day_count counts local day pace_day) is below daily_limit.  Nonexistent local times (DST gap) open at the end of the gap; repeated ones at the earlier instant.';

CREATE FUNCTION @extschema@.add_local_days(ts timestamptz, days integer, tz text)
RETURNS timestamptz
LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'add_local_days';
COMMENT ON FUNCTION @extschema@.add_local_days(timestamptz, integer, text) IS
'ts moved by whole local calendar days of tz, keeping the local clock time across DST changes.';

CREATE FUNCTION @extschema@.pick_variant(campaign_id uuid, lead_id uuid, step integer, weights integer[])
RETURNS integer
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pick_variant';
COMMENT ON FUNCTION @extschema@.pick_variant(uuid, uuid, integer, integer[]) IS
'1-based index of the variant a lead gets at a step: a hash of (campaign_id, lead_id, step) falls in a share proportional to the weights.  Deterministic.';

CREATE FUNCTION @extschema@._uuid_ordered() RETURNS uuid
LANGUAGE c VOLATILE PARALLEL SAFE AS 'MODULE_PATHNAME', 'uuid_ordered';
COMMENT ON FUNCTION @extschema@._uuid_ordered() IS
'A time-ordered (version 7 layout) UUID: enrolment uses it for campaign_lead_id so large launches append to the primary key.';

GRANT EXECUTE ON FUNCTION @extschema@.next_send_time(timestamptz, time, time, text, text[], integer, integer, date, integer, timestamptz) TO campaigns_user;
GRANT EXECUTE ON FUNCTION @extschema@.add_local_days(timestamptz, integer, text) TO campaigns_user;
GRANT EXECUTE ON FUNCTION @extschema@.pick_variant(uuid, uuid, integer, integer[]) TO campaigns_user;

-- _step_variant(campaign_id, lead_id, step object) -> the variant label.
CREATE FUNCTION @extschema@._step_variant(campaign_id uuid, lead_id uuid, step jsonb)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'step_variant';
COMMENT ON FUNCTION @extschema@._step_variant(uuid, uuid, jsonb) IS
'The label of the variant pick_variant assigns to a lead at a step object of steps_config (weights default to 50; null when the step has no variant of positive weight).';

-- _step_channel(campaign type, step object): the step's channel.
CREATE FUNCTION @extschema@._step_channel(ctype text, step jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(step ->> 'channel', CASE WHEN ctype IN ('email', 'linkedin') THEN ctype END) $$;
COMMENT ON FUNCTION @extschema@._step_channel(text, jsonb) IS
'The channel of a step object: its channel field, else the campaign type when that is email or linkedin.';

CREATE FUNCTION @extschema@._step_action_type(channel text, step jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(step ->> 'action_type', CASE WHEN channel = 'email' THEN 'send_email' END, 'message') $$;
COMMENT ON FUNCTION @extschema@._step_action_type(text, jsonb) IS
'The action type of a step object: its action_type, else send_email for email steps.';

-- _notify(campaign, kind, payload): a campaign notification event.
CREATE FUNCTION @extschema@._notify(c @extschema@.campaign, kind text, payload jsonb, at timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO @extschema@.event (user_id, campaign_id, type, payload, occurred_at)
	VALUES (c.user_id, c.campaign_id, 'notification', jsonb_build_object('kind', kind) || payload, at)
$$;
COMMENT ON FUNCTION @extschema@._notify(@extschema@.campaign, text, jsonb, timestamptz) IS
'Records a campaign notification event (type notification, payload.kind says what happened).';

-- _try_complete(campaign ids): active or draining campaigns whose enrolled
-- leads have all finished and that have nothing queued or in flight become
-- completed.  Returns how many did.
CREATE FUNCTION @extschema@._try_complete(ids uuid[]) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	UPDATE @extschema@.campaign c
	   SET status = 'completed', next_action_at = NULL, paused_reason = NULL, updated_at = now()
	 WHERE c.campaign_id = ANY (ids)
	   AND c.status IN ('active', 'draining')
	   AND c.processed_leads >= coalesce(c.total_leads, 0)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.action a
					   WHERE a.campaign_id = c.campaign_id AND a.state IN ('queued', 'in_flight'));
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._try_complete(uuid[]) IS
'Completes the given active/draining campaigns whose leads have all finished and that have no queued or in-flight action.';

-- _cancel_queued(campaign id, lead id or null): queued actions become
-- cancelled and their leads eligible again at the action's due time, so a
-- resume re-plans them (the same row and idempotency key come back to
-- queued).  Returns how many were cancelled.
CREATE FUNCTION @extschema@._cancel_queued(cid uuid, lid uuid DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	WITH x AS (
		UPDATE @extschema@.action a
		   SET state = 'cancelled', updated_at = now()
		 WHERE a.campaign_id = cid AND a.state = 'queued'
		   AND (lid IS NULL OR a.campaign_lead_id = lid)
		RETURNING a.campaign_lead_id, a.due_at
	), l AS (
		UPDATE @extschema@.campaign_lead cl
		   SET eligible_at = x.due_at
		  FROM x
		 WHERE cl.campaign_lead_id = x.campaign_lead_id
		   AND cl.status IN ('pending', 'active')
		RETURNING 1
	)
	SELECT count(*) INTO n FROM x;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._cancel_queued(uuid, uuid) IS
'Cancels the queued actions of a campaign (or of one of its leads); their leads become eligible again at the action''s due time.';

-- _clear_enrolment(c): back to draft or reset: enrolled leads go away.
CREATE FUNCTION @extschema@._clear_enrolment(cid uuid) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM @extschema@.campaign_lead WHERE campaign_id = cid;
	UPDATE @extschema@.campaign
	   SET total_leads = NULL, processed_leads = 0, next_action_at = NULL, activated_at = NULL,
		   pace_day = NULL, pace_day_count = 0, lane_last_sent_at = NULL, lane_cursor = 0,
		   enrol_cursor = NULL, failure_streak = 0
	 WHERE campaign_id = cid;
$$;
COMMENT ON FUNCTION @extschema@._clear_enrolment(uuid) IS
'Removes a campaign''s enrolled leads (and their actions and events) and its pacing state, for a return to draft.';

-- Leads and enrolled leads get time-ordered ids: a dataset loaded in one go
-- lies in lead_id order on disk, so enrolment (which reads a dataset in
-- lead_id order) reads it sequentially, and both primary keys grow at their
-- right edge.
ALTER TABLE @extschema@.lead ALTER COLUMN lead_id SET DEFAULT @extschema@._uuid_ordered();
ALTER TABLE @extschema@.campaign_lead ALTER COLUMN campaign_lead_id SET DEFAULT @extschema@._uuid_ordered();

-- schema/51_launch.sql
-- Launch and the user's status changes (SPEC §5): campaign_launch enrols the
-- dataset's reachable leads (in batches: the first inside the call, the rest
-- by tick), then the campaign becomes active or scheduled.  pause, resume,
-- stop, unschedule, reset and playground review.  Every function locks the
-- campaign row first, so concurrent requests on one campaign are serialised;
-- the status trigger refuses any transition not in SPEC §5's table.

-- _launch_reachable(c, lead): whether the lead can be reached on every
-- channel the campaign's steps use.
CREATE FUNCTION @extschema@._launch_channels(c @extschema@.campaign, OUT needs_email boolean, OUT needs_linkedin boolean)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(bool_or(@extschema@._step_channel(c.type, s) = 'email'), false),
		   coalesce(bool_or(@extschema@._step_channel(c.type, s) = 'linkedin'), false)
	FROM jsonb_array_elements(c.steps_config) s
$$;
COMMENT ON FUNCTION @extschema@._launch_channels(@extschema@.campaign) IS
'Which channels a campaign''s steps use.';

-- _enrol_insert(...): the bulk insert of one enrolment batch (src/schedexec.c).
CREATE FUNCTION @extschema@._enrol_insert(cid uuid, after_lead uuid, batch integer, first_step integer,
	first_channel text, first_eligible timestamptz, enrolled_at timestamptz,
	needs_email boolean, needs_linkedin boolean, OUT n integer, OUT last_lead_id uuid)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp	-- its kept plan is prepared under this path
AS 'MODULE_PATHNAME', 'enrol_insert';
COMMENT ON FUNCTION @extschema@._enrol_insert(uuid, uuid, integer, integer, text, timestamptz, timestamptz, boolean, boolean) IS
'Enrols up to batch reachable leads of a campaign''s dataset after lead after_lead (lead_id order) as pending leads of first_step; returns how many and the last lead_id.  Locks the campaign row (FOR KEY SHARE) and takes campaign_id and user_id from it, which stands in for the per-row foreign-key check.';

-- _enrol_batch(campaign_id, now): enrols the next batch of reachable leads
-- (lead_id order after enrol_cursor); when the dataset is exhausted the
-- launch finishes: launching -> active (immediate) or scheduled.  Returns
-- the number of leads enrolled.  The caller holds the campaign's row lock.
CREATE FUNCTION @extschema@._enrol_batch(cid uuid, now timestamptz) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	batch integer := coalesce(nullif(current_setting('campaigns.launch_batch_size', true), '')::int, 50000);
	ch record;
	first jsonb;
	first_channel text;
	first_eligible timestamptz;
	n integer;
	last_id uuid;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign WHERE campaign_id = cid;
	IF NOT FOUND OR c.status <> 'launching' THEN
		RETURN 0;
	END IF;
	ch := @extschema@._launch_channels(c);
	first := c.steps_config -> 0;
	first_channel := @extschema@._step_channel(c.type, first);
	first_eligible := @extschema@.add_local_days(c.activated_at, coalesce((first ->> 'delay_days')::int, 0), c.timezone);

	-- One statement in C (src/schedexec.c): the campaign row lock stands in for
	-- the per-row foreign-key check of campaign_id.
	SELECT e.n, e.last_lead_id INTO n, last_id
	  FROM @extschema@._enrol_insert(cid, c.enrol_cursor, batch, (first ->> 'step')::int, first_channel,
									 first_eligible, now, ch.needs_email, ch.needs_linkedin) e;

	IF n >= batch AND EXISTS (
			SELECT 1 FROM @extschema@.lead l
			 WHERE l.dataset_id = c.dataset_id AND l.user_id = c.user_id AND l.lead_id > last_id
			   AND (NOT ch.needs_email OR nullif(btrim(l.email), '') IS NOT NULL)
			   AND (NOT ch.needs_linkedin OR nullif(btrim(l.linkedin_url), '') IS NOT NULL)) THEN
		UPDATE @extschema@.campaign
		   SET total_leads = coalesce(total_leads, 0) + n, enrol_cursor = last_id, next_action_at = now
		 WHERE campaign_id = cid;
		RETURN n;
	END IF;

	-- The dataset is exhausted: the launch is done.
	UPDATE @extschema@.campaign
	   SET total_leads = coalesce(total_leads, 0) + n, enrol_cursor = NULL,
		   status = CASE WHEN launch_type = 'scheduled' THEN 'scheduled' ELSE 'active' END,
		   next_action_at = CASE WHEN launch_type = 'scheduled' THEN start_date ELSE now END,
		   updated_at = now()
	 WHERE campaign_id = cid;
	IF c.launch_type <> 'scheduled' THEN
		PERFORM @extschema@._try_complete(ARRAY[cid]);
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._enrol_batch(uuid, timestamptz) IS
'Enrols one batch (campaigns.launch_batch_size) of a launching campaign''s reachable leads; finishes the launch when the dataset is exhausted.';

CREATE FUNCTION @extschema@._refuse(c @extschema@.campaign, what text, allowed text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'campaign cannot be %', what
		USING ERRCODE = '55000',
			  DETAIL = format('The campaign is %s; only a campaign that is %s can be %s.', c.status, allowed, what);
END
$$;
COMMENT ON FUNCTION @extschema@._refuse(@extschema@.campaign, text, text) IS
'Raises SQLSTATE 55000 (HTTP 409) for a status change the campaign''s status does not allow.';

CREATE FUNCTION @extschema@._campaign_body(cid uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign WHERE campaign_id = cid;
	RETURN @extschema@._campaign_json(c);
END
$$;
COMMENT ON FUNCTION @extschema@._campaign_body(uuid) IS 'The response body of a campaign, read afresh.';

-- _sync_lanes(campaign_id): alias_ids and connected_account_id may be
-- edited while a campaign is scheduled or paused; the lanes follow them
-- (an alias that stays keeps its last send time, so its interval holds).
CREATE FUNCTION @extschema@._sync_lanes(cid uuid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	ch record;
	n_email integer;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign WHERE campaign_id = cid;
	ch := @extschema@._launch_channels(c);
	n_email := CASE WHEN ch.needs_email THEN coalesce(cardinality(c.alias_ids), 0) ELSE 0 END;
	UPDATE @extschema@.campaign x
	   SET lane_email_count = n_email,
		   lane_aliases = CASE WHEN n_email > 0 THEN c.alias_ids ELSE '{}' END,
		   lane_cursor = CASE WHEN x.lane_cursor > n_email THEN 0 ELSE x.lane_cursor END,
		   lane_last_sent_at = ARRAY(
				SELECT old.t
				  FROM unnest(CASE WHEN n_email > 0 THEN c.alias_ids ELSE '{}'::text[] END) WITH ORDINALITY AS a(id, i)
				  LEFT JOIN LATERAL (SELECT c.lane_last_sent_at[j] AS t
									   FROM generate_series(1, c.lane_email_count) j
									  WHERE c.lane_aliases[j] = a.id LIMIT 1) old ON true
				 ORDER BY a.i)
			|| CASE WHEN ch.needs_linkedin
					THEN ARRAY[CASE WHEN cardinality(c.lane_last_sent_at) > c.lane_email_count
									THEN c.lane_last_sent_at[cardinality(c.lane_last_sent_at)] END]
					ELSE '{}'::timestamptz[] END
	 WHERE x.campaign_id = cid;
END
$$;
COMMENT ON FUNCTION @extschema@._sync_lanes(uuid) IS
'Re-derives a campaign''s lanes from its current alias_ids and connected account (after edits while scheduled or paused).';

CREATE FUNCTION @extschema@.campaign_launch(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	ch record;
	total bigint;
	launchable bigint;
	warnings jsonb;
	err text;
	n_lanes integer;
	t timestamptz := now();
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status <> 'draft' THEN
		PERFORM @extschema@._refuse(c, 'launched', 'draft');
	END IF;
	ch := @extschema@._launch_channels(c);

	-- Reachability summary: a lead without an address on a channel the steps
	-- use is skipped with a warning (at most 100 listed, all counted).
	SELECT count(*),
		   count(*) FILTER (WHERE (NOT ch.needs_email OR nullif(btrim(l.email), '') IS NOT NULL)
							  AND (NOT ch.needs_linkedin OR nullif(btrim(l.linkedin_url), '') IS NOT NULL))
	  INTO total, launchable
	  FROM @extschema@.lead l
	 WHERE l.dataset_id = c.dataset_id AND l.user_id = c.user_id;
	warnings := '[]';
	IF launchable < total THEN
	SELECT coalesce(jsonb_agg(w ORDER BY w ->> 'lead_id'), '[]') INTO warnings
	  FROM (SELECT jsonb_build_object(
				'lead_id', l.lead_id,
				'email', l.email,
				'code', CASE WHEN ch.needs_email AND nullif(btrim(l.email), '') IS NULL
							 THEN 'missing_email' ELSE 'missing_linkedin_url' END,
				'message', CASE WHEN ch.needs_email AND nullif(btrim(l.email), '') IS NULL
								THEN 'lead has no email address for the email steps; skipped'
								ELSE 'lead has no linkedin_url for the linkedin steps; skipped' END) AS w
			  FROM @extschema@.lead l
			 WHERE l.dataset_id = c.dataset_id AND l.user_id = c.user_id
			   AND ((ch.needs_email AND nullif(btrim(l.email), '') IS NULL)
					OR (ch.needs_linkedin AND nullif(btrim(l.linkedin_url), '') IS NULL))
			 ORDER BY l.lead_id
			 LIMIT 100) s;
	END IF;

	-- Causes that make the launch fail (the campaign goes to failed with
	-- launch_error; reset brings it back to draft).
	IF NOT EXISTS (SELECT 1 FROM @extschema@.dataset d WHERE d.dataset_id = c.dataset_id AND d.user_id = c.user_id) THEN
		err := 'dataset not found';
	ELSIF ch.needs_email AND coalesce(cardinality(c.alias_ids), 0) = 0 THEN
		err := 'email steps need at least one alias';
	ELSIF ch.needs_email AND EXISTS (SELECT 1 FROM unnest(c.alias_ids) a(id)
									 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.email_alias e
													   WHERE e.user_id = c.user_id AND e.alias_id = a.id)) THEN
		err := 'an alias of alias_ids no longer exists';
	ELSIF ch.needs_linkedin AND NOT EXISTS (SELECT 1 FROM @extschema@.connected_account a
											WHERE a.user_id = c.user_id AND a.connected_account_id = c.connected_account_id) THEN
		err := 'linkedin steps need an existing connected account';
	END IF;

	n_lanes := CASE WHEN ch.needs_email THEN coalesce(cardinality(c.alias_ids), 0) ELSE 0 END
			 + CASE WHEN ch.needs_linkedin THEN 1 ELSE 0 END;
	UPDATE @extschema@.campaign x
	   SET status = 'launching', launch_requested_at = t, launch_job_id = gen_random_uuid()::text,
		   launch_error = NULL, total_leads = 0, processed_leads = 0, paused_reason = NULL,
		   activated_at = CASE WHEN x.launch_type = 'scheduled' THEN x.start_date ELSE t END,
		   next_action_at = t, pace_day = NULL, pace_day_count = 0,
		   lane_last_sent_at = array_fill(NULL::timestamptz, ARRAY[greatest(n_lanes, 1)]),
		   lane_email_count = CASE WHEN ch.needs_email THEN coalesce(cardinality(c.alias_ids), 0) ELSE 0 END,
		   lane_aliases = CASE WHEN ch.needs_email THEN coalesce(c.alias_ids, '{}') ELSE '{}' END,
		   lane_cursor = 0, enrol_cursor = NULL, failure_streak = 0, updated_at = t
	 WHERE x.campaign_id = c.campaign_id;

	IF err IS NOT NULL THEN
		UPDATE @extschema@.campaign x
		   SET status = 'failed', launch_error = err, next_action_at = NULL, total_leads = NULL
		 WHERE x.campaign_id = c.campaign_id;
	ELSE
		-- The first batch is enrolled here; a larger dataset continues in tick.
		PERFORM @extschema@._enrol_batch(c.campaign_id, t);
	END IF;

	RETURN jsonb_build_object(
		'campaign', @extschema@._campaign_body(c.campaign_id),
		'summary', jsonb_build_object('total_rows', total, 'launchable_rows', launchable,
									  'warning_count', total - launchable),
		'warnings', warnings);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_launch(uuid) IS
'Launches a draft campaign: draft -> launching, enrols the dataset''s reachable leads (the first campaigns.launch_batch_size inside this call, the rest by tick), then active (immediate) or scheduled, or failed with launch_error.  Returns {campaign, summary:{total_rows, launchable_rows, warning_count}, warnings}.';

CREATE FUNCTION @extschema@.campaign_pause(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status NOT IN ('active', 'scheduled') THEN
		PERFORM @extschema@._refuse(c, 'paused', 'active or scheduled');
	END IF;
	PERFORM @extschema@._cancel_queued(c.campaign_id);
	UPDATE @extschema@.campaign x
	   SET status = CASE WHEN c.status = 'active' AND EXISTS (
							SELECT 1 FROM @extschema@.action a
							 WHERE a.campaign_id = x.campaign_id AND a.state = 'in_flight')
						 THEN 'draining' ELSE 'paused' END,
		   paused_reason = 'user', next_action_at = NULL, updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_pause(uuid) IS
'Pauses an active or scheduled campaign (paused_reason user): queued actions are cancelled (and re-planned on resume); with actions in flight an active campaign drains first.';

CREATE FUNCTION @extschema@.campaign_resume(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status <> 'paused' THEN
		PERFORM @extschema@._refuse(c, 'resumed', 'paused');
	END IF;
	UPDATE @extschema@.campaign x
	   SET status = 'active', paused_reason = NULL, failure_streak = 0,
		   next_action_at = '-infinity', updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	PERFORM @extschema@._sync_lanes(c.campaign_id);
	PERFORM @extschema@._try_complete(ARRAY[c.campaign_id]);
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_resume(uuid) IS
'Resumes a paused campaign: paused -> active and due at once (next_action_at -infinity, so the next tick, whatever its clock, looks at it); pacing applies from that tick on (no catch-up burst).';

CREATE FUNCTION @extschema@.campaign_stop(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status <> 'paused' THEN
		PERFORM @extschema@._refuse(c, 'stopped', 'paused');
	END IF;
	PERFORM @extschema@._cancel_queued(c.campaign_id);
	UPDATE @extschema@.campaign_lead cl
	   SET status = 'stopped', stop_reason = 'campaign_stopped', eligible_at = NULL,
		   next_step = NULL, next_channel = NULL, finished_at = now()
	 WHERE cl.campaign_id = c.campaign_id AND cl.status IN ('pending', 'active');
	UPDATE @extschema@.campaign x
	   SET status = 'completed', next_action_at = NULL,
		   processed_leads = coalesce(x.total_leads, 0), updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_stop(uuid) IS
'Stops a paused campaign for good: paused -> completed; its unfinished leads are stopped (stop_reason campaign_stopped).';

CREATE FUNCTION @extschema@.campaign_unschedule(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status <> 'scheduled' THEN
		PERFORM @extschema@._refuse(c, 'unscheduled', 'scheduled');
	END IF;
	UPDATE @extschema@.campaign x SET status = 'draft', updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	PERFORM @extschema@._clear_enrolment(c.campaign_id);
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_unschedule(uuid) IS
'Takes a scheduled campaign back to draft; its enrolment is discarded (a later launch enrols afresh).';

CREATE FUNCTION @extschema@.campaign_reset(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status <> 'failed' THEN
		PERFORM @extschema@._refuse(c, 'reset', 'failed');
	END IF;
	UPDATE @extschema@.campaign x SET status = 'draft', launch_error = NULL, updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	PERFORM @extschema@._clear_enrolment(c.campaign_id);
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_reset(uuid) IS
'Takes a failed campaign back to draft after the cause was fixed (launch_error cleared).';

CREATE FUNCTION @extschema@.campaign_playground_review(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
BEGIN
	c := @extschema@._campaign_lock(campaign_id);
	IF c.status = 'completed' THEN
		PERFORM @extschema@._refuse(c, 'reviewed', 'not completed');
	END IF;
	UPDATE @extschema@.campaign x SET playground_reviewed_at = now(), updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_playground_review(uuid) IS
'Records that the campaign''s AI drafts were reviewed in the playground, so a scheduled start no longer counts as unreviewed.';

GRANT EXECUTE ON FUNCTION
	@extschema@.campaign_launch(uuid), @extschema@.campaign_pause(uuid),
	@extschema@.campaign_resume(uuid), @extschema@.campaign_stop(uuid),
	@extschema@.campaign_unschedule(uuid), @extschema@.campaign_reset(uuid),
	@extschema@.campaign_playground_review(uuid)
TO campaigns_user;
ALTER FUNCTION @extschema@._enrol_batch(uuid, timestamptz) SET jit = off;
ALTER FUNCTION @extschema@.campaign_launch(uuid) SET jit = off;

-- schema/55_tick.sql
-- The scheduler step (SPEC §6): campaigns.tick(now) advances launches,
-- starts scheduled campaigns whose start_date has come, and queues the next
-- actions of every active campaign that may send at `now`.  It only looks at
-- campaigns whose next_action_at <= now (index campaign_due), so its cost
-- grows with the campaigns due, not with all campaigns or leads.

-- _start_scheduled(campaign_id, now): start_date reached.  Policy for
-- unreviewed AI drafts: launch_default -> active, hold -> paused
-- (pending_personalization_review), cancel -> draft; unreviewed starts
-- record a notification event.
CREATE FUNCTION @extschema@._start_scheduled(cid uuid, now timestamptz) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	unreviewed boolean;
	outcome text;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign WHERE campaign_id = cid;
	IF NOT FOUND OR c.status <> 'scheduled' THEN
		RETURN NULL;
	END IF;
	IF c.start_date > now THEN
		UPDATE @extschema@.campaign SET next_action_at = c.start_date WHERE campaign_id = cid;
		RETURN NULL;
	END IF;
	unreviewed := c.playground_reviewed_at IS NULL AND EXISTS (
		SELECT 1 FROM jsonb_array_elements(c.steps_config) s
		 WHERE (s ->> 'ai_personalization_enabled')::boolean);
	outcome := CASE WHEN NOT unreviewed OR c.unreviewed_launch_policy = 'launch_default' THEN 'active'
					WHEN c.unreviewed_launch_policy = 'hold' THEN 'paused'
					ELSE 'draft' END;
	IF outcome = 'active' THEN
		UPDATE @extschema@.campaign
		   SET status = 'active', next_action_at = now, updated_at = now()
		 WHERE campaign_id = cid;
		PERFORM @extschema@._sync_lanes(cid);
		PERFORM @extschema@._try_complete(ARRAY[cid]);
	ELSIF outcome = 'paused' THEN
		UPDATE @extschema@.campaign
		   SET status = 'paused', paused_reason = 'pending_personalization_review',
			   next_action_at = NULL, updated_at = now()
		 WHERE campaign_id = cid;
	ELSE
		UPDATE @extschema@.campaign SET status = 'draft', updated_at = now() WHERE campaign_id = cid;
		PERFORM @extschema@._clear_enrolment(cid);
	END IF;
	IF unreviewed THEN
		PERFORM @extschema@._notify(c, 'scheduled_start_unreviewed',
			jsonb_build_object('policy', c.unreviewed_launch_policy, 'status', outcome,
							   'message', CASE outcome
								WHEN 'active' THEN 'started with unreviewed AI drafts; text is generated at send time'
								WHEN 'paused' THEN 'held: AI drafts are not reviewed (pending_personalization_review)'
								ELSE 'cancelled back to draft: AI drafts are not reviewed' END),
			now);
	END IF;
	RETURN outcome;
END
$$;
COMMENT ON FUNCTION @extschema@._start_scheduled(uuid, timestamptz) IS
'Starts a scheduled campaign whose start_date has come, under its unreviewed_launch_policy.';

-- _queue_pass_sql(): the pacing pass of _queue_due as one statement, $1 =
-- now, $2 = the ids of the due campaigns (locked by the caller).  Run by
-- _queue_pass (src/schedexec.c) with kept plans.  Returns how many actions
-- it queued and how many leads it marked (the same, unless a lead row went
-- away under it, which _queue_pass refuses).
CREATE FUNCTION @extschema@._queue_pass_sql() RETURNS text
LANGUAGE sql IMMUTABLE
AS $sql$ SELECT $pass$
	WITH due AS (
		SELECT c.campaign_id, c.user_id, c.lane_aliases, c.connected_account_id, c.steps_config,
			   c.lane_last_sent_at, c.lane_cursor, c.lane_email_count, c.min_interval_seconds,
			   c.daily_limit, c.sending_window_start, c.sending_window_end, c.timezone, c.send_days,
			   c.pace_day, c.pace_day_count,
			   coalesce(cardinality(c.lane_last_sent_at), 0) AS n_lanes,
			   ($1 AT TIME ZONE c.timezone)::date AS today,
			   CASE WHEN c.pace_day = ($1 AT TIME ZONE c.timezone)::date THEN c.pace_day_count ELSE 0 END AS used_today,
			   @extschema@.next_send_time($1, c.sending_window_start, c.sending_window_end, c.timezone,
					c.send_days, c.daily_limit, c.min_interval_seconds, c.pace_day, c.pace_day_count, NULL) = $1 AS open
		  FROM unnest($2) AS d(id)
		  JOIN @extschema@.campaign c ON c.campaign_id = d.id
	), lanes AS (
		-- the free lanes of each campaign that may send now, ranked in
		-- rotation order (per channel) after lane_cursor
		SELECT o.campaign_id, l.i AS lane,
			   CASE WHEN l.i <= o.lane_email_count THEN 'email' ELSE 'linkedin' END AS channel,
			   row_number() OVER (PARTITION BY o.campaign_id, (l.i <= o.lane_email_count)
								  ORDER BY ((l.i - o.lane_cursor - 1) % o.n_lanes + o.n_lanes) % o.n_lanes) AS rk
		  FROM due o, unnest(o.lane_last_sent_at) WITH ORDINALITY AS l(last_at, i)
		 WHERE o.open AND o.used_today < o.daily_limit
		   AND (l.last_at IS NULL OR l.last_at + make_interval(secs => o.min_interval_seconds) <= $1)
	), lane_counts AS (
		SELECT campaign_id, channel, count(*) AS k FROM lanes GROUP BY campaign_id, channel
	), picks AS (
		-- the k best eligible leads per (campaign, channel): follow-ups
		-- first, then earliest eligible (two index range probes)
		SELECT lc.campaign_id, lc.channel, p.campaign_lead_id, p.lead_id, p.current_step, p.next_step,
			   p.eligible_at, p.fu,
			   row_number() OVER (PARTITION BY lc.campaign_id, lc.channel ORDER BY p.fu DESC, p.eligible_at, p.lead_id) AS rk
		  FROM lane_counts lc
		 CROSS JOIN LATERAL (
			SELECT * FROM (
				(SELECT cl.campaign_lead_id, cl.lead_id, cl.current_step, cl.next_step, cl.eligible_at, true AS fu
				   FROM @extschema@.campaign_lead cl
				  WHERE cl.campaign_id = lc.campaign_id AND cl.next_channel = lc.channel
					AND (cl.current_step > 0) AND cl.eligible_at <= $1
					AND cl.status IN ('pending', 'active')
				  ORDER BY cl.eligible_at, cl.lead_id LIMIT lc.k)
				UNION ALL
				(SELECT cl.campaign_lead_id, cl.lead_id, cl.current_step, cl.next_step, cl.eligible_at, false
				   FROM @extschema@.campaign_lead cl
				  WHERE cl.campaign_id = lc.campaign_id AND cl.next_channel = lc.channel
					AND (cl.current_step > 0) IS FALSE AND cl.eligible_at <= $1
					AND cl.status IN ('pending', 'active')
				  ORDER BY cl.eligible_at, cl.lead_id LIMIT lc.k)) s
			 ORDER BY s.fu DESC, s.eligible_at, s.lead_id
			 LIMIT lc.k) p
	), chosen AS (
		-- within the day's remaining limit, across channels; each pick gets
		-- the lane of the same rank
		SELECT p.*, ln.lane, o.user_id, o.lane_aliases, o.connected_account_id,
			   o.steps_config -> p.current_step AS step_obj
		  FROM (SELECT p.*, row_number() OVER (PARTITION BY p.campaign_id ORDER BY p.fu DESC, p.eligible_at, p.lead_id) AS crk
				  FROM picks p) p
		  JOIN due o ON o.campaign_id = p.campaign_id
		  JOIN lanes ln ON ln.campaign_id = p.campaign_id AND ln.channel = p.channel AND ln.rk = p.rk
		 WHERE p.crk <= o.daily_limit - o.used_today
	), ins AS (
		INSERT INTO @extschema@.action AS a
			(user_id, campaign_id, campaign_lead_id, step, variant, channel, action_type,
			 alias_id, connected_account_id, idempotency_key, due_at, next_attempt_at)
		SELECT ch.user_id, ch.campaign_id, ch.campaign_lead_id, ch.next_step,
			   @extschema@._step_variant(ch.campaign_id, ch.lead_id, ch.step_obj),
			   ch.channel, @extschema@._step_action_type(ch.channel, ch.step_obj),
			   CASE WHEN ch.channel = 'email' THEN ch.lane_aliases[ch.lane] END,
			   CASE WHEN ch.channel = 'linkedin' THEN ch.connected_account_id END,
			   ch.campaign_lead_id::text || ':' || ch.next_step, $1, $1
		  FROM chosen ch
		-- a cancelled action (pause, then resume) comes back: same row, same key
		ON CONFLICT (campaign_lead_id, step) DO UPDATE
			SET state = 'queued', due_at = excluded.due_at, next_attempt_at = excluded.next_attempt_at,
				alias_id = excluded.alias_id, connected_account_id = excluded.connected_account_id,
				lease_until = NULL, updated_at = now()
			WHERE a.state = 'cancelled'
		RETURNING a.campaign_lead_id, a.step, a.variant
	), insa AS (
		-- (as arrays, so the update below probes the primary key whatever
		-- the size of campaign_lead)
		SELECT array_agg(ins.campaign_lead_id) AS ids, array_agg(ins.step) AS steps,
			   array_agg(ins.variant) AS variants
		  FROM ins
	), lead_upd AS (
		UPDATE @extschema@.campaign_lead cl
		   SET eligible_at = NULL, status = 'active',
			   variants = cl.variants || jsonb_build_object(u.step::text, u.variant)
		  FROM insa, unnest(insa.ids, insa.steps, insa.variants) AS u(id, step, variant)
		 WHERE cl.campaign_lead_id = u.id
		RETURNING 1
	), agg AS (
		SELECT ch.campaign_id, count(*) AS n, array_agg(ch.lane) AS lanes,
			   array_agg(ch.campaign_lead_id) AS picked,
			   (array_agg(ch.lane ORDER BY ch.rk DESC) FILTER (WHERE ch.channel = 'email'))[1] AS last_email_lane
		  FROM chosen ch GROUP BY ch.campaign_id
	), st AS (
		-- the pacing state after this pass
		SELECT o.*, coalesce(a.n, 0) AS n, coalesce(a.picked, '{}') AS picked,
			   CASE WHEN a.n IS NULL THEN o.pace_day ELSE o.today END AS new_pace_day,
			   CASE WHEN a.n IS NULL THEN o.pace_day_count ELSE o.used_today + a.n::int END AS new_count,
			   CASE WHEN a.n IS NULL THEN o.lane_last_sent_at
					ELSE ARRAY(SELECT CASE WHEN l.i = ANY (a.lanes) THEN $1 ELSE l.last_at END
								 FROM unnest(o.lane_last_sent_at) WITH ORDINALITY AS l(last_at, i) ORDER BY l.i) END AS new_lanes,
			   coalesce(a.last_email_lane, o.lane_cursor) AS new_cursor
		  FROM due o LEFT JOIN agg a ON a.campaign_id = o.campaign_id
	), nx AS (
		-- the next allowed send time: per channel, the earliest eligible lead
		-- not just picked and the earliest free lane of that channel
		SELECT st.campaign_id, st.new_pace_day, st.new_count, st.new_lanes, st.new_cursor,
			   -- (a CASE rather than WHERE e.first_eligible IS NOT NULL: a
			   -- WHERE would be pushed into e as a HAVING filter and run both
			   -- lead probes of each channel twice)
			   (SELECT min(CASE WHEN e.first_eligible IS NOT NULL THEN @extschema@.next_send_time(
						greatest($1 + interval '1 second', e.first_eligible),
						st.sending_window_start, st.sending_window_end, st.timezone, st.send_days,
						st.daily_limit, st.min_interval_seconds, st.new_pace_day, st.new_count, e.lane_last) END)
				  FROM (SELECT chn.channel,
							   least((SELECT cl.eligible_at FROM @extschema@.campaign_lead cl
									   WHERE cl.campaign_id = st.campaign_id AND cl.next_channel = chn.channel
										 AND (cl.current_step > 0) AND cl.eligible_at IS NOT NULL
										 AND cl.status IN ('pending', 'active')
										 AND cl.campaign_lead_id <> ALL (st.picked)
									   ORDER BY cl.eligible_at, cl.lead_id LIMIT 1),
									 (SELECT cl.eligible_at FROM @extschema@.campaign_lead cl
									   WHERE cl.campaign_id = st.campaign_id AND cl.next_channel = chn.channel
										 AND (cl.current_step > 0) IS FALSE AND cl.eligible_at IS NOT NULL
										 AND cl.status IN ('pending', 'active')
										 AND cl.campaign_lead_id <> ALL (st.picked)
									   ORDER BY cl.eligible_at, cl.lead_id LIMIT 1)) AS first_eligible,
							   CASE WHEN bool_or(chn.last IS NULL) THEN NULL ELSE min(chn.last) END AS lane_last
						  FROM (SELECT CASE WHEN l.i <= st.lane_email_count THEN 'email' ELSE 'linkedin' END AS channel,
									   l.last_at AS last
								  FROM unnest(st.new_lanes) WITH ORDINALITY AS l(last_at, i)) chn
						 GROUP BY chn.channel) e) AS next_at
		  FROM st
	), upd AS (
		UPDATE @extschema@.campaign c
		   SET pace_day = nx.new_pace_day, pace_day_count = nx.new_count,
			   lane_last_sent_at = nx.new_lanes, lane_cursor = nx.new_cursor,
			   next_action_at = nx.next_at
		  FROM nx
		 WHERE c.campaign_id = nx.campaign_id
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM ins)::integer AS queued, (SELECT count(*) FROM lead_upd)::integer AS leads_updated,
		   (SELECT count(*) FROM upd)::integer AS campaigns_updated
$pass$::text $sql$;
COMMENT ON FUNCTION @extschema@._queue_pass_sql() IS
'The text of the pacing pass statement ($1 now, $2 due campaign ids), run by _queue_pass.';

CREATE FUNCTION @extschema@._queue_pass(now timestamptz, ids uuid[], custom_plan boolean) RETURNS integer
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp	-- its kept plans are prepared under this path
AS 'MODULE_PATHNAME', 'queue_pass';
COMMENT ON FUNCTION @extschema@._queue_pass(timestamptz, uuid[], boolean) IS
'Runs the pacing pass (_queue_pass_sql) for the given locked due campaigns with a kept plan: one planned for these values (custom_plan) or one generic plan; returns the number of actions queued.';

-- _queue_due(now, only_campaign): the pacing pass over active campaigns due at now
-- (the 20,000 most overdue, or only the one given; the rest stay due for the
-- next call).  For each campaign that may send at
-- now (window, send day, daily limit: next_send_time(now) = now), each free
-- lane (an alias, or the connected account, whose last send is at least
-- min_interval_seconds ago) takes the best eligible lead of its channel --
-- follow-ups first, then earliest eligible -- up to the day's remaining
-- limit; lanes are taken in rotation after lane_cursor.  Then every due
-- campaign's next_action_at becomes its next allowed send time.
CREATE FUNCTION @extschema@._queue_due(now timestamptz, only_campaign uuid DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids uuid[];
	queued integer;
BEGIN
	SELECT array_agg(c.campaign_id) INTO ids
	  FROM (SELECT c.campaign_id FROM @extschema@.campaign c
			 WHERE c.status = 'active' AND c.next_action_at <= now
			   AND (only_campaign IS NULL OR c.campaign_id = only_campaign)
			 ORDER BY c.next_action_at
			 LIMIT 20000
			   FOR UPDATE SKIP LOCKED) c;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	-- The pass is one statement (_queue_pass_sql) run from C with a kept
	-- plan.  It joins the due campaigns' CTEs to each other, and a generic
	-- plan takes unnest(ids) for 10 rows and joins them with nested loops:
	-- quadratic, 50 s instead of 0.7 s for 10,000 campaigns, which a session
	-- that ticks often (the worker) would get after five calls.  So many
	-- campaigns get a plan made for their number each time; a few (and the
	-- forecast's single campaign, run thousands of times) share one generic
	-- plan.  (plan_cache_mode cannot choose this: it would also replan the
	-- foreign-key checks of every inserted action.)
	queued := @extschema@._queue_pass(now, ids, cardinality(ids) > 100);

	RETURN queued;
END
$$;
COMMENT ON FUNCTION @extschema@._queue_due(timestamptz, uuid) IS
'The pacing pass of tick: queues the next actions of the active campaigns due at now and sets each one''s next_action_at.';

-- _tick(now, only_campaign): tick, for all campaigns or one (the forecast uses that).
CREATE FUNCTION @extschema@._tick(now timestamptz, only_campaign uuid DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	enrolled bigint := 0;
	launched integer := 0;
	started integer := 0;
	held integer := 0;
	cancelled integer := 0;
	queued integer;
	o text;
	next_due timestamptz;
BEGIN
	-- Launches: one batch for each of (at most) four launching campaigns per
	-- call, oldest first, so one call stays a bounded transaction.
	FOR r IN SELECT c.campaign_id FROM @extschema@.campaign c
			  WHERE c.status = 'launching' AND c.next_action_at <= now
				AND (only_campaign IS NULL OR c.campaign_id = only_campaign)
			  ORDER BY c.next_action_at
			  LIMIT 4
				FOR UPDATE SKIP LOCKED
	LOOP
		enrolled := enrolled + @extschema@._enrol_batch(r.campaign_id, now);
		IF (SELECT status FROM @extschema@.campaign WHERE campaign_id = r.campaign_id) <> 'launching' THEN
			launched := launched + 1;
		END IF;
	END LOOP;

	-- Scheduled starts.
	FOR r IN SELECT c.campaign_id FROM @extschema@.campaign c
			  WHERE c.status = 'scheduled' AND c.next_action_at <= now
				AND (only_campaign IS NULL OR c.campaign_id = only_campaign)
			  ORDER BY c.next_action_at
				FOR UPDATE SKIP LOCKED
	LOOP
		o := @extschema@._start_scheduled(r.campaign_id, now);
		IF o = 'active' THEN started := started + 1;
		ELSIF o = 'paused' THEN held := held + 1;
		ELSIF o = 'draft' THEN cancelled := cancelled + 1;
		END IF;
	END LOOP;

	queued := @extschema@._queue_due(now, only_campaign);

	SELECT min(c.next_action_at) INTO next_due FROM @extschema@.campaign c
	 WHERE c.status IN ('launching', 'scheduled', 'active', 'draining')
	   AND (only_campaign IS NULL OR c.campaign_id = only_campaign);

	RETURN jsonb_build_object('enrolled', enrolled, 'launched', launched, 'started', started,
							  'held', held, 'cancelled', cancelled, 'queued', queued,
							  'next_due', next_due);
END
$$;
COMMENT ON FUNCTION @extschema@._tick(timestamptz, uuid) IS
'tick, for every campaign (only_campaign null) or for one campaign.';

CREATE FUNCTION @extschema@.tick(now timestamptz) RETURNS jsonb
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._tick(now, NULL) $$;
COMMENT ON FUNCTION @extschema@.tick(timestamptz) IS
'One scheduler step at the given time: advances launches (one enrolment batch each), starts due scheduled campaigns, queues the actions that may go at now.  Returns counts and next_due, the earliest time any campaign needs another tick.';
REVOKE ALL ON FUNCTION @extschema@.tick(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._tick(timestamptz, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._queue_due(timestamptz, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._queue_pass(timestamptz, uuid[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._start_scheduled(uuid, timestamptz) FROM PUBLIC;
-- The pass is one large statement over thousands of rows whose estimated
-- cost trips jit_above_cost; compiling it costs far more than it saves.
ALTER FUNCTION @extschema@._queue_due(timestamptz, uuid) SET jit = off;
-- The lead probes run as parameterised subplans, planned once for every
-- campaign: with one campaign holding most leads, a plan that sorts the
-- campaign's leads (through the (campaign_id, status) index) instead of
-- reading campaign_lead_next in order is a disaster for that campaign.
-- Sorts stay possible where nothing else can do (window functions).
ALTER FUNCTION @extschema@._queue_due(timestamptz, uuid) SET enable_sort = off;
ALTER FUNCTION @extschema@._tick(timestamptz, uuid) SET jit = off;

-- schema/56_outcome.sql
-- Outcomes of actions (SPEC §7): what the dispatcher (or a test simulating
-- delivery) reports for an action, and what it means for the lead's
-- sequence and the campaign.  Set-based: the dispatcher reports thousands
-- of outcomes per call.
--
-- Claim predicate for the dispatcher: `state = 'queued' AND next_attempt_at
-- <= now()` (FOR UPDATE SKIP LOCKED).  Queued actions exist only for active
-- campaigns and leads still in their sequence: pausing or stopping a
-- campaign and stopping a lead cancel its queued actions under the campaign
-- (or action) row lock, so a claim can never pick up an action of a paused
-- or completed campaign or of a stopped lead.

CREATE FUNCTION @extschema@.action_record_outcomes(
	ids bigint[], outcomes text[], ats timestamptz[], http_statuses integer[],
	details text[], retry_ats timestamptz[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	max_attempts integer := coalesce(nullif(current_setting('campaigns.max_attempts', true), '')::int, 5);
	threshold integer := coalesce(nullif(current_setting('campaigns.failure_pause_threshold', true), '')::int, 10);
	n integer;
	touched uuid[];
	bad text;
BEGIN
	IF ids IS NULL OR cardinality(ids) = 0 THEN
		RETURN 0;
	END IF;
	IF cardinality(outcomes) IS DISTINCT FROM cardinality(ids)
	   OR (ats IS NOT NULL AND cardinality(ats) NOT IN (0, cardinality(ids)))
	   OR (http_statuses IS NOT NULL AND cardinality(http_statuses) NOT IN (0, cardinality(ids)))
	   OR (details IS NOT NULL AND cardinality(details) NOT IN (0, cardinality(ids)))
	   OR (retry_ats IS NOT NULL AND cardinality(retry_ats) NOT IN (0, cardinality(ids))) THEN
		RAISE EXCEPTION 'outcome arrays must have the same length' USING ERRCODE = '22023';
	END IF;
	SELECT o INTO bad FROM unnest(outcomes) o WHERE o IS NULL OR o NOT IN ('sent', 'retry', 'failed') LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'invalid outcome "%"', coalesce(bad, 'null')
			USING ERRCODE = '22023', DETAIL = 'An outcome is sent, retry or failed.';
	END IF;

	-- The campaigns concerned are locked first, in a fixed order, so outcome
	-- batches serialise with tick, pause and events without deadlocks.
	PERFORM 1 FROM @extschema@.campaign c
	 WHERE c.campaign_id IN (SELECT a.campaign_id FROM @extschema@.action a WHERE a.action_id = ANY (ids))
	 ORDER BY c.campaign_id
	   FOR UPDATE OF c;

	WITH inp AS (
		SELECT DISTINCT ON (u.id) u.id, u.outcome, coalesce(u.at, now()) AS at, u.http_status, u.detail,
			   u.retry_at
		  FROM unnest(ids, outcomes,
					  coalesce(nullif(ats, '{}'), array_fill(NULL::timestamptz, ARRAY[cardinality(ids)])),
					  coalesce(nullif(http_statuses, '{}'), array_fill(NULL::integer, ARRAY[cardinality(ids)])),
					  coalesce(nullif(details, '{}'), array_fill(NULL::text, ARRAY[cardinality(ids)])),
					  coalesce(nullif(retry_ats, '{}'), array_fill(NULL::timestamptz, ARRAY[cardinality(ids)])))
			   AS u(id, outcome, at, http_status, detail, retry_at)
		 WHERE u.id IS NOT NULL
		 ORDER BY u.id
	), act AS (
		UPDATE @extschema@.action a
		   SET state = CASE
						WHEN i.outcome = 'sent' THEN 'sent'
						WHEN i.outcome = 'retry' AND a.attempts + 1 < max_attempts THEN 'queued'
						ELSE 'failed' END,
			   attempts = a.attempts + 1,
			   http_status = coalesce(i.http_status, a.http_status),
			   last_error = CASE WHEN i.outcome = 'sent' THEN a.last_error
								 WHEN i.outcome = 'retry' AND a.attempts + 1 >= max_attempts
									 THEN coalesce(i.detail, 'retry') || ' (gave up after ' || (a.attempts + 1) || ' attempts)'
								 ELSE i.detail END,
			   sent_at = CASE WHEN i.outcome = 'sent' THEN i.at ELSE a.sent_at END,
			   next_attempt_at = CASE WHEN i.outcome = 'retry' THEN coalesce(i.retry_at, i.at) ELSE a.next_attempt_at END,
			   lease_until = NULL,
			   updated_at = now()
		  FROM inp i
		 WHERE a.action_id = i.id AND a.state IN ('queued', 'in_flight')
		RETURNING a.action_id, a.campaign_id, a.campaign_lead_id, a.step, a.state, i.at
	), acta AS (
		-- (as arrays, so the update below probes the primary key whatever
		-- the size of campaign_lead)
		SELECT array_agg(act.campaign_lead_id) AS ids, array_agg(act.state) AS states,
			   array_agg(act.at) AS ats, array_agg(act.step) AS steps, array_agg(act.campaign_id) AS cids
		  FROM act WHERE act.state IN ('sent', 'failed')
	), lead AS (
		UPDATE @extschema@.campaign_lead cl
		   SET current_step = CASE WHEN act.state = 'sent' THEN cl.current_step + 1 ELSE cl.current_step END,
			   last_sent_at = CASE WHEN act.state = 'sent' THEN act.at ELSE cl.last_sent_at END,
			   status = CASE WHEN act.state = 'failed' THEN 'failed'
							 WHEN act.state = 'sent' AND (c.steps_config -> (cl.current_step + 1)) IS NULL THEN 'completed'
							 ELSE cl.status END,
			   next_step = CASE WHEN act.state = 'failed' THEN NULL
								WHEN act.state = 'sent' THEN ((c.steps_config -> (cl.current_step + 1)) ->> 'step')::int
								ELSE cl.next_step END,
			   next_channel = CASE WHEN act.state = 'failed' THEN NULL
								   WHEN act.state = 'sent' THEN @extschema@._step_channel(c.type, (c.steps_config -> (cl.current_step + 1)))
								   ELSE cl.next_channel END,
			   eligible_at = CASE WHEN act.state = 'sent' AND (c.steps_config -> (cl.current_step + 1)) IS NOT NULL
								  THEN @extschema@.add_local_days(act.at, coalesce(((c.steps_config -> (cl.current_step + 1)) ->> 'delay_days')::int, 0), c.timezone)
								  ELSE NULL END,
			   finished_at = CASE WHEN act.state = 'failed' OR (act.state = 'sent' AND (c.steps_config -> (cl.current_step + 1)) IS NULL)
								  THEN act.at ELSE cl.finished_at END
		  FROM acta, unnest(acta.ids, acta.states, acta.ats, acta.steps, acta.cids) AS act(campaign_lead_id, state, at, step, campaign_id)
		  JOIN @extschema@.campaign c ON c.campaign_id = act.campaign_id
		 WHERE cl.campaign_lead_id = act.campaign_lead_id
		   AND cl.status IN ('pending', 'active')
		   AND cl.next_step = act.step
		RETURNING cl.campaign_id, cl.status, cl.eligible_at
	), camp AS (
		SELECT x.campaign_id,
			   count(*) FILTER (WHERE x.state = 'sent') AS n_sent,
			   count(*) FILTER (WHERE x.state = 'failed') AS n_failed,
			   count(*) FILTER (WHERE x.state = 'failed' AND x.at > coalesce(x.last_sent, '-infinity')) AS trailing_failed
		  FROM (SELECT act.*, max(act.at) FILTER (WHERE act.state = 'sent') OVER (PARTITION BY act.campaign_id) AS last_sent
				  FROM act) x
		 GROUP BY x.campaign_id
	), lead_agg AS (
		SELECT lead.campaign_id,
			   count(*) FILTER (WHERE lead.status IN ('completed', 'failed')) AS finished,
			   min(lead.eligible_at) AS first_eligible
		  FROM lead GROUP BY lead.campaign_id
	), upd AS (
		UPDATE @extschema@.campaign c
		   SET processed_leads = c.processed_leads + coalesce(la.finished, 0),
			   failure_streak = CASE WHEN camp.n_sent > 0 THEN camp.trailing_failed
									 ELSE c.failure_streak + camp.n_failed END,
			   next_action_at = CASE WHEN c.status = 'active' AND la.first_eligible IS NOT NULL
									 THEN least(coalesce(c.next_action_at, la.first_eligible), la.first_eligible)
									 ELSE c.next_action_at END
		  FROM camp
		  LEFT JOIN lead_agg la ON la.campaign_id = camp.campaign_id
		 WHERE c.campaign_id = camp.campaign_id
		RETURNING c.campaign_id
	)
	SELECT count(*), array_agg(DISTINCT upd.campaign_id) INTO n, touched
	  FROM act LEFT JOIN upd ON upd.campaign_id = act.campaign_id;

	IF touched IS NULL THEN
		RETURN 0;
	END IF;

	-- Delivery keeps failing: pause (cancelling what is queued).
	PERFORM @extschema@._cancel_queued(c.campaign_id)
	   FROM @extschema@.campaign c
	  WHERE c.campaign_id = ANY (touched) AND c.status = 'active' AND c.failure_streak >= threshold;
	UPDATE @extschema@.campaign c
	   SET status = 'paused', paused_reason = 'delivery_failing', next_action_at = NULL, updated_at = now()
	 WHERE c.campaign_id = ANY (touched) AND c.status = 'active' AND c.failure_streak >= threshold;

	-- A draining campaign whose last in-flight action finished is paused.
	UPDATE @extschema@.campaign c
	   SET status = 'paused', updated_at = now()
	 WHERE c.campaign_id = ANY (touched) AND c.status = 'draining'
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.action a
					   WHERE a.campaign_id = c.campaign_id AND a.state = 'in_flight');

	PERFORM @extschema@._try_complete(touched);
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.action_record_outcomes(bigint[], text[], timestamptz[], integer[], text[], timestamptz[]) IS
'Records delivery outcomes (sent, retry, failed) of many actions at once; returns how many actions changed.  sent: the lead advances and its next step becomes eligible at the send time + delay_days local days (or the lead completes).  retry: queued again at retry_at until campaigns.max_attempts (default 5).  failed: the lead fails; campaigns.failure_pause_threshold (default 10) failures in a row pause the campaign (delivery_failing).  An action already sent, failed or cancelled is left as it is (idempotent).';

CREATE FUNCTION @extschema@.action_record_outcome(
	action_id bigint, outcome text, at timestamptz DEFAULT now(), http_status integer DEFAULT NULL,
	detail text DEFAULT NULL, retry_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s text;
BEGIN
	PERFORM @extschema@.action_record_outcomes(ARRAY[action_id], ARRAY[outcome], ARRAY[at],
											   ARRAY[http_status], ARRAY[detail], ARRAY[retry_at]);
	SELECT a.state INTO s FROM @extschema@.action a WHERE a.action_id = action_record_outcome.action_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'action not found' USING ERRCODE = 'P0002';
	END IF;
	RETURN s;
END
$$;
COMMENT ON FUNCTION @extschema@.action_record_outcome(bigint, text, timestamptz, integer, text, timestamptz) IS
'Records one action''s outcome (see action_record_outcomes); returns the action''s state afterwards.';

REVOKE ALL ON FUNCTION @extschema@.action_record_outcomes(bigint[], text[], timestamptz[], integer[], text[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.action_record_outcome(bigint, text, timestamptz, integer, text, timestamptz) FROM PUBLIC;
ALTER FUNCTION @extschema@.action_record_outcomes(bigint[], text[], timestamptz[], integer[], text[], timestamptz[]) SET jit = off;

-- schema/57_events.sql
-- Lead events and enrolled leads (SPEC §3, §6): replied, bounced and
-- unsubscribed stop a lead's remaining steps; connection_accepted, opened
-- and clicked are recorded on its timeline.

CREATE FUNCTION @extschema@._lead_event_json(e @extschema@.event) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'event_id', e.event_id, 'campaign_id', e.campaign_id, 'campaign_lead_id', e.campaign_lead_id,
		'type', e.type, 'occurred_at', @extschema@._ts(e.occurred_at),
		'data', e.payload)
$$;
COMMENT ON FUNCTION @extschema@._lead_event_json(@extschema@.event) IS 'The response body of a lead event.';

CREATE FUNCTION @extschema@.lead_event_record(campaign_id uuid, campaign_lead_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	cl @extschema@.campaign_lead;
	errs jsonb := '[]';
	k text;
	typ text;
	at timestamptz;
	e @extschema@.event;
BEGIN
	-- Validation first (422 shape of SPEC §4), then existence (404).
	IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
		errs := errs || jsonb_build_object('loc', '["body"]'::jsonb,
			'msg', 'Input should be a valid dictionary or object to extract fields from', 'type', 'model_attributes_type');
	ELSE
		IF NOT body ? 'type' THEN
			errs := errs || jsonb_build_object('loc', '["body","type"]'::jsonb, 'msg', 'Field required', 'type', 'missing');
		ELSIF jsonb_typeof(body -> 'type') <> 'string'
			  OR body ->> 'type' NOT IN ('replied', 'bounced', 'unsubscribed', 'connection_accepted', 'opened', 'clicked') THEN
			errs := errs || jsonb_build_object('loc', '["body","type"]'::jsonb,
				'msg', 'Input should be ''replied'', ''bounced'', ''unsubscribed'', ''connection_accepted'', ''opened'' or ''clicked''', 'type', 'enum');
		ELSE
			typ := body ->> 'type';
		END IF;
		IF body ? 'occurred_at' AND jsonb_typeof(body -> 'occurred_at') <> 'null' THEN
			IF jsonb_typeof(body -> 'occurred_at') <> 'string'
			   OR (body ->> 'occurred_at') !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})$' THEN
				errs := errs || jsonb_build_object('loc', '["body","occurred_at"]'::jsonb, 'msg', 'Input should be a valid datetime', 'type', 'datetime_parsing');
			ELSE
				BEGIN
					at := (body ->> 'occurred_at')::timestamptz;
				EXCEPTION WHEN others THEN
					errs := errs || jsonb_build_object('loc', '["body","occurred_at"]'::jsonb, 'msg', 'Input should be a valid datetime', 'type', 'datetime_parsing');
				END;
			END IF;
		END IF;
		IF body ? 'data' AND jsonb_typeof(body -> 'data') NOT IN ('object', 'null') THEN
			errs := errs || jsonb_build_object('loc', '["body","data"]'::jsonb, 'msg', 'Input should be a valid dictionary', 'type', 'dict_type');
		END IF;
		-- Unknown keys after the fields, as Pydantic (and campaign_create) report them.
		FOR k IN SELECT jsonb_object_keys(body) LOOP
			IF k NOT IN ('type', 'occurred_at', 'data') THEN
				errs := errs || jsonb_build_object('loc', jsonb_build_array('body', k), 'msg', 'Extra inputs are not permitted', 'type', 'extra_forbidden');
			END IF;
		END LOOP;
	END IF;
	IF jsonb_array_length(errs) > 0 THEN
		RAISE EXCEPTION 'invalid request' USING ERRCODE = '22023', DETAIL = errs::text;
	END IF;

	c := @extschema@._campaign_lock(campaign_id);
	SELECT * INTO cl FROM @extschema@.campaign_lead x
	 WHERE x.campaign_lead_id = lead_event_record.campaign_lead_id AND x.campaign_id = c.campaign_id
	   AND x.user_id = c.user_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign lead not found' USING ERRCODE = 'P0002';
	END IF;

	INSERT INTO @extschema@.event (user_id, campaign_id, campaign_lead_id, type, payload, occurred_at)
	VALUES (c.user_id, c.campaign_id, cl.campaign_lead_id, typ,
			coalesce(nullif(body -> 'data', 'null'::jsonb), '{}'), coalesce(at, now()))
	RETURNING * INTO e;

	IF typ IN ('replied', 'bounced', 'unsubscribed') AND cl.status IN ('pending', 'active') THEN
		UPDATE @extschema@.action a SET state = 'cancelled', updated_at = now()
		 WHERE a.campaign_lead_id = cl.campaign_lead_id AND a.state = 'queued';
		UPDATE @extschema@.campaign_lead x
		   SET status = 'stopped', stop_reason = typ, eligible_at = NULL, next_step = NULL,
			   next_channel = NULL, finished_at = coalesce(at, now())
		 WHERE x.campaign_lead_id = cl.campaign_lead_id;
		UPDATE @extschema@.campaign x SET processed_leads = x.processed_leads + 1
		 WHERE x.campaign_id = c.campaign_id;
		PERFORM @extschema@._try_complete(ARRAY[c.campaign_id]);
	END IF;
	RETURN @extschema@._lead_event_json(e);
END
$$;
COMMENT ON FUNCTION @extschema@.lead_event_record(uuid, uuid, jsonb) IS
'Records a lead event {type, occurred_at?, data?}; replied, bounced and unsubscribed stop the lead (queued actions cancelled) and may complete the campaign.';

CREATE FUNCTION @extschema@.lead_events(campaign_id uuid, campaign_lead_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.campaign_lead x
					WHERE x.campaign_lead_id = lead_events.campaign_lead_id
					  AND x.campaign_id = lead_events.campaign_id AND x.user_id = uid) THEN
		RAISE EXCEPTION 'campaign lead not found' USING ERRCODE = 'P0002';
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(@extschema@._lead_event_json(e) ORDER BY e.occurred_at, e.event_id), '[]')
			  FROM @extschema@.event e
			 WHERE e.campaign_lead_id = lead_events.campaign_lead_id AND e.user_id = uid);
END
$$;
COMMENT ON FUNCTION @extschema@.lead_events(uuid, uuid) IS 'A campaign lead''s timeline of events, oldest first.';

CREATE FUNCTION @extschema@.campaign_leads(campaign_id uuid, filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	errs jsonb := '[]';
	st text := filters ->> 'status';
	o text := coalesce(filters ->> 'offset', '0');
	l text := coalesce(filters ->> 'limit', '50');
BEGIN
	IF st IS NOT NULL AND st NOT IN ('pending', 'active', 'completed', 'stopped', 'failed') THEN
		errs := errs || jsonb_build_object('loc', '["query","status"]'::jsonb,
			'msg', 'Input should be ''pending'', ''active'', ''completed'', ''stopped'' or ''failed''', 'type', 'enum');
	END IF;
	IF o !~ '^\s*[0-9]{1,15}\s*$' THEN
		errs := errs || jsonb_build_object('loc', '["query","offset"]'::jsonb,
			'msg', CASE WHEN o ~ '^\s*-[0-9]+\s*$' THEN 'Input should be greater than or equal to 0'
						ELSE 'Input should be a valid integer, unable to parse string as an integer' END,
			'type', CASE WHEN o ~ '^\s*-[0-9]+\s*$' THEN 'greater_than_equal' ELSE 'int_parsing' END);
	END IF;
	IF l !~ '^\s*-?[0-9]{1,9}\s*$' THEN
		errs := errs || jsonb_build_object('loc', '["query","limit"]'::jsonb,
			'msg', 'Input should be a valid integer, unable to parse string as an integer', 'type', 'int_parsing');
	ELSIF l::int < 1 THEN
		errs := errs || jsonb_build_object('loc', '["query","limit"]'::jsonb,
			'msg', 'Input should be greater than or equal to 1', 'type', 'greater_than_equal');
	ELSIF l::int > 100 THEN
		errs := errs || jsonb_build_object('loc', '["query","limit"]'::jsonb,
			'msg', 'Input should be less than or equal to 100', 'type', 'less_than_equal');
	END IF;
	IF jsonb_array_length(errs) > 0 THEN
		RAISE EXCEPTION 'invalid request' USING ERRCODE = '22023', DETAIL = errs::text;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM @extschema@.campaign c
					WHERE c.campaign_id = campaign_leads.campaign_id AND c.user_id = uid) THEN
		RAISE EXCEPTION 'campaign not found' USING ERRCODE = 'P0002';
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(j ORDER BY ord), '[]') FROM (
		SELECT row_number() OVER (ORDER BY cl.enrolled_at, cl.lead_id) AS ord,
			   jsonb_build_object(
				'campaign_lead_id', cl.campaign_lead_id, 'lead_id', cl.lead_id, 'email', ld.email,
				'status', cl.status, 'current_step', cl.current_step, 'next_step', cl.next_step,
				'eligible_at', @extschema@._ts(cl.eligible_at),
				'last_sent_at', @extschema@._ts(cl.last_sent_at),
				'variants', cl.variants, 'stop_reason', cl.stop_reason,
				'enrolled_at', @extschema@._ts(cl.enrolled_at),
				'finished_at', @extschema@._ts(cl.finished_at)) AS j
		  FROM @extschema@.campaign_lead cl
		  LEFT JOIN @extschema@.lead ld ON ld.lead_id = cl.lead_id AND ld.user_id = uid
		 WHERE cl.campaign_id = campaign_leads.campaign_id AND cl.user_id = uid
		   AND (st IS NULL OR cl.status = st)
		 ORDER BY cl.enrolled_at, cl.lead_id
		 OFFSET o::bigint LIMIT l::int) s);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_leads(uuid, jsonb) IS
'The leads enrolled in a campaign (filters: status, offset >= 0, limit 1..100, default 50), in enrolment order.';

GRANT EXECUTE ON FUNCTION @extschema@.lead_event_record(uuid, uuid, jsonb),
	@extschema@.lead_events(uuid, uuid), @extschema@.campaign_leads(uuid, jsonb)
TO campaigns_user;

-- schema/58_forecast.sql
-- The forecast (SPEC §6): planned sends per local day and the next send
-- time.  It runs the scheduler itself (_tick for this one campaign, with
-- every queued action taken as sent when due) over the coming days inside a
-- subtransaction that is always rolled back, so the answer follows exactly
-- the rules and C arithmetic that tick applies, and nothing is changed.
-- Repeated updates of one row inside one transaction grow its version chain,
-- so the simulation's cost grows with the square of its length: it stops
-- after 1,000 sends (truncated = true; later days are null, not 0).

CREATE FUNCTION @extschema@._forecast(cid uuid, days integer, from_ts timestamptz) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	horizon timestamptz;
	t timestamptz;
	nxt timestamptz;
	r jsonb;
	per_day jsonb := '{}';
	first_send timestamptz;
	planned integer := 0;
	budget constant integer := 1000;
	stopped_day date;
	truncated boolean := false;
	ids bigint[];
	ats timestamptz[];
	d text;
	result jsonb;
	i integer := 0;
BEGIN
	-- SECURITY DEFINER (the simulation writes rows that are rolled back), so
	-- the caller's ownership is checked here.
	SELECT * INTO c FROM @extschema@.campaign x
	 WHERE x.campaign_id = cid AND x.user_id = @extschema@.current_user_id()
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign not found' USING ERRCODE = 'P0002';
	END IF;
	IF days IS NULL OR days < 1 OR days > 366 THEN
		RAISE EXCEPTION 'days must be between 1 and 366' USING ERRCODE = '22023';
	END IF;
	horizon := @extschema@.add_local_days(
		((from_ts AT TIME ZONE c.timezone)::date::timestamp AT TIME ZONE c.timezone), days, c.timezone);

	BEGIN
		-- Inside the simulation, which is always rolled back, triggers
		-- (foreign-key checks, the status guard, the worker's wake-up) only
		-- cost time: the same code paths run, their checks did at the real
		-- transitions.
		SET LOCAL session_replication_role = replica;
		IF c.status IN ('active', 'scheduled', 'launching') THEN
			-- What is queued or in flight now goes out first.
			SELECT array_agg(a.action_id), array_agg(greatest(a.next_attempt_at, from_ts))
			  INTO ids, ats
			  FROM @extschema@.action a
			 WHERE a.campaign_id = cid AND a.state IN ('queued', 'in_flight');
			IF ids IS NOT NULL THEN
				FOR i IN 1 .. cardinality(ids) LOOP
					d := to_char(ats[i] AT TIME ZONE c.timezone, 'YYYY-MM-DD');
					per_day := jsonb_set(per_day, ARRAY[d], to_jsonb(coalesce((per_day ->> d)::int, 0) + 1));
					first_send := least(first_send, ats[i]);
					planned := planned + 1;
				END LOOP;
				UPDATE @extschema@.action SET state = 'in_flight' WHERE action_id = ANY (ids);
				PERFORM @extschema@.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
														   ats, NULL, NULL, NULL);
			END IF;
			UPDATE @extschema@.campaign x SET next_action_at = from_ts
			 WHERE x.campaign_id = cid AND x.status = 'active';

			t := from_ts;
			LOOP
				r := @extschema@._tick(t, cid);
				SELECT array_agg(a.action_id ORDER BY a.action_id) INTO ids
				  FROM @extschema@.action a WHERE a.campaign_id = cid AND a.state = 'queued';
				IF ids IS NOT NULL THEN
					d := to_char(t AT TIME ZONE c.timezone, 'YYYY-MM-DD');
					per_day := jsonb_set(per_day, ARRAY[d], to_jsonb(coalesce((per_day ->> d)::int, 0) + cardinality(ids)));
					first_send := least(first_send, t);
					planned := planned + cardinality(ids);
					UPDATE @extschema@.action SET state = 'in_flight' WHERE action_id = ANY (ids);
					PERFORM @extschema@.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
															   array_fill(t, ARRAY[cardinality(ids)]), NULL, NULL, NULL);
				END IF;
				SELECT x.next_action_at INTO nxt FROM @extschema@.campaign x
				 WHERE x.campaign_id = cid AND x.status IN ('launching', 'scheduled', 'active');
				EXIT WHEN nxt IS NULL OR nxt >= horizon;
				IF planned >= budget THEN
					truncated := true;
					stopped_day := (t AT TIME ZONE c.timezone)::date;
					EXIT;
				END IF;
				t := greatest(nxt, t + interval '1 microsecond');
			END LOOP;
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'CMFRC';
	EXCEPTION WHEN SQLSTATE 'CMFRC' THEN
		NULL;	-- everything the simulation did is rolled back
	END;

	-- Dates are YYYY-MM-DD whatever the session's DateStyle (date::text is not).
	SELECT jsonb_build_object(
		'campaign_id', cid,
		'status', c.status,
		'timezone', c.timezone,
		'from', @extschema@._ts(from_ts),
		'days', coalesce(jsonb_agg(jsonb_build_object('date', to_char(g.d, 'YYYY-MM-DD'),
													  'planned_sends', CASE WHEN g.d::date > stopped_day THEN NULL
																			ELSE coalesce((per_day ->> to_char(g.d, 'YYYY-MM-DD'))::int, 0) END)
								   ORDER BY g.d), '[]'),
		'total_planned', planned,
		'next_send_time', @extschema@._ts(first_send),
		'truncated', truncated,
		'reason', CASE
			WHEN c.status IN ('draft', 'launching', 'failed') AND planned = 0 THEN 'campaign is ' || c.status
			WHEN c.status IN ('paused', 'draining') THEN 'campaign is paused' || coalesce(' (' || c.paused_reason || ')', '')
			WHEN c.status = 'completed' THEN 'campaign is completed'
			WHEN planned = 0 THEN 'no lead step becomes sendable in the forecast period'
			END)
	  INTO result
	  FROM generate_series((from_ts AT TIME ZONE c.timezone)::date::timestamp,
						   (from_ts AT TIME ZONE c.timezone)::date::timestamp + make_interval(days => days - 1),
						   interval '1 day') AS g(d);
	RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) IS
'The forecast of the caller''s campaign from a given time (campaign_forecast uses now()).';
REVOKE ALL ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) TO campaigns_user;

CREATE FUNCTION @extschema@.campaign_forecast(campaign_id uuid, days integer) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF days IS NULL OR days < 1 OR days > 90 THEN
		RAISE EXCEPTION 'invalid request' USING ERRCODE = '22023',
			DETAIL = jsonb_build_array(jsonb_build_object('loc', '["query","days"]'::jsonb,
				'msg', CASE WHEN days IS NULL THEN 'Field required'
							WHEN days < 1 THEN 'Input should be greater than or equal to 1'
							ELSE 'Input should be less than or equal to 90' END,
				'type', CASE WHEN days IS NULL THEN 'missing' WHEN days < 1 THEN 'greater_than_equal'
							 ELSE 'less_than_equal' END))::text;
	END IF;
	PERFORM @extschema@._campaign_lock(campaign_id);
	RETURN @extschema@._forecast(campaign_id, days, now());
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_forecast(uuid, integer) IS
'Planned sends per local day for the next days (1..90) and the next send time, computed by running the scheduler''s own rules on a copy that is rolled back.';
GRANT EXECUTE ON FUNCTION @extschema@.campaign_forecast(uuid, integer) TO campaigns_user;
ALTER FUNCTION @extschema@._forecast(uuid, integer, timestamptz) SET jit = off;
-- The simulation runs the same few statements thousands of times for one
-- campaign: generic plans, planned once, fit that (tick itself keeps custom
-- plans, sized to the number of campaigns due).
ALTER FUNCTION @extschema@._forecast(uuid, integer, timestamptz) SET plan_cache_mode = force_generic_plan;

-- schema/60_dispatch.sql
-- Dispatch (SPEC §7): the worker's SQL side.  The background worker
-- (src/worker.c) runs tick(now()), claims due actions with _dispatch_claim,
-- delivers them over HTTP (src/dispatch.c) and records the outcomes of a
-- whole batch with one call of action_record_outcomes (56_outcome.sql);
-- backends wake it on commit through the wake triggers.

-- Wake-up on commit ---------------------------------------------------------

CREATE FUNCTION @extschema@._wake_worker() RETURNS void
	LANGUAGE c VOLATILE PARALLEL UNSAFE
	AS 'MODULE_PATHNAME', 'campaigns_wake_worker';
COMMENT ON FUNCTION @extschema@._wake_worker() IS
'Wakes the background worker when the calling transaction commits (a no-op when the worker is not running).';

CREATE FUNCTION @extschema@._wake_trigger() RETURNS trigger
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_wake_trigger';
COMMENT ON FUNCTION @extschema@._wake_trigger() IS
'Statement trigger: wakes the background worker when the transaction commits.';

CREATE TRIGGER action_wake AFTER INSERT OR UPDATE OF state, next_attempt_at
	ON @extschema@.action FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();
CREATE TRIGGER campaign_wake AFTER INSERT OR UPDATE OF status
	ON @extschema@.campaign FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();
CREATE TRIGGER campaign_lead_wake AFTER UPDATE OF status, eligible_at
	ON @extschema@.campaign_lead FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();

-- Worker state ----------------------------------------------------------------

CREATE FUNCTION @extschema@._worker_status(
	OUT pid integer, OUT state text, OUT database_name text,
	OUT started_at timestamptz, OUT last_pass_at timestamptz, OUT last_tick_at timestamptz,
	OUT in_flight integer, OUT claimed bigint, OUT sent bigint, OUT retried bigint,
	OUT failed bigint, OUT batches bigint, OUT ticks bigint, OUT errors bigint)
	RETURNS record
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_worker_status';
COMMENT ON FUNCTION @extschema@._worker_status() IS
'The background worker''s shared state; read it through the campaigns.worker_status view.';

CREATE VIEW @extschema@.worker_status AS SELECT * FROM @extschema@._worker_status();
COMMENT ON VIEW @extschema@.worker_status IS
'The background worker: pid, state (stopped, starting, disabled, waiting_for_extension, idle, dispatching, stopping, or not_preloaded), times of its last pass and scheduler tick, requests in flight and counters since the server started.';
GRANT SELECT ON @extschema@.worker_status TO campaigns_user;

-- Outcome policy (exposed for tests) --------------------------------------------

CREATE FUNCTION @extschema@._dispatch_classify(http_status integer, transport_error boolean)
	RETURNS text LANGUAGE c IMMUTABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_classify';
COMMENT ON FUNCTION @extschema@._dispatch_classify(integer, boolean) IS
'The dispatcher''s classification of a response: sent (2xx), retry (429, 5xx, transport error or timeout) or failed (anything else).';

CREATE FUNCTION @extschema@._dispatch_backoff_ms(attempt integer, retry_after_ms bigint, jitter double precision)
	RETURNS bigint LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_backoff_ms';
COMMENT ON FUNCTION @extschema@._dispatch_backoff_ms(integer, bigint, double precision) IS
'Delay before retrying after an attempt: Retry-After when given, else retry_base_ms * 2^(attempt-1) capped at retry_max_ms, its upper half jittered by jitter in [0, 1).';

-- Request building ---------------------------------------------------------------

CREATE FUNCTION @extschema@._dispatch_render(template text, lead jsonb) RETURNS jsonb
	LANGUAGE c IMMUTABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_render';
COMMENT ON FUNCTION @extschema@._dispatch_render(text, jsonb) IS
'render_template for request bodies: {"text", "missing"}; NULL for a NULL template; a template that does not parse goes out as written with the reason in "error" instead of raising.';

CREATE FUNCTION @extschema@._default_prompt() RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT 'Write a short, friendly outreach message to this lead in the sender''s voice. '
				 'Use the lead''s name, title and company where they help, stay under 120 words, '
				 'and end with one clear, low-pressure question.'::text $$;
COMMENT ON FUNCTION @extschema@._default_prompt() IS
'The built-in personalization prompt, used when neither the campaign''s system_prompt nor the sender profile''s custom_prompt is set.';

CREATE FUNCTION @extschema@._dispatch_claim_rows(n integer, lease_ms integer)
	RETURNS TABLE (action_id bigint, attempt integer, idempotency_key text, url text, auth_header text,
				   campaign_id uuid, campaign_lead_id uuid, lead_id uuid, email text, linkedin_url text,
				   first_name text, last_name text, company text, title text, timezone text, fields jsonb,
				   step integer, variant text, channel text, action_type text, template_id uuid,
				   missing_fields jsonb, sender_profile_id uuid, track_clicks boolean,
				   ai_personalization boolean, prompt text, due_at timestamptz, subject text,
				   body text, alias_id text, alias_email text, connected_account_id uuid)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	-- One plan, made once: every join is a nested loop over the few rows
	-- claimed.  (A generic plan guesses 10% of the table for LIMIT n and
	-- would hash-join every lead, and its cost would invite JIT; a custom
	-- plan costs more to make than it takes to run.  The plan may be made
	-- while the queue is empty or just truncated: only index walks keep it
	-- cheap at every size, so nothing else is allowed.)
	SET plan_cache_mode = force_generic_plan
	SET enable_hashjoin = off
	SET enable_mergejoin = off
	SET enable_seqscan = off
	SET enable_bitmapscan = off
	SET enable_sort = off
	SET jit = off
	AS $$
BEGIN
	RETURN QUERY
WITH picked AS (
	-- Everything later steps need from the action, its campaign and its
	-- campaign_lead comes from the locked rows, so none is read twice.
	SELECT a.action_id, a.user_id, a.campaign_id, a.campaign_lead_id, a.step, a.variant, a.channel,
		   a.action_type, a.alias_id, a.connected_account_id, a.idempotency_key, a.due_at, a.attempts,
		   c.steps_config, c.system_prompt, cl.lead_id
	  FROM @extschema@.action a
	  JOIN @extschema@.campaign c ON c.campaign_id = a.campaign_id
	  JOIN @extschema@.campaign_lead cl ON cl.campaign_lead_id = a.campaign_lead_id
	 WHERE a.state IN ('queued', 'in_flight')
	   AND a.next_attempt_at <= now()
	   AND c.status = 'active'
	   AND cl.status IN ('pending', 'active')
	 ORDER BY a.next_attempt_at
	 LIMIT n
	   FOR UPDATE OF a SKIP LOCKED
	   FOR SHARE OF c SKIP LOCKED
), payload AS MATERIALIZED (
	-- The request's parts; the JSON body is built from them in C
	-- (src/dispatch.c), so they are returned as they are.
	SELECT p.action_id,
		   coalesce(de.url, nullif(current_setting('campaigns.' || p.channel || '_endpoint', true), '')) AS url,
		   de.auth_header,
		   l.lead_id, l.email, l.linkedin_url, l.first_name, l.last_name, l.company, l.title, l.timezone, l.fields,
		   t.template_id,
		   ren.missing,
		   ren.errors,
		   sp.sender_profile_id,
		   coalesce((st.cfg ->> 'track_clicks')::boolean, false) AS track_clicks,
		   ai.enabled AS ai_personalization,
		   CASE WHEN ai.enabled THEN
				coalesce(p.system_prompt, nullif(sp.sender_data ->> 'custom_prompt', ''),
						 @extschema@._default_prompt()) END AS prompt,
		   ren.subject ->> 'text' AS subject,
		   ren.body ->> 'text' AS body,
		   CASE WHEN p.channel = 'email'
				THEN (SELECT ea.full_email FROM @extschema@.email_alias ea
					   WHERE ea.user_id = p.user_id AND ea.alias_id = p.alias_id) END AS alias_email
	  FROM picked p
	  JOIN @extschema@.lead l ON l.lead_id = p.lead_id
	  LEFT JOIN LATERAL (SELECT s AS cfg FROM jsonb_array_elements(p.steps_config) s
						  WHERE (s ->> 'step')::integer = p.step LIMIT 1) st ON true
	  LEFT JOIN LATERAL (SELECT v AS cfg FROM jsonb_array_elements(st.cfg -> 'variants') v
						  WHERE v ->> 'label' = p.variant LIMIT 1) va ON true
	  LEFT JOIN @extschema@.template t
			 ON t.template_id = (va.cfg ->> 'template_id')::uuid AND t.user_id = p.user_id
	  LEFT JOIN LATERAL (SELECT sp.* FROM @extschema@.sender_profile sp
						  WHERE sp.user_id = p.user_id
							AND CASE WHEN va.cfg ->> 'sender_profile_id' IS NOT NULL
									 THEN sp.sender_profile_id = (va.cfg ->> 'sender_profile_id')::uuid
									 ELSE sp.is_default END
						  LIMIT 1) sp ON true
	  LEFT JOIN @extschema@.delivery_endpoint de ON de.user_id = p.user_id AND de.channel = p.channel
	  CROSS JOIN LATERAL (SELECT coalesce((st.cfg ->> 'ai_personalization_enabled')::boolean, false)
								 OR va.cfg ->> 'type' = 'PERSONALIZATION' AS enabled) ai
	  CROSS JOIN LATERAL (SELECT l.fields || jsonb_strip_nulls(jsonb_build_object(
									'email', l.email, 'linkedin_url', l.linkedin_url,
									'first_name', l.first_name, 'last_name', l.last_name,
									'company', l.company, 'title', l.title, 'timezone', l.timezone))
							 AS data OFFSET 0) ld
	  CROSS JOIN LATERAL (SELECT r.subject, r.body,
								 CASE WHEN coalesce(r.subject -> 'missing', '[]') = '[]'
									  THEN coalesce(r.body -> 'missing', '[]')
									  WHEN coalesce(r.body -> 'missing', '[]') = '[]'
									  THEN r.subject -> 'missing'
									  ELSE (SELECT jsonb_agg(DISTINCT m ORDER BY m)
											  FROM (SELECT jsonb_array_elements_text(r.subject -> 'missing')
													UNION ALL
													SELECT jsonb_array_elements_text(r.body -> 'missing')) x(m))
								 END AS missing,
								 CASE WHEN r.subject -> 'error' IS NULL AND r.body -> 'error' IS NULL
									  THEN '{}'::jsonb
									  ELSE jsonb_strip_nulls(jsonb_build_object('subject', r.subject -> 'error',
																				'body', r.body -> 'error')) END AS errors
							FROM (SELECT CASE WHEN p.channel = 'email'
											  THEN @extschema@._dispatch_render(t.subject, ld.data) END AS subject,
										 @extschema@._dispatch_render(coalesce(t.body, st.cfg ->> 'message_template'),
																	   ld.data) AS body OFFSET 0) r) ren
)
UPDATE @extschema@.action a
   SET state = 'in_flight',
	   lease_until = now() + make_interval(secs => lease_ms / 1000.0),
	   next_attempt_at = now() + make_interval(secs => lease_ms / 1000.0),
	   render_warnings = CASE WHEN jsonb_array_length(p.missing) > 0 OR p.errors <> '{}'
							  THEN jsonb_strip_nulls(jsonb_build_object(
									'missing_fields', CASE WHEN jsonb_array_length(p.missing) > 0 THEN p.missing END,
									'syntax_errors', nullif(p.errors, '{}'))) END,
	   updated_at = now()
  FROM payload p
 WHERE a.action_id = p.action_id
RETURNING a.action_id, a.attempts + 1, a.idempotency_key, p.url, p.auth_header,
		  a.campaign_id, a.campaign_lead_id, p.lead_id, p.email, p.linkedin_url,
		  p.first_name, p.last_name, p.company, p.title, p.timezone, p.fields,
		  a.step, a.variant, a.channel, a.action_type, p.template_id,
		  p.missing, p.sender_profile_id, p.track_clicks,
		  p.ai_personalization, p.prompt, a.due_at, p.subject,
		  p.body, a.alias_id, p.alias_email, a.connected_account_id;
END
$$;
COMMENT ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) IS
'The claim: takes up to n due actions (queued and due, or in flight past their lease) of active campaigns and live leads, oldest first, skipping locked rows; marks them in flight for lease_ms and returns each request''s parts (templates rendered for the lead), from which _dispatch_claim and the worker build the JSON body.';
REVOKE ALL ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) FROM PUBLIC;

CREATE FUNCTION @extschema@._dispatch_claim(n integer, lease_ms integer)
	RETURNS TABLE (action_id bigint, attempt integer, idempotency_key text,
				   url text, auth_header text, body text)
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_claim';
COMMENT ON FUNCTION @extschema@._dispatch_claim(integer, integer) IS
'Claims up to n due actions (queued and due, or in flight past their lease) of active campaigns and live leads, oldest first, skipping locked rows; marks them in flight for lease_ms and returns each request: the attempt it is (attempts counts recorded outcomes), URL, auth header and JSON body (built by the same C code the worker uses).';
REVOKE ALL ON FUNCTION @extschema@._dispatch_claim(integer, integer) FROM PUBLIC;

-- Stats ------------------------------------------------------------------------

CREATE FUNCTION @extschema@.campaign_stats(campaign_id uuid) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	c record;
	result jsonb;
BEGIN
	SELECT cp.campaign_id, cp.status, cp.paused_reason, cp.total_leads INTO c
	  FROM @extschema@.campaign cp
	 WHERE cp.campaign_id = campaign_stats.campaign_id AND cp.user_id = uid;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign not found' USING ERRCODE = 'P0002',
			DETAIL = format('No campaign %s belongs to the caller.', campaign_stats.campaign_id);
	END IF;

	WITH acts AS (
		SELECT a.step, coalesce(a.variant, '') AS variant, a.state, a.campaign_lead_id, a.sent_at
		  FROM @extschema@.action a
		 WHERE a.campaign_id = c.campaign_id AND a.user_id = uid
	), ev AS (
		-- Each lead event counts against the last step sent to that lead before it.
		SELECT e.type, last.step, last.variant
		  FROM @extschema@.event e
		  LEFT JOIN LATERAL (SELECT x.step, x.variant FROM acts x
							  WHERE x.campaign_lead_id = e.campaign_lead_id AND x.state = 'sent'
								AND x.sent_at <= e.occurred_at
							  ORDER BY x.sent_at DESC LIMIT 1) last ON true
		 WHERE e.campaign_id = c.campaign_id AND e.user_id = uid AND e.campaign_lead_id IS NOT NULL
	), counts AS (
		SELECT step, variant, state AS k, count(*) AS n FROM acts GROUP BY 1, 2, 3
		UNION ALL
		SELECT step, variant, type, count(*) FROM ev WHERE step IS NOT NULL GROUP BY 1, 2, 3
	), zero AS (
		SELECT jsonb_build_object('queued', 0, 'in_flight', 0, 'sent', 0, 'failed', 0, 'cancelled', 0,
								  'replied', 0, 'bounced', 0, 'unsubscribed', 0, 'opened', 0,
								  'clicked', 0, 'connection_accepted', 0) AS z
	), per_variant AS (
		SELECT step, variant, (SELECT z FROM zero) || jsonb_object_agg(k, n) AS counts
		  FROM counts GROUP BY step, variant
	), per_step AS (
		SELECT step,
			   (SELECT z FROM zero) || (SELECT jsonb_object_agg(k, n)
										  FROM (SELECT k, sum(n) AS n FROM counts c2
												 WHERE c2.step = pv.step GROUP BY k) t) AS counts,
			   jsonb_agg(jsonb_build_object('variant', nullif(variant, '')) || counts ORDER BY variant) AS variants
		  FROM per_variant pv GROUP BY step
	)
	SELECT jsonb_build_object(
		'campaign_id', c.campaign_id,
		'status', c.status,
		'paused_reason', c.paused_reason,
		'total_leads', c.total_leads,
		'leads', (SELECT jsonb_build_object('pending', 0, 'active', 0, 'completed', 0, 'stopped', 0, 'failed', 0)
						 || coalesce(jsonb_object_agg(status, n), '{}')
					FROM (SELECT cl.status, count(*) AS n FROM @extschema@.campaign_lead cl
						   WHERE cl.campaign_id = c.campaign_id AND cl.user_id = uid GROUP BY 1) t),
		'actions', (SELECT z FROM zero)
				   || coalesce((SELECT jsonb_object_agg(k, n) FROM (SELECT k, sum(n) AS n FROM counts GROUP BY k) t), '{}'),
		'events', (SELECT coalesce(jsonb_object_agg(type, n), '{}')
					 FROM (SELECT e.type, count(*) AS n FROM @extschema@.event e
							WHERE e.campaign_id = c.campaign_id AND e.user_id = uid GROUP BY 1) t),
		'steps', coalesce((SELECT jsonb_agg(jsonb_build_object('step', step) || counts
											|| jsonb_build_object('variants', variants) ORDER BY step)
							 FROM per_step), '[]'),
		'daily', coalesce((SELECT jsonb_agg(jsonb_build_object('day', s.day, 'sent', s.sent,
															   'failed', s.failed, 'cancelled', s.cancelled)
											ORDER BY s.day)
							 FROM (SELECT ds.day, sum(ds.sent) AS sent, sum(ds.failed) AS failed,
										  sum(ds.cancelled) AS cancelled
									 FROM @extschema@.campaign_daily_stats ds
									WHERE ds.campaign_id = c.campaign_id AND ds.user_id = uid
									GROUP BY ds.day) s), '[]'))
	  INTO result;
	RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_stats(uuid) IS
'Counts of a campaign: leads by status; actions by state and lead events (replied, bounced...) in total, per step and per variant (an event counts against the last step sent to its lead); the daily roll-up.  SQLSTATE P0002 when the caller has no such campaign.';
GRANT EXECUTE ON FUNCTION @extschema@.campaign_stats(uuid) TO campaigns_user;

-- Maintenance (pg_cron) -------------------------------------------------------------

CREATE FUNCTION @extschema@.stats_rollup(since date DEFAULT (now() AT TIME ZONE 'UTC')::date - 1)
	RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO @extschema@.campaign_daily_stats AS s
		(user_id, campaign_id, day, step, variant, sent, failed, cancelled, updated_at)
	SELECT a.user_id, a.campaign_id, (coalesce(a.sent_at, a.updated_at) AT TIME ZONE 'UTC')::date,
		   a.step, coalesce(a.variant, ''),
		   count(*) FILTER (WHERE a.state = 'sent'),
		   count(*) FILTER (WHERE a.state = 'failed'),
		   count(*) FILTER (WHERE a.state = 'cancelled'),
		   now()
	  FROM @extschema@.action a
	 WHERE a.state IN ('sent', 'failed', 'cancelled')
	   AND coalesce(a.sent_at, a.updated_at) >= (since::timestamp AT TIME ZONE 'UTC')
	 GROUP BY 1, 2, 3, 4, 5
	ON CONFLICT (campaign_id, day, step, variant) DO UPDATE
		SET sent = excluded.sent, failed = excluded.failed, cancelled = excluded.cancelled,
			updated_at = excluded.updated_at;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.stats_rollup(date) IS
'Recomputes the daily roll-up (campaign_daily_stats) of finished actions from UTC day since onwards (default: yesterday); returns the rows written.';

CREATE FUNCTION @extschema@.purge_old(keep_days integer DEFAULT 90) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	cutoff timestamptz;
	oldest timestamptz;
	n_actions bigint;
	n_events bigint;
BEGIN
	IF keep_days IS NULL OR keep_days < 1 THEN
		RAISE EXCEPTION 'keep_days must be at least 1' USING ERRCODE = '22023';
	END IF;
	cutoff := now() - make_interval(days => keep_days);
	-- Roll up the days about to lose their actions first, so stats survive.
	SELECT min(coalesce(sent_at, updated_at)) INTO oldest FROM @extschema@.action
	 WHERE state IN ('sent', 'failed', 'cancelled') AND updated_at < cutoff;
	IF oldest IS NOT NULL THEN
		PERFORM @extschema@.stats_rollup((oldest AT TIME ZONE 'UTC')::date);
	END IF;
	DELETE FROM @extschema@.action
	 WHERE state IN ('sent', 'failed', 'cancelled') AND updated_at < cutoff;
	GET DIAGNOSTICS n_actions = ROW_COUNT;
	DELETE FROM @extschema@.event WHERE created_at < cutoff;
	GET DIAGNOSTICS n_events = ROW_COUNT;
	RETURN jsonb_build_object('actions', n_actions, 'events', n_events, 'cutoff', cutoff);
END
$$;
COMMENT ON FUNCTION @extschema@.purge_old(integer) IS
'Retention: deletes finished actions (sent, failed, cancelled) and events older than keep_days, after rolling their days up into campaign_daily_stats.  Queued and in-flight actions are never removed.';

CREATE FUNCTION @extschema@.schedule_maintenance(keep_days integer DEFAULT 90) RETURNS jsonb
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	jobs jsonb := '[]';
	j record;
BEGIN
	IF keep_days IS NULL OR keep_days < 1 THEN
		RAISE EXCEPTION 'keep_days must be at least 1' USING ERRCODE = '22023';
	END IF;
	IF to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		RAISE NOTICE 'pg_cron is not installed in this database; no maintenance job scheduled'
			USING HINT = 'Install pg_cron (shared_preload_libraries, cron.database_name) and CREATE EXTENSION pg_cron, or run campaigns.purge_old() and campaigns.stats_rollup() yourself.';
		RETURN jobs;
	END IF;
	FOR j IN
		SELECT * FROM (VALUES
			('campaigns-retention', '17 3 * * *', format('SELECT @extschema@.purge_old(%s)', keep_days)),
			('campaigns-stats-rollup', '*/15 * * * *', 'SELECT @extschema@.stats_rollup()')) v(name, sched, cmd)
	LOOP
		-- cron.schedule with a job name replaces a job of that name.
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' USING j.name, j.sched, j.cmd;
		jobs := jobs || jsonb_build_object('jobname', j.name, 'schedule', j.sched, 'command', j.cmd);
	END LOOP;
	RETURN jobs;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_maintenance(integer) IS
'Registers the maintenance jobs with pg_cron when it is installed: daily retention (purge_old(keep_days)) and a stats roll-up every 15 minutes; re-running replaces them.  Without pg_cron it does nothing, says so in a notice, and returns [].';

-- Worker housekeeping --------------------------------------------------------------

CREATE FUNCTION @extschema@._dispatch_next_due() RETURNS timestamptz
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	-- (plpgsql, so that the worker's session plans the query once: a SQL
	-- function with SET is not inlined and was planned on every call.)
	-- The plan is made once per session, maybe while the queue is empty or
	-- just truncated, and then kept: only the walk of action_claim in
	-- order, stopping at the first live row, stays cheap at every size (a
	-- sort of the queue cost 2.3 ms per call at 5,000 rows).
	SET enable_seqscan = off
	SET enable_bitmapscan = off
	SET enable_sort = off
	SET enable_hashjoin = off
	SET enable_mergejoin = off
	SET jit = off
	AS $$
BEGIN
	RETURN (SELECT a.next_attempt_at
			  FROM @extschema@.action a
			  JOIN @extschema@.campaign c ON c.campaign_id = a.campaign_id
			  JOIN @extschema@.campaign_lead cl ON cl.campaign_lead_id = a.campaign_lead_id
			 WHERE a.state IN ('queued', 'in_flight')
			   AND c.status = 'active'
			   AND cl.status IN ('pending', 'active')
			 ORDER BY a.next_attempt_at
			 LIMIT 1);
END
$$;
COMMENT ON FUNCTION @extschema@._dispatch_next_due() IS
'When the next claimable action falls due (queued, or in flight until its lease ends): the worker sleeps until then.';

CREATE FUNCTION @extschema@._dispatch_release() RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	n integer;
	touched uuid[];
BEGIN
	-- In flight past its lease, and no longer sendable: the worker that
	-- claimed it died.  It is cancelled like the queued actions of a paused
	-- campaign or a stopped lead (a resume queues it again, same key).
	WITH rel AS (
		UPDATE @extschema@.action a
		   SET state = 'cancelled',
			   lease_until = NULL,
			   next_attempt_at = now(),
			   updated_at = now()
		  FROM @extschema@.campaign c, @extschema@.campaign_lead cl
		 WHERE a.state = 'in_flight' AND a.next_attempt_at <= now()
		   AND c.campaign_id = a.campaign_id AND cl.campaign_lead_id = a.campaign_lead_id
		   AND (c.status <> 'active' OR cl.status NOT IN ('pending', 'active'))
		RETURNING a.campaign_id
	)
	SELECT count(*), array_agg(DISTINCT campaign_id) INTO n, touched FROM rel;
	IF n > 0 THEN
		UPDATE @extschema@.campaign c
		   SET status = 'paused', updated_at = now()
		 WHERE c.campaign_id = ANY (touched)
		   AND c.status = 'draining'
		   AND NOT EXISTS (SELECT 1 FROM @extschema@.action a
							WHERE a.campaign_id = c.campaign_id AND a.state = 'in_flight');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._dispatch_release() IS
'Cancels actions whose lease expired while their campaign is not active or their lead stopped (as pausing cancels queued actions), and moves draining campaigns with nothing left in flight to paused.  The worker calls it once a second.';

-- schema/70_http.sql
-- HTTP surface (SPEC §8): the whole HTTP contract lives here, so that the
-- gateway (gateway/campaigns-gateway) only moves bytes and pg_regress can
-- test every route, header and status without a socket.
--
--   http_route          one row per (method, path): the router and the OpenAPI
--                       document both read it, so they cannot disagree
--   http_rate_window    per-key, per-minute request counters (unlogged), for
--                       keys the shared-memory counters (src/http_rate.c) cannot hold
--   http_rate_usage     both sets of counters, for operators
--   _http_error         SQLSTATE -> HTTP status and body
--   _http_openapi       the OpenAPI 3 document of http_route
--   http_handle         (method, path, query, headers, body) -> (status, headers, body),
--                       in C (src/http_handle.c)
--
-- http_handle is SECURITY DEFINER owned by campaigns_user (not a superuser),
-- so the API functions it calls run under row-level security as that role,
-- for the user the API key belongs to and for no other.

CREATE TABLE @extschema@.http_route (
	operation_id text PRIMARY KEY,
	method		text NOT NULL CHECK (method IN ('GET', 'POST', 'PATCH', 'DELETE')),
	path		text NOT NULL CHECK (path ~ '^/'),
	segs		text[] NOT NULL GENERATED ALWAYS AS (string_to_array(btrim(path, '/'), '/')) STORED,
	-- The path with each {parameter} as {}: what http_handle looks up.
	shape		text NOT NULL GENERATED ALWAYS AS (regexp_replace(btrim(path, '/'), '\{[a-z_]+\}', '{}', 'g')) STORED
		-- http_handle takes path parameters from the 2nd and 4th segments only
		CHECK (shape ~ '^[^/{}]+(/\{\}(/[^/{}]+(/\{\}(/[^/{}]+)*)?)?)?(/[^/{}]+)*$'),
	auth		boolean NOT NULL DEFAULT true,
	body		text CHECK (body IN ('json', 'json_or_csv')),
	query_params jsonb NOT NULL DEFAULT '[]',
	success_status integer NOT NULL,
	response	text NOT NULL CHECK (response IN ('object', 'array', 'none')),
	total_count	boolean NOT NULL DEFAULT false,
	tag			text NOT NULL,
	summary		text NOT NULL,
	UNIQUE (method, path),
	UNIQUE (shape, method)
);
COMMENT ON TABLE @extschema@.http_route IS
'The routes of the HTTP surface under /api/v1 ({name} segments are uuid path parameters, and no literal segment is a uuid): http_handle routes by it and _http_openapi documents it.';

-- Query parameters, as OpenAPI parameter objects (without "in").
CREATE FUNCTION @extschema@._http_page_params() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT '[{"name": "offset", "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "Rows to skip."},
			 {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, "description": "Rows to return."}]'::jsonb
$$;
COMMENT ON FUNCTION @extschema@._http_page_params() IS 'The offset and limit query parameters of every paged list.';

INSERT INTO @extschema@.http_route
	(operation_id, method, path, auth, body, query_params, success_status, response, total_count, tag, summary)
VALUES
	('openapi', 'GET', '/openapi.json', false, NULL, '[]', 200, 'object', false, 'meta', 'This OpenAPI 3 document (no key needed).'),
	('auth_me', 'GET', '/auth/me', true, NULL, '[]', 200, 'object', false, 'meta', 'Who the API key belongs to.'),
	('campaign_create', 'POST', '/campaigns/', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Create a campaign (status draft).'),
	('campaign_list', 'GET', '/campaigns/', true, NULL,
		@extschema@._http_page_params() || '[{"name": "status", "schema": {"type": "string", "enum": ["draft", "launching", "scheduled", "active", "draining", "paused", "completed", "failed"]}, "description": "Only campaigns in this status."},
											 {"name": "name", "schema": {"type": "string"}, "description": "Case-insensitive substring of the name."}]',
		200, 'array', true, 'campaigns', 'List campaigns, newest first.'),
	('campaign_get', 'GET', '/campaigns/{campaign_id}', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Read a campaign.'),
	('campaign_update', 'PATCH', '/campaigns/{campaign_id}', true, 'json', '[]', 200, 'object', false, 'campaigns', 'Partly update a campaign (omitted = unchanged, null = cleared).'),
	('campaign_delete', 'DELETE', '/campaigns/{campaign_id}', true, NULL, '[]', 204, 'none', false, 'campaigns', 'Delete a campaign (draft, paused, completed or failed).'),
	('campaign_launch', 'POST', '/campaigns/{campaign_id}/launch', true, NULL, '[]', 202, 'object', false, 'campaigns', 'Launch a draft campaign.'),
	('campaign_pause', 'POST', '/campaigns/{campaign_id}/pause', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Pause a campaign.'),
	('campaign_resume', 'POST', '/campaigns/{campaign_id}/resume', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Resume a paused campaign.'),
	('campaign_stop', 'POST', '/campaigns/{campaign_id}/stop', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Stop a paused campaign (completed).'),
	('campaign_unschedule', 'POST', '/campaigns/{campaign_id}/unschedule', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a scheduled campaign to draft.'),
	('campaign_reset', 'POST', '/campaigns/{campaign_id}/reset', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Return a failed campaign to draft.'),
	('campaign_playground_review', 'POST', '/campaigns/{campaign_id}/playground/review', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Record that the AI drafts were reviewed.'),
	('campaign_stats', 'GET', '/campaigns/{campaign_id}/stats', true, NULL, '[]', 200, 'object', false, 'campaigns', 'Counts by status, step and variant.'),
	('campaign_forecast', 'GET', '/campaigns/{campaign_id}/forecast', true, NULL,
		'[{"name": "days", "schema": {"type": "integer", "minimum": 1, "maximum": 90, "default": 14}, "description": "Days to plan."}]',
		200, 'object', false, 'campaigns', 'Planned sends per local day and the next send time.'),
	('campaign_leads', 'GET', '/campaigns/{campaign_id}/leads', true, NULL,
		@extschema@._http_page_params() || '[{"name": "status", "schema": {"type": "string", "enum": ["pending", "active", "completed", "stopped", "failed"]}, "description": "Only leads in this status."}]',
		200, 'array', true, 'campaigns', 'Leads enrolled in a campaign.'),
	('lead_events', 'GET', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, NULL, '[]', 200, 'array', false, 'campaigns', 'A lead''s timeline.'),
	('lead_event_record', 'POST', '/campaigns/{campaign_id}/leads/{campaign_lead_id}/events', true, 'json', '[]', 201, 'object', false, 'campaigns', 'Record an event of a lead (replied, bounced...).'),
	('dataset_create', 'POST', '/datasets/', true, 'json', '[]', 201, 'object', false, 'datasets', 'Create a dataset, optionally with leads.'),
	('dataset_list', 'GET', '/datasets/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'datasets', 'List datasets, newest first.'),
	('dataset_get', 'GET', '/datasets/{dataset_id}', true, NULL, '[]', 200, 'object', false, 'datasets', 'Read a dataset.'),
	('dataset_delete', 'DELETE', '/datasets/{dataset_id}', true, NULL, '[]', 204, 'none', false, 'datasets', 'Delete a dataset and its leads.'),
	('dataset_add_leads', 'POST', '/datasets/{dataset_id}/leads', true, 'json_or_csv', '[]', 200, 'object', false, 'datasets', 'Add leads: a JSON array of lead objects, or text/csv with a header row.'),
	('dataset_leads', 'GET', '/datasets/{dataset_id}/leads', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'datasets', 'A dataset''s leads, oldest first.'),
	('template_create', 'POST', '/templates/', true, 'json', '[]', 201, 'object', false, 'templates', 'Create a template.'),
	('template_list', 'GET', '/templates/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'templates', 'List templates, newest first.'),
	('template_get', 'GET', '/templates/{template_id}', true, NULL, '[]', 200, 'object', false, 'templates', 'Read a template.'),
	('template_update', 'PATCH', '/templates/{template_id}', true, 'json', '[]', 200, 'object', false, 'templates', 'Partly update a template.'),
	('template_delete', 'DELETE', '/templates/{template_id}', true, NULL, '[]', 204, 'none', false, 'templates', 'Delete a template.'),
	('sender_profile_create', 'POST', '/sender-profiles/', true, 'json', '[]', 201, 'object', false, 'sender-profiles', 'Create a sender profile (at most 5).'),
	('sender_profile_list', 'GET', '/sender-profiles/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'sender-profiles', 'List sender profiles.'),
	('sender_profile_get', 'GET', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 200, 'object', false, 'sender-profiles', 'Read a sender profile.'),
	('sender_profile_update', 'PATCH', '/sender-profiles/{sender_profile_id}', true, 'json', '[]', 200, 'object', false, 'sender-profiles', 'Partly update a sender profile.'),
	('sender_profile_delete', 'DELETE', '/sender-profiles/{sender_profile_id}', true, NULL, '[]', 204, 'none', false, 'sender-profiles', 'Delete a sender profile.'),
	('alias_create', 'POST', '/aliases/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create an email alias (a sending mailbox).'),
	('alias_list', 'GET', '/aliases/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'identities', 'List email aliases.'),
	('connected_account_create', 'POST', '/connected-accounts/', true, 'json', '[]', 201, 'object', false, 'identities', 'Create a connected LinkedIn account.'),
	('connected_account_list', 'GET', '/connected-accounts/', true, NULL, @extschema@._http_page_params(), 200, 'array', true, 'identities', 'List connected accounts.');

-- Not tenant data: every user may read every route (RLS on, like every table).
ALTER TABLE @extschema@.http_route ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON @extschema@.http_route FOR SELECT USING (true);
GRANT SELECT ON @extschema@.http_route TO campaigns_user;

-- Rate limiting: fixed one-minute windows per API key.  When the library is
-- preloaded, http_handle counts in shared memory (campaigns.http_rate_slots
-- keys at once); otherwise, or for a key that finds no free slot, it counts
-- here.  Each backend counts in its own row (backend = pg_backend_pid()), so
-- concurrent requests on one key never wait on each other's row lock; the
-- count of a window is the sum of its rows.  Unlogged: counters are not
-- worth a WAL flush per GET, and a crash only forgets the current minute.
CREATE UNLOGGED TABLE @extschema@.http_rate_window (
	api_key_id	uuid NOT NULL,
	window_start timestamptz NOT NULL,
	backend		integer NOT NULL,
	hits		integer NOT NULL,
	PRIMARY KEY (api_key_id, window_start, backend)
);
ALTER TABLE @extschema@.http_rate_window ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE @extschema@.http_rate_window IS
'Requests per API key per minute that the shared counters could not hold, one row per backend (no grants: only http_handle, as the owner of api_key, touches it).';

CREATE FUNCTION @extschema@._http_rate_shared(OUT api_key_id uuid, OUT window_start timestamptz, OUT hits integer)
RETURNS SETOF record
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'http_rate_shared';
COMMENT ON FUNCTION @extschema@._http_rate_shared() IS
'This database''s request counters in shared memory (none when the library is not preloaded).';
REVOKE EXECUTE ON FUNCTION @extschema@._http_rate_shared() FROM PUBLIC;

-- http_rate_usage() shows every key's counted requests per window, from
-- shared memory and from the table (for operators; superuser only).
CREATE FUNCTION @extschema@.http_rate_usage(OUT api_key_id uuid, OUT window_start timestamptz,
	OUT hits integer, OUT store text)
RETURNS SETOF record
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.api_key_id, s.window_start, s.hits, 'shared_memory' FROM @extschema@._http_rate_shared() s
	UNION ALL
	SELECT w.api_key_id, w.window_start, sum(w.hits)::integer, 'table' FROM @extschema@.http_rate_window w
	 GROUP BY w.api_key_id, w.window_start
$$;
COMMENT ON FUNCTION @extschema@.http_rate_usage() IS
'Requests counted per API key and one-minute window, and where they are counted (shared_memory or table).';
REVOKE EXECUTE ON FUNCTION @extschema@.http_rate_usage() FROM PUBLIC;

-- The X-Total-Count of the two routes whose list function has no count
-- function of its own: the rows campaign_leads / dataset_leads page through.
CREATE FUNCTION @extschema@._campaign_leads_count(campaign_id uuid, filters jsonb) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT count(*) FROM @extschema@.campaign_lead cl
	 WHERE cl.campaign_id = $1 AND cl.user_id = @extschema@.current_user_id()
	   AND ($2 ->> 'status' IS NULL OR cl.status = $2 ->> 'status')
$$;
COMMENT ON FUNCTION @extschema@._campaign_leads_count(uuid, jsonb) IS
'How many leads of a campaign (of the current user) campaign_leads pages through.';
CREATE FUNCTION @extschema@._dataset_leads_count(dataset_id uuid, filters jsonb) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT count(*) FROM @extschema@.lead l
	 WHERE l.dataset_id = $1 AND l.user_id = @extschema@.current_user_id()
$$;
COMMENT ON FUNCTION @extschema@._dataset_leads_count(uuid, jsonb) IS
'How many leads of a dataset (of the current user) dataset_leads pages through.';

-- http_handle caches what api_key says about each token it has seen, per
-- backend.  Any change that matters (a key created, revoked, deleted, its
-- limit or owner changed) fires this trigger, which invalidates every
-- backend's cache when the change commits: a revoked key is refused from
-- the next request on.  (last_used_at, which http_handle itself writes, does
-- not fire it.)
CREATE FUNCTION @extschema@._api_key_changed() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'api_key_changed';
COMMENT ON FUNCTION @extschema@._api_key_changed() IS
'Statement trigger of api_key: makes every backend''s http_handle key cache stale at commit.';
CREATE TRIGGER api_key_changed
	AFTER INSERT OR DELETE OR TRUNCATE
	   OR UPDATE OF api_key_id, user_id, name, token_hash, token_prefix, rate_limit_per_minute, revoked_at
	ON @extschema@.api_key
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._api_key_changed();

-- _http_url_decode(s, plus_is_space) undoes percent-encoding (and, in a
-- query string, '+' for space).  A '%' not followed by two hex digits stays
-- as it is; bytes that do not form UTF-8 raise SQLSTATE 22021.  (PL/pgSQL,
-- not SQL: its plans are cached, a SQL function's body is parsed per call.)
CREATE FUNCTION @extschema@._http_url_decode(s text, plus_is_space boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF plus_is_space THEN
		s := replace(s, '+', ' ');
	END IF;
	IF strpos(s, '%') = 0 THEN
		RETURN s;
	END IF;
	RETURN (SELECT convert_from(string_agg(
				CASE WHEN t.m[1] ~ '^%[0-9A-Fa-f]{2}$' THEN decode(substr(t.m[1], 2), 'hex')
					 ELSE convert_to(t.m[1], 'UTF8') END, ''::bytea ORDER BY t.o), 'UTF8')
			  FROM regexp_matches(s, '%[0-9A-Fa-f]{2}|[^%]+|%', 'g') WITH ORDINALITY AS t(m, o));
END
$$;
COMMENT ON FUNCTION @extschema@._http_url_decode(text, boolean) IS
'Percent-decodes a path segment or (plus_is_space) a query-string component.';

-- _http_query(query) parses a query string into an object of strings; a
-- parameter given twice keeps its last value, one without "=" is "".
CREATE FUNCTION @extschema@._http_query(query text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kv text;
	r jsonb := '{}';
BEGIN
	IF left(query, 1) = '?' THEN
		query := substr(query, 2);
	END IF;
	IF query IS NULL OR query = '' THEN
		RETURN r;
	END IF;
	FOREACH kv IN ARRAY string_to_array(query, '&') LOOP
		CONTINUE WHEN kv = '';
		IF strpos(kv, '=') = 0 THEN
			r := r || jsonb_build_object(@extschema@._http_url_decode(kv, true), '');
		ELSE
			r := r || jsonb_build_object(@extschema@._http_url_decode(split_part(kv, '=', 1), true),
										 @extschema@._http_url_decode(substr(kv, strpos(kv, '=') + 1), true));
		END IF;
	END LOOP;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@._http_query(text) IS
'Parses a URL query string (without "?") into a JSON object of decoded strings.';

-- _http_error(sqlstate, message, detail, context) maps an error of the SQL
-- API to an HTTP status and body.  Only the messages the API raises on
-- purpose (404, 409, 413 and validation) reach the client; anything else is
-- a bare 500.  A 22023 without a JSON array detail shows its message only
-- when a RAISE wrote it (context "... at RAISE"): PostgreSQL's own 22023
-- messages (jsonb operators on the wrong type...) are internal text.
CREATE FUNCTION @extschema@._http_error(sqlstate text, message text, detail text, context text DEFAULT NULL,
	OUT status integer, OUT body jsonb)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d jsonb;
BEGIN
	IF sqlstate = '22023' THEN
		status := 422;
		BEGIN
			d := detail::jsonb;
		EXCEPTION WHEN others THEN
			d := NULL;
		END;
		IF d IS NULL OR jsonb_typeof(d) <> 'array' OR jsonb_array_length(d) = 0 THEN
			d := jsonb_build_array(jsonb_build_object('loc', '["body"]'::jsonb,
				'msg', CASE WHEN split_part(context, E'\n', 1) LIKE '% at RAISE' THEN coalesce(nullif(message, ''), 'Invalid value')
							ELSE 'Invalid value' END,
				'type', 'value_error'));
		END IF;
		body := jsonb_build_object('detail', d);
	ELSIF sqlstate = 'P0002' THEN
		status := 404;
		body := jsonb_build_object('detail', 'NOT_FOUND', 'message', coalesce(nullif(message, ''), 'not found'));
	ELSIF sqlstate = '55000' THEN
		status := 409;
		body := jsonb_build_object('detail', 'CONFLICT', 'message', coalesce(nullif(message, ''), 'conflict'));
	ELSIF sqlstate = '23505' THEN
		status := 409;
		body := jsonb_build_object('detail', 'CONFLICT', 'message', 'an object with this key already exists');
	ELSIF sqlstate = '28000' THEN
		status := 401;
		body := jsonb_build_object('detail', 'UNAUTHORIZED', 'message', 'missing or invalid API key');
	ELSIF sqlstate = '54000' THEN
		status := 413;
		body := jsonb_build_object('detail', 'PAYLOAD_TOO_LARGE', 'message', coalesce(nullif(message, ''), 'request too large'));
	ELSIF sqlstate IN ('40001', '40P01', '55P03', '57014', '53300') THEN
		-- Serialization failure, deadlock, lock or statement timeout, too
		-- many connections: worth retrying.
		status := 503;
		body := jsonb_build_object('detail', 'SERVICE_UNAVAILABLE', 'message', 'try again');
	ELSIF sqlstate LIKE '22%' OR sqlstate IN ('23502', '23503', '23514') THEN
		-- Data the API did not validate itself: say which kind, not the text.
		status := 422;
		body := jsonb_build_object('detail', jsonb_build_array(jsonb_build_object(
			'loc', '["body"]'::jsonb, 'msg', 'Invalid value', 'type', 'value_error')));
	ELSE
		status := 500;
		body := jsonb_build_object('detail', 'INTERNAL_ERROR', 'message', 'internal error');
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._http_error(text, text, text, text) IS
'Maps an SQLSTATE (and the API''s message and detail) to an HTTP status and body; never returns internal text for a 500.';

-- _http_openapi() builds the OpenAPI 3 document from http_route.
CREATE FUNCTION @extschema@._http_openapi() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH op AS (
		SELECT r.path, lower(r.method) AS m, jsonb_strip_nulls(jsonb_build_object(
			'operationId', r.operation_id,
			'summary', r.summary,
			'tags', jsonb_build_array(r.tag),
			'security', CASE WHEN NOT r.auth THEN '[]'::jsonb END,
			'parameters', (SELECT coalesce(jsonb_agg(p ORDER BY o), '[]') FROM (
				SELECT jsonb_build_object('name', btrim(s, '{}'), 'in', 'path', 'required', true,
										  'schema', '{"type": "string", "format": "uuid"}'::jsonb) AS p, o
				  FROM unnest(r.segs) WITH ORDINALITY AS u(s, o) WHERE s LIKE '{%}'
				UNION ALL
				SELECT q || '{"in": "query", "required": false}', 100 + o
				  FROM jsonb_array_elements(r.query_params) WITH ORDINALITY AS e(q, o)) ps),
			'requestBody', CASE r.body
				WHEN 'json' THEN '{"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}'::jsonb
				WHEN 'json_or_csv' THEN '{"required": true, "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}, "text/csv": {"schema": {"type": "string"}}}}'::jsonb
				END,
			'responses', jsonb_build_object(r.success_status::text, jsonb_strip_nulls(jsonb_build_object(
					'description', CASE r.success_status WHEN 201 THEN 'Created' WHEN 202 THEN 'Accepted'
														  WHEN 204 THEN 'No Content' ELSE 'OK' END,
					'headers', CASE WHEN r.total_count THEN
						'{"X-Total-Count": {"description": "Rows matching the filters, ignoring offset and limit.", "schema": {"type": "integer"}}}'::jsonb END,
					'content', CASE r.response
						WHEN 'object' THEN '{"application/json": {"schema": {"type": "object"}}}'::jsonb
						WHEN 'array' THEN '{"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}'::jsonb
						END)))
				|| CASE WHEN r.auth THEN '{"401": {"$ref": "#/components/responses/Unauthorized"},
										  "429": {"$ref": "#/components/responses/RateLimited"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.segs::text LIKE '%{%' THEN '{"404": {"$ref": "#/components/responses/NotFound"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.body IS NOT NULL THEN '{"413": {"$ref": "#/components/responses/PayloadTooLarge"},
													 "415": {"$ref": "#/components/responses/UnsupportedMediaType"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.body IS NOT NULL OR r.query_params <> '[]' THEN
						'{"422": {"$ref": "#/components/responses/ValidationError"}}'::jsonb ELSE '{}' END
				|| CASE WHEN r.method IN ('PATCH', 'DELETE') OR r.path ~ '/(launch|pause|resume|stop|unschedule|reset)$' THEN
						'{"409": {"$ref": "#/components/responses/Conflict"}}'::jsonb ELSE '{}' END
		)) AS o
		  FROM @extschema@.http_route r
	)
	SELECT jsonb_build_object(
		'openapi', '3.0.3',
		'info', jsonb_build_object('title', 'campaigns', 'version',
			(SELECT e.extversion FROM pg_extension e WHERE e.extname = 'campaigns'),
			'description', 'Multi-step outreach campaigns, served from PostgreSQL.'),
		'security', '[{"bearerAuth": []}]'::jsonb,
		'paths', (SELECT jsonb_object_agg('/api/v1' || path, ops) FROM (
					SELECT path, jsonb_object_agg(m, o) AS ops FROM op GROUP BY path) g),
		'components', '{
			"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key: cmp_live_..."}},
			"schemas": {
				"Error": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}, "message": {"type": "string"}}},
				"ValidationError": {"type": "object", "required": ["loc", "msg", "type"], "properties": {
					"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
					"msg": {"type": "string"}, "type": {"type": "string"}}},
				"HTTPValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}}},
			"headers": {
				"X-RateLimit-Limit": {"description": "Requests allowed per minute for this key.", "schema": {"type": "integer"}},
				"X-RateLimit-Remaining": {"description": "Requests left in the current minute.", "schema": {"type": "integer"}},
				"X-RateLimit-Reset": {"description": "Seconds until the current window ends.", "schema": {"type": "integer"}},
				"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
			"responses": {
				"Unauthorized": {"description": "Missing, unknown or revoked API key.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"NotFound": {"description": "No such object (or another user''s).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"Conflict": {"description": "The change is refused in the object''s current status.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"PayloadTooLarge": {"description": "The body exceeds the size limit.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"UnsupportedMediaType": {"description": "The body is not JSON (or CSV where allowed).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
				"ValidationError": {"description": "Validation error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
				"RateLimited": {"description": "Too many requests for this key.", "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}, "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"}, "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
		}'::jsonb)
$$;
COMMENT ON FUNCTION @extschema@._http_openapi() IS 'The OpenAPI 3 document of the HTTP surface, generated from http_route.';

-- _http_json_error_pos(body, context, detail) guesses the character offset of
-- a JSON syntax error from the CONTEXT line PostgreSQL reports ("JSON data,
-- line N: <text up to the bad token>"), for FastAPI's ["body", pos] loc.
CREATE FUNCTION @extschema@._http_json_error_pos(body text, context text, detail text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m text[];
	line integer;
	frag text;
	tok text;
	line_start integer := 0;
	i integer;
	pos integer;
BEGIN
	IF detail LIKE 'The input string ended unexpectedly%' THEN
		RETURN char_length(body);
	END IF;
	m := regexp_match(context, 'JSON data, line ([0-9]+): ([^\n]*)');
	IF m IS NULL THEN
		RETURN 0;
	END IF;
	line := m[1]::integer;
	frag := m[2];
	IF frag LIKE '...%' THEN
		frag := substr(frag, 4);
	END IF;
	IF frag LIKE '%...' THEN
		frag := left(frag, -3);
	END IF;
	FOR i IN 2..line LOOP
		line_start := strpos(substr(body, line_start + 1), E'\n') + line_start;
	END LOOP;
	-- 'Token "x" is invalid.', 'Expected ..., but found "x".'
	tok := (regexp_match(detail, '"(.*)"( is invalid)?\.$', 's'))[1];
	-- The fragment ends where the bad token ends, within its line.
	pos := strpos(substr(body, line_start + 1), frag);
	IF pos = 0 THEN
		RETURN 0;
	END IF;
	pos := line_start + pos - 1 + char_length(frag) - coalesce(char_length(tok), 0);
	RETURN greatest(pos, 0);
END
$$;
COMMENT ON FUNCTION @extschema@._http_json_error_pos(text, text, text) IS
'The character offset of a JSON syntax error, from PostgreSQL''s error context (best effort, 0 when unknown).';

-- http_handle is the whole HTTP surface: the gateway passes each request
-- here and writes back what it returns (src/http_handle.c).  Every error of
-- the API becomes a status and a JSON body; the routing and authentication
-- before it raise nothing a request can cause (the gateway answers 500 for
-- an error that escapes anyway).  Only a key names the user: the identity
-- GUCs are set from it, transaction-locally, before any API function runs.
CREATE FUNCTION @extschema@.http_handle(method text, path text, query text, req_headers jsonb, req_body text,
	OUT status integer, OUT headers jsonb, OUT body text)
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'http_handle';
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) IS
'The HTTP surface of SPEC §8: routes a request (method, raw path, raw query string, headers, body) and returns its status, headers and body; authenticates Bearer API keys, applies rate limits and maps every error.';
ALTER FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) OWNER TO campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) TO campaigns_gateway;
GRANT USAGE ON SCHEMA @extschema@ TO campaigns_gateway;

-- schema/90_grants.sql
-- Privileges.  campaigns_user may call the SQL API (SECURITY INVOKER: row
-- level security applies); administrative and worker functions stay with
-- the extension owner; PUBLIC gets nothing, so the gateway's role can run
-- http_handle and nothing else.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ TO campaigns_user;
DO $grants$
DECLARE
	f regprocedure;
BEGIN
	-- Administrative and worker-only functions.
	FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
			  WHERE p.pronamespace = '@extschema@'::regnamespace
				AND p.proname IN ('api_key_create', 'api_key_revoke', '_api_key_token', 'tick',
								  'action_record_outcome', 'action_record_outcomes', '_tick', '_queue_due', '_queue_pass', '_start_scheduled',
								  'schedule_maintenance', 'http_rate_usage', '_http_rate_shared')
	LOOP
		EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM campaigns_user', f);
	END LOOP;
END
$grants$;

-- schema/91_dispatch_grants.sql
-- Worker-only and administrative functions of dispatch (60_dispatch.sql):
-- 90_grants.sql gives campaigns_user every function; these stay with the
-- extension owner (the worker runs as a superuser).
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_claim(integer, integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_release() FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_next_due() FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.purge_old(integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.stats_rollup(date) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.schedule_maintenance(integer) FROM campaigns_user;
