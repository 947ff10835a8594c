import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { purgeLoginAttempts } from '../src/login-attempts.js';
import { describeOnDatabases } from './support/databases.js';
import { FakeOAuthServer } from './support/fake-oauth.js';
import { startHarness, type Harness } from './support/harness.js';

describeOnDatabases('login rate limit', (handle) => {
  let fake: FakeOAuthServer;
  let h: Harness;
  let proxied: Harness;
  let now = Date.now();
  before(async () => {
    fake = await FakeOAuthServer.start();
    h = await startHarness(handle.db, { SAMOSACHAAT_LOCAL: 'true', LOGIN_RATE_LIMIT: '10', ...fake.env() }, { now: () => now });
    proxied = await startHarness(handle.db, { SAMOSACHAAT_LOCAL: 'true', LOGIN_RATE_LIMIT: '10', TRUST_PROXY: 'true' });
  });
  after(async () => {
    await h.close();
    await proxied.close();
    await fake.close();
  });

  const devLogin = (app: Harness, ip: string, headers: Record<string, string> = {}) =>
    app.app.inject({ method: 'POST', url: '/auth/dev-login', remoteAddress: ip, headers, payload: { email: 'limited@example.com' } });

  it('answers the 11th development login of a minute from one IP with 429, Retry-After and AUTH_RATE_LIMITED', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await devLogin(h, '203.0.113.7');
      assert.equal(res.statusCode, 200, `attempt ${i + 1}: ${res.body}`);
      now += 1000;
    }
    const refused = await devLogin(h, '203.0.113.7');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '50');
    assert.equal(refused.json().error.code, 'AUTH_RATE_LIMITED');
    assert.match(refused.json().error.message, /try again in 50 s/);
    assert.equal(await h.metric('auth_rate_limited_total{endpoint="dev_login"}'), 1);
    assert.equal(h.logs.find('login_rate_limited')[0]?.endpoint, 'dev_login');

    assert.equal((await devLogin(h, '198.51.100.1')).statusCode, 200, 'another address is not affected');
    assert.equal((await devLogin(h, '203.0.113.7', { 'x-forwarded-for': '198.51.100.99' })).statusCode, 429, 'X-Forwarded-For is ignored without TRUST_PROXY');

    now += 50_000;
    assert.equal((await devLogin(h, '203.0.113.7')).statusCode, 200, 'the window slid past the first attempt');
  });

  it('limits starting an OAuth sign-in the same way', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await h.app.inject({ url: '/auth/login/github', remoteAddress: '192.0.2.50' })).statusCode, 302);
    const refused = await h.app.inject({ url: '/auth/login/github', remoteAddress: '192.0.2.50' });
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(refused.headers.location, undefined);
    assert.equal(await h.metric('auth_rate_limited_total{endpoint="login"}'), 1);
  });

  it('limits the callback too', async () => {
    for (let i = 0; i < 10; i++) await h.app.inject({ url: '/auth/callback/github?code=x&state=y', remoteAddress: '192.0.2.60' });
    const refused = await h.app.inject({ url: '/auth/callback/github?code=x&state=y', remoteAddress: '192.0.2.60' });
    assert.equal(refused.statusCode, 429);
    assert.equal(await h.metric('auth_rate_limited_total{endpoint="callback"}'), 1);
  });

  it('lets exactly the budget through when attempts of one address arrive at once', async () => {
    const results = await Promise.all(Array.from({ length: 25 }, () => devLogin(proxied, '10.0.0.1', { 'x-forwarded-for': '203.0.113.77' })));
    assert.equal(results.filter((r) => r.statusCode === 200).length, 10);
    assert.equal(results.filter((r) => r.statusCode === 429).length, 15);
  });

  it('believes X-Forwarded-For only from the proxies TRUST_PROXY names (local mode: loopback, where web runs)', async () => {
    // h is in local mode: loopback (web) is trusted, nobody else is.
    for (let i = 0; i < 10; i++) assert.equal((await devLogin(h, '127.0.0.1', { 'x-forwarded-for': '198.51.100.150' })).statusCode, 200);
    assert.equal((await devLogin(h, '127.0.0.1', { 'x-forwarded-for': '198.51.100.150' })).statusCode, 429, 'the client web named is limited');
    assert.equal((await devLogin(h, '127.0.0.1', { 'x-forwarded-for': '198.51.100.151' })).statusCode, 200, 'not the next client behind web');
    for (let i = 0; i < 10; i++) await devLogin(h, '192.0.2.99', { 'x-forwarded-for': `198.51.100.${i}` });
    assert.equal((await devLogin(h, '192.0.2.99', { 'x-forwarded-for': '198.51.100.200' })).statusCode, 429, 'a caller that is not web cannot pick its address');
  });

  it('sweeps the rows of addresses whose attempts left the window', async () => {
    const before = await handle.db.query<{ n: string }>('SELECT count(*) AS n FROM login_attempts');
    assert.ok(Number(before.rows[0]?.n) > 0);
    assert.equal(await purgeLoginAttempts(handle.db, 60_000, now + 3_600_000), Number(before.rows[0]?.n));
    const after = await handle.db.query<{ n: string }>('SELECT count(*) AS n FROM login_attempts');
    assert.equal(Number(after.rows[0]?.n), 0);
  });

  it('counts the forwarded client address when TRUST_PROXY=true', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await devLogin(proxied, '10.0.0.1', { 'x-forwarded-for': '203.0.113.200' })).statusCode, 200);
    assert.equal((await devLogin(proxied, '10.0.0.1', { 'x-forwarded-for': '203.0.113.200' })).statusCode, 429);
    assert.equal((await devLogin(proxied, '10.0.0.1', { 'x-forwarded-for': '203.0.113.201' })).statusCode, 200, 'another client behind the same proxy');
  });
});
