/**
 * @samosachaat/db — the one data layer: PGlite (embedded, default) or PostgreSQL (pg pool),
 * forward-only versioned migrations that run the same on both, and an embedded server that
 * lets several processes share one PGlite folder.
 */
export type {
  Database,
  DatabaseConfig,
  DatabaseOptions,
  MigrationInfo,
  MigrationStatus,
  Queryable,
  QueryOptions,
  QueryResult,
} from './types.js';
export { DEFAULT_QUERY_TIMEOUT_MS, openDatabase } from './database.js';
export { pgliteDir } from './pglite-driver.js';
export { databaseConfigFromEnv, validateDatabaseUrl } from './config.js';
export { startEmbeddedServer } from './embedded-server.js';
export type { EmbeddedServer, EmbeddedServerOptions } from './embedded-server.js';
export { DatabaseInUseError, DatabaseUnavailableError, isDatabaseUnavailable, isForeignKeyViolation, isUniqueViolation, migrationLabel, MigrationError, PendingMigrationsError, QueryTimeoutError, sqlState } from './errors.js';
export { explainDatabaseFailure } from './startup-failure.js';
export { MIGRATIONS_DIR, loadMigrations, migrationChecksum } from './migrations.js';
export { createDatabaseMetrics, DB_QUERY_DURATION_BUCKETS } from './instrumentation.js';
