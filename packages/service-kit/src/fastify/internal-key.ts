import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented key with the expected one in constant time. Both sides are hashed
 * first so neither the content nor the length of the secret leaks through timing.
 */
export function keysMatch(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || expected.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * {@link keysMatch} against one expected key whose digest is computed once: a per-request
 * check (an `onRequest` hook) hashes only the presented key. Same constant-time comparison.
 */
export function keyMatcher(expected: string): (presented: string | string[] | undefined) => boolean {
  const b = createHash('sha256').update(expected).digest();
  return (presented) => {
    if (typeof presented !== 'string' || expected.length === 0) return false;
    return timingSafeEqual(createHash('sha256').update(presented).digest(), b);
  };
}
