#!/usr/bin/env bash
# Fetch the JVM pieces declared in jvm/*/pom.xml into the download cache
# (default ~/.cache/iot-monitor/jars), and build the monitor's Java function there.
# Idempotent: a filled folder is kept until its pom (or source) changes.
#   scripts/fetch-jars.sh            # every set
#   scripts/fetch-jars.sh flink      # the Flink connector jars, the monitor's operators and
#                                    # Flink's test harnesses
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

# jvm/monitor-functions: compiled from its source, so the stamp covers the source too.
build_functions() {
  local project="$root/jvm/monitor-functions" out="$cache/functions" stamp fresh
  stamp="$out/.src-$(find "$project/pom.xml" "$project/src" -type f -print0 | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" ]]; then
    return 0
  fi
  echo "building the monitor's Java function (jvm/monitor-functions) into $out"
  fresh="$out.new.$$"
  rm -rf "$fresh"
  mkdir -p "$fresh"
  # Built outside the source tree, so that a clean clone stays clean.
  # Without the Java tests, which scripts/check.sh (make check) runs.
  mvn -q -B -f "$project/pom.xml" package -DskipTests -DbuildDirectory="$fresh/build"
  mv "$fresh"/build/iot-monitor-functions-*.jar "$fresh/"
  rm -rf "$fresh/build"
  touch "$fresh/$(basename "$stamp")"
  rm -rf "$out"
  mv "$fresh" "$out"
}

want="${1:-all}"
case "$want" in
  flink|all)
    fetch flink flink-connectors -DexcludeTransitive=true
    build_functions
    # Flink's operator test harnesses, for the tests that drive the real operators
    fetch harness monitor-functions -DincludeScope=test -DexcludeTransitive=true \
      -DincludeArtifactIds=flink-runtime,flink-test-utils-junit
    ;;&
  kafka|all) fetch kafka kafka-broker ;;
  flink) ;;
  *) echo "usage: $0 [flink|kafka|all]" >&2; exit 2 ;;
esac
