-- Privileges.  campaigns_user may call the SQL API (SECURITY INVOKER: row
-- level security applies); administrative and worker functions stay with
-- the extension owner; PUBLIC gets nothing, so the gateway's role can run
-- http_handle and nothing else.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ TO campaigns_user;
DO $grants$
DECLARE
	f regprocedure;
BEGIN
	-- Administrative and worker-only functions.
	FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
			  WHERE p.pronamespace = '@extschema@'::regnamespace
				AND p.proname IN ('api_key_create', 'api_key_revoke', '_api_key_token', 'tick',
								  'action_record_outcome', 'action_record_outcomes', '_tick', '_queue_due', '_queue_pass', '_start_scheduled',
								  'schedule_maintenance', 'http_rate_usage', '_http_rate_shared')
	LOOP
		EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM campaigns_user', f);
	END LOOP;
END
$grants$;
