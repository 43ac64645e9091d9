-- effbench results database, version 8: results indexed by (run_id, status)
-- instead of run_id alone. Listing runs counts each run's ok and failed
-- results; with status in the index those counts read the index only, where
-- they read every result's row before (on 1,000,000 results, 50 machines x
-- 200 commits, `effbench report` took 20 s, most of it there). The index
-- still serves every lookup by run, and ingest keeps one index, as before.

DROP INDEX IF EXISTS results_run;
CREATE INDEX results_run_status ON results(run_id, status);
