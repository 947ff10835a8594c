-- 0007_login_attempts_and_oauth_states: state every auth replica must share. Kept in
-- memory it was one copy per process, so N replicas allowed N times the login attempts.
--
-- login_attempts: per (endpoint, client address), the times (Unix ms, oldest first) of the
-- attempts let through in the current window. One upsert per attempt decides and records it
-- under the row's lock, so concurrent attempts on any replica are counted exactly once.
CREATE TABLE login_attempts (
  endpoint       text     NOT NULL,
  client_address text     NOT NULL,
  attempts_ms    bigint[] NOT NULL,
  last_allowed   boolean  NOT NULL,
  last_seen_ms   bigint   NOT NULL,
  PRIMARY KEY (endpoint, client_address)
);
-- The sweep deletes rows whose last attempt left the window.
CREATE INDEX login_attempts_last_seen ON login_attempts (last_seen_ms);

-- oauth_states_used: the OAuth `state` values already brought back to /auth/callback, so a
-- sign-in URL and its flow cookie work once, on any replica, not for their 10 minutes. Only a
-- SHA-256 of the state is kept; a row outlives the flow cookie it matches and is swept after.
CREATE TABLE oauth_states_used (
  state_hash    text   PRIMARY KEY,
  expires_at_ms bigint NOT NULL
);
CREATE INDEX oauth_states_used_expiry ON oauth_states_used (expires_at_ms);
