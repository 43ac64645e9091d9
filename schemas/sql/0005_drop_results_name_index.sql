-- effbench results database, version 5: no index on results(name, precision,
-- backend). A series' history is found from its machine's runs
-- (runs_machine, then results_run), which is the plan SQLite chose anyway;
-- the name index only cost ingest: a fleet writes results of dozens of
-- workloads at once, so every commit rewrote as many of its leaf pages. On
-- a 2-core VM (16 runs x 40 workloads, 256 results a transaction) dropping it
-- took SQLite from about 12 to 7.4 us a result.

DROP INDEX IF EXISTS results_name;
