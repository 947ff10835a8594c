import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateTokens, selectHistory, type HistoryCandidate } from './history.js';

const msg = (content: string, token_count: number | null = null, role: HistoryCandidate['role'] = 'user'): HistoryCandidate => ({ role, content, token_count });

describe('history window', () => {
  it('estimates tokens: token_count when known, else ceil(characters / 4) counting code points', () => {
    assert.equal(estimateTokens(msg('abcd')), 1);
    assert.equal(estimateTokens(msg('abcde')), 2);
    assert.equal(estimateTokens(msg('')), 0);
    assert.equal(estimateTokens(msg('🙏🙏🙏🙏🙏')), 2, 'five emoji are five characters');
    assert.equal(estimateTokens(msg('whatever', 17)), 17);
    assert.equal(estimateTokens(msg('abcd', 0)), 0);
  });

  it('takes the newest messages up to the count, oldest first', () => {
    const newestFirst = [msg('m4'), msg('m3', null, 'assistant'), msg('m2'), msg('m1', null, 'assistant'), msg('m0')];
    const { turns, estimatedTokens } = selectHistory(newestFirst, { maxMessages: 3, maxTokens: 1000 });
    assert.deepEqual(turns, [
      { role: 'user', content: 'm2' },
      { role: 'assistant', content: 'm3' },
      { role: 'user', content: 'm4' },
    ]);
    assert.equal(estimatedTokens, 3);
  });

  it('stops at the first message over the budget, so the window stays contiguous', () => {
    const newestFirst = [msg('new', 10), msg('a', 50), msg('b', 100), msg('c', 1)];
    assert.deepEqual(
      selectHistory(newestFirst, { maxMessages: 10, maxTokens: 100 }).turns.map((t) => t.content),
      ['a', 'new'],
      'c would fit but b does not: c is not sent without b',
    );
    assert.deepEqual(selectHistory(newestFirst, { maxMessages: 10, maxTokens: 60 }).turns.map((t) => t.content), ['a', 'new'], 'exactly at the budget fits');
  });

  it('always includes the newest message, even alone over the budget', () => {
    const { turns, estimatedTokens } = selectHistory([msg('x'.repeat(40_000)), msg('older', 1)], { maxMessages: 50, maxTokens: 6000 });
    assert.equal(turns.length, 1);
    assert.equal(estimatedTokens, 10_000);
    assert.deepEqual(selectHistory([], { maxMessages: 5, maxTokens: 5 }).turns, []);
  });
});
