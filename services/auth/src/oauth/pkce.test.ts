import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOAuthState, createPkcePair, pkceChallenge } from './pkce.js';

describe('PKCE', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    assert.equal(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('creates 43-character verifiers in the unreserved alphabet, each with its own challenge', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    assert.match(a.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(a.method, 'S256');
    assert.equal(a.challenge, pkceChallenge(a.verifier));
    assert.notEqual(a.verifier, b.verifier);
    assert.notEqual(a.challenge, b.challenge);
  });

  it('creates unguessable states', () => {
    const states = new Set(Array.from({ length: 100 }, createOAuthState));
    assert.equal(states.size, 100);
    for (const s of states) assert.match(s, /^[A-Za-z0-9_-]{43}$/);
  });
});
