import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findUnacceptableText, firstInvalidUtf8Byte } from './json-body.js';

describe('JSON body checks', () => {
  it('finds a lone surrogate in values and keys, with its path; pairs are fine', () => {
    const lone = (path: string, codeUnit: string) => ({ path, problem: 'lone_surrogate', codeUnit });
    assert.equal(findUnacceptableText({ title: 'samosa 🥟', tags: ['a', '\u{1F600}'] }), undefined);
    assert.deepEqual(findUnacceptableText({ title: 'ok\uD800' }), lone('body/title', 'U+D800'));
    assert.deepEqual(findUnacceptableText({ messages: [{ content: 'x' }, { content: '\uDC00y' }] }), lone('body/messages/1/content', 'U+DC00'));
    assert.deepEqual(findUnacceptableText({ ['k\uDBFF']: 1 }), lone('body (a key)', 'U+DBFF'));
    assert.deepEqual(findUnacceptableText('\uD83D\uD83D\uDE00'), lone('body', 'U+D83D'), 'a high surrogate followed by a pair');
  });

  it('finds U+0000, which PostgreSQL text cannot store', () => {
    assert.deepEqual(findUnacceptableText({ messages: [{ role: 'user', content: 'a\u0000b' }] }), { path: 'body/messages/0/content', problem: 'nul', codeUnit: 'U+0000' });
    assert.equal(findUnacceptableText({ n: 0, t: 'zero is fine: 0' }), undefined);
  });

  it('points at the first byte that breaks UTF-8', () => {
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0x7b, 0x22, 0xff, 0x22])), 2);
    // 0xC3 opens a two-byte character that 0x28 cannot continue.
    assert.equal(firstInvalidUtf8Byte(Buffer.concat([Buffer.from('{"a":"é'), Buffer.from([0xc3, 0x28])])), 8);
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0xed, 0xa0, 0x80])), 0, 'an encoded surrogate (CESU-8) is not UTF-8');
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0x61, 0xe2, 0x82])), 1, 'a character cut at the end');
  });
});
