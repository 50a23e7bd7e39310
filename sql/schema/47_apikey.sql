-- API keys (SPEC §2, §10 "Administration").  Minted, revoked and limited by
-- the extension owner only (no grants, 90_grants.sql); the token is returned
-- once and only its SHA-256 is stored.

CREATE OR REPLACE FUNCTION @extschema@._api_key_token() RETURNS text
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'api_key_token';

CREATE OR REPLACE FUNCTION @extschema@.api_key_create(user_id uuid, name text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	token text := @extschema@._api_key_token();
BEGIN
	IF user_id IS NULL THEN
		RAISE EXCEPTION 'user_id must not be null' USING ERRCODE = '22004';
	END IF;
	-- 22023 carries the same JSON error array as every validation error.
	IF name IS NULL OR char_length(name) NOT BETWEEN 1 AND 255 THEN
		RAISE EXCEPTION 'an API key needs a name of 1 to 255 characters' USING ERRCODE = '22023',
			DETAIL = jsonb_build_array(CASE
				WHEN name IS NULL THEN @extschema@._err('["name"]', 'Field required', 'missing')
				WHEN char_length(name) < 1 THEN @extschema@._err('["name"]', 'String should have at least 1 character', 'string_too_short')
				ELSE @extschema@._err('["name"]', 'String should have at most 255 characters', 'string_too_long') END)::text;
	END IF;
	INSERT INTO @extschema@.api_key (user_id, name, token_hash, token_prefix)
	VALUES (user_id, name, sha256(convert_to(token, 'UTF8')), left(token, 13));
	RETURN token;
END
$$;
COMMENT ON FUNCTION @extschema@.api_key_create(uuid, text) IS
'Mints an API key for a user: returns the token (cmp_live_ + 43 URL-safe characters) once; stores only its SHA-256.';

CREATE OR REPLACE FUNCTION @extschema@.api_key_revoke(token text) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH r AS (
		UPDATE @extschema@.api_key SET revoked_at = now()
		 WHERE token_hash = sha256(convert_to(token, 'UTF8')) AND revoked_at IS NULL
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM r)
$$;
COMMENT ON FUNCTION @extschema@.api_key_revoke(text) IS
'Revokes the key of a token; a revoked key authenticates nothing.  True when a live key was revoked.';

-- api_key_set_rate_limit(api_key_id, limit): the key's own requests per
-- minute; null gives it the default (campaigns.http_rate_limit_per_minute),
-- 0 no limit.  http_handle applies it from the next request on (the key
-- cache follows the trigger api_key_changed).
CREATE OR REPLACE FUNCTION @extschema@.api_key_set_rate_limit(api_key_id uuid, rate_limit_per_minute integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	IF api_key_set_rate_limit.rate_limit_per_minute < 0 THEN
		RAISE EXCEPTION 'a rate limit is a number of requests per minute, 0 or more'
			USING ERRCODE = '22023',
				  DETAIL = jsonb_build_array(@extschema@._err('["rate_limit_per_minute"]',
							'Input should be greater than or equal to 0', 'greater_than_equal'))::text,
				  HINT = '0 means no limit; null means the default, campaigns.http_rate_limit_per_minute.';
	END IF;
	UPDATE @extschema@.api_key k
	   SET rate_limit_per_minute = api_key_set_rate_limit.rate_limit_per_minute
	 WHERE k.api_key_id = api_key_set_rate_limit.api_key_id AND k.revoked_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n > 0;
END
$$;
COMMENT ON FUNCTION @extschema@.api_key_set_rate_limit(uuid, integer) IS
'Owner only.  Sets a live key''s requests per minute (null: the default campaigns.http_rate_limit_per_minute; 0: no limit; negative: 22023); true when a live key was changed.';
