-- Limits that hold across every instance on this database. Keep in step with the other
-- engine's 0016_shared_limits.sql.

-- Sign-in attempts, by a hash of the address (and of the address with the account).
CREATE TABLE sign_in_attempts (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_last_at ON sign_in_attempts (last_at);

-- WhatsApp's pacing across instances. Only PostgreSQL runs several instances; one SQLite
-- process paces in memory and leaves this table empty.
CREATE TABLE send_turns (
    key TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL,
    gap INTEGER NOT NULL
);
