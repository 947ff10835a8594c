import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './access-token.js';
import { isAdminEmail } from './admin-emails.js';
import type { AuthDatabase } from './database.js';
import { normaliseEmail } from './email.js';
import type { JwtKeys } from './keys.js';
import { validateName } from './profile-fields.js';
import { tokenAnswer, type TokenAnswer } from './session.js';
import { upsertDevelopmentUser } from './users.js';

/** Options of {@link mintDevelopmentToken}. */
export interface MintDevelopmentTokenOptions {
  db: AuthDatabase;
  keys: JwtKeys;
  email: string;
  name?: string;
  /** ADMIN_EMAILS, so a minted token's user gets the same rights as at a real login. */
  adminEmails?: ReadonlySet<string>;
  ttlSeconds?: number;
}

/**
 * Mints an access token for the development user with this address (created with
 * provider `dev` when new), as `samosachaat token` prints it. Needs the database and the
 * private key, so only whoever runs the platform can call it. Throws on a bad e-mail or name.
 */
export async function mintDevelopmentToken(options: MintDevelopmentTokenOptions): Promise<TokenAnswer> {
  const email = normaliseEmail(options.email);
  if (!email) throw new Error(`"${options.email}" is not an e-mail address`);
  let name: string | null = null;
  if (options.name !== undefined) {
    try {
      name = validateName(options.name);
    } catch (err) {
      throw new Error((err as Error).message);
    }
  }
  const { user } = await upsertDevelopmentUser(options.db, email, name, isAdminEmail(options.adminEmails ?? new Set(), email));
  return tokenAnswer(options.keys, { accessTokenTtlSeconds: options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS }, user);
}
