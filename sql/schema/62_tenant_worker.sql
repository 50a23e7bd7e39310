-- The worker state a tenant may see (SPEC §10 "Administration"): its own
-- queue only.  The cluster-wide view worker_status (60_dispatch.sql) is the
-- extension owner's.

-- _worker_running(): whether a background worker delivers this database's
-- actions now.  A boolean only: the worker's counters and times are
-- cluster-wide.  SECURITY DEFINER (it reads _worker_status, which tenants
-- may not call), search_path pinned.
CREATE OR REPLACE FUNCTION @extschema@._worker_running() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT w.state IN ('starting', 'idle', 'dispatching') AND w.database_name = current_database()
	  FROM @extschema@._worker_status() w
$$;
COMMENT ON FUNCTION @extschema@._worker_running() IS
'True when the background worker is running for this database (starting, idle or dispatching); what tenant_worker_status shows of it.';

-- The view is owned by the extension owner, so it reads action and campaign
-- without row-level security: the filter on current_user_id() (the caller,
-- evaluated in the caller's session) is what keeps it to the tenant's rows.
-- security_barrier: a caller's own conditions run after that filter.
CREATE OR REPLACE VIEW @extschema@.tenant_worker_status WITH (security_barrier) AS
SELECT count(*) FILTER (WHERE a.state = 'queued') AS queued,
	   count(*) FILTER (WHERE a.state = 'in_flight') AS in_flight,
	   count(*) FILTER (WHERE a.state = 'queued' AND a.attempts > 0) AS retrying,
	   min(a.next_attempt_at) FILTER (WHERE c.status = 'active') AS next_due,
	   @extschema@._worker_running() AS worker_running
  FROM @extschema@.campaign c
  JOIN @extschema@.action a ON a.campaign_id = c.campaign_id AND a.user_id = c.user_id
 WHERE c.user_id = @extschema@.current_user_id()
   AND a.state IN ('queued', 'in_flight');
COMMENT ON VIEW @extschema@.tenant_worker_status IS
'The caller''s own delivery queue: actions queued (retrying: queued again after a failed attempt), in flight, when the next one falls due (of active campaigns), and whether the background worker is running for this database.  Nothing cluster-wide.';
