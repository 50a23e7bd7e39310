-- Lead events and enrolled leads (SPEC §3, §6): replied, bounced and
-- unsubscribed stop a lead's remaining steps; connection_accepted, opened
-- and clicked are recorded on its timeline.

CREATE OR REPLACE FUNCTION @extschema@._lead_event_json(e @extschema@.event) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'event_id', e.event_id, 'campaign_id', e.campaign_id, 'campaign_lead_id', e.campaign_lead_id,
		'type', e.type, 'occurred_at', @extschema@._ts(e.occurred_at),
		'data', e.payload)
$$;
COMMENT ON FUNCTION @extschema@._lead_event_json(@extschema@.event) IS 'The response body of a lead event.';

CREATE OR REPLACE FUNCTION @extschema@.lead_event_record(campaign_id uuid, campaign_lead_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- Validation first (422 shape of SPEC §4), then existence (404).
	n jsonb := @extschema@._validate('LeadEventCreate', body);
	typ text := n->>'type';
	at timestamptz := (n->>'occurred_at')::timestamptz;
	c @extschema@.campaign := @extschema@._campaign_lock(campaign_id);
	cl @extschema@.campaign_lead;
	e @extschema@.event;
BEGIN
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

CREATE OR REPLACE FUNCTION @extschema@.lead_events(campaign_id uuid, campaign_lead_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.campaign_leads(campaign_id uuid, filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	q jsonb := @extschema@._validate('CampaignLeadsQuery', filters);
BEGIN
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
		   AND (q->>'status' IS NULL OR cl.status = q->>'status')
		 ORDER BY cl.enrolled_at, cl.lead_id
		 OFFSET (q->>'offset')::bigint LIMIT (q->>'limit')::int) s);
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_leads(uuid, jsonb) IS
'The leads enrolled in a campaign (filters: status, offset >= 0, limit 1..100, default 50), in enrolment order.';

GRANT EXECUTE ON FUNCTION @extschema@.lead_event_record(uuid, uuid, jsonb),
	@extschema@.lead_events(uuid, uuid), @extschema@.campaign_leads(uuid, jsonb)
TO campaigns_user;
