import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuthDatabase, Queryable } from './database.js';

/** Default lifetime of a refresh token (REFRESH_TOKEN_TTL_SECONDS): 7 days. */
export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 604_800;

// 256 random bits, base64url without padding.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new refresh token: 256 random bits, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores instead of the token: its SHA-256, hex. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A refresh token handed to the client (the only time the plain value exists). */
export interface IssuedRefreshToken {
  token: string;
  id: string;
  familyId: string;
  expiresAt: Date;
}

/**
 * Stores a new refresh token for `userId`. Without `familyId` it starts a new family
 * (a new login); rotations pass the family on, so theft detection can revoke all of it.
 */
export async function issueRefreshToken(db: Queryable, userId: string, ttlSeconds: number, familyId: string = randomUUID()): Promise<IssuedRefreshToken> {
  const token = newRefreshToken();
  const id = randomUUID();
  const { rows } = await db.query<{ expires_at: Date | string }>(
    `INSERT INTO refresh_tokens (id, user_id, token_hash, family_id, expires_at)
     VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second') RETURNING expires_at`,
    [id, userId, hashRefreshToken(token), familyId, ttlSeconds],
    { operation: 'refresh_tokens.insert' },
  );
  return { token, id, familyId, expiresAt: new Date((rows[0] as { expires_at: Date | string }).expires_at) };
}

/** The result of presenting a refresh token. */
export type RotationResult =
  | { ok: true; userId: string; next: IssuedRefreshToken }
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: false; reason: 'reused'; userId: string; familyId: string; revoked: number };

interface StoredToken {
  id: string;
  user_id: string;
  family_id: string;
  revoked_at: Date | string | null;
  expired: boolean;
}

/**
 * Trades a refresh token for a new one of the same family: the old one is revoked and
 * points at its successor. Presenting a token that was already rotated or revoked means
 * two parties hold the family (the classic sign of a stolen token), so every token of the
 * family is revoked and the caller must sign in again.
 */
export async function rotateRefreshToken(db: AuthDatabase, presented: string, ttlSeconds: number): Promise<RotationResult> {
  if (!TOKEN_SHAPE.test(presented)) return { ok: false, reason: 'invalid' };
  return db.transaction(async (tx): Promise<RotationResult> => {
    const { rows } = await tx.query<StoredToken>(
      'SELECT id, user_id, family_id, revoked_at, expires_at <= now() AS expired FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
      [hashRefreshToken(presented)],
      { operation: 'refresh_tokens.find' },
    );
    const stored = rows[0];
    if (!stored) return { ok: false, reason: 'invalid' };
    if (stored.revoked_at !== null) {
      const revoked = await revokeFamily(tx, stored.family_id);
      return { ok: false, reason: 'reused', userId: stored.user_id, familyId: stored.family_id, revoked };
    }
    if (stored.expired) {
      await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1', [stored.id], { operation: 'refresh_tokens.revoke' });
      return { ok: false, reason: 'expired' };
    }
    const next = await issueRefreshToken(tx, stored.user_id, ttlSeconds, stored.family_id);
    await tx.query('UPDATE refresh_tokens SET revoked_at = now(), replaced_by = $2 WHERE id = $1', [stored.id, next.id], { operation: 'refresh_tokens.rotate' });
    return { ok: true, userId: stored.user_id, next };
  });
}

async function revokeFamily(db: Queryable, familyId: string): Promise<number> {
  const { rowCount } = await db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId], { operation: 'refresh_tokens.revoke_family' });
  return rowCount;
}

/**
 * Logout: revokes the family of the presented token (the session, on every device that
 * shares it). Returns the user it belonged to, or undefined for an unknown token.
 */
export async function revokeRefreshSession(db: Queryable, presented: string): Promise<{ userId: string; revoked: number } | undefined> {
  if (!TOKEN_SHAPE.test(presented)) return undefined;
  const { rows } = await db.query<{ user_id: string; family_id: string }>('SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1', [hashRefreshToken(presented)], {
    operation: 'refresh_tokens.find',
  });
  const stored = rows[0];
  if (!stored) return undefined;
  return { userId: stored.user_id, revoked: await revokeFamily(db, stored.family_id) };
}

/**
 * Deletes tokens that expired more than a day ago. Expired tokens are refused anyway; the
 * day of slack keeps recent ones for the logs of an investigation.
 */
export async function purgeExpiredRefreshTokens(db: Queryable): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'", [], { operation: 'refresh_tokens.purge' });
  return rowCount;
}
