import { createHash } from 'node:crypto';

/**
 * Names of server-side prepared statements, for the PostgreSQL driver: a statement prepared once
 * per connection is parsed, analysed and (once PostgreSQL settles on a generic plan) planned once,
 * not at every execution — about half the database's CPU for the answer path's statements
 * (packages/db/README.md, "Prepared statements").
 *
 * A name is a hash of the SQL text, so the same text has the same name in every process and on
 * every connection (the embedded server's connections share one backend: see
 * embedded-server.ts). Only the first `max` distinct texts get one, so a process that builds
 * SQL text dynamically cannot grow the server's statement cache without bound; the others run
 * unnamed, as before. A text whose prepared statement the server refused to reuse (its result's
 * columns changed under it, after a migration) is never named again.
 */
export class StatementNames {
  private readonly names = new Map<string, string | null>();
  /** Texts given a name so far (forgotten ones included: their statements may still exist). */
  private named = 0;

  constructor(private readonly max: number) {}

  /** The name to prepare `sql` under, or undefined to run it unnamed. */
  nameOf(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined) return known ?? undefined;
    if (this.named >= this.max) return undefined;
    const name = `sc_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    this.names.set(sql, name);
    this.named++;
    return name;
  }

  /** Runs `sql` unnamed from now on. */
  forget(sql: string): void {
    this.names.set(sql, null);
  }
}

/**
 * Whether `err` is PostgreSQL refusing to reuse a prepared statement: "cached plan must not
 * change result type" (0A000), after a migration changed the columns a statement returns.
 */
export function isStalePreparedStatement(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type');
}
