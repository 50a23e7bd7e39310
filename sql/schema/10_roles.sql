-- Roles.
--
-- campaigns_user: what an application role is granted to use the SQL API.
--   Row-level security keeps it to the rows of campaigns.current_user_id().
-- campaigns_gateway: what the HTTP gateway's login role is granted; it can
--   execute campaigns.http_handle and nothing else.
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

GRANT USAGE ON SCHEMA @extschema@ TO campaigns_user;
