#!/usr/bin/env bash
# A local Flink session cluster, without Docker: one JobManager and N TaskManagers,
# each its own process, run by the Flink scripts the apache-flink package ships.
#
#   scripts/local-flink.sh start|stop|status
#
# Configured as the monitor image configures Flink (monitor/Dockerfile and compose's
# FLINK_PROPERTIES): flink-python, the Kafka connector and the monitor's Java operators
# in lib/, checkpoints and savepoints under the cluster's folder, a restart strategy,
# the virtualenv's Python for PythonDriver. The Flink UI and REST API answer on
# localhost:${FLINK_REST_PORT:-8081}.
#
# `start` is idempotent: it starts whatever process of the cluster is not running (a
# TaskManager killed under a job comes back and takes its slot again). `stop` stops
# them all. Everything lives in ${FLINK_CLUSTER_DIR:-.local/flink}: conf/, lib/ (links),
# <process>.pid, <process>.log (links into log/), checkpoints/, savepoints/.
#
#   FLINK_REST_PORT (8081)  FLINK_RPC_PORT (6123)  FLINK_TASKMANAGERS (2)
#   FLINK_CLUSTER_DIR       FLINK_TM_MEMORY (1536m)  FLINK_JM_MEMORY (1024m)
#   FLINK_METRICS_PORTS (9249-9259: each process takes the first free one for /metrics)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
home="${FLINK_CLUSTER_DIR:-$root/.local/flink}"
mkdir -p "$home"
home="$(cd "$home" && pwd)"
rest_port="${FLINK_REST_PORT:-8081}"
rpc_port="${FLINK_RPC_PORT:-6123}"
taskmanagers="${FLINK_TASKMANAGERS:-2}"
python="${PYTHON:-$root/.venv/bin/python}"
jars="${IOT_JAR_CACHE:-$HOME/.cache/iot-monitor/jars}"

rest() { "$python" - "$rest_port" "$1" <<'PY'
import json, sys, urllib.request
port, path = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(f"http://localhost:{port}{path}", timeout=5) as answer:
        print(json.dumps(json.load(answer)))
except Exception:
    sys.exit(1)
PY
}

# A killed process whose parent has not reaped it yet (a zombie) is not running.
running_pid() {
  local pidfile="$home/$1.pid" state
  [[ -f "$pidfile" ]] || return 1
  state="$(ps -o stat= -p "$(cat "$pidfile")" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]] && cat "$pidfile"
}

pyflink_home() {
  "$python" -c 'import os, pyflink; print(os.path.dirname(os.path.abspath(pyflink.__file__)))'
}

write_lib() {
  local flink_home="$1" jar
  for jar in "$jars"/flink/flink-sql-connector-kafka-*.jar "$jars"/functions/iot-monitor-functions-*.jar; do
    if [[ ! -f "$jar" ]]; then
      echo "missing $jar: run scripts/fetch-jars.sh flink (or make setup)" >&2
      return 1
    fi
  done
  # Links, rebuilt at each start: a new build of the operators is picked up by the
  # processes started after it.
  rm -rf "${home:?}/lib"
  mkdir -p "$home/lib"
  ln -s "$flink_home"/lib/*.jar "$flink_home"/opt/flink-python-*.jar "$home/lib/"
  ln -s "$jars"/flink/flink-sql-connector-kafka-*.jar "$jars"/functions/iot-monitor-functions-*.jar \
    "$home/lib/"
}

write_conf() {
  local flink_home="$1" java_opts
  mkdir -p "$home/conf" "$home/log" "$home/checkpoints" "$home/savepoints"
  # The JVM options Flink needs on Java 17 (module opens), as the package's config has them.
  java_opts="$(sed -n 's/^ *all: //p' "$flink_home/conf/config.yaml" | head -n 1)"
  cat > "$home/conf/config.yaml" <<CONF
# Written by scripts/local-flink.sh at each start; edit the script, not this file.
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: localhost
jobmanager.memory.process.size: ${FLINK_JM_MEMORY:-1024m}
jobmanager.execution.failover-strategy: region
taskmanager.bind-host: localhost
taskmanager.host: localhost
taskmanager.numberOfTaskSlots: 1
taskmanager.memory.process.size: ${FLINK_TM_MEMORY:-1536m}
rest.address: localhost
rest.bind-address: localhost
rest.port: $rest_port
parallelism.default: $taskmanagers
execution.checkpointing.interval: 10s
execution.checkpointing.mode: EXACTLY_ONCE
execution.checkpointing.dir: file://$home/checkpoints
execution.checkpointing.savepoint-dir: file://$home/savepoints
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
execution.checkpointing.num-retained: 3
restart-strategy.type: exponential-delay
python.executable: $python
python.client.executable: $python
env.java.opts.all: $java_opts
# Each process serves its metrics for Prometheus on the first free port of the range
# (compose and the chart: 9249 in each container); the reporter is a plugin of the package.
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: ${FLINK_METRICS_PORTS:-9249-9259}
CONF
  cp "$flink_home/conf/log4j-console.properties" "$home/conf/"
}

# One process of the cluster, in the foreground of its own nohup: Flink's scripts end in
# `exec java`, so $! is the JVM's pid.
start_process() {
  local name="$1" script="$2" service="$3" flink_home="$4"
  shift 4
  local log
  log="$home/log/flink-$name-$service-0-$(hostname).log"
  mkdir -p "$home/run/$name"
  # Aside, so that what the new process logs is all the log holds (see wait_for_registration).
  if [[ -f "$log" ]]; then mv -f "$log" "$log.previous"; fi
  FLINK_CONF_DIR="$home/conf" FLINK_LIB_DIR="$home/lib" FLINK_LOG_DIR="$home/log" \
    FLINK_PID_DIR="$home/run/$name" FLINK_IDENT_STRING="$name" STD_REDIRECT_TO_FILE=true \
    nohup "$flink_home/bin/$script" start-foreground "$@" >"$home/$name.out" 2>&1 &
  echo $! > "$home/$name.pid"
  ln -sfn "${log#"$home/"}" "$home/$name.log"
  echo "started $name (pid $!, log $home/$name.log)"
}

wait_for_rest() {
  for _ in $(seq 1 240); do
    if rest /overview >/dev/null; then return 0; fi
    if ! running_pid jobmanager >/dev/null; then
      echo "the JobManager stopped; see $home/jobmanager.log and $home/jobmanager.out" >&2
      tail -n 20 "$home/jobmanager.out" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "the JobManager did not answer on localhost:$rest_port within 120 s; see $home/jobmanager.log" >&2
  return 1
}

# Until each TaskManager started now has registered with the ResourceManager. (The
# REST API's count would not do: it still holds a killed one until its heartbeats time out.)
wait_for_registration() {
  local name
  for name in "$@"; do
    for _ in $(seq 1 240); do
      if grep -q "Successful registration at resource manager" "$home/$name.log" 2>/dev/null; then
        continue 2
      fi
      if ! running_pid "$name" >/dev/null; then
        echo "$name stopped; see $home/$name.log and $home/$name.out" >&2
        return 1
      fi
      sleep 0.5
    done
    echo "$name did not register with the JobManager within 120 s; see $home/$name.log" >&2
    return 1
  done
}

start() {
  local flink_home n
  if [[ ! -x "$python" ]]; then
    echo "no virtualenv at $python: run make setup" >&2
    return 1
  fi
  flink_home="$(pyflink_home)"
  if ! running_pid jobmanager >/dev/null && rest /overview >/dev/null; then
    echo "something else answers on localhost:$rest_port: FLINK_REST_PORT picks another port" >&2
    return 1
  fi
  if running_pid jobmanager >/dev/null; then
    echo "the JobManager is running (pid $(running_pid jobmanager))"
  else
    write_lib "$flink_home"
    write_conf "$flink_home"
    start_process jobmanager jobmanager.sh standalonesession "$flink_home"
  fi
  wait_for_rest
  local started=()
  for n in $(seq 1 "$taskmanagers"); do
    if ! running_pid "taskmanager-$n" >/dev/null; then
      started+=("taskmanager-$n")
      # A stable resource id: the UI and the logs name it taskmanager-N across restarts.
      start_process "taskmanager-$n" taskmanager.sh taskexecutor "$flink_home" \
        -D "taskmanager.resource-id=taskmanager-$n"
    fi
  done
  wait_for_registration "${started[@]}"
  echo "Flink is up: UI and REST on http://localhost:$rest_port, $taskmanagers TaskManagers"
}

stop() {
  local name pid stopped=0
  for pidfile in "$home"/taskmanager-*.pid "$home/jobmanager.pid"; do
    [[ -f "$pidfile" ]] || continue
    name="$(basename "$pidfile" .pid)"
    if pid=$(running_pid "$name"); then
      echo "stopping $name (pid $pid)"
      kill "$pid"
      for _ in $(seq 1 60); do running_pid "$name" >/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      stopped=1
    fi
    rm -f "$pidfile"
  done
  (( stopped )) || echo "no local Flink started by this script is running"
}

status() {
  local name pidfile pid up=0 overview
  for pidfile in "$home/jobmanager.pid" "$home"/taskmanager-*.pid; do
    [[ -f "$pidfile" ]] || continue
    name="$(basename "$pidfile" .pid)"
    if pid=$(running_pid "$name"); then
      echo "$name: running (pid $pid)"
      up=1
    else
      echo "$name: not running"
    fi
  done
  if overview="$(rest /overview)"; then
    "$python" -c 'import json, sys
o, port = json.loads(sys.argv[1]), sys.argv[2]
print("REST on http://localhost:%s: %d TaskManagers, %d of %d slots free, %d jobs running" % (
    port, o["taskmanagers"], o["slots-available"], o["slots-total"], o["jobs-running"]))' \
      "$overview" "$rest_port"
  else
    echo "nothing answers on http://localhost:$rest_port"
    up=0
  fi
  (( up ))
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
