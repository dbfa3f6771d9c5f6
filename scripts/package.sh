#!/usr/bin/env bash
# Build the Python distributions (wheels) of the Kafka clients' package, the monitor and
# the event generator into dist/ and, where a Docker engine answers, their images.
#   scripts/package.sh [--no-images]
# IMAGE_PREFIX (e.g. registry.example.com/iot/) and IMAGE_TAG (default: the version in
# the project's pyproject.toml) name the images.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-$root/.venv/bin/python}"
build_images=1
[[ "${1:-}" == "--no-images" ]] && build_images=0

projects=(kafka-clients monitor)
[[ -f event-generator/pyproject.toml ]] && projects+=(event-generator)

mkdir -p dist
for project in "${projects[@]}"; do
  echo "building the wheel of $project into dist/"
  "$python" -m pip wheel --quiet --no-deps --wheel-dir dist "./$project"
done

version_of() {
  sed -n 's/^version *= *"\(.*\)"/\1/p' "$1/pyproject.toml" | head -n 1
}

if (( ! build_images )); then
  exit 0
fi
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "no Docker engine answers: images not built (wheels are in dist/)"
  exit 0
fi
prefix="${IMAGE_PREFIX:-}"
# amd64 only: apache-flink has no arm64 wheel, and the image has no compiler for its sdist.
docker build --platform linux/amd64 -f monitor/Dockerfile -t "${prefix}iot-monitor:${IMAGE_TAG:-$(version_of monitor)}" .
if [[ -f event-generator/pyproject.toml ]]; then
  docker build -f event-generator/Dockerfile \
    -t "${prefix}iot-event-generator:${IMAGE_TAG:-$(version_of event-generator)}" .
fi
