-- Fallback for _campaign_json, the response body of a campaign, which the
-- campaign API (schema/4x) defines.  Created only when that definition is
-- absent, so the scheduler's files work on their own and step aside once
-- the API lands.
DO $fallback$
BEGIN
	IF to_regprocedure('@extschema@._campaign_json(@extschema@.campaign)') IS NULL THEN
		CREATE FUNCTION @extschema@._campaign_json(c @extschema@.campaign) RETURNS jsonb
		LANGUAGE sql STABLE
		SET search_path = pg_catalog, pg_temp
		AS $f$
			SELECT to_jsonb(c) - ARRAY['user_id', 'activated_at', 'next_action_at', 'pace_day', 'pace_day_count',
									   'lane_last_sent_at', 'lane_email_count', 'lane_cursor', 'enrol_cursor',
									   'failure_streak']
		$f$;
		COMMENT ON FUNCTION @extschema@._campaign_json(@extschema@.campaign) IS
		'Fallback response body of a campaign (replaced by the campaign API''s definition).';
	END IF;
END
$fallback$;
