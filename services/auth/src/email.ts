/** The longest address SMTP can carry (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

// Deliberately plain: one @, no whitespace or control characters, a dot in the domain.
// Providers verify addresses; this only keeps obvious garbage out of the users table.
const EMAIL_SHAPE = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f.]+$/;

/**
 * The canonical form of an e-mail address (trimmed, lower-cased) or undefined when it does
 * not look like one. Addresses are compared case-insensitively everywhere in the service.
 */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH || !EMAIL_SHAPE.test(email)) return undefined;
  return email;
}
