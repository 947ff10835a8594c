import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseInUseError } from './errors.js';

/** The file in `<dataDir>` that marks the PGlite folder as open. */
export const LOCK_FILE = 'pglite.lock';
/** The holder touches the file this often… */
export const LOCK_HEARTBEAT_MS = 5_000;
/** …and a lock file untouched for this long is stale whoever wrote it. */
export const LOCK_STALE_MS = 30_000;

/** A held lock; `release()` is idempotent. */
export interface FolderLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds right now. */
const held = new Set<string>();

function ownerIfLive(path: string): number | undefined {
  let owner: { pid?: unknown; host?: unknown } = {};
  let age: number;
  try {
    owner = JSON.parse(readFileSync(path, 'utf8')) as typeof owner;
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined; // vanished, unreadable or half-written: stale
  }
  const pid = typeof owner.pid === 'number' ? owner.pid : undefined;
  if (pid === undefined || age > LOCK_STALE_MS) return undefined;
  if (owner.host === hostname()) {
    // Our own pid without our own lock: a previous incarnation (a container's pid 1).
    if (pid === process.pid) return held.has(path) ? pid : undefined;
    if (!alive(pid)) return undefined;
  }
  // Another host (or container) sharing the folder: trust the heartbeat.
  return pid;
}

/**
 * Takes `<dataDir>/pglite.lock` (pid, host, and a heartbeat: the file's mtime, refreshed
 * every 5 s). PGlite has no lock of its own, and two processes writing one folder corrupt it.
 * A lock is stale when its process is gone (same host) or its heartbeat stopped 30 s ago
 * (any host); a stale lock is taken over. Throws DatabaseInUseError when a live process
 * holds it — this one included (a second `openDatabase` on the same folder).
 */
export function lockDataDir(dataDir: string): FolderLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = ownerIfLive(path);
      if (pid !== undefined) throw new DatabaseInUseError(dataDir, pid);
      try {
        unlinkSync(path);
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    } finally {
      closeSync(fd);
    }
    held.add(path);
    const heartbeat = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // The folder went away; nothing to protect any more.
      }
    }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      held.delete(path);
      process.off('exit', release);
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    };
    process.on('exit', release);
    return { release };
  }
  throw new DatabaseInUseError(dataDir, -1);
}
