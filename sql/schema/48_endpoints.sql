-- Delivery endpoints (SPEC §7, §10): where the worker POSTs a user's
-- actions of one channel, and the header that authenticates it.  One per
-- (user, channel); without one, the GUC campaigns.<channel>_endpoint
-- applies.
--
-- Bodies and filters are checked by _validate against the models
-- DeliveryEndpointCreate, DeliveryEndpointUpdate and
-- DeliveryEndpointListQuery (src/models.c).  A tenant names the URL, so the
-- outbound rules of §10 apply, as the url field's rule: the URL must be
-- http or https with a host, no user information and no fragment, and a
-- literal address (or a localhost name) in a loopback, private or other
-- special range is refused unless campaigns.outbound_allow lists it.  That
-- is a courtesy to the tenant: the check that counts is the worker's, on
-- the address it actually connects to (src/outbound.c, src/dispatch.c).
-- The auth_header field's rule keeps the header to one header line.
--
-- The auth header is a secret (§10 "Secrets"): stored encrypted for the
-- row and its user (src/secrets.c), decrypted only by the worker, and
-- returned by nothing -- responses say has_auth_header.  The functions
-- that take one run with log_min_error_statement = panic, so that a failed
-- call does not copy its statement (the header with it) into the server
-- log.
--
-- The functions are SECURITY DEFINER with a pinned search_path and filter
-- every query on current_user_id() themselves: they need to call
-- _secret_encrypt, which tenants may not, and work whatever tenants may
-- read or write of the table directly.

CREATE OR REPLACE FUNCTION @extschema@._secret_encrypt(plaintext text, owner uuid, context text) RETURNS bytea
LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'campaigns_secret_encrypt';
COMMENT ON FUNCTION @extschema@._secret_encrypt(text, uuid, text) IS
'Encrypts a secret (AES-256-GCM, key from campaigns.secret_key_file) for its owner and context (what it is and which row holds it): it decrypts for that pair only, and only in C.  Owner only; no SQL function decrypts.';

CREATE OR REPLACE FUNCTION @extschema@._delivery_endpoint_secret_context(delivery_endpoint_id uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'delivery_endpoint.auth_header/' || $1::text $$;
COMMENT ON FUNCTION @extschema@._delivery_endpoint_secret_context(uuid) IS
'The context an endpoint''s auth header is encrypted for: the column and the row''s delivery_endpoint_id.';

CREATE OR REPLACE FUNCTION @extschema@._delivery_endpoint_json(e @extschema@.delivery_endpoint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('delivery_endpoint_id', e.delivery_endpoint_id, 'channel', e.channel,
		'url', e.url, 'has_auth_header', e.auth_header IS NOT NULL,
		'created_at', @extschema@._ts(e.created_at), 'updated_at', @extschema@._ts(e.updated_at))
$$;
COMMENT ON FUNCTION @extschema@._delivery_endpoint_json(@extschema@.delivery_endpoint) IS
'The response body of a delivery endpoint: never the auth header, only has_auth_header.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET log_min_error_statement = panic
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	id uuid := gen_random_uuid();
	n jsonb := @extschema@._validate('DeliveryEndpointCreate', $1);
	e @extschema@.delivery_endpoint;
BEGIN
	INSERT INTO @extschema@.delivery_endpoint (user_id, channel, url, auth_header, delivery_endpoint_id)
	VALUES (uid, n->>'channel', n->>'url',
			CASE WHEN jsonb_typeof(n->'auth_header') = 'string'
				 THEN @extschema@._secret_encrypt(n->>'auth_header', uid, @extschema@._delivery_endpoint_secret_context(id)) END,
			id)
	ON CONFLICT DO NOTHING
	RETURNING * INTO e;
	IF NOT FOUND THEN
		PERFORM @extschema@._conflict('a delivery endpoint for this channel exists',
			'Change it with PATCH /delivery-endpoints/{id}, or delete it first.');
	END IF;
	RETURN @extschema@._delivery_endpoint_json(e);
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_create(jsonb) IS
'POST /delivery-endpoints/: {channel, url, auth_header?} sets where the caller''s actions of a channel are delivered; one per channel (55000, HTTP 409, for a second); the auth header ("Name: value", or a bare value sent as Authorization) is stored encrypted and never returned.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_get(delivery_endpoint_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r jsonb;
BEGIN
	SELECT @extschema@._delivery_endpoint_json(e) INTO r FROM @extschema@.delivery_endpoint e
	 WHERE e.delivery_endpoint_id = $1 AND e.user_id = @extschema@.current_user_id();
	IF r IS NULL THEN
		PERFORM @extschema@._not_found('delivery endpoint');
	END IF;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_get(uuid) IS
'GET /delivery-endpoints/{id}: one of the caller''s delivery endpoints (P0002 for a missing one and another user''s alike).';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_list(filters jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	q jsonb := @extschema@._validate('DeliveryEndpointListQuery', filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._delivery_endpoint_json(e) ORDER BY e.channel)
		  FROM (SELECT * FROM @extschema@.delivery_endpoint e
				 WHERE e.user_id = @extschema@.current_user_id() AND (q->>'channel' IS NULL OR e.channel = q->>'channel')
				 ORDER BY e.channel OFFSET (q->>'offset')::bigint LIMIT (q->>'limit')::int) e), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_list(jsonb) IS
'GET /delivery-endpoints/: the caller''s delivery endpoints by channel; filters offset, limit (1..100, default 50), channel.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	q jsonb := @extschema@._validate('DeliveryEndpointListQuery', filters);
BEGIN
	RETURN (SELECT count(*) FROM @extschema@.delivery_endpoint e
			 WHERE e.user_id = @extschema@.current_user_id() AND (q->>'channel' IS NULL OR e.channel = q->>'channel'));
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_count(jsonb) IS
'The number of delivery endpoints delivery_endpoint_list would page through (X-Total-Count).';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_update(delivery_endpoint_id uuid, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET log_min_error_statement = panic
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	e @extschema@.delivery_endpoint;
BEGIN
	SELECT * INTO e FROM @extschema@.delivery_endpoint x
	 WHERE x.delivery_endpoint_id = $1 AND x.user_id = uid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('delivery endpoint');
	END IF;
	PERFORM @extschema@._validate('DeliveryEndpointUpdate', patch);
	BEGIN
		UPDATE @extschema@.delivery_endpoint x SET
			channel = CASE WHEN patch ? 'channel' THEN patch->>'channel' ELSE x.channel END,
			url = CASE WHEN patch ? 'url' THEN patch->>'url' ELSE x.url END,
			auth_header = CASE WHEN NOT patch ? 'auth_header' THEN x.auth_header
							   WHEN jsonb_typeof(patch->'auth_header') = 'string'
							   THEN @extschema@._secret_encrypt(patch->>'auth_header', uid,
										@extschema@._delivery_endpoint_secret_context(x.delivery_endpoint_id)) END,
			updated_at = now()
		 WHERE x.delivery_endpoint_id = e.delivery_endpoint_id
		RETURNING * INTO e;
	EXCEPTION WHEN unique_violation THEN
		PERFORM @extschema@._conflict('a delivery endpoint for this channel exists',
			'Delete the other channel''s endpoint first.');
	END;
	RETURN @extschema@._delivery_endpoint_json(e);
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_update(uuid, jsonb) IS
'PATCH /delivery-endpoints/{id}: partial update (omitted = unchanged; auth_header null = removed); 55000 (HTTP 409) when the new channel has an endpoint already.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_delete(delivery_endpoint_id uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM @extschema@.delivery_endpoint e
	 WHERE e.delivery_endpoint_id = $1 AND e.user_id = @extschema@.current_user_id();
	IF NOT FOUND THEN
		PERFORM @extschema@._not_found('delivery endpoint');
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_delete(uuid) IS
'DELETE /delivery-endpoints/{id}: removes the endpoint (and its auth header); the channel''s actions go to campaigns.<channel>_endpoint again.';
