import type { Queryable } from './database.js';

/** What the limiter decided about one attempt. */
export interface AttemptDecision {
  allowed: boolean;
  /** When refused: whole seconds until the oldest counted attempt leaves the window (≥ 1). */
  retryAfterSeconds: number;
}

/** The window every replica applies: at most `max` attempts per `windowMs`. */
export interface AttemptWindow {
  max: number;
  windowMs: number;
}

// One statement decides and records: the conflicting row is locked by the upsert, so two
// replicas counting the same address at once are serialised by PostgreSQL, never both let in
// on the last slot. Every expression of DO UPDATE reads the row as it was before this attempt.
// Refused attempts are not recorded, so a client that waits is let in again (sliding window).
const HIT_SQL = `
INSERT INTO login_attempts AS l (endpoint, client_address, attempts_ms, last_allowed, last_seen_ms)
VALUES ($1, $2, ARRAY[$3::bigint], true, $3::bigint)
ON CONFLICT (endpoint, client_address) DO UPDATE SET
  last_allowed = (SELECT count(*) FROM unnest(l.attempts_ms) AS a WHERE a > $4::bigint) < $5::int,
  attempts_ms = CASE
    WHEN (SELECT count(*) FROM unnest(l.attempts_ms) AS a WHERE a > $4::bigint) < $5::int
    THEN ARRAY(SELECT a FROM unnest(l.attempts_ms) AS a WHERE a > $4::bigint ORDER BY a) || $3::bigint
    ELSE ARRAY(SELECT a FROM unnest(l.attempts_ms) AS a WHERE a > $4::bigint ORDER BY a)
  END,
  last_seen_ms = GREATEST(l.last_seen_ms, $3::bigint)
RETURNING last_allowed AS allowed, attempts_ms[1] AS oldest_ms`;

/**
 * Counts one attempt of `clientAddress` at `endpoint` at time `nowMs` in the shared table
 * (migration 0007) and says whether it may proceed.
 */
export async function recordLoginAttempt(db: Queryable, window: AttemptWindow, endpoint: string, clientAddress: string, nowMs: number): Promise<AttemptDecision> {
  const { rows } = await db.query<{ allowed: boolean; oldest_ms: string | number | null }>(HIT_SQL, [endpoint, clientAddress, nowMs, nowMs - window.windowMs, window.max], { operation: 'login_attempts.hit' });
  const row = rows[0];
  if (!row || row.allowed) return { allowed: true, retryAfterSeconds: 0 };
  const oldest = Number(row.oldest_ms ?? nowMs);
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + window.windowMs - nowMs) / 1000)) };
}

/** Deletes the rows of addresses whose last attempt left the window; returns how many. */
export async function purgeLoginAttempts(db: Queryable, windowMs: number, nowMs: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM login_attempts WHERE last_seen_ms <= $1', [nowMs - windowMs], { operation: 'login_attempts.purge' });
  return rowCount;
}
