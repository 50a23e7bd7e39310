# bench/lib.sh: start and stop a throwaway PostgreSQL instance for a
# benchmark.  Source it, call bench_start PORT, use $PSQL / $PGBENCH, and
# bench_stop runs on exit.  Runs the server as postgres (it refuses root).
PGBIN=/usr/lib/postgresql/15/bin
bench_start() {
	BENCH_PORT=$1
	BENCH_DIR=$(mktemp -d /tmp/campaigns-bench.XXXXXX)
	chown postgres "$BENCH_DIR"
	runuser -u postgres -- "$PGBIN/initdb" -D "$BENCH_DIR/data" -A trust -E UTF8 >/dev/null
	cat >> "$BENCH_DIR/data/postgresql.conf" <<CONF
port = $BENCH_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BENCH_DIR'
shared_preload_libraries = 'campaigns'
campaigns.database_name = 'bench'
campaigns.worker_enabled = ${BENCH_WORKER:-off}
campaigns.outbound_allow = '127.0.0.1/32'
shared_buffers = 512MB
synchronous_commit = ${BENCH_SYNC_COMMIT:-on}
max_connections = 200
CONF
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/log" -w start >/dev/null
	trap bench_stop EXIT
	PSQL="runuser -u postgres -- $PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $BENCH_DIR -p $BENCH_PORT"
	PGBENCH="runuser -u postgres -- $PGBIN/pgbench -h $BENCH_DIR -p $BENCH_PORT"
	$PSQL -d postgres -c "CREATE DATABASE bench"
	$PSQL -d bench -c "CREATE EXTENSION campaigns"
}
bench_stop() {
	if [ -n "${BENCH_DIR:-}" ] && [ -d "$BENCH_DIR/data" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$BENCH_DIR"
	fi
}
