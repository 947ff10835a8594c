/** The raw result every driver returns. */
export interface RawResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/** One connection: queries, multi-statement scripts and transactions on it. */
export interface Session {
  /** One statement, extended protocol ($1 parameters). */
  query(sql: string, params?: unknown[]): Promise<RawResult>;
  /** A script of statements without parameters (simple protocol). */
  exec(sql: string): Promise<void>;
}

/** A session that can open transactions (the migration runner's connection). */
export interface LockSession extends Session {
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
}

/** What the instrumented Database is built on: PGlite in-process or a pg pool. */
export interface Driver {
  readonly kind: 'pglite' | 'postgres';
  readonly description: string;
  /** Span attributes naming the server (`db.namespace`, `server.address`, `server.port`). */
  readonly attributes: Record<string, string | number>;
  query(sql: string, params?: unknown[]): Promise<RawResult>;
  /** BEGIN … COMMIT on one connection, ROLLBACK when `fn` throws. */
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
  /** One connection held for the whole of `fn` (the migration lock is per connection). */
  withSession<T>(fn: (session: LockSession) => Promise<T>): Promise<T>;
  /** Connections in use and idle right now. */
  connections(): { inUse: number; idle: number };
  close(): Promise<void>;
}
