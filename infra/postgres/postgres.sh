#!/usr/bin/env bash
# Local PostgreSQL cluster for samflyt from Debian's postgresql package: its own data directory
# under the state directory, its own loopback port, served with the security production has:
#   - TLS only over TCP (a local CA and a server certificate for 127.0.0.1/localhost, made at
#     first start); clients verify it (sslmode=verify-full with the CA as sslrootcert)
#   - three roles with generated passwords, each in its own pgpass file (mode 0600):
#     samflyt (the cluster's superuser: this script only), samflyt_owner (owns the database and
#     its schema; `samflyt migrate` uses it; may create databases so test sessions and
#     benchmarks get fresh ones) and samflyt_app (what workers, connectors and tools run as:
#     the DML `samflyt migrate` grants it, nothing else)
# Usage: postgres.sh start|stop|status|url|owner-url|superuser-url
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../env.sh
. "$here/../env.sh"

home="$SAMFLYT_STATE_DIR/postgres"
pgdata="$home/data"
pglog="$home/postgres.log"
secrets="$home/secrets"  # the pgpass files
tls="$home/tls"          # ca.crt (clients need it), ca.key, server.crt, server.key
database=samflyt
superuser=samflyt
owner=samflyt_owner
runtime=samflyt_app

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
give_to_server() {  # files the server process itself reads
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$@"; return 0
}

pgpass_file() { echo "$secrets/$1.pgpass"; }

# write_pgpass ROLE PASSWORD: the role's password as libpq and asyncpg read it (mode 0600)
write_pgpass() {
  local file; file=$(pgpass_file "$1")
  (umask 077; printf '*:%s:*:%s:%s\n' "$SAMFLYT_PG_PORT" "$1" "$2" > "$file.tmp")
  mv "$file.tmp" "$file"
}
password_of() { cut -d: -f5- "$(pgpass_file "$1")"; }
new_password() { openssl rand -hex 24; }

make_tls() {
  [ -f "$tls/server.crt" ] && [ -f "$tls/server.key" ] && [ -f "$tls/ca.crt" ] && return 0
  log "creating a local CA and the server certificate in $tls"
  mkdir -p "$tls"; chmod 755 "$tls"
  (
    umask 077
    openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days 3650 \
      -subj "/CN=samflyt local PostgreSQL CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey rsa:3072 -nodes -sha256 -subj "/CN=localhost" \
      -keyout "$tls/server.key" -out "$tls/server.csr"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      > "$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
      -CAcreateserial -days 825 -sha256 -extfile "$tls/server.ext" -out "$tls/server.crt"
  ) >"$home/tls.log" 2>&1 || { cat "$home/tls.log" >&2; die "creating the TLS files failed"; }
  rm -f "$tls/server.csr" "$tls/server.ext" "$tls/ca.srl"
  chmod 644 "$tls/ca.crt" "$tls/server.crt"
  chmod 600 "$tls/ca.key" "$tls/server.key"
  give_to_server "$tls/server.key" "$tls/server.crt"
}

init_cluster() {
  [ -f "$pgdata/PG_VERSION" ] && return 0
  log "creating PostgreSQL cluster in $pgdata"
  mkdir -p "$pgdata"
  give_to_server "$pgdata"
  chmod 700 "$pgdata"
  write_pgpass "$superuser" "$(new_password)"
  local pwfile; pwfile=$(mktemp)  # mode 600: readable by its owner only
  password_of "$superuser" > "$pwfile"
  give_to_server "$pwfile"  # initdb runs as postgres; no one else reads it
  as_owner "$bindir/initdb" -D "$pgdata" -U "$superuser" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$home/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; cat "$home/initdb.log" >&2; die "initdb failed"; }
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

# TLS on, and TCP without TLS refused; also brings a cluster made before TLS up to date
configure_tls() {
  grep -q '^# samflyt TLS' "$pgdata/postgresql.conf" || as_owner tee -a "$pgdata/postgresql.conf" >/dev/null <<CONF
# samflyt TLS: clients verify the server with the CA (sslmode=verify-full)
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
CONF
  as_owner tee "$pgdata/pg_hba.conf" >/dev/null <<HBA
# samflyt local cluster: the socket (in the data directory) for this script, TLS for TCP;
# every connection with a password (SCRAM). Anything else is refused.
local   all  all                 scram-sha-256
hostssl all  all  127.0.0.1/32   scram-sha-256
HBA
}

is_running() { [ -f "$pgdata/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

# psql as the superuser over the socket (no password on the command line)
superuser_psql() {
  PGPASSFILE=$(pgpass_file "$superuser") PGSSLMODE=disable psql -X -q -v ON_ERROR_STOP=1 \
    -h "$pgdata" -p "$SAMFLYT_PG_PORT" -U "$superuser" "$@"
}

# a cluster made before generated passwords: its superuser still has the fixed one
adopt_superuser() {
  [ -f "$(pgpass_file "$superuser")" ] && return 0
  log "cluster made before generated passwords: using its superuser password; make clean recreates it"
  printf '*:%s:*:%s:%s\n' "$SAMFLYT_PG_PORT" "$superuser" "${SAMFLYT_PG_PASSWORD:-samflyt}" \
    > "$(pgpass_file "$superuser").tmp"
  chmod 600 "$(pgpass_file "$superuser").tmp"; mv "$(pgpass_file "$superuser").tmp" "$(pgpass_file "$superuser")"
}

# ensure_role ROLE ATTRIBUTES: the login role exists with a generated password in its pgpass file
ensure_role() {
  local role=$1 attributes=$2 password
  [ -f "$(pgpass_file "$role")" ] || write_pgpass "$role" "$(new_password)"
  password=$(password_of "$role")
  # the password on stdin, not the command line (where ps shows it); it is hex
  superuser_psql -d postgres -v role="$role" >/dev/null <<SQL
\\set pw $password
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOREPLICATION NOBYPASSRLS $attributes PASSWORD :'pw';
SQL
}

# the database, owned by the owner role: it owns the schema, the tables and their privileges
ensure_database() {
  superuser_psql -d postgres -v db="$database" -v owner="$owner" >/dev/null <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
SQL
  # a database made before the owner role: hand the owner what the superuser created in it
  superuser_psql -d "$database" -v owner="$owner" -v superuser="$superuser" >/dev/null <<'SQL'
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'owner')
  FROM pg_tables WHERE schemaname = 'public' AND tableowner = :'superuser' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = :'superuser' \gexec
SQL
}

start() {
  ensure_installed
  mkdir -p "$home" "$secrets"; chmod 700 "$secrets"
  make_tls
  init_cluster
  adopt_superuser
  configure_tls
  if is_running; then
    log "postgres already running on 127.0.0.1:$SAMFLYT_PG_PORT"
    as_owner "$bindir/pg_ctl" -D "$pgdata" reload >/dev/null  # the TLS and hba settings
  else
    log "starting postgres on 127.0.0.1:$SAMFLYT_PG_PORT"
    touch "$pglog"; give_to_server "$pglog"
    as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$pglog" -w -t 60 start >/dev/null 9>&- \
      || { tail -n 30 "$pglog" >&2; die "postgres did not start (log: $pglog)"; }
  fi
  ensure_role "$owner" "CREATEDB NOCREATEROLE"
  ensure_role "$runtime" "NOCREATEDB NOCREATEROLE"
  ensure_database
  log "postgres ready (TLS; roles $owner and $runtime)"
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

# url ROLE: how samflyt reaches the local database as ROLE: verified TLS, password from the pgpass
# file (the URL itself holds no secret). streams/local_postgres.py derives the same URLs.
url() {
  python3 - "$1" "$SAMFLYT_PG_PORT" "$database" "$tls/ca.crt" "$(pgpass_file "$1")" <<'PY'
import sys
from urllib.parse import quote
role, port, db, ca, passfile = sys.argv[1:]
print(f"postgresql://{role}@127.0.0.1:{port}/{db}?sslmode=verify-full"
      f"&sslrootcert={quote(ca, safe='/')}&passfile={quote(passfile, safe='/')}")
PY
}

# one start/stop at a time per state directory (two `make up` or test sessions may race: initdb
# into a directory another is filling, or a second postmaster); pg_ctl does not inherit fd 9
locked() {
  mkdir -p "$home"
  exec 9>"$home/.lock"
  flock -w 180 9 || die "another start/stop of this database is still running"
  "$@"
}

case "${1:-}" in
  start) locked start ;;
  stop) locked stop ;;
  status) status ;;
  url) url "$runtime" ;;
  owner-url) url "$owner" ;;
  superuser-url) url "$superuser" ;;
  *) echo "usage: $0 start|stop|status|url|owner-url|superuser-url" >&2; exit 2 ;;
esac
