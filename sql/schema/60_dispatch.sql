-- Dispatch (SPEC §7): the worker's SQL side.  The background worker
-- (src/worker.c) runs tick(now()), claims due actions with _dispatch_claim,
-- delivers them over HTTP (src/dispatch.c) and records the outcomes of a
-- whole batch with one call of action_record_outcomes (56_outcome.sql);
-- backends wake it on commit through the wake triggers.

-- Wake-up on commit ---------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._wake_worker() RETURNS void
	LANGUAGE c VOLATILE PARALLEL UNSAFE
	AS 'MODULE_PATHNAME', 'campaigns_wake_worker';
COMMENT ON FUNCTION @extschema@._wake_worker() IS
'Wakes the background worker when the calling transaction commits (a no-op when the worker is not running).';

CREATE OR REPLACE FUNCTION @extschema@._wake_trigger() RETURNS trigger
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_wake_trigger';
COMMENT ON FUNCTION @extschema@._wake_trigger() IS
'Statement trigger: wakes the background worker when the transaction commits.';

CREATE OR REPLACE TRIGGER action_wake AFTER INSERT OR UPDATE OF state, next_attempt_at
	ON @extschema@.action FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();
CREATE OR REPLACE TRIGGER campaign_wake AFTER INSERT OR UPDATE OF status
	ON @extschema@.campaign FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();
CREATE OR REPLACE TRIGGER campaign_lead_wake AFTER UPDATE OF status, eligible_at
	ON @extschema@.campaign_lead FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._wake_trigger();

-- Worker state ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._worker_status(
	OUT pid integer, OUT state text, OUT database_name text,
	OUT started_at timestamptz, OUT last_pass_at timestamptz, OUT last_tick_at timestamptz,
	OUT in_flight integer, OUT claimed bigint, OUT sent bigint, OUT retried bigint,
	OUT failed bigint, OUT batches bigint, OUT ticks bigint, OUT errors bigint)
	RETURNS record
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_worker_status';
COMMENT ON FUNCTION @extschema@._worker_status() IS
'The background worker''s shared state; read it through the campaigns.worker_status view.';

CREATE OR REPLACE VIEW @extschema@.worker_status AS SELECT * FROM @extschema@._worker_status();
COMMENT ON VIEW @extschema@.worker_status IS
'The background worker: pid, state (stopped, starting, disabled, waiting_for_extension, idle, dispatching, stopping, or not_preloaded), times of its last pass and scheduler tick, requests in flight and counters since the server started.';
-- (Cluster-wide: the extension owner's only.  Tenants read their own part in
-- tenant_worker_status.)

-- Outcome policy (exposed for tests) --------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._dispatch_classify(http_status integer, transport_error boolean)
	RETURNS text LANGUAGE c IMMUTABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_classify';
COMMENT ON FUNCTION @extschema@._dispatch_classify(integer, boolean) IS
'The dispatcher''s classification of a response: sent (2xx), retry (429, 5xx, transport error or timeout) or failed (anything else).';

CREATE OR REPLACE FUNCTION @extschema@._dispatch_backoff_ms(attempt integer, retry_after_ms bigint, jitter double precision)
	RETURNS bigint LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_backoff_ms';
COMMENT ON FUNCTION @extschema@._dispatch_backoff_ms(integer, bigint, double precision) IS
'Delay before retrying after an attempt: Retry-After when given, else retry_base_ms * 2^(attempt-1) capped at retry_max_ms, its upper half jittered by jitter in [0, 1).';

-- Request building ---------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._dispatch_render(template text, lead jsonb) RETURNS jsonb
	LANGUAGE c IMMUTABLE PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_render';
COMMENT ON FUNCTION @extschema@._dispatch_render(text, jsonb) IS
'render_template for request bodies: {"text", "missing"}; NULL for a NULL template; a template that does not parse goes out as written with the reason in "error" instead of raising.';

CREATE OR REPLACE FUNCTION @extschema@._default_prompt() RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT 'Write a short, friendly outreach message to this lead in the sender''s voice. '
				 'Use the lead''s name, title and company where they help, stay under 120 words, '
				 'and end with one clear, low-pressure question.'::text $$;
COMMENT ON FUNCTION @extschema@._default_prompt() IS
'The built-in personalization prompt, used when neither the campaign''s system_prompt nor the sender profile''s custom_prompt is set.';

CREATE OR REPLACE FUNCTION @extschema@._dispatch_claim_rows(n integer, lease_ms integer)
	RETURNS TABLE (action_id bigint, attempt integer, idempotency_key text, url text, auth_header bytea,
				   campaign_id uuid, campaign_lead_id uuid, lead_id uuid, email text, linkedin_url text,
				   first_name text, last_name text, company text, title text, timezone text, fields jsonb,
				   step integer, variant text, channel text, action_type text, template_id uuid,
				   missing_fields jsonb, sender_profile_id uuid, track_clicks boolean,
				   ai_personalization boolean, prompt text, due_at timestamptz, subject text,
				   body text, alias_id text, alias_email text, connected_account_id uuid,
				   user_id uuid, auth_context text)
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
		   -- whether the lead's email, its domain or its LinkedIn URL is on
		   -- the user's suppression list (SPEC §11): three probes of the
		   -- list's unique key (user_id, kind, value) per action, in one
		   -- subplan.  (Three EXISTS of their own would each be planned as a
		   -- hashed subplan that reads every user's entries of the kind.)
		   EXISTS (SELECT 1 FROM @extschema@.suppression s
					 WHERE s.user_id = p.user_id AND s.kind = 'email' AND s.value = @extschema@._suppression_value('email', l.email)
					UNION ALL
					SELECT 1 FROM @extschema@.suppression s
					 WHERE s.user_id = p.user_id AND s.kind = 'domain' AND s.value = @extschema@._email_domain(l.email)
					UNION ALL
					SELECT 1 FROM @extschema@.suppression s
					 WHERE s.user_id = p.user_id AND s.kind = 'linkedin_url' AND s.value = @extschema@._suppression_value('linkedin_url', l.linkedin_url)) AS suppressed,
		   coalesce(de.url, nullif(current_setting('campaigns.' || p.channel || '_endpoint', true), '')) AS url,
		   de.auth_header,
		   CASE WHEN de.auth_header IS NOT NULL
				THEN @extschema@._delivery_endpoint_secret_context(de.delivery_endpoint_id) END AS auth_context,
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
	  -- (a step without variants holds "variants": null, as campaign_create
	  -- normalises it: jsonb_array_elements would raise on that scalar)
	  LEFT JOIN LATERAL (SELECT v AS cfg
						   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(st.cfg -> 'variants') = 'array'
														  THEN st.cfg -> 'variants' END) v
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
), supp AS (
	-- A suppressed lead's action is cancelled, and the lead stopped ...
	UPDATE @extschema@.action a
	   SET state = 'cancelled', lease_until = NULL, updated_at = now(),
		   last_error = 'suppressed: the lead''s address is on the suppression list'
	  FROM payload k
	 WHERE k.suppressed AND a.action_id = k.action_id
	RETURNING a.action_id, a.campaign_lead_id
), stopped AS (
	UPDATE @extschema@.campaign_lead cl
	   SET status = 'stopped', stop_reason = 'suppressed', eligible_at = NULL, next_step = NULL,
		   next_channel = NULL, finished_at = now()
	  FROM supp
	 WHERE cl.campaign_lead_id = supp.campaign_lead_id AND cl.status IN ('pending', 'active')
	RETURNING cl.campaign_id
), finished AS (
	-- ... counted in processed_leads; the campaign completes when that was
	-- its last lead and nothing else is queued or in flight.  (The campaign
	-- row is held FOR SHARE by this claim: no one else changes it.)
	UPDATE @extschema@.campaign c
	   SET processed_leads = c.processed_leads + f.n,
		   status = CASE WHEN f.done THEN 'completed' ELSE c.status END,
		   next_action_at = CASE WHEN f.done THEN NULL ELSE c.next_action_at END,
		   updated_at = CASE WHEN f.done THEN now() ELSE c.updated_at END
	  FROM (SELECT x.campaign_id, x.n,
				   x.n + c2.processed_leads >= coalesce(c2.total_leads, 0)
				   AND NOT EXISTS (SELECT 1 FROM @extschema@.action a
									WHERE a.campaign_id = x.campaign_id AND a.state IN ('queued', 'in_flight')
									  AND a.action_id <> ALL (ARRAY(SELECT supp.action_id FROM supp))) AS done
			  FROM (SELECT stopped.campaign_id, count(*)::integer AS n FROM stopped GROUP BY 1) x
			  JOIN @extschema@.campaign c2 ON c2.campaign_id = x.campaign_id) f
	 WHERE c.campaign_id = f.campaign_id
	RETURNING 1
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
 WHERE a.action_id = p.action_id AND NOT p.suppressed
RETURNING a.action_id, a.attempts + 1, a.idempotency_key, p.url, p.auth_header,
		  a.campaign_id, a.campaign_lead_id, p.lead_id, p.email, p.linkedin_url,
		  p.first_name, p.last_name, p.company, p.title, p.timezone, p.fields,
		  a.step, a.variant, a.channel, a.action_type, p.template_id,
		  p.missing, p.sender_profile_id, p.track_clicks,
		  p.ai_personalization, p.prompt, a.due_at, p.subject,
		  p.body, a.alias_id, p.alias_email, a.connected_account_id,
		  a.user_id, p.auth_context;
END
$$;
COMMENT ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) IS
'The claim: takes up to n due actions (queued and due, or in flight past their lease) of active campaigns and live leads, oldest first, skipping locked rows; an action whose lead is on the suppression list is cancelled and its lead stopped (suppressed); marks the others in flight for lease_ms and returns each request''s parts (templates rendered for the lead; the auth header encrypted, with the owner and context it decrypts for), from which _dispatch_claim and the worker build the request.';
REVOKE ALL ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_claim(n integer, lease_ms integer)
	RETURNS TABLE (action_id bigint, attempt integer, idempotency_key text,
				   url text, auth_header text, body text)
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'campaigns_dispatch_claim';
COMMENT ON FUNCTION @extschema@._dispatch_claim(integer, integer) IS
'Claims up to n due actions (queued and due, or in flight past their lease) of active campaigns and live leads, oldest first, skipping locked rows; marks them in flight for lease_ms and returns each request: the attempt it is (attempts counts recorded outcomes), URL, auth header line with its value redacted (or why it cannot be sent) and JSON body (built by the same C code the worker uses).';
REVOKE ALL ON FUNCTION @extschema@._dispatch_claim(integer, integer) FROM PUBLIC;

-- Stats ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.campaign_stats(campaign_id uuid) RETURNS jsonb
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
	), zero_events AS (
		-- every lead event type
		SELECT jsonb_build_object('replied', 0, 'bounced', 0, 'soft_bounce', 0, 'unsubscribed', 0,
								  'complained', 0, 'auto_reply', 0, 'opened', 0, 'clicked', 0,
								  'connection_accepted', 0) AS ze
	), zero AS (
		SELECT jsonb_build_object('queued', 0, 'in_flight', 0, 'sent', 0, 'failed', 0, 'cancelled', 0)
			   || (SELECT ze FROM zero_events) AS z
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
		'leads', (SELECT jsonb_build_object('pending', 0, 'active', 0, 'paused', 0, 'completed', 0, 'stopped', 0, 'failed', 0)
						 || coalesce(jsonb_object_agg(status, n), '{}')
					FROM (SELECT cl.status, count(*) AS n FROM @extschema@.campaign_lead cl
						   WHERE cl.campaign_id = c.campaign_id AND cl.user_id = uid GROUP BY 1) t),
		'actions', (SELECT z FROM zero)
				   || coalesce((SELECT jsonb_object_agg(k, n) FROM (SELECT k, sum(n) AS n FROM counts GROUP BY k) t), '{}'),
		'events', (SELECT (SELECT ze FROM zero_events) || jsonb_build_object('notification', 0)
						  || coalesce(jsonb_object_agg(type, n), '{}')
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
'Counts of a campaign: leads by status; actions by state and lead events (every type, zero included) in total, per step and per variant (an event counts against the last step sent to its lead); events of every type, notifications included; the daily roll-up.  SQLSTATE P0002 when the caller has no such campaign.';
GRANT EXECUTE ON FUNCTION @extschema@.campaign_stats(uuid) TO campaigns_user;

-- Maintenance (pg_cron) -------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.stats_rollup(since date DEFAULT (now() AT TIME ZONE 'UTC')::date - 1)
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

CREATE OR REPLACE FUNCTION @extschema@.purge_old(keep_days integer DEFAULT 90) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@.schedule_maintenance(keep_days integer DEFAULT 90) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION @extschema@._dispatch_next_due() RETURNS timestamptz
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

CREATE OR REPLACE FUNCTION @extschema@._dispatch_release() RETURNS integer
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
