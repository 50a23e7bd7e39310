-- Tables (SPEC §3).  Every row carries user_id; row-level security
-- (35_rls.sql) keeps each user to their own rows, and every API query also
-- filters on user_id explicitly so a superuser caller gets the same answers.
-- Keys that a client names are unique per user, so a conflict never reveals
-- another user's object.
--
-- References stay inside a tenant (SPEC §10): every table another row
-- refers to has a key (user_id, <id>), and every reference is a foreign key
-- (user_id, x_id) onto it, so a row can only refer to a row of its own user,
-- and naming another user's id fails exactly as a missing id does.  (These
-- are also the keys that distributing the tables by user_id needs, §9.)

CREATE TABLE IF NOT EXISTS @extschema@.api_key (
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
CREATE INDEX IF NOT EXISTS api_key_user_id_idx ON @extschema@.api_key (user_id);
COMMENT ON TABLE @extschema@.api_key IS
'API keys: only the SHA-256 of each token is stored; a revoked key authenticates nothing.';

CREATE TABLE IF NOT EXISTS @extschema@.dataset (
	dataset_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	name		text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
	lead_count	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT dataset_user_id_dataset_id_key UNIQUE (user_id, dataset_id)
);
CREATE INDEX IF NOT EXISTS dataset_user_id_created_at_idx ON @extschema@.dataset (user_id, created_at DESC);
COMMENT ON TABLE @extschema@.dataset IS 'A list of leads; a campaign sends to one dataset.';

CREATE TABLE IF NOT EXISTS @extschema@.lead (
	lead_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	dataset_id	uuid NOT NULL,
	email		text,
	linkedin_url text,
	first_name	text,
	last_name	text,
	company		text,
	title		text,
	timezone	text,
	fields		jsonb NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT lead_user_id_lead_id_key UNIQUE (user_id, lead_id),
	CONSTRAINT lead_user_id_dataset_id_fkey FOREIGN KEY (user_id, dataset_id)
		REFERENCES @extschema@.dataset (user_id, dataset_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS lead_dataset_email_key ON @extschema@.lead (dataset_id, lower(email));
CREATE INDEX IF NOT EXISTS lead_dataset_id_lead_id_idx ON @extschema@.lead (dataset_id, lead_id);
COMMENT ON TABLE @extschema@.lead IS
'A person to reach.  Emails are unique per dataset, case-insensitively: a duplicate is merged into the existing lead.';

CREATE TABLE IF NOT EXISTS @extschema@.template (
	template_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	name		text NOT NULL,
	channel		text NOT NULL CHECK (channel IN ('email', 'linkedin')),
	subject		text,
	body		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS template_user_id_created_at_idx ON @extschema@.template (user_id, created_at DESC);
COMMENT ON TABLE @extschema@.template IS
'Message templates with {{field}} and {{field|fallback}} merge fields.';

CREATE TABLE IF NOT EXISTS @extschema@.sender_profile (
	sender_profile_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	profile_name text NOT NULL,
	sender_data	jsonb NOT NULL DEFAULT '{}',
	description	text,
	is_default	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sender_profile_user_id_created_at_idx ON @extschema@.sender_profile (user_id, created_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS sender_profile_one_default ON @extschema@.sender_profile (user_id) WHERE is_default;
COMMENT ON TABLE @extschema@.sender_profile IS
'Who a message speaks as; sender_data may hold custom_prompt.  At most 5 per user.';

CREATE TABLE IF NOT EXISTS @extschema@.email_alias (
	user_id		uuid NOT NULL,
	alias_id	text NOT NULL,
	full_email	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, alias_id)
);
COMMENT ON TABLE @extschema@.email_alias IS 'Sending mailboxes, named by alias_ids of a campaign.';

CREATE TABLE IF NOT EXISTS @extschema@.connected_account (
	connected_account_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	provider	text NOT NULL DEFAULT 'linkedin' CHECK (provider = 'linkedin'),
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT connected_account_user_id_connected_account_id_key UNIQUE (user_id, connected_account_id)
);
CREATE INDEX IF NOT EXISTS connected_account_user_id_idx ON @extschema@.connected_account (user_id);
COMMENT ON TABLE @extschema@.connected_account IS 'LinkedIn accounts, named by connected_account_id of a campaign.';

CREATE TABLE IF NOT EXISTS @extschema@.delivery_endpoint (
	user_id		uuid NOT NULL,
	channel		text NOT NULL CHECK (channel IN ('email', 'linkedin')),
	url			text NOT NULL,
	auth_header	bytea,
	PRIMARY KEY (user_id, channel),
	delivery_endpoint_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.delivery_endpoint IS
'Per-user delivery service of a channel (managed with delivery_endpoint_create and the other delivery_endpoint_* functions); without a row the GUC campaigns.<channel>_endpoint applies.';
COMMENT ON COLUMN @extschema@.delivery_endpoint.auth_header IS
'The auth header, encrypted (src/secrets.c) for (user_id, delivery_endpoint_id): only the worker decrypts it.';

CREATE TABLE IF NOT EXISTS @extschema@.campaign (
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
	-- Deliverability (SPEC §11, docs/deliverability.md).
	stop_on_reply text NOT NULL DEFAULT 'lead' CHECK (stop_on_reply IN ('lead', 'company', 'all_campaigns')),
	max_bounce_rate integer NOT NULL DEFAULT 5 CHECK (max_bounce_rate BETWEEN 0 AND 100),
	bounce_window integer NOT NULL DEFAULT 100 CHECK (bounce_window BETWEEN 20 AND 10000),
	CHECK (status IN ('draft', 'launching', 'scheduled', 'active', 'draining', 'paused', 'completed', 'failed')),
	CONSTRAINT campaign_user_id_campaign_id_key UNIQUE (user_id, campaign_id),
	-- a dataset in use cannot go away (dataset_delete says so first, 55000)
	CONSTRAINT campaign_user_id_dataset_id_fkey FOREIGN KEY (user_id, dataset_id)
		REFERENCES @extschema@.dataset (user_id, dataset_id),
	CONSTRAINT campaign_user_id_connected_account_id_fkey FOREIGN KEY (user_id, connected_account_id)
		REFERENCES @extschema@.connected_account (user_id, connected_account_id)
);
ALTER TABLE @extschema@.campaign ALTER COLUMN steps_config SET COMPRESSION lz4;
CREATE INDEX IF NOT EXISTS campaign_user_created ON @extschema@.campaign (user_id, created_at DESC, campaign_id);
CREATE INDEX IF NOT EXISTS campaign_due ON @extschema@.campaign (next_action_at)
	WHERE status IN ('launching', 'scheduled', 'active', 'draining');
COMMENT ON TABLE @extschema@.campaign IS
'Campaigns: the response model of the Create Campaign API plus the scheduler''s pacing state.';

CREATE TABLE IF NOT EXISTS @extschema@.campaign_lead (
	campaign_lead_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL,
	lead_id		uuid NOT NULL,
	status		text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'active', 'paused', 'completed', 'stopped', 'failed')),
	current_step integer NOT NULL DEFAULT 0,	-- steps sent so far
	next_step	integer,						-- step number of the next step, null when finished
	next_channel text,							-- channel of next_step (picks a lane)
	eligible_at	timestamptz,					-- when next_step may go; null while one is queued
	last_sent_at timestamptz,
	variants	jsonb NOT NULL DEFAULT '{}',	-- step number -> variant label
	stop_reason	text,
	enrolled_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	resume_at	timestamptz,					-- an auto-reply's return: no step is eligible before
	-- (lead_id first: it also serves the lookups of the foreign key onto
	-- lead when leads are deleted, without an index of its own)
	CONSTRAINT campaign_lead_lead_id_campaign_id_key UNIQUE (lead_id, campaign_id),
	CONSTRAINT campaign_lead_user_id_campaign_lead_id_key UNIQUE (user_id, campaign_lead_id),
	CONSTRAINT campaign_lead_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	CONSTRAINT campaign_lead_user_id_lead_id_fkey FOREIGN KEY (user_id, lead_id)
		REFERENCES @extschema@.lead (user_id, lead_id) ON DELETE CASCADE
);
-- Follow-ups (current_step > 0) before first steps, then earliest eligible
-- (ties by lead_id, so the order is deterministic): the scheduler probes
-- each (campaign, channel, follow-up?) range separately.
CREATE INDEX IF NOT EXISTS campaign_lead_next ON @extschema@.campaign_lead
	(campaign_id, next_channel, (current_step > 0), eligible_at, lead_id)
	WHERE status IN ('pending', 'active') AND eligible_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS campaign_lead_campaign_id_status_idx ON @extschema@.campaign_lead (campaign_id, status);
COMMENT ON TABLE @extschema@.campaign_lead IS 'One row per lead enrolled in a campaign at launch: where it is in the sequence.';
COMMENT ON COLUMN @extschema@.campaign_lead.status IS
'pending (step 1 not queued yet), active, paused (by campaign_lead_pause: keeps its place, nothing is queued for it), or finished: completed, stopped (stop_reason says why), failed.';

CREATE TABLE IF NOT EXISTS @extschema@.action (
	action_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL,
	campaign_lead_id uuid NOT NULL,
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
	UNIQUE (campaign_lead_id, step),
	CONSTRAINT action_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	CONSTRAINT action_user_id_campaign_lead_id_fkey FOREIGN KEY (user_id, campaign_lead_id)
		REFERENCES @extschema@.campaign_lead (user_id, campaign_lead_id) ON DELETE CASCADE
);
-- The dispatcher's claim: queued and due, or in flight past its lease.
CREATE INDEX IF NOT EXISTS action_claim ON @extschema@.action (next_attempt_at)
	WHERE state IN ('queued', 'in_flight');
CREATE INDEX IF NOT EXISTS action_campaign_id_state_idx ON @extschema@.action (campaign_id, state);
-- Bounce protection: a campaign's last bounce_window email sends.
CREATE INDEX IF NOT EXISTS action_campaign_sent_idx ON @extschema@.action (campaign_id, sent_at DESC, action_id DESC)
	WHERE state = 'sent' AND channel = 'email';
COMMENT ON TABLE @extschema@.action IS
'The dispatcher''s durable outbox: one row per (campaign_lead, step), sent at least once under a stable idempotency key.';

CREATE TABLE IF NOT EXISTS @extschema@.event (
	event_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		uuid NOT NULL,
	campaign_id	uuid,
	campaign_lead_id uuid,
	type		text NOT NULL,
	payload		jsonb NOT NULL DEFAULT '{}',
	occurred_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	resume_at	timestamptz,				-- auto_reply: when the lead is back
	CONSTRAINT event_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	CONSTRAINT event_user_id_campaign_lead_id_fkey FOREIGN KEY (user_id, campaign_lead_id)
		REFERENCES @extschema@.campaign_lead (user_id, campaign_lead_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS event_campaign_lead_id_occurred_at_idx ON @extschema@.event (campaign_lead_id, occurred_at);
CREATE INDEX IF NOT EXISTS event_campaign_id_occurred_at_idx ON @extschema@.event (campaign_id, occurred_at);
CREATE INDEX IF NOT EXISTS event_created_at_idx ON @extschema@.event (created_at);
COMMENT ON TABLE @extschema@.event IS
'Lead events (replied, bounced, soft_bounce, unsubscribed, complained, auto_reply, connection_accepted, opened, clicked) and campaign notifications.';

CREATE TABLE IF NOT EXISTS @extschema@.campaign_daily_stats (
	user_id		uuid NOT NULL,
	campaign_id	uuid NOT NULL,
	day			date NOT NULL,				-- UTC day of the outcome
	step		integer NOT NULL,
	variant		text NOT NULL DEFAULT '',
	sent		bigint NOT NULL DEFAULT 0,
	failed		bigint NOT NULL DEFAULT 0,
	cancelled	bigint NOT NULL DEFAULT 0,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, day, step, variant),
	CONSTRAINT campaign_daily_stats_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS campaign_daily_stats_user_id_idx ON @extschema@.campaign_daily_stats (user_id);
COMMENT ON TABLE @extschema@.campaign_daily_stats IS
'Daily roll-up of finished actions per campaign, step and variant (stats_rollup); it outlives the actions that retention removes.';

-- The suppression list (SPEC §11): addresses, domains and LinkedIn URLs a
-- user's campaigns never contact.  Values are stored in the canonical form
-- of src/suppression.c, so a lead is looked up with equality probes of the
-- unique key.  No other row refers to an entry.
CREATE TABLE IF NOT EXISTS @extschema@.suppression (
	suppression_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('email', 'domain', 'linkedin_url')),
	value		text COLLATE "C" NOT NULL,	-- (byte order: lookups compare, nothing sorts by it)
	reason		text NOT NULL CHECK (reason IN ('unsubscribed', 'complained', 'bounced', 'manual')),
	source		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT suppression_user_id_kind_value_key UNIQUE (user_id, kind, value)
);
CREATE INDEX IF NOT EXISTS suppression_user_id_created_at_idx ON @extschema@.suppression (user_id, created_at DESC, suppression_id DESC);
COMMENT ON TABLE @extschema@.suppression IS
'The suppression list: per user, email addresses, domains and LinkedIn URLs (canonical forms) that are never contacted; checked at enrolment and when an action is claimed.';

-- Free-mail domains (shipped with the extension, sql/schema/53_deliverability.sql):
-- stop_on_reply = company never treats one of them as a company.  A
-- pattern ending in ".*" stands for every domain that starts with what
-- comes before the "*" (hotmail.* is hotmail.com, hotmail.co.uk...).
CREATE TABLE IF NOT EXISTS @extschema@.free_mail_domain (
	domain		text PRIMARY KEY CHECK (domain = lower(domain) AND domain !~ '[@\s]')
);
COMMENT ON TABLE @extschema@.free_mail_domain IS
'Free-mail domains (hotmail.* style patterns allowed) that stop_on_reply = company never treats as a company; no one''s data.';
