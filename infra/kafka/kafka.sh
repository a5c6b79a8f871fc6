#!/usr/bin/env bash
# Local Apache Kafka (KRaft, one node as broker and controller) from the official Maven Central
# artifacts. Usage: kafka.sh fetch|start|stop|status|bootstrap
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../env.sh
. "$here/../env.sh"

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
# the cache key includes the pom, so a changed dependency set is fetched anew
libs="$SAMFLYT_CACHE_DIR/kafka-$KAFKA_VERSION-$(sha256sum "$here/pom.xml" | cut -c1-12)/libs"
home="$SAMFLYT_STATE_DIR/kafka"
pidfile="$home/kafka.pid"

need_java() {
  # checked on every start, not only on the first fetch: the libraries may be cached already
  command -v java >/dev/null || die "Java 17 or later is needed to run Kafka (no java on PATH)"
  local version major
  version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  major=${version%%.*}; [ "$major" = "1" ] && major=$(echo "$version" | cut -d. -f2)
  case "$major" in
    ''|*[!0-9]*) log "could not read the Java version ($version); trying it anyway" ;;
    *) [ "$major" -ge 17 ] || die "Java 17 or later is needed to run Kafka (found $version)" ;;
  esac
}

fetch() {
  [ -f "$libs/.complete" ] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Kafka $KAFKA_VERSION"
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $libs"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -B -q -Dstyle.color=never -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$libs.mvn.log" 2>&1 \
    || { tail -n 40 "$libs.mvn.log" >&2; die "fetching Kafka with Maven failed (log: $libs.mvn.log)"; }
  touch "$libs/.complete"
}

running_pid() {
  # the process is found by its state directory, so a lost or overwritten pid file cannot hide
  # it; the path is compared as a fixed string, argument by argument (as a pgrep pattern, a
  # state directory with "+", "(" or "[" never matched, and a running broker looked stopped)
  local pid
  for pid in $(pgrep -f -- 'kafka[.]Kafka' || true); do
    if tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -Fxq -- "-Dkafka.logs.dir=$home/logs"; then
      echo "$pid" > "$pidfile"; echo "$pid"; return 0
    fi
  done
  return 1
}

port_free() {  # nothing listens on 127.0.0.1:$1
  python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null
}

write_config() {
  mkdir -p "$home/data" "$home/logs"
  cat > "$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$SAMFLYT_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$SAMFLYT_KAFKA_PORT,CONTROLLER://127.0.0.1:$SAMFLYT_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$SAMFLYT_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$home/data
# samflyt creates every topic explicitly from its catalogue
auto.create.topics.enable=false
# records up to a 10 MiB message plus 1 MiB of what travels with it (connectors.sdk
# MAX_RECORD_BYTES; samflyt's topics also set max.message.bytes themselves)
message.max.bytes=11534336
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
}

start() {
  if pid=$(running_pid); then log "kafka already running (pid $pid) on 127.0.0.1:$SAMFLYT_KAFKA_PORT"; return 0; fi
  need_java
  fetch
  write_config
  if [ ! -f "$home/data/meta.properties" ]; then
    [ -f "$home/cluster.id" ] || java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 > "$home/cluster.id"
    log "formatting KRaft storage in $home/data"
    java -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(cat "$home/cluster.id")" -c "$home/server.properties" >"$home/logs/format.out" 2>&1 \
      || { cat "$home/logs/format.out" >&2; die "formatting Kafka storage failed"; }
  fi
  # another process on our ports would answer the readiness check in our broker's place
  for port in "$SAMFLYT_KAFKA_PORT" "$SAMFLYT_KAFKA_CONTROLLER_PORT"; do
    port_free "$port" || die "port $port is taken by another process (SAMFLYT_KAFKA_PORT / SAMFLYT_KAFKA_CONTROLLER_PORT)"
  done
  log "starting kafka $KAFKA_VERSION on 127.0.0.1:$SAMFLYT_KAFKA_PORT"
  setsid nohup java -Xms256m "-Xmx$SAMFLYT_KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$home/logs" "-Dlog4j2.configurationFile=$here/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$home/server.properties" >"$home/logs/stdout.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$pidfile"
  if ! python3 "$here/wait_ready.py" 127.0.0.1 "$SAMFLYT_KAFKA_PORT" 90; then
    tail -n 30 "$home/logs/stdout.log" "$home/logs/server.log" >&2 2>/dev/null || true
    stop || true
    die "kafka did not answer metadata requests within 90 s (logs in $home/logs)"
  fi
  kill -0 "$(cat "$pidfile")" 2>/dev/null || die "kafka exited during start (logs in $home/logs)"
  log "kafka ready (pid $(cat "$pidfile"))"
}

stop() {
  local pid
  if ! pid=$(running_pid); then rm -f "$pidfile"; log "kafka not running"; return 0; fi
  log "stopping kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for_exit "$pid" 60; then
    log "kafka did not stop within 60 s; killing"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 10 || die "could not kill kafka (pid $pid)"
  fi
  rm -f "$pidfile"
}

status() {
  if pid=$(running_pid) && python3 "$here/wait_ready.py" 127.0.0.1 "$SAMFLYT_KAFKA_PORT" 2; then
    echo "kafka: running (pid $pid) at 127.0.0.1:$SAMFLYT_KAFKA_PORT, version $KAFKA_VERSION"
  else
    echo "kafka: stopped"; return 1
  fi
}

# one start/stop at a time per state directory (test sessions may race); the broker itself
# must not inherit the lock (it is started with fd 9 closed)
locked() {
  mkdir -p "$home"
  exec 9>"$home/.lock"
  flock -w 180 9 || die "another start/stop of this broker is still running"
  "$@"
}

case "${1:-}" in
  fetch) fetch ;;
  start) locked start ;;
  stop) locked stop ;;
  status) status ;;
  bootstrap) echo "127.0.0.1:$SAMFLYT_KAFKA_PORT" ;;
  *) echo "usage: $0 fetch|start|stop|status|bootstrap" >&2; exit 2 ;;
esac
