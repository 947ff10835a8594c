import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrationLabel, openDatabase } from '@samosachaat/db';
import { FakeAuth } from './support/fake-auth.js';
import { FakeInference } from './support/fake-inference.js';
import { newInternalKey } from './support/harness.js';
import { runMain, type ChatProcess } from './support/process.js';
import { DONE_STORED, parseEvents, storedEvents } from './support/sse.js';

describe('main.ts as a real process', () => {
  const key = newInternalKey();
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-api-main-'));
  let auth: FakeAuth;
  let inference: FakeInference;
  const processes: ChatProcess[] = [];
  const run = (env: Record<string, string>) => {
    const p = runMain(env);
    processes.push(p);
    return p;
  };
  before(async () => {
    auth = await new FakeAuth(key).start();
    inference = await new FakeInference(key).start();
  });
  after(async () => {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exited));
    await auth?.stop();
    await inference?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start on a bad variable with one line naming it (and never echoing the key)', async () => {
    const missing = run({ DATA_DIR: dataDir });
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr(), /^chat-api: configuration error: INTERNAL_API_KEY: is required/);
    assert.equal(missing.stderr().trim().split('\n').length, 1);

    const short = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: 'tiny-secret-value' });
    assert.equal(await short.exited, 1);
    assert.match(short.stderr(), /INTERNAL_API_KEY: must be at least 32 characters/);
    assert.equal(short.stderr().includes('tiny-secret-value'), false);

    const streams = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: key, MAX_STREAMS_PER_USER: 'lots' });
    assert.equal(await streams.exited, 1);
    assert.match(streams.stderr(), /MAX_STREAMS_PER_USER: must be a whole number/);
  });

  it('refuses to start on an unmigrated database, naming the fix', async () => {
    const p = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: key, PORT: '0', AUTH_URL: auth.url, INFERENCE_URL: inference.url });
    assert.equal(await p.exited, 1);
    const all = loadMigrations();
    assert.match(p.stderr(), new RegExp(`missing ${all.length} migrations? \\(${all.map((m) => m.file.replace('.sql', '')).join(', ')}\\).*MIGRATE_ON_START=true`));
  });

  it('refuses a DATABASE_URL nobody answers at with one line naming the variable and the fix', async () => {
    const p = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: key, PORT: '0', AUTH_URL: auth.url, INFERENCE_URL: inference.url, DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:9/app' });
    assert.equal(await p.exited, 1);
    assert.equal(
      p.stderr(),
      'chat-api: DATABASE_URL: cannot connect to postgres://127.0.0.1:9/app (ECONNREFUSED): start that PostgreSQL server or correct DATABASE_URL (unset it to use the embedded PGlite database in DATA_DIR)\n',
    );
  });

  it('with MIGRATE_ON_START=true applies the migrations, serves, is ready, and exits 0 on SIGTERM', async () => {
    const p = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: key, PORT: '0', AUTH_URL: auth.url, INFERENCE_URL: inference.url, MIGRATE_ON_START: 'true' });
    const started = await p.started;
    const url = String(started.address);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(started.service, 'chat-api');
    assert.deepEqual(
      p.lines.find((l) => l.message === 'migrations_applied')?.applied,
      loadMigrations().map(migrationLabel),
    );
    assert.deepEqual(await (await fetch(`${url}/api/health`)).json(), { status: 'ok', service: 'chat-api' });
    const ready = await fetch(`${url}/ready`);
    assert.equal(ready.status, 200, await ready.text());
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.ok(p.lines.some((l) => l.message === 'service_stopped'));
  });

  it('on SIGTERM lets a streaming answer finish and be persisted before exiting 0', async () => {
    // chat-api trusts auth for the user; the users row is auth's to write, so the test writes it.
    const db = await openDatabase({ dataDir });
    const { rows } = await db.query<{ id: string }>(`INSERT INTO users (email, name, provider, provider_id) VALUES ('main@example.test', 'Main', 'test', 'main') RETURNING id`);
    await db.close();
    const userId = (rows[0] as { id: string }).id;
    auth.grant('main-test-token', { id: userId, email: 'main@example.test', name: 'Main', is_admin: false });

    const p = run({ DATA_DIR: dataDir, INTERNAL_API_KEY: key, PORT: '0', AUTH_URL: auth.url, INFERENCE_URL: inference.url });
    const url = String((await p.started).address);
    const headers = { authorization: 'Bearer main-test-token', 'content-type': 'application/json' };
    const id = ((await (await fetch(`${url}/api/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string }).id;
    inference.current = { tokens: ['slow ', 'and ', 'steady ', 'wins'], delayMs: 200 };
    const res = await fetch(`${url}/api/conversations/${id}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: 'tell me' }) });
    const reader = res.body!.getReader();
    let text = Buffer.from((await reader.read()).value!).toString();
    p.child.kill('SIGTERM');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    assert.deepEqual(storedEvents(parseEvents(text)).at(-1), DONE_STORED);
    assert.equal(await p.exited, 0);
    const stopping = p.lines.findIndex((l) => l.message === 'service_stopping');
    const persisted = p.lines.findIndex((l) => l.message === 'message_persisted' && l.role === 'assistant');
    assert.ok(stopping >= 0 && persisted > stopping, 'the answer was persisted during the shutdown');

    const after = await openDatabase({ dataDir });
    const stored = await after.query<{ content: string; status: string }>(`SELECT content, status FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, [id]);
    await after.close();
    assert.deepEqual(stored.rows, [{ content: 'slow and steady wins', status: 'complete' }]);
  });
});
