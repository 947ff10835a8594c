import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLoneSurrogate, firstInvalidUtf8Byte } from './json-body.js';

describe('JSON body checks', () => {
  it('finds a lone surrogate in values and keys, with its path; pairs are fine', () => {
    assert.equal(findLoneSurrogate({ title: 'samosa 🥟', tags: ['a', '\u{1F600}'] }), undefined);
    assert.deepEqual(findLoneSurrogate({ title: 'ok\uD800' }), { path: 'body/title', codeUnit: 'U+D800' });
    assert.deepEqual(findLoneSurrogate({ messages: [{ content: 'x' }, { content: '\uDC00y' }] }), { path: 'body/messages/1/content', codeUnit: 'U+DC00' });
    assert.deepEqual(findLoneSurrogate({ ['k\uDBFF']: 1 }), { path: 'body (a key)', codeUnit: 'U+DBFF' });
    assert.deepEqual(findLoneSurrogate('\uD83D\uD83D\uDE00'), { path: 'body', codeUnit: 'U+D83D' }, 'a high surrogate followed by a pair');
  });

  it('points at the first byte that breaks UTF-8', () => {
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0x7b, 0x22, 0xff, 0x22])), 2);
    // 0xC3 opens a two-byte character that 0x28 cannot continue.
    assert.equal(firstInvalidUtf8Byte(Buffer.concat([Buffer.from('{"a":"é'), Buffer.from([0xc3, 0x28])])), 8);
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0xed, 0xa0, 0x80])), 0, 'an encoded surrogate (CESU-8) is not UTF-8');
    assert.equal(firstInvalidUtf8Byte(Buffer.from([0x61, 0xe2, 0x82])), 1, 'a character cut at the end');
  });
});
