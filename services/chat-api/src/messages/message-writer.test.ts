import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishAnswers, saveUserMessages } from './message-writer.js';
import { titleFromMessage } from './send-preparation.js';

describe('titleFromMessage', () => {
  it('takes the first 80 characters with whitespace collapsed', () => {
    assert.equal(titleFromMessage('  Hello\n\n  world\t!  '), 'Hello world !');
    assert.equal(titleFromMessage('x'.repeat(100)), 'x'.repeat(80));
    assert.equal(titleFromMessage('🙏'.repeat(100)), '🙏'.repeat(80), 'characters, not UTF-16 units');
    assert.equal(titleFromMessage(' \n\t '), null);
  });
});

describe('batched writes', () => {
  it('refuse two writes to one conversation in a statement (its input is joined by conversation id), before asking the database', async () => {
    const db = {
      query: () => {
        throw new Error('the database was asked');
      },
    };
    const id = '6f1c2d1e-0000-4000-8000-000000000001';
    const user = { conversationId: id, userId: id, content: 'x', title: null };
    await assert.rejects(saveUserMessages(db, [user, { ...user, conversationId: id.toUpperCase() }]), /one write per conversation/);
    const answer = { conversationId: id, id, content: 'a', tokenCount: 1, modelTag: null, inferenceTimeMs: 1, status: 'complete' as const, failureCode: null, failureMessage: null };
    await assert.rejects(finishAnswers(db, [answer, answer]), /one write per conversation/);
  });
});
