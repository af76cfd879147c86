-- Campaigns that are safe to send: WhatsApp templates, marketing consent, per-recipient
-- state that survives a crash, the daily limit as a counter, API tokens for integrators.
-- Keep in step with migrations/postgres/0007_campaigns.sql.

-- WhatsApp message templates, as synced from Graph (or from the demo data). `parameters`
-- lists the body's placeholders in order, comma-separated: names (`customer_name`) for
-- named templates, numbers (`1,2`) for positional ones.
CREATE TABLE message_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '',
    synced_at INTEGER NOT NULL,
    UNIQUE (name, language)
);

-- Marketing consent: when it was given and how ('staff', 'import', 'customer').
ALTER TABLE contacts ADD COLUMN consent_at INTEGER;
ALTER TABLE contacts ADD COLUMN consent_source TEXT CHECK (consent_source IN ('staff', 'import', 'customer'));
-- When the customer used WhatsApp's own "stop promotions": no campaigns, the bot still answers.
ALTER TABLE contacts ADD COLUMN marketing_stopped_at INTEGER;

-- The campaign tables had no users yet; they are rebuilt with the states sending needs.
DROP TABLE campaign_recipients;
DROP TABLE campaigns;

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- Free text with {customer_name}, or, for a template campaign, its preview text.
    message_text TEXT NOT NULL,
    template_id INTEGER REFERENCES message_templates (id),
    name_fallback TEXT NOT NULL,
    audience TEXT NOT NULL,
    recency_days INTEGER NOT NULL CHECK (recency_days >= 0),
    excluded_outcomes TEXT NOT NULL,
    min_delay_seconds INTEGER NOT NULL CHECK (min_delay_seconds >= 0),
    max_delay_seconds INTEGER NOT NULL,
    -- Sending hours in business-local minutes of the day, [from, until).
    sending_from_minute INTEGER NOT NULL CHECK (sending_from_minute BETWEEN 0 AND 1439),
    sending_until_minute INTEGER NOT NULL CHECK (sending_until_minute BETWEEN 1 AND 1440),
    holdout_percent INTEGER NOT NULL DEFAULT 0 CHECK (holdout_percent BETWEEN 0 AND 50),
    attribution_days INTEGER NOT NULL CHECK (attribution_days >= 0),
    -- `preparing` while launch writes the recipients in chunks; nothing is sent until `sending`.
    status TEXT NOT NULL CHECK (status IN ('preparing', 'sending', 'paused', 'completed', 'cancelled')),
    pause_reason TEXT,
    disclaimer_accepted_by INTEGER NOT NULL REFERENCES users (id),
    disclaimer_accepted_at INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_hash TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- The earliest time of this campaign's next send: the human-like spacing, kept across restarts.
    next_send_at INTEGER NOT NULL,
    completed_at INTEGER,
    CHECK (min_delay_seconds <= max_delay_seconds),
    CHECK (sending_from_minute < sending_until_minute)
);
CREATE INDEX campaigns_by_status ON campaigns (status, next_send_at);

-- One row per contact of the audience, created once at launch. `sending` is claimed and
-- in WhatsApp's hands; found so after a crash it becomes `unknown`, never sent again.
CREATE TABLE campaign_recipients (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    rendered_text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'sent', 'delivered', 'read', 'replied',
        'failed', 'skipped', 'held_out', 'unknown', 'expired', 'cancelled')),
    reason TEXT,
    scheduled_at INTEGER NOT NULL,
    claimed_at INTEGER,
    sent_at INTEGER,
    wa_message_id TEXT UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    UNIQUE (campaign_id, contact_id),
    CHECK (status NOT IN ('skipped', 'failed', 'unknown') OR reason IS NOT NULL)
);
CREATE INDEX campaign_recipients_due ON campaign_recipients (campaign_id, status, scheduled_at, id);
-- The recency check looks up sends by contact; replies and bookings find the last one.
CREATE INDEX campaign_recipients_by_contact ON campaign_recipients (contact_id, sent_at);

-- Campaign messages per business day ('YYYY-MM-DD', business time zone), all campaigns
-- together. A send reserves its place here first, in the same transaction that claims
-- the recipient, so the limit holds however many campaigns send at once.
CREATE TABLE campaign_days (
    day TEXT PRIMARY KEY,
    sent INTEGER NOT NULL CHECK (sent >= 0)
);

-- Tokens for integrators (POST /api/campaigns/broadcast). Only a SHA-256 of the token is
-- kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
