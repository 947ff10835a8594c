import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainTs = 'packages/cli/src/main.ts';
const launcher = fileURLToPath(new URL('../bin/samosachaat.mjs', import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a real `node` process, as a user would, and collects its output. */
function run(args: string[], env: Record<string, string>, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const ALL_CHECKS = [
  'configuration',
  'jwt-keys',
  'database',
  'services-ready',
  'model-loaded',
  'ports-free',
  'disk-space',
  'log-dir-writable',
  'metrics-valid',
  'trace-error-rate',
  'prometheus-targets',
] as const;

const cli = (args: string[], env: Record<string, string> = {}) => run(['--conditions=source', '--import', 'tsx', mainTs, ...args], env);

let scratch: string;
let env: Record<string, string>;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'samosachaat-cli-'));
  env = { LOG_DIR: join(scratch, 'logs'), DATA_DIR: join(scratch, 'data'), AUTH_URL: 'http://127.0.0.1:9', CHAT_API_URL: 'http://127.0.0.1:9', INFERENCE_URL: 'http://127.0.0.1:9', WEB_URL: 'http://127.0.0.1:9' };
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('samosachaat doctor', () => {
  it('--json prints a report with the built-in checks and exits 0 exactly when it is ok', async () => {
    const { status, stdout, stderr } = await cli(['doctor', '--json'], env);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; skipped: boolean; detail: string; fix: string | null }> };
    assert.deepEqual(report.checks.map((c) => c.name), [...ALL_CHECKS]);
    // Nothing runs at the service URLs (port 9), so the platform checks fail, each with a fix.
    assert.equal(report.ok, false);
    assert.equal(status, 1, stderr);
    const ready = report.checks.find((c) => c.name === 'services-ready');
    assert.equal(ready?.ok, false);
    assert.match(ready?.detail ?? '', /auth at http:\/\/127\.0\.0\.1:9 is not reachable/);
    assert.match(ready?.fix ?? '', /npm start/);
    // No keys yet in the fresh data folder: the key check says how to make them.
    const keys = report.checks.find((c) => c.name === 'jwt-keys');
    assert.equal(keys?.ok, false);
    assert.match(keys?.fix ?? '', /samosachaat keys/);
    assert.equal(report.checks.find((c) => c.name === 'configuration')?.ok, true);
    assert.equal(report.checks.find((c) => c.name === 'prometheus-targets')?.skipped, true);
    const logDir = report.checks.find((c) => c.name === 'log-dir-writable');
    assert.deepEqual([logDir?.ok, logDir?.skipped, logDir?.detail], [true, false, `${env['LOG_DIR']} is writable`]);
    assert.equal((await stat(env['LOG_DIR'] as string)).isDirectory(), true);
    // The data dir does not exist yet, so the disk check measures its nearest existing parent.
    assert.match(report.checks.find((c) => c.name === 'disk-space')?.detail ?? '', new RegExp(`holding ${scratch} `));
  });

  it('runs only the named check and skips log-dir-writable when LOG_DIR is empty', async () => {
    const { status, stdout } = await cli(['doctor', '--json', 'log-dir-writable'], { ...env, LOG_DIR: '' });
    assert.equal(status, 0);
    const report = JSON.parse(stdout) as { checks: Array<{ name: string; skipped: boolean }> };
    assert.deepEqual(report.checks.map((c) => [c.name, c.skipped]), [['log-dir-writable', true]]);
  });

  it('exits 1 with the fix when a check fails', async () => {
    const blocked = join(fileURLToPath(import.meta.url), 'logs');
    const { status, stdout } = await cli(['doctor', 'log-dir-writable'], { ...env, LOG_DIR: blocked });
    assert.equal(status, 1);
    assert.match(stdout, /✘ {2}log-dir-writable {2}cannot create the directory/);
    assert.match(stdout, /fix: make .+ a directory this user/);
    assert.match(stdout, /0 passed, 1 failed, 0 skipped/);
  });

  it('exits 2 naming an unknown check', async () => {
    const { status, stderr, stdout } = await cli(['doctor', 'no-such-check'], env);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`samosachaat doctor: unknown check: no-such-check \\(known: ${ALL_CHECKS.join(', ')}\\)`));
  });
});

describe('samosachaat start', () => {
  it('refuses a port that is already taken, naming it, and exits 1', async () => {
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen({ port: 0, host: '127.0.0.1' }, ok));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const { status, stderr } = await cli(['start'], { ...env, AUTH_PORT: String(taken) });
      assert.equal(status, 1);
      assert.match(stderr, new RegExp(`port ${taken} \\(auth\\) is already in use`));
    } finally {
      holder.close();
    }
  });

  it('rejects a bad port variable by name', async () => {
    const { status, stderr } = await cli(['start'], { ...env, INFERENCE_PORT: 'eighty' });
    assert.equal(status, 1);
    assert.match(stderr, /INFERENCE_PORT must be a port number \(1-65535\), got "eighty"/);
  });
});

describe('samosachaat command line', () => {
  it('exits 2 on an unknown command and on no command', async () => {
    const unknown = await cli(['deploy'], env);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "deploy"/);
    const none = await cli([], env);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /usage: samosachaat <command>/);
  });

  it('--help lists the commands and exits 0', async () => {
    const { status, stdout } = await cli(['--help'], env);
    assert.equal(status, 0);
    assert.match(stdout, /^ {2}doctor /m);
    assert.match(stdout, /^ {2}start /m);
  });

  it('the bin launcher works from any directory and forwards the exit status', async () => {
    const { status, stderr } = await run([launcher, 'token'], env, scratch);
    assert.equal(status, 2);
    assert.match(stderr, /--email is required/);
    const doctor = await run([launcher, 'doctor', '--json', 'disk-space'], env, scratch);
    assert.equal(doctor.status, 0, doctor.stderr);
    assert.equal((JSON.parse(doctor.stdout) as { ok: boolean }).ok, true);
  });
});
