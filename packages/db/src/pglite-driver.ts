import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { Driver, LockSession, RawResult, Session } from './driver.js';
import { lockDataDir, type FolderLock } from './lock-file.js';
import { PGLITE_PARSERS } from './type-parsers.js';

/** PGlite hangs the query and its parameters on its errors; a pg error carries neither. */
export function cleanPgliteError(err: unknown): unknown {
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    delete e.params;
    delete e.query;
    delete e.queryOptions;
  }
  return err;
}

function result(res: Results): RawResult {
  return { rows: res.rows as Record<string, unknown>[], rowCount: res.rowCount ?? res.affectedRows ?? 0 };
}

function session(target: PGlite | Transaction): Session {
  return {
    async query(sql, params) {
      try {
        return result(await target.query(sql, params as unknown[] | undefined));
      } catch (err) {
        throw cleanPgliteError(err);
      }
    },
    async exec(sql) {
      try {
        await target.exec(sql);
      } catch (err) {
        throw cleanPgliteError(err);
      }
    },
  };
}

/** Where PGlite keeps its files for a data folder. */
export function pgliteDir(dataDir: string): string {
  return join(resolve(dataDir), 'pglite');
}

/** Opens PGlite in `<dataDir>/pglite` (locked to this process), or in memory for 'memory://'. */
export async function openPglite(dataDir: string): Promise<{ pglite: PGlite; folder: string | undefined; lock: FolderLock | undefined }> {
  if (dataDir === 'memory://') return { pglite: await PGlite.create({ parsers: PGLITE_PARSERS }), folder: undefined, lock: undefined };
  const root = resolve(dataDir);
  const lock = lockDataDir(root);
  try {
    const folder = pgliteDir(root);
    mkdirSync(folder, { recursive: true });
    const pglite = await PGlite.create({ dataDir: folder, parsers: PGLITE_PARSERS });
    return { pglite, folder, lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** The in-process embedded database: one connection, so every call queues behind the last. */
export async function createPgliteDriver(dataDir: string): Promise<Driver> {
  const { pglite, folder, lock } = await openPglite(dataDir);
  let active = 0;
  let closed = false;
  const track = async <T>(fn: () => Promise<T>): Promise<T> => {
    active++;
    try {
      return await fn();
    } finally {
      active--;
    }
  };
  const top = session(pglite);
  const transaction = <T>(fn: (tx: Session) => Promise<T>): Promise<T> =>
    track(async () => {
      try {
        return await pglite.transaction((tx) => fn(session(tx)));
      } catch (err) {
        throw cleanPgliteError(err);
      }
    });
  const lockSession: LockSession = { ...top, transaction };
  return {
    kind: 'pglite',
    description: `pglite:${folder ?? 'memory://'}`,
    attributes: { 'db.namespace': 'postgres' },
    query: (sql, params) => track(() => top.query(sql, params)),
    transaction,
    withSession: (fn) => fn(lockSession),
    connections: () => (closed ? { inUse: 0, idle: 0 } : { inUse: active > 0 ? 1 : 0, idle: active > 0 ? 0 : 1 }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
