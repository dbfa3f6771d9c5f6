#!/usr/bin/env bash
# Deploy the alerting pipeline into device-monitor-<env>: Kafka with its topics, then
# the monitor.
#   scripts/deploy-all.sh dev|qa|prod [--dry-run]
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
ensure_namespace
helm_install kafka
install_monitor
