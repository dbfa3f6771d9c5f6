#!/usr/bin/env bash
# Remove Grafana, Vector and TimescaleDB from device-monitor-<env>. Their volumes
# (and generated secrets) are kept; delete the PVCs by hand to drop the data.
#   scripts/stop-monitoring.sh dev|qa|prod [--dry-run]
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
helm_uninstall grafana
helm_uninstall vector
helm_uninstall timescaledb
