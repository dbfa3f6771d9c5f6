#!/usr/bin/env bash
# Build TimescaleDB from its source archive for the machine's PostgreSQL 15 and
# install it there, so that the storage tests can start a TimescaleDB cluster
# (testsupport/postgres.py). For tests only: the deployments run the
# timescale/timescaledb image.
#
#   scripts/build-timescaledb.sh          # or: make timescaledb
#
# The archive is $TIMESCALEDB_SOURCE, else ../shared/vendor/timescaledb-2.28.3.tar.gz
# beside the repository (where CI keeps it). Without it the script says so and
# exits 0: the TimescaleDB tests are then skipped, or run on TIMESCALEDB_URL.
#
# The build is cached in $TIMESCALEDB_CACHE (default ~/.cache/iot-monitor), keyed
# by the archive's checksum and the PostgreSQL version, as a staged install; later
# runs only copy the staged files into PostgreSQL's lib and extension folders when
# they differ. Missing Debian build packages are installed with apt-get (as root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=2.28.3
archive="${TIMESCALEDB_SOURCE:-$root/../shared/vendor/timescaledb-$version.tar.gz}"
pg_bindir="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
build_packages=(postgresql-server-dev-15 cmake libssl-dev gcc make)

if [[ ! -f "$archive" ]]; then
  echo "build-timescaledb: no TimescaleDB source at $archive (set TIMESCALEDB_SOURCE);" \
    "the TimescaleDB storage tests will be skipped unless TIMESCALEDB_URL is set"
  exit 0
fi

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "build-timescaledb: '$*' needs root" >&2
    return 1
  fi
}

# pg_config of PostgreSQL 15 itself: Debian's /usr/bin/pg_config may serve another
# version. Its server headers come with postgresql-server-dev-15.
pg_config="$pg_bindir/pg_config"
if [[ ! -f "$("$pg_config" --includedir-server 2>/dev/null)/postgres.h" ]] \
  || ! command -v cmake >/dev/null; then
  missing=()
  for package in "${build_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  echo "build-timescaledb: installing ${missing[*]}"
  # Installing the server headers may upgrade postgresql-15 itself: a server
  # already running then fails to load plpgsql.so until it is restarted.
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
pkglibdir="$("$pg_config" --pkglibdir)"
extensiondir="$("$pg_config" --sharedir)/extension"
pg_version="PostgreSQL-$("$pg_config" --version | awk '{print $2}')"

checksum="$(sha256sum "$archive" | cut -c1-16)"
cache="${TIMESCALEDB_CACHE:-$HOME/.cache/iot-monitor}/timescaledb-$version"
stage="$cache/$checksum-$pg_version"

if [[ ! -f "$stage/.built" ]]; then
  echo "build-timescaledb: building TimescaleDB $version for $pg_version into $stage (a few minutes)"
  work="$cache/work.$$"
  rm -rf "$work" "$stage"
  mkdir -p "$work"
  trap 'rm -rf "$work"' EXIT
  tar xzf "$archive" -C "$work"
  (
    cd "$work/timescaledb-$version"
    ./bootstrap -DPG_CONFIG="$pg_config" -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
      -DWARNINGS_AS_ERRORS=OFF -DGENERATE_DOWNGRADE_SCRIPT=OFF >"$work/bootstrap.log" 2>&1 \
      || { tail -40 "$work/bootstrap.log" >&2; exit 1; }
    make -C build -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
    make -C build install DESTDIR="$work/stage" >/dev/null
  )
  mkdir -p "$stage"
  cp -a "$work/stage$pkglibdir" "$stage/lib"
  cp -a "$work/stage$extensiondir" "$stage/extension"
  touch "$stage/.built"
fi

install_files() {
  local from="$1" to="$2" file
  for file in "$from"/*; do
    if ! cmp -s "$file" "$to/$(basename "$file")"; then
      as_root install -m 0644 "$file" "$to/"
    fi
  done
}
install_files "$stage/lib" "$pkglibdir"
install_files "$stage/extension" "$extensiondir"
echo "build-timescaledb: TimescaleDB $version installed for $pg_version"
