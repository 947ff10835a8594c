import { isUniqueViolation, type AuthDatabase, type Queryable } from './database.js';

/** A row of the `users` table as the service reads it. */
export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  avatar_url: string | null;
  provider: string;
  provider_id: string;
  is_admin: boolean;
  created_at: Date | string;
  updated_at: Date | string;
  last_login_at: Date | string | null;
}

/** A user as the API shows it (`GET /auth/me`, login answers). */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  avatar_url: string | null;
  provider: string;
  is_admin: boolean;
  created_at: string;
  last_login_at: string | null;
}

/** What a provider told us about the person signing in. */
export interface ProviderProfile {
  provider: string;
  providerId: string;
  /** Verified and normalised (lower-cased). */
  email: string;
  name: string | null;
  avatarUrl: string | null;
}

/** The e-mail address of a sign-in already belongs to a user of another provider. */
export class EmailInUseError extends Error {
  constructor(readonly existingProvider: string) {
    super(`the e-mail address is already registered through ${existingProvider}`);
    this.name = 'EmailInUseError';
  }
}

const COLUMNS = 'id, email, name, avatar_url, provider, provider_id, is_admin, created_at, updated_at, last_login_at';
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** The API view of a user row. */
export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    avatar_url: row.avatar_url,
    provider: row.provider,
    is_admin: row.is_admin,
    created_at: iso(row.created_at),
    last_login_at: row.last_login_at === null ? null : iso(row.last_login_at),
  };
}

/** The user with this id, or undefined (also for an id that is not a uuid). */
export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  if (!UUID_SHAPE.test(id)) return undefined;
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id], { operation: 'users.find_by_id' });
  return rows[0];
}

/**
 * Creates or refreshes the user of an OAuth sign-in, keyed by (provider, provider_id):
 * e-mail, name and avatar follow the provider, `is_admin` follows ADMIN_EMAILS, and
 * `last_login_at` is now. An address owned by another provider's user is refused with
 * {@link EmailInUseError} rather than merged, so one provider cannot take over another's account.
 */
export async function upsertProviderUser(db: AuthDatabase, profile: ProviderProfile, isAdmin: boolean): Promise<{ user: UserRow; created: boolean }> {
  try {
    return await db.transaction(async (tx) => {
      const owner = await tx.query<{ provider: string }>(
        'SELECT provider FROM users WHERE email = $1 AND NOT (provider = $2 AND provider_id = $3)',
        [profile.email, profile.provider, profile.providerId],
        { operation: 'users.find_email_owner' },
      );
      if (owner.rows[0]) throw new EmailInUseError(owner.rows[0].provider);
      const { rows } = await tx.query<UserRow & { created: boolean }>(
        `INSERT INTO users (email, name, avatar_url, provider, provider_id, is_admin, last_login_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (provider, provider_id) DO UPDATE SET
           email = EXCLUDED.email, name = EXCLUDED.name, avatar_url = EXCLUDED.avatar_url,
           is_admin = EXCLUDED.is_admin, last_login_at = now(), updated_at = now()
         RETURNING ${COLUMNS}, (xmax = 0) AS created`,
        [profile.email, profile.name, profile.avatarUrl, profile.provider, profile.providerId, isAdmin],
        { operation: 'users.upsert_provider' },
      );
      const row = rows[0] as UserRow & { created: boolean };
      const { created, ...user } = row;
      return { user, created };
    });
  } catch (err) {
    // Two first sign-ins racing for one address: the loser sees the unique index.
    if (isUniqueViolation(err, 'email')) throw new EmailInUseError('another provider');
    throw err;
  }
}

/**
 * The development login's user: the existing user with this address, whatever its provider
 * (local mode is one person's machine, and signing in as one's own OAuth account is the
 * point), else a new user of provider `dev`. Records the login and applies ADMIN_EMAILS.
 */
export async function upsertDevelopmentUser(db: AuthDatabase, email: string, name: string | null, isAdmin: boolean): Promise<{ user: UserRow; created: boolean }> {
  return db.transaction(async (tx) => {
    const updated = await tx.query<UserRow>(
      `UPDATE users SET last_login_at = now(), updated_at = now(), is_admin = $2, name = COALESCE($3, name)
       WHERE email = $1 RETURNING ${COLUMNS}`,
      [email, isAdmin, name],
      { operation: 'users.login_by_email' },
    );
    if (updated.rows[0]) return { user: updated.rows[0], created: false };
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users (email, name, provider, provider_id, is_admin, last_login_at)
       VALUES ($1, $2, 'dev', $1, $3, now()) RETURNING ${COLUMNS}`,
      [email, name ?? email.split('@')[0], isAdmin],
      { operation: 'users.insert_dev' },
    );
    return { user: rows[0] as UserRow, created: true };
  });
}

/** Applies a validated profile change; undefined when the user no longer exists. */
export async function updateUserProfile(db: Queryable, id: string, change: { name?: string; avatarUrl?: string | null }): Promise<UserRow | undefined> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  if (change.name !== undefined) {
    params.push(change.name);
    sets.push(`name = $${params.length}`);
  }
  if (change.avatarUrl !== undefined) {
    params.push(change.avatarUrl);
    sets.push(`avatar_url = $${params.length}`);
  }
  sets.push('updated_at = now()');
  const { rows } = await db.query<UserRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`, params, { operation: 'users.update_profile' });
  return rows[0];
}
