-- Row-level security: each user sees only rows whose user_id is
-- current_user_id().  Enabled and forced on every table (90_grants.sql
-- checks that no table of the schema is left out).  Superusers bypass RLS,
-- and the API functions run as the extension owner (SECURITY DEFINER), which
-- is why every API query also filters on user_id explicitly; RLS is what
-- holds for the SELECTs tenants may run on the tables directly.
DO $rls$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['api_key', 'dataset', 'lead', 'template', 'sender_profile',
							 'email_alias', 'connected_account', 'delivery_endpoint',
							 'campaign', 'campaign_lead', 'action', 'event',
							 'campaign_daily_stats', 'suppression']
	LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE @extschema@.%I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('DROP POLICY IF EXISTS tenant ON @extschema@.%I', t);
		EXECUTE format('CREATE POLICY tenant ON @extschema@.%I
							USING (user_id = (SELECT @extschema@.current_user_id()))
							WITH CHECK (user_id = (SELECT @extschema@.current_user_id()))', t);
	END LOOP;
END
$rls$;
