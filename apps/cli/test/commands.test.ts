/**
 * keys, migrate, token, logs and traces, each run as a real `samosachaat` process against a
 * fresh DATA_DIR (embedded PGlite) — what an operator types.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importSPKI, jwtVerify } from 'jose';
import { loadMigrations } from '@samosachaat/db';
import { freePort, runCli } from '../../../test/support/platform.js';
import { scaled } from '../../../test/support/timeouts.js';

const cli = runCli;

let scratch: string;
let env: Record<string, string>;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'samosachaat-cmd-'));
  env = { DATA_DIR: join(scratch, 'data'), LOG_DIR: '', DATABASE_URL: '' };
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('keys, migrate, token', { timeout: scaled(240_000) }, () => {
  it('keys writes a 0600 pair and refuses to overwrite it without --force', async () => {
    const first = await cli(['keys'], env);
    assert.equal(first.status, 0, first.stderr);
    const privatePath = join(scratch, 'data', 'keys', 'jwt-private.pem');
    assert.match(first.stdout, new RegExp(`JWT_PRIVATE_KEY_PATH=${privatePath}`));
    assert.equal((await stat(privatePath)).mode & 0o777, 0o600);
    assert.equal((await stat(join(scratch, 'data', 'keys', 'jwt-public.pem'))).mode & 0o777, 0o600);
    // A user error: one line with the fix, exit 2; never "internal error" and a stack.
    const again = await cli(['keys'], env);
    assert.equal(again.status, 2);
    assert.equal(
      again.stderr,
      `samosachaat keys: JWT_PRIVATE_KEY_PATH: ${privatePath} already exists; not overwriting it; add --force to replace the pair (everyone signed in will have to sign in again)\n`,
    );
    const before = await readFile(privatePath, 'utf8');
    const forced = await cli(['keys', '--force'], env);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual(await readFile(privatePath, 'utf8'), before);
  });

  it('migrate --status lists pending migrations, migrate applies them, then it is up to date', async () => {
    const status = await cli(['migrate', '--status'], env);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /pending {2}0001_initial/);
    assert.match(status.stdout, /pending {2}0002_message_sequence/);
    assert.match(status.stdout, new RegExp(`${loadMigrations().length} pending: run \`samosachaat migrate\``));
    // A status read creates no database (initdb is the slow part, and a read has no side effects).
    assert.match(status.stdout, /\(not created yet\)/);
    await assert.rejects(stat(join(scratch, 'data', 'pglite')), { code: 'ENOENT' });
    const applied = await cli(['migrate'], env);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /applied {2}0001_initial/);
    assert.match(applied.stdout, /applied {2}0002_message_sequence/);
    const again = await cli(['migrate'], env);
    assert.match(again.stdout, /up to date: no pending migrations/);
    const after = await cli(['migrate', '--status'], env);
    assert.match(after.stdout, /applied {2}0001_initial/);
    assert.match(after.stdout, /up to date/);
  });

  it('token prints an RS256 access token for the user that the public key verifies', async () => {
    const { status, stdout, stderr } = await cli(['token', '--email', 'Ops@Example.com', '--name', 'On Call'], env);
    assert.equal(status, 0, stderr);
    const token = stdout.trim();
    const publicKey = await importSPKI(await readFile(join(scratch, 'data', 'keys', 'jwt-public.pem'), 'utf8'), 'RS256');
    const { payload } = await jwtVerify(token, publicKey, { issuer: 'samosachaat-auth' });
    assert.equal(payload['email'], 'ops@example.com');
    assert.equal(payload['name'], 'On Call');
    assert.ok(typeof payload.sub === 'string' && payload.sub.length === 36);
  });

  it('usage errors exit 2 and name the problem', async () => {
    const noEmail = await cli(['token'], env);
    assert.equal(noEmail.status, 2);
    assert.match(noEmail.stderr, /--email is required/);
    const unknown = await cli(['migrate', '--down'], env);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown option '--down'/);
    const badTrace = await cli(['traces', 'xyz'], env);
    assert.equal(badTrace.status, 2);
    assert.match(badTrace.stderr, /"xyz" is not a trace id/);
    const badLevel = await cli(['logs', '--level', 'loud'], env);
    assert.equal(badLevel.status, 2);
    assert.match(badLevel.stderr, /--level must be one of debug, info, warning, error, critical/);
  });
});

// Its own time budget: these start a dozen processes, and one of them creates a database.
describe('key paths, and user errors as one line with the fix', { timeout: scaled(120_000) }, () => {
  it('keys writes where JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH point (what auth reads)', async () => {
    const keyEnv = { ...env, JWT_PRIVATE_KEY_PATH: join(scratch, 'elsewhere', 'signing.pem'), JWT_PUBLIC_KEY_PATH: join(scratch, 'elsewhere', 'verify.pem') };
    const made = await cli(['keys'], keyEnv);
    assert.equal(made.status, 0, made.stderr);
    assert.equal((await stat(keyEnv.JWT_PRIVATE_KEY_PATH)).mode & 0o777, 0o600);
    assert.equal((await stat(keyEnv.JWT_PUBLIC_KEY_PATH)).mode & 0o777, 0o600);
  });

  it('user errors of token and of the database are one line naming the fix, without a stack', async () => {
    const noStack = (run: { stderr: string }) => {
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /internal error|^\s+at /m);
    };
    const badEmail = await cli(['token', '--email', 'not-an-email'], env);
    assert.equal(badEmail.status, 2);
    assert.equal(badEmail.stderr, 'samosachaat token: --email: "not-an-email" is not an e-mail address (e.g. --email you@example.com)\n');
    const badName = await cli(['token', '--email', 'a@example.com', '--name', ' '], env);
    assert.equal(badName.status, 2);
    assert.match(badName.stderr, /^samosachaat token: --name: name must be 1 to 100 characters/);
    noStack(badName);
    const refused = await cli(['token', '--email', 'a@example.com'], { ...env, DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:9/app' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^samosachaat token: DATABASE_URL: cannot connect to postgres:\/\/127\.0\.0\.1:9\/app \(ECONNREFUSED\): start that PostgreSQL server or correct DATABASE_URL/);
    assert.doesNotMatch(refused.stderr, /hunter2/);
    noStack(refused);
    const malformed = await cli(['migrate', '--status'], { ...env, DATABASE_URL: 'mysql://db/app' });
    assert.equal(malformed.status, 2);
    assert.equal(malformed.stderr, 'samosachaat migrate: DATABASE_URL: must be a postgres:// or postgresql:// URL, got a mysql:// URL\n');
    const noKeys = await cli(['token', '--email', 'a@example.com'], { ...env, DATA_DIR: join(scratch, 'no-keys') });
    assert.equal(noKeys.status, 2);
    assert.match(noKeys.stderr, /^samosachaat token: JWT_PRIVATE_KEY_PATH: no key file at .*; fix: run `samosachaat keys`/);
    noStack(noKeys);
    // Keys but no migrations: the fix, not "relation users does not exist".
    const fresh = { ...env, DATA_DIR: join(scratch, 'unmigrated') };
    assert.equal((await cli(['keys'], fresh)).status, 0);
    const unmigrated = await cli(['token', '--email', 'a@example.com'], fresh);
    assert.equal(unmigrated.status, 1);
    assert.match(unmigrated.stderr, /^samosachaat token: the database is missing \d+ migrations \(0001_initial, .*\): run `samosachaat migrate`/);
    noStack(unmigrated);
  });
});

describe('logs', () => {
  it('follows one trace across services, in timestamp order, filtered by level', async () => {
    const dir = join(scratch, 'logs');
    await mkdir(dir, { recursive: true });
    const trace = 'b'.repeat(32);
    const line = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;
    await writeFile(
      join(dir, 'chat-api-2026-11-25.log'),
      line({ timestamp: '2026-11-25T10:00:00.000Z', level: 'info', service: 'chat-api', logger: 'http', message: 'http_request_completed', trace_id: trace, status_code: 200 }) +
        line({ timestamp: '2026-11-25T10:00:00.500Z', level: 'info', service: 'chat-api', logger: 'http', message: 'other', trace_id: 'c'.repeat(32) }) +
        'not json\n',
    );
    await writeFile(
      join(dir, 'inference-2026-11-25.log'),
      line({ timestamp: '2026-11-25T09:59:59.900Z', level: 'warning', service: 'inference', logger: 'generation', message: 'slow_generation', trace_id: trace }),
    );
    const all = await cli(['logs', '--dir', dir, '--trace', trace], env);
    assert.equal(all.status, 0, all.stderr);
    const shown = all.stdout.trim().split('\n');
    assert.equal(shown.length, 2);
    assert.match(shown[0] ?? '', /^2026-11-25T09:59:59\.900Z WARNING +inference +generation +slow_generation/);
    assert.match(shown[1] ?? '', /chat-api .*http_request_completed {2}status_code=200/);
    const warnings = await cli(['logs', '--dir', dir, '--level', 'warning', '--json'], env);
    assert.deepEqual(warnings.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message), ['slow_generation']);
  });

  it('shows the last 100 lines by default, --tail N more or fewer, and --since a duration or a date', async () => {
    const dir = join(scratch, 'busy-logs');
    await mkdir(dir, { recursive: true });
    const now = Date.now();
    // 250 lines, one a minute, the newest 10 seconds ago.
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify({ timestamp: new Date(now - 10_000 - (249 - i) * 60_000).toISOString(), level: 'info', service: 'web', message: `line-${i}` }));
    await writeFile(join(dir, `web-${new Date(now).toISOString().slice(0, 10)}.log`), `${lines.join('\n')}\n`);
    const messages = (out: string) => out.trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message);

    const tail = await cli(['logs', '--dir', dir, '--json'], env);
    assert.equal(tail.status, 0, tail.stderr);
    assert.deepEqual(messages(tail.stdout), Array.from({ length: 100 }, (_, i) => `line-${150 + i}`));
    assert.equal(tail.stderr, 'samosachaat logs: the last 100 of 250 matching lines; --tail N shows more, --since narrows the window\n');
    assert.equal(messages((await cli(['logs', '--dir', dir, '--json', '--tail', '3'], env)).stdout).join(), 'line-247,line-248,line-249');

    // The last five minutes: the lines of 10 s, 70 s, 130 s, 190 s and 250 s ago.
    const recent = await cli(['logs', '--dir', dir, '--json', '--since', '5m'], env);
    assert.equal(recent.status, 0, recent.stderr);
    assert.deepEqual(messages(recent.stdout), ['line-245', 'line-246', 'line-247', 'line-248', 'line-249']);
    assert.equal(recent.stderr, '');
    const sinceDate = await cli(['logs', '--dir', dir, '--json', '--since', new Date(now - 10_000 - 60_000).toISOString()], env);
    assert.deepEqual(messages(sinceDate.stdout), ['line-248', 'line-249']);

    const bad = await cli(['logs', '--dir', dir, '--since', 'yesterday'], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--since "yesterday" is neither a duration \(30s, 5m, 2h, 1d, 1h30m\) nor an ISO 8601 date/);
    const badTail = await cli(['logs', '--dir', dir, '--tail', '0'], env);
    assert.equal(badTail.status, 2);
    assert.match(badTail.stderr, /--tail must be a whole number of lines from 1 to 100000, got "0"/);
  });
});

describe('traces', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  async function fakeService(service: string, traces: unknown[], port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const one = /^\/debug\/traces\/([0-9a-f]{32})$/.exec(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (one) {
        const t = (traces as Array<{ trace_id: string }>).find((x) => x.trace_id === one[1]);
        res.statusCode = t ? 200 : 404;
        res.end(JSON.stringify(t ?? { error: { code: 'TRACE_NOT_FOUND', message: 'no such trace' } }));
      } else res.end(JSON.stringify({ service, count: traces.length, traces }));
    });
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  function span(service: string, id: string, parent: string | null, name: string, start: string, ms: number, status = 'ok') {
    return { trace_id: 'a'.repeat(32), span_id: id, parent_span_id: parent, name, kind: 'server', service, start_time: start, duration_ms: ms, status, attributes: {}, events: [] };
  }

  it('merges one trace from every service into a waterfall', async () => {
    const chat = [span('chat-api', '1'.repeat(16), null, 'POST /api/conversations/:id/messages', '2026-11-25T10:00:00.000Z', 900)];
    const inf = [span('inference', '2'.repeat(16), '1'.repeat(16), 'chat demo', '2026-11-25T10:00:00.100Z', 700, 'error')];
    const record = (service: string, spans: unknown[]) => ({ trace_id: 'a'.repeat(32), root_name: 'x', start_time: '2026-11-25T10:00:00.000Z', duration_ms: 900, span_count: spans.length, dropped_spans: 0, error: service === 'inference', spans });
    const urls = { CHAT_API_URL: await fakeService('chat-api', [record('chat-api', chat)]), INFERENCE_URL: await fakeService('inference', [record('inference', inf)]), AUTH_URL: await fakeService('auth', []), WEB_URL: await fakeService('web', []) };
    const one = await cli(['traces', 'a'.repeat(32)], { ...env, ...urls });
    assert.equal(one.status, 0, one.stderr);
    const lines = one.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^trace a{32} {2}900\.0 ms {2}2 spans {2}ERROR$/);
    assert.match(lines[1] ?? '', /^chat-api +\|█{40}\| +900\.0 ms {2}POST \/api\/conversations\/:id\/messages$/);
    assert.match(lines[2] ?? '', /^inference +\| {4}█+ *\| +700\.0 ms {4}chat demo {2}ERROR$/);
    const list = await cli(['traces', '--json'], { ...env, ...urls });
    const body = JSON.parse(list.stdout) as { traces: Array<{ trace_id: string; span_count: number; error: boolean; root_name: string }> };
    assert.deepEqual(body.traces.map((t) => [t.trace_id, t.span_count, t.error, t.root_name]), [['a'.repeat(32), 2, true, 'POST /api/conversations/:id/messages']]);
    const missing = await cli(['traces', 'f'.repeat(32)], { ...env, ...urls });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /is in no service's buffer/);
  });

  it('finds services started with *_PORT variables, and hides scrapes, probes and trace reads unless --all', async () => {
    const trace = (id: string, name: string, start: string) => ({
      trace_id: id.repeat(32),
      root_name: name,
      start_time: start,
      duration_ms: 1,
      span_count: 1,
      dropped_spans: 0,
      error: false,
      spans: [{ ...span('chat-api', id.repeat(16), null, name, start, 1), trace_id: id.repeat(32) }],
    });
    const chatPort = await freePort();
    await fakeService('chat-api', [
      trace('1', 'POST /api/conversations/:id/messages', '2026-11-25T10:00:05.000Z'),
      trace('2', 'GET /metrics', '2026-11-25T10:00:04.000Z'),
      trace('3', 'GET /ready', '2026-11-25T10:00:03.000Z'),
      trace('4', 'GET /debug/traces', '2026-11-25T10:00:02.000Z'),
      trace('5', 'GET /ops/api/traces', '2026-11-25T10:00:01.000Z'),
    ], chatPort);
    // Only CHAT_API_PORT, as `npm start` was given: no *_URL.
    const portEnv = { ...env, CHAT_API_PORT: String(chatPort), AUTH_PORT: String(await freePort()), INFERENCE_PORT: String(await freePort()), WEB_PORT: String(await freePort()) };
    const shown = await cli(['traces', '--json'], portEnv);
    assert.equal(shown.status, 0, shown.stderr);
    assert.deepEqual((JSON.parse(shown.stdout) as { traces: Array<{ root_name: string }> }).traces.map((t) => t.root_name), ['POST /api/conversations/:id/messages']);
    // The services that are not running are named at the ports the variables give.
    assert.match(shown.stderr, new RegExp(`auth: not reachable at http://127\\.0\\.0\\.1:${portEnv.AUTH_PORT} \\(ECONN(REFUSED|RESET)\\)`));
    const all = await cli(['traces', '--json', '--all'], portEnv);
    assert.equal((JSON.parse(all.stdout) as { traces: unknown[] }).traces.length, 5);
    const nobody = await cli(['traces'], { ...env, CHAT_API_PORT: portEnv.AUTH_PORT, AUTH_PORT: portEnv.AUTH_PORT, INFERENCE_PORT: portEnv.INFERENCE_PORT, WEB_PORT: portEnv.WEB_PORT });
    assert.equal(nobody.status, 1);
    assert.match(nobody.stderr, /no service answered: start the platform \(`npm start`\), or run this with the \*_PORT \(or \*_URL\) variables it was started with\n$/);
    const badPort = await cli(['traces'], { ...env, CHAT_API_PORT: 'x' });
    assert.equal(badPort.status, 2);
    assert.equal(badPort.stderr, 'samosachaat traces: CHAT_API_PORT must be a port number (1-65535), got "x"\n');
  });
});
