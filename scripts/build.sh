#!/usr/bin/env bash
# Build check: every program imports and answers --help.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/iot-monitor --help >/dev/null
[[ -x .venv/bin/iot-event-generator ]] && .venv/bin/iot-event-generator --help >/dev/null
echo "build ok"
