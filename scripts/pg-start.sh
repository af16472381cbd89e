#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster for the test suite and prints its DSN.
# The cluster lives in $PGTEST_DIR (default /tmp/checkpoint-pg) and listens on 127.0.0.1:$PGTEST_PORT
# (default 55432) only. Idempotent: a running cluster is reused. `scripts/pg-start.sh stop` stops it.
set -euo pipefail
dir=${PGTEST_DIR:-/tmp/checkpoint-pg}
port=${PGTEST_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg-start: PostgreSQL server not installed (make deps installs it)" >&2; exit 1; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
	[ -d "$dir" ] && as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
	exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as_pg "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync -E UTF8 >/dev/null
	cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
fi
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
	as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
fi
as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='checkpoint_test'" | grep -q 1 ||
	as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres checkpoint_test
echo "postgres://postgres@127.0.0.1:$port/checkpoint_test?sslmode=disable"
