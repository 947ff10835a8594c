import { CHAT_ERRORS } from '../errors.js';

/** Where a page of the conversation list stopped: the last row's sort key. */
export interface ListPosition {
  /** updated_at in UTC with microseconds (`2026-11-25T20:02:32.613512`), exact as stored. */
  updatedAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MICRO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}$/;
const MAX_CURSOR_LENGTH = 256;

/** True for a syntactically valid UUID (any version), so it can be bound as `uuid` safely. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The opaque cursor handed to clients. It carries the full-precision timestamp because
 * JavaScript dates stop at milliseconds while PostgreSQL keeps microseconds: a rounded
 * cursor would skip or repeat rows.
 */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ u: position.updatedAt, i: position.id })).toString('base64url');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a timestamp of the shape above that names a real instant PostgreSQL accepts: a
 * well-formed `2026-13-45T…` or year 0000 would otherwise reach the database and fail there.
 */
export function isRealTimestamp(value: string): boolean {
  const m = MICRO_TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** Reads a cursor back; anything this API did not produce is a 400 CHAT_INVALID_CURSOR. */
export function decodeCursor(cursor: string): ListPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw CHAT_ERRORS.CHAT_INVALID_CURSOR();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw CHAT_ERRORS.CHAT_INVALID_CURSOR();
  }
  const { u, i } = (parsed ?? {}) as { u?: unknown; i?: unknown };
  if (typeof u !== 'string' || typeof i !== 'string' || !isRealTimestamp(u) || !isUuid(i)) throw CHAT_ERRORS.CHAT_INVALID_CURSOR();
  return { updatedAt: u, id: i };
}
