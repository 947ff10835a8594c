import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openTestPostgres, postgresUnavailable, type OwnedDatabase } from './support/databases.js';
import { freePort, startAuthProcess, type AuthProcess } from './support/process.js';
import { scaled } from '../../../test/support/timeouts.js';

const pgProblem = await postgresUnavailable();

describe('login rate limit shared by two auth processes on one PostgreSQL database', { timeout: scaled(120_000) }, () => {
  if (pgProblem !== undefined) {
    const message = `PostgreSQL is not reachable at 127.0.0.1:5432 (${pgProblem})`;
    if (process.env.CI === 'true') {
      it('needs PostgreSQL under CI=true', () => {
        throw new Error(message);
      });
    } else {
      console.warn(`\n!!! SKIPPED: two-replica login limits: ${message}\n`);
      it.skip(message);
    }
    return;
  }
  let owned: OwnedDatabase;
  let dir: string;
  const replicas: AuthProcess[] = [];
  before(async () => {
    owned = await openTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'auth-replicas-'));
    // The description leaves the user out; the test server trusts "postgres".
    const url = owned.db.description.replace(/^postgres:\/\//, 'postgres://postgres@');
    const internalApiKey = randomBytes(24).toString('hex');
    for (const name of ['a', 'b']) {
      replicas.push(
        await startAuthProcess({ SAMOSACHAAT_LOCAL: 'true', DATABASE_URL: url, DATA_DIR: join(dir, name), PORT: String(await freePort()), INTERNAL_API_KEY: internalApiKey }, scaled(30_000)),
      );
    }
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await owned?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const devLogin = (replica: AuthProcess, client: string) =>
    fetch(`${replica.url}/auth/dev-login`, {
      method: 'POST',
      // What web sends: the client's address in X-Forwarded-For (both replicas trust loopback in local mode).
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ email: 'replicas@example.com' }),
    });

  it('refuses the 11th attempt of a minute whichever replica it reaches, and only for that address', async () => {
    const [a, b] = replicas as [AuthProcess, AuthProcess];
    for (let i = 0; i < 10; i++) {
      const res = await devLogin(i % 2 === 0 ? a : b, '203.0.113.10');
      assert.equal(res.status, 200, `attempt ${i + 1}: ${await res.text()}`);
    }
    for (const replica of [a, b]) {
      const refused = await devLogin(replica, '203.0.113.10');
      assert.equal(refused.status, 429);
      const body = (await refused.json()) as { error: { code: string; trace_id?: string } };
      assert.equal(body.error.code, 'AUTH_RATE_LIMITED');
      assert.match(String(body.error.trace_id), /^[0-9a-f]{32}$/);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    }
    assert.equal((await devLogin(b, '203.0.113.11')).status, 200, 'another address keeps its own budget');
    const rows = await owned.db.query<{ n: number }>("SELECT cardinality(attempts_ms) AS n FROM login_attempts WHERE endpoint = 'dev_login' AND client_address = '203.0.113.10'");
    assert.equal(Number(rows.rows[0]?.n), 10, 'the database holds the one shared budget');
  });
});
