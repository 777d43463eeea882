#!/usr/bin/env bash
# Throwaway PostgreSQL 15 server for the test suite (Debian's postgresql package).
#
#   eval "$(scripts/pg-test-server.sh start)"   # exports HYBRIDREC_TEST_PG_URL
#   scripts/pg-test-server.sh stop
#
# The cluster lives in a temp dir named in a state file, listens on 127.0.0.1 on a
# free port and puts its unix socket in that dir, so it never clashes with a system
# server. start is idempotent: a second start prints the URL of the running server.
# When invoked as root the server runs as user `postgres` (initdb refuses root).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
STATE="${HYBRIDREC_PG_STATE:-${TMPDIR:-/tmp}/hybridrec-pg-test.state}"
DB_NAME="hybridrec_test"

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url_for() {  # $1 = port
  local user; user="$( [ "$(id -u)" = "0" ] && echo postgres || id -un)"
  echo "postgresql://${user}@127.0.0.1:$1/${DB_NAME}"
}

running() {  # true when the state file names a live server
  [ -f "$STATE" ] || return 1
  local dir port; read -r dir port <"$STATE"
  [ -d "$dir/data" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  if running; then
    local dir port; read -r dir port <"$STATE"
    echo "export HYBRIDREC_TEST_PG_URL='$(url_for "$port")'"
    return
  fi
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql-15)" >&2; exit 1; }
  local dir port
  dir="$(mktemp -d "${TMPDIR:-/tmp}/hybridrec-pg.XXXXXX")"
  port="$(free_port)"
  if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; fi
  # trust auth on a private loopback/socket cluster: the tests need no password.
  as_owner "$PG_BIN/initdb" -D "$dir/data" -A trust -U "$( [ "$(id -u)" = "0" ] && echo postgres || id -un)" \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: the data is disposable and this makes the suite faster.
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$( [ "$(id -u)" = "0" ] && echo postgres || id -un)" "$DB_NAME"
  echo "$dir $port" >"$STATE"
  echo "export HYBRIDREC_TEST_PG_URL='$(url_for "$port")'"
}

stop() {
  [ -f "$STATE" ] || return 0
  local dir port; read -r dir port <"$STATE"
  if [ -d "$dir/data" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) running && { read -r _ port <"$STATE"; url_for "$port"; } ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
