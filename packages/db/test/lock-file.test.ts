// The PGlite folder lock against a real dead process (the rest of the lock's behaviour is in
// src/lock-file.test.ts, in the fast tier: this one starts a process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCK_FILE, lockDataDir } from '../src/lock-file.js';

const d = mkdtempSync(join(tmpdir(), 'db-lock-'));
after(() => rmSync(d, { recursive: true, force: true }));

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the PGlite folder lock', () => {
  it('takes over a lock whose process is gone', () => {
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname() }));
    lockDataDir(d).release();
  });
});
