import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogDirMissingError, parseSince, readLogFiles, readLogTail } from './log-files.js';

describe('readLogFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const line = (ms: number, service: string, level = 'info', trace?: string) => JSON.stringify({ timestamp: new Date(ms).toISOString(), level, service, message: `m${ms}`, ...(trace ? { trace_id: trace } : {}) });
  writeFileSync(join(dir, 'chat-api-2026-11-25.log'), `${[line(3, 'chat-api'), line(1, 'chat-api', 'error', 'a'.repeat(32)), 'not json', '{"no":"timestamp"}'].join('\n')}\n`);
  writeFileSync(join(dir, 'chat-2026-11-25.log'), `${line(2, 'chat')}\n`);
  const many = Array.from({ length: 3000 }, (_, i) => line(10 + i, 'web'));
  writeFileSync(join(dir, 'web-2026-11-25.log'), `${many.join('\n')}\n`);

  it('keeps the last lines in time order across files, even when it trims while reading', async () => {
    const lines = await readLogFiles(dir, { limit: 5 });
    assert.deepEqual(lines.map((l) => l.message), ['m3005', 'm3006', 'm3007', 'm3008', 'm3009']);
  });

  it('filters by service (exact name, not a prefix), trace, level and time', async () => {
    assert.deepEqual((await readLogFiles(dir, { service: 'chat', limit: 10 })).map((l) => l.service), ['chat']);
    assert.deepEqual((await readLogFiles(dir, { trace: 'a'.repeat(32), limit: 10 })).map((l) => l.message), ['m1']);
    assert.deepEqual((await readLogFiles(dir, { minLevel: 'error', limit: 10 })).map((l) => l.message), ['m1']);
    assert.deepEqual((await readLogFiles(dir, { since: 3, service: 'chat-api', limit: 10 })).map((l) => l.message), ['m3']);
  });

  it('counts every matching line, not only the kept tail', async () => {
    const tail = await readLogTail(dir, { service: 'web', limit: 100 });
    assert.equal(tail.lines.length, 100);
    assert.equal(tail.matched, 3000);
  });

  it('throws LogDirMissingError naming the folder', async () => {
    await assert.rejects(readLogFiles(join(dir, 'nope'), { limit: 1 }), (err: Error) => err instanceof LogDirMissingError && err.message.includes('nope'));
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-12-07T12:00:00.000Z');
  it('takes durations back from now', () => {
    assert.equal(parseSince('5m', now), now - 5 * 60_000);
    assert.equal(parseSince('90s', now), now - 90_000);
    assert.equal(parseSince('2h', now), now - 2 * 3_600_000);
    assert.equal(parseSince('1d', now), now - 86_400_000);
    assert.equal(parseSince('1h30m', now), now - 90 * 60_000);
  });

  it('takes ISO 8601 dates, and nothing else', () => {
    assert.equal(parseSince('2026-12-07T11:00:00Z', now), Date.parse('2026-12-07T11:00:00Z'));
    assert.equal(parseSince('2026-12-07', now), Date.parse('2026-12-07'));
    for (const bad of ['', '5', 'm', '5 minutes', '-5m', '5m1h', 'yesterday', '2026-13-45']) assert.equal(parseSince(bad, now), undefined, bad);
  });
});
