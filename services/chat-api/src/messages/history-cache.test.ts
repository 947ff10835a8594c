import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryCache, nextVersion, type CachedConversation } from './history-cache.js';
import type { HistoryCandidate } from './history.js';

const msg = (content: string, role: HistoryCandidate['role'] = 'user', token_count: number | null = null): HistoryCandidate => ({ role, content, token_count });
const conv = (userId: string, recent: HistoryCandidate[] = [], modelTag: string | null = null, version = '0'): CachedConversation => ({ userId, modelTag, version, recent });

describe('history cache', () => {
  it('answers only the owner, and marks an entry recently used', () => {
    const cache = new HistoryCache(100_000, 10);
    cache.set('c1', conv('alice', [msg('hi')], 'demo'));
    assert.deepEqual(cache.get('c1', 'alice'), conv('alice', [msg('hi')], 'demo'));
    assert.equal(cache.get('c1', 'bob'), undefined, "another user's conversation is never served");
    assert.equal(cache.get('c2', 'alice'), undefined);
  });

  it('keeps at most `depth` messages per conversation, newest first, also when a write is mirrored', () => {
    const cache = new HistoryCache(100_000, 2);
    cache.set('c', conv('u', [msg('m3'), msg('m2', 'assistant'), msg('m1')], null, '41'));
    assert.deepEqual(cache.get('c', 'u')?.recent.map((m) => m.content), ['m3', 'm2']);
    cache.advance('c', '41', msg('m4', 'assistant', 7));
    assert.deepEqual(cache.get('c', 'u'), conv('u', [msg('m4', 'assistant', 7), msg('m3')], null, '42'));
    // A write history does not show (a failed answer) moves the version only.
    cache.advance('c', '42');
    assert.deepEqual(cache.get('c', 'u'), conv('u', [msg('m4', 'assistant', 7), msg('m3')], null, '43'));
    cache.advance('absent', '0', msg('x'));
    assert.equal(cache.size, 1, 'mirroring a write to a conversation not cached caches nothing');
  });

  it('forgets an entry a write did not start from, and never replaces a newer version with an older one', () => {
    const cache = new HistoryCache(100_000, 10);
    cache.set('c', conv('u', [msg('a')], null, '5'));
    cache.advance('c', '4', msg('b'));
    assert.equal(cache.get('c', 'u'), undefined, 'the write found version 4: the entry (5) is not what the database holds');
    cache.set('c', conv('u', [msg('new')], null, '9'));
    cache.set('c', conv('u', [msg('old')], null, '8'));
    assert.deepEqual(cache.get('c', 'u')?.recent, [msg('new')]);
    cache.set('c', conv('other', [msg('theirs')], null, '1'));
    assert.deepEqual(cache.get('c', 'other')?.recent, [msg('theirs')], "another owner's entry replaces it whatever the version");
    assert.equal(nextVersion('9007199254740993'), '9007199254740994', 'versions are bigints, not doubles');
  });

  it('stays within its character budget, evicting the least recently used first', () => {
    // Each entry: 256 + 1 message × (64 + 1000) = 1320 characters.
    const cache = new HistoryCache(6000, 10);
    for (const id of ['a', 'b', 'c', 'd']) cache.set(id, conv('u', [msg('x'.repeat(1000))]));
    assert.equal(cache.chars, 4 * 1320);
    cache.get('a', 'u'); // a is now the most recently used
    cache.set('e', conv('u', [msg('y'.repeat(1000))]));
    assert.equal(cache.get('b', 'u'), undefined, 'b was the least recently used');
    for (const id of ['a', 'c', 'd', 'e']) assert.ok(cache.get(id, 'u'), `${id} kept`);
    assert.ok(cache.chars <= 6000);
  });

  it('never lets one conversation take more than a quarter of the budget', () => {
    const cache = new HistoryCache(4000, 10);
    cache.set('small', conv('u', [msg('s')]));
    cache.set('big', conv('u', [msg('z'.repeat(800))]));
    assert.equal(cache.get('big', 'u'), undefined);
    assert.ok(cache.get('small', 'u'));
    // Growing past the quarter drops the entry instead of keeping a truncated history.
    cache.advance('small', '0', msg('w'.repeat(800)));
    assert.equal(cache.get('small', 'u'), undefined);
    assert.equal(cache.chars, 0);
  });

  it('accounts for deletes and replacements exactly; a budget of 0 keeps nothing', () => {
    const cache = new HistoryCache(100_000, 10);
    cache.set('c', conv('u', [msg('abc')]));
    cache.set('c', conv('u', [msg('abcdef'), msg('abc')]));
    assert.equal(cache.chars, 256 + 64 + 6 + 64 + 3);
    cache.delete('c');
    cache.delete('c');
    assert.equal(cache.chars, 0);
    assert.equal(cache.size, 0);
    const off = new HistoryCache(0, 10);
    off.set('c', conv('u'));
    assert.equal(off.get('c', 'u'), undefined);
  });
});
