-- Identity (SPEC §10): a login role bound to a tenant (role_bind) is that
-- tenant whatever the GUCs say, and naming anyone else raises 28000; SET
-- ROLE and SECURITY DEFINER functions do not unbind it (the binding follows
-- session_user).  An unbound role is trusted to name its user, as before.
-- Binding is the owner's; the binding table is the owner's to read.  (The
-- cache of other sessions: test/isolation/specs/role_bind.spec.)
-- Users 00000000-0000-0000-0082-...
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
DROP ROLE IF EXISTS bind82_a;
DROP ROLE IF EXISTS bind82_plain;
DROP ROLE IF EXISTS bind82_su;
RESET client_min_messages;
CREATE ROLE bind82_a LOGIN;
CREATE ROLE bind82_plain LOGIN;
CREATE ROLE bind82_su SUPERUSER;
GRANT campaigns_user TO bind82_a, bind82_plain;

-- try(sql): the result, or "SQLSTATE message (detail)".
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; r text;
BEGIN
	EXECUTE sql INTO r;
	RETURN coalesce(r, 'null');
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN st || ' ' || msg || coalesce(' (' || nullif(det, '') || ')', '');
END $$;

-- Each user has a dataset.
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT campaigns.dataset_create('{"name": "A data"}') ->> 'name' AS a_dataset;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT campaigns.dataset_create('{"name": "B data"}') ->> 'dataset_id' AS b_ds \gset
RESET campaigns.user_id;

-- Binding is the owner's: argument checks.
\set VERBOSITY sqlstate
SELECT campaigns.role_bind(NULL, '00000000-0000-0000-0082-00000000000a');
SELECT campaigns.role_bind('bind82_a', NULL);
SELECT campaigns.role_bind(4294967000::oid::regrole, '00000000-0000-0000-0082-00000000000a');
\set VERBOSITY default
SELECT campaigns.role_bind('bind82_su', '00000000-0000-0000-0082-00000000000a');
SELECT campaigns.role_unbind('bind82_a') AS unbound_nothing;
-- Binding twice moves the role; the table says so (the owner may read it).
SELECT campaigns.role_bind('bind82_a', '00000000-0000-0000-0082-00000000000b');
SELECT campaigns.role_bind('bind82_a', '00000000-0000-0000-0082-00000000000a');
SELECT role, user_id, bound_at IS NOT NULL AS dated FROM campaigns.role_binding ORDER BY role::text;
-- A role dropped while bound leaves its OID behind, which the next
-- role_bind forgets (a new role could be given the same OID).
CREATE ROLE bind82_gone;
SELECT campaigns.role_bind('bind82_gone', '00000000-0000-0000-0082-00000000000b');
SELECT 'bind82_gone'::regrole::oid AS gone_oid \gset
DROP ROLE bind82_gone;
SELECT count(*) AS stale_left FROM campaigns.role_binding WHERE role::oid = :gone_oid;
SELECT campaigns.role_bind('bind82_a', '00000000-0000-0000-0082-00000000000a');
SELECT count(*) AS stale_left FROM campaigns.role_binding WHERE role::oid = :gone_oid;

----------------------------------------------------------------------------
-- The bound role.
SET SESSION AUTHORIZATION bind82_a;
SELECT session_user, current_user;
-- No GUC: the bound user.
SELECT campaigns.current_user_id();
SELECT jsonb_path_query_array(campaigns.dataset_list(), '$[*].name') AS own_datasets;
-- The GUC may repeat it, in any spelling uuid_in accepts ...
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT campaigns.current_user_id();
SET campaigns.user_id = '{00000000-0000-0000-0082-00000000000A}';
SELECT campaigns.current_user_id();
SET campaigns.user_id = '0000000000000000008200000000000a';
SELECT campaigns.current_user_id();
-- ... but naming another user, or none, is refused everywhere: the API,
-- direct reads (the row-level security policies ask current_user_id()).
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS current_user_id;
SELECT pg_temp.try('SELECT campaigns.dataset_list()') AS dataset_list;
SELECT pg_temp.try(format('SELECT campaigns.dataset_get(%L)', :'b_ds')) AS dataset_get;
SELECT pg_temp.try('SELECT count(*) FROM campaigns.dataset') AS direct_read;
SELECT pg_temp.try('SELECT campaigns.dataset_create(''{"name": "planted"}'')') AS dataset_create;
SET campaigns.user_id = 'garbage';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS garbage_guc;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a}';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS almost_a_uuid;
RESET campaigns.user_id;
-- request.jwt.claims (PostgREST's): the same rules for its "sub"; claims
-- without a sub are fine; claims that are not JSON are refused.
SELECT c AS claims, pg_temp.try(format('SELECT set_config(''request.jwt.claims'', %L, false) || campaigns.current_user_id()', c)) AS result
  FROM unnest(ARRAY[
	'{"sub": "00000000-0000-0000-0082-00000000000a", "role": "bind82_a"}',
	'{"role": "bind82_a"}',
	'{"sub": null}',
	'{"other": {"sub": "00000000-0000-0000-0082-00000000000b"}}',
	'{"sub": "00000000-0000-0000-0082-00000000000b"}',
	'{"sub": "00000000-0000-0000-0082-00000000000b", "sub": "00000000-0000-0000-0082-00000000000a"}',
	'{"sub": "00000000-0000-0000-0082-00000000000a", "sub": "00000000-0000-0000-0082-00000000000b"}',
	'{"sub": 7}',
	'{"sub": ["00000000-0000-0000-0082-00000000000a"]}',
	'{"sub": ""}',
	'not json',
	'{"sub": "00000000-0000-0000-0082-00000000000a"',
	'["00000000-0000-0000-0082-00000000000a"]',
	'"00000000-0000-0000-0082-00000000000a"']) c;
-- (nested a million levels deep: refused the same way, not a stack error)
SELECT pg_temp.try(format('SELECT set_config(''request.jwt.claims'', %L, false) || campaigns.current_user_id()',
	repeat('[', 1000000) || repeat(']', 1000000))) AS deep_claims;
RESET request.jwt.claims;
-- The GUC and the claims together: both must name the bound user.
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SET request.jwt.claims = '{"sub": "00000000-0000-0000-0082-00000000000b"}';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS guc_a_claims_b;
RESET request.jwt.claims;
RESET campaigns.user_id;
-- SET ROLE (to campaigns_user, which the role is a member of) does not
-- unbind: the binding is the session user's.
SET ROLE campaigns_user;
SELECT session_user, current_user, campaigns.current_user_id();
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS after_set_role;
RESET campaigns.user_id;
RESET ROLE;
-- Nor does a function's SET clause or body that names another user.
CREATE FUNCTION pg_temp.as_b() RETURNS uuid LANGUAGE sql SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b'
AS $$ SELECT campaigns.current_user_id() $$;
SELECT pg_temp.try('SELECT pg_temp.as_b()') AS function_set_clause;
-- The binding table is not the tenant's to read or change.
SELECT pg_temp.try('SELECT count(*) FROM campaigns.role_binding') AS read_bindings,
	   pg_temp.try('SELECT campaigns.role_unbind(''bind82_a'')') AS unbind_self,
	   pg_temp.try('SELECT campaigns.role_bind(''bind82_plain'', ''00000000-0000-0000-0082-00000000000b'')') AS bind_other;
RESET SESSION AUTHORIZATION;

-- A SECURITY DEFINER function (the owner's, running as the owner) that sets
-- the GUC: the session user is still bound.
CREATE FUNCTION pg_temp.definer_as_b() RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
	PERFORM set_config('campaigns.user_id', '00000000-0000-0000-0082-00000000000b', true);
	RETURN campaigns.current_user_id();
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.definer_as_b() TO bind82_a;
SET SESSION AUTHORIZATION bind82_a;
SELECT pg_temp.try('SELECT pg_temp.definer_as_b()') AS definer_function;
RESET SESSION AUTHORIZATION;

-- Through the HTTP surface: a bound role that also has the gateway's rights
-- cannot use another tenant's key (401), only its own user's.
GRANT campaigns_gateway TO bind82_a;
SELECT campaigns.api_key_create('00000000-0000-0000-0082-00000000000b', 'b') AS kb,
	   campaigns.api_key_create('00000000-0000-0000-0082-00000000000a', 'a') AS ka \gset
SET SESSION AUTHORIZATION bind82_a;
SELECT status, body FROM campaigns.http_handle('GET', '/api/v1/datasets/', '', jsonb_build_object('Authorization', 'Bearer ' || :'kb'), NULL);
SELECT status, jsonb_path_query_array(body::jsonb, '$[*].name') AS names
  FROM campaigns.http_handle('GET', '/api/v1/datasets/', '', jsonb_build_object('Authorization', 'Bearer ' || :'ka'), NULL);
RESET SESSION AUTHORIZATION;
REVOKE campaigns_gateway FROM bind82_a;

----------------------------------------------------------------------------
-- An unbound role names its user with the GUC, as a trusted application
-- role does (behind PostgREST, say).
SET SESSION AUTHORIZATION bind82_plain;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT campaigns.current_user_id(), jsonb_array_length(campaigns.dataset_list()) AS datasets;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT campaigns.current_user_id(), jsonb_array_length(campaigns.dataset_list()) AS datasets;
RESET campaigns.user_id;
SET request.jwt.claims = '{"sub": "00000000-0000-0000-0082-00000000000a"}';
SELECT campaigns.current_user_id();
SET request.jwt.claims = 'not json';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS garbage_claims;
SET request.jwt.claims = '{"sub": {"a": 1}}';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS object_sub;
RESET request.jwt.claims;
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS nobody;
RESET SESSION AUTHORIZATION;

-- Bound from the next statement on in this session (the binding cache
-- follows the table), and unbound again.
SELECT campaigns.role_bind('bind82_plain', '00000000-0000-0000-0082-00000000000b');
SET SESSION AUTHORIZATION bind82_plain;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS now_bound_to_b;
RESET campaigns.user_id;
SELECT campaigns.current_user_id() AS bound_user;
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT campaigns.role_unbind('bind82_plain') AS unbound;
SET SESSION AUTHORIZATION bind82_plain;
SET LOCAL campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT campaigns.current_user_id() AS unbound_in_the_transaction;
RESET SESSION AUTHORIZATION;
ROLLBACK;
-- (rolled back: still bound)
SET SESSION AUTHORIZATION bind82_plain;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000a';
SELECT pg_temp.try('SELECT campaigns.current_user_id()') AS bound_after_rollback;
RESET campaigns.user_id;
RESET SESSION AUTHORIZATION;
TRUNCATE campaigns.role_binding;
SET SESSION AUTHORIZATION bind82_a;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT campaigns.current_user_id() AS after_truncate;
RESET campaigns.user_id;
RESET SESSION AUTHORIZATION;

-- A re-created extension has a new binding table, and the cache follows it.
SELECT campaigns.role_bind('bind82_a', '00000000-0000-0000-0082-00000000000a');
SET SESSION AUTHORIZATION bind82_a;
SELECT campaigns.current_user_id() AS bound_before;
RESET SESSION AUTHORIZATION;
SET client_min_messages = warning;
DROP EXTENSION campaigns CASCADE;
CREATE EXTENSION campaigns;
RESET client_min_messages;
SET SESSION AUTHORIZATION bind82_a;
SET campaigns.user_id = '00000000-0000-0000-0082-00000000000b';
SELECT campaigns.current_user_id() AS unbound_after_recreate;
RESET campaigns.user_id;
RESET SESSION AUTHORIZATION;

DROP OWNED BY bind82_a, bind82_plain, bind82_su;
DROP ROLE bind82_a;
DROP ROLE bind82_plain;
DROP ROLE bind82_su;
