#!/usr/bin/env bash
# Deploy the monitor (the Flink job) into device-monitor-<env>, next to a Kafka that
# runs there already (scripts/deploy-all.sh installs both).
#   scripts/deploy-monitor.sh dev|qa|prod [--dry-run]
# MONITOR_IMAGE_REPOSITORY / MONITOR_IMAGE_TAG choose the image; INITIAL_SAVEPOINT
# starts a new deployment from a savepoint.
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
parse_args "$@"
require_cluster
ensure_namespace
install_monitor
