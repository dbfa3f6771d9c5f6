#!/usr/bin/env bash
# Tests against real Kafka and PostgreSQL.
#   scripts/integration-test.sh [BOOTSTRAP_SERVERS] [pytest args...]
# Kafka is found at the first argument, else KAFKA_BOOTSTRAP_SERVERS, else a local
# broker is started (scripts/local-kafka.sh) and left running afterwards.
# PostgreSQL is found at DATABASE_URL, else a throwaway local server is started.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -gt 0 && "$1" != -* ]]; then
  export KAFKA_BOOTSTRAP_SERVERS="$1"
  shift
fi
exec .venv/bin/pytest -m "kafka or postgres" "$@"
