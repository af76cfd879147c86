-- Limits that hold across every instance on this database. Keep in step with the other
-- engine's 0016_shared_limits.sql.

-- Sign-in attempts, by a hash of the address (and of the address with the account), so the
-- sign-in throttle counts guesses made through any instance.
CREATE TABLE sign_in_attempts (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_last_at ON sign_in_attempts (last_at);

-- WhatsApp's pacing: when the business number, and each person (a hash of their number),
-- may next be sent to, and the spacing taken, in microseconds by the database's clock.
-- Unlogged: after a crash it starts empty, which is harmless, and writing it costs no wait
-- for the write-ahead log on every send.
CREATE UNLOGGED TABLE send_turns (
    key TEXT PRIMARY KEY,
    next_at BIGINT NOT NULL,
    gap BIGINT NOT NULL
);
