-- effbench results database, version 1: machines, revisions, runs, results and
-- every repetition's sample. Applied in one transaction; user_version tracks it.

CREATE TABLE machines (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,   -- sha256 of the canonical inventory
  hostname    TEXT NOT NULL,
  cpu_model   TEXT NOT NULL,
  arch        TEXT NOT NULL,
  inventory   TEXT NOT NULL,          -- JSON: the full inventory
  calibration TEXT,                   -- JSON: measured peaks, NULL until calibrated
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL
);

CREATE TABLE revisions (
  id          INTEGER PRIMARY KEY,
  repo        TEXT NOT NULL,
  commit_sha  TEXT NOT NULL,
  branch      TEXT NOT NULL,
  commit_time TEXT,                   -- ISO 8601, NULL when unknown
  UNIQUE (repo, commit_sha, branch)
);

CREATE TABLE runs (
  id          TEXT PRIMARY KEY,       -- uuid
  machine_id  INTEGER NOT NULL REFERENCES machines(id),
  revision_id INTEGER NOT NULL REFERENCES revisions(id),
  suite       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  config      TEXT NOT NULL           -- JSON: threads, repetitions, filter, seed, agent
);
CREATE INDEX runs_machine ON runs(machine_id, started_at);

CREATE TABLE results (
  id                TEXT PRIMARY KEY, -- uuid; ingest is idempotent by it
  run_id            TEXT NOT NULL REFERENCES runs(id),
  name              TEXT NOT NULL,    -- gemm.int8/m1024n1024k1024@onednn
  workload          TEXT NOT NULL,    -- family
  precision         TEXT NOT NULL,
  sparsity          TEXT NOT NULL,
  backend           TEXT NOT NULL,
  threads           INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  error             TEXT,
  median_ns         REAL,
  mean_ns           REAL,
  stddev_ns         REAL,
  cv                REAL,
  min_ns            REAL,
  max_ns            REAL,
  gflops            REAL,
  gbps              REAL,
  roofline_fraction REAL,
  joules_per_iter   REAL,
  rel_l2            REAL,
  record            TEXT NOT NULL     -- JSON: the validated record without samples_ns
);
CREATE INDEX results_run ON results(run_id);
CREATE INDEX results_name ON results(name, precision, backend);

CREATE TABLE samples (
  result_id  TEXT NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  repetition INTEGER NOT NULL,
  ns         REAL NOT NULL,           -- time per iteration of this repetition
  PRIMARY KEY (result_id, repetition)
) WITHOUT ROWID;
