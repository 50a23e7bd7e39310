-- Privileges, last of all (SPEC §2): the gateway's role may execute
-- http_handle and nothing else.  PostgreSQL lets PUBLIC execute every new
-- function, so this takes EXECUTE on every routine of the extension away
-- from PUBLIC and gives it to campaigns_user instead (superusers, which run
-- the worker, are unaffected).  Only current_user_id() stays public: row-level
-- security policies call it as whoever queries.  http_handle and the
-- _http_authenticate helper keep the grants 70_http.sql gave them.
DO $privileges$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN
		SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace = '@extschema@'::regnamespace
		   AND p.oid <> '@extschema@.current_user_id()'::regprocedure
		   AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) x
											  WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'))
	LOOP
		EXECUTE format('REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO campaigns_user', f);
	END LOOP;
END
$privileges$;
