#!/usr/bin/env bash
# Deploy the alert store and the dashboard into device-monitor-<env>: TimescaleDB,
# Vector (alerts from Kafka into the store) and Grafana.
#   scripts/deploy-monitoring.sh dev|qa|prod [--dry-run]
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
ensure_namespace
helm_install timescaledb
helm_install vector
helm_install grafana
