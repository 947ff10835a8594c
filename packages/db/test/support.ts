import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { MIGRATIONS_DIR, openDatabase, startEmbeddedServer, type Database, type DatabaseOptions } from '../src/index.js';

/** The PostgreSQL server tests create their databases on. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | undefined> | undefined;
/** undefined when the server answers, else why not. */
function postgresProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/**
 * True when the PostgreSQL server is there. Without it a developer's run skips loudly; under
 * CI=true the test fails, since CI provides the server and a skip would hide a hole.
 */
let warned = false;
export async function requirePostgres(t: TestContext): Promise<boolean> {
  const problem = await postgresProblem();
  if (problem === undefined) return true;
  const message = `PostgreSQL is not reachable at ${TEST_POSTGRES_URL.replace(/\/\/[^@/]*@/, '//')} (${problem}): start one (or set TEST_POSTGRES_URL) to run the PostgreSQL half of the suite`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  if (!warned) console.warn(`\n!!! SKIPPED: ${message}\n`);
  warned = true;
  t.skip(message);
  return false;
}

/** Whether the PostgreSQL server answers (for hooks, which cannot skip). */
export async function postgresReachable(): Promise<boolean> {
  return (await postgresProblem()) === undefined;
}

/** A new, empty database; `open` may be called more than once when `shared` is true. */
export interface FreshDatabase {
  open(options?: Partial<DatabaseOptions>): Promise<Database>;
  /** Whether two Database objects may be open on it at once (not for in-process PGlite). */
  shared: boolean;
  dispose(): Promise<void>;
}

/** A kind of database the behaviour suite runs against. */
export interface Target {
  name: string;
  /** Whether setup may run (quietly; tests call `available`). */
  reachable(): Promise<boolean>;
  /** False (after skipping `t`) when the target cannot run here. */
  available(t: TestContext): Promise<boolean>;
  fresh(): Promise<FreshDatabase>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `samosachaat-${prefix}-`));
}

function trackOpen(open: (options?: Partial<DatabaseOptions>) => Promise<Database>): { open: typeof open; closeAll(): Promise<void> } {
  const opened: Database[] = [];
  return {
    open: async (options) => {
      const db = await open(options);
      opened.push(db);
      return db;
    },
    closeAll: async () => {
      await Promise.all(opened.map((db) => db.close().catch(() => undefined)));
    },
  };
}

export const pgliteTarget: Target = {
  name: 'PGlite in a data folder',
  reachable: async () => true,
  available: async () => true,
  async fresh() {
    const dir = tempDir('pglite');
    const tracked = trackOpen((options) => openDatabase({ dataDir: dir, ...options }));
    return {
      open: tracked.open,
      shared: false,
      async dispose() {
        await tracked.closeAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const embeddedTarget: Target = {
  name: 'the embedded server (PGlite over the wire)',
  reachable: async () => true,
  available: async () => true,
  async fresh() {
    const dir = tempDir('embedded');
    const server = await startEmbeddedServer({ dataDir: dir });
    const tracked = trackOpen((options) => openDatabase({ url: server.url, ...options }));
    return {
      open: tracked.open,
      shared: true,
      async dispose() {
        await tracked.closeAll();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Creates samosachaat_test_<random> on the test server; dispose drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `samosachaat_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export const postgresTarget: Target = {
  name: 'PostgreSQL',
  reachable: postgresReachable,
  available: requirePostgres,
  async fresh() {
    const database = await createPostgresDatabase();
    const tracked = trackOpen((options) => openDatabase({ url: database.url, ...options }));
    return {
      open: tracked.open,
      shared: true,
      async dispose() {
        await tracked.closeAll();
        await database.drop();
      },
    };
  },
};

export const TARGETS: Target[] = [pgliteTarget, embeddedTarget, postgresTarget];

/** A copy of the migrations folder to edit. */
export function copyMigrations(): string {
  const dir = tempDir('migrations');
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

/** Every log line written, kept raw and parsed. */
export class LogCapture {
  readonly raw: string[] = [];
  write(chunk: string): void {
    this.raw.push(chunk);
  }
  lines(): Record<string, unknown>[] {
    return this.raw.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    );
  }
  text(): string {
    return this.raw.join('');
  }
}

/** An Observability whose logs land in memory and whose tracer is private to the test. */
export function testObservability(service = 'db-test'): { obs: Observability; logs: LogCapture } {
  const logs = new LogCapture();
  const obs = createObservability(observabilityConfigFromEnv(service, { LOG_LEVEL: 'debug' }), {
    logDestination: logs,
    registerGlobalTracer: false,
    runtimeMetrics: false,
  });
  return { obs, logs };
}

/** The value of one sample in a Prometheus text exposition, or undefined. */
export function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    const pairs = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => pairs[k] === v)) return Number(line.slice(close + 2).split(' ')[0]);
  }
  return undefined;
}
