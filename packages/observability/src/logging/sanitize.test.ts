import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeHeaderValue } from './sanitize.js';

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
