-- 0006_client_message_id: idempotent sends. A send may carry a client message id (the
-- Idempotency-Key header or the client_message_id field); a retry with the same id in the same
-- conversation finds the message stored the first time instead of storing it twice.
ALTER TABLE messages ADD COLUMN client_message_id text;
CREATE UNIQUE INDEX messages_client_message_id_key ON messages (conversation_id, client_message_id) WHERE client_message_id IS NOT NULL;
-- A stop requested for a streaming answer (POST …/messages/:id/stop), from any replica: the
-- instance streaming it watches this flag.
ALTER TABLE messages ADD COLUMN stop_requested_at timestamptz;
