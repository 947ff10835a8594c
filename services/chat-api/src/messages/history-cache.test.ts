import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryCache, sameRecent, type CachedConversation } from './history-cache.js';
import type { HistoryCandidate } from './history.js';

const msg = (content: string, role: HistoryCandidate['role'] = 'user', token_count: number | null = null): HistoryCandidate => ({ role, content, token_count });
const conv = (userId: string, recent: HistoryCandidate[] = [], modelTag: string | null = null): CachedConversation => ({ userId, modelTag, recent });

describe('history cache', () => {
  it('answers only the owner, and marks an entry recently used', () => {
    const cache = new HistoryCache(100_000, 10);
    cache.set('c1', conv('alice', [msg('hi')], 'demo'));
    assert.deepEqual(cache.get('c1', 'alice'), conv('alice', [msg('hi')], 'demo'));
    assert.equal(cache.get('c1', 'bob'), undefined, "another user's conversation is never served");
    assert.equal(cache.get('c2', 'alice'), undefined);
  });

  it('keeps at most `depth` messages per conversation, newest first, also when a message is pushed', () => {
    const cache = new HistoryCache(100_000, 2);
    cache.set('c', conv('u', [msg('m3'), msg('m2', 'assistant'), msg('m1')]));
    assert.deepEqual(cache.get('c', 'u')?.recent.map((m) => m.content), ['m3', 'm2']);
    cache.push('c', msg('m4', 'assistant', 7));
    assert.deepEqual(cache.get('c', 'u')?.recent, [msg('m4', 'assistant', 7), msg('m3')]);
    cache.push('absent', msg('x'));
    assert.equal(cache.size, 1, 'pushing to a conversation not cached caches nothing');
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
    cache.push('small', msg('w'.repeat(800)));
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

  it('compares histories by role, text and token count', () => {
    const a = [msg('q'), msg('a', 'assistant', 3)];
    assert.equal(sameRecent(a, [msg('q'), msg('a', 'assistant', 3)]), true);
    assert.equal(sameRecent(a, [msg('q'), msg('a', 'assistant', 4)]), false);
    assert.equal(sameRecent(a, [msg('q'), msg('a', 'user', 3)]), false);
    assert.equal(sameRecent(a, [msg('q'), msg('b', 'assistant', 3)]), false);
    assert.equal(sameRecent(a, [msg('q')]), false);
    assert.equal(sameRecent([], []), true);
  });
});
