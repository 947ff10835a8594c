import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor, isRealTimestamp, isUuid } from './cursor.js';

describe('list cursor', () => {
  it('round-trips a position exactly, microseconds included', () => {
    const position = { updatedAt: '2026-11-25T20:02:32.613512', id: '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11' };
    const cursor = encodeCursor(position);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor), position);
  });

  it('rejects anything it did not produce with CHAT_INVALID_CURSOR', () => {
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    for (const cursor of [
      '',
      'x'.repeat(300),
      '!!!',
      b64('not json'),
      b64(null),
      b64({ u: '2026-11-25T20:02:32.613', i: '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11' }),
      b64({ u: '2026-11-25T20:02:32.613512', i: 'nope' }),
      b64({ u: 1, i: 2 }),
      b64({ u: '2026-13-45T10:00:00.000000', i: '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11' }),
      b64({ u: '0000-06-01T10:00:00.000000', i: '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11' }),
      b64({ u: '2100-02-29T10:00:00.000000', i: '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11' }),
    ]) {
      assert.throws(() => decodeCursor(cursor), { code: 'CHAT_INVALID_CURSOR', statusCode: 400 }, cursor.slice(0, 30));
    }
  });

  it('accepts real dates only', () => {
    for (const ok of ['2000-02-29T00:00:00.000000', '2026-12-31T23:59:59.999999', '0001-01-01T00:00:00.000000']) assert.ok(isRealTimestamp(ok), ok);
    for (const bad of ['1900-02-29T00:00:00.000000', '2026-06-31T00:00:00.000000', '2026-00-10T00:00:00.000000', '2026-01-00T00:00:00.000000', '2026-01-01T00:00:60.000000']) assert.ok(!isRealTimestamp(bad), bad);
  });

  it('recognises UUIDs of any version and nothing else', () => {
    assert.ok(isUuid('00000000-0000-0000-0000-000000000000'));
    assert.ok(isUuid('5E1F6A3E-8A44-4F5B-9D5E-2B7F3F0C9A11'));
    assert.ok(!isUuid('5e1f6a3e8a444f5b9d5e2b7f3f0c9a11'));
    assert.ok(!isUuid("5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a1' --"));
  });
});
