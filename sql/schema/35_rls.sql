-- Row-level security: each user sees and writes only rows whose user_id is
-- current_user_id().  (Superusers and the table owner bypass RLS, which is
-- why every API query also filters on user_id explicitly.)
DO $rls$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['api_key', 'dataset', 'lead', 'template', 'sender_profile',
							 'email_alias', 'connected_account', 'delivery_endpoint',
							 'campaign', 'campaign_lead', 'action', 'event',
							 'campaign_daily_stats']
	LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('DROP POLICY IF EXISTS tenant ON @extschema@.%I', t);
		EXECUTE format('CREATE POLICY tenant ON @extschema@.%I
							USING (user_id = (SELECT @extschema@.current_user_id()))
							WITH CHECK (user_id = (SELECT @extschema@.current_user_id()))', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.%I TO campaigns_user', t);
	END LOOP;
END
$rls$;

