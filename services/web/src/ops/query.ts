import { redactedExcerpt } from '@samosachaat/observability';
import { WEB_ERRORS } from '../errors.js';

type Query = Record<string, unknown>;

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Rejects parameters the route does not know, naming them (a typo must not be ignored). */
export function onlyKnown(query: Query, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length) throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `unknown query parameter ${unknown.map((u) => `"${redactedExcerpt(u, 40)}"`).join(', ')} (known: ${known.join(', ')})` });
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `${name} must be given once` });
  return value;
}

/** A whole number from `min` to `max`, `fallback` when absent. */
export function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  const n = /^[0-9]{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `${name} must be a whole number from ${min} to ${max}, got "${redactedExcerpt(raw, 40)}"` });
  return n;
}

/** `true` or `false`, `fallback` when absent. */
export function booleanParam(query: Query, name: string, fallback: boolean): boolean {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `${name} must be true or false, got "${redactedExcerpt(raw, 40)}"` });
}

/** A W3C trace id (32 hex; upper case accepted and lowered). */
export function traceIdParam(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined) return undefined;
  const id = raw.toLowerCase();
  if (!TRACE_ID.test(id)) throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `${name} must be a trace id (32 hexadecimal characters), got "${raw.slice(0, 64)}"` });
  return id;
}

/** One of `allowed`, or undefined when absent. */
export function choiceParam<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw WEB_ERRORS.WEB_INVALID_QUERY({ message: `${name} must be one of ${allowed.join(', ')}, got "${redactedExcerpt(raw, 40)}"` });
  return raw as T;
}

/** The raw value of a single string parameter. */
export function stringParam(query: Query, name: string): string | undefined {
  return single(query, name);
}
