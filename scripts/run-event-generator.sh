#!/usr/bin/env bash
# Run the simulated fleet: scripts/run-event-generator.sh [generator flags...]
#
# Events go to KAFKA_BOOTSTRAP_SERVERS (or --kafka.bootstrap.servers); when neither
# is given and no --output file is asked for, the local Kafka is started first
# (scripts/local-kafka.sh, which also creates the `events` topic) and used.
# `iot-event-generator --help` lists the flags.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
generator=.venv/bin/iot-event-generator
if [[ ! -x "$generator" ]]; then
  echo "the event generator is not installed; run 'make setup' first" >&2
  exit 1
fi
needs_local_kafka=1
[[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}${GENERATOR_KAFKA_BOOTSTRAP_SERVERS:-}${GENERATOR_OUTPUT:-}" ]] \
  && needs_local_kafka=0
for arg in "$@"; do
  case "$arg" in
    --kafka.bootstrap.servers* | --output*) needs_local_kafka=0 ;;
  esac
done
if [[ "$needs_local_kafka" == 1 ]]; then
  scripts/local-kafka.sh start >/dev/null
fi
exec "$generator" "$@"
