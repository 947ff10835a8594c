-- 0003_message_parts: a long answer is written while it streams, in parts, so chat-api's
-- memory per stream stays bounded. Appending to messages.content would rewrite the whole
-- growing text at each part (quadratic); parts are appended instead, then joined into
-- messages.content, in order, when the answer ends, and deleted.
CREATE TABLE message_parts (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  part       integer NOT NULL CHECK (part >= 0),
  content    text NOT NULL,
  PRIMARY KEY (message_id, part)
);
