-- 0001_initial: users, refresh tokens, conversations, messages (SPEC §6).
-- Runs on PostgreSQL 15+ and PGlite. Forward-only: never edit this file once applied;
-- put changes in a new NNNN_name.sql.

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stored lower-cased (the check makes the unique constraint case-insensitive).
  email         text NOT NULL UNIQUE CHECK (email = lower(email)),
  name          text,
  avatar_url    text,
  provider      text NOT NULL,
  provider_id   text NOT NULL,
  is_admin      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  UNIQUE (provider, provider_id)
);

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- sha256 of the token in lower-case hex; the token itself is never stored.
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  -- Rotation chain: presenting an already rotated token revokes the whole family.
  family_id   uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  replaced_by uuid
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE conversations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title      text,
  model_tag  text,
  favorited  boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The sidebar: a user's conversations, most recently updated first, keyset-paginated.
CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id);

CREATE TABLE messages (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id   uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role              text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content           text NOT NULL,
  token_count       integer CHECK (token_count >= 0),
  model_tag         text,
  inference_time_ms integer CHECK (inference_time_ms >= 0),
  status            text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'incomplete', 'error')),
  -- clock_timestamp(), not now(): messages written in one transaction still get distinct, ordered times.
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id);
