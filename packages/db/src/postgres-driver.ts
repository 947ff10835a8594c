import pg from 'pg';
import type { Driver, LockSession, RawResult, Session } from './driver.js';
import { QueryTimeoutError, sqlState } from './errors.js';
import { isStalePreparedStatement, StatementNames } from './statement-names.js';
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

/** When a call must be answered by (performance.now() time); Infinity: no deadline. */
type Deadline = number;

/** Cuts a connection whose call passed its deadline: the pending query fails, the pool drops it. */
function destroyConnection(client: pg.PoolClient): void {
  brokenConnections.add(client);
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * `work` on `client`, or a QueryTimeoutError once `deadline` passes — then the connection is
 * destroyed (a frozen server never answers it; it must not go back to the pool).
 */
function beforeDeadline<T>(client: pg.PoolClient, deadline: Deadline, timeoutMs: number, work: Promise<T>): Promise<T> {
  if (deadline === Infinity) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        destroyConnection(client);
        reject(new QueryTimeoutError(timeoutMs));
      },
      Math.max(0, deadline - performance.now()),
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function clientSession(client: pg.PoolClient, deadline: Deadline = Infinity, timeoutMs = 0, names?: StatementNames, inTx = false): Session {
  const run = (sql: string, params: unknown[] | undefined, name: string | undefined) =>
    beforeDeadline(client, deadline, timeoutMs, client.query({ name, text: sql, values: params ?? [], queryMode: 'extended' } as pg.QueryConfig));
  return {
    // Extended protocol always, as PGlite: one statement per query, whatever the parameters.
    // Prepared under a name (statement-names.ts) when `names` gives one.
    query: async (sql, params) => {
      const name = names?.nameOf(sql);
      try {
        return result(await run(sql, params, name));
      } catch (err) {
        if (name === undefined || !isStalePreparedStatement(err)) throw err;
        // A migration changed what the statement returns: unnamed from now on, and run again
        // at once unless a transaction (which the error aborted) holds it.
        names?.forget(sql);
        if (inTx) throw err;
        return result(await run(sql, params, undefined));
      }
    },
    exec: async (sql) => {
      await beforeDeadline(client, deadline, timeoutMs, client.query(sql));
    },
  };
}

export interface PostgresDriverOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * Client-side deadline of every call (connection wait included; a transaction is one call),
   * 0 = none. A call past it fails with QueryTimeoutError and its connection is discarded.
   * Migrations (withSession) have none: they may legitimately run long.
   */
  queryTimeoutMs: number;
  applicationName: string;
  /** Told when an idle pooled connection fails (the server restarted, the network dropped). */
  onIdleError: (err: Error) => void;
  /** Distinct SQL texts prepared under a name at most (statement-names.ts); 0: none. Default 256. */
  preparedStatements?: number;
}

/** Thrown-through marker: the connection must not go back to the pool. */
const brokenConnections = new WeakSet<pg.PoolClient>();

async function inTransaction<T>(client: pg.PoolClient, fn: (tx: Session) => Promise<T>, deadline: Deadline = Infinity, timeoutMs = 0, names?: StatementNames): Promise<T> {
  const control = async (sql: string): Promise<void> => {
    try {
      await beforeDeadline(client, deadline, timeoutMs, client.query(sql));
    } catch (err) {
      if (!connectionSurvives(err)) brokenConnections.add(client);
      throw err;
    }
  };
  await control('BEGIN');
  let value: T;
  try {
    value = await fn(clientSession(client, deadline, timeoutMs, names, true));
  } catch (err) {
    // A connection cut by its deadline is gone: the server rolls back on disconnect.
    if (!brokenConnections.has(client)) {
      try {
        await beforeDeadline(client, deadline, timeoutMs, client.query('ROLLBACK'));
      } catch {
        brokenConnections.add(client);
      }
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

  const timeoutMs = options.queryTimeoutMs;
  const max = options.preparedStatements ?? 256;
  const names = max > 0 ? new StatementNames(max) : undefined;
  /** A pooled connection within `deadline`; one that arrives late goes back to the pool. */
  const acquire = async (deadline: Deadline): Promise<pg.PoolClient> => {
    const connecting = pool.connect();
    if (deadline === Infinity) return connecting;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryTimeoutError(timeoutMs)), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([connecting, late]);
    } catch (err) {
      connecting.then(
        (client) => client.release(),
        () => undefined,
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Runs `fn` on a pooled connection; `judge` says whether an error leaves it usable. */
  const withClient = async <T>(fn: (client: pg.PoolClient, deadline: Deadline) => Promise<T>, judge: (err: unknown) => boolean, bounded = true): Promise<T> => {
    const deadline = bounded && timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    const client = await acquire(deadline);
    let broken: unknown;
    // pg-pool listens for errors on idle connections only: a checked-out connection that dies
    // between two queries (inside a transaction, say) would emit an unhandled 'error' and take
    // the process down. The next query on it fails anyway; here it is only marked broken.
    const onError = (err: Error): void => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      return await fn(client, deadline);
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
    query: (sql, params) => withClient((client, deadline) => clientSession(client, deadline, timeoutMs, names).query(sql, params), connectionSurvives),
    transaction: (fn) => withClient((client, deadline) => inTransaction(client, fn, deadline, timeoutMs, names), trustTransaction),
    withSession: (fn) =>
      withClient(
        (client) => {
          const session: LockSession = { ...clientSession(client), transaction: (txFn) => inTransaction(client, txFn) };
          return fn(session);
        },
        connectionSurvives,
        false,
      ),
    connections: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount }),
    close: () => (closed ??= pool.end()),
  };
}
