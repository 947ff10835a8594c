import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, it } from 'node:test';
import { OAUTH_FLOW_COOKIE } from '../src/routes/oauth.js';
import { REFRESH_COOKIE } from '../src/index.js';
import { describeOnDatabases } from './support/databases.js';
import { FakeOAuthServer, CLIENT } from './support/fake-oauth.js';
import { cookieOf, startHarness, type Harness } from './support/harness.js';
import { beginLogin, deliverCallback, login, mixState } from './support/oauth-flow.js';

const PUBLIC_URL = 'http://auth.test.example:8001';
const WEB_URL = 'http://web.test.example:3000';

interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  avatar_url: string | null;
  provider: string;
  provider_id: string;
  is_admin: boolean;
  last_login_at: Date | null;
}

describeOnDatabases('OAuth sign-in', (handle) => {
  let fake: FakeOAuthServer;
  let h: Harness;
  const users = async (provider: string) =>
    (await handle.db.query<UserRecord>('SELECT id, email, name, avatar_url, provider, provider_id, is_admin, last_login_at FROM users WHERE provider = $1 ORDER BY created_at', [provider])).rows;

  before(async () => {
    fake = await FakeOAuthServer.start();
    h = await startHarness(handle.db, { ...fake.env(), AUTH_PUBLIC_URL: PUBLIC_URL, WEB_URL, ADMIN_EMAILS: 'ops@example.net, ASHA@example.com', LOGIN_RATE_LIMIT: '1000' });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.denyNext = false;
  });

  it('GitHub: redirects with state and an S256 challenge, exchanges the code with the verifier, creates the user and sets the refresh cookie', async () => {
    const flow = await beginLogin(h, 'github');
    const q = flow.authorizeUrl.searchParams;
    assert.equal(`${flow.authorizeUrl.origin}${flow.authorizeUrl.pathname}`, `${fake.url}/github/authorize`);
    assert.equal(q.get('client_id'), CLIENT.github.id);
    assert.equal(q.get('redirect_uri'), `${PUBLIC_URL}/auth/callback/github`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('scope'), 'read:user user:email');
    const flowCookie = cookieOf(flow.start, OAUTH_FLOW_COOKIE);
    assert.equal(flowCookie?.httpOnly, true);
    assert.equal(flowCookie?.sameSite, 'Lax');
    assert.equal(flowCookie?.path, '/auth/callback');
    assert.equal(flowCookie?.maxAge, 600);
    assert.equal(flowCookie?.secure, true, 'Secure outside local mode');
    assert.equal(flowCookie?.value.includes(q.get('state') as string), false, 'state is sealed, not readable');

    const res = await deliverCallback(h, flow.callbackUrl, flow.flowCookie);
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, `${WEB_URL}/auth/complete`);
    assert.equal(String(res.headers.location).includes('token'), false, 'no token in the URL');

    const exchange = fake.tokenRequests.at(-1);
    assert.equal(exchange?.outcome, 'issued');
    assert.equal(exchange?.params.client_secret, CLIENT.github.secret);
    assert.equal(createHash('sha256').update(exchange?.params.code_verifier ?? '').digest('base64url'), q.get('code_challenge'));

    const [user, ...others] = await users('github');
    assert.equal(others.length, 0);
    assert.ok(user);
    assert.equal(user.email, 'asha@example.com', 'the primary verified address, lower-cased');
    assert.equal(user.provider_id, '4242');
    assert.equal(user.name, 'Asha GitHub');
    assert.equal(user.avatar_url, 'https://avatars.example.com/u/4242');
    assert.equal(user.is_admin, true, 'ADMIN_EMAILS matches case-insensitively');
    assert.ok(user.last_login_at instanceof Date && Date.now() - user.last_login_at.getTime() < 60_000);

    const refresh = cookieOf(res, REFRESH_COOKIE);
    assert.ok(refresh);
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.sameSite, 'Lax');
    assert.equal(refresh.path, '/auth');
    assert.equal(refresh.secure, true);
    assert.ok(refresh.maxAge !== undefined && Math.abs(refresh.maxAge - 604_800) <= 2, `maxAge ${refresh.maxAge}`);
    assert.equal(cookieOf(res, OAUTH_FLOW_COOKIE)?.value, '', 'the flow cookie is cleared');

    const stored = await handle.db.query<{ token_hash: string; user_id: string }>('SELECT token_hash, user_id FROM refresh_tokens WHERE user_id = $1', [user.id]);
    assert.equal(stored.rows.length, 1);
    assert.equal(stored.rows[0]?.token_hash, createHash('sha256').update(refresh.value).digest('hex'), 'only the hash is stored');

    const tokens = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh.value } });
    assert.equal(tokens.statusCode, 200, tokens.body);
    const me = await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${tokens.json().access_token}` } });
    assert.equal(me.json().email, 'asha@example.com');
    assert.equal(me.json().provider, 'github');

    assert.equal(await h.metric('auth_logins_total{provider="github",outcome="success"}'), 1);
    const succeeded = h.logs.find('login_succeeded').at(-1);
    assert.equal(succeeded?.provider, 'github');
    assert.equal(succeeded?.user_id, user.id);
    assert.equal(succeeded?.new_user, true);
  });

  it('GitHub: a second sign-in updates the same user (name, avatar, last_login_at), never a second row', async () => {
    const [before] = await users('github');
    fake.github = { ...fake.github, name: 'Asha Renamed', avatar_url: 'https://avatars.example.com/u/4242?v=2' };
    await new Promise((r) => setTimeout(r, 20));
    const res = await login(h, 'github');
    assert.equal(res.statusCode, 302);
    const rows = await users('github');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.id, before?.id);
    assert.equal(rows[0]?.name, 'Asha Renamed');
    assert.equal(rows[0]?.avatar_url, 'https://avatars.example.com/u/4242?v=2');
    assert.ok((rows[0]?.last_login_at?.getTime() ?? 0) > (before?.last_login_at?.getTime() ?? Infinity));
    assert.equal(h.logs.find('login_succeeded').at(-1)?.new_user, false);
  });

  it('Google: exchanges the code, reads userinfo, creates a non-admin user and sets the refresh cookie', async () => {
    const flow = await beginLogin(h, 'google');
    assert.equal(flow.authorizeUrl.searchParams.get('scope'), 'openid email profile');
    assert.equal(flow.authorizeUrl.searchParams.get('redirect_uri'), `${PUBLIC_URL}/auth/callback/google`);
    const res = await deliverCallback(h, flow.callbackUrl, flow.flowCookie);
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, `${WEB_URL}/auth/complete`);
    assert.ok(cookieOf(res, REFRESH_COOKIE)?.value);
    const [user] = await users('google');
    assert.equal(user?.email, 'ravi@example.org');
    assert.equal(user?.provider_id, '109876543210');
    assert.equal(user?.name, 'Ravi Google');
    assert.equal(user?.avatar_url, 'https://lh3.example.com/ravi.png');
    assert.equal(user?.is_admin, false);
    assert.ok(user?.last_login_at instanceof Date);
    assert.equal(await h.metric('auth_logins_total{provider="google",outcome="success"}'), 1);
  });

  it('rejects a callback whose state does not match the cookie, or that has no cookie, before talking to the provider', async () => {
    const a = await beginLogin(h, 'github');
    const b = await beginLogin(h, 'github');
    const exchanges = fake.tokenRequests.length;
    const failuresBefore = (await h.metric('auth_logins_total{provider="github",outcome="failure"}')) ?? 0;

    const mismatch = await deliverCallback(h, mixState(a.callbackUrl, b.callbackUrl), a.flowCookie);
    assert.equal(mismatch.statusCode, 302);
    assert.equal(mismatch.headers.location, `${WEB_URL}/auth/error?reason=invalid_state`);
    assert.equal(cookieOf(mismatch, REFRESH_COOKIE), undefined);

    const json = await deliverCallback(h, mixState(a.callbackUrl, b.callbackUrl), a.flowCookie, { accept: 'application/json' });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error.code, 'AUTH_OAUTH_STATE_INVALID');
    assert.match(json.json().error.message, /state/);

    const noCookie = await deliverCallback(h, a.callbackUrl, undefined, { accept: 'application/json' });
    assert.equal(noCookie.json().error.code, 'AUTH_OAUTH_STATE_INVALID');

    const otherProvider = await beginLogin(h, 'google');
    const crossed = await deliverCallback(h, new URL(`${PUBLIC_URL}/auth/callback/github${otherProvider.callbackUrl.search}`), otherProvider.flowCookie, { accept: 'application/json' });
    assert.equal(crossed.json().error.code, 'AUTH_OAUTH_STATE_INVALID', 'a google flow cookie cannot finish a github callback');

    assert.equal(fake.tokenRequests.length, exchanges, 'no code was exchanged');
    assert.equal(await h.metric('auth_logins_total{provider="github",outcome="failure"}'), failuresBefore + 4);
    const failed = h.logs.find('login_failed').at(-1);
    assert.equal(failed?.reason, 'invalid_state');
    assert.equal(failed?.level, 'warning');
  });

  it('takes a state once: replaying a completed callback with its cookie is refused before the provider is asked', async () => {
    const flow = await beginLogin(h, 'github');
    const first = await deliverCallback(h, flow.callbackUrl, flow.flowCookie);
    assert.equal(first.headers.location, `${WEB_URL}/auth/complete`, first.body);
    const exchanges = fake.tokenRequests.length;
    const sessions = await handle.db.query<{ n: string }>('SELECT count(*) AS n FROM refresh_tokens');

    const replay = await deliverCallback(h, flow.callbackUrl, flow.flowCookie);
    assert.equal(replay.statusCode, 302);
    assert.equal(replay.headers.location, `${WEB_URL}/auth/error?reason=invalid_state`);
    assert.equal(cookieOf(replay, REFRESH_COOKIE), undefined, 'no second session');
    const json = await deliverCallback(h, flow.callbackUrl, flow.flowCookie, { accept: 'application/json' });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error.code, 'AUTH_OAUTH_STATE_INVALID');
    assert.equal(fake.tokenRequests.length, exchanges, 'the code was not sent to the provider again');
    const after = await handle.db.query<{ n: string }>('SELECT count(*) AS n FROM refresh_tokens');
    assert.equal(after.rows[0]?.n, sessions.rows[0]?.n);
    assert.equal(h.logs.find('login_failed').at(-1)?.state_check, 'state_reused');
    const stored = await handle.db.query<{ state_hash: string }>('SELECT state_hash FROM oauth_states_used');
    const state = flow.callbackUrl.searchParams.get('state') as string;
    assert.ok(stored.rows.length > 0 && stored.rows.every((r) => /^[0-9a-f]{64}$/.test(r.state_hash) && r.state_hash !== state), 'only hashes of states are stored');
  });

  it('refuses the replay on another replica sharing the database', async () => {
    const other = await startHarness(handle.db, { ...fake.env(), AUTH_PUBLIC_URL: PUBLIC_URL, WEB_URL, INTERNAL_API_KEY: h.internalApiKey });
    try {
      const flow = await beginLogin(h, 'github');
      assert.equal((await deliverCallback(h, flow.callbackUrl, flow.flowCookie)).headers.location, `${WEB_URL}/auth/complete`);
      const replay = await deliverCallback(other, flow.callbackUrl, flow.flowCookie, { accept: 'application/json' });
      assert.equal(replay.json().error.code, 'AUTH_OAUTH_STATE_INVALID', replay.body);
    } finally {
      await other.close();
    }
  });

  for (const provider of ['github', 'google'] as const) {
    it(`${provider}: a code injected into another flow fails PKCE at the provider, with a clear error`, async () => {
      // The attacker's code (flow a) delivered with the victim's state and cookie (flow b):
      // state checks pass, but b's verifier does not match a's challenge.
      const a = await beginLogin(h, provider);
      const b = await beginLogin(h, provider);
      const res = await deliverCallback(h, mixState(a.callbackUrl, b.callbackUrl), b.flowCookie);
      assert.equal(res.statusCode, 302);
      assert.equal(res.headers.location, `${WEB_URL}/auth/error?reason=token_exchange_failed`);
      const refused = fake.tokenRequests.at(-1);
      assert.equal(refused?.outcome, 'refused');
      assert.equal(refused?.refusal, provider === 'github' ? 'bad_verification_code' : 'invalid_grant');
      const failed = h.logs.find('login_failed').at(-1);
      assert.equal(failed?.reason, 'token_exchange_failed');
      assert.equal(failed?.provider_error, refused?.refusal);

      const c = await beginLogin(h, provider);
      const d = await beginLogin(h, provider);
      const json = await deliverCallback(h, mixState(c.callbackUrl, d.callbackUrl), d.flowCookie, { accept: 'application/json' });
      assert.equal(json.statusCode, 400);
      assert.equal(json.json().error.code, 'AUTH_OAUTH_TOKEN_EXCHANGE_FAILED');
      assert.match(json.json().error.message, /refused to exchange the authorization code/);
    });
  }

  it('sends a cancelled sign-in to the error page as access_denied and counts it as denied', async () => {
    fake.denyNext = true;
    const res = await login(h, 'github');
    assert.equal(res.headers.location, `${WEB_URL}/auth/error?reason=access_denied`);
    assert.equal(await h.metric('auth_logins_total{provider="github",outcome="denied"}'), 1);
    fake.denyNext = true;
    const json = await login(h, 'github', { accept: 'application/json' });
    assert.equal(json.statusCode, 403);
    assert.equal(json.json().error.code, 'AUTH_OAUTH_DENIED');
  });

  it('refuses a GitHub account without a verified primary address and creates no user', async () => {
    const saved = fake.github;
    fake.github = { ...saved, id: 777, emails: [{ email: 'unverified@example.com', primary: true, verified: false }, { email: 'other@example.com', primary: false, verified: true }] };
    try {
      const res = await login(h, 'github');
      assert.equal(res.headers.location, `${WEB_URL}/auth/error?reason=no_verified_email`);
      const rows = await handle.db.query('SELECT 1 FROM users WHERE provider_id = $1', ['777']);
      assert.equal(rows.rows.length, 0);
    } finally {
      fake.github = saved;
    }
  });

  it('refuses a Google account whose address belongs to a GitHub user instead of merging them', async () => {
    const saved = fake.google;
    fake.google = { ...saved, sub: '555', email: 'ASHA@example.com' };
    try {
      const res = await login(h, 'google', { accept: 'application/json' });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().error.code, 'AUTH_EMAIL_IN_USE');
      const rows = await handle.db.query('SELECT 1 FROM users WHERE provider = $1 AND provider_id = $2', ['google', '555']);
      assert.equal(rows.rows.length, 0);
    } finally {
      fake.google = saved;
    }
  });

  it('answers 404 with a clear message for an unknown or unconfigured provider', async () => {
    const unknown = await h.app.inject({ url: '/auth/login/facebook' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'AUTH_PROVIDER_UNKNOWN');
    const bare = await startHarness(handle.db, { GITHUB_CLIENT_ID: 'x', GITHUB_CLIENT_SECRET: 'y' });
    try {
      const res = await bare.app.inject({ url: '/auth/login/google' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'AUTH_PROVIDER_NOT_CONFIGURED');
      assert.match(res.json().error.message, /GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET/);
      assert.deepEqual((await bare.app.inject({ url: '/auth/providers' })).json(), { providers: ['github'], dev_login: false });
    } finally {
      await bare.close();
    }
    assert.deepEqual((await h.app.inject({ url: '/auth/providers' })).json(), { providers: ['github', 'google'], dev_login: false });
  });

  it('reports a provider that fails while serving the profile as provider_unavailable', async () => {
    const saved = fake.github;
    fake.github = { ...saved, emails: 'boom' as never };
    try {
      const res = await login(h, 'github', { accept: 'application/json' });
      assert.equal(res.statusCode, 502);
      assert.equal(res.json().error.code, 'AUTH_OAUTH_PROVIDER_UNAVAILABLE');
      const failed = h.logs.find('login_failed').at(-1);
      assert.equal(failed?.stage, 'emails');
      assert.equal(failed?.provider_status, 500);
    } finally {
      fake.github = saved;
    }
  });

  it('reports an unreachable provider as provider_unavailable (502 for JSON callers)', async () => {
    const closed = await FakeOAuthServer.start();
    const deadUrl = closed.url;
    await closed.close();
    const broken = await startHarness(handle.db, { ...fake.env(), GITHUB_TOKEN_URL: `${deadUrl}/github/token`, AUTH_PUBLIC_URL: PUBLIC_URL, WEB_URL, OAUTH_TIMEOUT_MS: '2000' });
    try {
      const flow = await beginLogin(broken, 'github');
      const res = await deliverCallback(broken, flow.callbackUrl, flow.flowCookie, { accept: 'application/json' });
      assert.equal(res.statusCode, 502);
      assert.equal(res.json().error.code, 'AUTH_OAUTH_PROVIDER_UNAVAILABLE');
      assert.equal(broken.logs.find('login_failed').at(-1)?.reason, 'provider_unavailable');
    } finally {
      await broken.close();
    }
  });
});
