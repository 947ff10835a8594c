import { chatError } from '../errors.js';

/** Where a page of the conversation list stopped: the last row's sort key. */
export interface ListPosition {
  /** updated_at in UTC with microseconds (`2026-11-25T20:02:32.613512`), exact as stored. */
  updatedAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MICRO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
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

/** Reads a cursor back; anything this API did not produce is a 400 CHAT_INVALID_CURSOR. */
export function decodeCursor(cursor: string): ListPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw chatError('CHAT_INVALID_CURSOR');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw chatError('CHAT_INVALID_CURSOR');
  }
  const { u, i } = (parsed ?? {}) as { u?: unknown; i?: unknown };
  if (typeof u !== 'string' || typeof i !== 'string' || !MICRO_TIMESTAMP.test(u) || !isUuid(i)) throw chatError('CHAT_INVALID_CURSOR');
  return { updatedAt: u, id: i };
}
