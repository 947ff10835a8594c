/**
 * Redaction happens inside the logger so no call site can forget it:
 * - by key: {@link redactFields} walks the object handed to the logger and replaces values
 *   under sensitive keys (passwords, tokens, cookies…) and message text (→ its length);
 * - by shape: every string value met on that walk, and the message itself, goes through
 *   {@link redactSecretShapes}, so a JWT, a `Bearer …` credential or an API key is removed
 *   wherever it hides (message, error text, nested values, URLs).
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

// Keys compared after lower-casing and dropping `_`/`-`, so `apiKey`, `api_key`, `API-KEY` agree.
const SECRET_KEYS = new Set([
  'password', 'passwd', 'pwd', 'secret', 'token', 'jwt', 'authorization', 'auth', 'cookie', 'cookies',
  'setcookie', 'apikey', 'xapikey', 'internalapikey', 'xinternalapikey', 'clientsecret', 'privatekey',
  'accesstoken', 'refreshtoken', 'idtoken', 'sessionid', 'session', 'credentials',
  'codeverifier', 'signature',
]);
const SECRET_SUFFIXES = ['password', 'secret', 'token', 'apikey', 'privatekey', 'cookie'];
// The text of user or assistant messages: logged as a length, never as content.
const TEXT_KEYS = new Set(['content', 'text', 'prompt', 'completion', 'messagetext', 'delta']);
// Request/response bodies: structured ones are walked (their sensitive keys get caught),
// raw ones are text and logged as a length.
const BODY_KEYS = new Set(['body', 'payload', 'rawbody']);

const MAX_DEPTH = 6;

function normaliseKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 95 || c === 45) continue; // _ and -
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : key[i];
  }
  return out;
}

type KeyVerdict = 'keep' | 'secret' | 'text' | 'body';
const verdictCache = new Map<string, KeyVerdict>();

function classifyKey(key: string): KeyVerdict {
  let verdict = verdictCache.get(key);
  if (verdict !== undefined) return verdict;
  const k = normaliseKey(key);
  verdict = SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s)) ? 'secret' : TEXT_KEYS.has(k) ? 'text' : BODY_KEYS.has(k) ? 'body' : 'keep';
  // Keys come from code, not users, so the cache stays small; the cap is a guard regardless.
  if (verdictCache.size < 4096) verdictCache.set(key, verdict);
  return verdict;
}

function redactValue(verdict: KeyVerdict, value: unknown): unknown {
  if (verdict === 'secret') return value === undefined || value === null || value === '' ? value : REDACTED;
  if (typeof value === 'string') return `[REDACTED len=${value.length}]`;
  if (Array.isArray(value)) return `[REDACTED items=${value.length}]`;
  return value === undefined || value === null ? value : REDACTED;
}

/**
 * Returns `obj` itself when nothing needs redacting (the common case costs one pass over
 * the keys and no allocation), otherwise a copy with sensitive values replaced. Never
 * mutates the caller's object.
 */
export function redactFields<T>(obj: T, depth = 0): T {
  if (typeof obj === 'string') return redactSecretShapes(obj) as T;
  if (obj === null || typeof obj !== 'object' || depth > MAX_DEPTH) return obj;
  if (obj instanceof Error || obj instanceof Date || ArrayBuffer.isView(obj)) return obj;
  if (Array.isArray(obj)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < obj.length; i++) {
      const next = redactFields(obj[i], depth + 1);
      if (next !== obj[i]) (copy ??= obj.slice())[i] = next;
    }
    return (copy ?? obj) as T;
  }
  let copy: Record<string, unknown> | undefined;
  const source = obj as Record<string, unknown>;
  for (const key in source) {
    const value = source[key];
    const verdict = classifyKey(key);
    const walk = verdict === 'keep' || (verdict === 'body' && typeof value !== 'string');
    const next = walk ? redactFields(value, depth + 1) : redactValue(verdict === 'body' ? 'text' : verdict, value);
    if (next !== value) (copy ??= { ...source })[key] = next;
  }
  return (copy ?? obj) as T;
}

// One cheap test decides whether the slower replacements run at all.
const SHAPE_PROBE = /eyJ[A-Za-z0-9_-]{4,}\.|\b(?:Bearer|Basic)\s|\b(?:sk|pk|rk|sc)[-_][A-Za-z0-9_-]{12,}|(?:api[_-]?key|access[_-]?token|token|password|secret|signature)=/i;
// The signature part is optional: a token cut after its payload still carries the claims.
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g;
const AUTH_SCHEME_SHAPE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const API_KEY_SHAPE = /\b(?:sk|pk|rk|sc)[-_][A-Za-z0-9_-]{12,}/g;
// Values stop at characters that would end a JSON string or a query parameter, so the
// rewrite never breaks the line's JSON.
const QUERY_SECRET_SHAPE = /((?:api[_-]?key|access[_-]?token|token|password|secret|signature)=)[^&\s"\\]+/gi;

// Shorter than the shortest secret shape (`Basic x`, `token=x`): cannot hold one.
const MIN_SHAPE_LENGTH = 7;

/** Replaces secret-shaped substrings (JWTs, `Bearer …`, API keys, `?token=…`) in a string. */
export function redactSecretShapes(text: string): string {
  if (text.length < MIN_SHAPE_LENGTH || !SHAPE_PROBE.test(text)) return text;
  return text
    .replace(JWT_SHAPE, REDACTED)
    .replace(AUTH_SCHEME_SHAPE, `$1 ${REDACTED}`)
    .replace(API_KEY_SHAPE, REDACTED)
    .replace(QUERY_SECRET_SHAPE, `$1${REDACTED}`);
}
