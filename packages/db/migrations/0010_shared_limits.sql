-- 0010_shared_limits: the per-user limits every chat-api replica sharing this database holds
-- together (issue 18): the stream cap (MAX_STREAMS_PER_USER) and /v1's request rate
-- (API_RATE_LIMIT_PER_MINUTE). Both belong to chat-api.
--
-- stream_slots: one row per answer streaming (chat UI or /v1), numbered 0 … cap-1 per user, so
-- the primary key is what refuses the (cap+1)-th stream, whichever replica asks. A row is bound
-- to its instance's lease (chat_instances, 0005): a slot whose instance's lease expired counts
-- as free (taken over by the next stream of that user) and is deleted by the next sweep, so a
-- crashed replica's slots come free within a lease and never leak. No foreign keys: nothing
-- here is worth a lock on users or chat_instances per stream.
CREATE TABLE stream_slots (
  user_id     uuid NOT NULL,
  slot        integer NOT NULL CHECK (slot >= 0),
  instance_id text NOT NULL,
  -- the stream holding the slot (random per stream): its release deletes its row only.
  holder      uuid NOT NULL,
  taken_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, slot)
);
CREATE INDEX stream_slots_instance_idx ON stream_slots (instance_id);

-- api_request_counts: /v1 requests per user in fixed one-minute windows (by the database's
-- clock), counted by one upsert per request; windows older than a few minutes are deleted.
CREATE TABLE api_request_counts (
  user_id      uuid NOT NULL,
  window_start timestamptz NOT NULL,
  requests     integer NOT NULL,
  PRIMARY KEY (user_id, window_start)
);
