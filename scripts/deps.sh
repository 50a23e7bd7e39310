#!/usr/bin/env bash
# scripts/deps.sh: installs the Debian 12 packages campaigns needs to build,
# test, benchmark and run, when any is missing.  Idempotent; needs root.
set -euo pipefail
# node-llhttp: the C sources of Node.js's HTTP parser, which the gateway
# compiles in; chromium: the headless browser of the /api/v1/docs test.
PKGS=(build-essential postgresql-15 postgresql-server-dev-15 postgresql-15-cron
      postgresql-contrib libcurl4-openssl-dev libssl-dev node-llhttp libpq-dev
      python3-psycopg python3-pytest curl jq nginx-light wrk chromium)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing ${missing[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Node tools of the tests and of the gateway's /api/v1/docs (package.json,
# versions pinned by package-lock.json), into ./node_modules.
if [ -f package.json ]; then
	if ! command -v npm >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends nodejs npm
	fi
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "deps: npm ci"
		npm ci --no-audit --no-fund --loglevel=error
	fi
fi
