-- The status machine: the whole 8x8 transition matrix (allowed and refused,
-- whatever SQL path makes the change), the insert and delete rules, and the
-- table exposed by status_transitions().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

SELECT * FROM campaigns.status_transitions() ORDER BY 1, 2;

-- (a campaign refers to a dataset of its user)
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
VALUES ('00000000-0000-0000-0002-0000000000d1', '00000000-0000-0000-0002-000000000001', 'matrix');
CREATE FUNCTION pg_temp.new_campaign(st text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE id uuid;
BEGIN
	INSERT INTO campaigns.campaign (user_id, dataset_id, name, type, launch_type, daily_limit,
		sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
		steps_config, unreviewed_launch_policy)
	VALUES ('00000000-0000-0000-0002-000000000001', '00000000-0000-0000-0002-0000000000d1', 'matrix', 'email', 'immediate',
		500, '09:00', '17:00', 300, 'UTC', '{mon}', '[]', 'launch_default')
	RETURNING campaign_id INTO id;
	-- Put the row in the starting status without the trigger (superuser only).
	SET LOCAL session_replication_role = replica;
	UPDATE campaigns.campaign SET status = st WHERE campaign_id = id;
	SET LOCAL session_replication_role = origin;
	RETURN id;
END $$;

CREATE FUNCTION pg_temp.attempt(f text, t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE id uuid := pg_temp.new_campaign(f); st text; msg text; det text;
BEGIN
	UPDATE campaigns.campaign SET status = t WHERE campaign_id = id;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN st;
END $$;

-- Rows: from; columns: to.  "ok" where the update went through, the
-- SQLSTATE where it was refused, "-" on the diagonal (no change).
WITH s(name, ord) AS (VALUES ('draft', 1), ('launching', 2), ('scheduled', 3), ('active', 4),
						   ('draining', 5), ('paused', 6), ('completed', 7), ('failed', 8))
SELECT f.name AS "from",
	   string_agg(CASE WHEN f.name = t.name THEN '-' ELSE pg_temp.attempt(f.name, t.name) END, '|' ORDER BY t.ord)
		   AS "draft|launching|scheduled|active|draining|paused|completed|failed"
  FROM s f CROSS JOIN s t
 GROUP BY f.name, f.ord ORDER BY f.ord;

-- Exactly the listed pairs are allowed.
WITH s(name) AS (VALUES ('draft'), ('launching'), ('scheduled'), ('active'), ('draining'),
					   ('paused'), ('completed'), ('failed'))
SELECT count(*) FILTER (WHERE allowed AND listed) AS allowed_and_listed,
	   count(*) FILTER (WHERE allowed <> listed) AS disagreements
  FROM (SELECT pg_temp.attempt(f.name, t.name) = 'ok' AS allowed,
			   EXISTS (SELECT 1 FROM campaigns.status_transitions() x
						WHERE x.from_status = f.name AND x.to_status = t.name) AS listed
		  FROM s f CROSS JOIN s t WHERE f.name <> t.name) m;

-- The refusal names both statuses.
\set VERBOSITY default
SELECT pg_temp.new_campaign('draft') AS cid \gset
UPDATE campaigns.campaign SET status = 'active' WHERE campaign_id = :'cid';
\set VERBOSITY default
-- Unknown statuses are refused too.
UPDATE campaigns.campaign SET status = 'sleeping' WHERE campaign_id = :'cid';
-- A new campaign starts as draft.
INSERT INTO campaigns.campaign (user_id, dataset_id, name, type, status, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
	steps_config, unreviewed_launch_policy)
VALUES ('00000000-0000-0000-0002-000000000001', '00000000-0000-0000-0002-0000000000d1', 'x', 'email', 'active', 'immediate',
	500, '09:00', '17:00', 300, 'UTC', '{mon}', '[]', 'launch_default');
-- Unchanged status, other columns: fine in any status.
SELECT pg_temp.new_campaign('completed') AS cid \gset
UPDATE campaigns.campaign SET name = 'renamed' WHERE campaign_id = :'cid' RETURNING name, status;

-- Delete: allowed in draft, paused, completed, failed; refused otherwise.
CREATE FUNCTION pg_temp.try_delete(id uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM campaigns.campaign WHERE campaign_id = id;
	RETURN 'deleted';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	RETURN 'refused (55000)';
END $$;
WITH s(name, ord) AS (VALUES ('draft', 1), ('launching', 2), ('scheduled', 3), ('active', 4),
						   ('draining', 5), ('paused', 6), ('completed', 7), ('failed', 8))
SELECT s.name AS status, pg_temp.try_delete(pg_temp.new_campaign(s.name)) AS delete FROM s ORDER BY ord;
\set VERBOSITY default
SELECT pg_temp.new_campaign('active') AS cid \gset
DELETE FROM campaigns.campaign WHERE campaign_id = :'cid';
\set VERBOSITY default

-- Edit rules by status (campaign_update calls this with the changed fields).
CREATE FUNCTION pg_temp.editable(st text, f text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM campaigns._campaign_check_edit(st, ARRAY[f]);
	RETURN 'yes';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	RETURN 'no';
END $$;
WITH s(name, ord) AS (VALUES ('draft', 1), ('launching', 2), ('scheduled', 3), ('active', 4),
						   ('draining', 5), ('paused', 6), ('completed', 7), ('failed', 8)),
	 f(field, ord) AS (VALUES ('name', 1), ('description', 2), ('dataset_id', 3), ('steps', 4), ('type', 5),
		('daily_limit', 6), ('min_interval_seconds', 7), ('system_prompt', 8), ('unreviewed_launch_policy', 9),
		('playground_discovery_dismissed_at', 10), ('timezone', 11), ('send_days', 12), ('alias_ids', 13),
		('start_date', 14), ('sending_window_start', 15))
SELECT f.field, string_agg(pg_temp.editable(s.name, f.field), '|' ORDER BY s.ord)
		   AS "draft|launching|scheduled|active|draining|paused|completed|failed"
  FROM f CROSS JOIN s GROUP BY f.field, f.ord ORDER BY f.ord;
\set VERBOSITY default
SELECT campaigns._campaign_check_edit('active', ARRAY['name', 'steps', 'timezone']);
\set VERBOSITY default
SELECT campaigns._campaign_check_edit('nonsense', ARRAY['name']);
