#!/usr/bin/env bash
# Everything CI runs, in the order that fails fastest: lint, types, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== types"
sources=(kafka-clients/src monitor/src)
[[ -d event-generator/src ]] && sources+=(event-generator/src)
.venv/bin/mypy "${sources[@]}"
echo "== java tests"
# Built outside the source tree (.local/ is ignored), as scripts/fetch-jars.sh builds.
mvn -q -B -f jvm/monitor-functions/pom.xml test -DbuildDirectory="$PWD/.local/build/monitor-functions"
echo "== TimescaleDB for the storage tests (built once, cached)"
scripts/build-timescaledb.sh
echo "== tests"
exec .venv/bin/pytest "$@"
