import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations } from '@samosachaat/db';
import { freePort, runAuthToExit, startAuthProcess, type AuthProcess } from './support/process.js';

const INTERNAL_API_KEY = randomBytes(24).toString('hex');

describe('auth as a real process (src/main.ts)', () => {
  let dir: string;
  let firstKid: unknown;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-main-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('starts in local mode on a fresh DATA_DIR: keys generated 0600, migrations applied, health, readiness and dev-login work, SIGTERM exits 0', async (t) => {
    const dataDir = join(dir, 'local');
    const port = await freePort();
    let service: AuthProcess | undefined = await startAuthProcess({ SAMOSACHAAT_LOCAL: 'true', DATA_DIR: dataDir, MIGRATE_ON_START: 'true', PORT: String(port), INTERNAL_API_KEY });
    t.after(async () => {
      await service?.stop();
    });
    assert.equal(service.url, `http://127.0.0.1:${port}`);
    const started = service.lines.find((l) => l.message === 'service_started');
    assert.equal(started?.service, 'auth');
    assert.equal(started?.dev_login, true);
    firstKid = started?.jwt_kid;
    assert.ok(service.lines.some((l) => l.message === 'jwt_keys_generated'));
    assert.ok(service.lines.some((l) => l.message === 'migrations_applied' && l.applied_count === loadMigrations().length));
    for (const file of ['jwt-private.pem', 'jwt-public.pem']) assert.equal((await stat(join(dataDir, 'keys', file))).mode & 0o777, 0o600, file);

    const health = await fetch(`${service.url}/auth/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', service: 'auth' });
    const ready = await fetch(`${service.url}/ready`);
    assert.equal(ready.status, 200);
    const readiness = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> };
    assert.equal(readiness.status, 'ready');
    assert.deepEqual(readiness.checks.map((c) => [c.name, c.ok]), [['database', true]]);

    const login = await fetch(`${service.url}/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'newcomer@example.com' }) });
    assert.equal(login.status, 200);
    const body = (await login.json()) as { access_token: string; user: { email: string } };
    assert.equal(body.user.email, 'newcomer@example.com');
    assert.match(login.headers.get('set-cookie') ?? '', /^samosachaat_refresh=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/auth; Expires=.*; HttpOnly; SameSite=Lax$/);
    const validated = await fetch(`${service.url}/auth/validate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-internal-api-key': INTERNAL_API_KEY }, body: JSON.stringify({ token: body.access_token }) });
    assert.equal(validated.status, 200);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    assert.match(metrics, /^auth_logins_total\{provider="dev",outcome="success",service="auth"\} 1$/m);

    const code = await service.stop();
    service = undefined;
    assert.equal(code, 0);
  });

  it('starts again on the same DATA_DIR without MIGRATE_ON_START, keeping the generated keys', async (t) => {
    const service = await startAuthProcess({ SAMOSACHAAT_LOCAL: 'true', DATA_DIR: join(dir, 'local'), PORT: String(await freePort()), INTERNAL_API_KEY });
    t.after(() => service.stop());
    assert.ok(firstKid, 'the first start ran');
    assert.equal(service.lines.find((l) => l.message === 'service_started')?.jwt_kid, firstKid);
    assert.equal(service.lines.some((l) => l.message === 'jwt_keys_generated' || l.message === 'migrations_applied'), false);
    assert.equal((await fetch(`${service.url}/ready`)).status, 200);
    assert.equal(await service.stop(), 0);
  });

  it('refuses a fresh DATA_DIR without MIGRATE_ON_START, with the pending-migrations message', async () => {
    const fresh = join(dir, 'unmigrated');
    const result = await runAuthToExit({ SAMOSACHAAT_LOCAL: 'true', DATA_DIR: fresh, PORT: String(await freePort()), INTERNAL_API_KEY });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const all = loadMigrations();
    // Every migration the code ships, in order, named the one way (NNNN_name).
    const names = all.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
    assert.ok(names.startsWith('0001_initial, 0002_message_sequence, 0003_message_parts, 0004_history_version, 0005_answer_lifecycle, 0006_client_message_id, 0007_login_attempts_and_oauth_states'));
    assert.equal(result.stderr, `auth: the database is missing ${all.length} migrations (${names}): run \`samosachaat migrate\` or set MIGRATE_ON_START=true\n`);
  });

  it('refuses to start outside local mode without keys, naming the variable and `samosachaat keys`', async () => {
    const result = await runAuthToExit({ DATA_DIR: join(dir, 'prod'), PORT: String(await freePort()), INTERNAL_API_KEY });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^auth: JWT_PRIVATE_KEY_PATH: no key file at .*jwt-private\.pem\. Fix: run `samosachaat keys`/);
    await assert.rejects(stat(join(dir, 'prod', 'keys', 'jwt-private.pem')), 'no key was generated outside local mode');
  });

  it('refuses a DATABASE_URL nobody answers at with one line naming the variable and the fix', async () => {
    const result = await runAuthToExit({ SAMOSACHAAT_LOCAL: 'true', DATA_DIR: join(dir, 'refused'), PORT: String(await freePort()), INTERNAL_API_KEY, DATABASE_URL: 'postgres://app:secret@127.0.0.1:9/app' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'auth: DATABASE_URL: cannot connect to postgres://127.0.0.1:9/app (ECONNREFUSED): start that PostgreSQL server or correct DATABASE_URL (unset it to use the embedded PGlite database in DATA_DIR)\n',
    );
    assert.doesNotMatch(result.stdout + result.stderr, /secret/);
  });

  it('refuses half a key pair in local mode, naming the missing file, with no --force it does not have', async () => {
    const half = join(dir, 'local');
    await rm(join(half, 'keys', 'jwt-private.pem'));
    const result = await runAuthToExit({ SAMOSACHAAT_LOCAL: 'true', DATA_DIR: half, PORT: String(await freePort()), INTERNAL_API_KEY });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^auth: JWT_PRIVATE_KEY_PATH: no key file at .*jwt-private\.pem, but the other half of the pair, .*jwt-public\.pem, exists\. Fix: restore /);
    assert.doesNotMatch(result.stderr, /--force/);
  });

  it('refuses a bad variable with one line naming it', async () => {
    const result = await runAuthToExit({ DATA_DIR: join(dir, 'bad'), INTERNAL_API_KEY: 'too-short' });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'auth: INTERNAL_API_KEY: must be at least 32 characters, got 9\n');
  });
});
