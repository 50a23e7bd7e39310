-- Worker-only and administrative functions of dispatch (60_dispatch.sql):
-- 90_grants.sql gives campaigns_user every function; these stay with the
-- extension owner (the worker runs as a superuser).
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_claim(integer, integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_claim_rows(integer, integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_release() FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@._dispatch_next_due() FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.purge_old(integer) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.stats_rollup(date) FROM campaigns_user;
REVOKE EXECUTE ON FUNCTION @extschema@.schedule_maintenance(integer) FROM campaigns_user;
