import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logDirWritableCheck } from './log-dir-writable-check.js';

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'doctor-logdir-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const ctx = { signal: new AbortController().signal, timeoutMs: 5000 };

describe('logDirWritableCheck', () => {
  it('is skipped (and ok) when LOG_DIR is unset or blank', async () => {
    for (const dir of [undefined, '', '   ']) {
      const outcome = await logDirWritableCheck({ dir }).run(ctx);
      assert.deepEqual(outcome, { ok: true, skipped: true, detail: 'file logging off (LOG_DIR unset); logs go to stdout only' });
    }
  });

  it('creates a missing directory, proves it writable and leaves no probe behind', async () => {
    const dir = join(scratch, 'nested', 'logs');
    const check = logDirWritableCheck({ dir });
    assert.equal(check.name, 'log-dir-writable');
    const outcome = await check.run(ctx);
    assert.deepEqual(outcome, { ok: true, detail: `${dir} is writable` });
    assert.equal((await stat(dir)).isDirectory(), true);
    assert.deepEqual(await readdir(dir), []);
  });

  it('fails with a fix naming the directory when it cannot be created', async () => {
    const file = join(scratch, 'plain-file');
    await writeFile(file, 'not a directory');
    const dir = join(file, 'logs');
    const outcome = await logDirWritableCheck({ dir }).run(ctx);
    assert.equal(outcome.ok, false);
    assert.match(outcome.detail, /^cannot create the directory at .+plain-file\/logs \(ENOTDIR: /);
    assert.ok(outcome.fix?.includes(`make ${dir} a directory`), outcome.fix);
    assert.match(outcome.fix ?? '', /set LOG_DIR to a writable directory/);
  });

  it('fails when the path is an existing regular file', async () => {
    const file = join(scratch, 'another-file');
    await writeFile(file, 'x');
    const outcome = await logDirWritableCheck({ dir: file }).run(ctx);
    assert.equal(outcome.ok, false);
    assert.match(outcome.detail, /\((EEXIST|ENOTDIR): /);
  });
});

describe('logDirWritableCheck on filesystems that refuse new directories', () => {
  it('fails promptly instead of hanging under /proc (where recursive mkdir spins forever)', { skip: process.platform !== 'linux', timeout: 5000 }, async () => {
    const outcome = await logDirWritableCheck({ dir: '/proc/samosachaat-doctor/logs' }).run(ctx);
    assert.equal(outcome.ok, false);
    assert.match(outcome.detail, /cannot create the directory at \/proc\/samosachaat-doctor\/logs \(ENOENT: /);
  });
});
