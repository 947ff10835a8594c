import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { createDailyFileStream, DEFAULT_LOG_RETENTION_DAYS, type DailyFileStream } from './daily-file-stream.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'daily-file-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A clock the test moves by hand, so crossing midnight needs no waiting.
function clockAt(iso: string): { now: () => number; set: (iso: string) => void; advance: (ms: number) => void } {
  let t = Date.parse(iso);
  return { now: () => t, set: (next) => void (t = Date.parse(next)), advance: (ms) => void (t += ms) };
}

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

function ended(stream: DailyFileStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

function collectErrors(): { errors: Error[]; onError: (err: Error) => void; next: () => Promise<Error> } {
  const errors: Error[] = [];
  let waiters: ((err: Error) => void)[] = [];
  return {
    errors,
    onError: (err) => {
      errors.push(err);
      for (const w of waiters) w(err);
      waiters = [];
    },
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

test('rotates at UTC midnight: the line that crosses it goes to the new day', async (t) => {
  const dir = tempDir(t);
  const clock = clockAt('2026-03-01T23:59:59.900Z');
  const stream = createDailyFileStream({ dir, service: 'service', now: clock.now, sync: true });
  stream.write('{"n":1}\n');
  clock.set('2026-03-01T23:59:59.999Z');
  stream.write('{"n":2}\n');
  assert.equal(stream.currentPath, join(dir, 'service-2026-03-01.log'));
  clock.set('2026-03-02T00:00:00.000Z');
  stream.write('{"n":3}\n');
  assert.equal(stream.currentPath, join(dir, 'service-2026-03-02.log'));
  stream.write('{"n":4}\n');
  await ended(stream);
  assert.deepEqual(readLines(join(dir, 'service-2026-03-01.log')), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(readLines(join(dir, 'service-2026-03-02.log')), [{ n: 3 }, { n: 4 }]);
});

test('creates the directory and appends to an existing file of the same day', async (t) => {
  const dir = join(tempDir(t), 'nested', 'logs');
  const clock = clockAt('2026-03-01T10:00:00.000Z');
  const first = createDailyFileStream({ dir, service: 'chat-api', now: clock.now, sync: true });
  first.write('{"run":1}\n');
  await ended(first);
  const second = createDailyFileStream({ dir, service: 'chat-api', now: clock.now, sync: true });
  second.write('{"run":2}\n');
  await ended(second);
  assert.deepEqual(readLines(join(dir, 'chat-api-2026-03-01.log')), [{ run: 1 }, { run: 2 }]);
});

test('retention keeps today plus the previous retentionDays-1 days and only touches own files', async (t) => {
  const dir = tempDir(t);
  const keep = [
    'service-2026-03-10.log', // today
    'service-2026-02-25.log', // 13 days ago: the oldest kept with the default 14
    'service-2026-03-11.log', // future-dated files are not "older"
    'other-2026-01-01.log', // another service
    'service-api-2026-01-01.log', // a service whose name extends ours
    'service-2026-01-01.log.gz', // not exactly the pattern
    'service-2026-02-30.log', // not a real date
    'service-2026-1-01.log',
    'notes.txt',
  ];
  const remove = ['service-2026-02-24.log', 'service-2026-01-01.log', 'service-2025-12-31.log'];
  for (const name of [...keep, ...remove]) writeFileSync(join(dir, name), 'x\n');
  const errors = collectErrors();
  const stream = createDailyFileStream({ dir, service: 'service', now: clockAt('2026-03-10T12:00:00.000Z').now, onError: errors.onError });
  // sweepNow() waits for the open-time sweep, which already did the work.
  assert.deepEqual(await stream.sweepNow(), []);
  assert.deepEqual(readdirSync(dir).sort(), [...keep].sort());
  writeFileSync(join(dir, 'service-2026-02-01.log'), 'x\n');
  assert.deepEqual(await stream.sweepNow(), ['service-2026-02-01.log']);
  await ended(stream);
  assert.deepEqual(errors.errors, []);
  assert.equal(DEFAULT_LOG_RETENTION_DAYS, 14);
});

test('retentionDays 1 keeps only today; regex characters in the service name are literal', async (t) => {
  const dir = tempDir(t);
  for (const name of ['svc.a-2026-03-09.log', 'svc.a-2026-03-10.log', 'svcXa-2026-03-09.log']) writeFileSync(join(dir, name), 'x\n');
  const stream = createDailyFileStream({ dir, service: 'svc.a', retentionDays: 1, now: clockAt('2026-03-10T00:00:00.000Z').now });
  await stream.sweepNow();
  assert.deepEqual(readdirSync(dir).sort(), ['svc.a-2026-03-10.log', 'svcXa-2026-03-09.log']);
  await ended(stream);
});

test('a file the sweep cannot delete is reported via onError; the rest are still deleted', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'service-2026-01-01.log'));
  writeFileSync(join(dir, 'service-2026-01-02.log'), 'x\n');
  const errors = collectErrors();
  const stream = createDailyFileStream({ dir, service: 'service', now: clockAt('2026-03-10T00:00:00.000Z').now, onError: errors.onError });
  await stream.sweepNow();
  assert.deepEqual(readdirSync(dir).sort(), ['service-2026-01-01.log', 'service-2026-03-10.log']);
  // Once from the open-time sweep, once from ours.
  assert.deepEqual(errors.errors.map((e) => (e as NodeJS.ErrnoException).syscall), ['unlink', 'unlink']);
  await ended(stream);
});

test('rotation across midnight runs the retention sweep', async (t) => {
  const dir = tempDir(t);
  for (const day of ['26', '27', '28']) writeFileSync(join(dir, `service-2026-02-${day}.log`), 'x\n');
  const clock = clockAt('2026-03-01T23:59:59.900Z');
  const stream = createDailyFileStream({ dir, service: 'service', retentionDays: 3, now: clock.now, sync: true });
  await stream.sweepNow();
  // Day 03-01 with 3 days: 02-27 is the oldest kept.
  assert.deepEqual(readdirSync(dir).sort(), ['service-2026-02-27.log', 'service-2026-02-28.log', 'service-2026-03-01.log']);
  clock.set('2026-03-02T00:00:00.000Z');
  stream.write('{"n":1}\n');
  // Empty: the rotation's own sweep, which this call waits for, already deleted 02-27.
  assert.deepEqual(await stream.sweepNow(), []);
  assert.deepEqual(readdirSync(dir).sort(), ['service-2026-02-28.log', 'service-2026-03-01.log', 'service-2026-03-02.log']);
  await ended(stream);
});

test('rejects a bad retentionDays with a message naming LOG_RETENTION_DAYS', (t) => {
  const dir = tempDir(t);
  for (const retentionDays of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '14' as unknown as number]) {
    assert.throws(() => createDailyFileStream({ dir, service: 'service', retentionDays }), {
      message: `LOG_RETENTION_DAYS must be an integer >= 1, got ${String(retentionDays)}`,
    });
  }
  assert.throws(() => createDailyFileStream({ dir, service: '../escape' }), /plain file name/);
  assert.throws(() => createDailyFileStream({ dir, service: '' }), /plain file name/);
  assert.deepEqual(readdirSync(dir), []);
});

test('a target that cannot be opened reports via onError, never throws, and recovers after the backoff', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'service-2026-03-01.log'));
  const clock = clockAt('2026-03-01T10:00:00.000Z');
  const errors = collectErrors();
  const stream = createDailyFileStream({ dir, service: 'service', now: clock.now, sync: true, onError: errors.onError });
  assert.equal(errors.errors.length, 1);
  assert.equal((errors.errors[0] as NodeJS.ErrnoException).code, 'EISDIR');
  assert.doesNotThrow(() => stream.write('{"dropped":true}\n'));
  assert.doesNotThrow(() => stream.flushSync());
  // Within the backoff nothing is retried, so one failure is one report, not one per line.
  assert.equal(errors.errors.length, 1);
  rmSync(join(dir, 'service-2026-03-01.log'), { recursive: true });
  clock.advance(1_000);
  stream.write('{"kept":true}\n');
  assert.deepEqual(readLines(join(dir, 'service-2026-03-01.log')), [{ kept: true }]);
  await ended(stream);
  assert.equal(errors.errors.length, 1);
});

test('an asynchronous open failure reports via onError and later writes do not throw', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'service-2026-03-01.log'));
  const errors = collectErrors();
  const failed = errors.next();
  const stream = createDailyFileStream({ dir, service: 'service', now: clockAt('2026-03-01T10:00:00.000Z').now, onError: errors.onError });
  stream.write('{"n":1}\n');
  assert.equal(((await failed) as NodeJS.ErrnoException).code, 'EISDIR');
  assert.doesNotThrow(() => stream.write('{"n":2}\n'));
  await new Promise<void>((resolve) => stream.flush(() => resolve()));
  await ended(stream);
});

for (const sync of [true, false]) {
  test(`a write error (disk full, sync=${sync}) reports via onError and does not throw`, { skip: !existsSync('/dev/full') }, async (t) => {
    const dir = tempDir(t);
    symlinkSync('/dev/full', join(dir, 'service-2026-03-01.log'));
    const errors = collectErrors();
    const failed = errors.next();
    const seen: Error[] = [];
    const stream = createDailyFileStream({ dir, service: 'service', now: clockAt('2026-03-01T10:00:00.000Z').now, sync, onError: errors.onError });
    stream.on('error', (err: Error) => seen.push(err));
    assert.doesNotThrow(() => stream.write('{"n":1}\n'));
    assert.equal(((await failed) as NodeJS.ErrnoException).code, 'ENOSPC');
    assert.doesNotThrow(() => stream.write('{"n":2}\n'));
    assert.deepEqual(seen, errors.errors);
    await ended(stream);
  });
}

test('a removed directory is recreated at rotation; one replaced by a file is reported, not thrown', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'logs');
  const clock = clockAt('2026-03-01T23:00:00.000Z');
  const errors = collectErrors();
  const stream = createDailyFileStream({ dir, service: 'service', now: clock.now, sync: true, onError: errors.onError });
  stream.write('{"n":1}\n');
  rmSync(dir, { recursive: true });
  clock.set('2026-03-02T00:00:00.000Z');
  stream.write('{"n":2}\n');
  assert.deepEqual(readLines(join(dir, 'service-2026-03-02.log')), [{ n: 2 }]);
  await stream.sweepNow();
  rmSync(dir, { recursive: true });
  writeFileSync(dir, 'not a directory');
  clock.set('2026-03-03T00:00:00.000Z');
  assert.doesNotThrow(() => stream.write('{"n":3}\n'));
  await stream.sweepNow();
  // The failed mkdir of the new day's file, then readdir in the rotation's sweep and in ours.
  assert.deepEqual(errors.errors.map((e) => [(e as NodeJS.ErrnoException).syscall, (e as NodeJS.ErrnoException).code]), [
    ['mkdir', 'EEXIST'],
    ['scandir', 'ENOTDIR'],
    ['scandir', 'ENOTDIR'],
  ]);
  await ended(stream);
});

test('a throwing onError does not escape into the write', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'service-2026-03-01.log'));
  const onError = (): void => {
    throw new Error('handler bug');
  };
  const stream = createDailyFileStream({ dir, service: 'service', now: clockAt('2026-03-01T10:00:00.000Z').now, sync: true, onError });
  assert.doesNotThrow(() => stream.write('{"n":1}\n'));
  stream.end();
});

test('end() flushes asynchronous writes, emits close once, and drops later writes', async (t) => {
  const dir = tempDir(t);
  const clock = clockAt('2026-03-01T10:00:00.000Z');
  const stream = createDailyFileStream({ dir, service: 'service', now: clock.now });
  let closes = 0;
  stream.on('close', () => closes++);
  stream.write('{"n":1}\n');
  await new Promise<void>((resolve, reject) => stream.flush((err) => (err ? reject(err) : resolve())));
  assert.deepEqual(readLines(stream.currentPath), [{ n: 1 }]);
  stream.write('{"n":2}\n');
  await ended(stream);
  clock.set('2026-03-02T10:00:00.000Z');
  stream.write('{"n":3}\n');
  stream.flushSync();
  await ended(stream);
  assert.equal(closes, 1);
  assert.deepEqual(readdirSync(dir), ['service-2026-03-01.log']);
  assert.deepEqual(readLines(join(dir, 'service-2026-03-01.log')), [{ n: 1 }, { n: 2 }]);
});

test('works as a pino destination', async (t) => {
  const dir = tempDir(t);
  const clock = clockAt('2026-03-01T10:00:00.000Z');
  const stream = createDailyFileStream({ dir, service: 'chat-api', now: clock.now, sync: true });
  const logger = pino({ messageKey: 'message' }, stream);
  logger.info({ conversation_id: 'c1' }, 'conversation_created');
  logger.fatal('going down');
  const lines = readLines(join(dir, 'chat-api-2026-03-01.log'));
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.message, 'conversation_created');
  assert.equal(lines[0]?.conversation_id, 'c1');
  assert.equal(lines[1]?.message, 'going down');
  await ended(stream);

  const asyncStream = createDailyFileStream({ dir, service: 'auth', now: clock.now });
  const asyncLogger = pino({ messageKey: 'message' }, asyncStream);
  for (let i = 0; i < 100; i++) asyncLogger.info({ i }, 'line');
  await ended(asyncStream);
  const asyncLines = readLines(join(dir, 'auth-2026-03-01.log'));
  assert.deepEqual(asyncLines.map((l) => l.i), Array.from({ length: 100 }, (_, i) => i));
});
