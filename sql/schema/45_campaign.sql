-- Campaign CRUD (SPEC §4, §5): jsonb in, jsonb out, exactly the HTTP bodies.
-- Validation is C (_campaign_validate, src/validate.c); the status machine is
-- C (src/status.c); these wrappers only move rows.

-- _campaign_json(c) is the response body of a campaign: every field of the
-- seed's response model, timestamps in RFC 3339 UTC, times as HH:MM:SS.
CREATE OR REPLACE FUNCTION @extschema@._campaign_json(c @extschema@.campaign) RETURNS jsonb
LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'campaign_json';
COMMENT ON FUNCTION @extschema@._campaign_json(@extschema@.campaign) IS
'The response body of a campaign (the seed''s response model).';

-- _campaign_request(c) is a stored campaign in request shape: what
-- campaign_update merges a PATCH into before validating the result.
CREATE OR REPLACE FUNCTION @extschema@._campaign_request(c @extschema@.campaign) RETURNS jsonb
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
		'unreviewed_launch_policy', c.unreviewed_launch_policy,
		'stop_on_reply', c.stop_on_reply,
		'max_bounce_rate', c.max_bounce_rate,
		'bounce_window', c.bounce_window);
END
$$;

-- _campaign_lock(id) returns the caller's campaign, locked FOR UPDATE, so
-- that concurrent changes of one campaign are serialised (every status
-- endpoint starts with it); P0002 when it is missing or another user's.
CREATE OR REPLACE FUNCTION @extschema@._campaign_lock(id uuid) RETURNS @extschema@.campaign
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_create(jsonb) RETURNS jsonb
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'campaign_create';
COMMENT ON FUNCTION @extschema@.campaign_create(jsonb) IS
'POST /campaigns/: validates the body (all errors at once, SQLSTATE 22023) and creates a draft campaign; returns the response body.';

CREATE OR REPLACE FUNCTION @extschema@.campaign_get(campaign_id uuid) RETURNS jsonb
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

-- _campaign_name_pattern(name) is the ILIKE pattern of the name filter: a
-- case-insensitive substring, with \, % and _ taken literally.  Its
-- literals hold backslashes, so standard_conforming_strings is pinned: a
-- session with it off would read them as escapes (when the body is checked
-- at creation, too).
CREATE OR REPLACE FUNCTION @extschema@._campaign_name_pattern(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET standard_conforming_strings = on
AS $$ SELECT '%' || replace(replace(replace(name, '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;
COMMENT ON FUNCTION @extschema@._campaign_name_pattern(text) IS
'The ILIKE pattern of the campaign list''s name filter (a case-insensitive substring, taken literally).';

CREATE OR REPLACE FUNCTION @extschema@.campaign_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q jsonb := @extschema@._validate('CampaignListQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._campaign_json(c) ORDER BY c.created_at DESC, c.campaign_id DESC)
		  FROM (SELECT * FROM @extschema@.campaign c
				 WHERE c.user_id = @extschema@.current_user_id()
				   AND (q->>'status' IS NULL OR c.status = q->>'status')
				   AND (q->>'name' IS NULL OR c.name ILIKE @extschema@._campaign_name_pattern(q->>'name'))
				 ORDER BY c.created_at DESC, c.campaign_id DESC
				OFFSET (q->>'offset')::bigint LIMIT (q->>'limit')::int) c), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_list(jsonb) IS
'GET /campaigns/: the caller''s campaigns, newest first; filters offset, limit (1..100, default 50), status, name (case-insensitive substring).';

CREATE OR REPLACE FUNCTION @extschema@.campaign_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q jsonb := @extschema@._validate('CampaignListQuery', filters);
BEGIN
	RETURN (SELECT count(*) FROM @extschema@.campaign c
			 WHERE c.user_id = @extschema@.current_user_id()
			   AND (q->>'status' IS NULL OR c.status = q->>'status')
			   AND (q->>'name' IS NULL OR c.name ILIKE @extschema@._campaign_name_pattern(q->>'name')));
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_count(jsonb) IS
'The number of campaigns campaign_list would page through (X-Total-Count).';

CREATE OR REPLACE FUNCTION @extschema@.campaign_update(campaign_id uuid, patch jsonb) RETURNS jsonb
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
	IF c.status = 'completed' AND jsonb_typeof(patch) = 'object' AND patch <> '{}' THEN
		PERFORM @extschema@._campaign_check_edit(c.status, ARRAY(SELECT jsonb_object_keys(patch)));
	END IF;
	-- The patch merged into the campaign is checked like a create, with the
	-- one field only a PATCH has (CampaignUpdate: a response field it may set).
	cur := @extschema@._campaign_request(c);
	n := @extschema@._campaign_validate_update(cur, patch, uid);
	IF patch ? 'playground_discovery_dismissed_at' THEN
		dismissed := (n->>'playground_discovery_dismissed_at')::timestamptz;
	ELSE
		dismissed := c.playground_discovery_dismissed_at;
	END IF;
	n := n - 'playground_discovery_dismissed_at';
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
		stop_on_reply = n->>'stop_on_reply',
		max_bounce_rate = (n->>'max_bounce_rate')::int,
		bounce_window = (n->>'bounce_window')::int,
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
		 WHERE cl.campaign_id = c.campaign_id AND cl.status IN ('pending', 'paused') AND cl.current_step = 0;
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_delete(campaign_id uuid) RETURNS void
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
