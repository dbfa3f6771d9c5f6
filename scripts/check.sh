#!/usr/bin/env bash
# Everything CI runs, in the order that fails fastest: lint, types, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== types"
sources=(monitor/src)
[[ -d event-generator/src ]] && sources+=(event-generator/src)
.venv/bin/mypy "${sources[@]}"
echo "== tests"
exec .venv/bin/pytest "$@"
