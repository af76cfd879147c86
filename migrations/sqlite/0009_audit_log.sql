-- Who did what, and when: staff takeovers, campaign launches, role changes, and the export
-- and erasure of a customer's data. Each entry is written in the transaction of the change it
-- records, so there is no change without its entry and no entry without its change. Keep in
-- step with migrations/postgres/0009_audit_log.sql.
--
-- No personal data of customers goes in here (no names, numbers or message text): an entry
-- names its subject by kind and id, and it outlives an erased contact.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    -- The staff account that acted, and a copy of who that was: the entry outlives the account.
    actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_email TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    -- Set when the account acted through an API token (POST /api/campaigns/broadcast); a copy
    -- too, since tokens go with their account.
    api_token_id INTEGER,
    api_token_name TEXT,
    -- Kinds of action and subject are checked by the code (`model::AuditAction`), not here, so
    -- a new kind needs no rebuilt table.
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
-- Read newest first, by id (the primary key): no other index is needed.
