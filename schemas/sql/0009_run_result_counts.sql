-- effbench results database, version 9: each run's counts of results by
-- status, in a narrow table of their own that the store keeps in the same
-- transaction as the results (InsertResults adds what it inserted, DeleteRun
-- removes the run's row). Listing runs counted them from the (run_id, status)
-- index on every call: 130 ms of every live page on 1,000,000 results (11,000
-- runs), now a join.
-- Not kept by triggers: a trigger on results gave every insert a statement
-- journal (with 16 KiB pages, spilled to a temporary file), and the
-- coordinator's ingest fell from about 55,000 to 25,000 results/s. Not columns
-- of runs either: updating a run's row rewrites its configuration with it.

CREATE TABLE run_counts (
  run_id  TEXT PRIMARY KEY,
  ok      INTEGER NOT NULL DEFAULT 0,
  failed  INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO run_counts (run_id, ok, failed, skipped)
  SELECT run_id, sum(status = 'ok'), sum(status = 'failed'), sum(status = 'skipped')
    FROM results GROUP BY run_id;
