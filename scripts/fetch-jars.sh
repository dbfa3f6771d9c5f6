#!/usr/bin/env bash
# Fetch the JVM pieces declared in jvm/*/pom.xml into the download cache
# (default ~/.cache/iot-monitor/jars). Idempotent: a filled folder is kept.
#   scripts/fetch-jars.sh            # both sets
#   scripts/fetch-jars.sh flink      # only the Flink connector jars
#   scripts/fetch-jars.sh kafka      # only the local Kafka broker
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${IOT_JAR_CACHE:-$HOME/.cache/iot-monitor/jars}"

fetch() {
  local name="$1" pom="$root/jvm/$2/pom.xml" out="$cache/$1" stamp
  stamp="$out/.pom-$(sha256sum "$pom" | cut -c1-16)"
  if [[ -f "$stamp" ]]; then
    return 0
  fi
  echo "fetching $name jars from Maven Central into $out"
  # Into a fresh folder first: a job running from the old jars keeps them until the swap.
  local fresh="$out.new.$$"
  rm -rf "$fresh"
  mkdir -p "$fresh"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$fresh" "${@:3}"
  touch "$fresh/$(basename "$stamp")"
  rm -rf "$out"
  mv "$fresh" "$out"
}

want="${1:-all}"
case "$want" in
  flink|all) fetch flink flink-connectors -DexcludeTransitive=true ;;&
  kafka|all) fetch kafka kafka-broker ;;
  flink) ;;
  *) echo "usage: $0 [flink|kafka|all]" >&2; exit 2 ;;
esac
