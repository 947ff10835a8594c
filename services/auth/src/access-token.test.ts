import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { ISSUER, signAccessToken, verifyAccessToken } from './access-token.js';
import { generateJwtKeys, loadJwtKeys, type JwtKeys } from './keys.js';

const user = { id: '7b0c2f9e-3c1a-4f7e-9d55-2a4c6b8e1f00', email: 'asha@example.com', name: 'Asha' };

describe('access tokens', () => {
  let dir: string;
  let keys: JwtKeys;
  let otherKeys: JwtKeys;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-token-'));
    keys = await loadJwtKeys(await generateJwtKeys(join(dir, 'a')));
    otherKeys = await loadJwtKeys(await generateJwtKeys(join(dir, 'b')));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('signs RS256 with the key thumbprint as kid and the claims of the spec, and verifies them', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const signed = await signAccessToken(keys, user, { now, ttlSeconds: 3600 });
    assert.equal(signed.expiresIn, 3600);
    assert.equal(signed.expiresAt, now / 1000 + 3600);
    const header = decodeProtectedHeader(signed.token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, keys.kid);
    const verdict = await verifyAccessToken(keys, signed.token, { now: now + 1000 });
    assert.deepEqual(verdict, { valid: true, claims: { sub: user.id, email: user.email, name: 'Asha', iat: now / 1000, exp: now / 1000 + 3600, iss: ISSUER } });
  });

  it('refuses an expired token as expired, exactly at exp', async () => {
    const now = Date.UTC(2030, 0, 1);
    const { token, expiresAt } = await signAccessToken(keys, user, { now, ttlSeconds: 60 });
    assert.equal((await verifyAccessToken(keys, token, { now: expiresAt * 1000 - 1000 })).valid, true);
    assert.deepEqual(await verifyAccessToken(keys, token, { now: expiresAt * 1000 }), { valid: false, code: 'AUTH_TOKEN_EXPIRED', outcome: 'expired' });
  });

  it('refuses a token signed with another key', async () => {
    const { token } = await signAccessToken(otherKeys, user);
    assert.deepEqual(await verifyAccessToken(keys, token), { valid: false, code: 'AUTH_TOKEN_INVALID_SIGNATURE', outcome: 'invalid' });
  });

  it('refuses a correctly signed token from another issuer', async () => {
    const token = await new SignJWT({ email: user.email, name: null }).setProtectedHeader({ alg: 'RS256' }).setSubject(user.id).setIssuer('someone-else').setIssuedAt().setExpirationTime('1h').sign(keys.privateKey);
    assert.deepEqual(await verifyAccessToken(keys, token), { valid: false, code: 'AUTH_TOKEN_WRONG_ISSUER', outcome: 'invalid' });
  });

  it('refuses alg=none, HMAC and garbage', async () => {
    const none = new UnsecuredJWT({ email: user.email }).setSubject(user.id).setIssuer(ISSUER).setIssuedAt().setExpirationTime('1h').encode();
    assert.equal((await verifyAccessToken(keys, none)).valid, false);
    const hmac = await new SignJWT({ email: user.email, name: null }).setProtectedHeader({ alg: 'HS256' }).setSubject(user.id).setIssuer(ISSUER).setIssuedAt().setExpirationTime('1h').sign(new Uint8Array(32));
    assert.deepEqual(await verifyAccessToken(keys, hmac), { valid: false, code: 'AUTH_TOKEN_INVALID', outcome: 'invalid' });
    assert.deepEqual(await verifyAccessToken(keys, 'not.a.jwt'), { valid: false, code: 'AUTH_TOKEN_MALFORMED', outcome: 'invalid' });
    assert.deepEqual(await verifyAccessToken(keys, ''), { valid: false, code: 'AUTH_TOKEN_MALFORMED', outcome: 'invalid' });
    assert.deepEqual(await verifyAccessToken(keys, 'x'.repeat(9000)), { valid: false, code: 'AUTH_TOKEN_MALFORMED', outcome: 'invalid' });
  });

  it('refuses a signed token whose subject is not a user id', async () => {
    const token = await new SignJWT({ email: user.email, name: null }).setProtectedHeader({ alg: 'RS256' }).setSubject('admin').setIssuer(ISSUER).setIssuedAt().setExpirationTime('1h').sign(keys.privateKey);
    assert.deepEqual(await verifyAccessToken(keys, token), { valid: false, code: 'AUTH_TOKEN_INVALID', outcome: 'invalid' });
  });

  it('detects a tampered payload', async () => {
    const { token } = await signAccessToken(keys, user);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.email = 'mallory@example.com';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    assert.deepEqual(await verifyAccessToken(keys, forged), { valid: false, code: 'AUTH_TOKEN_INVALID_SIGNATURE', outcome: 'invalid' });
  });
});
