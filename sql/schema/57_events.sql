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
	uid uuid;
	c @extschema@.campaign;
	cl @extschema@.campaign_lead;
	errs jsonb := '[]';
	k text;
	typ text;
	at timestamptz;
	back timestamptz;
	locks uuid[];
	em text;
BEGIN
	-- Validation first (422 shape of SPEC §4), then existence (404).
	IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
		errs := errs || jsonb_build_object('loc', '["body"]'::jsonb,
			'msg', 'Input should be a valid dictionary or object to extract fields from', 'type', 'model_attributes_type');
	ELSE
		IF NOT body ? 'type' THEN
			errs := errs || jsonb_build_object('loc', '["body","type"]'::jsonb, 'msg', 'Field required', 'type', 'missing');
		ELSIF jsonb_typeof(body -> 'type') <> 'string'
			  OR body ->> 'type' NOT IN ('replied', 'bounced', 'soft_bounce', 'unsubscribed', 'complained', 'auto_reply',
										 'connection_accepted', 'opened', 'clicked') THEN
			errs := errs || jsonb_build_object('loc', '["body","type"]'::jsonb,
				'msg', 'Input should be ''replied'', ''bounced'', ''soft_bounce'', ''unsubscribed'', ''complained'', ''auto_reply'', ''connection_accepted'', ''opened'' or ''clicked''', 'type', 'enum');
		ELSE
			typ := body ->> 'type';
		END IF;
		IF body ? 'occurred_at' AND jsonb_typeof(body -> 'occurred_at') <> 'null' THEN
			IF jsonb_typeof(body -> 'occurred_at') <> 'string'
			   OR (body ->> 'occurred_at') !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})$'
			   OR NOT @extschema@._is_timestamptz(body ->> 'occurred_at') THEN
				errs := errs || jsonb_build_object('loc', '["body","occurred_at"]'::jsonb, 'msg', 'Input should be a valid datetime', 'type', 'datetime_parsing');
			ELSE
				at := (body ->> 'occurred_at')::timestamptz;
			END IF;
		END IF;
		IF body ? 'data' AND jsonb_typeof(body -> 'data') NOT IN ('object', 'null') THEN
			errs := errs || jsonb_build_object('loc', '["body","data"]'::jsonb, 'msg', 'Input should be a valid dictionary', 'type', 'dict_type');
		END IF;
		IF body ? 'resume_at' AND jsonb_typeof(body -> 'resume_at') <> 'null' THEN
			IF jsonb_typeof(body -> 'resume_at') <> 'string'
			   OR (body ->> 'resume_at') !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})$'
			   OR NOT @extschema@._is_timestamptz(body ->> 'resume_at') THEN
				errs := errs || jsonb_build_object('loc', '["body","resume_at"]'::jsonb, 'msg', 'Input should be a valid datetime', 'type', 'datetime_parsing');
			ELSIF typ IS NOT NULL AND typ <> 'auto_reply' THEN
				errs := errs || jsonb_build_object('loc', '["body","resume_at"]'::jsonb,
					'msg', 'Value error, resume_at is only for auto_reply events', 'type', 'value_error');
			ELSE
				back := (body ->> 'resume_at')::timestamptz;
			END IF;
		END IF;
		-- Unknown keys after the fields, as Pydantic (and campaign_create) report them.
		FOR k IN SELECT jsonb_object_keys(body) LOOP
			IF k NOT IN ('type', 'occurred_at', 'data', 'resume_at') THEN
				errs := errs || jsonb_build_object('loc', jsonb_build_array('body', k), 'msg', 'Extra inputs are not permitted', 'type', 'extra_forbidden');
			END IF;
		END LOOP;
	END IF;
	IF jsonb_array_length(errs) > 0 THEN
		RAISE EXCEPTION 'invalid request' USING ERRCODE = '22023', DETAIL = errs::text;
	END IF;

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
		nullif(body -> 'data', 'null'::jsonb), coalesce(at, now()), back));
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
	errs jsonb := '[]';
	st text := filters ->> 'status';
	o text := coalesce(filters ->> 'offset', '0');
	l text := coalesce(filters ->> 'limit', '50');
BEGIN
	IF st IS NOT NULL AND st NOT IN ('pending', 'active', 'paused', 'completed', 'stopped', 'failed') THEN
		errs := errs || jsonb_build_object('loc', '["query","status"]'::jsonb,
			'msg', 'Input should be ''pending'', ''active'', ''paused'', ''completed'', ''stopped'' or ''failed''', 'type', 'enum');
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
			   @extschema@._campaign_lead_json(cl, ld.email) AS j
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
