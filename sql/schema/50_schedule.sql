-- Scheduling primitives (src/schedule.c): send-time arithmetic, local-day
-- arithmetic and deterministic variant assignment (SPEC §6), plus the small
-- SQL helpers the launch, tick, outcome and forecast functions share.

CREATE OR REPLACE FUNCTION @extschema@.next_send_time(
	eligible timestamptz, window_start time, window_end time, tz text,
	send_days text[], daily_limit integer, min_interval_seconds integer,
	pace_day date, pace_day_count integer, lane_last_sent_at timestamptz)
RETURNS timestamptz
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'next_send_time';
COMMENT ON FUNCTION @extschema@.next_send_time(timestamptz, time, time, text, text[], integer, integer, date, integer, timestamptz) IS
'The earliest instant >= eligible and >= lane_last_sent_at + min_interval_seconds that is inside [window_start, window_end) local time of tz, on a local weekday in send_days, on a local day whose send count (pace_day_count counts local day pace_day) is below daily_limit.  Nonexistent local times (DST gap) open at the end of the gap; repeated ones at the earlier instant.';

CREATE OR REPLACE FUNCTION @extschema@.add_local_days(ts timestamptz, days integer, tz text)
RETURNS timestamptz
LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'add_local_days';
COMMENT ON FUNCTION @extschema@.add_local_days(timestamptz, integer, text) IS
'ts moved by whole local calendar days of tz, keeping the local clock time across DST changes.';

CREATE OR REPLACE FUNCTION @extschema@.pick_variant(campaign_id uuid, lead_id uuid, step integer, weights integer[])
RETURNS integer
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pick_variant';
COMMENT ON FUNCTION @extschema@.pick_variant(uuid, uuid, integer, integer[]) IS
'1-based index of the variant a lead gets at a step: a hash of (campaign_id, lead_id, step) falls in a share proportional to the weights.  Deterministic.';

CREATE OR REPLACE FUNCTION @extschema@._uuid_ordered() RETURNS uuid
LANGUAGE c VOLATILE PARALLEL SAFE AS 'MODULE_PATHNAME', 'uuid_ordered';
COMMENT ON FUNCTION @extschema@._uuid_ordered() IS
'A time-ordered (version 7 layout) UUID: enrolment uses it for campaign_lead_id so large launches append to the primary key.';

GRANT EXECUTE ON FUNCTION @extschema@.next_send_time(timestamptz, time, time, text, text[], integer, integer, date, integer, timestamptz) TO campaigns_user;
GRANT EXECUTE ON FUNCTION @extschema@.add_local_days(timestamptz, integer, text) TO campaigns_user;
GRANT EXECUTE ON FUNCTION @extschema@.pick_variant(uuid, uuid, integer, integer[]) TO campaigns_user;

-- _step_variant(campaign_id, lead_id, step object) -> the variant label.
CREATE OR REPLACE FUNCTION @extschema@._step_variant(campaign_id uuid, lead_id uuid, step jsonb)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'step_variant';
COMMENT ON FUNCTION @extschema@._step_variant(uuid, uuid, jsonb) IS
'The label of the variant pick_variant assigns to a lead at a step object of steps_config (weights default to 50; null when the step has no variant of positive weight).';

-- _step_channel(campaign type, step object): the step's channel.
CREATE OR REPLACE FUNCTION @extschema@._step_channel(ctype text, step jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(step ->> 'channel', CASE WHEN ctype IN ('email', 'linkedin') THEN ctype END) $$;
COMMENT ON FUNCTION @extschema@._step_channel(text, jsonb) IS
'The channel of a step object: its channel field, else the campaign type when that is email or linkedin.';

CREATE OR REPLACE FUNCTION @extschema@._step_action_type(channel text, step jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(step ->> 'action_type', CASE WHEN channel = 'email' THEN 'send_email' END, 'message') $$;
COMMENT ON FUNCTION @extschema@._step_action_type(text, jsonb) IS
'The action type of a step object: its action_type, else send_email for email steps.';

-- _notify(campaign, kind, payload): a campaign notification event.
CREATE OR REPLACE FUNCTION @extschema@._notify(c @extschema@.campaign, kind text, payload jsonb, at timestamptz)
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
CREATE OR REPLACE FUNCTION @extschema@._try_complete(ids uuid[]) RETURNS integer
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
CREATE OR REPLACE FUNCTION @extschema@._cancel_queued(cid uuid, lid uuid DEFAULT NULL) RETURNS integer
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
CREATE OR REPLACE FUNCTION @extschema@._clear_enrolment(cid uuid) RETURNS void
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
