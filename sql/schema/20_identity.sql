-- Identity: who is calling (SPEC §2).

CREATE OR REPLACE FUNCTION @extschema@.current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	v text := nullif(current_setting('campaigns.user_id', true), '');
	claims text;
BEGIN
	IF v IS NULL THEN
		claims := nullif(current_setting('request.jwt.claims', true), '');
		IF claims IS NOT NULL THEN
			BEGIN
				v := claims::jsonb ->> 'sub';
			EXCEPTION WHEN others THEN
				v := NULL;
			END;
		END IF;
	END IF;
	IF v IS NULL THEN
		RAISE EXCEPTION 'no authenticated user'
			USING ERRCODE = '28000',
				  HINT = 'Set campaigns.user_id or request.jwt.claims.';
	END IF;
	BEGIN
		RETURN v::uuid;
	EXCEPTION WHEN invalid_text_representation THEN
		RAISE EXCEPTION 'no authenticated user'
			USING ERRCODE = '28000',
				  DETAIL = 'The user id is not a uuid.';
	END;
END
$$;
COMMENT ON FUNCTION @extschema@.current_user_id() IS
'The calling user: GUC campaigns.user_id, else request.jwt.claims ->> ''sub'' (PostgREST), else SQLSTATE 28000.';
