import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const cli = (args: string[], env: Record<string, string> = {}) => run(['--conditions=source', '--import', 'tsx', mainTs, ...args], env);

let scratch: string;
let env: Record<string, string>;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'samosachaat-cli-'));
  env = { LOG_DIR: join(scratch, 'logs'), SAMOSACHAAT_DATA_DIR: join(scratch, 'data') };
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('samosachaat doctor', () => {
  it('--json prints a report with the built-in checks and exits 0 exactly when it is ok', async () => {
    const { status, stdout, stderr } = await cli(['doctor', '--json'], env);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; skipped: boolean; detail: string }> };
    assert.deepEqual(report.checks.map((c) => c.name), ['disk-space', 'log-dir-writable', 'ports-free']);
    // Ports 3000/8001-8003 may be taken on a developer machine, so the verdict itself varies;
    // the exit status must agree with it either way.
    assert.equal(status, report.ok ? 0 : 1, stderr);
    const logDir = report.checks.find((c) => c.name === 'log-dir-writable');
    assert.deepEqual([logDir?.ok, logDir?.skipped, logDir?.detail], [true, false, `${env['LOG_DIR']} is writable`]);
    assert.equal((await stat(env['LOG_DIR'] as string)).isDirectory(), true);
    // The data dir does not exist yet, so the disk check measures its nearest existing parent.
    assert.match(report.checks[0]?.detail ?? '', new RegExp(`holding ${scratch} `));
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
    assert.match(stderr, /samosachaat doctor: unknown check: no-such-check \(known: disk-space, log-dir-writable, ports-free\)/);
  });
});

describe('samosachaat start', () => {
  it('refuses honestly, exit 1: the services do not exist yet', async () => {
    const { status, stdout, stderr } = await cli(['start'], env);
    assert.equal(status, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /services \(auth, chat-api, inference, web\) are not built yet in this version/);
    assert.match(stderr, /observability foundation \(packages\/observability\)/);
    assert.match(stderr, /npm run doctor/);
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
    const { status, stderr } = await run([launcher, 'start'], env, scratch);
    assert.equal(status, 1);
    assert.match(stderr, /not built yet in this version/);
    const doctor = await run([launcher, 'doctor', '--json', 'disk-space'], env, scratch);
    assert.equal(doctor.status, 0, doctor.stderr);
    assert.equal((JSON.parse(doctor.stdout) as { ok: boolean }).ok, true);
  });
});
