-- Fuzz: thousands of deterministic random and mutated bodies fed to
-- _campaign_validate, and random strings fed to render_template.  Each
-- either returns a result or raises 22023 with a DETAIL that parses as a
-- JSON array of {loc, msg, type}; the backend survives.  Only aggregate
-- counts are printed, so the output is deterministic.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0007-0000000000d1', '00000000-0000-0000-0007-000000000001', 'fuzz');
INSERT INTO campaigns.template (template_id, user_id, name, channel, body) VALUES
	('00000000-0000-0000-0007-0000000000e1', '00000000-0000-0000-0007-000000000001', 'mail', 'email', 'Hi'),
	('00000000-0000-0000-0007-0000000000f1', '00000000-0000-0000-0007-000000000001', 'note', 'linkedin', 'Hi');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0007-000000000001', 'alias-1', 'one@example.com');
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name) VALUES
	('00000000-0000-0000-0007-0000000000c1', '00000000-0000-0000-0007-000000000001', 'li');

-- Valid seeds of each type.
CREATE TABLE t07_seed (id int, body jsonb);
INSERT INTO t07_seed VALUES
(1, '{"name": "E", "dataset_id": "00000000-0000-0000-0007-0000000000d1", "alias_ids": ["alias-1"],
	  "sending_window_start": "08:00", "sending_window_end": "24:00:00", "send_days": ["mon", "sat"],
	  "steps": [{"step": 1, "variants": [{"label": "A", "weight": 30, "template_id": "00000000-0000-0000-0007-0000000000e1"},
										 {"label": "B", "type": "PERSONALIZATION"}], "ai_personalization_enabled": true},
				{"step": 2, "delay_days": 3, "track_clicks": true, "message_template": "Hi {{first_name|there}}",
				 "variants": [{"label": "A", "template_id": "00000000-0000-0000-0007-0000000000e1"}]}]}'),
(2, '{"name": "L", "dataset_id": "00000000-0000-0000-0007-0000000000d1", "type": "linkedin",
	  "connected_account_id": "00000000-0000-0000-0007-0000000000c1", "launch_type": "scheduled",
	  "start_date": "2999-01-01T09:00:00+01:00", "timezone": "Europe/Oslo",
	  "steps": [{"step": 1, "action_type": "connection_request", "message_template": "Hi {{first_name}}"},
				{"step": 2, "action_type": "message", "message_template": "Thanks {{ company | }}"},
				{"step": 3, "action_type": "inmail", "variants": [{"label": "X", "template_id": "00000000-0000-0000-0007-0000000000f1"}]}]}'),
(3, '{"name": "M", "dataset_id": "00000000-0000-0000-0007-0000000000d1", "type": "mixed", "alias_ids": ["alias-1"],
	  "connected_account_id": "00000000-0000-0000-0007-0000000000c1", "daily_limit": 20, "min_interval_seconds": 600,
	  "system_prompt": "You are a friendly sales assistant who writes short, specific, honest notes to people you have never met before.",
	  "steps": [{"step": 1, "channel": "linkedin", "action_type": "profile_visit"},
				{"step": 2, "channel": "email", "variants": [{"label": "A", "template_id": "00000000-0000-0000-0007-0000000000e1", "sender_profile_id": null}]}]}');

-- t07_random_value(depth): a random JSON value, nested up to depth.
CREATE FUNCTION t07_random_value(depth int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	r float8 := random();
	n int;
	a jsonb;
BEGIN
	IF depth <= 0 OR r < 0.55 THEN
		r := random();
		RETURN CASE
			WHEN r < 0.10 THEN 'null'::jsonb
			WHEN r < 0.18 THEN to_jsonb(random() < 0.5)
			WHEN r < 0.30 THEN to_jsonb(floor(random() * 40)::int - 10)
			WHEN r < 0.36 THEN to_jsonb(round((random() * 200 - 100)::numeric, 2))
			WHEN r < 0.40 THEN to_jsonb((10::numeric ^ floor(random() * 30)::int))
			WHEN r < 0.46 THEN to_jsonb(gen_random_uuid()::text)
			WHEN r < 0.52 THEN to_jsonb((ARRAY['email', 'linkedin', 'mixed', 'TEMPLATE', 'PERSONALIZATION',
											   'message', 'inmail', 'send_email', 'connection_request',
											   'mon', 'sun', 'scheduled', 'immediate', 'hold', 'UTC',
											   '09:00', '24:00:00', '2999-01-01T00:00:00Z', 'alias-1',
											   '00000000-0000-0000-0007-0000000000e1',
											   '00000000-0000-0000-0007-0000000000f1',
											   '00000000-0000-0000-0007-0000000000c1',
											   '00000000-0000-0000-0007-0000000000d1'])[1 + floor(random() * 23)::int])
			WHEN r < 0.58 THEN to_jsonb(repeat(chr(32 + floor(random() * 95)::int), floor(random() * 400)::int))
			WHEN r < 0.62 THEN to_jsonb(repeat('{{', floor(random() * 3)::int) || md5(random()::text) || repeat('}}', floor(random() * 3)::int))
			ELSE to_jsonb(md5(random()::text))
		END;
	END IF;
	n := floor(random() * 5)::int;
	IF random() < 0.5 THEN
		SELECT coalesce(jsonb_agg(t07_random_value(depth - 1)), '[]') INTO a FROM generate_series(1, n);
	ELSE
		SELECT coalesce(jsonb_object_agg(
			(ARRAY['name', 'step', 'steps', 'variants', 'label', 'weight', 'type', 'x', '', 'channel',
				   'template_id', 'action_type', 'message_template', 'send_days'])[1 + floor(random() * 14)::int] || i,
			t07_random_value(depth - 1)), '{}') INTO a FROM generate_series(1, n) i;
	END IF;
	RETURN a;
END
$$;

-- t07_paths(j): every path (as text[]) into j.
CREATE FUNCTION t07_paths(j jsonb, prefix text[] DEFAULT '{}') RETURNS SETOF text[] LANGUAGE plpgsql AS $$
DECLARE
	k text;
	i int;
BEGIN
	IF jsonb_typeof(j) = 'object' THEN
		FOR k IN SELECT jsonb_object_keys(j) LOOP
			RETURN NEXT prefix || k;
			RETURN QUERY SELECT * FROM t07_paths(j -> k, prefix || k);
		END LOOP;
	ELSIF jsonb_typeof(j) = 'array' THEN
		FOR i IN 0 .. jsonb_array_length(j) - 1 LOOP
			RETURN NEXT prefix || i::text;
			RETURN QUERY SELECT * FROM t07_paths(j -> i, prefix || i::text);
		END LOOP;
	END IF;
END
$$;

-- t07_mutate(body): 1..3 random mutations: replace a value, delete a key,
-- add an unknown key, wrap a value in an array or object, or duplicate an
-- array element.
CREATE FUNCTION t07_mutate(body jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	paths jsonb;
	p text[];
	r float8;
	parent text[];
BEGIN
	FOR m IN 1 .. 1 + floor(random() * 3)::int LOOP
		SELECT jsonb_agg(to_jsonb(x)) INTO paths FROM t07_paths(body) x;
		IF paths IS NULL THEN
			RETURN body;
		END IF;
		SELECT array_agg(x ORDER BY ord) INTO p
		FROM jsonb_array_elements_text(paths -> floor(random() * jsonb_array_length(paths))::int) WITH ORDINALITY AS e(x, ord);
		r := random();
		parent := p[1:array_length(p, 1) - 1];
		IF r < 0.45 THEN
			body := jsonb_set(body, p, t07_random_value(2));
		ELSIF r < 0.65 THEN
			body := body #- p;
		ELSIF r < 0.75 THEN
			IF jsonb_typeof(body #> parent) = 'object' OR array_length(parent, 1) IS NULL THEN
				body := jsonb_set(body, parent || ('extra_' || floor(random() * 9)::int)::text, t07_random_value(1));
			END IF;
		ELSIF r < 0.85 THEN
			body := jsonb_set(body, p, jsonb_build_array(body #> p));
		ELSIF r < 0.92 THEN
			body := jsonb_set(body, p, jsonb_build_object('v', body #> p));
		ELSIF jsonb_typeof(body #> parent) = 'array' THEN
			body := jsonb_insert(body, p, body #> p);
		END IF;
	END LOOP;
	RETURN body;
END
$$;

-- t07_try(body): 'ok', 'err' (22023 with a well-formed DETAIL) or 'BAD ...'.
CREATE FUNCTION t07_try(body jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	det text;
	d jsonb;
	res jsonb;
BEGIN
	res := campaigns._campaign_validate(body, '00000000-0000-0000-0007-000000000001');
	IF jsonb_typeof(res) <> 'object' OR jsonb_typeof(res->'steps') <> 'array' THEN
		RETURN 'BAD result ' || res::text;
	END IF;
	-- a normalised body validates again to itself
	IF campaigns._campaign_validate(res, '00000000-0000-0000-0007-000000000001') <> res THEN
		RETURN 'BAD not idempotent ' || res::text;
	END IF;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
	IF st <> '22023' THEN
		RETURN 'BAD sqlstate ' || st || ' ' || SQLERRM;
	END IF;
	d := det::jsonb;
	IF jsonb_typeof(d) <> 'array' OR jsonb_array_length(d) = 0 OR EXISTS (
		SELECT 1 FROM jsonb_array_elements(d) e
		WHERE (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e.value) k) <> '{loc,msg,type}'
		   OR jsonb_typeof(e.value->'loc') <> 'array' OR e.value->'loc'->>0 <> 'body'
		   OR jsonb_typeof(e.value->'msg') <> 'string' OR jsonb_typeof(e.value->'type') <> 'string') THEN
		RETURN 'BAD detail ' || det;
	END IF;
	RETURN 'err';
END
$$;

SELECT setseed(0.4242);

-- The seeds are valid.
SELECT id, t07_try(body) FROM t07_seed ORDER BY id;

-- 3000 mutated seeds.
CREATE TABLE t07_result AS
SELECT i, t07_try(t07_mutate((SELECT body FROM t07_seed WHERE id = 1 + i % 3))) AS r
FROM generate_series(1, 3000) i;
SELECT count(*) AS mutated, count(*) FILTER (WHERE r = 'ok') > 0 AS some_ok,
	   count(*) FILTER (WHERE r = 'err') > 0 AS some_err,
	   count(*) FILTER (WHERE r LIKE 'BAD%') AS bad
FROM t07_result;
SELECT r FROM t07_result WHERE r LIKE 'BAD%' LIMIT 5;

-- 1500 random JSON documents, objects and not.
CREATE TABLE t07_random AS
SELECT i, t07_try(CASE WHEN i % 3 = 0 THEN t07_random_value(4)
					   ELSE (SELECT body FROM t07_seed WHERE id = 1 + i % 3) || jsonb_build_object('steps', t07_random_value(4)) END) AS r
FROM generate_series(1, 1500) i;
SELECT count(*) AS random, count(*) FILTER (WHERE r = 'err') > 1000 AS mostly_err,
	   count(*) FILTER (WHERE r LIKE 'BAD%') AS bad
FROM t07_random;
SELECT r FROM t07_random WHERE r LIKE 'BAD%' LIMIT 5;

-- Hostile shapes: deep nesting, huge strings, many keys, many items.
SELECT t07_try(jsonb_build_object('name', 'x', 'steps', (SELECT ('[' || repeat('[', 5000) || repeat(']', 5000) || ']')::jsonb)));
SELECT t07_try((SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 20000) i));
SELECT t07_try(jsonb_build_object('name', repeat('n', 1000000), 'timezone', repeat('Z', 1000000),
	'dataset_id', repeat('0', 1000000), 'start_date', repeat('2', 1000000), 'sending_window_end', repeat('1', 1000000)));
SELECT t07_try(jsonb_build_object('alias_ids', (SELECT jsonb_agg('a' || i) FROM generate_series(1, 20000) i)));
SELECT t07_try(jsonb_build_object('send_days', (SELECT jsonb_agg('mon'::text) FROM generate_series(1, 20000) i)));
SELECT t07_try(jsonb_build_object('steps', (SELECT jsonb_agg(i) FROM generate_series(1, 100000) i)));
-- 20000 unknown keys give at most 1000 errors
CREATE FUNCTION t07_count(body jsonb) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	det text;
BEGIN
	PERFORM campaigns._campaign_validate(body, '00000000-0000-0000-0007-000000000001');
	RETURN 0;
EXCEPTION WHEN invalid_parameter_value THEN
	GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_array_length(det::jsonb);
END
$$;
SELECT t07_count((SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 20000) i)) AS capped_errors;

-- render_template with 3000 random templates: a result or 22023.
CREATE FUNCTION t07_render(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	r jsonb;
BEGIN
	r := campaigns.render_template(t, '{"first_name": "Ann", "fields": {"x": 1}}');
	IF jsonb_typeof(r->'text') <> 'string' OR jsonb_typeof(r->'missing') <> 'array' THEN
		RETURN 'BAD ' || r::text;
	END IF;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
	RETURN CASE WHEN st = '22023' THEN 'err' ELSE 'BAD ' || st || ' ' || SQLERRM END;
END
$$;
CREATE TABLE t07_render_result AS
SELECT i, t07_render((SELECT string_agg((ARRAY['{{', '}}', '{', '}', '|', ' ', 'first_name', 'x', '.', '1', '_', 'é', 'fields.x', '{{first_name}}', '{{x|y}}'])[1 + floor(random() * 15)::int], '')
					  FROM generate_series(1, (i % 17) + 1))) AS r
FROM generate_series(1, 3000) i;
SELECT count(*) AS templates, count(*) FILTER (WHERE r = 'ok') > 0 AS some_ok,
	   count(*) FILTER (WHERE r = 'err') > 0 AS some_err, count(*) FILTER (WHERE r LIKE 'BAD%') AS bad
FROM t07_render_result;

-- Agreement: the validator's merge-field check and the renderer accept the
-- same templates.
SELECT count(*) AS disagreements
FROM (SELECT (SELECT string_agg((ARRAY['{{', '}}', '|', ' ', 'a', '1', '.'])[1 + floor(random() * 7)::int], '')
			  FROM generate_series(1, (i % 9) + 1)) AS t
	  FROM generate_series(1, 1000) i) s
WHERE (t07_render(s.t) = 'ok') <>
	  (t07_try(jsonb_set((SELECT body FROM t07_seed WHERE id = 2), '{steps,1,message_template}', to_jsonb(s.t))) = 'ok');

-- The backend is still here.
SELECT 1 AS alive;
