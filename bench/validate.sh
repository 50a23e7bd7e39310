#!/usr/bin/env bash
# bench/validate.sh: throughput of _campaign_validate on the benchmark body
# (10 steps x 5 variants, every reference looked up) against a raw INSERT of
# the same campaign row, measured in the same run with pgbench.
#
# Usage: PGHOST=... PGPORT=... PGDATABASE=... bench/validate.sh [seconds] [clients] [rounds]
# The database must have the campaigns extension; the script adds (and
# removes) its own objects under user 00000000-0000-0000-00be-000000000001.
set -euo pipefail
secs=${1:-3}
clients=${2:-1}
rounds=${3:-5}
export PATH=/usr/lib/postgresql/15/bin:$PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir"; psql -qX -c "DELETE FROM campaigns.campaign WHERE user_id = '"'"'00000000-0000-0000-00be-000000000001'"'"'" >/dev/null 2>&1 || true' EXIT
u=00000000-0000-0000-00be-000000000001

psql -qX -v ON_ERROR_STOP=1 <<SQL
DELETE FROM campaigns.campaign WHERE user_id = '$u';
DELETE FROM campaigns.dataset WHERE user_id = '$u';
DELETE FROM campaigns.template WHERE user_id = '$u';
DELETE FROM campaigns.sender_profile WHERE user_id = '$u';
DELETE FROM campaigns.email_alias WHERE user_id = '$u';
INSERT INTO campaigns.dataset (dataset_id, user_id, name) VALUES ('00000000-0000-0000-00be-0000000000d1', '$u', 'bench');
INSERT INTO campaigns.template (template_id, user_id, name, channel, body) VALUES ('00000000-0000-0000-00be-0000000000e1', '$u', 'bench', 'email', 'Hi {{first_name}}');
INSERT INTO campaigns.sender_profile (sender_profile_id, user_id, profile_name) VALUES ('00000000-0000-0000-00be-0000000000a1', '$u', 'bench');
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) VALUES ('$u', 'bench-1', 'a@example.com'), ('$u', 'bench-2', 'b@example.com');
SQL

body=$(psql -AtqX <<SQL
SELECT jsonb_build_object('name', 'bench', 'dataset_id', '00000000-0000-0000-00be-0000000000d1',
	'alias_ids', jsonb_build_array('bench-1', 'bench-2'), 'timezone', 'Europe/Berlin',
	'steps', (SELECT jsonb_agg(jsonb_build_object('step', i, 'delay_days', 2, 'ai_personalization_enabled', true,
		'message_template', 'Hi {{first_name|there}}, about {{company|your team}}',
		'variants', (SELECT jsonb_agg(jsonb_build_object('label', 'v' || j, 'weight', 20,
			'type', CASE WHEN j = 5 THEN 'PERSONALIZATION' ELSE 'TEMPLATE' END,
			'template_id', CASE WHEN j = 5 THEN NULL ELSE '00000000-0000-0000-00be-0000000000e1' END,
			'sender_profile_id', '00000000-0000-0000-00be-0000000000a1')) FROM generate_series(1, 5) j)))
		FROM generate_series(1, 10) i))
SQL
)
norm=$(psql -AtqX -c "SELECT campaigns._campaign_validate('$body', '$u')")

cat > "$dir/raw.sql" <<SQL
INSERT INTO campaigns.campaign (user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
	steps_config, alias_ids, unreviewed_launch_policy)
VALUES ('$u', '00000000-0000-0000-00be-0000000000d1', 'bench', 'email', 'immediate', 500,
	'09:00', '17:00', 300, 'Europe/Berlin', '{mon,tue,wed,thu,fri}',
	'$(psql -AtqX -c "SELECT ('$norm'::jsonb)->'steps'")', '{bench-1,bench-2}', 'launch_default');
SQL
cat > "$dir/validate.sql" <<SQL
SELECT campaigns._campaign_validate('$body', '$u') IS NOT NULL;
SQL
cat > "$dir/validate_insert.sql" <<SQL
INSERT INTO campaigns.campaign (user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days,
	steps_config, alias_ids, unreviewed_launch_policy)
SELECT '$u', (v->>'dataset_id')::uuid, v->>'name', v->>'type', v->>'launch_type', (v->>'daily_limit')::int,
	(v->>'sending_window_start')::time, (v->>'sending_window_end')::time, (v->>'min_interval_seconds')::int,
	v->>'timezone', ARRAY(SELECT jsonb_array_elements_text(v->'send_days')), v->'steps',
	ARRAY(SELECT jsonb_array_elements_text(v->'alias_ids')), v->>'unreviewed_launch_policy'
FROM campaigns._campaign_validate('$body', '$u') v;
SQL

run() {
	pgbench -n -M prepared -c "$clients" -j "$clients" -T "$secs" -f "$1" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
median() {
	sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
# Interleaved rounds, median of each: the machine may be busy with other work.
for r in $(seq "$rounds"); do
	run "$dir/raw.sql" >> "$dir/raw.tps"
	run "$dir/validate.sql" >> "$dir/validate.tps"
	run "$dir/validate_insert.sql" >> "$dir/both.tps"
done
raw=$(median < "$dir/raw.tps")
val=$(median < "$dir/validate.tps")
both=$(median < "$dir/both.tps")
printf 'prepared statements, %s client(s), median of %s rounds of %ss\n' "$clients" "$rounds" "$secs"
printf '%-34s %12s %10s\n' "workload" "tps" "vs raw"
printf '%-34s %12.0f %9.0f%%\n' "raw INSERT (baseline)" "$raw" 100
printf '%-34s %12.0f %9.0f%%\n' "_campaign_validate only" "$val" "$(echo "100*$val/$raw" | bc -l)"
printf '%-34s %12.0f %9.0f%%\n' "_campaign_validate + INSERT" "$both" "$(echo "100*$both/$raw" | bc -l)"
