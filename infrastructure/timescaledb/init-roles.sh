#!/usr/bin/env bash
# Give the alert store's roles their passwords (and LOGIN) from the environment:
#   ALERTS_WRITER_PASSWORD  role alerts_writer (Vector: insert through alerts_ingest)
#   ALERTS_READER_PASSWORD  role alerts_reader (Grafana: read alerts)
# Creates the roles when init.sql has not run yet, so the two may run in either
# order; running it again sets the passwords again (rotation).
#
# Connects like psql does: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; inside
# the PostgreSQL/TimescaleDB image's /docker-entrypoint-initdb.d it falls back to
# that image's POSTGRES_USER and POSTGRES_DB over the local socket.
#
# The body runs in a subshell because that image's entrypoint sources a script it
# finds without the executable bit, and these shell options must not leak into it.
(
set -euo pipefail

: "${ALERTS_WRITER_PASSWORD:?ALERTS_WRITER_PASSWORD must be set}"
: "${ALERTS_READER_PASSWORD:?ALERTS_READER_PASSWORD must be set}"

export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
export PGDATABASE="${PGDATABASE:-${POSTGRES_DB:-monitoring}}"

# Passwords travel as psql variables and are quoted by format(%L), never pasted
# into the SQL text; statement logging is off so they do not reach the server log.
psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
  -v writer_password="$ALERTS_WRITER_PASSWORD" \
  -v reader_password="$ALERTS_READER_PASSWORD" <<'SQL'
SET log_statement = 'none';
SELECT format('CREATE ROLE %I NOLOGIN', name)
  FROM (VALUES ('alerts_writer'), ('alerts_reader')) AS wanted(name)
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)
\gexec
SELECT format('ALTER ROLE alerts_writer LOGIN PASSWORD %L', :'writer_password')
\gexec
SELECT format('ALTER ROLE alerts_reader LOGIN PASSWORD %L', :'reader_password')
\gexec
SQL
echo "init-roles: alerts_writer and alerts_reader can log in"
)
