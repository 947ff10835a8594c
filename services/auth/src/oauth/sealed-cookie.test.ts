import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveCookieKey, OAUTH_COOKIE_TTL_SECONDS, openFlowState, sealFlowState } from './sealed-cookie.js';

const flow = { provider: 'github', state: 'state-value-123', verifier: 'verifier-value-456' };
const secret = 'x'.repeat(40);

describe('sealed OAuth cookie', () => {
  it('round-trips the flow state and hides it from the browser', async () => {
    const key = deriveCookieKey(secret);
    const sealed = await sealFlowState(key, flow);
    assert.equal(sealed.split('.').length, 5, 'a compact JWE');
    assert.equal(sealed.includes('verifier-value'), false);
    assert.equal(Buffer.from(sealed.split('.')[3] as string, 'base64url').toString('latin1').includes('verifier-value'), false, 'the ciphertext is not the plaintext');
    assert.deepEqual(await openFlowState(key, sealed), flow);
  });

  it('derives the same key from the same secret (several instances) and another from another', async () => {
    assert.deepEqual(deriveCookieKey(secret), deriveCookieKey(secret));
    const sealed = await sealFlowState(deriveCookieKey(secret), flow);
    assert.deepEqual(await openFlowState(deriveCookieKey(secret), sealed), flow);
    assert.equal(await openFlowState(deriveCookieKey('y'.repeat(40)), sealed), undefined);
  });

  it('refuses a tampered cookie', async () => {
    const key = deriveCookieKey(secret);
    const parts = (await sealFlowState(key, flow)).split('.');
    const ciphertext = Buffer.from(parts[3] as string, 'base64url');
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    parts[3] = ciphertext.toString('base64url');
    assert.equal(await openFlowState(key, parts.join('.')), undefined);
    assert.equal(await openFlowState(key, 'garbage'), undefined);
    assert.equal(await openFlowState(key, ''), undefined);
  });

  it('expires after ten minutes', async () => {
    const key = deriveCookieKey(secret);
    const now = Date.UTC(2030, 0, 1);
    const sealed = await sealFlowState(key, flow, { now });
    assert.deepEqual(await openFlowState(key, sealed, { now: now + (OAUTH_COOKIE_TTL_SECONDS - 1) * 1000 }), flow);
    assert.equal(await openFlowState(key, sealed, { now: now + OAUTH_COOKIE_TTL_SECONDS * 1000 }), undefined);
  });
});
