#!/usr/bin/env bash
# Remove everything from device-monitor-<env>: the monitor (after a savepoint, whose
# location is printed: pass it as INITIAL_SAVEPOINT to the next deploy), then
# Grafana, Vector, TimescaleDB and Kafka. Volumes are kept.
#   scripts/stop-full.sh dev|qa|prod [--dry-run]
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
stop_monitor
helm_uninstall grafana
helm_uninstall vector
helm_uninstall timescaledb
helm_uninstall kafka
