-- PostgreSQL's dialect of 0013: lease_until and heartbeat_at are the
-- server's timestamptz, which every coordinator compares with now().
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until timestamptz;
CREATE INDEX jobs_open ON jobs(agent, created_at, seq) WHERE state IN ('queued', 'dispatched');
CREATE TABLE agent_presence (
  name           TEXT PRIMARY KEY,
  coordinator    TEXT NOT NULL,
  state          TEXT NOT NULL,
  job            TEXT NOT NULL,
  done           BIGINT NOT NULL,
  total          BIGINT NOT NULL,
  spooled        BIGINT NOT NULL,
  remote         TEXT NOT NULL,
  tls            BOOLEAN NOT NULL,
  credential     TEXT NOT NULL,
  connected_at   TEXT NOT NULL,
  last_heartbeat TEXT NOT NULL,
  heartbeat_at   timestamptz NOT NULL
);
CREATE TABLE schedule_runs (
  key         TEXT PRIMARY KEY,
  coordinator TEXT NOT NULL,
  claimed_at  TEXT NOT NULL
);
