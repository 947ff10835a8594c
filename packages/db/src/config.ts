import { resolve } from 'node:path';
import { ConfigError } from '@samosachaat/service-kit';
import type { DatabaseConfig } from './types.js';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Checks that `url` is a postgres:// or postgresql:// URL with a host. The message never
 * repeats the URL: it may hold a password.
 */
export function validateDatabaseUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a postgres:// or postgresql:// URL (it could not be parsed)';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `must be a postgres:// or postgresql:// URL, got a ${parsed.protocol}// URL`;
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) return 'must name a host (postgres://user:password@host:5432/database)';
  return undefined;
}

/** Reads DATABASE_URL (validated: must be postgres:// or postgresql://, ConfigError otherwise), DATA_DIR (default './.data', resolved absolute), MIGRATE_ON_START (true/false, default false). */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim() || undefined;
  if (url !== undefined) {
    const problem = validateDatabaseUrl(url);
    if (problem) throw new ConfigError('DATABASE_URL', problem);
  }
  const dataDir = resolve(env.DATA_DIR?.trim() || './.data');
  if (/^\/(proc|sys)(\/|$)/.test(dataDir)) throw new ConfigError('DATA_DIR', `must be a normal directory, not under /proc or /sys, got "${env.DATA_DIR}"`);
  const rawMigrate = env.MIGRATE_ON_START?.trim().toLowerCase();
  let migrateOnStart = false;
  if (rawMigrate !== undefined && rawMigrate !== '') {
    if (TRUE.has(rawMigrate)) migrateOnStart = true;
    else if (!FALSE.has(rawMigrate)) throw new ConfigError('MIGRATE_ON_START', `must be true or false, got "${env.MIGRATE_ON_START}"`);
  }
  const config: DatabaseConfig = { dataDir, migrateOnStart };
  if (url !== undefined) config.url = url;
  const rawTimeout = env.DATABASE_QUERY_TIMEOUT_MS?.trim();
  if (rawTimeout) {
    const ms = Number(rawTimeout);
    if (!/^\d+$/.test(rawTimeout) || ms > 600_000) throw new ConfigError('DATABASE_QUERY_TIMEOUT_MS', `must be a whole number of milliseconds from 0 (no deadline) to 600000, got "${rawTimeout}"`);
    config.queryTimeoutMs = ms;
  }
  const rawPrepared = env.DATABASE_PREPARED_STATEMENTS?.trim();
  if (rawPrepared) {
    const n = Number(rawPrepared);
    if (!/^\d+$/.test(rawPrepared) || n > 10_000) throw new ConfigError('DATABASE_PREPARED_STATEMENTS', `must be a whole number of statements from 0 (none prepared: for a pooler that cannot keep them, such as PgBouncer in transaction mode before 1.21) to 10000, got "${rawPrepared}"`);
    config.preparedStatements = n;
  }
  return config;
}
