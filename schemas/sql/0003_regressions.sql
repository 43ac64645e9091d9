-- effbench results database, version 3: changes detected in the history of a
-- series (machine × workload id × threads × metric), with the commit range
-- that introduced them and a state a user sets.

CREATE TABLE regressions (
  id                  INTEGER PRIMARY KEY,
  machine_fingerprint TEXT NOT NULL,
  name                TEXT NOT NULL,      -- workload id: gemm.int8/m1024n1024k1024@onednn
  threads             INTEGER NOT NULL,
  metric              TEXT NOT NULL,      -- time (ns per iteration; lower is better)
  last_good_commit    TEXT NOT NULL,
  first_bad_commit    TEXT NOT NULL,
  first_bad_run       TEXT NOT NULL,      -- a run of first_bad_commit
  change              REAL NOT NULL,      -- mean after / mean before - 1
  pvalue              REAL NOT NULL,
  mean_before         REAL NOT NULL,
  mean_after          REAL NOT NULL,
  points_before       INTEGER NOT NULL,
  points_after        INTEGER NOT NULL,
  direction           TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
  state               TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'fixed', 'false-positive')),
  detected_at         TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  UNIQUE (machine_fingerprint, name, threads, metric, first_bad_commit)
);
CREATE INDEX regressions_state ON regressions(state, detected_at);
