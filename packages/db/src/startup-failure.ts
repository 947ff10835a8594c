/**
 * One line for a person when a process cannot use its database at start (a service, `npm
 * start`, a CLI command): which variable points where, what went wrong, how to fix it. No
 * stack trace: the cause is the configuration or the server, not the code.
 */
import { ConfigError } from '@samosachaat/service-kit';
import { DatabaseInUseError, isDatabaseUnavailable, MigrationError, PendingMigrationsError, sqlState } from './errors.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET']);

/** The innermost error a wrapper (DatabaseUnavailableError, AggregateError) carries. */
function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 5; depth++) {
    const next = (current as { cause?: unknown } | null)?.cause ?? (current as { errors?: unknown[] } | null)?.errors?.[0];
    if (next === undefined || next === null) break;
    current = next;
  }
  return current;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Explains why the database at `description` (`postgres://host:port/db` without credentials,
 * or `pglite:<folder>`; undefined before it was opened) could not be used, naming
 * DATABASE_URL or DATA_DIR and the fix. Messages of errors that already say all of that
 * (a malformed variable, pending migrations, a folder in use) are kept as they are.
 */
export function explainDatabaseFailure(err: unknown, description: string | undefined): string {
  if (err instanceof ConfigError || err instanceof PendingMigrationsError || err instanceof DatabaseInUseError) return err.message;
  if (err instanceof MigrationError) return `${description ?? 'the database'}: ${err.message}`;
  const embedded = description?.startsWith('pglite:') === true;
  if (embedded) {
    return `DATA_DIR: the embedded database ${description.slice('pglite:'.length)} cannot be opened (${messageOf(rootCause(err))}): make DATA_DIR a writable folder, or set DATABASE_URL to a PostgreSQL server`;
  }
  const where = description ?? 'the server in DATABASE_URL';
  const cause = rootCause(err);
  const code = codeOf(cause);
  const state = sqlState(cause);
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || (state === undefined && isDatabaseUnavailable(cause)) || state?.startsWith('08')) {
    return (
      `DATABASE_URL: cannot connect to ${where} (${code ?? messageOf(cause)}): start that PostgreSQL server or correct DATABASE_URL ` +
      '(unset it to use the embedded PGlite database in DATA_DIR)'
    );
  }
  if (state?.startsWith('28')) return `DATABASE_URL: ${where} refused the login (${messageOf(cause)}): correct the user and password in DATABASE_URL`;
  if (state === '3D000') return `DATABASE_URL: ${messageOf(cause)} on ${where}: create it (\`createdb\`) or correct the database name in DATABASE_URL`;
  return `DATABASE_URL: ${where}: ${messageOf(cause)}${state ? ` (SQLSTATE ${state})` : ''}`;
}
