import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DatabaseInUseError } from './errors.js';
import { LOCK_FILE, LOCK_STALE_MS, lockDataDir } from './lock-file.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'db-lock-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the PGlite folder lock', () => {
  it('is held by one opener at a time, this process included, and released on release()', () => {
    const d = join(dir(), 'nested', 'data');
    const lock = lockDataDir(d);
    const content = JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    assert.equal(content.pid, process.pid);
    assert.equal(content.host, hostname());
    assert.throws(
      () => lockDataDir(d),
      (err: unknown) => err instanceof DatabaseInUseError && err.pid === process.pid && /already open in process/.test(err.message) && /startEmbeddedServer/.test(err.message),
    );
    lock.release();
    lock.release();
    assert.equal(existsSync(join(d, LOCK_FILE)), false);
    lockDataDir(d).release();
  });

  it('takes over a lock carrying its own pid from a previous incarnation (a container’s pid 1)', () => {
    const d = dir();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
    lockDataDir(d).release();
  });

  it('takes over an unreadable lock file', () => {
    const d = dir();
    writeFileSync(join(d, LOCK_FILE), '{"pid":');
    lockDataDir(d).release();
  });

  it('trusts another host’s lock while its heartbeat is fresh, not after', () => {
    const d = dir();
    const path = join(d, LOCK_FILE);
    writeFileSync(path, JSON.stringify({ pid: 4242, host: 'another-container' }));
    assert.throws(() => lockDataDir(d), (err: unknown) => err instanceof DatabaseInUseError && err.pid === 4242);
    const old = new Date(Date.now() - LOCK_STALE_MS - 5_000);
    utimesSync(path, old, old);
    lockDataDir(d).release();
  });

  it('trusts a live process on this host', () => {
    const d = dir();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname() }));
    assert.throws(() => lockDataDir(d), DatabaseInUseError);
  });
});
