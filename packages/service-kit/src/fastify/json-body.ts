import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { redactedExcerpt } from '@samosachaat/observability';
import { AppError } from './errors.js';

// Methods whose requests carry no body by nature: many clients set `content-type:
// application/json` on every request, so an empty body with that header is no error here.
const BODYLESS = new Set(['DELETE', 'OPTIONS', 'GET', 'HEAD']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
// Valid UTF-8 holds no surrogate code points and valid JSON no raw control characters, so a
// lone surrogate or a NUL can only come from a `\uD800`–`\uDFFF` or `\u0000` escape: bodies
// without one (nearly all) skip the walk below.
const SUSPECT_ESCAPE = /\\u(?:[dD][89a-fA-F]|0000)/;

/** A string of a JSON body that no service accepts: a lone surrogate, or U+0000. */
export interface UnacceptableText {
  /** Where: `body/messages/0/content`, `body (a key)`. */
  path: string;
  problem: 'lone_surrogate' | 'nul';
  /** The code unit at fault, `U+D83D` or `U+0000`. */
  codeUnit: string;
}

function checkString(value: string, path: string): UnacceptableText | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return { path, problem: 'nul', codeUnit: 'U+0000' };
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      continue;
    }
    return { path, problem: 'lone_surrogate', codeUnit: `U+${c.toString(16).toUpperCase()}` };
  }
  return undefined;
}

/**
 * The first string (key or value) of a parsed body holding a lone surrogate (not valid
 * Unicode text) or U+0000 (which PostgreSQL text cannot store), with its path.
 */
export function findUnacceptableText(value: unknown, path = 'body'): UnacceptableText | undefined {
  if (typeof value === 'string') return checkString(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnacceptableText(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const keyProblem = checkString(key, `${path} (a key)`);
      if (keyProblem) return keyProblem;
      const found = findUnacceptableText(inner, `${path}/${redactedExcerpt(key, 64)}`);
      if (found) return found;
    }
  }
  return undefined;
}

function unacceptableTextError(found: UnacceptableText): AppError {
  return found.problem === 'nul'
    ? new AppError('VALIDATION_FAILED', `${found.path} must not contain the NUL character (U+0000)`, 400)
    : new AppError('INVALID_UTF8', `${found.path} holds a lone surrogate (${found.codeUnit}), which is not valid Unicode text`, 400);
}

/**
 * Replaces Fastify's `application/json` parser on `app` (and every scope registered after).
 * Bytes that are not UTF-8 and strings holding a lone surrogate (`"\uD800"`) are refused with
 * `400 INVALID_UTF8` naming where, instead of being stored as U+FFFD; a string holding U+0000
 * is `400 VALIDATION_FAILED` naming the field (no service stores or forwards it); an empty body on a
 * body-less method is no body at all; parsing is Fastify's own (prototype poisoning checks
 * as configured).
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig as { onProtoPoisoning?: 'error' | 'remove' | 'ignore'; onConstructorPoisoning?: 'error' | 'remove' | 'ignore' };
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (body.length === 0 && BODYLESS.has(request.method)) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(body);
    } catch {
      const at = firstInvalidUtf8Byte(body);
      done(new AppError('INVALID_UTF8', `request body is not valid UTF-8 (byte ${at} of ${body.length})`, 400), undefined);
      return;
    }
    parseJson(request, text, (err, parsed) => {
      if (err) return done(err, undefined);
      const found = SUSPECT_ESCAPE.test(text) ? findUnacceptableText(parsed) : undefined;
      if (found) return done(unacceptableTextError(found), undefined);
      done(null, parsed);
    });
  });
}

/** 0-based offset of the first byte of the first character that is not valid UTF-8. */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection (a prefix of a valid prefix is valid).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (validPrefix(bytes, mid)) lo = mid;
    else hi = mid - 1;
  }
  // The prefix may end inside the broken character: point at that character's first byte.
  let start = lo;
  while (start > 0 && lo - start < 3 && ((bytes[start - 1] as number) & 0xc0) === 0x80) start--;
  return start > 0 && (bytes[start - 1] as number) >= 0xc0 ? start - 1 : lo;
}

function validPrefix(bytes: Uint8Array, length: number): boolean {
  // A prefix may end inside a character that is fine in full: stream mode allows that.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** {@link registerJsonBodyParser} as a plugin; fastify-plugin: the parser is the whole app's. */
export const jsonBodyPlugin = fp(async (app: FastifyInstance) => registerJsonBodyParser(app), { fastify: '5.x', name: '@samosachaat/service-kit/json-body' });
