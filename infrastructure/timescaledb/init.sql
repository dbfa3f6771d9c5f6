-- Schema of the alert store. Runs in the database it is connected to (the
-- deployments create it as `monitoring`), as a superuser, on TimescaleDB or on
-- plain PostgreSQL 15, and may be run again at any time: every statement is
-- idempotent. No password lives here: the roles are created without one and
-- init-roles.sh gives them their passwords from the environment.
--
-- Retention (TimescaleDB only) defaults to 30 days; another value can be passed
-- as a setting, e.g. PGOPTIONS='-c monitoring.alerts_retention=90days' psql -f init.sql

-- TimescaleDB only where it can work: the extension must be installed and
-- preloaded, otherwise the same schema stays a plain table.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'timescaledb')
       AND current_setting('shared_preload_libraries') LIKE '%timescaledb%' THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
    END IF;
END
$$;

-- One row per alert. `time` is the check instant that raised it (the Kafka
-- record timestamp of the alert); checks are deterministic, so a redelivered or
-- replayed alert has the same (time, device_id) and is stored once.
CREATE TABLE IF NOT EXISTS alerts (
    time              timestamptz NOT NULL,
    device_id         text        NOT NULL,
    latest_event_time timestamptz NOT NULL,
    ingested_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alerts_time_device_id_key UNIQUE (time, device_id)
);

COMMENT ON TABLE alerts IS 'Inactivity alerts: one row per device and check instant';
COMMENT ON COLUMN alerts.time IS 'check instant that raised the alert';
COMMENT ON COLUMN alerts.latest_event_time IS 'newest event time of the device at that check';
COMMENT ON COLUMN alerts.ingested_at IS 'when the row reached the database';

-- The unique index leads with time, which serves the dashboard's time-range
-- filters; this one serves "the alerts of one device".
CREATE INDEX IF NOT EXISTS alerts_device_id_time_idx ON alerts (device_id, time DESC);

DO $$
DECLARE
    retention interval := coalesce(
        nullif(current_setting('monitoring.alerts_retention', true), ''), '30 days');
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'timescaledb') THEN
        -- The dimension-builder interface exists from TimescaleDB 2.13 on; the
        -- older one stays for earlier versions.
        IF EXISTS (SELECT FROM pg_proc WHERE proname = 'by_range') THEN
            PERFORM create_hypertable('alerts', by_range('time', INTERVAL '1 day'),
                if_not_exists => true, migrate_data => true);
        ELSE
            PERFORM create_hypertable('alerts', 'time',
                chunk_time_interval => INTERVAL '1 day',
                if_not_exists => true, migrate_data => true);
        END IF;
        -- Replaced on every run so that a changed setting takes effect.
        PERFORM remove_retention_policy('alerts', if_exists => true);
        PERFORM add_retention_policy('alerts', retention);
    END IF;
END
$$;

-- The insert target of the ingestion pipeline. Vector's postgres sink writes a
-- whole batch with one INSERT, and a unique violation would fail the batch; the
-- trigger turns a duplicate into a skipped row instead.
CREATE OR REPLACE VIEW alerts_ingest AS
    SELECT time, device_id, latest_event_time FROM alerts;

-- SECURITY DEFINER: the writer may insert into the view and nothing else.
CREATE OR REPLACE FUNCTION alerts_ingest_insert() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO alerts (time, device_id, latest_event_time)
    VALUES (NEW.time, NEW.device_id, NEW.latest_event_time)
    ON CONFLICT (time, device_id) DO NOTHING;
    -- A skipped duplicate is not counted as an inserted row.
    IF FOUND THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION alerts_ingest_insert() FROM PUBLIC;

DROP TRIGGER IF EXISTS alerts_ingest_insert ON alerts_ingest;
CREATE TRIGGER alerts_ingest_insert
    INSTEAD OF INSERT ON alerts_ingest
    FOR EACH ROW EXECUTE FUNCTION alerts_ingest_insert();

-- Roles: the writer (Vector) may only insert through the view, the reader
-- (Grafana, people running queries) may only read. Created without LOGIN and
-- password; init-roles.sh enables them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'alerts_writer') THEN
        CREATE ROLE alerts_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'alerts_reader') THEN
        CREATE ROLE alerts_reader NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO alerts_writer, alerts_reader',
                   current_database());
END
$$;

REVOKE ALL ON alerts, alerts_ingest FROM PUBLIC;
REVOKE ALL ON alerts, alerts_ingest FROM alerts_writer, alerts_reader;
GRANT USAGE ON SCHEMA public TO alerts_writer, alerts_reader;
GRANT INSERT ON alerts_ingest TO alerts_writer;
GRANT SELECT ON alerts TO alerts_reader;
