-- What `effbench db prune` leaves of a change whose series lost results to
-- it: the change stays with the numbers that summarise it (means, points,
-- commits), and pruned_at says when its data went. The regression check
-- never withdraws such a change for want of the results it no longer has.
-- The same SQL on SQLite and PostgreSQL.
ALTER TABLE regressions ADD COLUMN pruned_at TEXT;
