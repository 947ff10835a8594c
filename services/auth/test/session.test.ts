import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { mintDevelopmentToken, parseAdminEmails, REFRESH_COOKIE, signAccessToken } from '../src/index.js';
import { purgeExpiredRefreshTokens } from '../src/refresh-tokens.js';
import { describeOnDatabases } from './support/databases.js';
import { cookieOf, startHarness, type Harness } from './support/harness.js';

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: { id: string; email: string; name: string; avatar_url: string | null; provider: string; is_admin: boolean; created_at: string; last_login_at: string };
}

async function devLogin(h: Harness, email: string, name?: string) {
  const res = await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: name === undefined ? { email } : { email, name } });
  assert.equal(res.statusCode, 200, res.body);
  return { body: res.json() as TokenBody, refresh: cookieOf(res, REFRESH_COOKIE)?.value as string, res };
}

describeOnDatabases('development login, profile, refresh, logout, validate', (handle) => {
  let h: Harness;
  before(async () => {
    h = await startHarness(handle.db, { SAMOSACHAAT_LOCAL: 'true', ADMIN_EMAILS: 'boss@example.com', LOGIN_RATE_LIMIT: '1000' });
  });
  after(() => h.close());

  describe('POST /auth/dev-login', () => {
    it('signs in with just an address in local mode: token, user and a refresh cookie', async () => {
      const { body, res } = await devLogin(h, ' Dev.User@Example.com ');
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(body.user.email, 'dev.user@example.com');
      assert.equal(body.user.name, 'dev.user', 'the name defaults to the local part');
      assert.equal(body.user.provider, 'dev');
      assert.equal(body.user.is_admin, false);
      assert.ok(body.user.last_login_at);
      assert.equal(res.headers['cache-control'], 'no-store');
      const refresh = cookieOf(res, REFRESH_COOKIE);
      assert.equal(refresh?.httpOnly, true);
      assert.equal(refresh?.secure, undefined, 'not Secure in local mode (plain http on 127.0.0.1)');
      const rows = await handle.db.query<{ provider_id: string }>('SELECT provider_id FROM users WHERE email = $1', ['dev.user@example.com']);
      assert.deepEqual(rows.rows, [{ provider_id: 'dev.user@example.com' }]);
      assert.equal(await h.metric('auth_logins_total{provider="dev",outcome="success"}'), 1);
    });

    it('makes ADMIN_EMAILS admins and reuses the user on the next login', async () => {
      const first = await devLogin(h, 'boss@example.com', 'The Boss');
      assert.equal(first.body.user.is_admin, true);
      const second = await devLogin(h, 'BOSS@example.com');
      assert.equal(second.body.user.id, first.body.user.id);
      assert.equal(second.body.user.name, 'The Boss', 'a login without a name keeps the name');
    });

    it('refuses a bad address or name with a clear 400', async () => {
      for (const email of ['not-an-address', '', 'a@b', `${'x'.repeat(250)}@example.com`]) {
        const res = await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email } });
        assert.equal(res.statusCode, 400, email);
        assert.equal(res.json().error.code, 'AUTH_INVALID_EMAIL');
      }
      const badName = await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email: 'ok@example.com', name: '   ' } });
      assert.equal(badName.json().error.code, 'AUTH_INVALID_NAME');
      const extra = await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email: 'ok@example.com', is_admin: true } });
      assert.equal(extra.statusCode, 400);
      assert.equal(extra.json().error.code, 'VALIDATION_FAILED');
    });

    it('does not exist outside local mode, whatever DEV_LOGIN says', async () => {
      const prod = await startHarness(handle.db, { DEV_LOGIN: 'true' });
      try {
        const res = await prod.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email: 'dev.user@example.com' } });
        assert.equal(res.statusCode, 404);
        assert.equal(res.json().error.code, 'AUTH_DEV_LOGIN_DISABLED');
        assert.equal(cookieOf(res, REFRESH_COOKIE), undefined);
        assert.equal((await prod.app.inject({ url: '/auth/providers' })).json().dev_login, false);
        const notice = prod.logs.find('config_setting_ignored')[0];
        assert.equal(notice?.variable, 'DEV_LOGIN');
      } finally {
        await prod.close();
      }
      assert.equal((await h.app.inject({ url: '/auth/providers' })).json().dev_login, true);
    });
  });

  describe('GET/PUT /auth/me', () => {
    it('shows the signed-in user', async () => {
      const { body } = await devLogin(h, 'me@example.com', 'Me Myself');
      const res = await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(res.statusCode, 200);
      const me = res.json();
      assert.deepEqual(Object.keys(me).sort(), ['avatar_url', 'created_at', 'email', 'id', 'is_admin', 'last_login_at', 'name', 'provider']);
      assert.equal(me.id, body.user.id);
      assert.equal(me.name, 'Me Myself');
      assert.equal(h.logs.find('http_request_completed').at(-1)?.user_id, body.user.id, 'user_id is bound to the request log');
    });

    it('needs a valid bearer token', async () => {
      assert.equal((await h.app.inject({ url: '/auth/me' })).json().error.code, 'AUTH_TOKEN_MISSING');
      const bad = await h.app.inject({ url: '/auth/me', headers: { authorization: 'Bearer nope.nope.nope' } });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().error.code, 'AUTH_TOKEN_MALFORMED');
    });

    it('updates name and avatar, validated', async () => {
      const { body } = await devLogin(h, 'editor@example.com');
      const auth = { authorization: `Bearer ${body.access_token}` };
      const res = await h.app.inject({ method: 'PUT', url: '/auth/me', headers: auth, payload: { name: '  New Name ', avatar_url: 'https://img.example.com/me.png' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().name, 'New Name');
      assert.equal(res.json().avatar_url, 'https://img.example.com/me.png');
      assert.equal((await h.app.inject({ url: '/auth/me', headers: auth })).json().name, 'New Name');

      const cleared = await h.app.inject({ method: 'PUT', url: '/auth/me', headers: auth, payload: { avatar_url: null } });
      assert.equal(cleared.json().avatar_url, null);

      const cases: Array<[Record<string, unknown>, string]> = [
        [{ name: '' }, 'AUTH_INVALID_NAME'],
        [{ name: 'x'.repeat(101) }, 'AUTH_INVALID_NAME'],
        [{ avatar_url: 'http://img.example.com/me.png' }, 'AUTH_INVALID_AVATAR_URL'],
        [{ avatar_url: `https://img.example.com/${'a'.repeat(2040)}` }, 'AUTH_INVALID_AVATAR_URL'],
        [{}, 'AUTH_NOTHING_TO_UPDATE'],
        [{ email: 'evil@example.com' }, 'VALIDATION_FAILED'],
      ];
      for (const [payload, code] of cases) {
        const bad = await h.app.inject({ method: 'PUT', url: '/auth/me', headers: auth, payload });
        assert.equal(bad.statusCode, 400, JSON.stringify(payload));
        assert.equal(bad.json().error.code, code, JSON.stringify(payload));
      }
      assert.equal((await h.app.inject({ url: '/auth/me', headers: auth })).json().name, 'New Name', 'refused changes changed nothing');
      const anonymous = await h.app.inject({ method: 'PUT', url: '/auth/me', payload: { name: 'x' } });
      assert.equal(anonymous.statusCode, 401);
    });
  });

  describe('POST /auth/refresh and /auth/logout', () => {
    it('rotates the refresh token on every use', async () => {
      const { refresh: first, body } = await devLogin(h, 'rotate@example.com');
      const r1 = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: first } });
      assert.equal(r1.statusCode, 200, r1.body);
      const second = cookieOf(r1, REFRESH_COOKIE)?.value as string;
      assert.ok(second && second !== first);
      assert.equal(r1.json().user.id, body.user.id);
      assert.equal(r1.json().token_type, 'Bearer');
      const me = await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${r1.json().access_token}` } });
      assert.equal(me.statusCode, 200);

      const rows = await handle.db.query<{ id: string; revoked_at: Date | null; replaced_by: string | null; family_id: string }>(
        'SELECT id, revoked_at, replaced_by, family_id FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at',
        [body.user.id],
      );
      assert.equal(rows.rows.length, 2);
      const [old, current] = rows.rows;
      assert.ok(old?.revoked_at, 'the used token is revoked');
      assert.equal(old?.replaced_by, current?.id, 'and points at its successor');
      assert.equal(current?.revoked_at, null);
      assert.equal(old?.family_id, current?.family_id);

      const r2 = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: second } });
      assert.equal(r2.statusCode, 200);
    });

    it('treats the reuse of a rotated token as theft: the whole family is revoked and both parties must sign in again', async () => {
      const { refresh: stolen, body } = await devLogin(h, 'victim@example.com');
      const other = await devLogin(h, 'victim@example.com');
      const legit = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: stolen } });
      const legitNext = cookieOf(legit, REFRESH_COOKIE)?.value as string;
      const reusedBefore = (await h.metric('auth_refresh_total{outcome="reused"}')) ?? 0;

      const replay = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: stolen } });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().error.code, 'AUTH_REFRESH_REUSED');
      assert.equal(cookieOf(replay, REFRESH_COOKIE)?.value, '', 'the cookie is cleared');

      const afterTheft = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: legitNext } });
      assert.equal(afterTheft.statusCode, 401, 'the rotated successor is dead too');
      assert.equal(afterTheft.json().error.code, 'AUTH_REFRESH_REUSED');

      const live = await handle.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [body.user.id]);
      assert.equal(live.rows.length, 1, 'only the other login (another family) survives');
      const otherRefresh = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: other.refresh } });
      assert.equal(otherRefresh.statusCode, 200);

      assert.equal(await h.metric('auth_refresh_total{outcome="reused"}'), reusedBefore + 2);
      const warning = h.logs.find('refresh_token_reuse_detected').at(-2);
      assert.equal(warning?.level, 'warning');
      assert.equal(warning?.user_id, body.user.id);
      assert.equal(warning?.revoked_count, 1);
    });

    it('refuses a missing, unknown or expired refresh token', async () => {
      const none = await h.app.inject({ method: 'POST', url: '/auth/refresh' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.code, 'AUTH_REFRESH_MISSING');
      const unknown = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: 'A'.repeat(43) } });
      assert.equal(unknown.json().error.code, 'AUTH_REFRESH_INVALID');
      const junk = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: 'junk' } });
      assert.equal(junk.json().error.code, 'AUTH_REFRESH_INVALID');

      const { refresh, body } = await devLogin(h, 'expiring@example.com');
      await handle.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [body.user.id]);
      const expired = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh } });
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.json().error.code, 'AUTH_REFRESH_EXPIRED');
      assert.ok(((await h.metric('auth_refresh_total{outcome="expired"}')) ?? 0) >= 1);
    });

    it('purges tokens that expired more than a day ago, and only those', async () => {
      const { body } = await devLogin(h, 'purge@example.com');
      await devLogin(h, 'purge@example.com');
      await devLogin(h, 'purge@example.com');
      const ids = (await handle.db.query<{ id: string }>('SELECT id FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at', [body.user.id])).rows.map((r) => r.id);
      await handle.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE id = $1", [ids[0]]);
      await handle.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 hour' WHERE id = $1", [ids[1]]);
      assert.ok((await purgeExpiredRefreshTokens(handle.db)) >= 1);
      const left = (await handle.db.query<{ id: string }>('SELECT id FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at', [body.user.id])).rows.map((r) => r.id);
      assert.deepEqual(left, [ids[1], ids[2]]);
    });

    it('logout revokes the session and clears the cookie', async () => {
      const { refresh, body } = await devLogin(h, 'leaver@example.com');
      const out = await h.app.inject({ method: 'POST', url: '/auth/logout', cookies: { [REFRESH_COOKIE]: refresh } });
      assert.equal(out.statusCode, 204);
      const cleared = cookieOf(out, REFRESH_COOKIE);
      assert.equal(cleared?.value, '');
      assert.equal(cleared?.path, '/auth');
      const live = await handle.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [body.user.id]);
      assert.equal(live.rows.length, 0);
      const again = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { [REFRESH_COOKIE]: refresh } });
      assert.equal(again.statusCode, 401);
      assert.equal(h.logs.find('logout').at(-1)?.user_id, body.user.id);
      assert.equal((await h.app.inject({ method: 'POST', url: '/auth/logout' })).statusCode, 204, 'logging out twice is fine');
    });
  });

  describe('POST /auth/validate', () => {
    const validate = (token: unknown, key: string | undefined) =>
      h.app.inject({ method: 'POST', url: '/auth/validate', headers: key === undefined ? {} : { 'x-internal-api-key': key }, payload: { token } });

    it('answers a good token with the user and the exact expiry', async () => {
      const { body } = await devLogin(h, 'boss@example.com');
      const res = await validate(body.access_token, h.internalApiKey);
      assert.equal(res.statusCode, 200, res.body);
      const exp = JSON.parse(Buffer.from(body.access_token.split('.')[1] as string, 'base64url').toString()).exp as number;
      assert.deepEqual(res.json(), { valid: true, user: { id: body.user.id, email: 'boss@example.com', name: 'The Boss', is_admin: true }, expires_at: exp });
      assert.ok(Math.abs(exp - (Date.now() / 1000 + 3600)) < 5);
      assert.ok(((await h.metric('auth_token_validations_total{outcome="valid"}')) ?? 0) >= 1);
    });

    it('refuses expired, tampered, foreign and malformed tokens with 401 and the reason', async () => {
      const { body } = await devLogin(h, 'validated@example.com');
      const expiredBefore = (await h.metric('auth_token_validations_total{outcome="expired"}')) ?? 0;
      const invalidBefore = (await h.metric('auth_token_validations_total{outcome="invalid"}')) ?? 0;
      const old = await signAccessToken(h.keys, { id: body.user.id, email: body.user.email, name: null }, { now: Date.now() - 7200_000 });
      const expired = await validate(old.token, h.internalApiKey);
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.json().valid, false);
      assert.equal(expired.json().error.code, 'AUTH_TOKEN_EXPIRED');
      assert.match(expired.json().error.trace_id, /^[0-9a-f]{32}$/);

      const [hd, payload, sig] = body.access_token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      claims.email = 'boss@example.com';
      const tampered = await validate(`${hd}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`, h.internalApiKey);
      assert.equal(tampered.json().error.code, 'AUTH_TOKEN_INVALID_SIGNATURE');

      const stranger = await startHarness(handle.db, {});
      try {
        const foreign = await signAccessToken(stranger.keys, { id: body.user.id, email: body.user.email, name: null });
        assert.equal((await validate(foreign.token, h.internalApiKey)).json().error.code, 'AUTH_TOKEN_INVALID_SIGNATURE');
      } finally {
        await stranger.close();
      }
      assert.equal((await validate('garbage', h.internalApiKey)).json().error.code, 'AUTH_TOKEN_MALFORMED');
      assert.equal(await h.metric('auth_token_validations_total{outcome="expired"}'), expiredBefore + 1);
      assert.equal(await h.metric('auth_token_validations_total{outcome="invalid"}'), invalidBefore + 3);
    });

    it('refuses the token of a deleted user at once', async () => {
      const { body } = await devLogin(h, 'deleted@example.com');
      await handle.db.query('DELETE FROM users WHERE id = $1', [body.user.id]);
      const res = await validate(body.access_token, h.internalApiKey);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'AUTH_USER_NOT_FOUND');
      const me = await h.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(me.json().error.code, 'AUTH_USER_NOT_FOUND');
    });

    it('needs the right X-Internal-API-Key', async () => {
      const { body } = await devLogin(h, 'validated@example.com');
      for (const key of [undefined, '', 'wrong', `${h.internalApiKey}x`]) {
        const res = await validate(body.access_token, key);
        assert.equal(res.statusCode, 401, String(key));
        assert.equal(res.json().error.code, 'AUTH_INTERNAL_KEY_INVALID');
        assert.equal(res.json().valid, undefined, 'no verdict on the token without the key');
      }
      const noToken = await h.app.inject({ method: 'POST', url: '/auth/validate', headers: { 'x-internal-api-key': h.internalApiKey }, payload: {} });
      assert.equal(noToken.statusCode, 400);
    });
  });

  describe('browser access from the web app', () => {
    it('allows credentialed CORS from WEB_URL only', async () => {
      const web = 'http://127.0.0.1:3000';
      const preflight = await h.app.inject({ method: 'OPTIONS', url: '/auth/refresh', headers: { origin: web, 'access-control-request-method': 'POST' } });
      assert.equal(preflight.statusCode, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], web);
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
      assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
      assert.equal(String(preflight.headers['access-control-allow-headers']).includes('x-internal-api-key'), false);
      const { refresh } = await devLogin(h, 'cors@example.com');
      const res = await h.app.inject({ method: 'POST', url: '/auth/refresh', headers: { origin: web }, cookies: { [REFRESH_COOKIE]: refresh } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['access-control-allow-origin'], web);
      const evil = await h.app.inject({ method: 'OPTIONS', url: '/auth/refresh', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(evil.headers['access-control-allow-origin'], undefined);
      const evilGet = await h.app.inject({ url: '/auth/providers', headers: { origin: 'https://evil.example' } });
      assert.equal(evilGet.headers['access-control-allow-origin'], undefined);
    });

    it('publishes the verification key as a JWKS, which verifies issued tokens', async () => {
      const res = await h.app.inject({ url: '/auth/jwks' });
      assert.equal(res.statusCode, 200);
      const { keys } = res.json() as { keys: Array<Record<string, string>> };
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.kid, h.keys.kid);
      assert.equal(keys[0]?.d, undefined);
      const { body } = await devLogin(h, 'jwks@example.com');
      const { payload } = await jwtVerify(body.access_token, createLocalJWKSet({ keys: keys as never }), { issuer: 'samosachaat-auth' });
      assert.equal(payload.sub, body.user.id);
    });

    it('scopes cookies under the path prefix of AUTH_PUBLIC_URL', async () => {
      const prefixed = await startHarness(handle.db, { SAMOSACHAAT_LOCAL: 'true', AUTH_PUBLIC_URL: 'https://chat.example.com/api/' });
      try {
        const res = await prefixed.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email: 'prefixed@example.com' } });
        assert.equal(cookieOf(res, REFRESH_COOKIE)?.path, '/api/auth');
      } finally {
        await prefixed.close();
      }
    });
  });

  describe('mintDevelopmentToken (the CLI `token` command)', () => {
    it('upserts the development user and returns a token the service validates', async () => {
      const minted = await mintDevelopmentToken({ db: handle.db, keys: h.keys, email: 'CLI@Example.com', name: 'CLI User', adminEmails: parseAdminEmails('cli@example.com'), ttlSeconds: 600 });
      assert.equal(minted.token_type, 'Bearer');
      assert.equal(minted.expires_in, 600);
      assert.equal(minted.user.provider, 'dev');
      assert.equal(minted.user.is_admin, true);
      const res = await h.app.inject({ method: 'POST', url: '/auth/validate', headers: { 'x-internal-api-key': h.internalApiKey }, payload: { token: minted.access_token } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().user.email, 'cli@example.com');
      const again = await mintDevelopmentToken({ db: handle.db, keys: h.keys, email: 'cli@example.com' });
      assert.equal(again.user.id, minted.user.id);
      assert.equal(again.user.is_admin, false, 'without ADMIN_EMAILS the user is not an admin');
      await assert.rejects(mintDevelopmentToken({ db: handle.db, keys: h.keys, email: 'nope' }), /"nope" is not an e-mail address/);
    });
  });
});
