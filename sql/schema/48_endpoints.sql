-- Delivery endpoints (SPEC §7, §10): where the worker POSTs a user's
-- actions of one channel, and the header that authenticates it.  One per
-- (user, channel); without one, the GUC campaigns.<channel>_endpoint
-- applies.
--
-- A tenant names the URL, so the outbound rules of §10 apply: the URL must
-- be http or https with a host, no user information and no fragment, and a
-- literal address (or a localhost name) in a loopback, private or other
-- special range is refused unless campaigns.outbound_allow lists it.  That
-- is a courtesy to the tenant: the check that counts is the worker's, on
-- the address it actually connects to (src/outbound.c, src/dispatch.c).
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

CREATE OR REPLACE FUNCTION @extschema@._outbound_url_problem(url text) RETURNS text[]
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'campaigns_outbound_url_problem';
COMMENT ON FUNCTION @extschema@._outbound_url_problem(text) IS
'What is wrong with a delivery endpoint URL, as ARRAY[pydantic type, message], or NULL: http/https, at most 2048 characters, a host, no user information, no fragment, and a literal address or localhost name allowed by the outbound guard (campaigns.outbound_allow).';

CREATE OR REPLACE FUNCTION @extschema@._outbound_header_problem(value text) RETURNS text[]
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'campaigns_outbound_header_problem';
COMMENT ON FUNCTION @extschema@._outbound_header_problem(text) IS
'What is wrong with an auth header ("Name: value", or a bare value sent as Authorization), as ARRAY[pydantic type, message], or NULL: no control characters, a value, not a header the dispatcher sets.';

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

-- _delivery_endpoint_check(body, required) validates a create (required)
-- or PATCH body: every error at once, in field order, extra keys last.
CREATE OR REPLACE FUNCTION @extschema@._delivery_endpoint_check(b jsonb, required boolean) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	errs jsonb;
	p text[];
BEGIN
	errs := @extschema@._check_object(b, jsonb_build_object(
		'channel', jsonb_build_object('type', 'enum', 'required', required, 'values', '["email", "linkedin"]'::jsonb, 'order', 1),
		'url', jsonb_build_object('type', 'string', 'required', required, 'order', 2),
		'auth_header', '{"type": "string", "nullable": true, "min": 1, "max": 4096, "order": 3}'::jsonb),
		'["body"]');
	IF jsonb_typeof(b) = 'object' THEN
		IF jsonb_typeof(b->'url') = 'string' THEN
			p := @extschema@._outbound_url_problem(b->>'url');
			IF p IS NOT NULL THEN
				errs := errs || @extschema@._err('["body", "url"]', p[2], p[1]);
			END IF;
		END IF;
		IF jsonb_typeof(b->'auth_header') = 'string'
		   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(errs) e WHERE e->'loc' = '["body", "auth_header"]') THEN
			p := @extschema@._outbound_header_problem(b->>'auth_header');
			IF p IS NOT NULL THEN
				errs := errs || @extschema@._err('["body", "auth_header"]', p[2], p[1]);
			END IF;
		END IF;
		SELECT jsonb_agg(e ORDER BY array_position(ARRAY['channel', 'url', 'auth_header'], e->'loc'->>1) NULLS LAST, o)
		  INTO errs FROM jsonb_array_elements(errs) WITH ORDINALITY AS x(e, o);
	END IF;
	PERFORM @extschema@._raise_validation(errs);
END
$$;
COMMENT ON FUNCTION @extschema@._delivery_endpoint_check(jsonb, boolean) IS
'Validates a delivery endpoint body (channel, url, auth_header); 22023 with every error in FastAPI''s shape.';

-- _delivery_endpoint_channel(filters) reads the list's channel filter.
CREATE OR REPLACE FUNCTION @extschema@._delivery_endpoint_channel(filters jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ch text := filters ->> 'channel';
BEGIN
	IF ch IS NOT NULL AND ch NOT IN ('email', 'linkedin') THEN
		PERFORM @extschema@._raise_validation(jsonb_build_array(@extschema@._err('["query", "channel"]',
			'Input should be ''email'' or ''linkedin''', 'enum')));
	END IF;
	RETURN ch;
END
$$;
COMMENT ON FUNCTION @extschema@._delivery_endpoint_channel(jsonb) IS
'The channel filter of delivery_endpoint_list and _count (NULL: both); 22023 for another value.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_create(jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET log_min_error_statement = panic
AS $$
DECLARE
	uid uuid := @extschema@.current_user_id();
	id uuid := gen_random_uuid();
	e @extschema@.delivery_endpoint;
BEGIN
	PERFORM @extschema@._delivery_endpoint_check($1, true);
	INSERT INTO @extschema@.delivery_endpoint (user_id, channel, url, auth_header, delivery_endpoint_id)
	VALUES (uid, $1->>'channel', $1->>'url',
			CASE WHEN jsonb_typeof($1->'auth_header') = 'string'
				 THEN @extschema@._secret_encrypt($1->>'auth_header', uid, @extschema@._delivery_endpoint_secret_context(id)) END,
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
	p record := @extschema@._page(filters);
	ch text := @extschema@._delivery_endpoint_channel(filters);
BEGIN
	RETURN coalesce((
		SELECT jsonb_agg(@extschema@._delivery_endpoint_json(e) ORDER BY e.channel)
		  FROM (SELECT * FROM @extschema@.delivery_endpoint e
				 WHERE e.user_id = @extschema@.current_user_id() AND (ch IS NULL OR e.channel = ch)
				 ORDER BY e.channel OFFSET p.page_offset LIMIT p.page_limit) e), '[]');
END
$$;
COMMENT ON FUNCTION @extschema@.delivery_endpoint_list(jsonb) IS
'GET /delivery-endpoints/: the caller''s delivery endpoints by channel; filters offset, limit (1..100, default 50), channel.';

CREATE OR REPLACE FUNCTION @extschema@.delivery_endpoint_count(filters jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ch text := @extschema@._delivery_endpoint_channel(filters);
BEGIN
	RETURN (SELECT count(*) FROM @extschema@.delivery_endpoint e
			 WHERE e.user_id = @extschema@.current_user_id() AND (ch IS NULL OR e.channel = ch));
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
	PERFORM @extschema@._delivery_endpoint_check(patch, false);
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
