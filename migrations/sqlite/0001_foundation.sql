-- Frontdesk foundation schema (SQLite). Times are UTC milliseconds since the Unix epoch,
-- so both databases store and compare them the same way. Flags are 0/1 integers: sqlx's
-- Any driver cannot read SQLite booleans. Keep in step with
-- migrations/postgres/0001_foundation.sql.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'marketer')),
    created_at INTEGER NOT NULL
);

-- Only a hash of the session token is stored: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    wa_id TEXT NOT NULL UNIQUE,
    name TEXT,
    name_source TEXT CHECK (name_source IN ('customer', 'whatsapp_profile', 'staff')),
    profile_name TEXT,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    last_inbound_at INTEGER,
    opted_out_at INTEGER,
    last_outcome TEXT CHECK (last_outcome IN
        ('booked', 'booking_abandoned', 'cancelled', 'opted_out', 'human_handled', 'no_response')),
    last_outcome_at INTEGER,
    notes TEXT NOT NULL DEFAULT '',
    CHECK (name IS NULL OR name_source IS NOT NULL)
);
CREATE INDEX contacts_by_name ON contacts (name);

-- One conversation per contact: the thread between the business and that customer.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL UNIQUE REFERENCES contacts (id) ON DELETE CASCADE,
    mode TEXT NOT NULL DEFAULT 'bot' CHECK (mode IN ('bot', 'human')),
    assigned_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    flow_state TEXT NOT NULL DEFAULT 'idle',
    last_activity_at INTEGER NOT NULL,
    last_message_preview TEXT,
    unread_count INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    needs_attention INTEGER NOT NULL DEFAULT 0 CHECK (needs_attention IN (0, 1)),
    created_at INTEGER NOT NULL
);
CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC, id DESC);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author TEXT NOT NULL CHECK (author IN ('customer', 'bot', 'staff', 'system')),
    staff_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    wa_message_id TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'delivered', 'read', 'failed')),
    error TEXT,
    intent TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    thinking_tokens INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role_title TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- Which staff member performs which service.
CREATE TABLE staff_services (
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, service_id)
);

-- Opening periods in the business time zone; a weekday without rows is closed.
CREATE TABLE business_hours (
    id INTEGER PRIMARY KEY,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens_minute INTEGER NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute INTEGER NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute),
    UNIQUE (weekday, opens_minute)
);

CREATE TABLE faqs (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    template_text TEXT NOT NULL,
    audience_filter TEXT NOT NULL DEFAULT '{}',
    daily_limit INTEGER NOT NULL CHECK (daily_limit > 0),
    recency_days INTEGER NOT NULL CHECK (recency_days >= 0),
    excluded_outcomes TEXT NOT NULL DEFAULT 'opted_out',
    disclaimer_accepted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    disclaimer_accepted_at INTEGER,
    min_delay_seconds INTEGER NOT NULL CHECK (min_delay_seconds >= 0),
    max_delay_seconds INTEGER NOT NULL,
    quiet_start_minute INTEGER CHECK (quiet_start_minute BETWEEN 0 AND 1439),
    quiet_end_minute INTEGER CHECK (quiet_end_minute BETWEEN 0 AND 1439),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'completed', 'cancelled')),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    launched_at INTEGER,
    completed_at INTEGER,
    CHECK (min_delay_seconds <= max_delay_seconds)
);

CREATE TABLE campaign_recipients (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    rendered_text TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'scheduled', 'sent', 'delivered', 'read', 'failed', 'skipped')),
    skip_reason TEXT,
    scheduled_at INTEGER,
    sent_at INTEGER,
    wa_message_id TEXT UNIQUE,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, contact_id),
    CHECK (status <> 'skipped' OR skip_reason IS NOT NULL)
);
CREATE INDEX campaign_recipients_by_status ON campaign_recipients (campaign_id, status);
-- The recency check and the daily counter look up sends by contact and by time.
CREATE INDEX campaign_recipients_by_contact ON campaign_recipients (contact_id, sent_at);
CREATE INDEX campaign_recipients_by_sent ON campaign_recipients (sent_at);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    source TEXT NOT NULL CHECK (source IN ('bot', 'staff', 'campaign')),
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    created_at INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX appointments_by_staff ON appointments (staff_id, starts_at);
CREATE INDEX appointments_by_contact ON appointments (contact_id, starts_at);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL DEFAULT '#6b7280'
);

CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_by_tag ON contact_tags (tag_id);

-- The persistent queue behind follow-ups, retries and campaign sends: a restart loses nothing.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
