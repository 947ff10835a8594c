import { createHash } from 'node:crypto';
import type { Queryable } from '../database.js';

/**
 * Marks an OAuth `state` as used (migration 0007's oauth_states_used, shared by every
 * replica); false when it already was: a replayed callback. Only a hash of the state is kept,
 * until `keepUntilMs`, when no flow cookie carrying it can still be valid.
 */
export async function consumeOAuthState(db: Queryable, state: string, keepUntilMs: number): Promise<boolean> {
  const hash = createHash('sha256').update(state).digest('hex');
  const { rowCount } = await db.query('INSERT INTO oauth_states_used (state_hash, expires_at_ms) VALUES ($1, $2) ON CONFLICT (state_hash) DO NOTHING', [hash, keepUntilMs], {
    operation: 'oauth_states.consume',
  });
  return rowCount === 1;
}

/** Deletes the used states no flow cookie can match any more; returns how many. */
export async function purgeUsedOAuthStates(db: Queryable, nowMs: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM oauth_states_used WHERE expires_at_ms <= $1', [nowMs], { operation: 'oauth_states.purge' });
  return rowCount;
}
