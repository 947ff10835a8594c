import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@samosachaat/service-kit';
import { validateDatabaseUrl } from './config.js';
import type { Driver, LockSession, Session } from './driver.js';
import { DatabaseUnavailableError, isDatabaseUnavailable, migrationLabel, MigrationError, PendingMigrationsError } from './errors.js';
import { checkOperation, Instrumentation, sqlVerb } from './instrumentation.js';
import { compareMigrations, historyProblem, loadMigrations, MIGRATION_LOCK_KEY, MIGRATIONS_DIR, type AppliedRow, type MigrationFile } from './migrations.js';
import { createPgliteDriver } from './pglite-driver.js';
import { createPostgresDriver } from './postgres-driver.js';
import type { Database, DatabaseOptions, MigrationInfo, MigrationStatus, Queryable, QueryOptions, QueryResult } from './types.js';

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Marks "inside db.transaction's callback", to catch queries sent around the transaction. */
interface TransactionScope {
  db: object;
  open: boolean;
}
const scope = new AsyncLocalStorage<TransactionScope>();

class DatabaseImpl implements Database {
  readonly kind: 'pglite' | 'postgres';
  readonly description: string;
  private closing: Promise<void> | undefined;
  private migrating: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly driver: Driver,
    private readonly instr: Instrumentation,
    private readonly migrationsDir: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.kind = driver.kind;
    this.description = driver.description;
  }

  private checkUsable(what: string): void {
    if (this.closing) throw new Error(`${what}: the database (${this.description}) is closed`);
    const current = scope.getStore();
    if (current?.open && current.db === this) {
      throw new Error(
        `${what} was called inside db.transaction(): use the callback's tx argument ` +
          '(a query on db runs outside the transaction, and on PGlite it would wait for the transaction forever)',
      );
    }
  }

  private run<R>(session: Pick<Session, 'query'>, sql: string, params: unknown[] | undefined, options: QueryOptions | undefined): Promise<QueryResult<R>> {
    const operation = options?.operation ?? sqlVerb(sql);
    if (options?.operation !== undefined) checkOperation(operation);
    return this.instr.query({ operation, sql }, () => session.query(sql, params)) as Promise<QueryResult<R>>;
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<R>> {
    this.checkUsable('db.query()');
    return this.run<R>(this.driver, sql, params, options).catch(rethrowUnavailable);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.checkUsable('db.transaction()');
    return this.transactionInner(fn).catch(rethrowUnavailable);
  }

  private transactionInner<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.instr.transaction(() =>
      this.driver.transaction(async (session) => {
        const state: TransactionScope = { db: this, open: true };
        const tx: Queryable = {
          query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => {
            if (!state.open) throw new Error('tx.query() after its transaction ended: the tx argument is only valid inside the callback');
            return this.run<R>(session, sql, params, options);
          },
        };
        try {
          return await scope.run(state, () => fn(tx));
        } finally {
          state.open = false;
        }
      }),
    );
  }

  async ping(): Promise<void> {
    this.checkUsable('db.ping()');
    await this.run(this.driver, 'SELECT 1', undefined, { operation: 'ping' });
  }

  private async readApplied(session: Pick<Session, 'query'>): Promise<AppliedRow[]> {
    const present = await this.run<{ present: boolean }>(session, "SELECT to_regclass('schema_migrations') IS NOT NULL AS present", undefined, {
      operation: 'migrations.status',
    });
    if (!present.rows[0]?.present) return [];
    const rows = await this.run<AppliedRow>(session, 'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version', undefined, {
      operation: 'migrations.status',
    });
    return rows.rows;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    this.checkUsable('db.migrationStatus()');
    const files = loadMigrations(this.migrationsDir);
    return compareMigrations(files, await this.readApplied(this.driver));
  }

  async assertMigrated(): Promise<void> {
    const status = await this.migrationStatus();
    if (status.modified.length > 0) throw historyProblem({ ...status, unknown: [] }) as MigrationError;
    if (status.pending.length > 0) throw new PendingMigrationsError(status.pending);
    if (status.unknown.length > 0) {
      this.instr.logger?.warning(
        { versions: status.unknown.map((m) => migrationLabel(m)) },
        'db_schema_newer_than_code',
      );
    }
  }

  migrate(): Promise<MigrationInfo[]> {
    this.checkUsable('db.migrate()');
    // Two calls on one Database queue; the advisory lock keeps other processes out.
    const run = this.migrating.then(
      () => this.migrateNow(),
      () => this.migrateNow(),
    );
    this.migrating = run.catch(() => undefined);
    return run;
  }

  private async migrateNow(): Promise<MigrationInfo[]> {
    const files = loadMigrations(this.migrationsDir);
    return this.driver.withSession(async (session) => {
      await this.acquireMigrationLock(session);
      try {
        return await this.applyPending(session, files);
      } finally {
        await this.run(session, 'SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY], { operation: 'migrations.unlock' }).catch(() => undefined);
      }
    });
  }

  private async acquireMigrationLock(session: LockSession): Promise<void> {
    const deadline = Date.now() + this.lockTimeoutMs;
    let waiting = false;
    for (;;) {
      const res = await this.run<{ locked: boolean }>(session, 'SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK_KEY], {
        operation: 'migrations.lock',
      });
      if (res.rows[0]?.locked) return;
      if (Date.now() >= deadline) {
        throw new MigrationError(`another process has been migrating ${this.description} for over ${Math.round(this.lockTimeoutMs / 1000)} s (advisory lock ${MIGRATION_LOCK_KEY} is held); try again when it finishes`);
      }
      if (!waiting) {
        waiting = true;
        this.instr.logger?.info({ database: this.description }, 'db_migration_lock_waiting');
      }
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
  }

  private async applyPending(session: LockSession, files: MigrationFile[]): Promise<MigrationInfo[]> {
    await this.instr.query({ operation: 'migrations.setup', sql: CREATE_MIGRATIONS_TABLE }, () => session.exec(CREATE_MIGRATIONS_TABLE));
    const status = compareMigrations(files, await this.readApplied(session));
    const problem = historyProblem(status);
    if (problem) throw problem;
    const applied: MigrationInfo[] = [];
    const byVersion = new Map(files.map((f) => [f.version, f]));
    for (const info of status.pending) {
      const file = byVersion.get(info.version) as MigrationFile;
      const label = migrationLabel(file);
      const started = performance.now();
      let appliedAt: Date | undefined;
      try {
        appliedAt = await session.transaction(async (tx) => {
          // Re-checked inside the transaction: processes sharing the embedded server share one
          // backend, so the advisory lock cannot keep them apart; its transactions can.
          const existing = await this.run<{ checksum: string }>(tx, 'SELECT checksum FROM schema_migrations WHERE version = $1', [file.version], {
            operation: 'migrations.check',
          });
          if (existing.rows.length > 0) return undefined;
          await this.instr.query({ operation: 'migrations.apply', sql: file.sql }, async () => {
            await tx.exec('SET LOCAL statement_timeout = 0');
            await tx.exec(file.sql);
          });
          const row = await this.run<{ applied_at: Date }>(
            tx,
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3) RETURNING applied_at',
            [file.version, file.name, file.checksum],
            { operation: 'migrations.record' },
          );
          return row.rows[0]?.applied_at;
        });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new MigrationError(`migration ${label} failed and was rolled back: ${(err as Error).message}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`, {
          cause: err,
        });
      }
      if (appliedAt === undefined) continue;
      applied.push({ version: file.version, name: file.name, checksum: file.checksum, appliedAt });
      this.instr.logger?.info({ migration_version: file.version, migration: label, duration_ms: Math.round((performance.now() - started) * 1000) / 1000 }, 'db_migration_applied');
    }
    if (applied.length > 0) this.instr.logger?.info({ applied: applied.length, database: this.description }, 'db_migrations_applied');
    return applied;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.instr.detach();
      await this.driver.close();
    })();
    return this.closing;
  }
}

/** The client-side deadline of a database call (PostgreSQL), unless DatabaseOptions.queryTimeoutMs says otherwise. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

/** Opens the database: a pg Pool when `url` is set, else PGlite in `<dataDir>/pglite`. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const url = options.url?.trim() || undefined;
  const slowQueryMs = options.slowQueryMs ?? 500;
  let driver: Driver;
  if (url !== undefined) {
    const problem = validateDatabaseUrl(url);
    if (problem) throw new ConfigError('DATABASE_URL', problem);
    const log = options.obs?.rateLimited('db');
    driver = createPostgresDriver({
      url,
      poolSize: options.poolSize ?? 10,
      statementTimeoutMs: options.statementTimeoutMs ?? 15_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      preparedStatements: options.preparedStatements,
      applicationName: options.obs?.config.service ?? 'samosachaat',
      onIdleError: (err) => log?.warning('db_idle_connection_error', { error: err.message, error_code: (err as { code?: unknown }).code }),
    });
  } else {
    driver = await createPgliteDriver(options.dataDir ?? './.data');
  }
  const instr = new Instrumentation(options.obs, driver.attributes, slowQueryMs, () => driver.connections());
  return new DatabaseImpl(driver, instr, options.migrationsDir ?? MIGRATIONS_DIR, options.migrationLockTimeoutMs ?? 120_000);
}

/** Connection-level failures become DatabaseUnavailableError (503 + Retry-After in services). */
function rethrowUnavailable(err: unknown): never {
  if (isDatabaseUnavailable(err) && !(err instanceof DatabaseUnavailableError)) throw new DatabaseUnavailableError(err);
  throw err;
}
