import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { jwtVerify } from 'jose';
import { ISSUER, REFRESH_COOKIE } from '../src/index.js';
import { OAUTH_FLOW_COOKIE } from '../src/routes/oauth.js';
import { describeOnDatabases } from './support/databases.js';
import { cookieOf, startHarness, type Harness } from './support/harness.js';
import { deliverOidcCallback, walkToCallback } from './support/oidc-browser.js';
import { LocalOidcProvider, type OidcDiscovery } from './support/oidc-provider.js';

// Google sign-in end to end against a real OpenID Connect provider (oidc-provider) on
// 127.0.0.1: the auth service is configured only with the endpoints the provider's discovery
// document names, the provider enforces PKCE S256 and client_secret_post itself, and the
// browser's part (redirects, the provider's cookies, login and consent) is played headlessly.

const PUBLIC_URL = 'http://auth.oidc.example:8001';
const WEB_URL = 'http://web.oidc.example:3000';
const ACCOUNT = {
  sub: `248289761001${randomBytes(3).readUIntBE(0, 3)}`,
  email: 'Meera.Iyer@Example.COM',
  email_verified: true,
  name: 'Meera Iyer',
  picture: 'https://lh3.example.com/a/meera.png',
};

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  avatar_url: string | null;
  provider: string;
  provider_id: string;
  is_admin: boolean;
  last_login_at: Date | null;
}

let addressCounter = 0;
/** A client address of its own per test, so one test's attempts never count against another's budget. */
const freshAddress = () => `198.18.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

describeOnDatabases('Google sign-in against a real OpenID Connect provider', (handle) => {
  let op: LocalOidcProvider;
  let discovery: OidcDiscovery;
  let h: Harness;
  const googleUsers = async () =>
    (await handle.db.query<UserRow>("SELECT id, email, name, avatar_url, provider, provider_id, is_admin, last_login_at FROM users WHERE provider = 'google' ORDER BY created_at")).rows;

  before(async () => {
    op = await LocalOidcProvider.start({ redirectUri: `${PUBLIC_URL}/auth/callback/google`, account: ACCOUNT });
    discovery = await op.discover();
    // LOGIN_RATE_LIMIT at its default (10 a minute): the rate-limit test relies on it.
    h = await startHarness(handle.db, { ...(await op.env()), AUTH_PUBLIC_URL: PUBLIC_URL, WEB_URL, LOGIN_RATE_LIMIT: '10' });
  });
  after(async () => {
    await h?.close();
    await op?.close();
    assert.deepEqual(op?.serverErrors.map((e) => e.message) ?? [], [], 'the provider hit no internal error');
  });

  it('signs in through the provider: user row, refresh cookie, and an access token for that user', async () => {
    assert.equal(discovery.issuer, op.issuer);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);

    const ip = freshAddress();
    const flow = await walkToCallback(h, { publicUrl: PUBLIC_URL, remoteAddress: ip });
    assert.equal(`${flow.authorizeUrl.origin}${flow.authorizeUrl.pathname}`, discovery.authorization_endpoint);
    assert.equal(flow.authorizeUrl.searchParams.get('client_id'), op.client.id);
    assert.equal(flow.authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.deepEqual(op.interactions.slice(-2), ['login', 'consent'], 'the person signed in and consented at the provider');
    assert.equal(op.interactions.includes('select_account'), false, 'prompt=select_account is for Google only; a standard provider may refuse it');
    assert.equal(`${flow.callbackUrl.origin}${flow.callbackUrl.pathname}`, `${PUBLIC_URL}/auth/callback/google`);
    assert.ok(flow.callbackUrl.searchParams.get('code'), 'the provider sent a code back');
    assert.equal(flow.callbackUrl.searchParams.get('iss'), op.issuer, 'RFC 9207 iss travels along and does not upset the callback');
    const grantsBefore = op.grants.length;

    const res = await deliverOidcCallback(h, flow.callbackUrl, flow.flowCookie, { remoteAddress: ip });
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, `${WEB_URL}/auth/complete`);
    assert.deepEqual(op.grants.slice(grantsBefore), [{ outcome: 'issued' }], 'the provider exchanged the code exactly once');
    assert.equal(cookieOf(res, OAUTH_FLOW_COOKIE)?.value, '', 'the flow cookie is cleared');

    const [user, ...others] = await googleUsers();
    assert.equal(others.length, 0);
    assert.ok(user);
    assert.equal(user.email, 'meera.iyer@example.com', 'the verified address from userinfo, lower-cased');
    assert.equal(user.provider, 'google');
    assert.equal(user.provider_id, ACCOUNT.sub, 'provider_id is the OpenID subject');
    assert.equal(user.name, ACCOUNT.name);
    assert.equal(user.avatar_url, ACCOUNT.picture);
    assert.equal(user.is_admin, false);
    assert.ok(user.last_login_at instanceof Date && Math.abs(Date.now() - user.last_login_at.getTime()) < 60_000, `last_login_at ${String(user.last_login_at)}`);

    const refresh = cookieOf(res, REFRESH_COOKIE);
    assert.ok(refresh?.value, 'the refresh cookie is set');
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.path, '/auth');

    const tokens = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh.value } });
    assert.equal(tokens.statusCode, 200, tokens.body);
    const answer = tokens.json<{ access_token: string; token_type: string; expires_in: number; user: { id: string; email: string } }>();
    assert.equal(answer.token_type, 'Bearer');
    assert.equal(answer.user.id, user.id);
    const { payload, protectedHeader } = await jwtVerify(answer.access_token, h.keys.publicKey, { issuer: ISSUER, algorithms: ['RS256'] });
    assert.equal(protectedHeader.kid, h.keys.kid);
    assert.equal(payload.sub, user.id);
    assert.equal(payload.email, 'meera.iyer@example.com');
    assert.equal(payload.name, ACCOUNT.name);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), answer.expires_in);

    const me = await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${answer.access_token}` } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().provider, 'google');
    assert.equal(me.json().email, 'meera.iyer@example.com');
    assert.equal(await h.metric('auth_logins_total{provider="google",outcome="success"}'), 1);
  });

  it('the provider checks the PKCE verifier: a code delivered with another flow\'s verifier is refused, the right one works, a replay is refused', async () => {
    const ip = freshAddress();
    // The attacker's code (flow a) arrives with the victim's state and flow cookie (flow b):
    // the state check passes, and only the provider can tell b's verifier does not fit a's challenge.
    const a = await walkToCallback(h, { publicUrl: PUBLIC_URL, remoteAddress: ip });
    const b = await walkToCallback(h, { publicUrl: PUBLIC_URL, remoteAddress: ip });
    const injected = new URL(a.callbackUrl);
    injected.searchParams.set('state', b.callbackUrl.searchParams.get('state') as string);
    const grantsBefore = op.grants.length;

    const json = await deliverOidcCallback(h, injected, b.flowCookie, { remoteAddress: ip, headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 400, json.body);
    assert.equal(json.json().error.code, 'AUTH_OAUTH_TOKEN_EXCHANGE_FAILED');
    assert.match(json.json().error.message, /refused to exchange the authorization code/);
    assert.equal(cookieOf(json, REFRESH_COOKIE), undefined, 'no session');
    assert.deepEqual(op.grants.slice(grantsBefore), [{ outcome: 'refused', error: 'invalid_grant', description: 'grant request is invalid', cause: 'code_verifier does not match code_challenge' }]);
    const failed = h.logs.find('login_failed').at(-1);
    assert.equal(failed?.reason, 'token_exchange_failed');
    assert.equal(failed?.provider_error, 'invalid_grant');
    assert.equal(failed?.provider_status, 400);

    // A state is taken once (b's is spent): the browser variant injects a's code into a new flow c.
    const c = await walkToCallback(h, { publicUrl: PUBLIC_URL, remoteAddress: ip });
    const injectedIntoC = new URL(a.callbackUrl);
    injectedIntoC.searchParams.set('state', c.callbackUrl.searchParams.get('state') as string);
    const browser = await deliverOidcCallback(h, injectedIntoC, c.flowCookie, { remoteAddress: ip });
    assert.equal(browser.statusCode, 302);
    assert.equal(browser.headers.location, `${WEB_URL}/auth/error?reason=token_exchange_failed`);
    assert.equal(op.grants.at(-1)?.cause, 'code_verifier does not match code_challenge');

    // The same code with its own verifier goes through: the verifier was the only thing wrong.
    const own = await deliverOidcCallback(h, a.callbackUrl, a.flowCookie, { remoteAddress: ip });
    assert.equal(own.headers.location, `${WEB_URL}/auth/complete`, own.body);
    assert.ok(cookieOf(own, REFRESH_COOKIE)?.value);
    assert.equal(op.grants.at(-1)?.outcome, 'issued');

    // Replaying it (browser back button, or a stolen callback URL) is refused here, its state
    // already taken, before the provider is asked (which would refuse the spent code too).
    const grantsBeforeReplay = op.grants.length;
    const replay = await deliverOidcCallback(h, a.callbackUrl, a.flowCookie, { remoteAddress: ip, headers: { accept: 'application/json' } });
    assert.equal(replay.statusCode, 400, replay.body);
    assert.equal(replay.json().error.code, 'AUTH_OAUTH_STATE_INVALID');
    assert.equal(op.grants.length, grantsBeforeReplay, 'the provider was not asked');
    assert.equal((await googleUsers()).length, 1, 'still one user for the one Google account');
  });

  it('refuses a callback with a bad state (400 AUTH_OAUTH_STATE_INVALID) without exchanging the code', async () => {
    const ip = freshAddress();
    const flow = await walkToCallback(h, { publicUrl: PUBLIC_URL, remoteAddress: ip });
    const forged = new URL(flow.callbackUrl);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    const grantsBefore = op.grants.length;

    const json = await deliverOidcCallback(h, forged, flow.flowCookie, { remoteAddress: ip, headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 400, json.body);
    assert.equal(json.json().error.code, 'AUTH_OAUTH_STATE_INVALID');
    assert.match(json.json().error.message, /state/i);
    assert.equal(cookieOf(json, REFRESH_COOKIE), undefined);

    const browser = await deliverOidcCallback(h, forged, flow.flowCookie, { remoteAddress: ip });
    assert.equal(browser.statusCode, 302);
    assert.equal(browser.headers.location, `${WEB_URL}/auth/error?reason=invalid_state`);
    assert.equal(op.grants.length, grantsBefore, 'the code never reached the provider');
    assert.equal(h.logs.find('login_failed').at(-1)?.state_check, 'state_mismatch');

    // The untouched callback still completes: the state was the only thing wrong.
    const good = await deliverOidcCallback(h, flow.callbackUrl, flow.flowCookie, { remoteAddress: ip });
    assert.equal(good.headers.location, `${WEB_URL}/auth/complete`, good.body);
  });

  it('answers the 11th sign-in start of a minute from one address with 429 and Retry-After', async () => {
    const ip = freshAddress();
    for (let i = 1; i <= 10; i++) {
      const res = await h.app.inject({ url: '/auth/login/google', remoteAddress: ip });
      assert.equal(res.statusCode, 302, `attempt ${i}: ${res.body}`);
      assert.ok(String(res.headers.location).startsWith(`${discovery.authorization_endpoint}?`), `attempt ${i} goes to the provider`);
    }
    const refused = await h.app.inject({ url: '/auth/login/google', remoteAddress: ip });
    assert.equal(refused.statusCode, 429, refused.body);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(refused.headers['retry-after'])}`);
    assert.equal(refused.json().error.code, 'AUTH_RATE_LIMITED');
    assert.equal(refused.headers.location, undefined, 'no trip to the provider');
    assert.equal(cookieOf(refused, OAUTH_FLOW_COOKIE), undefined, 'no flow cookie');
    assert.equal(await h.metric('auth_rate_limited_total{endpoint="login"}'), 1);

    const other = await h.app.inject({ url: '/auth/login/google', remoteAddress: freshAddress() });
    assert.equal(other.statusCode, 302, 'another address keeps its own budget');
  });
});
