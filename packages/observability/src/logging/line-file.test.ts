import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLineFile, type LineFile, type LineFileFs } from './line-file.js';

const root = mkdtempSync(join(tmpdir(), 'line-file-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `f${n++}`, 'x.log');

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
}

/** node:fs whose writes stop after `room` more bytes: the one that crosses it is written in part. */
function fillingDisk(room: number): LineFileFs & { room: number } {
  const disk = {
    ...fs,
    room,
    write: ((fd: number, buffer: Buffer, offset: number, length: number, position: null, cb: (err: Error | null, n: number) => void) => {
      if (disk.room === 0) return process.nextTick(cb, enospc(), 0);
      const n = Math.min(length, disk.room);
      disk.room -= n;
      fs.write(fd, buffer, offset, n, position, cb);
    }) as unknown as typeof fs.write,
    writeSync: ((fd: number, buffer: Buffer, offset: number, length: number) => {
      if (disk.room === 0) throw enospc();
      const n = Math.min(length, disk.room);
      disk.room -= n;
      return fs.writeSync(fd, buffer, offset, n);
    }) as unknown as typeof fs.writeSync,
  };
  return disk;
}

function counter(): { counts: Record<string, number>; onDropped: (lines: number, reason: string) => void } {
  const counts: Record<string, number> = {};
  return { counts, onDropped: (lines, reason) => (counts[reason] = (counts[reason] ?? 0) + lines) };
}

const line = (i: number): string => `${JSON.stringify({ i, pad: 'x'.repeat(40) })}\n`;
const fileLines = (path: string): { i: number }[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { i: number });
const flushed = (file: LineFile): Promise<Error | undefined> => new Promise((resolve) => file.flush(resolve));

describe('a line file on a disk that fills up', () => {
  it('counts every line that missed the file and leaves no torn line (asynchronous writes)', async () => {
    const path = freshPath();
    const drops = counter();
    const errors: Error[] = [];
    const size = line(0).length;
    // Room for 5 lines, then 3.5 more: the chunk of 95 lines written next keeps 3 whole lines.
    const file = createLineFile({ path, sync: false, fs: fillingDisk(size * 8 + Math.floor(size / 2)), onDropped: drops.onDropped });
    file.on('error', (err: Error) => errors.push(err));
    for (let i = 0; i < 5; i++) file.write(line(i));
    assert.equal(await flushed(file), undefined);
    for (let i = 5; i < 100; i++) file.write(line(i));
    const err = await flushed(file);
    assert.equal((err as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC');
    assert.equal(errors.length, 1);
    const kept = fileLines(path); // every line parses: nothing torn
    assert.deepEqual(kept.map((l) => l.i), Array.from({ length: 8 }, (_, i) => i));
    assert.equal(readFileSync(path, 'utf8').length, size * 8);
    assert.deepEqual(drops.counts, { write_failed: 92 });
    file.destroy();
  });

  it('counts and cuts the torn line in synchronous mode, where the failure is thrown', () => {
    const path = freshPath();
    const drops = counter();
    const file = createLineFile({ path, sync: true, fs: fillingDisk(line(0).length * 3 + 10), onDropped: drops.onDropped });
    for (let i = 0; i < 3; i++) file.write(line(i));
    assert.throws(() => file.write(line(3)), { code: 'ENOSPC' });
    assert.deepEqual(fileLines(path).map((l) => l.i), [0, 1, 2]);
    assert.equal(readFileSync(path, 'utf8').length, line(0).length * 3);
    assert.deepEqual(drops.counts, { write_failed: 1 });
    file.destroy();
  });

  it('drops new lines for backpressure past the buffer bound, counted apart from failures', async () => {
    const path = freshPath();
    const drops = counter();
    const file = createLineFile({ path, sync: false, maxBufferChars: line(0).length * 10, onDropped: drops.onDropped });
    let refused = 0;
    for (let i = 0; i < 25; i++) if (!file.write(line(i))) refused++;
    assert.equal(refused, 15);
    assert.deepEqual(drops.counts, { backpressure: 15 });
    assert.equal(await flushed(file), undefined);
    assert.deepEqual(fileLines(path).map((l) => l.i), Array.from({ length: 10 }, (_, i) => i));
    await new Promise<void>((resolve) => {
      file.once('close', resolve);
      file.end();
    });
  });

  it('counts lines still waiting when it is destroyed', () => {
    const drops = counter();
    const file = createLineFile({ path: freshPath(), sync: false, onDropped: drops.onDropped });
    file.write(line(1));
    file.write(line(2));
    file.destroy();
    assert.deepEqual(drops.counts, { write_failed: 2 });
    assert.equal(file.write(line(3)), true);
    assert.deepEqual(drops.counts, { write_failed: 2 });
  });

  it('appends whole lines in order across many batches and closes after end()', async () => {
    const path = freshPath();
    const drops = counter();
    const file = createLineFile({ path, sync: false, onDropped: drops.onDropped });
    for (let i = 0; i < 500; i++) {
      file.write(line(i));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise<void>((resolve) => {
      file.once('close', resolve);
      file.end();
    });
    assert.deepEqual(fileLines(path).map((l) => l.i), Array.from({ length: 500 }, (_, i) => i));
    assert.deepEqual(drops.counts, {});
  });
});
