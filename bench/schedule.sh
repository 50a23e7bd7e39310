#!/bin/bash
# bench/schedule.sh -- scheduler benchmarks (figures in docs/benchmarks.md).
#
#  (a) enrolment: launch a campaign over a 1,000,000-lead dataset; the first
#      batch inside campaign_launch, the rest by tick(), one transaction per
#      batch as the worker does.  Wall time and leads/s.
#  (b) tick: 10,000 active campaigns, all due; actions queued per second.
#  (c) next_send_time in C beside a straightforward PL/pgSQL version of the
#      same rules (defined here, not in the extension): calls/s and ratio.
#
# Starts its own server (port $PORT, default 55421) in a temporary
# directory, preloading campaigns, and stops it at the end.  The server is
# started while holding /tmp/campaigns-install.lock (released once CREATE
# EXTENSION is done, so a concurrent `make install` cannot change what it
# loads).  Run as root (it uses runuser -u postgres) or as postgres.
#
# Environment: PORT, LEADS (1000000), CAMPAIGNS (10000), CALLS (300000),
# REPEAT (5: runs of each side of (c), the fastest counts),
# PGBIN (the PostgreSQL bin directory; default from pg_config),
# NO_LOCK=1 (skip the lock, for a private installation).
set -euo pipefail

PORT=${PORT:-55421}
LEADS=${LEADS:-1000000}
CAMPAIGNS=${CAMPAIGNS:-10000}
CALLS=${CALLS:-300000}
REPEAT=${REPEAT:-5}
PGBIN=${PGBIN:-$(pg_config --bindir)}
DIR=$(mktemp -d /tmp/campaigns-bench.XXXXXX)
LOCK=/tmp/campaigns-install.lock

as_pg() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
chown postgres "$DIR" 2>/dev/null || true

cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DIR'
shared_preload_libraries = 'campaigns'
campaigns.worker_enabled = off
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
synchronous_commit = off
timezone = 'UTC'
EOF

PSQL=(as_pg "$PGBIN/psql" -h "$DIR" -p "$PORT" -d postgres -X -q -v ON_ERROR_STOP=1 -t -A)

start_server() {
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
	"${PSQL[@]}" -c 'CREATE EXTENSION campaigns'
}
if [ -n "${NO_LOCK:-}" ]; then
	start_server
else
	# -o: the server must not inherit (and keep) the lock.
	exec 9>"$LOCK"
	flock 9
	start_server 9>&-
	flock -u 9
	exec 9>&-
fi

now() { date +%s.%N; }
sql() { "${PSQL[@]}" -c "$1"; }

# measure(sql): runs one statement in a fresh session; prints "wall cpu result"
# (cpu = the backend's user+system time, /proc/self/stat, so the figures
# stay meaningful on a machine shared with other work).
sql "CREATE FUNCTION bench_cpu() RETURNS float8 LANGUAGE sql AS \$\$
	SELECT (split_part(pg_read_file('/proc/self/stat'), ' ', 14)::float8
			+ split_part(pg_read_file('/proc/self/stat'), ' ', 15)::float8) / 100 \$\$;
CREATE FUNCTION bench_measure(stmt text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE c0 float8 := bench_cpu(); w0 timestamptz := clock_timestamp(); r text;
BEGIN
	EXECUTE stmt INTO r;
	RETURN extract(epoch FROM clock_timestamp() - w0) || ' ' || (bench_cpu() - c0) || ' ' || coalesce(r, '');
END \$\$;" >/dev/null
measure() { sql "SELECT bench_measure(\$q\$$1\$q\$)"; }

# ---------------------------------------------------------------- fixtures
sql "SET campaigns.user_id = '00000000-0000-0000-00be-000000000001';
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email)
VALUES ('00000000-0000-0000-00be-000000000001', 'b1', 'b1@s.example'),
	   ('00000000-0000-0000-00be-000000000001', 'b2', 'b2@s.example');
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
VALUES ('00000000-0000-0000-00be-0000000000d1', '00000000-0000-0000-00be-000000000001', 'big');
INSERT INTO campaigns.lead (user_id, dataset_id, email, first_name)
SELECT '00000000-0000-0000-00be-000000000001', '00000000-0000-0000-00be-0000000000d1',
	   'lead' || i || '@bench.example', 'L' || i
  FROM generate_series(1, $LEADS) i;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
	alias_ids, unreviewed_launch_policy)
VALUES ('00000000-0000-0000-00be-2000000000a1', '00000000-0000-0000-00be-000000000001',
	'00000000-0000-0000-00be-0000000000d1', 'big', 'email', 'immediate', 10000, '09:00', '17:00', 60,
	'America/New_York', '{mon,tue,wed,thu,fri}',
	'[{\"step\":1,\"channel\":\"email\",\"variants\":[{\"label\":\"A\",\"weight\":70},{\"label\":\"B\",\"weight\":30}]},
	  {\"step\":2,\"delay_days\":3,\"channel\":\"email\",\"variants\":[{\"label\":\"A\",\"weight\":1}]}]',
	'{b1,b2}', 'launch_default');" >/dev/null
sql "VACUUM ANALYZE campaigns.lead" >/dev/null
sql "CHECKPOINT" >/dev/null

# ----------------------------------------------------- (a) enrolment
enrol_wall=0; enrol_cpu=0
r=$(sql "SET campaigns.user_id = '00000000-0000-0000-00be-000000000001';
	 SELECT bench_measure(\$q\$SELECT campaigns.campaign_launch('00000000-0000-0000-00be-2000000000a1') ->> 'summary'\$q\$)")
set -- $r; enrol_wall=$(echo "$enrol_wall + $1" | bc -l); enrol_cpu=$(echo "$enrol_cpu + $2" | bc -l)
batches=1
while [ "$(sql "SELECT status FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-00be-2000000000a1'")" = launching ]; do
	r=$(measure "SELECT campaigns.tick(now())::text")
	set -- $r; enrol_wall=$(echo "$enrol_wall + $1" | bc -l); enrol_cpu=$(echo "$enrol_cpu + $2" | bc -l)
	batches=$((batches + 1))
done
enrolled=$(sql "SELECT total_leads FROM campaigns.campaign WHERE campaign_id = '00000000-0000-0000-00be-2000000000a1'")
sql "CREATE TABLE bench_copy (LIKE campaigns.campaign_lead INCLUDING DEFAULTS)" >/dev/null
r=$(measure "WITH i AS (INSERT INTO bench_copy (user_id, campaign_id, lead_id, next_step, next_channel, eligible_at)
	 SELECT user_id, '00000000-0000-0000-00be-2000000000a1', lead_id, 1, 'email', now()
	   FROM campaigns.lead WHERE dataset_id = '00000000-0000-0000-00be-0000000000d1' RETURNING 1) SELECT count(*)::text FROM i")
set -- $r; base_wall=$1; base_cpu=$2
sql "DROP TABLE bench_copy" >/dev/null

# ----------------------------------------------------- (b) tick
sql "SET campaigns.user_id = '00000000-0000-0000-00be-000000000001';
INSERT INTO campaigns.dataset (dataset_id, user_id, name)
SELECT ('00000000-0000-0000-00bf-' || lpad(i::text, 12, '0'))::uuid, '00000000-0000-0000-00be-000000000001', 'small ' || i
  FROM generate_series(1, $CAMPAIGNS) i;
INSERT INTO campaigns.lead (user_id, dataset_id, email)
SELECT '00000000-0000-0000-00be-000000000001', ('00000000-0000-0000-00bf-' || lpad(i::text, 12, '0'))::uuid,
	   'x' || j || '@c' || i || '.example'
  FROM generate_series(1, $CAMPAIGNS) i, generate_series(1, 10) j;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config,
	alias_ids, unreviewed_launch_policy)
SELECT ('00000000-0000-0000-00c0-' || lpad(i::text, 12, '0'))::uuid, '00000000-0000-0000-00be-000000000001',
	   ('00000000-0000-0000-00bf-' || lpad(i::text, 12, '0'))::uuid, 'small ' || i, 'email', 'immediate', 500,
	   '00:00', '24:00', 300, (ARRAY['UTC', 'Europe/London', 'America/New_York', 'Asia/Kathmandu'])[1 + i % 4],
	   '{mon,tue,wed,thu,fri,sat,sun}',
	   '[{\"step\":1,\"channel\":\"email\",\"variants\":[{\"label\":\"A\",\"weight\":50},{\"label\":\"B\",\"weight\":50}]}]',
	   '{b1}', 'launch_default'
  FROM generate_series(1, $CAMPAIGNS) i;
DO \$\$
DECLARE r record;
BEGIN
	FOR r IN SELECT campaign_id FROM campaigns.campaign WHERE campaign_id::text LIKE '00000000-0000-0000-00c0-%' LOOP
		PERFORM campaigns.campaign_launch(r.campaign_id);
	END LOOP;
END
\$\$;
UPDATE campaigns.campaign_lead SET eligible_at = '2031-01-06 10:00Z' WHERE campaign_id::text LIKE '00000000-0000-0000-00c0-%';
UPDATE campaigns.campaign SET next_action_at = '2031-01-06 10:00Z' WHERE campaign_id::text LIKE '00000000-0000-0000-00c0-%';" >/dev/null
sql "VACUUM ANALYZE" >/dev/null
tick_rows=""
tick_best=0
# The worker ticks in one long-lived session, where PL/pgSQL and SPI plans
# stay cached (and a statement may switch to its generic plan after five
# calls): the 7th call of one session, the earlier six (and it) rolled back.
sess=()
for k in 1 2 3 4 5 6; do
	sess+=(-c "BEGIN" -c "SELECT campaigns.tick('2031-01-06 10:00Z') IS NULL" -c "ROLLBACK")
done
r=$("${PSQL[@]}" "${sess[@]}" -c "BEGIN" -c "SELECT bench_measure(\$q\$SELECT campaigns.tick('2031-01-06 10:00Z') ->> 'queued'\$q\$)" -c "ROLLBACK" | tail -1)
set -- $r
tick_rows="$tick_rows$(printf '| (b) tick, 7th call in one session (as the worker): %s due campaigns, 1 lane each | %d actions | %.3f s (cpu %.2f s) | %.0f actions/s (per cpu-s %.0f) |' "$CAMPAIGNS" "$3" "$1" "$2" "$(echo "$3 / $1" | bc -l)" "$(echo "$3 / ($2 + 0.01)" | bc -l)")"$'\n'
for round in 0 1 2; do
	at=$(sql "SELECT '2031-01-06 10:00Z'::timestamptz + make_interval(mins => 5 * $round)")
	r=$(measure "SELECT campaigns.tick('$at') ->> 'queued'")
	set -- $r
	tick_rows="$tick_rows$(printf '| (b) tick round %d: %s due campaigns, 1 lane each | %d actions | %.3f s (cpu %.2f s) | %.0f actions/s (per cpu-s %.0f) |' "$((round + 1))" "$CAMPAIGNS" "$3" "$1" "$2" "$(echo "$3 / $1" | bc -l)" "$(echo "$3 / ($2 + 0.01)" | bc -l)")"$'\n'
	rate=$(echo "$3 / $1" | bc -l)
	if [ "$(echo "$rate > $tick_best" | bc -l)" = 1 ]; then tick_best=$rate; fi
done
# The same campaigns with three aliases (lanes): three actions per campaign per tick.
sql "UPDATE campaigns.campaign SET alias_ids = '{b1,b2,b3}', lane_email_count = 3,
	 lane_last_sent_at = lane_last_sent_at || ARRAY[NULL, NULL]::timestamptz[],
	 next_action_at = '2031-01-06 11:00Z' WHERE campaign_id::text LIKE '00000000-0000-0000-00c0-%'" >/dev/null
sql "VACUUM ANALYZE campaigns.campaign" >/dev/null
for round in 0 1; do
	at=$(sql "SELECT '2031-01-06 11:00Z'::timestamptz + make_interval(mins => 5 * $round)")
	r=$(measure "SELECT campaigns.tick('$at') ->> 'queued'")
	set -- $r
	tick_rows="$tick_rows$(printf '| (b) tick round %d: %s due campaigns, 3 lanes each | %d actions | %.3f s (cpu %.2f s) | %.0f actions/s (per cpu-s %.0f) |' "$((round + 1))" "$CAMPAIGNS" "$3" "$1" "$2" "$(echo "$3 / $1" | bc -l)" "$(echo "$3 / ($2 + 0.01)" | bc -l)")"$'\n'
	rate=$(echo "$3 / $1" | bc -l)
	if [ "$(echo "$rate > $tick_best" | bc -l)" = 1 ]; then tick_best=$rate; fi
done
# Baseline: tick with nothing due (the fixed cost of one call).
r=$(measure "SELECT campaigns.tick('2031-01-06 10:00:01Z')::text")
set -- $r; idle_s=$1

# ----------------------------------------------------- (c) C vs PL/pgSQL
sql "CREATE FUNCTION bench_nst_plpgsql(eligible timestamptz, ws time, we time, tz text, days text[], lim int,
	ivl int, pday date, pcount int, lane timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS \$\$
DECLARE
	t timestamptz := eligible;
	loc timestamp;
	d date;
BEGIN
	IF lane IS NOT NULL AND lane + make_interval(secs => ivl) > t THEN
		t := lane + make_interval(secs => ivl);
	END IF;
	FOR i IN 1 .. 64 LOOP
		loc := t AT TIME ZONE tz;
		d := loc::date;
		IF NOT (lower(to_char(d, 'dy')) = ANY (days)) OR (d = pday AND pcount >= lim)
		   OR (we < '24:00' AND loc::time >= we) THEN
			t := (d + 1)::timestamp AT TIME ZONE tz;
		ELSIF loc::time < ws THEN
			t := greatest(t, (d + ws) AT TIME ZONE tz);
		ELSE
			RETURN t;
		END IF;
	END LOOP;
	RETURN NULL;
END
\$\$;
CREATE TABLE bench_inputs AS
SELECT '2031-01-01 00:00Z'::timestamptz + make_interval(secs => (hashint4(i) & 2147483647) % (365 * 86400)) AS t,
	   (ARRAY['UTC', 'Europe/London', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'])[1 + i % 5] AS tz,
	   (ARRAY['{mon,tue,wed,thu,fri}', '{tue}', '{mon,wed,fri}', '{mon,tue,wed,thu,fri,sat,sun}'])[1 + i % 4]::text[] AS days
  FROM generate_series(1, $CALLS) i;" >/dev/null
# The same statement shape over the same inputs for both (and for the
# baseline), alternating, $REPEAT times each, all in one session (after one
# unmeasured run of each, so catalog caches are warm for both), and the
# fastest run of each counts, so a moment of load on a shared machine does
# not decide the ratio.  No parallel workers: only the C function is
# declared parallel safe, so a parallel plan favoured it and made its time
# depend on how many CPUs were free.
c_q="SELECT count(campaigns.next_send_time(t, '09:00', '17:00', tz, days, 100, 300, NULL, 0, t - interval '2 minutes'))::text FROM bench_inputs"
p_q="SELECT count(bench_nst_plpgsql(t, '09:00', '17:00', tz, days, 100, 300, NULL, 0, t - interval '2 minutes'))::text FROM bench_inputs"
s_q="SELECT count(t - interval '2 minutes')::text FROM bench_inputs"
runs=(-c "SET max_parallel_workers_per_gather = 0" -c "$c_q" -c "$p_q" -c "$s_q")
for round in $(seq 1 "$REPEAT"); do
	runs+=(-c "SELECT 'c ' || bench_measure(\$q\$$c_q\$q\$)" -c "SELECT 'p ' || bench_measure(\$q\$$p_q\$q\$)"
		   -c "SELECT 's ' || bench_measure(\$q\$$s_q\$q\$)")
done
c_s=; p_s=; scan_s=; c_runs=; p_runs=
while read -r side wall cpu _; do
	case $side in
		c)	c_runs="$c_runs $(printf '%.3f' "$wall")"
			if [ -z "$c_s" ] || [ "$(echo "$wall < $c_s" | bc -l)" = 1 ]; then c_s=$wall; c_cpu=$cpu; fi ;;
		p)	p_runs="$p_runs $(printf '%.3f' "$wall")"
			if [ -z "$p_s" ] || [ "$(echo "$wall < $p_s" | bc -l)" = 1 ]; then p_s=$wall; p_cpu=$cpu; fi ;;
		s)	if [ -z "$scan_s" ] || [ "$(echo "$wall < $scan_s" | bc -l)" = 1 ]; then scan_s=$wall; fi ;;
	esac
done < <("${PSQL[@]}" "${runs[@]}" | grep -E '^[cps] ')
agree=$(sql "SELECT count(*) FILTER (WHERE campaigns.next_send_time(t, '09:00', '17:00', tz, days, 100, 300, NULL, 0, t - interval '2 minutes')
	= bench_nst_plpgsql(t, '09:00', '17:00', tz, days, 100, 300, NULL, 0, t - interval '2 minutes')) FROM bench_inputs")
c_rate=$(echo "$CALLS / $c_s" | bc -l)
p_rate=$(echo "$CALLS / $p_s" | bc -l)
ratio=$(echo "$p_s / $c_s" | bc -l)
ratio_cpu=$(echo "$p_cpu / ($c_cpu + 0.005)" | bc -l)

# ----------------------------------------------------- report
echo
echo "campaigns scheduler benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'))"
echo
echo "| measurement | work | time | rate |"
echo "|---|---|---|---|"
enrol_rate=$(echo "$enrolled / $enrol_wall" | bc -l)
printf '| (a) enrol via campaign_launch + tick (%d batches of %s) | %d leads | %.2f s (cpu %.2f s) | %.0f leads/s |\n' "$batches" "50000" "$enrolled" "$enrol_wall" "$enrol_cpu" "$enrol_rate"
printf '| (a) baseline: bare INSERT ... SELECT into an unindexed copy | %d rows | %.2f s (cpu %.2f s) | %.0f rows/s |\n' "$LEADS" "$base_wall" "$base_cpu" "$(echo "$LEADS / $base_wall" | bc -l)"
printf '%s' "$tick_rows"
printf '| (b) baseline: tick with nothing due | 0 actions | %.4f s | - |\n' "$idle_s"
printf '| (c) next_send_time in C (fastest of %d:%s) | %d calls | %.3f s (cpu %.2f s) | %.0f calls/s |\n' "$REPEAT" "$c_runs" "$CALLS" "$c_s" "$c_cpu" "$c_rate"
printf '| (c) same rules in PL/pgSQL (fastest of %d:%s) | %d calls | %.3f s (cpu %.2f s) | %.0f calls/s |\n' "$REPEAT" "$p_runs" "$CALLS" "$p_s" "$p_cpu" "$p_rate"
printf '| (c) baseline: scanning the inputs | %d rows | %.3f s | - |\n' "$CALLS" "$scan_s"
echo
printf 'C / PL/pgSQL speed ratio: %.1fx wall, whole statements (%.1fx in backend CPU time; %.1fx wall net of the scan baseline); results agree on %d of %d inputs (they may differ only at DST gaps and repeats, where the C rules are the specified ones)\n' "$ratio" "$ratio_cpu" "$(echo "($p_s - $scan_s) / ($c_s - $scan_s + 0.0001)" | bc -l)" "$agree" "$CALLS"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'targets: enrolment >= 100000 leads/s: %s; tick >= 10000 actions/s: %s; C >= 20x PL/pgSQL: %s\n' \
	"$([ "$(echo "$enrol_rate >= 100000" | bc -l)" = 1 ] && echo met || echo NOT met)" \
	"$([ "$(echo "$tick_best >= 10000" | bc -l)" = 1 ] && echo met || echo NOT met)" \
	"$([ "$(echo "$ratio >= 20" | bc -l)" = 1 ] && echo met || echo NOT met)"
