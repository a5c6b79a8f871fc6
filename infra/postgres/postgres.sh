#!/usr/bin/env bash
# Local PostgreSQL cluster for samflyt from Debian's postgresql package: its own data directory
# under the state directory, its own loopback port, a `samflyt` role and database.
# Usage: postgres.sh start|stop|status|url
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../env.sh
. "$here/../env.sh"

pgdata="$SAMFLYT_STATE_DIR/postgres/data"
pglog="$SAMFLYT_STATE_DIR/postgres/postgres.log"

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(readlink -f "$(command -v initdb)")"; return 0; }
  return 1
}

ensure_installed() {
  bindir=$(find_bindir) && return 0
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is unavailable"
  log "installing PostgreSQL from Debian's packages"
  local sudo=""; [ "$(id -u)" = "0" ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
  bindir=$(find_bindir) || die "PostgreSQL binaries not found after installing"
}

# PostgreSQL refuses to run as root: as root, run its tools as the postgres system user.
as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

init_cluster() {
  [ -f "$pgdata/PG_VERSION" ] && return 0
  log "creating PostgreSQL cluster in $pgdata"
  mkdir -p "$pgdata"
  [ "$(id -u)" = "0" ] && chown -R postgres:postgres "$SAMFLYT_STATE_DIR/postgres"
  chmod 700 "$pgdata"
  local pwfile; pwfile=$(mktemp)  # mode 600: readable by its owner only
  echo "$SAMFLYT_PG_PASSWORD" > "$pwfile"
  [ "$(id -u)" = "0" ] && chown postgres "$pwfile"  # initdb runs as postgres; no one else reads it
  as_owner "$bindir/initdb" -D "$pgdata" -U samflyt --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$SAMFLYT_STATE_DIR/postgres/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; cat "$SAMFLYT_STATE_DIR/postgres/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  cat >> "$pgdata/postgresql.conf" <<CONF
# samflyt local cluster: loopback only, sockets inside the data directory
listen_addresses = '127.0.0.1'
port = $SAMFLYT_PG_PORT
unix_socket_directories = '$pgdata'
max_connections = 200
shared_buffers = 256MB
fsync = on
CONF
}

is_running() { [ -f "$pgdata/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

start() {
  ensure_installed
  init_cluster
  if is_running; then log "postgres already running on 127.0.0.1:$SAMFLYT_PG_PORT"; else
    log "starting postgres on 127.0.0.1:$SAMFLYT_PG_PORT"
    touch "$pglog"; [ "$(id -u)" = "0" ] && chown postgres:postgres "$pglog"
    as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$pglog" -w -t 60 start >/dev/null 9>&- \
      || { tail -n 30 "$pglog" >&2; die "postgres did not start (log: $pglog)"; }
  fi
  if ! PGPASSWORD=$SAMFLYT_PG_PASSWORD psql -h 127.0.0.1 -p "$SAMFLYT_PG_PORT" -U samflyt -d postgres -tAc \
      "select 1 from pg_database where datname='samflyt'" | grep -q 1; then
    log "creating database samflyt"
    PGPASSWORD=$SAMFLYT_PG_PASSWORD psql -h 127.0.0.1 -p "$SAMFLYT_PG_PORT" -U samflyt -d postgres -qc \
      "create database samflyt owner samflyt" >/dev/null
  fi
  log "postgres ready"
}

stop() {
  bindir=$(find_bindir) || { log "postgres not installed"; return 0; }
  if is_running; then
    log "stopping postgres"
    as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null \
      || as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null
  else
    log "postgres not running"
  fi
}

status() {
  bindir=$(find_bindir) || { echo "postgres: not installed"; return 1; }
  if is_running; then echo "postgres: running at 127.0.0.1:$SAMFLYT_PG_PORT (data $pgdata)"; else
    echo "postgres: stopped"; return 1; fi
}

# one start/stop at a time per state directory (two `make up` or test sessions may race: initdb
# into a directory another is filling, or a second postmaster); pg_ctl does not inherit fd 9
locked() {
  mkdir -p "$SAMFLYT_STATE_DIR/postgres"
  exec 9>"$SAMFLYT_STATE_DIR/postgres/.lock"
  flock -w 180 9 || die "another start/stop of this database is still running"
  "$@"
}

case "${1:-}" in
  start) locked start ;;
  stop) locked stop ;;
  status) status ;;
  url) echo "postgresql://samflyt:$SAMFLYT_PG_PASSWORD@127.0.0.1:$SAMFLYT_PG_PORT/samflyt" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
