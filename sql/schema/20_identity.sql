-- Identity: who is calling (SPEC §2, §10 "Identity"), in C (src/identity.c).
--
-- A session whose session_user is bound to a tenant (role_bind) acts as that
-- tenant whatever the GUCs say; any other session is a trusted application
-- role that names the tenant with campaigns.user_id or request.jwt.claims.

-- role_binding: login roles bound to one tenant.  Only the extension owner
-- reads or writes it (no grants; row-level security forced, no policy);
-- current_user_id() reads it by index, as the one reader.
CREATE TABLE IF NOT EXISTS @extschema@.role_binding (
	role		regrole PRIMARY KEY,
	user_id		uuid NOT NULL,
	bound_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.role_binding IS
'Login roles bound to one tenant (role_bind): for a session whose session_user is listed, current_user_id() is always that user_id.  Readable by the extension owner only.';

CREATE OR REPLACE FUNCTION @extschema@.current_user_id() RETURNS uuid
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'current_user_id';
COMMENT ON FUNCTION @extschema@.current_user_id() IS
'The calling user.  A session whose session_user is bound (role_bind): that user, and 28000 when campaigns.user_id or request.jwt.claims ->> ''sub'' names another (or is not a uuid).  Otherwise: GUC campaigns.user_id, else request.jwt.claims ->> ''sub'' (PostgREST), else SQLSTATE 28000.';

-- Every backend caches the binding of its session user; a change to the
-- table makes every cache stale at commit.
CREATE OR REPLACE FUNCTION @extschema@._role_binding_changed() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'role_binding_changed';
COMMENT ON FUNCTION @extschema@._role_binding_changed() IS
'Statement trigger of role_binding: makes every backend''s cached binding stale at commit.';
CREATE OR REPLACE TRIGGER role_binding_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.role_binding
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._role_binding_changed();

-- role_bind(role, user_id): from the next transaction of each session on,
-- a session logged in as role (session_user) acts as user_id and as no one
-- else.  Binding a bound role again moves it to the new user.  Superusers
-- cannot be bound: they bypass every boundary a binding would promise.
-- Unbind a role before dropping it (role_bind also forgets the bindings of
-- roles that no longer exist).
CREATE OR REPLACE FUNCTION @extschema@.role_bind(role regrole, user_id uuid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF role_bind.role IS NULL OR role_bind.user_id IS NULL THEN
		RAISE EXCEPTION 'role and user_id must not be null' USING ERRCODE = '22004';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = role_bind.role) THEN
		RAISE EXCEPTION 'role with OID % does not exist', role_bind.role::oid USING ERRCODE = '42704';
	END IF;
	IF (SELECT r.rolsuper FROM pg_roles r WHERE r.oid = role_bind.role) THEN
		RAISE EXCEPTION 'a superuser cannot be bound to a user'
			USING ERRCODE = '22023',
				  DETAIL = format('Role %s is a superuser: it bypasses row-level security and every privilege a binding relies on.', role_bind.role);
	END IF;
	-- (bindings of roles dropped since are forgotten: a new role could get
	-- the old OID)
	DELETE FROM @extschema@.role_binding b WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = b.role);
	INSERT INTO @extschema@.role_binding AS b (role, user_id)
	VALUES (role_bind.role, role_bind.user_id)
	ON CONFLICT ON CONSTRAINT role_binding_pkey
	DO UPDATE SET user_id = excluded.user_id, bound_at = now();
END
$$;
COMMENT ON FUNCTION @extschema@.role_bind(regrole, uuid) IS
'Owner only.  Binds a login role to one tenant: for sessions whose session_user is that role, current_user_id() is always user_id (a GUC naming another user raises 28000).  Binding again moves the role to the new user; superusers cannot be bound.';

CREATE OR REPLACE FUNCTION @extschema@.role_unbind(role regrole) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH d AS (DELETE FROM @extschema@.role_binding b WHERE b.role = $1 RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM d)
$$;
COMMENT ON FUNCTION @extschema@.role_unbind(regrole) IS
'Owner only.  Removes a role''s binding (its sessions go back to naming their user with the GUCs); true when there was one.  Unbind a role before dropping it.';
