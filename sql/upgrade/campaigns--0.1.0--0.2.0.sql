\echo Use "ALTER EXTENSION campaigns UPDATE" to load this file. \quit
-- campaigns 0.1.0 -> 0.2.0: the changes to existing objects that re-running
-- the sources cannot make (make appends sql/schema/*.sql after this part).
-- Everything here runs on a 0.1.0 installation; keep it in the order of the
-- changes.  test/integration/test_upgrade.py checks that an upgraded
-- installation has exactly the objects of a fresh one.

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
