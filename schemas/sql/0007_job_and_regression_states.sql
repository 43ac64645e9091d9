-- effbench results database, version 7.
--
-- Jobs may be 'cancelled' (effbench jobs cancel). A 'failed' job also covers
-- one whose lease ran out (its agent stayed gone); `error` says which.
--
-- Regressions keep their identity: an id once shown names that change
-- forever. Ids come from AUTOINCREMENT, so they are never reused, and a change
-- later history no longer supports is not deleted but 'withdrawn', with the
-- reason. A series that returns to its old level marks its regression
-- 'fixed', with the commit range of the recovery.
--
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt
-- with their rows and ids.

CREATE TABLE jobs_v7 (
  id          TEXT PRIMARY KEY,
  agent       TEXT NOT NULL,
  run_id      TEXT NOT NULL UNIQUE,
  suite       TEXT NOT NULL,
  spec        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'dispatched', 'done', 'failed', 'cancelled')),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  error       TEXT
);
INSERT INTO jobs_v7 (id, agent, run_id, suite, spec, state, created_at, updated_at, error)
  SELECT id, agent, run_id, suite, spec, state, created_at, updated_at, error FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v7 RENAME TO jobs;
CREATE INDEX jobs_agent_state ON jobs(agent, state, created_at);

CREATE TABLE regressions_v7 (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  machine_fingerprint TEXT NOT NULL,
  name                TEXT NOT NULL,
  threads             INTEGER NOT NULL,
  metric              TEXT NOT NULL,
  last_good_commit    TEXT NOT NULL,
  first_bad_commit    TEXT NOT NULL,
  first_bad_run       TEXT NOT NULL,
  change              REAL NOT NULL,
  pvalue              REAL NOT NULL,
  mean_before         REAL NOT NULL,
  mean_after          REAL NOT NULL,
  points_before       INTEGER NOT NULL,
  points_after        INTEGER NOT NULL,
  direction           TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
  state               TEXT NOT NULL
                      CHECK (state IN ('new', 'acknowledged', 'fixed', 'false-positive', 'withdrawn')),
  detected_at         TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  reason              TEXT,               -- why withdrawn or fixed, in words
  fixed_last_bad_commit   TEXT,           -- the recovery: the last commit at the changed level
  fixed_first_good_commit TEXT,           --   and the first back at the old one
  UNIQUE (machine_fingerprint, name, threads, metric, first_bad_commit)
);
INSERT INTO regressions_v7 (id, machine_fingerprint, name, threads, metric, last_good_commit,
                            first_bad_commit, first_bad_run, change, pvalue, mean_before,
                            mean_after, points_before, points_after, direction, state,
                            detected_at, updated_at)
  SELECT id, machine_fingerprint, name, threads, metric, last_good_commit, first_bad_commit,
         first_bad_run, change, pvalue, mean_before, mean_after, points_before, points_after,
         direction, state, detected_at, updated_at
  FROM regressions;
DROP TABLE regressions;
ALTER TABLE regressions_v7 RENAME TO regressions;
CREATE INDEX regressions_state ON regressions(state, detected_at);
