-- Privileges (SPEC §10), applied last and from scratch on every install and
-- upgrade: this file is the one place that says who may do what.
--
--   ownership      every object of the schema belongs to the extension's
--                  owner; no tenant or gateway role owns anything, so none
--                  can ALTER, DROP, RENAME or replace it
--   API functions  campaigns_user may EXECUTE exactly the functions listed
--                  below; each is SECURITY DEFINER with search_path and
--                  standard_conforming_strings pinned (with the latter off,
--                  a caller's session would compile the PL/pgSQL bodies
--                  with backslash escapes, and their regexes would change
--                  meaning).  CREATE OR REPLACE on upgrade resets these
--                  attributes; this file, run after it, sets them again.
--                  Each filters every query on current_user_id() itself
--                  (the owner bypasses row-level security).
--   helpers        a few pure C functions campaigns_user may EXECUTE as it
--                  is (invoker): they read no table and resolve no name
--   tables         no INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES or
--                  TRIGGER for anyone but the owner; SELECT, under forced
--                  row-level security, on the tables listed below
--   gateway        campaigns_gateway may EXECUTE http_handle and nothing else
-- Everything else (keys, bindings, maintenance, the worker's functions, the
-- cluster-wide worker view) is the owner's alone.  docs/security.md says
-- the same for operators; sql/80_privileges.sql checks it from the catalog.

-- Ownership: the extension's owner (the installing superuser) owns the
-- schema and everything in it.  (0.1.0 gave http_handle to campaigns_user.)
DO $owner$
DECLARE
	owner_oid oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'campaigns');
	owner_name name := (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = owner_oid);
	o record;
BEGIN
	IF (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid = '@extschema@'::regnamespace)
	   <> owner_oid THEN
		EXECUTE format('ALTER SCHEMA @extschema@ OWNER TO %I', owner_name);
	END IF;
	FOR o IN SELECT p.oid::regprocedure AS f FROM pg_catalog.pg_proc p
			  WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proowner <> owner_oid
	LOOP
		EXECUTE format('ALTER ROUTINE %s OWNER TO %I', o.f, owner_name);
	END LOOP;
	FOR o IN SELECT c.oid::regclass AS r, c.relkind FROM pg_catalog.pg_class c
			  WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relowner <> owner_oid
				AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
	LOOP
		EXECUTE format('ALTER %s %s OWNER TO %I',
					   CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
									  WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
					   o.r, owner_name);
	END LOOP;
END
$owner$;

-- Nothing for anyone but the owner, then what is granted below.
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
REVOKE CREATE ON SCHEMA @extschema@ FROM campaigns_user, campaigns_gateway;
GRANT USAGE ON SCHEMA @extschema@ TO campaigns_user, campaigns_gateway;
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC, campaigns_user, campaigns_gateway;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC, campaigns_user, campaigns_gateway;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC, campaigns_user, campaigns_gateway;

-- Row-level security enabled and forced on every table of the schema, also
-- on those without a policy (nothing is visible through them but to the
-- owner): a table added later cannot be left open by mistake.
DO $rls$
DECLARE
	t regclass;
BEGIN
	FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
			  WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p')
	LOOP
		EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
	END LOOP;
END
$rls$;

-- The API: the functions of SPEC §3-§8 a tenant calls (those of the HTTP
-- routes, and the count of each list), SECURITY DEFINER with search_path
-- pinned.  A new API function is added here; sql/80_privileges.sql lists
-- them, so a change shows in its expected output.
DO $api$
DECLARE
	f regprocedure;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'@extschema@.campaign_create(jsonb)',
		'@extschema@.campaign_get(uuid)',
		'@extschema@.campaign_list(jsonb)',
		'@extschema@.campaign_count(jsonb)',
		'@extschema@.campaign_update(uuid, jsonb)',
		'@extschema@.campaign_delete(uuid)',
		'@extschema@.campaign_launch(uuid)',
		'@extschema@.campaign_pause(uuid)',
		'@extschema@.campaign_resume(uuid)',
		'@extschema@.campaign_stop(uuid)',
		'@extschema@.campaign_unschedule(uuid)',
		'@extschema@.campaign_reset(uuid)',
		'@extschema@.campaign_playground_review(uuid)',
		'@extschema@.campaign_stats(uuid)',
		'@extschema@.campaign_forecast(uuid, integer)',
		'@extschema@.campaign_leads(uuid, jsonb)',
		'@extschema@.lead_events(uuid, uuid)',
		'@extschema@.lead_event_record(uuid, uuid, jsonb)',
		'@extschema@.campaign_lead_pause(uuid, uuid)',
		'@extschema@.campaign_lead_resume(uuid, uuid)',
		'@extschema@.campaign_lead_remove(uuid, uuid)',
		'@extschema@.suppression_create(jsonb)',
		'@extschema@.suppression_import(jsonb)',
		'@extschema@.suppression_import_csv(text)',
		'@extschema@.suppression_list(jsonb)',
		'@extschema@.suppression_count(jsonb)',
		'@extschema@.suppression_get(uuid)',
		'@extschema@.suppression_delete(uuid)',
		'@extschema@.dataset_create(jsonb)',
		'@extschema@.dataset_get(uuid)',
		'@extschema@.dataset_list(jsonb)',
		'@extschema@.dataset_count(jsonb)',
		'@extschema@.dataset_delete(uuid)',
		'@extschema@.dataset_add_leads(uuid, jsonb)',
		'@extschema@.dataset_add_leads_csv(uuid, text)',
		'@extschema@.dataset_leads(uuid, jsonb)',
		'@extschema@.template_create(jsonb)',
		'@extschema@.template_get(uuid)',
		'@extschema@.template_list(jsonb)',
		'@extschema@.template_count(jsonb)',
		'@extschema@.template_update(uuid, jsonb)',
		'@extschema@.template_delete(uuid)',
		'@extschema@.sender_profile_create(jsonb)',
		'@extschema@.sender_profile_get(uuid)',
		'@extschema@.sender_profile_list(jsonb)',
		'@extschema@.sender_profile_count(jsonb)',
		'@extschema@.sender_profile_update(uuid, jsonb)',
		'@extschema@.sender_profile_delete(uuid)',
		'@extschema@.alias_create(jsonb)',
		'@extschema@.alias_list(jsonb)',
		'@extschema@.alias_count(jsonb)',
		'@extschema@.connected_account_create(jsonb)',
		'@extschema@.connected_account_list(jsonb)',
		'@extschema@.connected_account_count(jsonb)',
		'@extschema@.delivery_endpoint_create(jsonb)',
		'@extschema@.delivery_endpoint_get(uuid)',
		'@extschema@.delivery_endpoint_list(jsonb)',
		'@extschema@.delivery_endpoint_count(jsonb)',
		'@extschema@.delivery_endpoint_update(uuid, jsonb)',
		'@extschema@.delivery_endpoint_delete(uuid)',
		-- behind the view tenant_worker_status
		'@extschema@._worker_running()'
	]::regprocedure[]
	LOOP
		EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f);
		EXECUTE format('ALTER FUNCTION %s SET standard_conforming_strings = on', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO campaigns_user', f);
	END LOOP;
END
$api$;

-- Pure helpers, as they are (SECURITY INVOKER, no SET): C that reads no
-- table and looks up no name, so a caller's search_path cannot redirect
-- them.  current_user_id() is also what the row-level security policies
-- call (and a SET clause on it would cost every policy check a GUC save).
GRANT EXECUTE ON FUNCTION
	@extschema@.current_user_id(),
	@extschema@.status_transitions(),
	@extschema@.render_template(text, jsonb),
	@extschema@.next_send_time(timestamptz, time, time, text, text[], integer, integer, date, integer, timestamptz),
	@extschema@.add_local_days(timestamptz, integer, text),
	@extschema@.pick_variant(uuid, uuid, integer, integer[])
TO campaigns_user;

-- What tenants may read directly: SELECT under row-level security (their
-- own rows), never a secret: not api_key at all, not the auth header of a
-- delivery endpoint.  The routes and the free-mail domains are no one's
-- data.
GRANT SELECT ON
	@extschema@.dataset, @extschema@.lead, @extschema@.template, @extschema@.sender_profile,
	@extschema@.email_alias, @extschema@.connected_account, @extschema@.campaign,
	@extschema@.campaign_lead, @extschema@.action, @extschema@.event,
	@extschema@.campaign_daily_stats, @extschema@.suppression, @extschema@.free_mail_domain,
	@extschema@.http_route, @extschema@.tenant_worker_status
TO campaigns_user;
GRANT SELECT (user_id, channel, url, delivery_endpoint_id, created_at, updated_at)
	ON @extschema@.delivery_endpoint TO campaigns_user;

-- The gateway: http_handle, and nothing else.  (Its helpers are PL/pgSQL,
-- compiled in the gateway's session: the same pin as the API.)
ALTER FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) SET standard_conforming_strings = on;
GRANT EXECUTE ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) TO campaigns_gateway;
