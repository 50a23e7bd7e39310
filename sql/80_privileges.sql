-- The tenant boundary at the privilege level (SPEC §10), attacked from a
-- non-superuser tenant login role and from the gateway's role, with every
-- statement generated from the catalog so that objects added later are
-- attacked too: ownership, DML on every table, DDL on every function, view,
-- table and sequence and in the schema, EXECUTE of everything that is not
-- the API, search_path shadowing and hostile settings, and the tenant's own
-- worker view.  (References across tenants: 81_references.sql; role
-- bindings: 82_role_bind.sql.)  Users 00000000-0000-0000-0080-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS priv80_tenant;
DROP ROLE IF EXISTS priv80_gw;
RESET client_min_messages;
CREATE ROLE priv80_tenant LOGIN;
GRANT campaigns_user TO priv80_tenant;
CREATE ROLE priv80_gw LOGIN;
GRANT campaigns_gateway TO priv80_gw;

-- attempt(sql): 'ok' when sql succeeds (and then it is rolled back all the
-- same), else its SQLSTATE.
CREATE FUNCTION pg_temp.attempt(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text;
BEGIN
	BEGIN
		EXECUTE sql;
		RAISE EXCEPTION USING ERRCODE = 'CMOK0';
	EXCEPTION WHEN SQLSTATE 'CMOK0' THEN
		RETURN 'ok';
	END;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
	RETURN st;
END $$;

-- Every statement that must be refused, generated from the catalog: DML on
-- every table; ALTER, RENAME, SET search_path, OWNER, DROP and CREATE OR
-- REPLACE on every function; the same on every view, table and sequence;
-- CREATE in the schema; calling every function the role may not execute.
CREATE FUNCTION pg_temp.attacks(who text) RETURNS TABLE (kind text, object text, stmt text)
LANGUAGE sql AS $$
	WITH tab AS (
		SELECT c.oid::regclass AS t, c.relkind,
			   (SELECT quote_ident(a.attname) FROM pg_attribute a
				 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
				   AND a.attgenerated = '' AND a.attidentity = '' ORDER BY a.attnum LIMIT 1) AS col
		  FROM pg_class c WHERE c.relnamespace = 'campaigns'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
	), fn AS (
		SELECT p.oid, format('%I.%I', n.nspname, p.proname) AS qname, p.oid::regprocedure::text AS sig,
			   format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS ident,
			   p.prorettype = 'trigger'::regtype AS is_trigger,
			   -- (sub-selects: a strict function of constant NULLs would be
			   -- folded away by the planner, never executed nor checked)
			   (SELECT string_agg('(SELECT NULL::' || format_type(a, NULL) || ')', ', ' ORDER BY o)
				  FROM unnest(p.proargtypes) WITH ORDINALITY AS x(a, o)) AS null_args
		  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'campaigns'
	)
	-- DML on every table
	SELECT 'dml', t::text, s FROM tab,
		   unnest(ARRAY[format('INSERT INTO %s DEFAULT VALUES', t),
						format('UPDATE %s SET %s = %s', t, col, col),
						format('DELETE FROM %s', t),
						format('TRUNCATE %s', t)]) s
	 WHERE relkind IN ('r', 'p')
	UNION ALL
	-- DDL on every table
	SELECT 'table ddl', t::text, s FROM tab,
		   unnest(ARRAY[format('ALTER TABLE %s RENAME TO pwned', t),
						format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t),
						format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t),
						format('ALTER TABLE %s DISABLE TRIGGER ALL', t),
						format('ALTER TABLE %s OWNER TO %I', t, who),
						format('ALTER TABLE %s ADD COLUMN pwned int', t),
						format('CREATE POLICY pwned ON %s USING (true)', t),
						format('CREATE INDEX ON %s (%s)', t, col),
						format('CREATE TRIGGER pwned BEFORE INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION campaigns._wake_trigger()', t),
						format('COMMENT ON TABLE %s IS %L', t, 'pwned'),
						format('LOCK TABLE %s IN EXCLUSIVE MODE', t),
						format('DROP TABLE %s CASCADE', t)]) s
	 WHERE relkind IN ('r', 'p')
	UNION ALL
	SELECT 'table ddl', po.polrelid::regclass::text, format('DROP POLICY %I ON %s', po.polname, po.polrelid::regclass)
	  FROM pg_policy po JOIN tab ON tab.t = po.polrelid
	UNION ALL
	SELECT 'table ddl', po.polrelid::regclass::text, format('ALTER POLICY %I ON %s USING (true)', po.polname, po.polrelid::regclass)
	  FROM pg_policy po JOIN tab ON tab.t = po.polrelid
	UNION ALL
	-- DDL on every view
	SELECT 'view ddl', t::text, s FROM tab,
		   unnest(ARRAY[format('ALTER VIEW %s RENAME TO pwned', t),
						format('ALTER VIEW %s OWNER TO %I', t, who),
						format('ALTER VIEW %s SET (security_barrier = false)', t),
						format('CREATE OR REPLACE VIEW %s AS %s', t, pg_get_viewdef(t)),
						format('DROP VIEW %s CASCADE', t)]) s
	 WHERE relkind = 'v'
	UNION ALL
	-- every sequence
	SELECT 'sequence', t::text, s FROM tab,
		   unnest(ARRAY[format('SELECT setval(%L, 1)', t), format('SELECT nextval(%L)', t),
						format('ALTER SEQUENCE %s RESTART', t), format('DROP SEQUENCE %s CASCADE', t)]) s
	 WHERE relkind = 'S'
	UNION ALL
	-- DDL on every function
	SELECT 'function ddl', sig, s FROM fn,
		   unnest(ARRAY[format('ALTER FUNCTION %s SECURITY INVOKER', ident),
						format('ALTER FUNCTION %s SECURITY DEFINER', ident),
						format('ALTER FUNCTION %s SET search_path = public, pg_catalog', ident),
						format('ALTER FUNCTION %s RESET ALL', ident),
						format('ALTER FUNCTION %s RENAME TO pwned', ident),
						format('ALTER FUNCTION %s OWNER TO %I', ident, who),
						format('COMMENT ON FUNCTION %s IS %L', ident, 'pwned'),
						format('DROP FUNCTION %s CASCADE', ident),
						format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS %s LANGUAGE sql AS %L', qname,
							   pg_get_function_arguments(oid), pg_get_function_result(oid), 'SELECT NULL')]) s
	UNION ALL
	-- calling what the role may not execute (trigger functions cannot be called)
	SELECT 'execute', sig, format('SELECT %s(%s)', qname, null_args) FROM fn
	 WHERE NOT is_trigger AND NOT has_function_privilege(who, oid, 'EXECUTE')
	UNION ALL
	-- the schema and the extension
	SELECT 'schema', 'campaigns', s FROM
		   unnest(ARRAY['CREATE TABLE campaigns.pwned (a int)',
						'CREATE FUNCTION campaigns.pwned() RETURNS int LANGUAGE sql AS $x$SELECT 1$x$',
						'CREATE FUNCTION campaigns.current_user_id(int) RETURNS uuid LANGUAGE sql AS $x$SELECT NULL::uuid$x$',
						'CREATE VIEW campaigns.pwned AS SELECT 1',
						'CREATE TYPE campaigns.pwned AS (a int)',
						'CREATE SEQUENCE campaigns.pwned',
						'CREATE OPERATOR campaigns.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = pg_catalog.uuid_ne)',
						'ALTER SCHEMA campaigns RENAME TO pwned',
						format('ALTER SCHEMA campaigns OWNER TO %I', who),
						'DROP SCHEMA campaigns CASCADE',
						'ALTER EXTENSION campaigns UPDATE',
						'ALTER EXTENSION campaigns DROP FUNCTION campaigns.current_user_id()',
						'DROP EXTENSION campaigns CASCADE']) s
$$;

-- Data to attack: user A's objects through the API.
SET campaigns.user_id = '00000000-0000-0000-0080-00000000000a';
SELECT campaigns.dataset_create('{"name": "A", "leads": [{"email": "l1@a.example"}, {"email": "l2@a.example"}]}') ->> 'dataset_id' AS a_ds \gset
SELECT campaigns.template_create('{"name": "t", "channel": "email", "subject": "Hi", "body": "Hello {{first_name|you}}"}') ->> 'template_id' AS a_tpl \gset
SELECT campaigns.alias_create('{"alias_id": "a1", "full_email": "a1@a.example"}') IS NOT NULL AS alias;
SELECT campaigns.campaign_create(jsonb_build_object('name', 'A', 'dataset_id', :'a_ds', 'alias_ids', '["a1"]'::jsonb,
	'sending_window_start', '00:00', 'sending_window_end', '24:00',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', :'a_tpl')))))) ->> 'campaign_id' AS a_c \gset
SELECT campaigns.campaign_launch(:'a_c') -> 'campaign' ->> 'status' AS launched;
SELECT campaigns.api_key_create('00000000-0000-0000-0080-00000000000a', 'a') AS a_key \gset
RESET campaigns.user_id;

----------------------------------------------------------------------------
-- Ownership: the extension's owner owns the schema and everything in it;
-- no role but the owner may create in the schema.
SELECT count(*) FILTER (WHERE owner <> ext_owner) AS not_owned_by_the_owner,
	   string_agg(what, ', ') FILTER (WHERE owner <> ext_owner) AS which,
	   count(*) > 50 AS objects_checked
  FROM (SELECT e.extowner AS ext_owner FROM pg_extension e WHERE e.extname = 'campaigns') e,
	   LATERAL (SELECT c.relowner, c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'campaigns'::regnamespace
				UNION ALL SELECT p.proowner, p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'campaigns'::regnamespace
				UNION ALL SELECT t.typowner, t.oid::regtype::text FROM pg_type t WHERE t.typnamespace = 'campaigns'::regnamespace
				UNION ALL SELECT n.nspowner, 'schema ' || n.nspname FROM pg_namespace n WHERE n.nspname = 'campaigns') o(owner, what);
SELECT (SELECT rolname FROM pg_roles WHERE oid = e.extowner) = current_user AS owner_is_the_installer,
	   (SELECT rolsuper FROM pg_roles WHERE oid = e.extowner) AS owner_is_superuser
  FROM pg_extension e WHERE e.extname = 'campaigns';
SELECT r AS role, has_schema_privilege(r, 'campaigns', 'CREATE') AS may_create_in_schema,
	   has_schema_privilege(r, 'campaigns', 'USAGE') AS may_use_schema,
	   (SELECT count(*) FROM pg_class c WHERE c.relowner = r::regrole) +
	   (SELECT count(*) FROM pg_proc p WHERE p.proowner = r::regrole) AS objects_owned
  FROM unnest(ARRAY['campaigns_user', 'campaigns_gateway', 'priv80_tenant', 'priv80_gw']) r;
-- Row-level security: enabled and forced on every table.
SELECT count(*) AS tables, count(*) FILTER (WHERE NOT (relrowsecurity AND relforcerowsecurity)) AS without_forced_rls
  FROM pg_class WHERE relnamespace = 'campaigns'::regnamespace AND relkind IN ('r', 'p');
-- Nobody but the owner holds any privilege WITH GRANT OPTION, or any
-- privilege but SELECT on a table.
SELECT count(*) AS grantable_or_writable
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'campaigns'::regnamespace AND a.grantee <> c.relowner
   AND (a.is_grantable OR a.privilege_type <> 'SELECT');
SELECT count(*) AS column_grants_beyond_select
  FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid, aclexplode(att.attacl) a
 WHERE c.relnamespace = 'campaigns'::regnamespace AND (a.is_grantable OR a.privilege_type <> 'SELECT');

----------------------------------------------------------------------------
-- What the tenant role may use: EXECUTE on exactly these functions (a new
-- API function shows here), each SECURITY DEFINER with search_path pinned,
-- except the pure C helpers, which run as the caller and look nothing up.
SELECT p.oid::regprocedure AS executable, CASE
		WHEN p.prosecdef AND p.proconfig @> '{"search_path=pg_catalog, pg_temp", standard_conforming_strings=on}'
			THEN 'definer, search_path pinned'
		WHEN NOT p.prosecdef AND l.lanname = 'c' AND p.proconfig IS NULL THEN 'pure C helper'
		ELSE 'UNSAFE: ' || l.lanname || ' definer=' || p.prosecdef || ' config=' || coalesce(p.proconfig::text, '-') END AS how
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'campaigns'::regnamespace AND has_function_privilege('priv80_tenant', p.oid, 'EXECUTE')
 ORDER BY 1::text;
-- The pure helpers are C and read no table (none of them runs SQL).
SELECT p.oid::regprocedure AS helper, p.provolatile, l.lanname
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'campaigns'::regnamespace AND has_function_privilege('priv80_tenant', p.oid, 'EXECUTE')
   AND NOT p.prosecdef ORDER BY 1::text;
-- ... and SELECT, under row-level security, on these tables (the columns of
-- delivery_endpoint but its auth header); never api_key, never a secret.
SELECT c.relname AS readable, CASE WHEN has_table_privilege('priv80_tenant', c.oid, 'SELECT') THEN 'all columns'
		ELSE (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
			   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
				 AND has_column_privilege('priv80_tenant', c.oid, a.attnum, 'SELECT')) END AS columns
  FROM pg_class c WHERE c.relnamespace = 'campaigns'::regnamespace AND c.relkind IN ('r', 'p', 'v')
   AND has_any_column_privilege('priv80_tenant', c.oid, 'SELECT') ORDER BY 1;
-- The gateway's role: http_handle, and nothing else at all.
SELECT p.oid::regprocedure AS gateway_executes
  FROM pg_proc p WHERE p.pronamespace = 'campaigns'::regnamespace AND has_function_privilege('priv80_gw', p.oid, 'EXECUTE');
SELECT count(*) AS gateway_readable_relations
  FROM pg_class c WHERE c.relnamespace = 'campaigns'::regnamespace AND has_any_column_privilege('priv80_gw', c.oid, 'SELECT');

----------------------------------------------------------------------------
-- The attacks, as the tenant's login role (a non-superuser session: SET
-- SESSION AUTHORIZATION changes session_user too), then as the gateway's.
-- Every statement must be refused with 42501 (insufficient privilege).
SET SESSION AUTHORIZATION priv80_tenant;
SELECT session_user, current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = session_user;
SET campaigns.user_id = '00000000-0000-0000-0080-00000000000a';
CREATE TEMP TABLE tenant_results AS
SELECT kind, object, stmt, pg_temp.attempt(stmt) AS result FROM pg_temp.attacks(session_user);
SELECT kind, count(*) > 0 AS attempted, count(*) FILTER (WHERE result <> '42501') AS not_refused
  FROM tenant_results GROUP BY kind ORDER BY kind;
SELECT kind, object, stmt, result FROM tenant_results WHERE result <> '42501' ORDER BY 1, 2, 3;
-- Every table was attacked, and every function.
SELECT (SELECT count(DISTINCT object) FROM tenant_results WHERE kind = 'dml')
		 = (SELECT count(*) FROM pg_class WHERE relnamespace = 'campaigns'::regnamespace AND relkind IN ('r', 'p')) AS every_table,
	   (SELECT count(DISTINCT object) FROM tenant_results WHERE kind = 'function ddl')
		 = (SELECT count(*) FROM pg_proc WHERE pronamespace = 'campaigns'::regnamespace) AS every_function;
-- The owner-only functions by name (SPEC §10 "Administration"), among them.
SELECT f AS owner_only, (SELECT result FROM tenant_results WHERE kind = 'execute' AND object = f) AS result
  FROM unnest(ARRAY['campaigns.api_key_create(uuid,text)', 'campaigns.api_key_revoke(text)',
					'campaigns.api_key_set_rate_limit(uuid,integer)', 'campaigns.role_bind(regrole,uuid)',
					'campaigns.role_unbind(regrole)', 'campaigns.tick(timestamp with time zone)',
					'campaigns.purge_old(integer)', 'campaigns.stats_rollup(date)',
					'campaigns.schedule_maintenance(integer)',
					'campaigns.action_record_outcome(bigint,text,timestamp with time zone,integer,text,timestamp with time zone)',
					'campaigns.http_rate_usage()', 'campaigns._dispatch_claim(integer,integer)',
					'campaigns._worker_status()', 'campaigns._campaign_validate(jsonb,uuid,boolean)',
					'campaigns._forecast(uuid,integer,timestamp with time zone)',
					'campaigns.http_handle(text,text,text,jsonb,text)']) f;
SELECT pg_temp.attempt('SELECT * FROM campaigns.worker_status') AS cluster_worker_view,
	   pg_temp.attempt('SELECT * FROM campaigns.api_key') AS api_keys,
	   pg_temp.attempt('SELECT auth_header FROM campaigns.delivery_endpoint') AS endpoint_auth_header,
	   pg_temp.attempt('SELECT url FROM campaigns.delivery_endpoint') AS endpoint_url,
	   pg_temp.attempt('SELECT * FROM campaigns.role_binding') AS role_bindings,
	   pg_temp.attempt('SELECT * FROM campaigns.http_rate_window') AS rate_counters;
-- Superuser-only settings: the tenant cannot change how the extension works
-- for anyone (only campaigns.user_id is the tenant's to set).
SELECT name, context, pg_temp.attempt(format('SET %I = %L', name, setting)) AS tenant_set
  FROM pg_settings WHERE name LIKE 'campaigns.%' ORDER BY name;
-- What the tenant may do still works: the API, and reading its own rows.
SELECT jsonb_array_length(campaigns.campaign_list()) AS own_campaigns,
	   (SELECT count(*) FROM campaigns.campaign) AS own_campaign_rows,
	   (SELECT count(*) FROM campaigns.lead) AS own_lead_rows,
	   (SELECT count(*) FROM campaigns.http_route) > 30 AS routes_readable;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION priv80_gw;
CREATE TEMP TABLE gw_results AS
SELECT kind, object, stmt, pg_temp.attempt(stmt) AS result FROM pg_temp.attacks(session_user);
SELECT kind, count(*) > 0 AS attempted, count(*) FILTER (WHERE result <> '42501') AS not_refused
  FROM gw_results GROUP BY kind ORDER BY kind;
SELECT kind, object, stmt, result FROM gw_results WHERE result <> '42501' ORDER BY 1, 2, 3;
-- The gateway reads no table at all (not even the routes) and calls no API
-- function itself ...
SELECT pg_temp.attempt('SELECT 1 FROM campaigns.http_route') AS routes,
	   pg_temp.attempt('SELECT campaigns.campaign_list()') AS campaign_list,
	   pg_temp.attempt('SELECT campaigns.current_user_id()') AS current_user_id;
-- ... and http_handle works end to end for it.
SELECT status, body::jsonb ->> 'user_id' AS user_id
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', jsonb_build_object('Authorization', 'Bearer ' || :'a_key'), NULL);
SELECT status, jsonb_array_length(body::jsonb) AS campaigns
  FROM campaigns.http_handle('GET', '/api/v1/campaigns/', '', jsonb_build_object('Authorization', 'Bearer ' || :'a_key'), NULL);
RESET SESSION AUTHORIZATION;
-- A key's rate limit is the owner's to set (api_key_set_rate_limit), and
-- http_handle applies it from the next request.
SELECT campaigns.api_key_set_rate_limit(api_key_id, 5) AS set_5,
	   campaigns.api_key_set_rate_limit(gen_random_uuid(), 5) AS unknown_key
  FROM campaigns.api_key WHERE user_id = '00000000-0000-0000-0080-00000000000a';
\set VERBOSITY sqlstate
SELECT campaigns.api_key_set_rate_limit(api_key_id, -1) FROM campaigns.api_key WHERE user_id = '00000000-0000-0000-0080-00000000000a';
\set VERBOSITY default
SET SESSION AUTHORIZATION priv80_gw;
SELECT status, headers ->> 'X-RateLimit-Limit' AS rate_limit
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', jsonb_build_object('Authorization', 'Bearer ' || :'a_key'), NULL);
RESET SESSION AUTHORIZATION;
SELECT campaigns.api_key_set_rate_limit(api_key_id, NULL) AS back_to_default
  FROM campaigns.api_key WHERE user_id = '00000000-0000-0000-0080-00000000000a';
SELECT rate_limit_per_minute FROM campaigns.api_key WHERE user_id = '00000000-0000-0000-0080-00000000000a';
SELECT campaigns.api_key_revoke(:'a_key') AS revoked;
SELECT campaigns.api_key_set_rate_limit(api_key_id, 5) AS revoked_key_changed
  FROM campaigns.api_key WHERE user_id = '00000000-0000-0000-0080-00000000000a';
SELECT campaigns.api_key_create('00000000-0000-0000-0080-00000000000a', 'a2') AS a_key \gset
SET SESSION AUTHORIZATION priv80_gw;
-- Temp tables named like the extension's, first in search_path: http_handle
-- (search_path pinned, every name qualified) does not see them.
CREATE TEMP TABLE api_key (token_hash bytea, user_id uuid);
CREATE TEMP TABLE http_route (operation_id text);
SET search_path = pg_temp, pg_catalog;
SELECT status, body::jsonb ->> 'user_id' AS user_id
  FROM campaigns.http_handle('GET', '/api/v1/auth/me', '', jsonb_build_object('Authorization', 'Bearer ' || :'a_key'), NULL);
RESET search_path;
RESET SESSION AUTHORIZATION;
-- Nothing the attacks tried changed anything.
SELECT count(*) AS campaigns_of_a, (SELECT relowner::regrole FROM pg_class WHERE oid = 'campaigns.campaign'::regclass) AS owner,
	   (SELECT proowner::regrole FROM pg_proc WHERE oid = 'campaigns.http_handle(text,text,text,jsonb,text)'::regprocedure) AS http_handle_owner,
	   (SELECT prosecdef FROM pg_proc WHERE oid = 'campaigns.http_handle(text,text,text,jsonb,text)'::regprocedure) AS http_handle_definer
  FROM campaigns.campaign WHERE user_id = '00000000-0000-0000-0080-00000000000a';

----------------------------------------------------------------------------
-- search_path shadowing and hostile settings change nothing.  The tenant
-- owns a schema with its own now(), current_user_id(), gen_random_uuid(),
-- lower() and "=" for uuid and for text, puts it (and temp tables named
-- like the extension's tables) before pg_catalog, sets DateStyle, TimeZone,
-- IntervalStyle, standard_conforming_strings and friends, and runs the same
-- API calls as another tenant does in a plain session: the answers are the
-- same.  Each run is the first thing of a new session, so the API's PL/pgSQL
-- is compiled under the settings of that run.
CREATE SCHEMA evil80 AUTHORIZATION priv80_tenant;
CREATE SCHEMA w80;
GRANT USAGE ON SCHEMA w80 TO priv80_tenant;
-- workload(tag): a run of API calls; their answers with ids and times masked.
CREATE FUNCTION w80.workload(tag text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	ds jsonb; tpl jsonb; c jsonb; r jsonb := '[]';
BEGIN
	ds := campaigns.dataset_create(jsonb_build_object('name', 'W', 'leads',
		jsonb_build_array(jsonb_build_object('email', 'w1@w.example', 'first_name', 'Ann'),
						  jsonb_build_object('email', 'W1@w.example', 'company', 'Acme'))));
	tpl := campaigns.template_create('{"name": "W", "channel": "email", "subject": "Hi {{first_name}}", "body": "B {{company|x}}"}');
	PERFORM campaigns.alias_create(jsonb_build_object('alias_id', 'w-' || tag, 'full_email', 'w@w.example'));
	c := campaigns.campaign_create(jsonb_build_object('name', 'W', 'dataset_id', ds ->> 'dataset_id',
		'alias_ids', jsonb_build_array('w-' || tag), 'timezone', 'Asia/Kathmandu', 'start_date', '2099-03-01T10:00:00+01:00',
		'launch_type', 'scheduled', 'sending_window_start', '08:30', 'send_days', '["sun","mon"]'::jsonb,
		'steps', jsonb_build_array(jsonb_build_object('step', 1, 'delay_days', 2, 'variants',
			jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', tpl ->> 'template_id'))))));
	-- (one statement each: a STABLE read sees the snapshot of its statement)
	r := r || jsonb_build_array(ds - 'created_at' - 'updated_at' - 'dataset_id', tpl - 'template_id' - 'created_at' - 'updated_at',
		c - 'campaign_id' - 'dataset_id' - 'created_at' - 'updated_at' - 'steps_config' - 'alias_ids',
		(c -> 'steps_config' -> 0 -> 'variants' -> 0) - 'template_id');
	r := r || jsonb_build_array((campaigns.dataset_leads((ds ->> 'dataset_id')::uuid) -> 0) - 'lead_id' - 'dataset_id' - 'created_at' - 'updated_at');
	r := r || jsonb_build_array(campaigns.campaign_update((c ->> 'campaign_id')::uuid, '{"daily_limit": 7, "sending_window_end": "23:59:30"}')
		- 'campaign_id' - 'dataset_id' - 'created_at' - 'updated_at' - 'steps_config' - 'alias_ids');
	r := r || jsonb_build_array(campaigns.campaign_launch((c ->> 'campaign_id')::uuid) - 'campaign');
	r := r || jsonb_build_array(campaigns.campaign_stats((c ->> 'campaign_id')::uuid) - 'campaign_id');
	r := r || jsonb_build_array(campaigns.campaign_forecast((c ->> 'campaign_id')::uuid, 3) - 'campaign_id' - 'from' - 'days');
	r := r || jsonb_build_array(campaigns.campaign_leads((c ->> 'campaign_id')::uuid) -> 0 ->> 'status',
		jsonb_array_length(campaigns.campaign_list()), campaigns.campaign_count(), campaigns.dataset_count(),
		jsonb_array_length(campaigns.template_list()), jsonb_array_length(campaigns.alias_list()),
		(SELECT count(*) FROM campaigns.campaign), (SELECT count(*) FROM campaigns.lead),
		(SELECT count(*) FROM campaigns.campaign_lead),
		(SELECT row_to_json(w)::jsonb - 'worker_running' FROM campaigns.tenant_worker_status w));
	r := r || jsonb_build_array(campaigns.campaign_pause((c ->> 'campaign_id')::uuid) ->> 'status');
	-- the times the API stamped are now, not the shadowing now()
	r := r || jsonb_build_array((ds ->> 'created_at')::timestamptz > '2020-01-01', ds ->> 'user_id');
	RETURN r;
END $$;
SET SESSION AUTHORIZATION priv80_tenant;
CREATE FUNCTION evil80.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2001-01-01 00:00Z'::timestamptz $$;
CREATE FUNCTION evil80.current_user_id() RETURNS uuid LANGUAGE sql AS $$ SELECT '00000000-0000-0000-0080-00000000000a'::uuid $$;
CREATE FUNCTION evil80.gen_random_uuid() RETURNS uuid LANGUAGE sql AS $$ SELECT '00000000-0000-0000-0080-00000000dead'::uuid $$;
CREATE FUNCTION evil80.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'same' $$;
CREATE FUNCTION evil80.eq(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil80.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil80.eq);
CREATE FUNCTION evil80.eq(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil80.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil80.eq);
RESET SESSION AUTHORIZATION;
\c -
SET SESSION AUTHORIZATION priv80_tenant;
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000b2';
CREATE TEMP TABLE campaign (campaign_id uuid, user_id uuid);
CREATE TEMP TABLE dataset (dataset_id uuid, user_id uuid);
CREATE TEMP TABLE lead (lead_id uuid, user_id uuid);
INSERT INTO pg_temp.campaign VALUES ('00000000-0000-0000-0080-00000000dead', '00000000-0000-0000-0080-0000000000b2');
SET search_path = pg_temp, evil80, pg_catalog, public;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET TimeZone = 'Pacific/Chatham';
SET extra_float_digits = -15;
SET bytea_output = 'escape';
SET lc_monetary = 'C';
SET enable_indexscan = off;
SET plan_cache_mode = force_custom_plan;
SET transform_null_equals = on;
SET array_nulls = off;
SET standard_conforming_strings = off;
SET escape_string_warning = off;
SELECT w80.workload('shadowed') AS shadowed \gset
RESET ALL;
RESET SESSION AUTHORIZATION;
\c -
SET SESSION AUTHORIZATION priv80_tenant;
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000b1';
SELECT w80.workload('plain') AS plain \gset
RESET campaigns.user_id;
-- (the shadowing objects were there and would have been used)
SELECT evil80.now() AT TIME ZONE 'UTC' AS evil_now, '00000000-0000-0000-0080-000000000001'::uuid OPERATOR(evil80.=) '00000000-0000-0000-0080-000000000002'::uuid AS evil_eq;
RESET SESSION AUTHORIZATION;
WITH m AS (
	SELECT regexp_replace(regexp_replace(regexp_replace(x, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g'),
		'\d{4}-\d{2}-\d{2}T[0-9:.]+Z', '<ts>', 'g'), 'w-(plain|shadowed)', 'w-<tag>', 'g') AS masked, i
	  FROM (VALUES (:'plain', 1), (:'shadowed', 2)) v(x, i))
SELECT (SELECT masked FROM m WHERE i = 1) = (SELECT masked FROM m WHERE i = 2) AS same_answers,
	   :'plain'::jsonb -> -1 AS plain_user, :'shadowed'::jsonb -> -1 AS shadowed_user,
	   :'shadowed'::jsonb -> -2 AS stamped_now;
SELECT jsonb_pretty(:'shadowed'::jsonb) AS shadowed_answers;

----------------------------------------------------------------------------
-- The tenant's worker view: its own queue only.  B1 gets actions in every
-- state (queued, retrying, in flight), A has its own; each sees its own.
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000b1';
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Q', 'dataset_id', (campaigns.dataset_list() -> 0 ->> 'dataset_id'),
	'alias_ids', jsonb_build_array(campaigns.alias_list() -> 0 ->> 'alias_id'),
	'sending_window_start', '00:00', 'sending_window_end', '24:00', 'min_interval_seconds', 60,
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb,
	'steps', jsonb_build_array(jsonb_build_object('step', 1, 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', campaigns.template_list() -> 0 ->> 'template_id'))))))
	->> 'campaign_id' AS b_c \gset
SELECT campaigns.campaign_launch(:'b_c') -> 'campaign' ->> 'status' AS b_launched;
RESET campaigns.user_id;
SELECT campaigns.tick(now()) IS NOT NULL AS ticked;
-- (as the worker would: one of A's in flight, B1's retried once)
UPDATE campaigns.action SET state = 'in_flight', lease_until = now() + interval '1 minute'
 WHERE action_id = (SELECT min(action_id) FROM campaigns.action WHERE user_id = '00000000-0000-0000-0080-00000000000a');
SELECT campaigns.action_record_outcome((SELECT min(action_id) FROM campaigns.action WHERE user_id = '00000000-0000-0000-0080-0000000000b1'),
	'retry', now(), 503, 'busy', now() + interval '1 hour') AS retried;
SELECT user_id, state, attempts, count(*) FROM campaigns.action
 WHERE user_id::text LIKE '00000000-0000-0000-0080-%' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SET SESSION AUTHORIZATION priv80_tenant;
SET campaigns.user_id = '00000000-0000-0000-0080-00000000000a';
SELECT queued, in_flight, retrying, next_due IS NOT NULL AS has_next_due, worker_running FROM campaigns.tenant_worker_status;
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000b1';
SELECT queued, in_flight, retrying, next_due IS NOT NULL AS has_next_due, worker_running FROM campaigns.tenant_worker_status;
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000ff';
SELECT queued, in_flight, retrying, next_due, worker_running FROM campaigns.tenant_worker_status;
RESET campaigns.user_id;
RESET SESSION AUTHORIZATION;
-- next_due is the earliest of the tenant's own due actions.
SET campaigns.user_id = '00000000-0000-0000-0080-0000000000b1';
SELECT next_due = (SELECT min(next_attempt_at) FROM campaigns.action
					WHERE user_id = '00000000-0000-0000-0080-0000000000b1' AND state IN ('queued', 'in_flight')) AS own_next_due
  FROM campaigns.tenant_worker_status;
RESET campaigns.user_id;

DROP SCHEMA evil80, w80 CASCADE;
DROP OWNED BY priv80_tenant, priv80_gw;
DROP ROLE priv80_tenant;
DROP ROLE priv80_gw;
