-- _campaign_validate: steps and variants -- every rule at its boundaries,
-- channel against campaign type, action types, message templates and their
-- merge fields, template and sender profile references, unknown keys, and
-- many errors at once with their loc paths.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- Two users: 04..01 (the caller) and 04..02 (someone else).
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0005-0000000000d1', '00000000-0000-0000-0005-000000000001', 'mine'),
	('00000000-0000-0000-0005-0000000000d2', '00000000-0000-0000-0005-000000000002', 'theirs');
INSERT INTO campaigns.template (template_id, user_id, name, channel, subject, body) VALUES
	('00000000-0000-0000-0005-0000000000e1', '00000000-0000-0000-0005-000000000001', 'mail', 'email', 'Hi', 'Hi {{first_name}}'),
	('00000000-0000-0000-0005-0000000000f1', '00000000-0000-0000-0005-000000000001', 'note', 'linkedin', NULL, 'Hi {{first_name}}'),
	('00000000-0000-0000-0005-0000000000e2', '00000000-0000-0000-0005-000000000002', 'theirs', 'email', 'Hi', 'Hi');
INSERT INTO campaigns.sender_profile (sender_profile_id, user_id, profile_name) VALUES
	('00000000-0000-0000-0005-0000000000a1', '00000000-0000-0000-0005-000000000001', 'me'),
	('00000000-0000-0000-0005-0000000000a2', '00000000-0000-0000-0005-000000000002', 'them');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0005-000000000001', 'alias-1', 'one@example.com'),
	('00000000-0000-0000-0005-000000000001', 'alias-2', 'two@example.com'),
	('00000000-0000-0000-0005-000000000002', 'alias-x', 'x@example.org');
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name) VALUES
	('00000000-0000-0000-0005-0000000000c1', '00000000-0000-0000-0005-000000000001', 'my linkedin'),
	('00000000-0000-0000-0005-0000000000c2', '00000000-0000-0000-0005-000000000002', 'their linkedin');

-- t05_check(body) runs the validator as the current user and shows either
-- 'ok' or one row per error; it also checks that the DETAIL is a JSON array
-- of objects with exactly the keys loc, msg and type.
CREATE FUNCTION t05_check(body jsonb, check_future boolean DEFAULT true)
RETURNS TABLE (state text, loc text, type text, msg text)
LANGUAGE plpgsql AS $$
DECLARE
	st text;
	det text;
	e jsonb;
BEGIN
	PERFORM campaigns._campaign_validate(body, campaigns.current_user_id(), check_future);
	state := 'ok';
	RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
	IF st <> '22023' THEN
		RAISE;
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(det::jsonb)
	LOOP
		IF (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e) k) <> '{loc,msg,type}'
			OR e->'loc'->>0 <> 'body' THEN
			RAISE 'malformed error object %', e;
		END IF;
		state := st;
		loc := e->>'loc';
		type := e->>'type';
		msg := e->>'msg';
		RETURN NEXT;
	END LOOP;
END
$$;

-- A minimal valid email body, to mutate.
CREATE FUNCTION t05_email() RETURNS jsonb LANGUAGE sql AS $$
SELECT '{"name": "Spring outreach",
		 "dataset_id": "00000000-0000-0000-0005-0000000000d1",
		 "alias_ids": ["alias-1"],
		 "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "00000000-0000-0000-0005-0000000000e1"}]}]}'::jsonb
$$;

-- t05_li(): a minimal valid linkedin body.
CREATE FUNCTION t05_li() RETURNS jsonb LANGUAGE sql AS $$
SELECT '{"name": "LI", "dataset_id": "00000000-0000-0000-0005-0000000000d1", "type": "linkedin",
		 "connected_account_id": "00000000-0000-0000-0005-0000000000c1",
		 "steps": [{"step": 1, "action_type": "profile_visit"}]}'::jsonb
$$;
-- t05_step(body, patch): body with patch merged into steps[0].
CREATE FUNCTION t05_step(body jsonb, patch jsonb) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_set(body, '{steps,0}', (body->'steps'->0) || patch)
$$;
-- t05_var(patch): the email body with patch merged into steps[0].variants[0].
CREATE FUNCTION t05_var(patch jsonb) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_set(t05_email(), '{steps,0,variants,0}', (t05_email()->'steps'->0->'variants'->0) || patch)
$$;
-- t05_steps(n): n valid email steps numbered 1..n.
CREATE FUNCTION t05_steps(n int) RETURNS jsonb LANGUAGE sql AS $$
SELECT coalesce(jsonb_agg(jsonb_build_object('step', i, 'variants',
		jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', '00000000-0000-0000-0005-0000000000e1')))), '[]')
FROM generate_series(1, n) i
$$;
-- t05_variants(n): n valid variants labelled v1..vn.
CREATE FUNCTION t05_variants(n int) RETURNS jsonb LANGUAGE sql AS $$
SELECT coalesce(jsonb_agg(jsonb_build_object('label', 'v' || i, 'template_id', '00000000-0000-0000-0005-0000000000e1')), '[]')
FROM generate_series(1, n) i
$$;

-- Test as an ordinary role: RLS applies, and the answers are the same.
CREATE ROLE t05_user;
GRANT campaigns_user TO t05_user;
GRANT USAGE ON SCHEMA public TO t05_user;
-- (The validator runs inside the API functions, as their owner; it is granted
-- here only to check its answers from an ordinary role.)
GRANT EXECUTE ON FUNCTION campaigns._campaign_validate(jsonb, uuid, boolean) TO t05_user;
SET ROLE t05_user;
SET campaigns.user_id = '00000000-0000-0000-0005-000000000001';

-- steps: a list of 1..10 step objects.
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(0)));
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(1)));
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(10)));
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(11)));
SELECT * FROM t05_check(t05_email() || '{"steps": {"step": 1}}');
SELECT * FROM t05_check(t05_email() || '{"steps": null}');
SELECT * FROM t05_check(t05_email() || '{"steps": [1, "x", [], null]}');

-- step: integer 1..10, distinct; output sorted by step.
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": 0}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": 10}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": 11}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": "1"}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": 1.0}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"step": null}'));
SELECT * FROM t05_check(t05_email() #- '{steps,0,step}');
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(3) || t05_steps(2)));
SELECT jsonb_path_query_array(campaigns._campaign_validate(t05_email() || jsonb_build_object('steps',
	jsonb_build_array(t05_steps(10)->4, t05_steps(10)->9, t05_steps(10)->0, t05_steps(10)->6)),
	campaigns.current_user_id()), '$.steps[*].step') AS sorted;

-- delay_days: 0..365.
SELECT * FROM t05_check(t05_step(t05_email(), '{"delay_days": -1}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"delay_days": 0}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"delay_days": 365}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"delay_days": 366}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"delay_days": null}'));

-- channel: email or linkedin, fitting the campaign type.
SELECT * FROM t05_check(t05_step(t05_email(), '{"channel": "sms"}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"channel": null}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"channel": "linkedin", "action_type": "follow"}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"channel": "email", "variants": [{"label": "A", "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));
SELECT * FROM t05_check(t05_email() || '{"type": "mixed"}');
SELECT * FROM t05_check(t05_step(t05_email() || '{"type": "mixed"}', '{"channel": null}'));
SELECT * FROM t05_check(t05_step(t05_email() || '{"type": "mixed"}', '{"channel": "email"}'));
-- a linkedin step in a mixed campaign needs the connected account
SELECT * FROM t05_check(t05_step(t05_li() || '{"type": "mixed"}', '{"channel": "linkedin"}') - 'connected_account_id');
SELECT * FROM t05_check(t05_li() - 'connected_account_id');
SELECT * FROM t05_check(t05_li() || '{"connected_account_id": null}');

-- variants: 1..5, required on email steps, optional on linkedin steps.
SELECT * FROM t05_check(t05_step(t05_email(), jsonb_build_object('variants', t05_variants(0))));
SELECT * FROM t05_check(t05_step(t05_email(), jsonb_build_object('variants', t05_variants(1))));
SELECT * FROM t05_check(t05_step(t05_email(), jsonb_build_object('variants', t05_variants(5))));
SELECT * FROM t05_check(t05_step(t05_email(), jsonb_build_object('variants', t05_variants(6))));
SELECT * FROM t05_check(t05_email() #- '{steps,0,variants}');
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": null}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": {"label": "A"}}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": ["A", 1, null]}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"variants": null}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"variants": [{"label": "L", "template_id": "00000000-0000-0000-0005-0000000000f1"}]}'));

-- label: 1..10 characters, distinct within a step.
SELECT * FROM t05_check(t05_var('{"label": ""}'));
SELECT * FROM t05_check(t05_var('{"label": "a"}'));
SELECT * FROM t05_check(t05_var(jsonb_build_object('label', repeat('l', 10))));
SELECT * FROM t05_check(t05_var(jsonb_build_object('label', repeat('l', 11))));
SELECT * FROM t05_check(t05_var('{"label": 1}'));
SELECT * FROM t05_check(t05_email() #- '{steps,0,variants,0,label}');
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": [{"label": "A", "template_id": "00000000-0000-0000-0005-0000000000e1"}, {"label": "B", "template_id": "00000000-0000-0000-0005-0000000000e1"}, {"label": "A", "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));
-- the same label in two steps is fine
SELECT * FROM t05_check(t05_email() || jsonb_build_object('steps', t05_steps(2)));

-- weight: 0..100, at least one > 0 in a step.
SELECT * FROM t05_check(t05_var('{"weight": -1}'));
SELECT * FROM t05_check(t05_var('{"weight": 0}'));
SELECT * FROM t05_check(t05_var('{"weight": 1}'));
SELECT * FROM t05_check(t05_var('{"weight": 100}'));
SELECT * FROM t05_check(t05_var('{"weight": 101}'));
SELECT * FROM t05_check(t05_var('{"weight": "50"}'));
SELECT * FROM t05_check(t05_var('{"weight": 50.5}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": [{"label": "A", "weight": 0, "template_id": "00000000-0000-0000-0005-0000000000e1"}, {"label": "B", "weight": 0, "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"variants": [{"label": "A", "weight": 0, "template_id": "00000000-0000-0000-0005-0000000000e1"}, {"label": "B", "weight": 1, "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));

-- type: TEMPLATE or PERSONALIZATION; PERSONALIZATION needs AI on its step;
-- TEMPLATE needs a template_id.
SELECT * FROM t05_check(t05_var('{"type": "template"}'));
SELECT * FROM t05_check(t05_var('{"type": null}'));
SELECT * FROM t05_check(t05_var('{"type": "PERSONALIZATION", "template_id": null}'));
SELECT * FROM t05_check(t05_step(t05_var('{"type": "PERSONALIZATION", "template_id": null}'), '{"ai_personalization_enabled": false}'));
SELECT * FROM t05_check(t05_step(t05_var('{"type": "PERSONALIZATION", "template_id": null}'), '{"ai_personalization_enabled": true}'));
SELECT * FROM t05_check(t05_email() #- '{steps,0,variants,0,template_id}');
SELECT * FROM t05_check(t05_var('{"template_id": null}'));
SELECT * FROM t05_check(t05_var('{"type": "TEMPLATE", "template_id": "nope"}'));
SELECT * FROM t05_check(t05_var('{"template_id": ["00000000-0000-0000-0005-0000000000e1"]}'));

-- template_id: the caller's template of the step's channel; another user's
-- template looks exactly like a missing one.
SELECT * FROM t05_check(t05_var('{"template_id": "00000000-0000-0000-0005-0000000000e2"}'));
SELECT * FROM t05_check(t05_var('{"template_id": "00000000-0000-0000-0005-0000000000e9"}'));
SELECT * FROM t05_check(t05_var('{"template_id": "00000000-0000-0000-0005-0000000000f1"}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"variants": [{"label": "L", "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));
-- in a mixed campaign, the step's own channel decides
SELECT * FROM t05_check(t05_step(t05_li() || '{"type": "mixed"}', '{"channel": "linkedin", "variants": [{"label": "L", "template_id": "00000000-0000-0000-0005-0000000000e1"}]}'));

-- sender_profile_id: the caller's profile, or null.
SELECT * FROM t05_check(t05_var('{"sender_profile_id": "00000000-0000-0000-0005-0000000000a1"}'));
SELECT * FROM t05_check(t05_var('{"sender_profile_id": null}'));
SELECT * FROM t05_check(t05_var('{"sender_profile_id": "00000000-0000-0000-0005-0000000000a2"}'));
SELECT * FROM t05_check(t05_var('{"sender_profile_id": "00000000-0000-0000-0005-0000000000a9"}'));
SELECT * FROM t05_check(t05_var('{"sender_profile_id": "00000000-0000-0000-0005-0000000000a1x"}'));
SELECT * FROM t05_check(t05_var('{"sender_profile_id": false}'));

-- ai_personalization_enabled and track_clicks: strict booleans; clicks
-- are tracked on email steps only.
SELECT * FROM t05_check(t05_step(t05_email(), '{"ai_personalization_enabled": 1}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"ai_personalization_enabled": "true"}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"ai_personalization_enabled": null}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"track_clicks": true}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"track_clicks": 0}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"track_clicks": true}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"track_clicks": false}'));

-- action_type: required on linkedin steps, one of seven; email steps take
-- null or send_email.
SELECT a, (SELECT string_agg(coalesce(type, state), ', ') FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', a, 'message_template', 'Hello')))) AS result
FROM unnest(ARRAY['connection_request', 'message', 'inmail', 'profile_visit', 'follow', 'like_post',
				  'withdraw_invitation', 'send_email', 'tweet', 'MESSAGE']) a;
SELECT * FROM t05_check(t05_li() #- '{steps,0,action_type}');
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": null}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": 3}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"action_type": "send_email"}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"action_type": null}'));
SELECT * FROM t05_check(t05_step(t05_email(), '{"action_type": "message"}'));

-- message_template: a connection note <= 300, messages <= 8000; required for
-- message/inmail unless variants or AI supply the text; merge fields parse.
SELECT * FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'connection_request', 'message_template', repeat('m', 300))));
SELECT * FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'connection_request', 'message_template', repeat('m', 301))));
SELECT * FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'connection_request', 'message_template', repeat('ü', 300))));
SELECT * FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'message', 'message_template', repeat('m', 8000))));
SELECT * FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'message', 'message_template', repeat('m', 8001))));
SELECT * FROM t05_check(t05_step(t05_email(), jsonb_build_object('message_template', repeat('m', 8001))));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "connection_request"}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "message"}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "inmail", "message_template": null}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "inmail", "ai_personalization_enabled": true}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "message", "variants": [{"label": "L", "template_id": "00000000-0000-0000-0005-0000000000f1"}]}'));
SELECT * FROM t05_check(t05_step(t05_li(), '{"action_type": "message", "message_template": 42}'));
SELECT t, (SELECT string_agg(coalesce(type || ': ' || msg, state), '; ') FROM t05_check(t05_step(t05_li(), jsonb_build_object('action_type', 'message', 'message_template', t)))) AS result
FROM unnest(ARRAY['Hi {{first_name}}', 'Hi {{ first_name | there }}!', '{{company|your team}} }} {', 'Hi {{fields.role_2}}',
				  'Hi {{first_name', 'Hi {{}}', 'Hi {{ |x}}', 'Hi {{1st}}', 'Hi {{first name}}', 'Hi {{a-b}}',
				  'Hi {{a {{b}} }}', '{{{x}}}', '']) t;

-- Unknown keys in a step and in a variant.
SELECT * FROM t05_check(t05_step(t05_email(), '{"wait_days": 1, "Step": 2}'));
SELECT * FROM t05_check(t05_var('{"subject": "Hi", "weights": 5}'));

-- Many errors at once, across steps and variants, loc indexes as given
-- (before sorting), fields in declaration order, extras, then cross-field
-- rules, then references.
SELECT * FROM t05_check('{
	"name": "Many", "dataset_id": "00000000-0000-0000-0005-0000000000d1", "type": "email",
	"alias_ids": ["alias-1"],
	"steps": [
		{"step": 3, "delay_days": 400, "variants": [
			{"label": "A", "weight": 101, "template_id": "00000000-0000-0000-0005-0000000000e2"},
			{"label": "A", "type": "PERSONALIZATION", "x": 1}]},
		{"step": 3, "channel": "linkedin", "track_clicks": true, "action_type": "tweet",
		 "variants": [{"label": "B", "template_id": "00000000-0000-0000-0005-0000000000f1",
					   "sender_profile_id": "00000000-0000-0000-0005-0000000000a2"}]},
		{"step": 1, "variants": [{"weight": 0, "template_id": "00000000-0000-0000-0005-0000000000f1"}], "message_template": "{{oops"}
	]}');

-- The benchmark body: 10 steps of 5 variants each, valid.
SELECT jsonb_array_length(v->'steps') AS steps,
	   (SELECT sum(jsonb_array_length(s->'variants')) FROM jsonb_array_elements(v->'steps') s) AS variants
FROM campaigns._campaign_validate(t05_email() || jsonb_build_object('steps',
	(SELECT jsonb_agg(jsonb_build_object('step', i, 'delay_days', i, 'variants', t05_variants(5)) ORDER BY i DESC)
	 FROM generate_series(1, 10) i)), campaigns.current_user_id()) v;
