#!/usr/bin/env bash
# Start the whole pipeline with Docker Compose and wait until every service is
# healthy. Extra arguments go to `docker compose up` (e.g. --profile generator
# must come before `up`, so set GENERATOR=1 instead to also run a simulated fleet).
#   scripts/docker-up.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v docker >/dev/null || { echo "error: docker not found" >&2; exit 1; }
docker compose version >/dev/null 2>&1 \
  || { echo "error: the Docker Compose plugin is missing ('docker compose version' fails)" >&2; exit 1; }
if [[ ! -f .env ]]; then
  echo "error: no .env: copy .env.example to .env and set its passwords" >&2
  exit 1
fi
profiles=()
[[ "${GENERATOR:-0}" == 1 ]] && profiles=(--profile generator)
docker compose "${profiles[@]}" up -d --build --wait "$@"
echo "Flink UI   http://localhost:8081"
echo "Grafana    http://localhost:3000 (user admin, password GRAFANA_ADMIN_PASSWORD from .env)"
echo "Kafka      localhost:9094"
