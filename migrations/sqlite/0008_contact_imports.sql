-- CSV imports of contacts: one row per import, its counters advanced in the same transaction
-- as each chunk of contacts it writes, so after an interruption the row says exactly what
-- was applied. Keep in step with migrations/postgres/0008_contact_imports.sql.
CREATE TABLE contact_imports (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- SHA-256 of the file, so a rerun of the same file can be recognised.
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
    -- What reading the file found: data lines, lines rejected, lines merged into an earlier
    -- line of the same number, and the distinct contacts left to write.
    lines INTEGER NOT NULL CHECK (lines >= 0),
    rejected INTEGER NOT NULL CHECK (rejected >= 0),
    duplicates INTEGER NOT NULL CHECK (duplicates >= 0),
    contacts INTEGER NOT NULL CHECK (contacts >= 0),
    -- What has been written so far, chunk by chunk.
    applied INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    merged INTEGER NOT NULL DEFAULT 0,
    consent_given INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    CHECK (lines = rejected + duplicates + contacts),
    CHECK (applied <= contacts AND applied = created + merged),
    CHECK (status <> 'completed' OR applied = contacts)
);
CREATE INDEX contact_imports_by_start ON contact_imports (started_at);
