#!/usr/bin/env bash
# Tests that need no network service: unit tests, the real PyFlink pipeline on
# replay files, and the checks of the deployment files. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/pytest -m "not kafka and not postgres" "$@"
