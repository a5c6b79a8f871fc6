#!/usr/bin/env bash
# Local Apache Kafka (KRaft, one node as broker and controller) from the official Maven Central
# artifacts, secured as in production: clients speak SASL_SSL (TLS + SCRAM-SHA-512/256), the
# controller listener takes only the broker's own certificate (mutual TLS), and the KRaft
# StandardAuthorizer refuses whatever no ACL allows. PLAINTEXT is not offered.
# Usage: kafka.sh fetch|start|stop|status|bootstrap|mtls-bootstrap|cafile|client-cert PRINCIPAL
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../env.sh
. "$here/../env.sh"

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
# the cache key includes the pom, so a changed dependency set is fetched anew
libs="$SAMFLYT_CACHE_DIR/kafka-$KAFKA_VERSION-$(sha256sum "$here/pom.xml" | cut -c1-12)/libs"
home="$SAMFLYT_STATE_DIR/kafka"
pidfile="$home/kafka.pid"
tls="$home/tls"          # ca.pem (clients trust it), ca.key and the broker's keystore
secrets="$home/secrets"  # the keystore password, mode 0600
users="$home/users"      # SCRAM passwords, one <principal>.password per principal, mode 0600
# the layout of this release's secured broker; a data directory without it was formatted by an
# older, unsecured release (no SCRAM users in its metadata) and is set aside, not reused
SECURITY_LAYOUT=1

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

new_secret() {  # new_secret FILE: a random secret in FILE (mode 0600) unless it has one
  [ -s "$1" ] && return 0
  ( umask 077; openssl rand -hex 24 > "$1" )
}

make_tls() {
  # a CA of this state directory and the broker's certificate (SAN 127.0.0.1 and localhost),
  # made once; clients verify the broker with ca.pem, the controller takes only this broker
  command -v openssl >/dev/null || die "openssl is needed to make the local broker's certificates"
  ( umask 077; mkdir -p "$tls" "$secrets" "$users" )
  chmod 700 "$tls" "$secrets" "$users"
  new_secret "$secrets/keystore.password"
  new_secret "$users/admin.password"
  [ -s "$tls/broker.p12" ] && return 0
  log "making a local CA and the broker's TLS certificate in $tls"
  ( umask 077
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 -subj "/O=samflyt local/CN=samflyt local CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/O=samflyt local/CN=samflyt-broker" \
      -keyout "$tls/broker.key" -out "$tls/broker.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' > "$tls/broker.ext"
    openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 825 -sha256 -extfile "$tls/broker.ext" -out "$tls/broker.pem" 2>/dev/null
    openssl pkcs12 -export -name broker -in "$tls/broker.pem" -inkey "$tls/broker.key" -certfile "$tls/ca.pem" \
      -passout "file:$secrets/keystore.password" -out "$tls/broker.p12"
    rm -f "$tls/broker.csr" "$tls/broker.ext" "$tls/broker.key" ) || die "making the TLS certificates failed"
  chmod 644 "$tls/ca.pem"  # public: every client needs it
}

write_config() {
  mkdir -p "$home/data" "$home/logs"
  local admin_pw keystore_pw
  admin_pw=$(cat "$users/admin.password"); keystore_pw=$(cat "$secrets/keystore.password")
  ( umask 077; cat > "$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$SAMFLYT_KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$SAMFLYT_KAFKA_PORT,MTLS://127.0.0.1:$SAMFLYT_KAFKA_MTLS_PORT,CONTROLLER://127.0.0.1:$SAMFLYT_KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$SAMFLYT_KAFKA_PORT,MTLS://127.0.0.1:$SAMFLYT_KAFKA_MTLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
# clients: TLS + SASL SCRAM, or mutual TLS (MTLS: the certificate's CN is the principal);
# the controller: mutual TLS with this broker's certificate only
listener.security.protocol.map=SASL_SSL:SASL_SSL,MTLS:SSL,CONTROLLER:SSL
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$keystore_pw
ssl.key.password=$keystore_pw
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
ssl.endpoint.identification.algorithm=https
ssl.enabled.protocols=TLSv1.3,TLSv1.2
listener.name.controller.ssl.client.auth=required
listener.name.mtls.ssl.client.auth=required
# the controller listener's principal is the certificate's CN (only the broker holds one)
ssl.principal.mapping.rules=RULE:^CN=([^,]+),O=.*\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:samflyt-broker
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
  )
  chmod 600 "$home/server.properties"
}

set_aside_unsecured_data() {
  # storage formatted by a release without security has no SCRAM users: move it aside
  if [ -f "$home/data/meta.properties" ] && [ "$(cat "$home/security.layout" 2>/dev/null)" != "$SECURITY_LAYOUT" ]; then
    local aside; aside="$home/data.unsecured-$(date +%Y%m%d%H%M%S)"
    log "the broker's data was formatted without security; moving it to $aside and formatting anew"
    mv "$home/data" "$aside"
  fi
}

start() {
  if pid=$(running_pid); then log "kafka already running (pid $pid) on 127.0.0.1:$SAMFLYT_KAFKA_PORT"; return 0; fi
  need_java
  fetch
  make_tls
  set_aside_unsecured_data
  write_config
  if [ ! -f "$home/data/meta.properties" ]; then
    [ -f "$home/cluster.id" ] || java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 > "$home/cluster.id"
    log "formatting KRaft storage in $home/data (SCRAM user admin)"
    java -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(cat "$home/cluster.id")" -c "$home/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$users/admin.password")]" \
      >"$home/logs/format.out" 2>&1 \
      || { cat "$home/logs/format.out" >&2; die "formatting Kafka storage failed"; }
    echo "$SECURITY_LAYOUT" > "$home/security.layout"
  fi
  # another process on our ports would answer the readiness check in our broker's place
  for port in "$SAMFLYT_KAFKA_PORT" "$SAMFLYT_KAFKA_CONTROLLER_PORT" "$SAMFLYT_KAFKA_MTLS_PORT"; do
    port_free "$port" || die "port $port is taken by another process (SAMFLYT_KAFKA_PORT / _CONTROLLER_PORT / _MTLS_PORT)"
  done
  log "starting kafka $KAFKA_VERSION on 127.0.0.1:$SAMFLYT_KAFKA_PORT"
  setsid nohup java -Xms256m "-Xmx$SAMFLYT_KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$home/logs" "-Dlog4j2.configurationFile=$here/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$home/server.properties" >"$home/logs/stdout.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$pidfile"
  if ! ready 90; then
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

ready() {  # ready SECONDS: the broker answers the admin over TLS + SCRAM, every partition led
  python3 "$here/wait_ready.py" 127.0.0.1 "$SAMFLYT_KAFKA_PORT" "$1" "$tls/ca.pem" "$users/admin.password"
}

client_cert() {  # client_cert PRINCIPAL: a certificate of the local CA whose CN is PRINCIPAL
  local name=$1 dir="$tls/clients"
  case "$name" in ''|*[!A-Za-z0-9._-]*) die "a principal name is letters, digits, . _ -" ;; esac
  case "$name" in admin|samflyt-broker) die "$name is a super user: no client certificate is made for it" ;; esac
  [ -s "$tls/ca.key" ] || die "no local CA yet: start the broker once first"
  ( umask 077; mkdir -p "$dir"
    [ -s "$dir/$name.pem" ] || {
      openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/O=samflyt local/CN=$name" \
        -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > "$dir/$name.ext"
      openssl x509 -req -in "$dir/$name.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
      rm -f "$dir/$name.csr" "$dir/$name.ext"; } ) || die "making the client certificate failed"
  echo "$dir/$name.pem $dir/$name.key"
}

status() {
  if pid=$(running_pid) && ready 2; then
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
  cafile) echo "$tls/ca.pem" ;;
  mtls-bootstrap) echo "127.0.0.1:$SAMFLYT_KAFKA_MTLS_PORT" ;;
  client-cert) client_cert "${2:-}" ;;
  *) echo "usage: $0 fetch|start|stop|status|bootstrap|mtls-bootstrap|cafile|client-cert PRINCIPAL" >&2; exit 2 ;;
esac
