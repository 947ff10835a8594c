import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './database.js';

/** Every user API key starts with this, so it is recognisable (and redacted from logs by its shape). */
export const API_KEY_PREFIX = 'sk-sc-';
/** Characters of a key shown in lists and used to look it up: `sk-sc-` and 8 more. */
const DISPLAY_CHARS = API_KEY_PREFIX.length + 8;
// `sk-sc-` then 256 random bits, base64url without padding.
const KEY_SHAPE = /^sk-sc-[A-Za-z0-9_-]{43}$/;
/** Most keys one user may hold (revoked ones do not count). */
export const MAX_KEYS_PER_USER = 50;

/** A key as its owner sees it in the list; the key itself is never shown again. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
}

/** A key just created: the only moment the whole key exists outside the client. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** What a valid key stands for. */
export interface ApiKeyOwner {
  keyId: string;
  userId: string;
}

/** True when `value` has the shape of a user API key (says nothing of its validity). */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX);
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

/** Creates a key for `userId`; the returned `key` is shown once and stored only as a hash. */
export async function createApiKey(db: Queryable, userId: string, name: string): Promise<CreatedApiKey | undefined> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, DISPLAY_CHARS);
  // One statement: the count and the insert, so concurrent creates cannot pass the cap together by much.
  const { rows } = await db.query<{ id: string; created_at: Date | string }>(
    `INSERT INTO api_keys (user_id, name, prefix, key_hash)
     SELECT $1, $2, $3, $4
     WHERE (SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL) < $5
     RETURNING id, created_at`,
    [userId, name, prefix, hashKey(key).toString('hex'), MAX_KEYS_PER_USER],
    { operation: 'api_keys.insert' },
  );
  const row = rows[0];
  if (!row) return undefined;
  return { id: row.id, name, prefix, created_at: iso(row.created_at), key };
}

/** The user's keys that are not revoked, oldest first. */
export async function listApiKeys(db: Queryable, userId: string): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<{ id: string; name: string; prefix: string; created_at: Date | string }>(
    'SELECT id, name, prefix, created_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id',
    [userId],
    { operation: 'api_keys.list' },
  );
  return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, created_at: iso(r.created_at) }));
}

/** Revokes the user's key `keyId`; false when the user has no such (unrevoked) key. */
export async function revokeApiKey(db: Queryable, userId: string, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [keyId, userId], {
    operation: 'api_keys.revoke',
  });
  return rowCount > 0;
}

/**
 * The owner of a presented key, or undefined. Looked up by its displayed prefix, then its
 * SHA-256 compared with the stored one in constant time, so the check takes no longer for a
 * key that is almost right than for one that is wholly wrong.
 */
export async function findApiKeyOwner(db: Queryable, presented: string): Promise<ApiKeyOwner | undefined> {
  if (!KEY_SHAPE.test(presented)) return undefined;
  const { rows } = await db.query<{ id: string; user_id: string; key_hash: string }>(
    'SELECT id, user_id, key_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL',
    [presented.slice(0, DISPLAY_CHARS)],
    { operation: 'api_keys.find' },
  );
  const wanted = hashKey(presented);
  let found: ApiKeyOwner | undefined;
  for (const row of rows) {
    if (timingSafeEqual(wanted, Buffer.from(row.key_hash, 'hex'))) found = { keyId: row.id, userId: row.user_id };
  }
  return found;
}
