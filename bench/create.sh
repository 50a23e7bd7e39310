#!/usr/bin/env bash
# bench/create.sh: campaign_create with a 10-step, 5-variant body (C
# validation of every rule, ownership lookups, the status trigger) beside a
# raw INSERT of the same normalised row into the same table, both through
# pgbench in the same run.  Prints both rates and their ratio.
#   DURATION (seconds per run, default 10), CLIENTS (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-2}
bench_start ${BENCH_PORT:-55411}
$PSQL -d bench <<'SQL'
ALTER DATABASE bench SET campaigns.user_id = '00000000-0000-0000-00be-000000000001';
SET campaigns.user_id = '00000000-0000-0000-00be-000000000001';
SELECT campaigns.alias_create(jsonb_build_object('alias_id', 'a' || i, 'full_email', 'a' || i || '@example.com'))
  FROM generate_series(1, 3) i;
SELECT campaigns.sender_profile_create('{"profile_name": "bench"}');
CREATE TABLE bench_body AS SELECT jsonb_build_object(
	'name', 'Bench campaign', 'dataset_id', campaigns.dataset_create('{"name": "bench"}') ->> 'dataset_id',
	'type', 'email', 'alias_ids', '["a1","a2","a3"]'::jsonb, 'daily_limit', 800, 'timezone', 'Europe/London',
	'sending_window_start', '08:00', 'sending_window_end', '18:30', 'send_days', '["mon","tue","wed","thu","fri"]'::jsonb,
	'description', 'Ten steps, five variants each', 'unreviewed_launch_policy', 'hold',
	'steps', (SELECT jsonb_agg(jsonb_build_object('step', s, 'delay_days', s - 1, 'channel', 'email',
		'track_clicks', s % 2 = 0, 'ai_personalization_enabled', false,
		'variants', (SELECT jsonb_agg(jsonb_build_object('label', 'V' || v, 'weight', 20,
			'template_id', campaigns.template_create(jsonb_build_object('name', 't' || s || v, 'channel', 'email',
				'subject', 'Hi {{first_name|there}}', 'body', 'Hello {{first_name}} from {{company|us}}')) ->> 'template_id',
			'sender_profile_id', CASE WHEN v = 1 THEN (SELECT sender_profile_id FROM campaigns.sender_profile LIMIT 1) END))
			FROM generate_series(1, 5) v))) FROM generate_series(1, 10) s)) AS body;
-- The normalised row campaign_create would insert, for the raw baseline.
-- (Two statements: a query cannot see the row its own campaign_create
-- inserted, which left bench_row empty and the baseline inserting nothing.)
SELECT campaigns.campaign_create((SELECT body FROM bench_body)) ->> 'campaign_id' AS bench_id \gset
CREATE TABLE bench_row AS SELECT * FROM campaigns.campaign WHERE campaign_id = :'bench_id';
DO $$ BEGIN IF NOT EXISTS (SELECT FROM bench_row) THEN RAISE 'bench_row is empty'; END IF; END $$;
SQL
cat > /tmp/campaigns-bench-create.sql <<'EOF2'
SELECT campaigns.campaign_create(body) FROM bench_body;
EOF2
cat > /tmp/campaigns-bench-raw.sql <<'EOF2'
INSERT INTO campaigns.campaign (user_id, dataset_id, name, description, type, launch_type, start_date,
	daily_limit, sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
	steps_config, alias_ids, connected_account_id, system_prompt, unreviewed_launch_policy)
SELECT user_id, dataset_id, name, description, type, launch_type, start_date, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
	steps_config, alias_ids, connected_account_id, system_prompt, unreviewed_launch_policy FROM bench_row;
EOF2
chmod a+r /tmp/campaigns-bench-create.sql /tmp/campaigns-bench-raw.sql
tps() { $PGBENCH -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -f "$1" bench 2>/tmp/campaigns-bench-pgbench.err | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
raw=$(tps /tmp/campaigns-bench-raw.sql)
create=$(tps /tmp/campaigns-bench-create.sql)
raw2=$(tps /tmp/campaigns-bench-raw.sql)
rm -f /tmp/campaigns-bench-create.sql /tmp/campaigns-bench-raw.sql
rawavg=$(echo "$raw $raw2" | awk '{printf "%.0f", ($1+$2)/2}')
printf '\nbench/create.sh: %s clients, %ss per run, 10 steps x 5 variants\n\n' "$CLIENTS" "$DURATION"
printf '| %-44s | %12s |\n' "operation" "per second"
printf '|%s|%s|\n' "----------------------------------------------" "--------------"
printf '| %-44s | %12.0f |\n' "raw INSERT of the same row (before)" "$raw"
printf '| %-44s | %12.0f |\n' "campaigns.campaign_create(body)" "$create"
printf '| %-44s | %12.0f |\n' "raw INSERT of the same row (after)" "$raw2"
printf '| %-44s | %12s |\n' "ratio create / raw (mean of raw runs)" "$(echo "$create $rawavg" | awk '{printf "%.2f", $1/$2}')"
