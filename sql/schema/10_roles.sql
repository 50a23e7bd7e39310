-- Roles.
--
-- campaigns_user: what an application role is granted to use the SQL API:
--   EXECUTE on the API functions (SECURITY DEFINER, each query filtered on
--   campaigns.current_user_id()) and SELECT, under row-level security, on
--   the tables docs/security.md lists; no INSERT, UPDATE or DELETE.
-- campaigns_gateway: what the HTTP gateway's login role is granted; it can
--   execute campaigns.http_handle and nothing else.
-- Neither owns anything: every object belongs to the extension's owner.
-- Roles are cluster-wide, so they are created only when missing and are not
-- dropped with the extension.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'campaigns_user') THEN
		CREATE ROLE campaigns_user NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'campaigns_gateway') THEN
		CREATE ROLE campaigns_gateway NOLOGIN;
	END IF;
END
$roles$;

-- Both may look names up in the schema; what they may use in it is granted
-- object by object in 90_grants.sql (CREATE in it to no one).
GRANT USAGE ON SCHEMA @extschema@ TO campaigns_user, campaigns_gateway;
