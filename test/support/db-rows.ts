/**
 * A fingerprint of the platform's rows, read through the embedded database server that
 * `samosachaat start` records in `<DATA_DIR>/embedded-db.json` ({url, pid}). Two equal
 * snapshots mean no row was inserted, deleted or changed in between.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** Per table: how many rows, the latest change time, and a digest of every row's content. */
export type RowSnapshot = Record<string, { rows: number; latest: string | null; digest: string }>;

// The newest time each table records a change at (messages have no updated_at).
const TABLES: Record<string, string> = {
  users: 'greatest(max(updated_at), max(last_login_at))',
  conversations: 'max(updated_at)',
  messages: 'max(created_at)',
  refresh_tokens: 'greatest(max(created_at), max(revoked_at))',
};

export interface DbRows {
  snapshot(): Promise<RowSnapshot>;
  close(): Promise<void>;
}

/** Connects to the embedded server of the platform running on `dataDir`. */
export async function openDbRows(dataDir: string): Promise<DbRows> {
  const state = JSON.parse(await readFile(join(dataDir, 'embedded-db.json'), 'utf8')) as { url?: unknown };
  if (typeof state.url !== 'string') throw new Error(`no url in ${join(dataDir, 'embedded-db.json')}`);
  const client = new pg.Client({ connectionString: state.url });
  await client.connect();
  return {
    async snapshot() {
      const out: RowSnapshot = {};
      for (const [table, latest] of Object.entries(TABLES)) {
        const { rows } = await client.query<{ rows: number; latest: string | null; digest: string }>(
          `SELECT count(*)::int AS rows, (${latest})::text AS latest, md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS digest FROM ${table} t`,
        );
        out[table] = rows[0]!;
      }
      return out;
    },
    close: () => client.end(),
  };
}
