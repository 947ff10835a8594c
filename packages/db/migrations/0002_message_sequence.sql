-- 0002_message_sequence: messages are ordered by a per-database sequence number (`seq`),
-- not by created_at. Timestamps are for people: two inserts can carry the same clock time
-- (PGlite's clock has been seen to repeat within one transaction), a sequence cannot.
-- Existing rows keep the order they had: (created_at, id).
ALTER TABLE messages ADD COLUMN seq bigint;
UPDATE messages AS m SET seq = o.position
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS position FROM messages) AS o
 WHERE m.id = o.id;
CREATE SEQUENCE messages_seq_seq AS bigint OWNED BY messages.seq;
SELECT setval('messages_seq_seq', COALESCE((SELECT max(seq) FROM messages), 0) + 1, false);
ALTER TABLE messages ALTER COLUMN seq SET DEFAULT nextval('messages_seq_seq');
ALTER TABLE messages ALTER COLUMN seq SET NOT NULL;
ALTER TABLE messages ADD CONSTRAINT messages_seq_key UNIQUE (seq);
CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq);
DROP INDEX messages_conversation_created_idx;
