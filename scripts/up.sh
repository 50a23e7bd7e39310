#!/usr/bin/env bash
# scripts/up.sh: brings up a working local deployment in ./.deploy —
# PostgreSQL 15 with pg_cron and campaigns preloaded (so the background
# worker runs), a demo delivery sink, the HTTP gateway, and demo data
# (a user, an API key, a dataset of five leads, a template, an alias, a
# connected account and a draft campaign), and prints commands that create,
# launch and watch a campaign (their settings are in .deploy/demo.env).
# Installs missing dependencies (as root).  Idempotent: a second run
# restarts what is not running.  Stop it all with scripts/down.sh.
#   CAMPAIGNS_PG_PORT (5433), CAMPAIGNS_HTTP_PORT (8080), CAMPAIGNS_SINK_PORT (8099)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PG_PORT=${CAMPAIGNS_PG_PORT:-5433}
HTTP_PORT=${CAMPAIGNS_HTTP_PORT:-8080}
SINK_PORT=${CAMPAIGNS_SINK_PORT:-8099}
PGBIN=/usr/lib/postgresql/15/bin
DEPLOY=$root/.deploy
DEMO_USER=11111111-1111-4111-8111-111111111111

bash scripts/deps.sh
make -s
make -s install
[ -f gateway/Makefile ] && make -s -C gateway

as_pg() { runuser -u postgres -- "$@"; }
# The server, the sink and the gateway run as postgres; when it cannot reach
# this checkout (one under /root, say), the deployment lives in /var/tmp.
if ! as_pg test -x "$root"; then
	DEPLOY=/var/tmp/campaigns-deploy
fi
mkdir -p "$DEPLOY"
chown postgres "$DEPLOY"
chmod 755 "$DEPLOY"
install -o postgres -m 755 scripts/demo_sink.py "$DEPLOY/demo_sink.py"
if [ -x gateway/campaigns-gateway ]; then install -o postgres -m 755 gateway/campaigns-gateway "$DEPLOY/campaigns-gateway"; fi
if [ -d node_modules/swagger-ui-dist ]; then rm -rf "$DEPLOY/swagger-ui"; cp -r node_modules/swagger-ui-dist "$DEPLOY/swagger-ui"; fi
PSQL="as_pg $PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $DEPLOY -p $PG_PORT"

if [ ! -f "$DEPLOY/data/PG_VERSION" ]; then
	as_pg "$PGBIN/initdb" -D "$DEPLOY/data" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
	cat >> "$DEPLOY/data/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DEPLOY'
shared_preload_libraries = 'pg_cron,campaigns'
cron.database_name = 'campaigns'
campaigns.database_name = 'campaigns'
campaigns.email_endpoint = 'http://127.0.0.1:$SINK_PORT/email'
campaigns.linkedin_endpoint = 'http://127.0.0.1:$SINK_PORT/linkedin'
campaigns.outbound_allow = '127.0.0.1/32'
CONF
fi

# The demo delivery sink.
if ! { [ -f "$DEPLOY/sink.pid" ] && kill -0 "$(cat "$DEPLOY/sink.pid")" 2>/dev/null; }; then
	as_pg bash -c "nohup /usr/bin/python3 '$DEPLOY/demo_sink.py' $SINK_PORT '$DEPLOY/sink.jsonl' >/dev/null 2>&1 & echo \$! > '$DEPLOY/sink.pid'"
fi

if ! as_pg "$PGBIN/pg_ctl" -D "$DEPLOY/data" status >/dev/null 2>&1; then
	# PostgreSQL refuses a data directory others can read (a recursive chmod
	# of the checkout, say): put its mode back.
	chmod 700 "$DEPLOY/data"
	as_pg "$PGBIN/pg_ctl" -D "$DEPLOY/data" -l "$DEPLOY/postgresql.log" -w start >/dev/null
fi

if ! $PSQL -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'campaigns'" | grep -q 1; then
	$PSQL -d postgres -c "CREATE DATABASE campaigns"
fi
$PSQL -d campaigns <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS campaigns;
DO \$\$ BEGIN
	IF to_regproc('campaigns.schedule_maintenance') IS NOT NULL THEN
		PERFORM campaigns.schedule_maintenance();
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'campaigns_gateway_login') THEN
		CREATE ROLE campaigns_gateway_login LOGIN IN ROLE campaigns_gateway;
	END IF;
END \$\$;
SQL

# Demo data, once: an API key for the demo user, a dataset, templates, an
# alias, a connected account and a draft campaign.
if [ ! -s "$DEPLOY/demo_ids" ]; then
	$PSQL -1 -d campaigns -At > "$DEPLOY/demo_ids" <<SQL
SELECT 'key=' || campaigns.api_key_create('$DEMO_USER', 'demo');
SET campaigns.user_id = '$DEMO_USER';
SELECT campaigns.alias_create('{"alias_id": "demo-sales", "full_email": "sales@demo.example"}') IS NOT NULL;
SELECT campaigns.connected_account_create('{"name": "Demo LinkedIn"}') IS NOT NULL;
CREATE TEMP TABLE ids AS SELECT
	campaigns.dataset_create('{"name": "Demo prospects"}') ->> 'dataset_id' AS dataset_id,
	campaigns.template_create('{"name": "Intro", "channel": "email", "subject": "Quick question, {{first_name|there}}",
		"body": "Hi {{first_name|there}}, how does {{company|your team}} handle outreach today?"}') ->> 'template_id' AS template_id;
SELECT campaigns.dataset_add_leads(dataset_id::uuid, '[
	{"email": "ada@demo.example", "first_name": "Ada", "company": "Analytical Engines", "linkedin_url": "https://www.linkedin.com/in/ada-demo"},
	{"email": "grace@demo.example", "first_name": "Grace", "company": "Compilers Inc", "linkedin_url": "https://www.linkedin.com/in/grace-demo"},
	{"email": "linus@demo.example", "first_name": "Linus", "linkedin_url": "https://www.linkedin.com/in/linus-demo"},
	{"email": "barbara@demo.example", "first_name": "Barbara", "company": "CLU Labs", "timezone": "America/New_York"},
	{"email": "ken@demo.example", "company": "Bell"}]') IS NOT NULL FROM ids;
SELECT campaigns.campaign_create(jsonb_build_object('name', 'Demo sequence', 'dataset_id', dataset_id,
	'alias_ids', '["demo-sales"]'::jsonb, 'sending_window_start', '00:00', 'sending_window_end', '24:00',
	'send_days', '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb, 'min_interval_seconds', 60,
	'steps', jsonb_build_array(
		jsonb_build_object('step', 1, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', template_id))),
		jsonb_build_object('step', 2, 'delay_days', 2, 'variants', jsonb_build_array(jsonb_build_object('label', 'A', 'template_id', template_id))))))
	->> 'campaign_id' FROM ids;
SELECT 'dataset_id=' || dataset_id FROM ids;
SQL
fi
KEY=$(sed -n 's/^key=//p' "$DEPLOY/demo_ids")
DATASET_ID=$(sed -n 's/^dataset_id=//p' "$DEPLOY/demo_ids")
TEMPLATE_ID=$($PSQL -d campaigns -At -c "SELECT template_id FROM campaigns.template
	WHERE user_id = '$DEMO_USER' AND name = 'Intro' ORDER BY created_at LIMIT 1")
# What the printed commands and the README's tour use: source it.
cat > "$DEPLOY/demo.env" <<ENV
# Written by scripts/up.sh for the quick start: . $DEPLOY/demo.env
API=http://127.0.0.1:$HTTP_PORT/api/v1
KEY=$KEY
AUTH="Authorization: Bearer $KEY"
DEMO_USER=$DEMO_USER
DATASET_ID=$DATASET_ID
TEMPLATE_ID=$TEMPLATE_ID
SINK_LOG=$DEPLOY/sink.jsonl
export PGHOST=$DEPLOY PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=campaigns
ENV

# The worker (re)starts within 5 s of the database's creation: wait for it,
# so that what up.sh prints works at once.
for _ in $(seq 1 40); do
	$PSQL -d campaigns -At -c "SELECT state FROM campaigns.worker_status" | grep -qE '^(idle|dispatching)$' && break
	sleep 0.5
done
[ -f "$DEPLOY/sink.jsonl" ] || install -o postgres -m 644 /dev/null "$DEPLOY/sink.jsonl"

# The HTTP gateway.
GW=$DEPLOY/campaigns-gateway
if [ -x "$GW" ] && ! { [ -f "$DEPLOY/gateway.pid" ] && kill -0 "$(cat "$DEPLOY/gateway.pid")" 2>/dev/null; }; then
	as_pg bash -c "nohup '$GW' --listen 127.0.0.1:$HTTP_PORT --threads 4 --docs-dir '$DEPLOY/swagger-ui' \
		--db 'host=$DEPLOY port=$PG_PORT dbname=campaigns user=campaigns_gateway_login' \
		>> '$DEPLOY/gateway.log' 2>&1 & echo \$! > '$DEPLOY/gateway.pid'"
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/v1/openapi.json" && break
		sleep 0.1
	done
fi

cat <<MSG

campaigns is up (data in $DEPLOY).
  HTTP:     http://127.0.0.1:$HTTP_PORT/api/v1  (gateway log: $DEPLOY/gateway.log)
  SQL:      psql -h $DEPLOY -p $PG_PORT -U postgres campaigns
  Demo key: $KEY  (user $DEMO_USER)
  Sink log: $DEPLOY/sink.jsonl (what the worker delivered)

Try it: create a campaign, launch it, watch it send, read its stats and forecast.
  . $DEPLOY/demo.env
MSG
cat <<'MSG'
  CID=$(curl -s -X POST $API/campaigns/ -H "$AUTH" -H 'Content-Type: application/json' -d '{
      "name": "First run", "dataset_id": "'$DATASET_ID'", "alias_ids": ["demo-sales"],
      "sending_window_start": "00:00", "sending_window_end": "24:00", "min_interval_seconds": 60,
      "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      "steps": [{"step": 1, "variants": [{"label": "A", "template_id": "'$TEMPLATE_ID'"}]}]}' | jq -r .campaign_id)
  curl -s -X POST $API/campaigns/$CID/launch -H "$AUTH" | jq '{status: .campaign.status, summary}'
  sleep 2; tail -n 5 $SINK_LOG | jq -c '{to: .body.lead.email, subject: .body.subject}'
  curl -s $API/campaigns/$CID/stats -H "$AUTH" | jq -c '{status, leads, actions: .actions | {queued, in_flight, sent}}'
  curl -s "$API/campaigns/$CID/forecast?days=2" -H "$AUTH" | jq -c '{next_send_time, days}'
The first email reaches the sink at once, the other four one a minute
(min_interval_seconds on one alias); run the last three lines again to see.
Stop everything: bash scripts/down.sh
MSG
