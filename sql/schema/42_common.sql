-- Helpers shared by the SQL API: timestamps in RFC 3339 UTC, errors in
-- FastAPI's shape.  (Bodies and filters are checked by _validate, in C.)

CREATE OR REPLACE FUNCTION @extschema@._ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN t IS NULL THEN NULL
		WHEN date_part('microseconds', t)::bigint % 1000000 = 0
			THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
	END
$$;
COMMENT ON FUNCTION @extschema@._ts(timestamptz) IS
'A timestamp as RFC 3339 in UTC ending in Z (fractional seconds only when there are any).  STABLE like to_char, so that it is inlined.';

CREATE OR REPLACE FUNCTION @extschema@._raise_validation(errors jsonb) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	IF errors IS NOT NULL AND jsonb_array_length(errors) > 0 THEN
		RAISE EXCEPTION 'invalid request'
			USING ERRCODE = '22023', DETAIL = errors::text;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._raise_validation(jsonb) IS
'Raises SQLSTATE 22023 whose DETAIL is the JSON array of {loc,msg,type} items, when there are any.';

CREATE OR REPLACE FUNCTION @extschema@._err(loc jsonb, msg text, type text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT jsonb_build_object('loc', loc, 'msg', msg, 'type', type) $$;

CREATE OR REPLACE FUNCTION @extschema@._not_found(what text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION '% not found', what USING ERRCODE = 'P0002';
END
$$;
COMMENT ON FUNCTION @extschema@._not_found(text) IS
'Raises SQLSTATE P0002 (HTTP 404): used alike for a missing object and for another user''s.';

CREATE OR REPLACE FUNCTION @extschema@._conflict(msg text, detail text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION '%', msg USING ERRCODE = '55000', DETAIL = coalesce(detail, '');
END
$$;
