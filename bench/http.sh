#!/bin/bash
# bench/http.sh -- the HTTP gateway beside direct SQL (figures in docs/benchmarks.md).
#
# Two operations, each measured three ways in the same run:
#   GET  /api/v1/campaigns/{id}      vs  SELECT campaigns.campaign_get(id)
#   POST /api/v1/campaigns/ (10 steps) vs  SELECT campaigns.campaign_create(body)
# Both pgbench and the gateway reach PostgreSQL over its Unix socket.
#   - direct: pgbench, $CLIENTS connections of an application role (a member
#     of campaigns_user, so row-level security applies as it does behind the
#     gateway), prepared statements;
#   - http_handle: pgbench calling campaigns.http_handle(...) with the same
#     request the gateway would pass (routing, key, rate count, JSON);
#   - gateway: wrk against campaigns-gateway with $CLIENTS threads (one
#     connection each), i.e. as many database connections as pgbench.
# Prints requests/s and the gateway's share of the direct rate.  wrk, the
# gateway and PostgreSQL share this machine's CPUs, so the gateway column
# also pays for the load generator.
#
# Starts its own server (port $PORT, default 55442) and gateway (port
# $GW_PORT, default 18093) in a temporary directory, preloading campaigns,
# and stops both at the end.  The server is started while holding
# /tmp/campaigns-install.lock.  Run as root (it uses runuser -u postgres) or
# as postgres, after `make install` and `make -C gateway`.
#
# Environment: PORT, GW_PORT, CLIENTS (4), DURATION seconds per run (10),
# PGBIN, NO_LOCK=1 (skip the lock, for a private installation).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PORT:-55442}
GW_PORT=${GW_PORT:-18093}
CLIENTS=${CLIENTS:-4}
DURATION=${DURATION:-10}
PGBIN=${PGBIN:-$(pg_config --bindir)}
GATEWAY=$ROOT/gateway/campaigns-gateway
DIR=$(mktemp -d /tmp/campaigns-httpbench.XXXXXX)
LOCK=/tmp/campaigns-install.lock
USER_ID=00000000-0000-0000-00bf-000000000001

[ -x "$GATEWAY" ] || { echo "build the gateway first: make -C gateway" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

as_pg() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
chown postgres "$DIR" 2>/dev/null || true
chmod 755 "$DIR"

GW_PID=
cleanup() {
	if [ -n "$GW_PID" ]; then kill -TERM "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; fi
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
shared_preload_libraries = 'campaigns'
campaigns.worker_enabled = off
shared_buffers = 256MB
max_connections = 100
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
	exec 9>"$LOCK"
	flock 9
	start_server 9>&-
	flock -u 9
	exec 9>&-
fi
sql() { "${PSQL[@]}" -c "$1"; }

# ---------------------------------------------------------------- fixtures
sql "CREATE ROLE bench_gateway LOGIN; GRANT campaigns_gateway TO bench_gateway;
	 CREATE ROLE bench_app LOGIN; GRANT campaigns_user TO bench_app;" >/dev/null
KEY=$(sql "SELECT campaigns.api_key_create('$USER_ID', 'bench')")
# A limit no run reaches: every request is counted, as in production.
sql "UPDATE campaigns.api_key SET rate_limit_per_minute = 1000000000" >/dev/null
IDS=$(sql "SET campaigns.user_id = '$USER_ID';
	SELECT campaigns.alias_create('{\"alias_id\": \"b1\", \"full_email\": \"b1@example.com\"}') IS NOT NULL;
	SELECT campaigns.template_create('{\"name\": \"t\", \"channel\": \"email\", \"subject\": \"Hi {{first_name|there}}\", \"body\": \"Hello {{company|there}}\"}') ->> 'template_id';
	SELECT campaigns.dataset_create('{\"name\": \"d\", \"leads\": [{\"email\": \"a@example.com\"}]}') ->> 'dataset_id';" | tail -2)
TEMPLATE=$(echo "$IDS" | sed -n 1p)
DATASET=$(echo "$IDS" | sed -n 2p)
BODY=$(python3 - "$DATASET" "$TEMPLATE" <<'EOF'
import json, sys
d, t = sys.argv[1:3]
print(json.dumps({"name": "bench", "dataset_id": d, "alias_ids": ["b1"],
                  "description": "ten steps", "daily_limit": 200, "send_days": ["mon", "wed", "fri"],
                  "steps": [{"step": i, "delay_days": 0 if i == 1 else 2,
                             "variants": [{"label": "A", "weight": 60, "template_id": t},
                                          {"label": "B", "weight": 40, "template_id": t}]}
                            for i in range(1, 11)]}))
EOF
)
CAMPAIGN=$(sql "SET campaigns.user_id = '$USER_ID'; SELECT campaigns.campaign_create('$BODY') ->> 'campaign_id'" | tail -1)

# pgbench scripts (the same SQL functions, and the same http_handle call the gateway makes).
Q_BODY=${BODY//\'/\'\'}
HDRS="{\"authorization\": \"Bearer $KEY\", \"content-type\": \"application/json\"}"
echo "SELECT campaigns.campaign_get('$CAMPAIGN');" > "$DIR/get_direct.sql"
echo "SELECT campaigns.campaign_create('$Q_BODY');" > "$DIR/post_direct.sql"
echo "SELECT status, headers, body FROM campaigns.http_handle('GET', '/api/v1/campaigns/$CAMPAIGN', '', '$HDRS', '');" > "$DIR/get_handle.sql"
echo "SELECT status, headers, body FROM campaigns.http_handle('POST', '/api/v1/campaigns/', '', '$HDRS', '$Q_BODY');" > "$DIR/post_handle.sql"
cat > "$DIR/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$BODY]]
EOF
chmod a+r "$DIR"/*.sql "$DIR"/*.lua

# CPU accounting, in clock ticks: each run also reports where the CPU went
# (client, gateway, PostgreSQL), per request.  pgbench's backends exit with
# it, so PostgreSQL's share of a pgbench run is what the postmaster reaped
# (cutime + cstime); the gateway's backends live on, so theirs is read from
# /proc before and after.
TCK=$(getconf CLK_TCK)
PM_PID=$(head -1 "$DIR/data/postmaster.pid")
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
child_ticks() { awk '{ print $16 + $17 }' "/proc/$1/stat"; }
gw_backend_ticks() {
	local t=0 p
	for p in $(sql "SELECT pid FROM pg_stat_activity WHERE usename = 'bench_gateway'"); do
		t=$((t + $(ticks "$p")))
	done
	echo "$t"
}
# The last run's "client gateway postgres" ticks go to $DIR/last_cpu (the
# runs are called in command substitutions, i.e. subshells).

pgbench_tps() {	# file role
	local out pm0 pm1
	pm0=$(child_ticks "$PM_PID")
	out=$(/usr/bin/time -f 'CPU %U %S' runuser -u postgres -- env PGOPTIONS="-c campaigns.user_id=$USER_ID" \
		"$PGBIN/pgbench" -h "$DIR" -p "$PORT" -U "$2" \
		-n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -f "$1" postgres 2>&1)
	sleep 0.5	# let the postmaster reap the backends
	pm1=$(child_ticks "$PM_PID")
	echo "$(echo "$out" | awk -v t="$TCK" '/^CPU/ { printf "%d", ($2 + $3) * t }') 0 $((pm1 - pm0))" > "$DIR/last_cpu"
	echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
wrk_rps() {	# path [lua]
	local out g0 g1 b0 b1
	g0=$(ticks "$GW_PID"); b0=$(gw_backend_ticks)
	out=$(/usr/bin/time -f 'CPU %U %S' wrk -t 2 -c "$((CLIENTS * 4))" -d "${DURATION}s" --timeout 30s \
		-H "Authorization: Bearer $KEY" ${2:+-s "$2"} "http://127.0.0.1:$GW_PORT$1" 2>&1)
	g1=$(ticks "$GW_PID"); b1=$(gw_backend_ticks)
	if echo "$out" | grep -q 'Non-2xx\|Socket errors'; then
		echo "wrk reported errors:" >&2; echo "$out" >&2; exit 1
	fi
	echo "$(echo "$out" | awk -v t="$TCK" '/^CPU/ { printf "%d", ($2 + $3) * t }') $((g1 - g0)) $((b1 - b0))" > "$DIR/last_cpu"
	echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'
}
# cpu_row label rate: microseconds of CPU per request, by process, of the last run
CPU_ROWS=()
cpu_row() {
	CPU_ROWS+=("$(awk -v l="$1" -v r="$2" -v d="$DURATION" -v t="$TCK" '{
		n = r * d; f = 1e6 / t / n
		printf "%-36s %10.0f %10.0f %10.0f %10.0f", l, $1 * f, $2 * f, $3 * f, ($1 + $2 + $3) * f }' "$DIR/last_cpu")")
}

"$GATEWAY" --listen "127.0.0.1:$GW_PORT" --threads "$CLIENTS" \
	--db "host=$DIR port=$PORT dbname=postgres user=bench_gateway" 2>/dev/null &
GW_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$GW_PORT/api/v1/openapi.json" && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GW_PORT/api/v1/campaigns/$CAMPAIGN")" = 200 ]

get_direct=$(pgbench_tps "$DIR/get_direct.sql" bench_app); cpu_row "GET direct SQL (pgbench)" "$get_direct"
get_handle=$(pgbench_tps "$DIR/get_handle.sql" bench_gateway); cpu_row "GET http_handle (pgbench)" "$get_handle"
get_gw=$(wrk_rps "/api/v1/campaigns/$CAMPAIGN"); cpu_row "GET gateway (wrk)" "$get_gw"
# Each POST run starts from an empty campaign table, so that no run pays
# for the rows an earlier one left.
fresh() { sql "SET client_min_messages = warning; TRUNCATE campaigns.campaign CASCADE" >/dev/null; sql "VACUUM ANALYZE campaigns.campaign" >/dev/null; }
created=0
count() { created=$((created + $(sql "SELECT count(*) FROM campaigns.campaign"))); }
fresh; post_direct=$(pgbench_tps "$DIR/post_direct.sql" bench_app); count
fresh; post_handle=$(pgbench_tps "$DIR/post_handle.sql" bench_gateway); count
fresh; post_gw=$(wrk_rps "/api/v1/campaigns/" "$DIR/post.lua"); count

echo
echo "campaigns HTTP benchmark: $CLIENTS database connections each way, ${DURATION}s per run, $(nproc) CPUs"
printf '%-36s %12s %12s %12s %10s\n' "operation" "direct SQL" "http_handle" "gateway" "gw/direct"
printf '%-36s %12s %12s %12s %10s\n' "" "(pgbench)" "(pgbench)" "(wrk)" ""
row() {
	printf '%-36s %12.0f %12.0f %12.0f %9.0f%%\n' "$1" "$2" "$3" "$4" "$(awk -v a="$4" -v b="$2" 'BEGIN { print a * 100 / b }')"
}
row "GET /api/v1/campaigns/{id}" "$get_direct" "$get_handle" "$get_gw"
row "POST /api/v1/campaigns/ (10 steps)" "$post_direct" "$post_handle" "$post_gw"
echo "(requests per second; $created campaigns created in all)"
echo
echo "CPU time per GET request, microseconds, by process (client: pgbench or wrk)"
printf '%-36s %10s %10s %10s %10s\n' "run" "client" "gateway" "postgres" "total"
for r in "${CPU_ROWS[@]}"; do echo "$r"; done
