-- Schema of the alert store: the alerts, the devices' status changes and the
-- monitor's own input status, each with an insert view for Vector. Runs in the database it is connected to (the
-- deployments create it as `monitoring`), as a superuser, on TimescaleDB or on
-- plain PostgreSQL 15, and may be run again at any time: every statement is
-- idempotent. No password lives here: the roles are created without one and
-- init-roles.sh gives them their passwords from the environment.
--
-- Retention (TimescaleDB only, the same for every table) defaults to 30 days;
-- another value can be passed as a setting, e.g. PGOPTIONS='-c monitoring.alerts_retention=90days' psql -f init.sql

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

-- One row per change of a device's state (topic device-status). `time` is the
-- change's `at`: the check that reported the silence, the time of the event that
-- ended it, or when the monitor forgot the device. `since` is the device's latest
-- event time before the change, so every change of one silence has the same
-- (device_id, since): that pair is the downtime episode. A redelivered change is
-- the same row and is stored once. `never-seen` is the silence of an expected
-- (registered) device that never sent anything: `since` is its registration, and
-- it ends as a silence does (back, forgotten).
CREATE TABLE IF NOT EXISTS device_status (
    time        timestamptz NOT NULL,
    device_id   text        NOT NULL,
    status      text        NOT NULL
        CONSTRAINT device_status_status_check
        CHECK (status IN ('silent', 'never-seen', 'back', 'forgotten')),
    since       timestamptz NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT device_status_device_id_status_time_key UNIQUE (device_id, status, time)
);

-- A store made before never-seen existed has the check without it (under the name
-- PostgreSQL gave it, the same as above): widened in place, once. On a hypertable
-- TimescaleDB carries the change to every chunk; the existing rows all pass.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'device_status'::regclass
          AND conname = 'device_status_status_check'
          AND pg_get_constraintdef(oid) LIKE '%''never-seen''%'
    ) THEN
        ALTER TABLE device_status DROP CONSTRAINT IF EXISTS device_status_status_check;
        ALTER TABLE device_status ADD CONSTRAINT device_status_status_check
            CHECK (status IN ('silent', 'never-seen', 'back', 'forgotten'));
    END IF;
END
$$;

COMMENT ON TABLE device_status IS 'Changes of device state: silent, never-seen, back, forgotten';
COMMENT ON COLUMN device_status.time IS 'when the change happened (its "at")';
COMMENT ON COLUMN device_status.since IS 'latest event time of the device before the change';

-- Serves the episodes: every change of one silence shares (device_id, since).
CREATE INDEX IF NOT EXISTS device_status_device_id_since_idx ON device_status (device_id, since);
CREATE INDEX IF NOT EXISTS device_status_time_idx ON device_status (time DESC);

-- The monitor's own input: idle (no partition of the events topic sent anything
-- for --idle-timeout), unavailable (the topic cannot be read), resumed.
CREATE TABLE IF NOT EXISTS monitor_input (
    time        timestamptz NOT NULL,
    monitor     text        NOT NULL,
    status      text        NOT NULL
        CHECK (status IN ('input-idle', 'input-unavailable', 'input-resumed')),
    ingested_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT monitor_input_monitor_status_time_key UNIQUE (monitor, status, time)
);

COMMENT ON TABLE monitor_input IS 'The monitor hearing nothing (input idle or unavailable) and again';

DO $$
DECLARE
    retention interval := coalesce(
        nullif(current_setting('monitoring.alerts_retention', true), ''), '30 days');
    hypertable regclass;
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'timescaledb') THEN
        FOREACH hypertable IN ARRAY ARRAY['alerts', 'device_status', 'monitor_input']::regclass[] LOOP
            -- The dimension-builder interface exists from TimescaleDB 2.13 on; the
            -- older one stays for earlier versions.
            IF EXISTS (SELECT FROM pg_proc WHERE proname = 'by_range') THEN
                PERFORM create_hypertable(hypertable, by_range('time', INTERVAL '1 day'),
                    if_not_exists => true, migrate_data => true);
            ELSE
                PERFORM create_hypertable(hypertable, 'time',
                    chunk_time_interval => INTERVAL '1 day',
                    if_not_exists => true, migrate_data => true);
            END IF;
            -- Replaced on every run so that a changed setting takes effect.
            PERFORM remove_retention_policy(hypertable, if_exists => true);
            PERFORM add_retention_policy(hypertable, retention);
        END LOOP;
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

-- The same for the status changes and the monitor's input status.
CREATE OR REPLACE VIEW device_status_ingest AS
    SELECT time, device_id, status, since FROM device_status;

CREATE OR REPLACE FUNCTION device_status_ingest_insert() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO device_status (time, device_id, status, since)
    VALUES (NEW.time, NEW.device_id, NEW.status, NEW.since)
    ON CONFLICT (device_id, status, time) DO NOTHING;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION device_status_ingest_insert() FROM PUBLIC;

DROP TRIGGER IF EXISTS device_status_ingest_insert ON device_status_ingest;
CREATE TRIGGER device_status_ingest_insert
    INSTEAD OF INSERT ON device_status_ingest
    FOR EACH ROW EXECUTE FUNCTION device_status_ingest_insert();

CREATE OR REPLACE VIEW monitor_input_ingest AS
    SELECT time, monitor, status FROM monitor_input;

CREATE OR REPLACE FUNCTION monitor_input_ingest_insert() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO monitor_input (time, monitor, status)
    VALUES (NEW.time, NEW.monitor, NEW.status)
    ON CONFLICT (monitor, status, time) DO NOTHING;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION monitor_input_ingest_insert() FROM PUBLIC;

DROP TRIGGER IF EXISTS monitor_input_ingest_insert ON monitor_input_ingest;
CREATE TRIGGER monitor_input_ingest_insert
    INSTEAD OF INSERT ON monitor_input_ingest
    FOR EACH ROW EXECUTE FUNCTION monitor_input_ingest_insert();

-- Downtime episodes, derived from device_status on every read, so they are right
-- whatever order the changes arrived in and however often: one row per
-- (device_id, since), the change of each kind taken once. A never-seen opens an
-- episode as a silent does.
--   silent_since  the device's last event before the silence (for a never-seen
--                 device its registration): the downtime starts here
--   reported_at   the check that raised the silence or the never-seen (NULL if only
--                 its end was stored)
--   back_at       the first event after it (may be before reported_at: it came late)
--   forgotten_at  when the monitor freed the device's state instead
--   ended_at      back_at, else forgotten_at, else the start of the device's next
--                 episode (a later silence proves an event in between), else NULL:
--                 the device is down now
--   duration      ended_at (now() while open) - silent_since
--   never_seen    the silence was reported as never-seen: a registered device that had
--                 sent nothing (false also when only its end was stored). Last, so
--                 that CREATE OR REPLACE VIEW can add it to a store made before it.
-- Not a continuous aggregate: an episode is made of two rows that may lie in
-- different buckets, and a continuous aggregate can only group rows of one bucket
-- (no window over the hypertable, no self-join); status changes are few (one per
-- silence, not one per check), so reading them whole stays cheap.
CREATE OR REPLACE VIEW device_downtime AS
    WITH changes AS (
        SELECT device_id,
               since                                                       AS silent_since,
               min(time) FILTER (WHERE status IN ('silent', 'never-seen')) AS reported_at,
               min(time) FILTER (WHERE status = 'back')                    AS back_at,
               min(time) FILTER (WHERE status = 'forgotten')               AS forgotten_at,
               bool_or(status = 'never-seen')                              AS never_seen
        FROM device_status
        GROUP BY device_id, since
    ), episodes AS (
        SELECT changes.*,
               coalesce(least(back_at, forgotten_at),
                        lead(silent_since) OVER (PARTITION BY device_id ORDER BY silent_since))
                   AS ended_at
        FROM changes
    )
    SELECT device_id, silent_since, reported_at, back_at,
           forgotten_at IS NOT NULL AS forgotten, forgotten_at, ended_at,
           ended_at IS NULL AS open,
           coalesce(ended_at, now()) - silent_since AS duration,
           never_seen
    FROM episodes;

COMMENT ON VIEW device_downtime IS
    'Downtime episodes: one per device and silence (or never-seen), from silent_since to ended_at (NULL: down now)';

-- Periods in which the monitor heard nothing: from input-idle or input-unavailable
-- to the monitor's next input change (NULL: still so).
CREATE OR REPLACE VIEW monitor_input_gaps AS
    SELECT monitor, status, started_at, ended_at
    FROM (
        SELECT monitor, status, time AS started_at,
               lead(time) OVER (PARTITION BY monitor ORDER BY time, status) AS ended_at
        FROM monitor_input
    ) AS changes
    WHERE status <> 'input-resumed';

COMMENT ON VIEW monitor_input_gaps IS
    'When the monitor heard nothing: devices reported silent then may be a pipeline outage';

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

REVOKE ALL ON alerts, alerts_ingest, device_status, device_status_ingest, monitor_input,
    monitor_input_ingest, device_downtime, monitor_input_gaps FROM PUBLIC;
REVOKE ALL ON alerts, alerts_ingest, device_status, device_status_ingest, monitor_input,
    monitor_input_ingest, device_downtime, monitor_input_gaps FROM alerts_writer, alerts_reader;
GRANT USAGE ON SCHEMA public TO alerts_writer, alerts_reader;
GRANT INSERT ON alerts_ingest, device_status_ingest, monitor_input_ingest TO alerts_writer;
GRANT SELECT ON alerts, device_status, monitor_input, device_downtime, monitor_input_gaps
    TO alerts_reader;
