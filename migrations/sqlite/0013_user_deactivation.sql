-- Staff accounts an admin has deactivated: they cannot sign in, and their sessions and API
-- tokens open nothing, until an admin reactivates them. The row stays, so the audit log,
-- assignments and campaigns keep pointing at who it was. Keep in step with
-- migrations/postgres/0013_user_deactivation.sql.
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;
