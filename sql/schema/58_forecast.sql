-- The forecast (SPEC §6): planned sends per local day and the next send
-- time.  It runs the scheduler itself (_tick for this one campaign, with
-- every queued action taken as sent when due) over the coming days inside a
-- subtransaction that is always rolled back, so the answer follows exactly
-- the rules and C arithmetic that tick applies, and nothing is changed.
-- Repeated updates of one row inside one transaction grow its version chain,
-- so the simulation's cost grows with the square of its length: it stops
-- after 1,000 sends (truncated = true; later days are null, not 0).

CREATE OR REPLACE FUNCTION @extschema@._forecast(cid uuid, days integer, from_ts timestamptz) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c @extschema@.campaign;
	horizon timestamptz;
	t timestamptz;
	nxt timestamptz;
	r jsonb;
	per_day jsonb := '{}';
	first_send timestamptz;
	planned integer := 0;
	budget constant integer := 1000;
	stopped_day date;
	truncated boolean := false;
	ids bigint[];
	ats timestamptz[];
	d text;
	result jsonb;
	i integer := 0;
BEGIN
	-- SECURITY DEFINER (the simulation writes rows that are rolled back), so
	-- the caller's ownership is checked here.
	SELECT * INTO c FROM @extschema@.campaign x
	 WHERE x.campaign_id = cid AND x.user_id = @extschema@.current_user_id()
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign not found' USING ERRCODE = 'P0002';
	END IF;
	IF days IS NULL OR days < 1 OR days > 366 THEN
		RAISE EXCEPTION 'days must be between 1 and 366' USING ERRCODE = '22023';
	END IF;
	horizon := @extschema@.add_local_days(
		((from_ts AT TIME ZONE c.timezone)::date::timestamp AT TIME ZONE c.timezone), days, c.timezone);

	BEGIN
		-- Inside the simulation, which is always rolled back, triggers
		-- (foreign-key checks, the status guard, the worker's wake-up) only
		-- cost time: the same code paths run, their checks did at the real
		-- transitions.
		SET LOCAL session_replication_role = replica;
		IF c.status IN ('active', 'scheduled', 'launching') THEN
			-- What is queued or in flight now goes out first.
			SELECT array_agg(a.action_id), array_agg(greatest(a.next_attempt_at, from_ts))
			  INTO ids, ats
			  FROM @extschema@.action a
			 WHERE a.campaign_id = cid AND a.state IN ('queued', 'in_flight');
			IF ids IS NOT NULL THEN
				FOR i IN 1 .. cardinality(ids) LOOP
					d := to_char(ats[i] AT TIME ZONE c.timezone, 'YYYY-MM-DD');
					per_day := jsonb_set(per_day, ARRAY[d], to_jsonb(coalesce((per_day ->> d)::int, 0) + 1));
					first_send := least(first_send, ats[i]);
					planned := planned + 1;
				END LOOP;
				UPDATE @extschema@.action SET state = 'in_flight' WHERE action_id = ANY (ids);
				PERFORM @extschema@.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
														   ats, NULL, NULL, NULL);
			END IF;
			UPDATE @extschema@.campaign x SET next_action_at = from_ts
			 WHERE x.campaign_id = cid AND x.status = 'active';

			t := from_ts;
			LOOP
				r := @extschema@._tick(t, cid);
				SELECT array_agg(a.action_id ORDER BY a.action_id) INTO ids
				  FROM @extschema@.action a WHERE a.campaign_id = cid AND a.state = 'queued';
				IF ids IS NOT NULL THEN
					d := to_char(t AT TIME ZONE c.timezone, 'YYYY-MM-DD');
					per_day := jsonb_set(per_day, ARRAY[d], to_jsonb(coalesce((per_day ->> d)::int, 0) + cardinality(ids)));
					first_send := least(first_send, t);
					planned := planned + cardinality(ids);
					UPDATE @extschema@.action SET state = 'in_flight' WHERE action_id = ANY (ids);
					PERFORM @extschema@.action_record_outcomes(ids, array_fill('sent'::text, ARRAY[cardinality(ids)]),
															   array_fill(t, ARRAY[cardinality(ids)]), NULL, NULL, NULL);
				END IF;
				SELECT x.next_action_at INTO nxt FROM @extschema@.campaign x
				 WHERE x.campaign_id = cid AND x.status IN ('launching', 'scheduled', 'active');
				EXIT WHEN nxt IS NULL OR nxt >= horizon;
				IF planned >= budget THEN
					truncated := true;
					stopped_day := (t AT TIME ZONE c.timezone)::date;
					EXIT;
				END IF;
				t := greatest(nxt, t + interval '1 microsecond');
			END LOOP;
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'CMFRC';
	EXCEPTION WHEN SQLSTATE 'CMFRC' THEN
		NULL;	-- everything the simulation did is rolled back
	END;

	-- Dates are YYYY-MM-DD whatever the session's DateStyle (date::text is not).
	SELECT jsonb_build_object(
		'campaign_id', cid,
		'status', c.status,
		'timezone', c.timezone,
		'from', @extschema@._ts(from_ts),
		'days', coalesce(jsonb_agg(jsonb_build_object('date', to_char(g.d, 'YYYY-MM-DD'),
													  'planned_sends', CASE WHEN g.d::date > stopped_day THEN NULL
																			ELSE coalesce((per_day ->> to_char(g.d, 'YYYY-MM-DD'))::int, 0) END)
								   ORDER BY g.d), '[]'),
		'total_planned', planned,
		'next_send_time', @extschema@._ts(first_send),
		'truncated', truncated,
		'reason', CASE
			WHEN c.status IN ('draft', 'launching', 'failed') AND planned = 0 THEN 'campaign is ' || c.status
			WHEN c.status IN ('paused', 'draining') THEN 'campaign is paused' || coalesce(' (' || c.paused_reason || ')', '')
			WHEN c.status = 'completed' THEN 'campaign is completed'
			WHEN planned = 0 THEN 'no lead step becomes sendable in the forecast period'
			END)
	  INTO result
	  FROM generate_series((from_ts AT TIME ZONE c.timezone)::date::timestamp,
						   (from_ts AT TIME ZONE c.timezone)::date::timestamp + make_interval(days => days - 1),
						   interval '1 day') AS g(d);
	RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) IS
'The forecast of the caller''s campaign from a given time (campaign_forecast uses now()).';
REVOKE ALL ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._forecast(uuid, integer, timestamptz) TO campaigns_user;

CREATE OR REPLACE FUNCTION @extschema@.campaign_forecast(campaign_id uuid, days integer) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- ForecastQuery: 1..90, a NULL is the default (14), as an omitted ?days=.
	n integer := (@extschema@._validate('ForecastQuery', jsonb_build_object('days', days)) ->> 'days')::integer;
BEGIN
	PERFORM @extschema@._campaign_lock(campaign_id);
	RETURN @extschema@._forecast(campaign_id, n, now());
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_forecast(uuid, integer) IS
'Planned sends per local day for the next days (1..90, default 14) and the next send time, computed by running the scheduler''s own rules on a copy that is rolled back.';
GRANT EXECUTE ON FUNCTION @extschema@.campaign_forecast(uuid, integer) TO campaigns_user;
ALTER FUNCTION @extschema@._forecast(uuid, integer, timestamptz) SET jit = off;
-- The simulation runs the same few statements thousands of times for one
-- campaign: generic plans, planned once, fit that (tick itself keeps custom
-- plans, sized to the number of campaigns due).
ALTER FUNCTION @extschema@._forecast(uuid, integer, timestamptz) SET plan_cache_mode = force_generic_plan;
