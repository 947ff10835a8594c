import { authErrors } from './errors.js';

/** Limits of the editable profile fields. */
export const NAME_MAX_LENGTH = 100;
export const AVATAR_URL_MAX_LENGTH = 2048;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name typed by the user: trimmed, 1–100 characters, no control characters. */
export function validateName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || [...name].length > NAME_MAX_LENGTH || CONTROL.test(name)) throw authErrors.AUTH_INVALID_NAME();
  return name;
}

/** An avatar URL typed by the user: https only (no mixed content, no `javascript:`), ≤ 2048. */
export function validateAvatarUrl(raw: string): string {
  const value = raw.trim();
  if (value.length === 0 || value.length > AVATAR_URL_MAX_LENGTH) throw authErrors.AUTH_INVALID_AVATAR_URL();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw authErrors.AUTH_INVALID_AVATAR_URL();
  }
  if (url.protocol !== 'https:' || url.username || url.password) throw authErrors.AUTH_INVALID_AVATAR_URL();
  return url.toString();
}

/** A name a provider sent: control characters dropped, cut to the limit, null when empty. */
export function providerName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const name = [...raw.replace(new RegExp(CONTROL.source, 'g'), ' ').trim()].slice(0, NAME_MAX_LENGTH).join('').trim();
  return name.length > 0 ? name : null;
}

/** An avatar a provider sent, kept only when it would pass {@link validateAvatarUrl}. */
export function providerAvatar(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    return validateAvatarUrl(raw);
  } catch {
    return null;
  }
}
