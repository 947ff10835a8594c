/**
 * A LOG_DIR on a disk that fills up, for real: a 64 KiB tmpfs mounted for this test (it needs
 * root, as CI runs; elsewhere it is skipped with a loud message, and under CI=true it fails).
 * Every line the service logged is either in the file, whole, or counted in
 * telemetry_log_lines_dropped_total; the file never holds a torn line; and the
 * log_file_write_failed line says how many were lost.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { LogCapture } from './support/log-capture.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'full-disk-'));
let mounted = false;
after(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

function mountSmallDisk(t: TestContext): boolean {
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (result.status === 0) return (mounted = true);
  const message = `cannot mount a 64 KiB tmpfs (needs root): ${(result.stderr || result.error?.message || '').trim()}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  t.skip(message);
  return false;
}

const sample = (text: string, name: string): number => {
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
};

describe('LOG_DIR on a full disk', () => {
  it('counts every line that missed the file and leaves none torn', async (t) => {
    if (!mountSmallDisk(t)) return;
    const stdout = new LogCapture();
    const obs = createObservability(
      observabilityConfigFromEnv('chat-api', { LOG_DIR: mountPoint, LOG_LEVEL: 'info', TRACE_BUFFER_SIZE: '0' }),
      { logDestination: stdout, registerGlobalTracer: false, runtimeMetrics: false },
    );
    const log = obs.getLogger('filler');
    const total = 3000;
    for (let i = 0; i < total; i++) {
      log.info({ i, padding: 'x'.repeat(60 + (i % 37)) }, 'filler_line');
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await obs.shutdown();
    const metrics = (await obs.metrics.render()).body;

    const [file] = readdirSync(mountPoint).filter((name) => name.startsWith('chat-api-'));
    assert.ok(file, 'the day file exists');
    const text = readFileSync(join(mountPoint, file), 'utf8');
    assert.ok(text.length === 0 || text.endsWith('\n'), 'the file ends with a whole line');
    // Every line parses: nothing torn.
    const inFile = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { message: string });
    const fillersInFile = inFile.filter((l) => l.message === 'filler_line').length;
    const dropped = sample(metrics, 'telemetry_log_lines_dropped_total{sink="file",reason="write_failed"');
    assert.ok(fillersInFile > 100 && fillersInFile < total, `the disk filled part-way (${fillersInFile} of ${total} lines fit)`);
    // Every line the service logged (stdout has them all, the failure reports included) is in
    // the file or counted: none is lost silently, none counted twice.
    const logged = stdout.lines();
    assert.equal(inFile.length + dropped, logged.length, `${inFile.length} in the file + ${dropped} counted, ${logged.length} logged`);
    const report = logged.find((l) => l.message === 'log_file_write_failed');
    assert.ok(report, 'the failure is reported on stdout');
    assert.match(String(report['error']), /ENOSPC/);
    assert.equal(typeof report['lines_dropped_total'], 'number');
    console.log(`full disk: ${fillersInFile} of ${total} filler lines in the file, ${dropped} lines counted as dropped, none torn`);
  });
});
