#!/usr/bin/env bash
# Set up a development machine from nothing: a virtualenv in .venv with both
# programs and the Kafka clients' package they share (editable) and the test tools,
# and the JVM jars in the download cache.
# Idempotent and quiet when everything is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON_FOR_VENV:-python3}"

if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  echo "setup needs java (17+) and mvn on the PATH" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "creating the virtualenv in .venv"
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(cat kafka-clients/pyproject.toml monitor/pyproject.toml event-generator/pyproject.toml requirements-dev.txt 2>/dev/null | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "installing Python packages into .venv (first run downloads apache-flink, ~350 MB)"
  .venv/bin/python -m pip install -q --upgrade pip
  # kafka-clients named too: both programs depend on it, and no package index has it
  projects=(-e kafka-clients -e monitor)
  [[ -f event-generator/pyproject.toml ]] && projects+=(-e event-generator)
  .venv/bin/python -m pip install -q "${projects[@]}" -r requirements-dev.txt
  rm -f .venv/.installed-*
  touch "$stamp"
fi
scripts/fetch-jars.sh all
