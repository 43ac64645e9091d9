-- Several coordinators on one database (PostgreSQL; SQLite takes the same
-- columns, its one coordinator uses them alike).
--
-- A dispatched job is leased: the coordinator holding its agent's
-- connection (lease_owner) renews lease_until while the agent stays; any
-- coordinator may fail the job once the lease has run out, never before.
-- Times are the database's clock, so coordinators on different machines
-- agree on them.
--
-- agent_presence: each connected agent as the coordinator holding it last
-- wrote it (state, job, progress). A row whose heartbeat_at is old belongs
-- to a coordinator that died; readers ignore it.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until TEXT;
CREATE INDEX jobs_open ON jobs(agent, created_at) WHERE state IN ('queued', 'dispatched');
CREATE TABLE agent_presence (
  name           TEXT PRIMARY KEY,
  coordinator    TEXT NOT NULL,
  state          TEXT NOT NULL,
  job            TEXT NOT NULL,
  done           INTEGER NOT NULL,
  total          INTEGER NOT NULL,
  spooled        INTEGER NOT NULL,
  remote         TEXT NOT NULL,
  tls            INTEGER NOT NULL,
  credential     TEXT NOT NULL,
  connected_at   TEXT NOT NULL,
  last_heartbeat TEXT NOT NULL,
  heartbeat_at   TEXT NOT NULL
);

-- schedule_runs: each occurrence of a nightly schedule, claimed by the one
-- coordinator that submits it (the others, given the same --schedule, skip).
CREATE TABLE schedule_runs (
  key         TEXT PRIMARY KEY,
  coordinator TEXT NOT NULL,
  claimed_at  TEXT NOT NULL
);
