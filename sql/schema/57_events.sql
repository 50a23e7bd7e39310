-- Lead events and enrolled leads (SPEC §3, §6, §11): replied, bounced,
-- unsubscribed and complained stop a lead's remaining steps (and, by
-- stop_on_reply, other leads); auto_reply may delay it; soft_bounce,
-- connection_accepted, opened and clicked are recorded on its timeline.

CREATE OR REPLACE FUNCTION @extschema@._lead_event_json(e @extschema@.event) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'event_id', e.event_id, 'campaign_id', e.campaign_id, 'campaign_lead_id', e.campaign_lead_id,
		'type', e.type, 'occurred_at', @extschema@._ts(e.occurred_at),
		'data', e.payload, 'resume_at', @extschema@._ts(e.resume_at))
$$;
COMMENT ON FUNCTION @extschema@._lead_event_json(@extschema@.event) IS 'The response body of a lead event.';

-- _same_email_leads(user, email): the user's unfinished enrolled leads
-- whose email is email (case-insensitively): one probe of each of the
-- user's datasets.
CREATE OR REPLACE FUNCTION @extschema@._same_email_leads(uid uuid, email text)
RETURNS TABLE (campaign_id uuid, campaign_lead_id uuid)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.campaign_id, x.campaign_lead_id
	  FROM @extschema@.dataset d
	  JOIN @extschema@.lead l ON l.dataset_id = d.dataset_id AND lower(l.email) = lower($2)
	  JOIN @extschema@.campaign_lead x ON x.lead_id = l.lead_id
	 WHERE d.user_id = $1 AND l.user_id = $1 AND x.user_id = $1
	   AND x.status IN ('pending', 'active', 'paused')
$$;
COMMENT ON FUNCTION @extschema@._same_email_leads(uuid, text) IS
'The user''s unfinished enrolled leads, in every campaign, whose email is the given one (case-insensitively).';

-- _lead_event_apply(campaign, lead, type, data, at, resume_at): records a
-- lead event and does what it means (docs/scheduling.md, Lead events):
--   replied, bounced, unsubscribed, complained   stop the lead (stop_reason
--       the type); replied also stops, by the campaign's stop_on_reply, the
--       campaign's leads of the same company domain (company_replied) or the
--       same email in the user's other campaigns (replied_in_other_campaign)
--   bounced, unsubscribed, complained   put the lead's address on the
--       suppression list (reason the type, source event:<event_id>)
--   bounced   (a hard bounce) runs bounce protection
--   auto_reply   no stop; with resume_at the lead's next step is not
--       eligible before it (a queued action goes back until then)
--   soft_bounce, connection_accepted, opened, clicked   recorded only
-- Every path that records a lead event goes through here.  The caller holds
-- the row locks of the campaign and, for all_campaigns, of the user's other
-- campaigns concerned (in campaign_id order).
CREATE OR REPLACE FUNCTION @extschema@._lead_event_apply(cid uuid, lid uuid, typ text, data jsonb,
	at timestamptz, resume_at timestamptz)
RETURNS @extschema@.event
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	cl @extschema@.campaign_lead;
	l @extschema@.lead;
	e @extschema@.event;
	dom text;
	r record;
BEGIN
	SELECT * INTO c FROM @extschema@.campaign x WHERE x.campaign_id = cid;
	SELECT * INTO cl FROM @extschema@.campaign_lead x WHERE x.campaign_lead_id = lid AND x.campaign_id = cid FOR UPDATE;
	SELECT * INTO l FROM @extschema@.lead x WHERE x.lead_id = cl.lead_id AND x.user_id = cl.user_id;
	INSERT INTO @extschema@.event (user_id, campaign_id, campaign_lead_id, type, payload, occurred_at, resume_at)
	VALUES (c.user_id, c.campaign_id, cl.campaign_lead_id, typ, coalesce(data, '{}'), at,
			CASE WHEN typ = 'auto_reply' THEN resume_at END)
	RETURNING * INTO e;

	IF typ IN ('replied', 'bounced', 'unsubscribed', 'complained') THEN
		PERFORM @extschema@._stop_leads(c.campaign_id, ARRAY[cl.campaign_lead_id], typ, at);
	END IF;
	IF typ IN ('bounced', 'unsubscribed', 'complained') THEN
		PERFORM @extschema@._suppress_address(c.user_id, l.email, l.linkedin_url, typ, 'event:' || e.event_id);
	END IF;

	IF typ = 'replied' AND c.stop_on_reply = 'company' THEN
		dom := @extschema@._email_domain(l.email);
		IF dom IS NOT NULL AND NOT @extschema@._is_free_mail(dom) THEN
			PERFORM @extschema@._stop_leads(c.campaign_id, ARRAY(
				SELECT x.campaign_lead_id
				  FROM @extschema@.lead o
				  JOIN @extschema@.campaign_lead x ON x.lead_id = o.lead_id AND x.campaign_id = c.campaign_id
				 WHERE o.dataset_id = c.dataset_id AND o.email IS NOT NULL
				   AND @extschema@._email_domain(o.email) = dom
				   AND x.user_id = c.user_id AND x.status IN ('pending', 'active', 'paused')
				   AND x.campaign_lead_id <> cl.campaign_lead_id), 'company_replied', at);
		END IF;
	ELSIF typ = 'replied' AND c.stop_on_reply = 'all_campaigns' AND l.email IS NOT NULL THEN
		FOR r IN SELECT x.campaign_id, array_agg(x.campaign_lead_id) AS ids
				   FROM @extschema@._same_email_leads(c.user_id, l.email) x
				  WHERE x.campaign_id <> c.campaign_id
				  GROUP BY x.campaign_id ORDER BY x.campaign_id
		LOOP
			PERFORM @extschema@._stop_leads(r.campaign_id, r.ids, 'replied_in_other_campaign', at);
		END LOOP;
	END IF;

	IF typ = 'bounced' THEN
		PERFORM @extschema@._bounce_check(c.campaign_id, at);
	END IF;

	IF typ = 'auto_reply' AND resume_at IS NOT NULL AND cl.status IN ('pending', 'active', 'paused') THEN
		-- A queued step due before the lead is back goes back to wait.
		IF EXISTS (SELECT 1 FROM @extschema@.action a WHERE a.campaign_lead_id = cl.campaign_lead_id
					  AND a.state = 'queued' AND a.due_at < resume_at) THEN
			PERFORM @extschema@._cancel_queued(c.campaign_id, cl.campaign_lead_id);
		END IF;
		UPDATE @extschema@.campaign_lead x
		   SET resume_at = _lead_event_apply.resume_at,
			   eligible_at = CASE WHEN x.eligible_at IS NOT NULL
								  THEN greatest(x.eligible_at, _lead_event_apply.resume_at) END
		 WHERE x.campaign_lead_id = cl.campaign_lead_id;
	END IF;
	RETURN e;
END
$$;
COMMENT ON FUNCTION @extschema@._lead_event_apply(uuid, uuid, text, jsonb, timestamptz, timestamptz) IS
'Records a lead event and applies it: stops (replied, bounced, unsubscribed, complained; replied by stop_on_reply), suppression (bounced, unsubscribed, complained), bounce protection (bounced), the wait of an auto_reply with resume_at.  The caller holds the campaign locks.';

CREATE OR REPLACE FUNCTION @extschema@.lead_event_record(campaign_id uuid, campaign_lead_id uuid, body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- Validation first (422 shape of SPEC §4; LeadEventCreate, whose rule
	-- keeps resume_at to auto_reply), then existence (404).
	n jsonb := @extschema@._validate('LeadEventCreate', body);
	typ text := n->>'type';
	at timestamptz := (n->>'occurred_at')::timestamptz;
	back timestamptz := (n->>'resume_at')::timestamptz;
	uid uuid;
	c @extschema@.campaign;
	cl @extschema@.campaign_lead;
	locks uuid[];
	em text;
BEGIN
	uid := @extschema@.current_user_id();
	SELECT * INTO c FROM @extschema@.campaign x WHERE x.campaign_id = lead_event_record.campaign_id AND x.user_id = uid;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('campaign');
	END IF;
	-- The campaigns whose leads an all_campaigns reply stops are locked with
	-- this one, in campaign_id order (as outcome batches lock them).
	locks := ARRAY[c.campaign_id];
	IF typ = 'replied' AND c.stop_on_reply = 'all_campaigns' THEN
		SELECT l.email INTO em
		  FROM @extschema@.campaign_lead x JOIN @extschema@.lead l ON l.lead_id = x.lead_id AND l.user_id = uid
		 WHERE x.campaign_lead_id = lead_event_record.campaign_lead_id AND x.campaign_id = c.campaign_id
		   AND x.user_id = uid;
		IF em IS NOT NULL THEN
			locks := locks || ARRAY(SELECT DISTINCT s.campaign_id FROM @extschema@._same_email_leads(uid, em) s);
		END IF;
	END IF;
	PERFORM 1 FROM @extschema@.campaign x WHERE x.campaign_id = ANY (locks) AND x.user_id = uid
	 ORDER BY x.campaign_id FOR UPDATE;
	SELECT * INTO c FROM @extschema@.campaign x WHERE x.campaign_id = c.campaign_id;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('campaign');
	END IF;
	SELECT * INTO cl FROM @extschema@.campaign_lead x
	 WHERE x.campaign_lead_id = lead_event_record.campaign_lead_id AND x.campaign_id = c.campaign_id
	   AND x.user_id = uid;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('campaign lead');
	END IF;
	RETURN @extschema@._lead_event_json(@extschema@._lead_event_apply(c.campaign_id, cl.campaign_lead_id, typ,
		nullif(n -> 'data', 'null'::jsonb), coalesce(at, now()), back));
END
$$;
COMMENT ON FUNCTION @extschema@.lead_event_record(uuid, uuid, jsonb) IS
'Records a lead event {type, occurred_at?, data?, resume_at?} (resume_at: auto_reply only) and applies it (_lead_event_apply): replied, bounced, unsubscribed and complained stop the lead (replied also others, by the campaign''s stop_on_reply); bounced, unsubscribed and complained suppress its address; a hard bounce may pause the campaign (bounce protection); auto_reply with resume_at delays its next step.';

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
			   @extschema@._campaign_lead_json(cl, ld.email) AS j
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
