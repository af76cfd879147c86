-- A stored message moves its conversation to the top of the inbox (activity time, preview,
-- unread count) inside the same statement: one write per message, and no code path can
-- store a message and forget its conversation.
CREATE FUNCTION messages_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET
        last_activity_at = GREATEST(last_activity_at, NEW.created_at),
        last_message_preview = substr(NEW.body, 1, 120),
        unread_count = unread_count + (CASE WHEN NEW.direction = 'inbound' THEN 1 ELSE 0 END)
    WHERE id = NEW.conversation_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_touch_conversation();
