-- 0009_api_keys: per-user API keys for the OpenAI-compatible API (/v1), and their usage.
--
-- api_keys belongs to auth: a key is shown once when created and only its SHA-256 is kept.
-- `prefix` (`sk-sc-` and the next 8 characters) is what the user sees in the list, and what
-- a presented key is looked up by before its hash is compared in constant time.
CREATE TABLE api_keys (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       text NOT NULL,
  prefix     text NOT NULL,
  -- sha256 of the whole key in lower-case hex; the key itself is never stored.
  key_hash   text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);

-- api_key_usage belongs to chat-api: totals per key, added to in batches (one statement per
-- flush, not one write per request). `last_used_at` is the "last use" the key list shows.
CREATE TABLE api_key_usage (
  key_id            uuid PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  requests          bigint NOT NULL DEFAULT 0,
  prompt_tokens     bigint NOT NULL DEFAULT 0,
  completion_tokens bigint NOT NULL DEFAULT 0,
  last_used_at      timestamptz NOT NULL
);
CREATE INDEX api_key_usage_user_idx ON api_key_usage (user_id);
