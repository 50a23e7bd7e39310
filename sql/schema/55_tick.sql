-- The scheduler step (SPEC §6): campaigns.tick(now) advances launches,
-- starts scheduled campaigns whose start_date has come, and queues the next
-- actions of every active campaign that may send at `now`.  It only looks at
-- campaigns whose next_action_at <= now (index campaign_due), so its cost
-- grows with the campaigns due, not with all campaigns or leads.

-- _start_scheduled(campaign_id, now): start_date reached.  Policy for
-- unreviewed AI drafts: launch_default -> active, hold -> paused
-- (pending_personalization_review), cancel -> draft; unreviewed starts
-- record a notification event.
CREATE OR REPLACE FUNCTION @extschema@._start_scheduled(cid uuid, now timestamptz) RETURNS text
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
CREATE OR REPLACE FUNCTION @extschema@._queue_pass_sql() RETURNS text
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

CREATE OR REPLACE FUNCTION @extschema@._queue_pass(now timestamptz, ids uuid[], custom_plan boolean) RETURNS integer
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
CREATE OR REPLACE FUNCTION @extschema@._queue_due(now timestamptz, only_campaign uuid DEFAULT NULL) RETURNS integer
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
CREATE OR REPLACE FUNCTION @extschema@._tick(now timestamptz, only_campaign uuid DEFAULT NULL) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.tick(now timestamptz) RETURNS jsonb
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
