-- effbench results database, version 10: which runs had every series checked
-- for changes. `effbench import` stores a run's results, then checks its
-- series; a check that was interrupted (a SIGKILL, a full disk) left no trace
-- before, so importing the same file again said "nothing new to store" and
-- the run's changes were never looked for. A run without a row here is
-- checked when it is met again. Runs stored before this version were checked
-- when they were stored.

CREATE TABLE run_checks (
  run_id     TEXT PRIMARY KEY REFERENCES runs(id),
  checked_at TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO run_checks (run_id, checked_at)
  SELECT id, coalesce(finished_at, started_at) FROM runs;
