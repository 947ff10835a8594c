import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@samosachaat/db';
import type { Observability } from '@samosachaat/observability';
import pg from 'pg';

/** Where the DB suites run. */
export type Backend = 'pglite' | 'postgres';

/** The PostgreSQL server the suites use when present (trust auth, user postgres). */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The backends a DB suite runs on: PGlite always; PostgreSQL when reachable. Absent locally,
 * the PostgreSQL suite is skipped with a loud message; absent under CI=true it is not
 * skipped, so it fails (CI provides the server, and a silent skip would hide a hole).
 */
export async function backendsUnderTest(): Promise<Array<{ backend: Backend; skip: string | false }>> {
  const problem = await postgresReachable();
  if (problem === undefined || process.env.CI === 'true') return [{ backend: 'pglite', skip: false }, { backend: 'postgres', skip: false }];
  const message = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL.replace(/\/\/[^@]*@/, '//')} (${problem}): start one (trust auth, user postgres) to run the PostgreSQL suite`;
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  return [{ backend: 'pglite', skip: false }, { backend: 'postgres', skip: message }];
}

/** A migrated database of its own for one suite, dropped afterwards. */
export interface TestDatabase {
  db: Database;
  /** The PostgreSQL database's URL (undefined on PGlite), for processes the test starts. */
  url?: string;
  close(): Promise<void>;
}

/** Opens a fresh, migrated database on `backend` (in-memory PGlite, or a new PostgreSQL database). */
export async function openTestDatabase(backend: Backend, obs?: Observability): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://', obs });
    await db.migrate();
    return { db, close: () => db.close() };
  }
  const name = `chat_api_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), obs });
  await db.migrate();
  return {
    db,
    url: url.toString(),
    close: async () => {
      await db.close();
      const dropper = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
