-- The ROI figures look up, for each booking the bot took, the bot's follow-up of an
-- unfinished booking in that customer's conversation: few messages, so a small index of
-- just those. Keep in step with the other engine's 0015_follow_up_index.sql.
CREATE INDEX messages_booking_follow_ups ON messages (conversation_id, created_at)
    WHERE intent = 'BOOKING_ABANDONED';
