import { AppError } from '@samosachaat/service-kit';
import type { MigrationInfo } from './types.js';

/** A migration could not be applied, or the applied history does not match the files. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** The database lacks migrations this code needs (see `assertMigrated`). */
export class PendingMigrationsError extends Error {
  readonly pending: MigrationInfo[];
  constructor(pending: MigrationInfo[]) {
    const list = pending.map(migrationLabel).join(', ');
    super(
      `the database is missing ${pending.length} migration${pending.length === 1 ? '' : 's'} (${list}): ` +
        'run `samosachaat migrate` or set MIGRATE_ON_START=true',
    );
    this.name = 'PendingMigrationsError';
    this.pending = pending;
  }
}

/** The embedded database folder is open in another process. */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is already open in process ${pid}; PGlite allows one process per folder: ` +
        'stop that process, or serve the folder with startEmbeddedServer (what `samosachaat start` does) and set DATABASE_URL',
    );
    this.name = 'DatabaseInUseError';
  }
}

/**
 * The database cannot serve the query now: unreachable, out of connections, or so busy that a
 * connection or the statement timed out. Services answer it as 503 with Retry-After (the
 * service kit's error handler does), never as a 500 that pages someone for load.
 */
export class DatabaseUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('DATABASE_UNAVAILABLE', 'the database is unavailable or overloaded; retry shortly', 503, true, 2);
    this.name = 'DatabaseUnavailableError';
    this.cause = cause;
  }
}

/**
 * A database call that did not answer within its client-side deadline (`queryTimeoutMs`): the
 * server may be frozen or unreachable, where its own statement_timeout cannot help. Its
 * connection is discarded, never reused. Counts as unavailable (code ETIMEDOUT).
 */
export class QueryTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`the database did not answer within ${timeoutMs} ms (client-side deadline)`);
    this.name = 'QueryTimeoutError';
  }
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** Whether `err` says the database could not serve the query (as opposed to a bad query). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined) return state.startsWith('08') || state === '53300' || state === '57P01' || state === '57P03' || state === '57014';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_NODE_CODES.has(code)) return true;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

/** `0001` for 1. */
export function formatVersion(version: number): string {
  return String(version).padStart(4, '0');
}

/** `0004_history_version`: how a migration is named everywhere (its file, logs, messages). */
export function migrationLabel(migration: { version: number; name: string }): string {
  return `${formatVersion(migration.version)}_${migration.name}`;
}

/**
 * The SQLSTATE of a database error (`23505`), or undefined for anything else (a network
 * error's `ECONNREFUSED` is not a SQLSTATE).
 */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True for a unique-constraint violation (SQLSTATE 23505), optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== '23505') return false;
  return constraint === undefined || (err as { constraint?: unknown }).constraint === constraint;
}

/** True for a foreign-key violation (SQLSTATE 23503). */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}
