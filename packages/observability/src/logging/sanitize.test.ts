import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactedExcerpt, sanitizeHeaderValue } from './sanitize.js';

describe('sanitizeHeaderValue', () => {
  it('removes line breaks and other control characters', () => {
    assert.equal(sanitizeHeaderValue('curl\r\n{"level":"critical"}\u2028x\u0000'), 'curl  {"level":"critical"} x ');
  });

  it('truncates long values and says how much was cut', () => {
    const out = sanitizeHeaderValue('a'.repeat(10_000));
    assert.equal(out, `${'a'.repeat(256)}…[+9744 chars]`);
  });

  it('joins repeated headers and passes undefined through', () => {
    assert.equal(sanitizeHeaderValue(['a', 'b']), 'a, b');
    assert.equal(sanitizeHeaderValue(undefined), undefined);
  });
});

// header.payload.signature of a token for ada@example.com (signature made up: only the shape matters).
const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const PAYLOAD = enc({ sub: '8d0c0e4e-5b7e-4a57-9c39-1b2f7d8e9a10', email: 'ada@example.com', name: 'Ada', exp: 4102444800 });
const JWT = `${enc({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${PAYLOAD}.${'s'.repeat(342)}`;

describe('redaction before truncation', () => {
  it('redacts a JWT that the 256-character cut would split (User-Agent, path)', () => {
    for (const prefix of ['Mozilla/5.0 ', 'x'.repeat(100), 'y'.repeat(200)]) {
      const out = sanitizeHeaderValue(`${prefix}${JWT}`) as string;
      assert.ok(!out.includes(PAYLOAD.slice(0, 12)), `payload leaked after a ${prefix.length}-character prefix: ${out}`);
      assert.ok(!out.includes('eyJ'), out);
      assert.ok(out.includes('[REDACTED]') || out.length <= 256 + 20, out);
    }
  });

  it('cuts excerpts after redacting, marking the cut', () => {
    assert.equal(redactedExcerpt(`error: Bearer ${JWT} rejected`, 40), 'error: Bearer [REDACTED] rejected');
    assert.equal(redactedExcerpt(`${'a'.repeat(10)}${JWT}`, 30), `${'a'.repeat(10)}[REDACTED]`);
    assert.equal(redactedExcerpt('b'.repeat(50), 10), `${'b'.repeat(10)}…`);
  });
});
