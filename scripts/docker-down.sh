#!/usr/bin/env bash
# Stop the Docker Compose stack. With --volumes (or VOLUMES=1) its data is deleted too.
#   scripts/docker-down.sh [--volumes]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v docker >/dev/null || { echo "error: docker not found" >&2; exit 1; }
args=(--profile generator down --remove-orphans)
if [[ "${1:-}" == "--volumes" || "${VOLUMES:-0}" == 1 ]]; then
  args+=(--volumes)
fi
docker compose "${args[@]}"
