import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './access-token.js';
import { isAdminEmail } from './admin-emails.js';
import type { AuthDatabase } from './database.js';
import { normaliseEmail } from './email.js';
import type { JwtKeys } from './keys.js';
import { validateName } from './profile-fields.js';
import { tokenAnswer, type TokenAnswer } from './session.js';
import { upsertDevelopmentUser } from './users.js';

/** An e-mail address or name a development user cannot have; `field` says which. */
export class DevelopmentUserError extends Error {
  override name = 'DevelopmentUserError';
  constructor(
    readonly field: 'email' | 'name',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The development user's canonical e-mail address and name, checked as a login would check
 * them; throws {@link DevelopmentUserError} naming the field. Callers check before they
 * load keys or open a database, so a typo is reported first.
 */
export function checkDevelopmentUser(rawEmail: string, rawName?: string): { email: string; name: string | null } {
  const email = normaliseEmail(rawEmail);
  if (!email) throw new DevelopmentUserError('email', `"${rawEmail}" is not an e-mail address`);
  if (rawName === undefined) return { email, name: null };
  try {
    return { email, name: validateName(rawName) };
  } catch (err) {
    throw new DevelopmentUserError('name', (err as Error).message);
  }
}

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
  const { email, name } = checkDevelopmentUser(options.email, options.name);
  const { user } = await upsertDevelopmentUser(options.db, email, name, isAdminEmail(options.adminEmails ?? new Set(), email));
  return tokenAnswer(options.keys, { accessTokenTtlSeconds: options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS }, user);
}
