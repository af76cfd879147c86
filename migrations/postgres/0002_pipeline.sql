-- The message pipeline: jobs of one lane (one contact's messages) run one at a time, in
-- order; a reply remembers the inbound message it answers, so a retried job never answers twice.
ALTER TABLE jobs ADD COLUMN lane TEXT;
CREATE INDEX jobs_by_lane ON jobs (lane, status, id);
ALTER TABLE messages ADD COLUMN reply_to_message_id BIGINT REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX messages_by_reply ON messages (reply_to_message_id);
