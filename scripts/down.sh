#!/usr/bin/env bash
# scripts/down.sh: stops what scripts/up.sh started (data stays in .deploy;
# remove that directory to start from scratch).
set -uo pipefail
cd "$(dirname "$0")/.."
DEPLOY=$(pwd)/.deploy
# up.sh deploys to /var/tmp when postgres cannot reach this checkout.
[ -d "$DEPLOY" ] || DEPLOY=/var/tmp/campaigns-deploy
for p in gateway sink; do
	[ -f "$DEPLOY/$p.pid" ] && kill "$(cat "$DEPLOY/$p.pid")" 2>/dev/null && rm -f "$DEPLOY/$p.pid"
done
if [ -f "$DEPLOY/data/PG_VERSION" ]; then
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$DEPLOY/data" -m fast stop 2>/dev/null || true
fi
echo "stopped"
