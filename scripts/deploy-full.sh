#!/usr/bin/env bash
# Deploy everything into device-monitor-<env>: Kafka, TimescaleDB, Vector, Grafana
# and the monitor. The Flink Kubernetes Operator must be installed already
# (scripts/deploy-prerequisites.sh).
#   scripts/deploy-full.sh dev|qa|prod [--dry-run]
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
require_flink_operator
ensure_namespace
helm_install kafka
helm_install timescaledb
helm_install vector
helm_install grafana
install_monitor
