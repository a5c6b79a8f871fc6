#!/usr/bin/env bash
# Start, stop or report the local services samflyt needs. When SAMFLYT_KAFKA_BOOTSTRAP or
# SAMFLYT_DATABASE_URL point at services you already run, the local one is left alone.
# Usage: services.sh up|down|status|env
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=env.sh
. "$here/env.sh"

case "${1:-}" in
  up)
    if [ -n "${SAMFLYT_KAFKA_BOOTSTRAP:-}" ]; then
      log "using Kafka at $SAMFLYT_KAFKA_BOOTSTRAP"
    else
      "$here/kafka/kafka.sh" start
      # one principal per component, each with its own SCRAM user and least-privilege ACLs
      SAMFLYT_ENVIRONMENT=${SAMFLYT_ENVIRONMENT:-development} "${SAMFLYT_PYTHON:-$here/../.venv/bin/python}" \
        -m streams.cli kafka acls apply --create-users >&2 || die "applying the Kafka ACL plan failed"
    fi
    [ -n "${SAMFLYT_DATABASE_URL:-}" ] && log "using PostgreSQL from SAMFLYT_DATABASE_URL" || "$here/postgres/postgres.sh" start
    ;;
  down)
    "$here/kafka/kafka.sh" stop
    "$here/postgres/postgres.sh" stop
    ;;
  status)
    rc=0
    "$here/kafka/kafka.sh" status || rc=1
    "$here/postgres/postgres.sh" status || rc=1
    exit $rc
    ;;
  env)
    # print the settings that point samflyt at the local services
    echo "SAMFLYT_KAFKA_BOOTSTRAP=${SAMFLYT_KAFKA_BOOTSTRAP:-$("$here/kafka/kafka.sh" bootstrap)}"
    echo "SAMFLYT_DATABASE_URL=${SAMFLYT_DATABASE_URL:-$("$here/postgres/postgres.sh" url)}"
    ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
