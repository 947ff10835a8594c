-- 0005_answer_lifecycle: an answer is in the database from the moment it starts streaming, so a
-- crash leaves it visible instead of losing it.
--   * messages.status gains 'streaming' (in flight) and 'stopped' (the user stopped it);
--     a streaming answer's text so far is its message_parts, flushed while it streams.
--   * owner_instance names the chat-api instance streaming it; chat_instances holds one lease
--     per instance (a heartbeat), so liveness costs one write per instance, not one per answer.
--     Streaming answers whose instance's lease expired are marked 'incomplete' with
--     failure_code 'interrupted' by any instance.
--   * failure_code / failure_message: why an answer ended short (a stable code and a message
--     for people), returned by the API so a reload shows what was shown live.
--   * The history_version trigger of 0004 no longer fires for what is not history yet: the
--     insert of a streaming row, updates that keep it streaming, its deletion, and every write
--     to message_parts (part flushes). So flushes neither evict history caches nor reorder the
--     conversation list; the answer bumps the version once, when it ends.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
  CHECK (status IN ('complete', 'incomplete', 'error', 'streaming', 'stopped'));
ALTER TABLE messages ADD COLUMN owner_instance text;
ALTER TABLE messages ADD COLUMN failure_code text;
ALTER TABLE messages ADD COLUMN failure_message text;
-- The sweep looks only at streaming answers.
CREATE INDEX messages_streaming_idx ON messages (owner_instance) WHERE status = 'streaming';

-- expires_at is set by the instance itself at each heartbeat (now() + its own lease), so
-- instances with different lease settings never misjudge each other; the database's clock is
-- the only clock.
CREATE TABLE chat_instances (
  id           text PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION messages_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.status = 'streaming' THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'streaming' AND NEW.status = 'streaming' THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' AND OLD.status = 'streaming' THEN RETURN NULL; END IF;
  UPDATE conversations SET history_version = history_version + 1, updated_at = now()
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.conversation_id ELSE NEW.conversation_id END;
  IF TG_OP = 'UPDATE' AND NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
    UPDATE conversations SET history_version = history_version + 1, updated_at = now() WHERE id = OLD.conversation_id;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER message_parts_touch_conversation ON message_parts;
DROP FUNCTION message_parts_touch_conversation();
