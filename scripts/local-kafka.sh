#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft) for local runs and tests, without Docker.
#
#   scripts/local-kafka.sh start [--secure]|stop|status|topics
#
# The broker runs from Maven Central jars (jvm/kafka-broker/pom.xml) on
# localhost:${KAFKA_PORT:-9092}, keeps its data and log under ${KAFKA_HOME_DIR:-.local/kafka},
# and has the replication factor of its internal topics set to 1 so that
# transactions (the monitor's exactly-once alerts) work on one node.
# `start` is idempotent: a broker already answering on the port is left alone.
# With KAFKA_USE_DOCKER=1 (and Docker present) the compose file's Kafka is used instead.
#
# `start --secure` (or KAFKA_SECURE=1) adds a SASL_SSL listener, as qa and prod have,
# on localhost:${KAFKA_SECURE_PORT:-9095} beside the plain one: SCRAM-SHA-512 over TLS,
# with a CA and a broker certificate (names localhost and 127.0.0.1) made once under
# $KAFKA_HOME_DIR/tls and the user ${KAFKA_SECURE_USER:-monitor} with a random password.
# The files are laid out as the charts mount their secrets (docs/deployment.md):
#   tls/ca.crt, tls/truststore.p12, tls/truststore-password     (kafka-client-tls)
#   sasl/sasl.jaas.config (the Flink connector's class names), sasl/password
# Brokers keep talking to each other on the plain listener, so transactions work as before.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
# 9093 is the controller's, 9094 the compose file's Kafka on the host.
secure_port="${KAFKA_SECURE_PORT:-$((port + 3))}"
secure="${KAFKA_SECURE:-0}"
secure_user="${KAFKA_SECURE_USER:-monitor}"
home="${KAFKA_HOME_DIR:-$root/.local/kafka}"
tls="$home/tls"
sasl="$home/sasl"
jars="${IOT_JAR_CACHE:-$HOME/.cache/iot-monitor/jars}/kafka"
python="${PYTHON:-$root/.venv/bin/python}"
pidfile="$home/broker.pid"
logfile="$home/broker.log"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
listening() { answers "$port"; }

running_pid() {
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}

write_config() {
  mkdir -p "$home/data"
  local listeners="PLAINTEXT://localhost:$port" protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ "$secure" == 1 ]]; then
    listeners+=",SASL_SSL://localhost:$secure_port"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  (umask 077; cat > "$home/server.properties") <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$controller_port
listeners=$listeners,CONTROLLER://localhost:$controller_port
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$home/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  if [[ "$secure" == 1 ]]; then
    cat >> "$home/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$tls/broker.p12
listener.name.sasl_ssl.ssl.keystore.password=$(cat "$tls/keystore-password")
PROPS
  fi
  cat > "$home/log4j2.properties" <<PROPS
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$logfile
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
PROPS
}

java_run() {
  java -Xms256m -Xmx1g -Dlog4j2.configurationFile="$home/log4j2.properties" \
    -cp "$jars/*" "$@"
}

# A CA, a broker certificate it signed for localhost and 127.0.0.1, the broker's
# keystore and the clients' truststore (PKCS#12 and JKS); made once, kept across starts.
make_tls() {
  [[ -f "$tls/broker.p12" ]] && return 0
  echo "making a CA and a broker certificate for localhost in $tls"
  mkdir -p "$tls"
  (
    umask 077
    cd "$tls"
    # No newline at the end: Kafka's DirectoryConfigProvider takes a file as it is.
    printf '%s' "$(openssl rand -hex 16)" > keystore-password
    printf '%s' "$(openssl rand -hex 16)" > truststore-password
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=iot-monitor local Kafka CA" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > broker.ext
    openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile broker.ext -out broker.crt 2>/dev/null
    openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker \
      -passout "file:keystore-password" -out broker.p12.new
    for type in PKCS12 JKS; do
      local file=truststore.p12
      [[ "$type" == JKS ]] && file=truststore.jks
      # keytool says "Certificate was added" on stderr: shown only when it fails
      if ! said=$(keytool -importcert -noprompt -alias ca -file ca.crt -storetype "$type" \
        -keystore "$file" -storepass "$(cat truststore-password)" 2>&1); then
        echo "$said" >&2
        exit 1
      fi
    done
    rm -f broker.csr broker.ext ca.srl
    mv broker.p12.new broker.p12
  )
}

# The client side of the SCRAM user, as the monitor's secret holds it.
make_sasl_files() {
  mkdir -p "$sasl"
  (
    umask 077
    [[ -f "$sasl/password" ]] || printf '%s' "$(openssl rand -hex 16)" > "$sasl/password"
    printf '%s' "$secure_user" > "$sasl/username"
    printf '%s required username="%s" password="%s";\n' \
      org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule \
      "$secure_user" "$(cat "$sasl/password")" > "$sasl/sasl.jaas.config"
  )
}

# SCRAM credentials live in the cluster's metadata: set (again) through the plain listener,
# which also covers a data folder formatted before --secure was first used.
add_scram_user() {
  java_run kafka.admin.ConfigCommand --bootstrap-server "localhost:$port" --alter \
    --entity-type users --entity-name "$secure_user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(cat "$sasl/password")]" >/dev/null
}

secure_summary() {
  echo "SASL_SSL (SCRAM-SHA-512) on localhost:$secure_port: user $secure_user, password in" \
    "$sasl/password, CA in $tls/ca.crt, truststore $tls/truststore.p12"
}

start_docker() {
  # The topic-creating init service exits when done, which `up --wait` may take
  # for a failure: wait for the broker, then run the init to completion.
  docker compose -f "$root/docker-compose.yaml" up -d --wait kafka
  docker compose -f "$root/docker-compose.yaml" run --rm kafka-init
}

start() {
  if [[ "${KAFKA_USE_DOCKER:-0}" == 1 ]]; then
    if [[ "$secure" == 1 ]]; then
      echo "--secure needs the local broker: the compose file's Kafka runs PLAINTEXT" >&2
      return 2
    fi
    start_docker
    return
  fi
  if listening; then
    echo "Kafka is already answering on localhost:$port"
    if [[ "$secure" == 1 ]]; then
      if ! answers "$secure_port"; then
        echo "but not on localhost:$secure_port (SASL_SSL): stop it first" \
          "(scripts/local-kafka.sh stop), then start it with --secure" >&2
        return 1
      fi
      secure_summary
    fi
    create_topics
    return 0
  fi
  "$root/scripts/fetch-jars.sh" kafka
  if [[ "$secure" == 1 ]]; then make_tls; make_sasl_files; fi
  write_config
  if [[ ! -f "$home/data/meta.properties" ]]; then
    java_run kafka.tools.StorageTool format -t "$(java_run kafka.tools.StorageTool random-uuid)" \
      -c "$home/server.properties" >/dev/null
  fi
  echo "starting Kafka on localhost:$port (data and log in $home)"
  nohup java -Xms512m -Xmx1g -Dlog4j2.configurationFile="$home/log4j2.properties" \
    -cp "$jars/*" kafka.Kafka "$home/server.properties" >>"$home/console.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if listening && { [[ "$secure" != 1 ]] || answers "$secure_port"; }; then
      create_topics
      echo "Kafka is up on localhost:$port"
      if [[ "$secure" == 1 ]]; then add_scram_user; secure_summary; fi
      return 0
    fi
    if ! running_pid >/dev/null; then
      echo "Kafka failed to start; see $home/console.log and $logfile" >&2
      tail -n 20 "$home/console.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "Kafka did not answer on localhost:$port within 60 s; see $logfile" >&2
  return 1
}

# The project's topics (NAME:PARTITIONS[:compact], see scripts/create_topics.py);
# device-settings is compacted: the newest settings record of each key is kept.
create_topics() {
  "$python" "$root/scripts/create_topics.py" --bootstrap "localhost:$port" \
    events:3 alerts:1 events-dlq:1 device-status:1 device-settings:1:compact
}

stop() {
  if [[ "${KAFKA_USE_DOCKER:-0}" == 1 ]]; then
    docker compose -f "$root/docker-compose.yaml" stop kafka; return
  fi
  local pid
  if pid=$(running_pid); then
    echo "stopping Kafka (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  else
    echo "no local Kafka started by this script is running"
  fi
}

status() {
  if listening; then
    echo "Kafka is answering on localhost:$port${pid:+ (pid $pid)}"
    if answers "$secure_port"; then secure_summary; fi
  else
    echo "Kafka is not answering on localhost:$port"
    return 1
  fi
}

command="${1:-}"
if [[ "${2:-}" == --secure ]]; then secure=1; fi
case "$command" in
  start) start ;;
  stop) stop ;;
  status) pid=$(running_pid || true) status ;;
  topics) create_topics ;;
  *) echo "usage: $0 start [--secure]|stop|status|topics" >&2; exit 2 ;;
esac
