import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database } from '@samosachaat/db';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** An open, migrated database that a suite owns, and how to get rid of it. */
export interface OwnedDatabase {
  db: Database;
  close(): Promise<void>;
}

/** An in-memory PGlite with the migrations applied. */
export async function openTestPglite(): Promise<OwnedDatabase> {
  const db = await openDatabase({ dataDir: 'memory://' });
  await db.migrate();
  return { db, close: () => db.close() };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let availability: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers at 127.0.0.1:5432, else why not. */
export function postgresUnavailable(): Promise<string | undefined> {
  availability ??= adminQuery('SELECT 1').then(
    () => undefined,
    (err: Error) => err.message || 'connection failed',
  );
  return availability;
}

/** A fresh database on the local PostgreSQL server, migrated; dropped on close. */
export async function openTestPostgres(): Promise<OwnedDatabase> {
  const name = `auth_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const db = await openDatabase({ url: `postgres://postgres@127.0.0.1:5432/${name}` });
  await db.migrate();
  return {
    db,
    close: async () => {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** The database a suite's tests use, set in its `before`. */
export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'pglite' | 'postgres';
}

const pgProblem = await postgresUnavailable();

/**
 * Declares the suite twice: on an in-memory PGlite and on a real PostgreSQL server. Without
 * a server the PostgreSQL run is skipped loudly on a developer's machine and fails under
 * CI=true, where a skip would hide a hole.
 */
export function describeOnDatabases(title: string, body: (handle: DatabaseHandle) => void): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    describe(`${title} [${kind}]`, () => {
      if (kind === 'postgres' && pgProblem !== undefined) {
        const message = `PostgreSQL is not reachable at 127.0.0.1:5432 (${pgProblem}): start one (user postgres, trust auth) to run this suite on PostgreSQL`;
        if (process.env.CI === 'true') {
          it('needs PostgreSQL under CI=true', () => {
            throw new Error(`CI=true and ${message}`);
          });
        } else {
          console.warn(`\n!!! SKIPPED: ${title} [postgres]: ${message}\n`);
          it.skip(message);
        }
        return;
      }
      let owned: OwnedDatabase | undefined;
      const handle = {
        kind,
        get db(): Database {
          if (!owned) throw new Error('the database is not open yet (used outside a test?)');
          return owned.db;
        },
      };
      before(async () => {
        owned = kind === 'pglite' ? await openTestPglite() : await openTestPostgres();
      });
      body(handle);
      // Registered after the suite's own hooks so its apps close before their database does.
      after(async () => {
        await owned?.close();
      });
    });
  }
}
