import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { freePort } from '../../../test/support/ports.js';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainTs = 'apps/cli/src/main.ts';
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
  'answer',
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
    // A check that did not run never reads as ok.
    const prometheus = report.checks.find((c) => c.name === 'prometheus-targets') as { status?: string; ok: boolean | null; skipped: boolean } | undefined;
    assert.deepEqual([prometheus?.status, prometheus?.ok, prometheus?.skipped], ['skipped', null, true]);
    const logDir = report.checks.find((c) => c.name === 'log-dir-writable');
    assert.deepEqual([logDir?.ok, logDir?.skipped, logDir?.detail], [true, false, `${env['LOG_DIR']} is writable`]);
    assert.equal((await stat(env['LOG_DIR'] as string)).isDirectory(), true);
    // The data dir does not exist yet, so the disk check measures its nearest existing parent.
    assert.match(report.checks.find((c) => c.name === 'disk-space')?.detail ?? '', new RegExp(`holding ${scratch} `));
  });

  it('runs only the named check; with LOG_DIR empty it checks DATA_DIR/logs, where `npm start` writes', async () => {
    const { status, stdout } = await cli(['doctor', '--json', 'log-dir-writable'], { ...env, LOG_DIR: '' });
    assert.equal(status, 0);
    const report = JSON.parse(stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    assert.deepEqual(report.checks.map((c) => [c.name, c.status, c.detail]), [
      ['log-dir-writable', 'passed', `${join(env['DATA_DIR'] as string, 'logs')} is writable (DATA_DIR/logs, where \`npm start\` writes while LOG_DIR is unset)`],
    ]);
  });

  it('finds services started with *_PORT variables, as `start` runs them, and knows the ports are theirs', async () => {
    const servers = await Promise.all(
      (['auth', 'chat-api', 'inference', 'web'] as const).map(async (service) => {
        // chat-api's buffer: 1 failed request of 5, and 20 scrapes that must not dilute it.
        const trace = (i: number, root: string, error: boolean) => ({ trace_id: i.toString(16).padStart(32, '0'), root_name: root, error, spans: [] });
        const traces = service === 'chat-api' ? [trace(1, 'POST /api/conversations/:id/messages', true), ...[2, 3, 4, 5].map((i) => trace(i, 'GET /api/conversations', false)), ...Array.from({ length: 20 }, (_, i) => trace(100 + i, 'GET /metrics', false))] : [];
        const server = createHttpServer((req, res) => {
          res.setHeader('content-type', 'application/json');
          if (req.url?.startsWith('/debug/traces')) return res.end(JSON.stringify({ service, count: traces.length, traces }));
          res.end(JSON.stringify(req.url === '/ready' ? { status: 'ready' } : { status: 'ok', service }));
        });
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        return { service, server, port: (server.address() as AddressInfo).port };
      }),
    );
    try {
      const portOf = (name: string) => String(servers.find((s) => s.service === name)?.port);
      const portEnv = { LOG_DIR: env['LOG_DIR'] as string, DATA_DIR: env['DATA_DIR'] as string, AUTH_PORT: portOf('auth'), CHAT_API_PORT: portOf('chat-api'), INFERENCE_PORT: portOf('inference'), WEB_PORT: portOf('web') };
      const { status, stdout, stderr } = await cli(['doctor', '--json', 'services-ready', 'ports-free'], portEnv);
      assert.equal(status, 0, stdout + stderr);
      const report = JSON.parse(stdout) as { checks: Array<{ name: string; detail: string }> };
      assert.equal(report.checks.find((c) => c.name === 'services-ready')?.detail, 'auth: ready\nchat-api: ready\ninference: ready\nweb: ready');
      // The configured ports, not the defaults, each held by the service meant to own it.
      assert.equal(
        report.checks.find((c) => c.name === 'ports-free')?.detail,
        ['inference', 'auth', 'chat-api', 'web'].map((name) => `port ${portOf(name)} (${name}): held by our own ${name}`).join('\n'),
      );
      const rate = await cli(['doctor', '--json', 'trace-error-rate'], portEnv);
      assert.equal(rate.status, 1, rate.stdout + rate.stderr);
      const rateCheck = (JSON.parse(rate.stdout) as { checks: Array<{ detail: string }> }).checks[0];
      assert.match(rateCheck?.detail ?? '', /^chat-api: 1 of the last 5 traces failed \(20 %\)$/m);
    } finally {
      for (const { server } of servers) server.close();
    }
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
      assert.match(stderr, new RegExp(`port ${taken} \\(auth\\) is already in use: .* or set AUTH_PORT to another port`));
    } finally {
      holder.close();
    }
  });

  it('refuses a malformed or unreachable DATABASE_URL with one line naming it, no stack', async () => {
    const ports = { AUTH_PORT: String(await freePort()), CHAT_API_PORT: String(await freePort()), INFERENCE_PORT: String(await freePort()), WEB_PORT: String(await freePort()) };
    const malformed = await cli(['start'], { ...env, ...ports, DATABASE_URL: 'localhost:5432/app' });
    assert.equal(malformed.status, 1);
    assert.equal(malformed.stderr, 'samosachaat start: DATABASE_URL must be a postgres:// or postgresql:// URL, got a localhost:// URL; unset it to use the embedded PGlite database in DATA_DIR\n');
    const unreachable = await cli(['start'], { ...env, ...ports, DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:9/app' });
    assert.equal(unreachable.status, 1);
    assert.equal(
      unreachable.stderr,
      'samosachaat start: DATABASE_URL: cannot connect to postgres://127.0.0.1:9/app (ECONNREFUSED): start that PostgreSQL server or correct DATABASE_URL (unset it to use the embedded PGlite database in DATA_DIR)\n',
    );
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
