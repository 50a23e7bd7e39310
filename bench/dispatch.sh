#!/usr/bin/env bash
# bench/dispatch.sh: delivery throughput and latency of the campaigns worker.
#
# Starts a local nginx sink (return 200) and measures its own limit with wrk
# (the baseline), then a throw-away PostgreSQL server that preloads campaigns
# and delivers to that sink:
#   1. throughput: N actions (default 100,000) all due at the same instant;
#      actions/s from the due time to the last delivery, and the ratio to the
#      sink's wrk limit;
#   2. latency while not saturated: M actions due over a spread of S seconds
#      (default 5,000 at 500/s); due-to-delivered p50/p99;
# and the worker's memory (VmRSS and RssAnon) at start, middle and end.
# Run as root (servers run as postgres) or as postgres.  Ports: nginx 18081,
# PostgreSQL 55433 (env SINKPORT, PGPORT).  The shared install lock
# (CAMPAIGNS_INSTALL_LOCK, default /tmp/campaigns-install.lock; NO_LOCK=1 to
# skip it) is held from the server's start until CREATE EXTENSION is done
# (and INSTALL_FROM=<source dir> runs `make install` there under it first),
# so the code measured is the code installed.
set -euo pipefail
N=${N:-100000}
M=${M:-5000}
RATE=${RATE:-500}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-64}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGPORT:-55433}
SINKPORT=${SINKPORT:-18081}
if [ -n "${NO_LOCK:-}" ]; then CAMPAIGNS_INSTALL_LOCK=; else CAMPAIGNS_INSTALL_LOCK=${CAMPAIGNS_INSTALL_LOCK:-/tmp/campaigns-install.lock}; fi
RUNAS=()
if [ "$(id -u)" = 0 ]; then RUNAS=(runuser -u postgres --); fi

tmp=$(mktemp -d /tmp/campaigns-bench.XXXXXX)
chmod 777 "$tmp"
cleanup() {
	"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
	if [ -f "$tmp/nginx.pid" ]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
	sleep 0.5
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- the sink --------------------------------------------------------------
mkdir -p "$tmp/nginx/logs"
cat > "$tmp/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1000; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	client_body_buffer_size 16k;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$SINKPORT;
		location / { return 200 '{"ok":true}'; }
	}
}
NGINX
chmod -R 777 "$tmp/nginx"
"${RUNAS[@]}" nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log"
for _ in $(seq 50); do [ -f "$tmp/nginx.pid" ] && break; sleep 0.1; done

body=$(python3 -c 'import json; print(json.dumps({"action_id": 1, "idempotency_key": "x" * 38, "lead": {"email": "a@b.c", "first_name": "A" * 10, "fields": {}}, "subject": "S" * 40, "body": "B" * 500}))')
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$body]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Idempotency-Key"] = "bench"
LUA
wrk_out=$(wrk -t1 -c"$MAX_IN_FLIGHT" -d5s -s "$tmp/post.lua" "http://127.0.0.1:$SINKPORT/deliver")
sink_rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')

# --- PostgreSQL ------------------------------------------------------------
if [ -n "${CAMPAIGNS_INSTALL_LOCK:-}" ]; then
	exec 9>"$CAMPAIGNS_INSTALL_LOCK"
	flock 9
	if [ -n "${INSTALL_FROM:-}" ]; then make -C "$INSTALL_FROM" -s install >/dev/null; fi
fi
"${RUNAS[@]}" "$PGBIN/initdb" -D "$tmp/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
cat >> "$tmp/data/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
shared_preload_libraries = 'campaigns'
campaigns.database_name = 'postgres'
campaigns.email_endpoint = 'http://127.0.0.1:$SINKPORT/deliver'
campaigns.outbound_allow = '127.0.0.1/32'
campaigns.max_in_flight = $MAX_IN_FLIGHT
shared_buffers = 256MB
max_wal_size = 4GB
CONF
if [ -n "${STATS:-}" ]; then
	# STATS=1: per-function and per-statement times (pg_stat_statements is
	# loaded in this private server only).
	sed -i "s/^shared_preload_libraries = 'campaigns'/shared_preload_libraries = 'campaigns,pg_stat_statements'/" "$tmp/data/postgresql.conf"
	printf 'track_functions = all\npg_stat_statements.track = all\n' >> "$tmp/data/postgresql.conf"
fi
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w start >/dev/null
psql() { "${RUNAS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION campaigns"
if [ -n "${STATS:-}" ]; then psql -c "CREATE EXTENSION pg_stat_statements"; fi
if [ -n "${CAMPAIGNS_INSTALL_LOCK:-}" ]; then flock -u 9; exec 9>&-; fi

# Ten users, each with one active campaign; every lead has one due action.
# load(n, first_due, spacing): actions due at first_due + i * spacing.
load() {
	psql -At <<SQL
SET session_replication_role = replica;
CREATE TEMP TABLE u AS SELECT gen_random_uuid() AS user_id, gen_random_uuid() AS dataset_id,
	gen_random_uuid() AS campaign_id, gen_random_uuid() AS template_id, g AS k FROM generate_series(1, 10) g;
INSERT INTO campaigns.dataset (dataset_id, user_id, name) SELECT dataset_id, user_id, 'bench' FROM u;
INSERT INTO campaigns.template (template_id, user_id, name, channel, subject, body)
SELECT template_id, user_id, 't', 'email', 'Hello {{first_name}}',
	   'Dear {{first_name}}, a word about {{company|your team}}. ' || repeat('Lorem ipsum dolor sit amet. ', 15) FROM u;
INSERT INTO campaigns.email_alias (user_id, alias_id, full_email) SELECT user_id, 'a', 'a@example.com' FROM u;
INSERT INTO campaigns.campaign (campaign_id, user_id, dataset_id, name, type, status, launch_type, daily_limit,
	sending_window_start, sending_window_end, min_interval_seconds, timezone, send_days, steps_config, alias_ids,
	unreviewed_launch_policy, total_leads)
SELECT campaign_id, user_id, dataset_id, 'bench', 'email', 'active', 'immediate', 10000, '00:00', '24:00', 60, 'UTC',
	   '{mon,tue,wed,thu,fri,sat,sun}',
	   jsonb_build_array(jsonb_build_object('step', 1, 'delay_days', 0, 'channel', 'email',
			'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'weight', 50, 'type', 'TEMPLATE',
																'template_id', template_id)))), '{a}', 'launch_default', $1 / 10
  FROM u;
INSERT INTO campaigns.lead (user_id, dataset_id, email, first_name, company)
SELECT u.user_id, u.dataset_id, 'l' || g || '@example.com', 'First' || g, CASE WHEN g % 2 = 0 THEN 'Co' || g END
  FROM u, generate_series(1, $1 / 10) g;
INSERT INTO campaigns.campaign_lead (user_id, campaign_id, lead_id, status, next_step, variants)
SELECT u.user_id, u.campaign_id, l.lead_id, 'active', 1, '{"1": "A"}' FROM u JOIN campaigns.lead l USING (dataset_id);
INSERT INTO campaigns.action (user_id, campaign_id, campaign_lead_id, step, variant, channel, action_type, alias_id,
	idempotency_key, due_at, next_attempt_at)
SELECT cl.user_id, cl.campaign_id, cl.campaign_lead_id, 1, 'A', 'email', 'send_email', 'a',
	   cl.campaign_lead_id || ':1', '$2'::timestamptz + (row_number() OVER () - 1) * '$3'::interval,
	   '$2'::timestamptz + (row_number() OVER () - 1) * '$3'::interval
  FROM campaigns.campaign_lead cl JOIN u USING (campaign_id);
SELECT count(*) FROM campaigns.action WHERE campaign_id IN (SELECT campaign_id FROM u);
SQL
}
worker_pid=$(psql -At -c "SELECT pid FROM campaigns.worker_status")
# cpu [tid]: CPU time (utime + stime, clock ticks) of the worker's main thread
# (tid = pid) or, without an argument, of all its threads.
cpu() {
	if [ -n "${1:-}" ]; then awk '{print $14 + $15}' "/proc/$worker_pid/task/$1/stat"
	else cat /proc/"$worker_pid"/task/*/stat | awk '{s += $14 + $15} END {print s}'; fi
}
# sched: nanoseconds the worker's main thread ran and waited for a CPU while
# runnable (/proc/.../schedstat).
sched() { awk '{print $1, $2}' "/proc/$worker_pid/task/$worker_pid/schedstat"; }
mem() { awk '/^VmRSS|^RssAnon/ {printf "%s %s kB  ", $1, $2}' "/proc/$worker_pid/status"; }
sent() { psql -At -c "SELECT count(*) FROM campaigns.action WHERE state = 'sent'"; }
# Progress is read from the worker's shared-memory counter (free), not by
# counting the table every 0.2 s (a scan of the whole queue that competed
# with the worker for the CPU); the table is counted once the counter says
# everything went out.  sent_counter0 is the counter before the load.
sent_counter() { psql -At -c "SELECT sent FROM campaigns.worker_status"; }
wait_sent() {
	local want=$1 deadline=$((SECONDS + 600)) mid_taken=0
	while :; do
		local n; n=$(( $(sent_counter) - sent_counter0 ))
		if [ "$mid_taken" = 0 ] && [ "$n" -ge $((want / 2)) ] && [ -n "${2:-}" ]; then mem_mid=$(mem); mid_taken=1; fi
		[ "$n" -ge "$want" ] && [ "$(sent)" -ge "$want" ] && break
		[ $SECONDS -ge $deadline ] && { echo "timed out: $n of $want sent" >&2; exit 1; }
		sleep 0.2
	done
}

# 1. Throughput: N actions due at the same instant, a few seconds ahead.
mem_start=$(mem)
cpu_main0=$(cpu "$worker_pid"); cpu_all0=$(cpu); read -r run0 delay0 <<<"$(sched)"
due=$(psql -At -c "SELECT now() + interval '8 s'")
sent_counter0=$(sent_counter)
load "$N" "$due" "0 s" >/dev/null
wait_sent "$N" mid
cpu_main1=$(cpu "$worker_pid"); cpu_all1=$(cpu); read -r run1 delay1 <<<"$(sched)"
mem_end=$(mem)
hz=$(getconf CLK_TCK)
cpu_main_us=$(python3 -c "print(round(($cpu_main1 - $cpu_main0) * 1e6 / $hz / $N, 1))")
cpu_all_us=$(python3 -c "print(round(($cpu_all1 - $cpu_all0) * 1e6 / $hz / $N, 1))")
read -r t_s p50_s p99_s <<<"$(psql -At -F ' ' -c "
	SELECT round(extract(epoch FROM max(sent_at) - min(due_at))::numeric, 3),
		   round((1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_at - due_at)))::numeric, 1),
		   round((1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_at - due_at)))::numeric, 1)
	  FROM campaigns.action WHERE state = 'sent'")"
rate=$(python3 -c "print(round($N / $t_s))")
ratio=$(python3 -c "print('%.2f' % ($N / $t_s / $sink_rps))")
failed=$(psql -At -c "SELECT count(*) FROM campaigns.action WHERE state <> 'sent'")

# 2. Latency while not saturated: M actions due at RATE per second.
psql -c "TRUNCATE campaigns.action, campaigns.campaign_lead, campaigns.lead, campaigns.campaign, campaigns.dataset, campaigns.template, campaigns.email_alias CASCADE"
due=$(psql -At -c "SELECT now() + interval '3 s'")
sent_counter0=$(sent_counter)
load "$M" "$due" "$(python3 -c "print(1.0 / $RATE)") s" >/dev/null
wait_sent "$M"
read -r p50_l p99_l max_l <<<"$(psql -At -F ' ' -c "
	SELECT round((1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_at - due_at)))::numeric, 1),
		   round((1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_at - due_at)))::numeric, 1),
		   round((1000 * extract(epoch FROM max(sent_at - due_at)))::numeric, 1)
	  FROM campaigns.action WHERE state = 'sent'")"
status=$(psql -At -F ' ' -c "SELECT claimed, sent, retried, failed, batches, errors FROM campaigns.worker_status")
if [ -n "${STATS:-}" ]; then
	# STATS=1: where the worker's SQL time went (both phases), per function.
	psql -c "SELECT funcname, calls, round(total_time) AS total_ms, round(self_time) AS self_ms,
					round((1000 * total_time / calls)::numeric, 1) AS us_per_call
			   FROM pg_stat_user_functions WHERE schemaname = 'campaigns' ORDER BY total_time DESC LIMIT 12"
	psql -c "SELECT calls, round(total_exec_time) AS total_ms, round((1000 * total_exec_time / calls)::numeric, 1) AS us_per_call,
					rows, left(regexp_replace(query, '\s+', ' ', 'g'), 70) AS query
			   FROM pg_stat_statements WHERE toplevel = false ORDER BY total_exec_time DESC LIMIT 12"
fi

printf '\ncampaigns dispatch benchmark (%s cores, max_in_flight %s)\n\n' "$(nproc)" "$MAX_IN_FLIGHT"
printf '%-52s %14s\n' "measure" "value"
printf '%-52s %14s\n' "----------------------------------------------------" "--------------"
printf '%-52s %14s\n' "sink limit: nginx 'return 200', wrk -c$MAX_IN_FLIGHT (req/s)" "$sink_rps"
printf '%-52s %14s\n' "actions delivered (all due at once)" "$N"
printf '%-52s %14s\n' "due -> last delivered (s)" "$t_s"
printf '%-52s %14s\n' "throughput (actions/s)" "$rate"
printf '%-52s %14s\n' "ratio to the sink's limit" "$ratio"
printf '%-52s %14s\n' "not sent at the end" "$failed"
printf '%-52s %14s\n' "worker CPU per action (us): main thread / all" "$cpu_main_us / $cpu_all_us"
printf '%-52s %14s\n' "worker main thread: ran / waited for a CPU (s)" "$(python3 -c "print('%.2f / %.2f' % (($run1 - $run0) / 1e9, ($delay1 - $delay0) / 1e9))")"
printf '%-52s %14s\n' "load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-52s %14s\n' "saturated: due -> delivered p50 / p99 (ms)" "$p50_s / $p99_s"
printf '%-52s %14s\n' "unsaturated ($M at $RATE/s): p50 / p99 / max (ms)" "$p50_l / $p99_l / $max_l"
printf '%-52s %14s\n' "worker counters: claimed sent retried failed batches errors" "$status"
printf '\nworker memory (pid %s)\n  start:  %s\n  middle: %s\n  end:    %s\n' "$worker_pid" "$mem_start" "${mem_mid:-}" "$mem_end"
