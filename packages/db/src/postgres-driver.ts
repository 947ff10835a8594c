import pg from 'pg';
import type { Driver, LockSession, RawResult, Session } from './driver.js';
import { sqlState } from './errors.js';
import { PG_TYPES } from './type-parsers.js';

/** `postgres://host:port/database`: the URL without credentials or parameters. */
export function describePostgresUrl(url: string): { description: string; host: string; port: number; database: string } {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const port = Number(parsed.port || parsed.searchParams.get('port') || 5432);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  return { description: `postgres://${parsed.hostname || encodeURIComponent(host)}:${port}/${database}`, host, port, database };
}

/**
 * Whether a connection is still fit for the pool after `err`. pg-pool's own pool.query()
 * throws the connection away after any error, so every unique violation would cost a
 * reconnect; an answer from the server with a SQLSTATE leaves it usable, except the
 * connection-exception (08) and operator-intervention (57P) classes.
 */
export function connectionSurvives(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && !state.startsWith('08') && !state.startsWith('57P');
}

function result(res: pg.QueryResult): RawResult {
  return { rows: res.rows as Record<string, unknown>[], rowCount: res.rowCount ?? 0 };
}

function clientSession(client: pg.PoolClient): Session {
  return {
    // Extended protocol always, as PGlite: one statement per query, whatever the parameters.
    query: async (sql, params) => result(await client.query({ text: sql, values: params ?? [], queryMode: 'extended' } as pg.QueryConfig)),
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

export interface PostgresDriverOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName: string;
  /** Told when an idle pooled connection fails (the server restarted, the network dropped). */
  onIdleError: (err: Error) => void;
}

/** Thrown-through marker: the connection must not go back to the pool. */
const brokenConnections = new WeakSet<pg.PoolClient>();

async function inTransaction<T>(client: pg.PoolClient, fn: (tx: Session) => Promise<T>): Promise<T> {
  const control = async (sql: string): Promise<void> => {
    try {
      await client.query(sql);
    } catch (err) {
      if (!connectionSurvives(err)) brokenConnections.add(client);
      throw err;
    }
  };
  await control('BEGIN');
  let value: T;
  try {
    value = await fn(clientSession(client));
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      brokenConnections.add(client);
    }
    throw err;
  }
  await control('COMMIT');
  return value;
}

/** A pg Pool over a PostgreSQL server (or the embedded server's wire protocol). */
export function createPostgresDriver(options: PostgresDriverOptions): Driver {
  const { description, host, port, database } = describePostgresUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName,
    types: PG_TYPES,
  });
  pool.on('error', (err) => options.onIdleError(err));
  let closed: Promise<void> | undefined;

  /** Runs `fn` on a pooled connection; `judge` says whether an error leaves it usable. */
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>, judge: (err: unknown) => boolean): Promise<T> => {
    const client = await pool.connect();
    let broken: unknown;
    // pg-pool listens for errors on idle connections only: a checked-out connection that dies
    // between two queries (inside a transaction, say) would emit an unhandled 'error' and take
    // the process down. The next query on it fails anyway; here it is only marked broken.
    const onError = (err: Error): void => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      if (!judge(err)) broken ??= err;
      throw err;
    } finally {
      client.off('error', onError);
      if (brokenConnections.has(client)) broken ??= new Error('connection unusable after a failed transaction');
      brokenConnections.delete(client);
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  };
  // Inside a transaction the error may be the caller's own; what matters is whether
  // BEGIN, COMMIT or ROLLBACK failed on the connection (recorded in brokenConnections).
  const trustTransaction = (): boolean => true;

  return {
    kind: 'postgres',
    description,
    attributes: { 'db.namespace': database, 'server.address': host, 'server.port': port },
    query: (sql, params) => withClient((client) => clientSession(client).query(sql, params), connectionSurvives),
    transaction: (fn) => withClient((client) => inTransaction(client, fn), trustTransaction),
    withSession: (fn) =>
      withClient((client) => {
        const session: LockSession = { ...clientSession(client), transaction: (txFn) => inTransaction(client, txFn) };
        return fn(session);
      }, connectionSurvives),
    connections: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount }),
    close: () => (closed ??= pool.end()),
  };
}
