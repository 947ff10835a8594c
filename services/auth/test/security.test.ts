import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { REFRESH_COOKIE } from '../src/index.js';
import { OAUTH_FLOW_COOKIE } from '../src/routes/oauth.js';
import { describeOnDatabases } from './support/databases.js';
import { CLIENT, FakeOAuthServer } from './support/fake-oauth.js';
import { cookieOf, startHarness, type Harness } from './support/harness.js';
import { beginLogin, deliverCallback, mixState } from './support/oauth-flow.js';

describeOnDatabases('secrets never reach the logs', (handle) => {
  let fake: FakeOAuthServer;
  let h: Harness;
  before(async () => {
    fake = await FakeOAuthServer.start();
    h = await startHarness(handle.db, { ...fake.env(), SAMOSACHAAT_LOCAL: 'true', LOGIN_RATE_LIMIT: '1000' });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  it('logs events, ids and reasons, but no token, code, verifier, state, cookie or key, through success and failure', async () => {
    const canaries: string[] = [CLIENT.github.secret, CLIENT.google.secret, h.internalApiKey];
    for (const provider of ['github', 'google']) {
      const flow = await beginLogin(h, provider);
      canaries.push(flow.flowCookie, flow.callbackUrl.searchParams.get('state') as string, flow.authorizeUrl.searchParams.get('code_challenge') as string);
      const res = await deliverCallback(h, flow.callbackUrl, flow.flowCookie);
      assert.equal(res.headers.location, 'http://127.0.0.1:3000/auth/complete');
      const refresh = cookieOf(res, REFRESH_COOKIE)?.value as string;
      canaries.push(refresh);
      const rotated = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh } });
      const access = rotated.json().access_token as string;
      canaries.push(access, cookieOf(rotated, REFRESH_COOKIE)?.value as string);
      await h.app.inject({ method: 'POST', url: '/auth/validate', headers: { 'x-internal-api-key': h.internalApiKey }, payload: { token: access } });
      await h.app.inject({ method: 'POST', url: '/auth/validate', headers: { 'x-internal-api-key': 'wrong-key-canary-0123456789abcdef' }, payload: { token: access } });
      await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${access}`, cookie: `${REFRESH_COOKIE}=${refresh}` } });
      await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh } }); // reuse → theft path
      await h.app.inject({ method: 'POST', url: '/auth/logout', cookies: { [REFRESH_COOKIE]: refresh } });
      // A failing exchange: the provider's refusal is logged, the code and verifier are not.
      const a = await beginLogin(h, provider);
      const b = await beginLogin(h, provider);
      canaries.push(a.callbackUrl.searchParams.get('code') as string, b.flowCookie);
      await deliverCallback(h, mixState(a.callbackUrl, b.callbackUrl), b.flowCookie);
    }
    const dev = await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email: 'canary@example.com' } });
    canaries.push(dev.json().access_token, cookieOf(dev, REFRESH_COOKIE)?.value as string);
    canaries.push('wrong-key-canary-0123456789abcdef');
    canaries.push(...fake.issuedAccessTokens, ...fake.issuedCodes);
    for (const request of fake.tokenRequests) canaries.push(request.params.code_verifier as string);

    const text = h.logs.text();
    assert.ok(h.logs.find('login_succeeded').length >= 3, 'the flows were logged');
    assert.ok(h.logs.find('login_failed').length >= 2);
    assert.ok(h.logs.find('refresh_token_reuse_detected').length >= 2);
    for (const canary of canaries) {
      assert.ok(canary && canary.length >= 16, `canary ${canary} is meaningful`);
      assert.equal(text.includes(canary), false, `a secret reached the log: ${canary.slice(0, 12)}…`);
    }
    assert.equal(text.includes(OAUTH_FLOW_COOKIE + '='), false);
    assert.equal(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(text), false, 'no JWT shape anywhere');
    h.logs.lines(); // every line also keeps the logging contract
  });

  it('never echoes a secret in an error answer', async () => {
    const broken = await startHarness(handle.db, { ...fake.env(), GITHUB_TOKEN_URL: 'http://127.0.0.1:9/token', OAUTH_TIMEOUT_MS: '1000' });
    try {
      const flow = await beginLogin(broken, 'github');
      const res = await deliverCallback(broken, flow.callbackUrl, flow.flowCookie, { accept: 'application/json' });
      assert.equal(res.statusCode, 502);
      for (const secret of [CLIENT.github.secret, flow.callbackUrl.searchParams.get('code') as string, broken.internalApiKey]) assert.equal(res.body.includes(secret), false);
      assert.equal(broken.logs.text().includes(CLIENT.github.secret), false);
    } finally {
      await broken.close();
    }
  });
});
