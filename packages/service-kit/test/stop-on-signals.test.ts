import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { scaled } from '../../../test/support/timeouts.js';

// A child service that only waits for a signal; MODE picks how its close behaves.
const SCRIPT = `
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv, stopOnSignals } from '@samosachaat/service-kit';
const obs = createObservability(observabilityConfigFromEnv('stop-test', { ...process.env, METRICS_ENABLED: 'false' }));
const log = obs.getLogger('main');
const mode = process.env.MODE;
const keepAlive = setInterval(() => {}, 1000);
stopOnSignals({
  obs,
  log,
  timeoutMs: mode === 'hang' ? 300 : undefined,
  close: async () => {
    if (mode === 'fail') throw new Error('database already gone');
    if (mode === 'hang') return new Promise(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    clearInterval(keepAlive);
    log.info('closed');
  },
});
process.stderr.write('ready\\n');
`;

async function stopChild(mode: string, signal: NodeJS.Signals): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env: { ...process.env, MODE: mode }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', () => reject(new Error(`child exited before it was ready: ${out}`)));
  });
  child.kill(signal);
  child.kill(signal); // a second signal changes nothing
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('stopOnSignals', { timeout: scaled(60_000) }, () => {
  it('closes once, logs the stop and exits 0', async () => {
    const { code, lines } = await stopChild('ok', 'SIGTERM');
    assert.equal(code, 0);
    assert.deepEqual(lines.map((l) => l.message), ['service_stopping', 'closed', 'service_stopped']);
    assert.equal(lines[0]?.signal, 'SIGTERM');
  });

  it('reports a failing close and exits 1', async () => {
    const { code, lines } = await stopChild('fail', 'SIGINT');
    assert.equal(code, 1);
    const failed = lines.find((l) => l.message === 'shutdown_failed');
    assert.equal(failed?.error, 'database already gone');
    assert.ok(!lines.some((l) => l.message === 'service_stopped'));
  });

  it('gives up on a close that never ends after the timeout, exit 1', async () => {
    const { code, lines } = await stopChild('hang', 'SIGTERM');
    assert.equal(code, 1);
    assert.equal(lines.find((l) => l.message === 'shutdown_timed_out')?.timeout_ms, 300);
  });
});
