import { normaliseEmail } from './email.js';

/**
 * Parses ADMIN_EMAILS: a comma-separated list, compared case-insensitively. Blank entries
 * (a trailing comma) are ignored; an entry that is not an address throws, because a typo
 * here silently denies someone their admin rights.
 */
export function parseAdminEmails(raw: string | undefined): ReadonlySet<string> {
  const emails = new Set<string>();
  for (const entry of (raw ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const email = normaliseEmail(entry);
    if (!email) throw new Error(`"${entry.trim()}" is not an e-mail address (expected a comma-separated list)`);
    emails.add(email);
  }
  return emails;
}

/** True when `email` is in the admin list (case-insensitive). */
export function isAdminEmail(admins: ReadonlySet<string>, email: string): boolean {
  return admins.has(email.trim().toLowerCase());
}
