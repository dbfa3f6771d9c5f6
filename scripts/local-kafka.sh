#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft) for local runs and tests, without Docker.
#
#   scripts/local-kafka.sh start|stop|status|topics
#
# The broker runs from Maven Central jars (jvm/kafka-broker/pom.xml) on
# localhost:${KAFKA_PORT:-9092}, keeps its data and log under ${KAFKA_HOME_DIR:-.local/kafka},
# and has the replication factor of its internal topics set to 1 so that
# transactions (the monitor's exactly-once alerts) work on one node.
# `start` is idempotent: a broker already answering on the port is left alone.
# With KAFKA_USE_DOCKER=1 (and Docker present) the compose file's Kafka is used instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
home="${KAFKA_HOME_DIR:-$root/.local/kafka}"
jars="${IOT_JAR_CACHE:-$HOME/.cache/iot-monitor/jars}/kafka"
python="${PYTHON:-$root/.venv/bin/python}"
pidfile="$home/broker.pid"
logfile="$home/broker.log"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

running_pid() {
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}

write_config() {
  mkdir -p "$home/data"
  cat > "$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$controller_port
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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

start_docker() {
  # The topic-creating init service exits when done, which `up --wait` may take
  # for a failure: wait for the broker, then run the init to completion.
  docker compose -f "$root/docker-compose.yaml" up -d --wait kafka
  docker compose -f "$root/docker-compose.yaml" run --rm kafka-init
}

start() {
  if [[ "${KAFKA_USE_DOCKER:-0}" == 1 ]]; then start_docker; return; fi
  if listening; then
    echo "Kafka is already answering on localhost:$port"
    create_topics
    return 0
  fi
  "$root/scripts/fetch-jars.sh" kafka
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
    if listening; then
      create_topics
      echo "Kafka is up on localhost:$port"
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

create_topics() {
  "$python" "$root/scripts/create_topics.py" --bootstrap "localhost:$port" \
    events:3 alerts:1 events-dlq:1 device-status:1
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
  else
    echo "Kafka is not answering on localhost:$port"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) pid=$(running_pid || true) status ;;
  topics) create_topics ;;
  *) echo "usage: $0 start|stop|status|topics" >&2; exit 2 ;;
esac
