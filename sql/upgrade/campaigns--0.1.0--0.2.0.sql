\echo Use "ALTER EXTENSION campaigns UPDATE" to load this file. \quit
-- campaigns 0.1.0 -> 0.2.0: the changes to existing objects that re-running
-- the sources cannot make (make appends sql/schema/*.sql after this part).
-- Everything here runs on a 0.1.0 installation; keep it in the order of the
-- changes.  test/integration/test_upgrade.py checks that an upgraded
-- installation has exactly the objects of a fresh one.

-- References stay inside a tenant (SPEC §10): composite keys (user_id, id)
-- on the referenced tables and foreign keys (user_id, x_id) for every
-- reference, in place of 0.1.0's single-column ones (30_tables.sql has the
-- same constraints for a fresh install, under the same names).  0.1.0 let
-- tenants write the tables directly, so a reference across tenants (or to a
-- row deleted by hand) may exist: the upgrade refuses then, saying where,
-- rather than fail on the first constraint or drop rows.
DO $refs$
DECLARE
	-- the references: table, column, referenced table and column, on delete
	refs CONSTANT jsonb := '[
		["lead", "dataset_id", "dataset", "dataset_id", "ON DELETE CASCADE"],
		["campaign", "dataset_id", "dataset", "dataset_id", ""],
		["campaign", "connected_account_id", "connected_account", "connected_account_id", ""],
		["campaign_lead", "campaign_id", "campaign", "campaign_id", "ON DELETE CASCADE"],
		["campaign_lead", "lead_id", "lead", "lead_id", "ON DELETE CASCADE"],
		["action", "campaign_id", "campaign", "campaign_id", "ON DELETE CASCADE"],
		["action", "campaign_lead_id", "campaign_lead", "campaign_lead_id", "ON DELETE CASCADE"],
		["event", "campaign_id", "campaign", "campaign_id", "ON DELETE CASCADE"],
		["event", "campaign_lead_id", "campaign_lead", "campaign_lead_id", "ON DELETE CASCADE"],
		["campaign_daily_stats", "campaign_id", "campaign", "campaign_id", "ON DELETE CASCADE"]]';
	r record;
	n bigint;
	bad text := '';
BEGIN
	FOR r IN SELECT x ->> 0 AS tab, x ->> 1 AS col, x ->> 2 AS ref, x ->> 3 AS refcol, x ->> 4 AS on_delete
			   FROM jsonb_array_elements(refs) x LOOP
		EXECUTE format('SELECT count(*) FROM @extschema@.%I x WHERE x.%I IS NOT NULL AND NOT EXISTS'
					   ' (SELECT 1 FROM @extschema@.%I y WHERE y.user_id = x.user_id AND y.%I = x.%I)',
					   r.tab, r.col, r.ref, r.refcol, r.col) INTO n;
		IF n > 0 THEN
			bad := bad || format(E'\n  %s rows of %s whose %s is not a %s of the same user_id', n, r.tab, r.col, r.ref);
		END IF;
	END LOOP;
	IF bad <> '' THEN
		RAISE EXCEPTION 'campaigns 0.2.0 keeps every reference inside one user; these rows break that:%', bad
			USING ERRCODE = '23503',
				  HINT = 'They were written directly into the tables (0.1.0 allowed it).  Delete or correct them, then run ALTER EXTENSION campaigns UPDATE again.';
	END IF;

	-- the keys referenced, (user_id, <id>)
	FOR r IN SELECT DISTINCT x ->> 2 AS ref, x ->> 3 AS refcol FROM jsonb_array_elements(refs) x ORDER BY 1 LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I UNIQUE (user_id, %I)',
					   r.ref, r.ref || '_user_id_' || r.refcol || '_key', r.refcol);
	END LOOP;
	-- the references, replacing 0.1.0's (named <table>_<column>_fkey)
	FOR r IN SELECT x ->> 0 AS tab, x ->> 1 AS col, x ->> 2 AS ref, x ->> 3 AS refcol, x ->> 4 AS on_delete
			   FROM jsonb_array_elements(refs) x LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I DROP CONSTRAINT IF EXISTS %I,'
					   ' ADD CONSTRAINT %I FOREIGN KEY (user_id, %I) REFERENCES @extschema@.%I (user_id, %I) %s',
					   r.tab, r.tab || '_' || r.col || '_fkey', r.tab || '_user_id_' || r.col || '_fkey',
					   r.col, r.ref, r.refcol, r.on_delete);
	END LOOP;
END
$refs$;
-- An enrolled lead is unique per (lead_id, campaign_id) now, lead_id first:
-- the same index serves the new foreign key's lookups when leads go away.
ALTER TABLE @extschema@.campaign_lead
	DROP CONSTRAINT campaign_lead_campaign_id_lead_id_key,
	ADD CONSTRAINT campaign_lead_lead_id_campaign_id_key UNIQUE (lead_id, campaign_id);

-- The API is the only write path: 0.1.0 granted INSERT, UPDATE and DELETE on
-- every table to campaigns_user, and http_handle belonged to campaigns_user.
-- 90_grants.sql, run after this part, revokes everything and gives every
-- object to the extension's owner; nothing to do here.

-- Delivery endpoints (48_endpoints.sql): an id for the HTTP API, timestamps,
-- and the auth header encrypted (src/secrets.c) for its row and user.  The
-- encryption needs the secret key: when rows have an auth header and no key
-- can be read or created (campaigns.secret_key_file empty or unusable),
-- the update fails and changes nothing; fix the key file and run it again.
-- A 0.1.0 row's empty auth header meant none.
ALTER TABLE @extschema@.delivery_endpoint
	ADD COLUMN delivery_endpoint_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
	ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE OR REPLACE FUNCTION @extschema@._secret_encrypt(plaintext text, owner uuid, context text) RETURNS bytea
LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'campaigns_secret_encrypt';
CREATE OR REPLACE FUNCTION @extschema@._delivery_endpoint_secret_context(delivery_endpoint_id uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'delivery_endpoint.auth_header/' || $1::text $$;
ALTER TABLE @extschema@.delivery_endpoint ALTER COLUMN auth_header TYPE bytea
	USING @extschema@._secret_encrypt(nullif(auth_header, ''), user_id,
									  @extschema@._delivery_endpoint_secret_context(delivery_endpoint_id));
-- The claim returns the encrypted header, its owner and context (its
-- OUT columns changed).
DROP FUNCTION @extschema@._dispatch_claim_rows(integer, integer);

-- One validator (src/validate.c over the models of src/models.c): the
-- PL/pgSQL interpreter of field specs and the hand-written checks go.
DROP FUNCTION IF EXISTS @extschema@._check_object(jsonb, jsonb, jsonb);
DROP FUNCTION IF EXISTS @extschema@._is_timestamptz(text);
DROP FUNCTION IF EXISTS @extschema@._page(jsonb);
DROP FUNCTION IF EXISTS @extschema@._campaign_filter(jsonb);
DROP FUNCTION IF EXISTS @extschema@._lead_spec();
DROP FUNCTION IF EXISTS @extschema@._dataset_add_leads(uuid, jsonb, jsonb);
DROP FUNCTION IF EXISTS @extschema@._template_check(jsonb, boolean);
DROP FUNCTION IF EXISTS @extschema@._sender_profile_check(jsonb, boolean);

-- The models of each route's request and response body (OpenAPI 3.1 and the
-- field order of responses); the page parameters come from PageQuery.
ALTER TABLE @extschema@.http_route
	ADD COLUMN IF NOT EXISTS request_model text,
	ADD COLUMN IF NOT EXISTS response_model text;
DROP FUNCTION IF EXISTS @extschema@._http_page_params();
-- The document is json now (keys in the order written), not jsonb.
DROP FUNCTION IF EXISTS @extschema@._http_openapi();

-- Deliverability (SPEC §11, 53_deliverability.sql): the campaign's
-- stop_on_reply and bounce protection, a paused status and an auto-reply's
-- return for enrolled leads, an event's resume_at.  (The new tables,
-- suppression and free_mail_domain, come with the sources.)
ALTER TABLE @extschema@.campaign
	ADD COLUMN stop_on_reply text NOT NULL DEFAULT 'lead' CHECK (stop_on_reply IN ('lead', 'company', 'all_campaigns')),
	ADD COLUMN max_bounce_rate integer NOT NULL DEFAULT 5 CHECK (max_bounce_rate BETWEEN 0 AND 100),
	ADD COLUMN bounce_window integer NOT NULL DEFAULT 100 CHECK (bounce_window BETWEEN 20 AND 10000);
ALTER TABLE @extschema@.campaign_lead
	DROP CONSTRAINT campaign_lead_status_check,
	ADD CONSTRAINT campaign_lead_status_check
		CHECK (status IN ('pending', 'active', 'paused', 'completed', 'stopped', 'failed')),
	ADD COLUMN resume_at timestamptz;
ALTER TABLE @extschema@.event ADD COLUMN resume_at timestamptz;
