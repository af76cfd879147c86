-- A stored message moves its conversation to the top of the inbox (activity time, preview,
-- unread count) inside the same statement: one write per message, and no code path can
-- store a message and forget its conversation.
CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
BEGIN
    UPDATE conversations SET
        last_activity_at = MAX(last_activity_at, NEW.created_at),
        last_message_preview = substr(NEW.body, 1, 120),
        unread_count = unread_count + (CASE WHEN NEW.direction = 'inbound' THEN 1 ELSE 0 END)
    WHERE id = NEW.conversation_id;
END;
