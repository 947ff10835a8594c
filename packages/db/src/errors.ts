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
    const list = pending.map((m) => `${formatVersion(m.version)}_${m.name}`).join(', ');
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

/** `0001` for 1. */
export function formatVersion(version: number): string {
  return String(version).padStart(4, '0');
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
