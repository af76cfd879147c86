-- Searching the inbox by part of a name or number: trigram indexes serve the list's
-- `LIKE '%…%'` conditions, so a specific search need not walk every conversation.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_name_trigrams ON contacts USING gin (LOWER(COALESCE(name, '')) gin_trgm_ops);
CREATE INDEX contacts_wa_id_trigrams ON contacts USING gin (wa_id gin_trgm_ops);
