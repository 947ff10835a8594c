import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AuthCache } from '../src/index.js';
import { startHarness, type Harness } from './support/harness.js';

/** A loopback URL nothing listens on (a port just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('auth guard', () => {
  let h: Harness;
  let clock = Date.now();
  const cache = new AuthCache(1024, 300_000, () => clock);
  before(async () => {
    h = await startHarness({ authCache: cache });
  });
  after(async () => {
    await h?.close();
  });

  it('leaves /api/health open and guards everything else under /api', async () => {
    const health = await h.call('GET', '/api/health', { user: null });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok', service: 'chat-api' });
    for (const [method, path] of [
      ['GET', '/api/conversations'],
      ['POST', '/api/conversations'],
      ['GET', '/api/models'],
      ['POST', '/api/models/swap'],
      ['POST', '/api/conversations/00000000-0000-4000-8000-000000000000/messages'],
    ] as const) {
      const res = await h.call(method, path, { user: null });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.json.error.code, 'CHAT_UNAUTHENTICATED');
      assert.match(res.json.error.message, /Bearer/);
    }
    assert.equal(h.auth.calls.length, 0, 'no header, no call to auth');
  });

  it('answers 401 to malformed Authorization headers without asking auth', async () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', `Bearer ${'a'.repeat(9000)}`, 'token abc']) {
      const res = await h.call('GET', '/api/conversations', { user: null, headers: { authorization: value } });
      assert.equal(res.status, 401, value.slice(0, 20));
      assert.equal(res.json.error.code, 'CHAT_UNAUTHENTICATED');
    }
    assert.equal(h.auth.calls.length, 0);
  });

  it('answers 401 CHAT_INVALID_TOKEN to a token auth rejects, and never caches the rejection', async () => {
    const bogus = `bogus.${Date.now()}`;
    for (let i = 0; i < 2; i++) {
      const res = await h.call('GET', '/api/conversations', { user: null, headers: { authorization: `Bearer ${bogus}` } });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, 'CHAT_INVALID_TOKEN');
    }
    assert.equal(h.auth.callsFor(bogus).length, 2);
  });

  it('asks auth once per token (with the internal key and the trace), then answers from the cache keyed by a hash', async () => {
    const dave = await h.addUser('dave');
    const missesBefore = (await h.metric('chat_auth_cache_requests_total{result="miss",service="chat-api"}')) ?? 0;
    const hitsBefore = (await h.metric('chat_auth_cache_requests_total{result="hit",service="chat-api"}')) ?? 0;
    const first = await h.call('GET', '/api/conversations', { user: dave });
    assert.equal(first.status, 200);
    const second = await h.call('GET', '/api/conversations', { user: dave });
    assert.equal(second.status, 200);
    const calls = h.auth.callsFor(dave.token);
    assert.equal(calls.length, 1, 'the second request was answered from the cache');
    assert.equal(calls[0]?.keyOk, true);
    assert.equal(calls[0]?.xTraceId, first.headers.get('x-trace-id'));
    assert.equal(calls[0]?.traceparent?.split('-')[1], first.headers.get('x-trace-id'));
    assert.equal(await h.metric('chat_auth_cache_requests_total{result="miss",service="chat-api"}'), missesBefore + 1);
    assert.equal(await h.metric('chat_auth_cache_requests_total{result="hit",service="chat-api"}'), hitsBefore + 1);

    const hash = createHash('sha256').update(dave.token).digest('hex');
    assert.ok(cache.keys().includes(hash));
    assert.ok(cache.keys().every((k) => /^[0-9a-f]{64}$/.test(k) && !k.includes(dave.token)));
  });

  it('asks auth again after the 5-minute TTL, and never trusts a token beyond its own expiry', async () => {
    const erin = await h.addUser('erin');
    await h.call('GET', '/api/conversations', { user: erin });
    clock += 299_000;
    await h.call('GET', '/api/conversations', { user: erin });
    assert.equal(h.auth.callsFor(erin.token).length, 1, 'still fresh at 299 s');
    clock += 2000;
    await h.call('GET', '/api/conversations', { user: erin });
    assert.equal(h.auth.callsFor(erin.token).length, 2, 'expired after 300 s');

    // A token that expires in 10 s is cached for 10 s, not 5 minutes.
    const frank = await h.addUser('frank');
    h.auth.grant(frank.token, frank, 10);
    clock = Date.now();
    await h.call('GET', '/api/conversations', { user: frank });
    clock += 9000;
    await h.call('GET', '/api/conversations', { user: frank });
    assert.equal(h.auth.callsFor(frank.token).length, 1);
    clock += 2000;
    await h.call('GET', '/api/conversations', { user: frank });
    assert.equal(h.auth.callsFor(frank.token).length, 2);
  });

  it('shares one auth call among concurrent first requests with the same token', async () => {
    const gina = await h.addUser('gina');
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.call('GET', '/api/conversations', { user: gina })));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(h.auth.callsFor(gina.token).length, 1);
  });

  it('binds user_id into the log lines and never logs the token', async () => {
    const res = await h.call('POST', '/api/conversations', { body: { title: 'logged' } });
    const line = h.logs.find('http_request_completed').find((l) => l.trace_id === res.headers.get('x-trace-id'));
    assert.equal(line?.user_id, h.alice.id);
    for (const user of [h.alice, h.bob, h.admin]) assert.equal(h.logs.text().includes(user.token), false);
  });

  it('answers 503 CHAT_AUTH_UNAVAILABLE with Retry-After when auth fails with 5xx or times out, and keeps serving cached tokens', async () => {
    await h.call('GET', '/api/conversations', { user: h.bob });
    const newcomer = await h.addUser('newcomer');
    h.auth.mode = 'status_500';
    try {
      const res = await h.call('GET', '/api/conversations', { user: newcomer });
      assert.equal(res.status, 503);
      assert.equal(res.json.error.code, 'CHAT_AUTH_UNAVAILABLE');
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(await h.metric('chat_upstream_errors_total{upstream="auth",reason="status_5xx",service="chat-api"}'), 1);
      assert.equal((await h.call('GET', '/api/conversations', { user: h.bob })).status, 200, 'a cached token still works');

      h.auth.mode = 'hang';
      const started = Date.now();
      const slow = await h.call('GET', '/api/conversations', { user: newcomer });
      const took = Date.now() - started;
      assert.equal(slow.status, 503);
      assert.equal(slow.json.error.code, 'CHAT_AUTH_UNAVAILABLE');
      assert.ok(took >= 1900 && took < 4000, `gave up after ${took} ms (budget 2 s)`);
      assert.equal(await h.metric('chat_upstream_errors_total{upstream="auth",reason="timeout",service="chat-api"}'), 1);
      const failed = h.logs.find('upstream_failed').filter((l) => l.upstream === 'auth');
      assert.deepEqual(failed.map((l) => l.reason), ['status_5xx', 'timeout']);
      assert.ok(failed.every((l) => l.level === 'error'));
    } finally {
      h.auth.mode = 'normal';
    }
    assert.equal((await h.call('GET', '/api/conversations', { user: newcomer })).status, 200, 'recovers with auth');
  });

  it('is ready on its database alone, and reports auth and inference as dependencies', async () => {
    const ready = await h.app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json().checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]), [['database', true]]);
    await h.app.dependencies.probeNow();
    const deps = (await h.app.inject({ url: '/health' })).json().dependencies;
    assert.deepEqual([deps.auth.ok, deps.inference.ok], [true, true]);
    assert.equal(await h.metric('dependency_up{dependency="auth",service="chat-api"}'), 1);
  });
});

describe('auth guard: auth unreachable', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { AUTH_URL: await closedPortUrl() } });
  });
  after(async () => {
    await h?.close();
  });

  it('answers 503 CHAT_AUTH_UNAVAILABLE with Retry-After, counts a connect failure, and stays ready', async () => {
    const res = await h.call('GET', '/api/conversations');
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'CHAT_AUTH_UNAVAILABLE');
    assert.equal(res.json.error.message, 'the auth service is unavailable; retry shortly');
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(await h.metric('chat_upstream_errors_total{upstream="auth",reason="connect",service="chat-api"}'), 1);
    const line = h.logs.find('upstream_failed')[0];
    assert.equal(line?.upstream, 'auth');
    assert.equal(line?.reason, 'connect');
    // Still ready (conversations of users whose tokens are cached keep working); auth's state
    // is in /health and the gauge.
    const ready = await h.app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    await h.app.dependencies.probeNow();
    const auth = (await h.app.inject({ url: '/health' })).json().dependencies.auth;
    assert.equal(auth.ok, false);
    assert.match(auth.detail, /fetch failed|ECONNREFUSED/);
    assert.equal(await h.metric('dependency_up{dependency="auth",service="chat-api"}'), 0);
  });
});
