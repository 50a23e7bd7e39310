-- _campaign_validate: valid bodies of each type and their normalised form,
-- body-level fields at their boundaries, strict JSON types, unknown keys,
-- several errors at once, and references to other users' objects.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

-- Two users: 04..01 (the caller) and 04..02 (someone else).
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0004-0000000000d1', '00000000-0000-0000-0004-000000000001', 'mine'),
	('00000000-0000-0000-0004-0000000000d2', '00000000-0000-0000-0004-000000000002', 'theirs');
INSERT INTO campaigns.template (template_id, user_id, name, channel, subject, body) VALUES
	('00000000-0000-0000-0004-0000000000e1', '00000000-0000-0000-0004-000000000001', 'mail', 'email', 'Hi', 'Hi {{first_name}}'),
	('00000000-0000-0000-0004-0000000000f1', '00000000-0000-0000-0004-000000000001', 'note', 'linkedin', NULL, 'Hi {{first_name}}'),
	('00000000-0000-0000-0004-0000000000e2', '00000000-0000-0000-0004-000000000002', 'theirs', 'email', 'Hi', 'Hi');
INSERT INTO campaigns.sender_profile (sender_profile_id, user_id, profile_name) VALUES
	('00000000-0000-0000-0004-0000000000a1', '00000000-0000-0000-0004-000000000001', 'me'),
	('00000000-0000-0000-0004-0000000000a2', '00000000-0000-0000-0004-000000000002', 'them');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0004-000000000001', 'alias-1', 'one@example.com'),
	('00000000-0000-0000-0004-000000000001', 'alias-2', 'two@example.com'),
	('00000000-0000-0000-0004-000000000002', 'alias-x', 'x@example.org');
INSERT INTO campaigns.connected_account (connected_account_id, user_id, name) VALUES
	('00000000-0000-0000-0004-0000000000c1', '00000000-0000-0000-0004-000000000001', 'my linkedin'),
	('00000000-0000-0000-0004-0000000000c2', '00000000-0000-0000-0004-000000000002', 'their linkedin');

-- t04_check(body) runs the validator as the current user and shows either
-- 'ok' or one row per error; it also checks that the DETAIL is a JSON array
-- of objects with exactly the keys loc, msg and type.
CREATE FUNCTION t04_check(body jsonb, check_future boolean DEFAULT true)
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
CREATE FUNCTION t04_email() RETURNS jsonb LANGUAGE sql AS $$
SELECT '{"name": "Spring outreach",
		 "dataset_id": "00000000-0000-0000-0004-0000000000d1",
		 "alias_ids": ["alias-1"],
		 "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "00000000-0000-0000-0004-0000000000e1"}]}]}'::jsonb
$$;

-- Test as an ordinary role: RLS applies, and the answers are the same.
CREATE ROLE t04_user;
GRANT campaigns_user TO t04_user;
GRANT USAGE ON SCHEMA public TO t04_user;
-- (The validator runs inside the API functions, as their owner; it is granted
-- here only to check its answers from an ordinary role.)
GRANT EXECUTE ON FUNCTION campaigns._campaign_validate(jsonb, uuid, boolean) TO t04_user;
SET ROLE t04_user;
SET campaigns.user_id = '00000000-0000-0000-0004-000000000001';

-- Valid bodies and their normalised output: email with defaults filled.
SELECT jsonb_pretty(campaigns._campaign_validate(t04_email(), campaigns.current_user_id()));

-- Email with every field given (uuids in upper case, braces, steps out of
-- order, send_days out of order, times without seconds, an offset date).
SELECT jsonb_pretty(campaigns._campaign_validate('{
	"name": "Full", "dataset_id": "{00000000-0000-0000-0004-0000000000D1}",
	"description": "d", "type": "email", "alias_ids": ["alias-2", "alias-1"],
	"connected_account_id": null, "launch_type": "scheduled",
	"start_date": "2999-01-02T03:04:05.250+02:00", "daily_limit": 10000,
	"sending_window_start": "08:30", "sending_window_end": "24:00",
	"min_interval_seconds": 60, "timezone": "Europe/Paris",
	"send_days": ["sun", "mon", "wed"], "system_prompt": null,
	"unreviewed_launch_policy": "hold",
	"steps": [
		{"step": 3, "delay_days": 365, "channel": "email", "ai_personalization_enabled": true,
		 "track_clicks": true, "action_type": "send_email", "message_template": "Hi {{first_name}}",
		 "variants": [{"label": "P", "weight": 0, "type": "PERSONALIZATION", "template_id": null,
					   "sender_profile_id": "000000000000000000040000000000A1"},
					  {"label": "T", "weight": 100, "type": "TEMPLATE",
					   "template_id": "urn:uuid:00000000-0000-0000-0004-0000000000e1"}]},
		{"step": 1, "variants": [{"label": "A", "template_id": "00000000-0000-0000-0004-0000000000e1"}]}]
}', campaigns.current_user_id()));

-- LinkedIn: channel and action types, variants optional, no aliases needed.
SELECT jsonb_pretty(campaigns._campaign_validate('{
	"name": "LI", "dataset_id": "00000000-0000-0000-0004-0000000000d1", "type": "linkedin",
	"connected_account_id": "00000000-0000-0000-0004-0000000000C1",
	"steps": [
		{"step": 1, "action_type": "connection_request", "message_template": "Hi {{first_name|there}}"},
		{"step": 2, "delay_days": 3, "action_type": "message",
		 "variants": [{"label": "A", "template_id": "00000000-0000-0000-0004-0000000000f1"}]},
		{"step": 3, "action_type": "profile_visit"}]
}', campaigns.current_user_id()));

-- Mixed: channel on each step, aliases and the connected account both needed.
SELECT jsonb_pretty(campaigns._campaign_validate('{
	"name": "Mixed", "dataset_id": "00000000-0000-0000-0004-0000000000d1", "type": "mixed",
	"alias_ids": ["alias-1"], "connected_account_id": "00000000-0000-0000-0004-0000000000c1",
	"steps": [
		{"step": 1, "channel": "linkedin", "action_type": "inmail", "ai_personalization_enabled": true},
		{"step": 2, "channel": "email", "variants": [{"label": "A", "template_id": "00000000-0000-0000-0004-0000000000e1"}]}]
}', campaigns.current_user_id()));

-- The body itself.
SELECT * FROM t04_check('[]');
SELECT * FROM t04_check('"x"');
SELECT * FROM t04_check('null');
SELECT * FROM t04_check(NULL);
SELECT * FROM t04_check('{}');

-- name: 1..255 characters (characters, not bytes).
SELECT * FROM t04_check(t04_email() || '{"name": ""}');
SELECT * FROM t04_check(t04_email() || jsonb_build_object('name', 'x'));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('name', repeat('x', 255)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('name', repeat('x', 256)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('name', repeat('é', 255)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('name', repeat('é', 256)));
SELECT * FROM t04_check(t04_email() || '{"name": null}');
SELECT * FROM t04_check(t04_email() || '{"name": 5}');
SELECT * FROM t04_check(t04_email() - 'name');

-- dataset_id: a uuid of a dataset the caller owns.
SELECT * FROM t04_check(t04_email() || '{"dataset_id": "not-a-uuid"}');
SELECT * FROM t04_check(t04_email() || '{"dataset_id": "00000000-0000-0000-0004-0000000000d"}');
SELECT * FROM t04_check(t04_email() || '{"dataset_id": 12}');
SELECT * FROM t04_check(t04_email() || '{"dataset_id": null}');
SELECT * FROM t04_check(t04_email() - 'dataset_id');
SELECT * FROM t04_check(t04_email() || '{"dataset_id": "00000000-0000-0000-0004-0000000000d9"}');
-- another user's dataset looks exactly like a missing one
SELECT * FROM t04_check(t04_email() || '{"dataset_id": "00000000-0000-0000-0004-0000000000d2"}');

-- description: null or at most 1000 characters.
SELECT * FROM t04_check(t04_email() || jsonb_build_object('description', repeat('d', 1000)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('description', repeat('d', 1001)));
SELECT * FROM t04_check(t04_email() || '{"description": ""}');
SELECT * FROM t04_check(t04_email() || '{"description": null}');
SELECT * FROM t04_check(t04_email() || '{"description": ["d"]}');

-- type and the other enums.
SELECT * FROM t04_check(t04_email() || '{"type": "sms"}');
SELECT * FROM t04_check(t04_email() || '{"type": "EMAIL"}');
SELECT * FROM t04_check(t04_email() || '{"type": null}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": "later"}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": 1}');
SELECT * FROM t04_check(t04_email() || '{"unreviewed_launch_policy": "pause"}');
SELECT * FROM t04_check(t04_email() || '{"unreviewed_launch_policy": "cancel"}');

-- daily_limit 1..10000 and min_interval_seconds 60..3600, strict integers.
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 0}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 1}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 10000}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 10001}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": -99999999999999999999}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 99999999999999999999}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": "500"}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 500.0}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": 1.5}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": true}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": null}');
SELECT * FROM t04_check(t04_email() || '{"daily_limit": [500]}');
SELECT * FROM t04_check(t04_email() || '{"min_interval_seconds": 59}');
SELECT * FROM t04_check(t04_email() || '{"min_interval_seconds": 60}');
SELECT * FROM t04_check(t04_email() || '{"min_interval_seconds": 3600}');
SELECT * FROM t04_check(t04_email() || '{"min_interval_seconds": 3601}');

-- Sending window: HH:MM[:SS], start < end, end may be 24:00[:00].
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "00:00", "sending_window_end": "24:00:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "23:59:59", "sending_window_end": "24:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "10:00:00", "sending_window_end": "10:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "10:00:01", "sending_window_end": "10:00:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "24:00", "sending_window_end": "24:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_end": "24:00:01"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_end": "08:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "9:00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "09:60"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "09:00:60"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "09:00:00.5"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "09:00:00Z"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": "09-00"}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_start": 900}');
SELECT * FROM t04_check(t04_email() || '{"sending_window_end": null}');

-- timezone: exactly the names of pg_timezone_names.
SELECT * FROM t04_check(t04_email() || '{"timezone": "UTC"}');
SELECT * FROM t04_check(t04_email() || '{"timezone": "America/New_York"}');
SELECT * FROM t04_check(t04_email() || '{"timezone": "utc"}');
SELECT * FROM t04_check(t04_email() || '{"timezone": "EST+5"}');
SELECT * FROM t04_check(t04_email() || '{"timezone": "Mars/Olympus"}');
SELECT * FROM t04_check(t04_email() || '{"timezone": ""}');
SELECT * FROM t04_check(t04_email() || '{"timezone": null}');
SELECT count(*) AS zones_rejected FROM pg_timezone_names z
WHERE (SELECT state FROM t04_check(t04_email() || jsonb_build_object('timezone', z.name)) LIMIT 1) <> 'ok';

-- send_days: non-empty, distinct, mon..sun; returned in week order.
SELECT campaigns._campaign_validate(t04_email() || '{"send_days": ["sun", "sat", "fri", "thu", "wed", "tue", "mon"]}', campaigns.current_user_id())->'send_days';
SELECT campaigns._campaign_validate(t04_email() || '{"send_days": ["sat"]}', campaigns.current_user_id())->'send_days';
SELECT * FROM t04_check(t04_email() || '{"send_days": []}');
SELECT * FROM t04_check(t04_email() || '{"send_days": ["mon", "Mon", "mon", 1]}');
SELECT * FROM t04_check(t04_email() || '{"send_days": "mon"}');
SELECT * FROM t04_check(t04_email() || '{"send_days": null}');

-- system_prompt: null or 100..5000 characters.
SELECT * FROM t04_check(t04_email() || jsonb_build_object('system_prompt', repeat('p', 99)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('system_prompt', repeat('p', 100)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('system_prompt', repeat('p', 5000)));
SELECT * FROM t04_check(t04_email() || jsonb_build_object('system_prompt', repeat('p', 5001)));
SELECT * FROM t04_check(t04_email() || '{"system_prompt": ""}');
SELECT * FROM t04_check(t04_email() || '{"system_prompt": null}');

-- launch_type and start_date.
SELECT * FROM t04_check(t04_email() || '{"launch_type": "scheduled"}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": "scheduled", "start_date": null}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": "scheduled", "start_date": "2000-01-01T00:00:00Z"}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": "scheduled", "start_date": "2000-01-01T00:00:00Z"}', false);
SELECT * FROM t04_check(t04_email() || '{"launch_type": "scheduled", "start_date": "2999-12-31T23:59:59-05:30"}');
SELECT * FROM t04_check(t04_email() || '{"start_date": "2999-12-31T23:59:59Z"}');
SELECT * FROM t04_check(t04_email() || '{"launch_type": "immediate", "start_date": null}');
SELECT campaigns._campaign_validate(t04_email() || '{"launch_type": "scheduled", "start_date": "2999-06-30t22:30:00-01:30"}', campaigns.current_user_id())->>'start_date';
SELECT campaigns._campaign_validate(t04_email() || '{"launch_type": "scheduled", "start_date": "2999-06-30 22:30:00.000001z"}', campaigns.current_user_id())->>'start_date';
SELECT campaigns._campaign_validate(t04_email() || '{"launch_type": "scheduled", "start_date": "2999-06-30T22:30:00.10Z"}', campaigns.current_user_id())->>'start_date';
-- bad date-times: date only, naive, bad ranges, bad offsets, wrong types
SELECT d, (SELECT string_agg(type || ': ' || msg, '; ') FROM t04_check(t04_email() || jsonb_build_object('launch_type', 'scheduled', 'start_date', d::jsonb))) AS result
FROM (VALUES ('"2999-01-02"'), ('"2999-01-02T03:04:05"'), ('"2999-01-02T03:04Z"'),
			 ('"2999-02-29T00:00:00Z"'), ('"2996-02-29T00:00:00Z"'), ('"2999-13-01T00:00:00Z"'),
			 ('"2999-04-31T00:00:00Z"'), ('"2999-01-01T24:00:00Z"'), ('"2999-01-01T00:60:00Z"'),
			 ('"2999-01-01T00:00:60Z"'), ('"2999-01-01T00:00:00+24:00"'), ('"2999-01-01T00:00:00+0100"'),
			 ('"2999-01-01T00:00:00.Z"'), ('"2999-01-01T00:00:00.1234567Z"'), ('"2999-01-01T00:00:00Zjunk"'),
			 ('"2999/01/01T00:00:00Z"'), ('"0000-01-01T00:00:00Z"'), ('"9999-12-31T23:59:59-01:00"'),
			 ('"tomorrow"'), ('""'), ('20990101'), ('true'), ('{}')) AS t(d);

-- alias_ids: required non-empty for email steps; distinct; owned.
SELECT * FROM t04_check(t04_email() - 'alias_ids');
SELECT * FROM t04_check(t04_email() || '{"alias_ids": null}');
SELECT * FROM t04_check(t04_email() || '{"alias_ids": []}');
SELECT * FROM t04_check(t04_email() || '{"alias_ids": "alias-1"}');
SELECT * FROM t04_check(t04_email() || '{"alias_ids": ["alias-1", "alias-1"]}');
SELECT * FROM t04_check(t04_email() || '{"alias_ids": ["alias-1", 7, "nope", "alias-x"]}');

-- connected_account_id: a uuid of the caller's account; another user's
-- looks missing.
SELECT * FROM t04_check(t04_email() || '{"connected_account_id": "00000000-0000-0000-0004-0000000000c1"}');
SELECT * FROM t04_check(t04_email() || '{"connected_account_id": "00000000-0000-0000-0004-0000000000c2"}');
SELECT * FROM t04_check(t04_email() || '{"connected_account_id": "00000000-0000-0000-0004-0000000000c9"}');
SELECT * FROM t04_check(t04_email() || '{"connected_account_id": "c1"}');
SELECT * FROM t04_check(t04_email() || '{"connected_account_id": 1}');

-- Unknown keys at the body level.
SELECT * FROM t04_check(t04_email() || '{"status": "active", "user_id": "00000000-0000-0000-0004-000000000002"}');

-- Everything wrong at once: every error, body fields in declaration order,
-- unknown keys after them, cross-field rules last.
SELECT * FROM t04_check('{"name": "", "dataset_id": "x", "steps": [], "description": 1, "type": "fax",
	"alias_ids": [1], "connected_account_id": "x", "launch_type": "now", "start_date": "2999-01-01",
	"daily_limit": "1", "sending_window_start": "25:00", "sending_window_end": "7", "min_interval_seconds": 1.0,
	"timezone": "Nowhere", "send_days": ["xyz"], "system_prompt": "short", "unreviewed_launch_policy": null,
	"zzz": 1}');

-- The same answers for a superuser: the lookups filter on the user_id
-- argument, not on row-level security.
RESET ROLE;
SELECT * FROM t04_check(t04_email() || '{"dataset_id": "00000000-0000-0000-0004-0000000000d2", "alias_ids": ["alias-x"], "connected_account_id": "00000000-0000-0000-0004-0000000000c2"}');
SELECT * FROM t04_check(t04_email());
-- and for the other user, the caller's objects are the missing ones
SET campaigns.user_id = '00000000-0000-0000-0004-000000000002';
SELECT * FROM t04_check(t04_email());
RESET campaigns.user_id;

-- Permissions: PUBLIC cannot call the validator.
CREATE ROLE t04_stranger;
GRANT USAGE ON SCHEMA campaigns TO t04_stranger;
SET ROLE t04_stranger;
SELECT campaigns._campaign_validate('{}', '00000000-0000-0000-0004-000000000001');
RESET ROLE;
SELECT campaigns._campaign_validate('{}', NULL);
REVOKE USAGE ON SCHEMA campaigns FROM t04_stranger;
DROP ROLE t04_stranger;

-- The lookup plans are kept per backend: after the extension is dropped and
-- created again in the same session they are prepared afresh.
SET campaigns.user_id = '00000000-0000-0000-0004-000000000001';
SELECT * FROM t04_check(t04_email());
SET client_min_messages = warning;
DROP EXTENSION campaigns CASCADE;
CREATE EXTENSION campaigns;
RESET client_min_messages;
SELECT * FROM t04_check(t04_email());
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES
	('00000000-0000-0000-0004-0000000000d1', '00000000-0000-0000-0004-000000000001', 'mine again');
INSERT INTO campaigns.template (template_id, user_id, name, channel, body) VALUES
	('00000000-0000-0000-0004-0000000000e1', '00000000-0000-0000-0004-000000000001', 'mail', 'email', 'Hi');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES
	('00000000-0000-0000-0004-000000000001', 'alias-1', 'one@example.com');
SELECT * FROM t04_check(t04_email());
RESET campaigns.user_id;
