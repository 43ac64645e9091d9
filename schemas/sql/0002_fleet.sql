-- effbench results database, version 2: the fleet. Agents that ever connected
-- to a coordinator, and the jobs it queued for them (they survive a restart).

CREATE TABLE agents (
  name                TEXT PRIMARY KEY,   -- unique in the fleet (--name, default hostname)
  machine_fingerprint TEXT NOT NULL,
  version             TEXT NOT NULL,
  labels              TEXT NOT NULL,      -- JSON object of strings
  first_seen          TEXT NOT NULL,
  last_seen           TEXT NOT NULL
);

CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,           -- uuid
  agent       TEXT NOT NULL,              -- the agent it was queued for
  run_id      TEXT NOT NULL UNIQUE,       -- the run its results belong to
  suite       TEXT NOT NULL,
  spec        TEXT NOT NULL,              -- JSON: workloads, revision, options
  state       TEXT NOT NULL CHECK (state IN ('queued', 'dispatched', 'done', 'failed')),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  error       TEXT
);
CREATE INDEX jobs_agent_state ON jobs(agent, state, created_at);
