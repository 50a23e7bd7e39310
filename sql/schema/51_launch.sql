-- Launch and the user's status changes (SPEC §5): campaign_launch enrols the
-- dataset's reachable leads (in batches: the first inside the call, the rest
-- by tick), then the campaign becomes active or scheduled, or failed (with
-- launch_error) when it cannot send to anyone.  pause, resume,
-- stop, unschedule, reset and playground review.  Every function locks the
-- campaign row first, so concurrent requests on one campaign are serialised;
-- the status trigger refuses any transition not in SPEC §5's table.

-- _launch_reachable(c, lead): whether the lead can be reached on every
-- channel the campaign's steps use.
CREATE OR REPLACE FUNCTION @extschema@._launch_channels(c @extschema@.campaign, OUT needs_email boolean, OUT needs_linkedin boolean)
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
CREATE OR REPLACE FUNCTION @extschema@._enrol_insert(cid uuid, after_lead uuid, batch integer, first_step integer,
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
CREATE OR REPLACE FUNCTION @extschema@._enrol_batch(cid uuid, now timestamptz) RETURNS integer
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

CREATE OR REPLACE FUNCTION @extschema@._refuse(c @extschema@.campaign, what text, allowed text) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@._campaign_body(cid uuid) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION @extschema@._sync_lanes(cid uuid) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_launch(campaign_id uuid) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	ch record;
	total bigint;
	launchable bigint;
	warnings jsonb;
	has_supp boolean;
	n_suppressed bigint;
	address text;
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
	-- use, or whose email, domain or LinkedIn URL is on the user's
	-- suppression list, is skipped with a warning (at most 100 listed, all
	-- counted).  (Enrolment skips the same leads.)
	has_supp := EXISTS (SELECT 1 FROM @extschema@.suppression s WHERE s.user_id = c.user_id);
	SELECT count(*), count(*) FILTER (WHERE r.reachable AND NOT r.suppressed),
		   count(*) FILTER (WHERE r.reachable AND r.suppressed)
	  INTO total, launchable, n_suppressed
	  FROM (SELECT (NOT ch.needs_email OR nullif(btrim(l.email), '') IS NOT NULL)
				   AND (NOT ch.needs_linkedin OR nullif(btrim(l.linkedin_url), '') IS NOT NULL) AS reachable,
				   has_supp AND EXISTS (SELECT 1 FROM @extschema@.suppression s
							 WHERE s.user_id = c.user_id AND s.kind = 'email' AND s.value = @extschema@._suppression_value('email', l.email)
							UNION ALL
							SELECT 1 FROM @extschema@.suppression s
							 WHERE s.user_id = c.user_id AND s.kind = 'domain' AND s.value = @extschema@._email_domain(l.email)
							UNION ALL
							SELECT 1 FROM @extschema@.suppression s
							 WHERE s.user_id = c.user_id AND s.kind = 'linkedin_url' AND s.value = @extschema@._suppression_value('linkedin_url', l.linkedin_url)) AS suppressed
			  FROM @extschema@.lead l
			 WHERE l.dataset_id = c.dataset_id AND l.user_id = c.user_id) r;
	warnings := '[]';
	IF launchable < total THEN
	SELECT coalesce(jsonb_agg(w ORDER BY w ->> 'lead_id'), '[]') INTO warnings
	  FROM (SELECT jsonb_build_object(
				'lead_id', l.lead_id,
				'email', l.email,
				'code', CASE WHEN ch.needs_email AND nullif(btrim(l.email), '') IS NULL THEN 'missing_email'
							 WHEN ch.needs_linkedin AND nullif(btrim(l.linkedin_url), '') IS NULL THEN 'missing_linkedin_url'
							 ELSE 'suppressed' END,
				'message', CASE WHEN ch.needs_email AND nullif(btrim(l.email), '') IS NULL
								THEN 'lead has no email address for the email steps; skipped'
								WHEN ch.needs_linkedin AND nullif(btrim(l.linkedin_url), '') IS NULL
								THEN 'lead has no linkedin_url for the linkedin steps; skipped'
								ELSE format('lead''s %s is on the suppression list; skipped',
											CASE l.suppressed WHEN 'email' THEN 'email address'
															  WHEN 'domain' THEN 'email domain'
															  ELSE 'LinkedIn URL' END) END) AS w
			  FROM (SELECT l.*, @extschema@._lead_suppressed(c.user_id, l.email, l.linkedin_url) AS suppressed
					  FROM @extschema@.lead l
					 WHERE l.dataset_id = c.dataset_id AND l.user_id = c.user_id
					   AND ((ch.needs_email AND nullif(btrim(l.email), '') IS NULL)
							OR (ch.needs_linkedin AND nullif(btrim(l.linkedin_url), '') IS NULL)
							OR (has_supp AND EXISTS (SELECT 1 FROM @extschema@.suppression s
									 WHERE s.user_id = c.user_id AND s.kind = 'email' AND s.value = @extschema@._suppression_value('email', l.email)
									UNION ALL
									SELECT 1 FROM @extschema@.suppression s
									 WHERE s.user_id = c.user_id AND s.kind = 'domain' AND s.value = @extschema@._email_domain(l.email)
									UNION ALL
									SELECT 1 FROM @extschema@.suppression s
									 WHERE s.user_id = c.user_id AND s.kind = 'linkedin_url' AND s.value = @extschema@._suppression_value('linkedin_url', l.linkedin_url))))
					 ORDER BY l.lead_id
					 LIMIT 100) l) s;
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
	ELSIF launchable = 0 THEN
		-- Nothing would ever be sent: SPEC §5 makes this a failed launch, not
		-- an active campaign that completes at once.
		address := CASE WHEN ch.needs_email AND ch.needs_linkedin
						THEN 'both an email address and a linkedin_url for the email and linkedin steps'
						WHEN ch.needs_email THEN 'an email address for the email steps'
						ELSE 'a linkedin_url for the linkedin steps' END;
		err := 'no lead of the dataset is launchable: ' || CASE
			WHEN total = 0 THEN 'the dataset has no leads'
			WHEN n_suppressed = 0
				THEN CASE WHEN total = 1 THEN '1 lead, without ' ELSE total || ' leads, none has ' END || address
			WHEN n_suppressed = total
				THEN CASE WHEN total = 1 THEN '1 lead, on the suppression list' ELSE total || ' leads, all on the suppression list' END
			ELSE format('%s leads: %s without %s, %s on the suppression list', total, total - n_suppressed, address, n_suppressed) END;
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
'Launches a draft campaign: draft -> launching, enrols the dataset''s reachable leads not on the suppression list (the first campaigns.launch_batch_size inside this call, the rest by tick), then active (immediate) or scheduled; or failed with launch_error when the dataset, an alias or the connected account is missing or no lead is launchable on the steps'' channels.  Returns {campaign, summary:{total_rows, launchable_rows, warning_count}, warnings}.';

CREATE OR REPLACE FUNCTION @extschema@.campaign_pause(campaign_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_resume(campaign_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_stop(campaign_id uuid) RETURNS jsonb
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
	 WHERE cl.campaign_id = c.campaign_id AND cl.status IN ('pending', 'active', 'paused');
	UPDATE @extschema@.campaign x
	   SET status = 'completed', next_action_at = NULL,
		   processed_leads = coalesce(x.total_leads, 0), updated_at = now()
	 WHERE x.campaign_id = c.campaign_id;
	RETURN @extschema@._campaign_body(c.campaign_id);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_stop(uuid) IS
'Stops a paused campaign for good: paused -> completed; its unfinished leads are stopped (stop_reason campaign_stopped).';

CREATE OR REPLACE FUNCTION @extschema@.campaign_unschedule(campaign_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_reset(campaign_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_playground_review(campaign_id uuid) RETURNS jsonb
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
