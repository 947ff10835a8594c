/**
 * What the auth service needs from `@samosachaat/db`: queries, transactions and a ping.
 * Declared structurally so the routes depend on behaviour, not on one implementation; the
 * package's `Database` (PGlite or PostgreSQL) satisfies it.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: { operation?: string }): Promise<{ rows: R[]; rowCount: number }>;
}

/** A database the auth service can run on. */
export interface AuthDatabase extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

/** PostgreSQL's unique_violation, as PGlite and node-postgres both report it. */
export function isUniqueViolation(err: unknown, constraintHint?: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  if (e?.code !== '23505') return false;
  if (!constraintHint) return true;
  const where = `${typeof e.constraint === 'string' ? e.constraint : ''} ${typeof e.message === 'string' ? e.message : ''}`;
  return where.includes(constraintHint);
}
