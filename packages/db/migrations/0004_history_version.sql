-- 0004_history_version: a conversation's history has a version. Every change to its messages
-- (insert, update, delete; parts of a streaming answer too) bumps conversations.history_version
-- and updated_at, here in the database, whoever writes: chat-api replicas of any version, a
-- migration, an operator with psql. chat-api's history cache keeps the version it last saw and
-- the statement that saves a user message returns the one it locked: equal versions mean the
-- cached history is the database's (SPEC §6: the cache is a guess, never the truth).
ALTER TABLE conversations ADD COLUMN history_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION messages_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE conversations SET history_version = history_version + 1, updated_at = now()
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.conversation_id ELSE NEW.conversation_id END;
  IF TG_OP = 'UPDATE' AND NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
    UPDATE conversations SET history_version = history_version + 1, updated_at = now() WHERE id = OLD.conversation_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_touch_conversation AFTER INSERT OR UPDATE OR DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION messages_touch_conversation();

CREATE FUNCTION message_parts_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE conversations SET history_version = history_version + 1, updated_at = now()
   WHERE id = (SELECT conversation_id FROM messages
                WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.message_id ELSE NEW.message_id END);
  RETURN NULL;
END
$$;
CREATE TRIGGER message_parts_touch_conversation AFTER INSERT OR UPDATE OR DELETE ON message_parts
  FOR EACH ROW EXECUTE FUNCTION message_parts_touch_conversation();
