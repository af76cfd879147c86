-- The ROI figures read a range of days: messages, bookings and campaign sends by time.
CREATE INDEX messages_by_time ON messages (created_at);
CREATE INDEX appointments_by_creation ON appointments (created_at);
CREATE INDEX campaign_recipients_by_send ON campaign_recipients ((COALESCE(sent_at, scheduled_at)));
