-- effbench results database, version 11: each agent's own credential. An
-- enrolled agent proves a key of its own instead of the fleet token; only
-- the key's stored form is kept (SHA-256 of its HMAC client key, as for the
-- fleet token: it cannot make a proof), and a revoked key stays, with when,
-- so that the name stays refused.

CREATE TABLE agent_keys (
  name        TEXT PRIMARY KEY,
  stored_key  TEXT NOT NULL CHECK (length(stored_key) = 64),
  enrolled_at TEXT NOT NULL,
  revoked_at  TEXT
) WITHOUT ROWID;
