-- effbench results database, version 4: a result's samples move into its row,
-- as a JSON array of nanoseconds per iteration in repetition order
-- (`SELECT value FROM results, json_each(results.samples_ns)` lists them).
-- One row a result instead of one a repetition: a coordinator ingesting a
-- fleet's results writes a tenth of the rows, and a result reads in one step.

ALTER TABLE results ADD COLUMN samples_ns TEXT NOT NULL DEFAULT '[]';

UPDATE results SET samples_ns = (
  SELECT json_group_array(ns) FROM (
    SELECT ns FROM samples WHERE samples.result_id = results.id ORDER BY repetition))
WHERE EXISTS (SELECT 1 FROM samples WHERE samples.result_id = results.id);

DROP TABLE samples;
