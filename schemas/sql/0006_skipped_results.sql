-- effbench results database, version 6: a result may be 'skipped', a variant
-- this machine cannot run (it lacks an ISA feature, a device or a dataset),
-- with the reason in `error`. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt with the same columns, in the same order
-- (nothing references results since version 4 dropped samples).

CREATE TABLE results_v6 (
  id                TEXT PRIMARY KEY,
  run_id            TEXT NOT NULL REFERENCES runs(id),
  name              TEXT NOT NULL,
  workload          TEXT NOT NULL,
  precision         TEXT NOT NULL,
  sparsity          TEXT NOT NULL,
  backend           TEXT NOT NULL,
  threads           INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
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
  record            TEXT NOT NULL,
  samples_ns        TEXT NOT NULL DEFAULT '[]'
);

INSERT INTO results_v6 (id, run_id, name, workload, precision, sparsity, backend, threads, status,
                        error, median_ns, mean_ns, stddev_ns, cv, min_ns, max_ns, gflops, gbps,
                        roofline_fraction, joules_per_iter, rel_l2, record, samples_ns)
  SELECT id, run_id, name, workload, precision, sparsity, backend, threads, status, error,
         median_ns, mean_ns, stddev_ns, cv, min_ns, max_ns, gflops, gbps, roofline_fraction,
         joules_per_iter, rel_l2, record, samples_ns
  FROM results;

DROP TABLE results;
ALTER TABLE results_v6 RENAME TO results;
CREATE INDEX results_run ON results(run_id);
