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

CREATE OR REPLACE FUNCTION @extschema@.action_record_outcomes(
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
			   -- (not before an auto-reply's resume_at: greatest ignores a null)
			   eligible_at = CASE WHEN act.state = 'sent' AND (c.steps_config -> (cl.current_step + 1)) IS NOT NULL
								  THEN greatest(@extschema@.add_local_days(act.at, coalesce(((c.steps_config -> (cl.current_step + 1)) ->> 'delay_days')::int, 0), c.timezone),
												cl.resume_at)
								  ELSE NULL END,
			   finished_at = CASE WHEN act.state = 'failed' OR (act.state = 'sent' AND (c.steps_config -> (cl.current_step + 1)) IS NULL)
								  THEN act.at ELSE cl.finished_at END
		  FROM acta, unnest(acta.ids, acta.states, acta.ats, acta.steps, acta.cids) AS act(campaign_lead_id, state, at, step, campaign_id)
		  JOIN @extschema@.campaign c ON c.campaign_id = act.campaign_id
		 WHERE cl.campaign_lead_id = act.campaign_lead_id
		   -- (a lead paused while its action was in flight advances too, and
		   -- stays paused)
		   AND cl.status IN ('pending', 'active', 'paused')
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
			   min(lead.eligible_at) FILTER (WHERE lead.status <> 'paused') AS first_eligible
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

CREATE OR REPLACE FUNCTION @extschema@.action_record_outcome(
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
