#!/usr/bin/env bash
# scripts/test.sh: the whole test suite.  Installs missing dependencies,
# builds and installs the extension (and the gateway), then runs, as the
# postgres user, the pg_regress and isolation suites (make installcheck,
# each with its own temporary instance) and the integration tests under
# test/integration (worker, dispatch, gateway, upgrade), which start and
# stop their own servers on 127.0.0.1.
#
# CAMPAIGNS_PGROOT=<dir> installs into a private copy of PostgreSQL in
# <dir> instead of the system's (made on first use), so that two checkouts
# can run their suites at the same time; give each one its own
# CAMPAIGNS_IT_PORT_OFFSET (added to the integration tests' ports) too.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/deps.sh
PGBIN=/usr/lib/postgresql/15/bin
destdir=()
if [ -n "${CAMPAIGNS_PGROOT:-}" ]; then
	mkdir -p "$CAMPAIGNS_PGROOT"
	CAMPAIGNS_PGROOT=$(cd "$CAMPAIGNS_PGROOT" && pwd)
	if [ ! -x "$CAMPAIGNS_PGROOT$PGBIN/postgres" ]; then
		mkdir -p "$CAMPAIGNS_PGROOT/usr/lib/postgresql" "$CAMPAIGNS_PGROOT/usr/share/postgresql"
		cp -a /usr/lib/postgresql/15 "$CAMPAIGNS_PGROOT/usr/lib/postgresql/"
		cp -a /usr/share/postgresql/15 "$CAMPAIGNS_PGROOT/usr/share/postgresql/"
	fi
	destdir=("DESTDIR=$CAMPAIGNS_PGROOT")
	PGBIN=$CAMPAIGNS_PGROOT$PGBIN
fi
# Build and install with the system's pg_config (a private copy's would
# name include and library directories under the copy, which DESTDIR then
# prefixes a second time); the suites run with the copy's binaries.
make -s
make -s install "${destdir[@]}"
if [ -f gateway/Makefile ]; then make -s -C gateway; fi
export PATH=$PGBIN:$PATH
# PostgreSQL refuses to run as root: the suites run as postgres, which must
# be able to write the tree's test output directories.  When it cannot even
# reach the tree (a checkout under /root, say), the suites run in a copy.
if runuser -u postgres -- test -x "$root"; then
	# (not the local deployment of up.sh: PostgreSQL wants its data private)
	find "$root" -path "$root/.deploy" -prune -o -exec chmod a+rwX {} +
else
	copy=$(mktemp -d /tmp/campaigns-test.XXXXXX)
	cp -a "$root/." "$copy/"
	chown -R postgres "$copy"
	chmod 755 "$copy"
	echo "test.sh: $root is not reachable by postgres; running the suites in $copy"
	cd "$copy"
fi
status=0
runuser -u postgres -- make -s installcheck bindir="$PGBIN" || status=1
if [ $status -ne 0 ]; then
	for f in regression.diffs test/isolation/output/regression.diffs; do
		[ -f "$f" ] && head -c 20000 "$f"
	done
fi
if compgen -G "test/integration/test_*.py" > /dev/null; then
	runuser -u postgres -- env PATH="$PATH" PGBIN="$PGBIN" \
		CAMPAIGNS_IT_PORT_OFFSET="${CAMPAIGNS_IT_PORT_OFFSET:-0}" \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider ${CAMPAIGNS_PYTEST_ARGS:-} test/integration || status=1
fi
exit $status
