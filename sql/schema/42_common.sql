-- Helpers shared by the SQL API: timestamps in RFC 3339 UTC, validation
-- errors in FastAPI's shape, pagination filters, field checks for the small
-- objects (datasets, leads, templates, sender profiles, identities).

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

CREATE OR REPLACE FUNCTION @extschema@._is_timestamptz(s text) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	PERFORM s::timestamptz;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

-- _check_object(body, spec, loc) returns the errors of body against spec, an
-- object of field -> {type, required, nullable, min, max, values}; types are
-- string, integer, boolean, object, uuid, email, enum, datetime, timezone.
-- Unknown keys are extra_forbidden.  Messages and types are Pydantic v2's.
CREATE OR REPLACE FUNCTION @extschema@._check_object(body jsonb, spec jsonb, loc jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	errs jsonb := '[]';
	f text;
	s jsonb;
	v jsonb;
	t text;
	l jsonb;
	n bigint;
	str text;
BEGIN
	IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
		RETURN jsonb_build_array(@extschema@._err(loc,
			'Input should be a valid dictionary or object to extract fields from', 'model_attributes_type'));
	END IF;
	FOR f, s IN SELECT key, value FROM jsonb_each(spec) ORDER BY (value->>'order')::int NULLS LAST, key LOOP
		l := loc || to_jsonb(f);
		IF NOT body ? f THEN
			IF coalesce((s->>'required')::boolean, false) THEN
				errs := errs || @extschema@._err(l, 'Field required', 'missing');
			END IF;
			CONTINUE;
		END IF;
		v := body -> f;
		t := s ->> 'type';
		IF jsonb_typeof(v) = 'null' THEN
			IF NOT coalesce((s->>'nullable')::boolean, false) THEN
				errs := errs || CASE t
					WHEN 'integer' THEN @extschema@._err(l, 'Input should be a valid integer', 'int_type')
					WHEN 'boolean' THEN @extschema@._err(l, 'Input should be a valid boolean', 'bool_type')
					WHEN 'object' THEN @extschema@._err(l, 'Input should be a valid dictionary', 'dict_type')
					WHEN 'uuid' THEN @extschema@._err(l, 'UUID input should be a string, bytes or UUID object', 'uuid_type')
					ELSE @extschema@._err(l, 'Input should be a valid string', 'string_type') END;
			END IF;
			CONTINUE;
		END IF;
		IF t = 'integer' THEN
			IF jsonb_typeof(v) <> 'number' OR v::text !~ '^-?[0-9]+$' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid integer', 'int_type');
			ELSIF length(v::text) > 18 OR (s ? 'min' AND v::text::numeric < (s->>'min')::numeric) THEN
				errs := errs || @extschema@._err(l, format('Input should be greater than or equal to %s', s->>'min'), 'greater_than_equal');
			ELSIF s ? 'max' AND v::text::numeric > (s->>'max')::numeric THEN
				errs := errs || @extschema@._err(l, format('Input should be less than or equal to %s', s->>'max'), 'less_than_equal');
			END IF;
		ELSIF t = 'boolean' THEN
			IF jsonb_typeof(v) <> 'boolean' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid boolean', 'bool_type');
			END IF;
		ELSIF t = 'object' THEN
			IF jsonb_typeof(v) <> 'object' THEN
				errs := errs || @extschema@._err(l, 'Input should be a valid dictionary', 'dict_type');
			END IF;
		ELSIF jsonb_typeof(v) <> 'string' THEN
			errs := errs || CASE t
				WHEN 'uuid' THEN @extschema@._err(l, 'UUID input should be a string, bytes or UUID object', 'uuid_type')
				ELSE @extschema@._err(l, 'Input should be a valid string', 'string_type') END;
		ELSE
			str := v #>> '{}';
			n := char_length(str);
			IF t = 'uuid' THEN
				IF str !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
					errs := errs || @extschema@._err(l, 'Input should be a valid UUID', 'uuid_parsing');
				END IF;
			ELSIF t = 'enum' THEN
				IF NOT (s->'values') ? str THEN
					errs := errs || @extschema@._err(l, format('Input should be %s',
						(SELECT CASE WHEN count(*) = 1 THEN min(q)
							ELSE string_agg(q, ', ' ORDER BY o) FILTER (WHERE o < count_all) || ' or ' || max(q) FILTER (WHERE o = count_all) END
						 FROM (SELECT quote_literal(x) AS q, o, count(*) OVER () AS count_all
							   FROM jsonb_array_elements_text(s->'values') WITH ORDINALITY AS e(x, o)) z)), 'enum');
				END IF;
			ELSIF t = 'datetime' THEN
				IF str !~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})$'
				   OR NOT @extschema@._is_timestamptz(str) THEN
					errs := errs || @extschema@._err(l, 'Input should be a valid datetime', 'datetime_parsing');
				END IF;
			ELSIF s ? 'min' AND n < (s->>'min')::int THEN
				errs := errs || @extschema@._err(l, format('String should have at least %s character%s',
					s->>'min', CASE WHEN (s->>'min')::int = 1 THEN '' ELSE 's' END), 'string_too_short');
			ELSIF s ? 'max' AND n > (s->>'max')::int THEN
				errs := errs || @extschema@._err(l, format('String should have at most %s character%s',
					s->>'max', CASE WHEN (s->>'max')::int = 1 THEN '' ELSE 's' END), 'string_too_long');
			ELSIF t = 'email' AND str !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' THEN
				errs := errs || @extschema@._err(l, 'value is not a valid email address', 'value_error');
			ELSIF t = 'timezone' AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = str) THEN
				errs := errs || @extschema@._err(l, 'Value error, unknown time zone', 'value_error');
			END IF;
		END IF;
	END LOOP;
	FOR f IN SELECT key FROM jsonb_object_keys(body) AS k(key) WHERE NOT spec ? key ORDER BY key LOOP
		errs := errs || @extschema@._err(loc || to_jsonb(f), 'Extra inputs are not permitted', 'extra_forbidden');
	END LOOP;
	RETURN errs;
END
$$;
COMMENT ON FUNCTION @extschema@._check_object(jsonb, jsonb, jsonb) IS
'Checks a request object against a field spec; returns the validation errors (empty array when valid).';

-- _page(filters) reads offset and limit (JSON numbers, or numeric strings from
-- a query string): offset >= 0 (default 0), limit 1..100 (default 50).
CREATE OR REPLACE FUNCTION @extschema@._page(filters jsonb, OUT page_offset bigint, OUT page_limit integer)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	errs jsonb := '[]';
	o text := coalesce(filters ->> 'offset', '0');
	l text := coalesce(filters ->> 'limit', '50');
BEGIN
	IF o !~ '^\s*[0-9]{1,15}\s*$' THEN
		errs := errs || @extschema@._err('["query","offset"]', CASE WHEN o ~ '^\s*-[0-9]+\s*$'
			THEN 'Input should be greater than or equal to 0' ELSE 'Input should be a valid integer, unable to parse string as an integer' END,
			CASE WHEN o ~ '^\s*-[0-9]+\s*$' THEN 'greater_than_equal' ELSE 'int_parsing' END);
	END IF;
	IF l !~ '^\s*-?[0-9]{1,9}\s*$' THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing');
	ELSIF l::int < 1 THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be greater than or equal to 1', 'greater_than_equal');
	ELSIF l::int > 100 THEN
		errs := errs || @extschema@._err('["query","limit"]', 'Input should be less than or equal to 100', 'less_than_equal');
	END IF;
	PERFORM @extschema@._raise_validation(errs);
	page_offset := o::bigint;
	page_limit := l::int;
END
$$;
COMMENT ON FUNCTION @extschema@._page(jsonb) IS
'Offset/limit pagination filters: offset >= 0 (default 0), limit 1..100 (default 50); 22023 otherwise.';
