# Shared settings for the local services; sourced by the infra scripts.
# Every value can be overridden from the environment. State and caches live outside the repo.
if [ "$(id -u)" = "0" ]; then
  # PostgreSQL refuses to run as root; its cluster is owned by the postgres user, which cannot
  # enter /root, so root's state lives in a system directory instead of $HOME.
  : "${SAMFLYT_STATE_DIR:=/var/lib/samflyt}"
else
  : "${SAMFLYT_STATE_DIR:=${XDG_STATE_HOME:-$HOME/.local/state}/samflyt}"
fi
: "${SAMFLYT_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/samflyt}"
: "${SAMFLYT_KAFKA_PORT:=19092}"
: "${SAMFLYT_KAFKA_CONTROLLER_PORT:=19093}"
: "${SAMFLYT_KAFKA_MTLS_PORT:=19094}"  # clients with a certificate of the local CA, no SASL
: "${SAMFLYT_KAFKA_HEAP:=1G}"
: "${SAMFLYT_PG_PORT:=15432}"
export SAMFLYT_STATE_DIR SAMFLYT_CACHE_DIR SAMFLYT_KAFKA_PORT SAMFLYT_KAFKA_CONTROLLER_PORT SAMFLYT_KAFKA_MTLS_PORT \
  SAMFLYT_KAFKA_HEAP SAMFLYT_PG_PORT

log() { printf '%s %s\n' "[samflyt-infra]" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wait_for_exit PID SECONDS: true once PID is gone.
wait_for_exit() {
  local pid=$1 left=$(( $2 * 10 ))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$left" -le 0 ] && return 1
    sleep 0.1; left=$((left - 1))
  done
  return 0
}
