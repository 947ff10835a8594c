import type { Observability } from '@samosachaat/observability';

export interface QueryResult<R> {
  rows: R[];
  /** Rows returned by a SELECT (or RETURNING), rows changed by INSERT/UPDATE/DELETE, 0 for DDL. */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A bounded metric label such as `users.upsert` (lower case letters, digits, `_`, `.` and `-`, at most 64
   * characters). Default: the SQL verb (`select`, `insert`, `update`, `delete`, `other`).
   */
  operation?: string;
}

export interface Queryable {
  /** Parameterised query ($1, $2 …). `operation` is a bounded metric label such as 'users.upsert'; default: the SQL verb (select/insert/update/delete/other). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
}

export interface MigrationInfo {
  version: number;
  name: string;
  /** sha256 (hex) of the file, line endings normalised to LF. */
  checksum: string;
  appliedAt?: Date;
}

export interface MigrationStatus {
  /** Applied migrations, as recorded in `schema_migrations` (with `appliedAt`), oldest first. */
  applied: MigrationInfo[];
  /** Migration files not applied yet, in the order `migrate()` would apply them. */
  pending: MigrationInfo[];
  /** Applied versions this code has no file for (the database is newer than the code). */
  unknown: MigrationInfo[];
  /** Applied migrations whose file changed after it was applied (the file's checksum). */
  modified: MigrationInfo[];
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Human description without credentials, e.g. 'pglite:/abs/.data/pglite' or 'postgres://host:5432/db'. */
  readonly description: string;
  /** BEGIN … COMMIT, ROLLBACK on throw; the callback's queries run on the same connection. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Applies pending migrations in order, each in its own transaction, under an advisory lock (pg_advisory_lock) so two processes cannot migrate at once; returns what it applied. Refuses (MigrationError) if an applied migration's checksum differs from the file (edited after applying) or an applied version is unknown to this code. */
  migrate(): Promise<MigrationInfo[]>;
  /** Throws PendingMigrationsError (message lists the pending versions/names and says to run `samosachaat migrate` or set MIGRATE_ON_START=true) when any migration is pending. */
  assertMigrated(): Promise<void>;
  /** SELECT 1 round trip; throws when unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// or postgresql:// URL → pg Pool. Unset → PGlite in `dataDir`. */
  url?: string;
  /** Folder for PGlite (created, `<dataDir>/pglite`); 'memory://' for an in-memory PGlite (tests). Default './.data'. */
  dataDir?: string;
  /** Metrics + logs through the service's observability (optional; without it no metrics). */
  obs?: Observability;
  /** pg pool max, default 10. */
  poolSize?: number;
  /** Server-side statement_timeout of pooled connections (PostgreSQL only), default 15000. */
  statementTimeoutMs?: number;
  /** Where the migration files are; default MIGRATIONS_DIR. For tests. */
  migrationsDir?: string;
  /** How long `migrate()` waits for another process's migration lock, default 120000. */
  migrationLockTimeoutMs?: number;
  /** Queries slower than this are logged at warning, default 500. */
  slowQueryMs?: number;
  /** How long a new pooled connection may take, default 10000. */
  connectTimeoutMs?: number;
  /**
   * Client-side deadline of every call on PostgreSQL (waiting for a connection included; a
   * transaction is one call), default 5000; 0 = none. Past it the call fails as unavailable
   * (503 DATABASE_UNAVAILABLE in services) and its connection is discarded. A frozen server
   * cannot enforce statement_timeout; this holds anyway. Migrations are not bounded.
   */
  queryTimeoutMs?: number;
  /**
   * PostgreSQL: distinct SQL texts prepared once per connection under a name (a hash of the
   * text), default 256; further texts run unnamed. 0: none (a pooler that cannot keep prepared
   * statements). Migrations are never prepared.
   */
  preparedStatements?: number;
}

export interface DatabaseConfig {
  url?: string;
  dataDir: string;
  migrateOnStart: boolean;
  /** DATABASE_QUERY_TIMEOUT_MS: the client-side deadline of every call (see DatabaseOptions.queryTimeoutMs). */
  queryTimeoutMs?: number;
  /** DATABASE_PREPARED_STATEMENTS (see DatabaseOptions.preparedStatements). */
  preparedStatements?: number;
}
