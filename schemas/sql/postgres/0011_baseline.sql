-- PostgreSQL: the whole schema of version 11 (migrations 1 to 11 of SQLite)
-- in one step. A PostgreSQL database begins here (schemas/embedded.h).
--
-- What differs from SQLite, and why:
-- - Timestamps stay ISO 8601 text, as in SQLite: every backend hands callers
--   the same strings, and they order the same way.
-- - SQLite's rowid (the order rows were stored in) is a sequence column, seq.
-- - results is partitioned by the month of its run (run_month), so that
--   retention drops a month's partition instead of deleting row by row.
--   Partitions are made by effbench_results_partition() when a run of a new
--   month begins. A unique key must hold the partition key: (id, run_month),
--   and a result's run, and so its month, never changes.
-- - results.name compares byte by byte (COLLATE "C", as SQLite's BINARY):
--   one index serves a name's equality and a glob's literal prefix (LIKE).

CREATE TABLE effbench_schema (
  application TEXT NOT NULL CHECK (application = 'effbench'),
  version     INTEGER NOT NULL
);

CREATE TABLE machines (
  id          BIGSERIAL PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  hostname    TEXT NOT NULL,
  cpu_model   TEXT NOT NULL,
  arch        TEXT NOT NULL,
  inventory   TEXT NOT NULL,
  calibration TEXT,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL
);

CREATE TABLE revisions (
  id          BIGSERIAL PRIMARY KEY,
  repo        TEXT NOT NULL,
  commit_sha  TEXT NOT NULL,
  branch      TEXT NOT NULL,
  commit_time TEXT,
  UNIQUE (repo, commit_sha, branch)
);

CREATE TABLE runs (
  id          TEXT PRIMARY KEY,
  seq         BIGSERIAL NOT NULL,
  machine_id  BIGINT NOT NULL REFERENCES machines(id),
  revision_id BIGINT NOT NULL REFERENCES revisions(id),
  suite       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  config      TEXT NOT NULL,
  month       DATE NOT NULL            -- the first day of started_at's month
);
CREATE INDEX runs_machine ON runs(machine_id, started_at, seq);

CREATE TABLE results (
  id                TEXT NOT NULL,
  seq               BIGSERIAL NOT NULL,
  run_id            TEXT NOT NULL REFERENCES runs(id),
  run_month         DATE NOT NULL,
  name              TEXT COLLATE "C" NOT NULL,
  workload          TEXT NOT NULL,
  precision         TEXT NOT NULL,
  sparsity          TEXT NOT NULL,
  backend           TEXT NOT NULL,
  threads           INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
  error             TEXT,
  median_ns         DOUBLE PRECISION,
  mean_ns           DOUBLE PRECISION,
  stddev_ns         DOUBLE PRECISION,
  cv                DOUBLE PRECISION,
  min_ns            DOUBLE PRECISION,
  max_ns            DOUBLE PRECISION,
  gflops            DOUBLE PRECISION,
  gbps              DOUBLE PRECISION,
  roofline_fraction DOUBLE PRECISION,
  joules_per_iter   DOUBLE PRECISION,
  rel_l2            DOUBLE PRECISION,
  record            TEXT NOT NULL,
  samples_ns        TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (id, run_month)
) PARTITION BY RANGE (run_month);
CREATE INDEX results_run_status ON results(run_id, status);
CREATE INDEX results_name ON results(name, threads);

-- Makes the partition of results for the month starting at `month`, once:
-- coordinators that begin runs of a new month together wait on the lock.
-- It runs as the schema's owner (SECURITY DEFINER, its search_path fixed):
-- a writer role (`effbench db grant`) may insert into results but not make
-- tables.
CREATE FUNCTION effbench_results_partition(month DATE) RETURNS VOID
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  part TEXT := format('results_%s', to_char(month, 'YYYY_MM'));
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('effbench_results_partition'));
  IF to_regclass(part) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF results FOR VALUES FROM (%L) TO (%L)',
                   part, month, (month + INTERVAL '1 month')::DATE);
  END IF;
END
$$ LANGUAGE plpgsql;

CREATE TABLE run_counts (
  run_id  TEXT PRIMARY KEY,
  ok      BIGINT NOT NULL DEFAULT 0,
  failed  BIGINT NOT NULL DEFAULT 0,
  skipped BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE run_checks (
  run_id     TEXT PRIMARY KEY REFERENCES runs(id),
  checked_at TEXT NOT NULL
);

CREATE TABLE agents (
  name                TEXT PRIMARY KEY,
  machine_fingerprint TEXT NOT NULL,
  version             TEXT NOT NULL,
  labels              TEXT NOT NULL,
  first_seen          TEXT NOT NULL,
  last_seen           TEXT NOT NULL
);

CREATE TABLE agent_keys (
  name        TEXT PRIMARY KEY,
  stored_key  TEXT NOT NULL CHECK (length(stored_key) = 64),
  enrolled_at TEXT NOT NULL,
  revoked_at  TEXT
);

CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  seq         BIGSERIAL NOT NULL,
  agent       TEXT NOT NULL,
  run_id      TEXT NOT NULL UNIQUE,
  suite       TEXT NOT NULL,
  spec        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'dispatched', 'done', 'failed', 'cancelled')),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  error       TEXT
);
CREATE INDEX jobs_agent_state ON jobs(agent, state, created_at);

CREATE TABLE regressions (
  id                  BIGSERIAL PRIMARY KEY,
  machine_fingerprint TEXT NOT NULL,
  name                TEXT NOT NULL,
  threads             INTEGER NOT NULL,
  metric              TEXT NOT NULL,
  last_good_commit    TEXT NOT NULL,
  first_bad_commit    TEXT NOT NULL,
  first_bad_run       TEXT NOT NULL,
  change              DOUBLE PRECISION NOT NULL,
  pvalue              DOUBLE PRECISION NOT NULL,
  mean_before         DOUBLE PRECISION NOT NULL,
  mean_after          DOUBLE PRECISION NOT NULL,
  points_before       BIGINT NOT NULL,
  points_after        BIGINT NOT NULL,
  direction           TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
  state               TEXT NOT NULL
                      CHECK (state IN ('new', 'acknowledged', 'fixed', 'false-positive', 'withdrawn')),
  detected_at         TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  reason              TEXT,
  fixed_last_bad_commit   TEXT,
  fixed_first_good_commit TEXT,
  UNIQUE (machine_fingerprint, name, threads, metric, first_bad_commit)
);
CREATE INDEX regressions_state ON regressions(state, detected_at);
