-- Fuzz of the CSV lead parser: thousands of deterministic random and
-- mutated uploads.  Each either parses into an array of objects or raises
-- 22023; the backend survives.  Only aggregate counts are printed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SELECT setseed(0.1010);

CREATE FUNCTION pg_temp.outcome(csv text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
	r := campaigns._csv_to_leads(csv);
	IF jsonb_typeof(r) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(r) e WHERE jsonb_typeof(e) <> 'object') THEN
		RETURN 'bad shape';
	END IF;
	RETURN 'parsed';
EXCEPTION WHEN invalid_parameter_value THEN
	RETURN '22023';
END $$;

-- Random strings over the characters that matter to CSV.
CREATE TEMP TABLE fuzz AS
SELECT i, (SELECT string_agg(substr(E'ab,"\n\r x@.\xEF\xBB\xBF', 1 + floor(random() * 14)::int, 1), '')
			 FROM generate_series(1, 1 + (i % 60)) WHERE i > 0) AS csv
  FROM generate_series(1, 3000) i;
-- Mutations of a valid upload: a character dropped, doubled or replaced.
INSERT INTO fuzz
SELECT 100000 + i, overlay(base PLACING substr(E',"\n\rq', 1 + floor(random() * 5)::int, 1)
						   FROM 1 + floor(random() * length(base))::int FOR floor(random() * 2)::int)
  FROM generate_series(1, 2000) i,
	   (VALUES (E'email,first_name,company,plan\r\n"a@x.io","A","Q, ""Inc""",gold\n\nb@x.io,,,\n')) v(base);
-- Hostile sizes: a long header, many rows, a huge quoted cell, NUL-free binary-ish text.
INSERT INTO fuzz VALUES
	(900001, (SELECT string_agg('c' || g, ',') FROM generate_series(1, 5000) g) || E'\n1'),
	(900002, 'email' || repeat(E'\nx@y.io', 20000)),
	(900003, E'email,first_name\n"' || repeat('z', 1000000) || E'",b\n'),
	(900004, repeat(E'\r', 1000)),
	(900005, repeat('"', 10001)),
	(900006, E'email\n' || repeat(',', 1000));

SELECT pg_temp.outcome(csv) AS outcome, count(*) FROM fuzz GROUP BY 1 ORDER BY 1;
SELECT count(*) AS cases FROM fuzz;
SELECT 1 AS backend_alive;
