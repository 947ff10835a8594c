import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { titleFromMessage } from './message-store.js';

describe('titleFromMessage', () => {
  it('takes the first 80 characters with whitespace collapsed', () => {
    assert.equal(titleFromMessage('  Hello\n\n  world\t!  '), 'Hello world !');
    assert.equal(titleFromMessage('x'.repeat(100)), 'x'.repeat(80));
    assert.equal(titleFromMessage('🙏'.repeat(100)), '🙏'.repeat(80), 'characters, not UTF-16 units');
    assert.equal(titleFromMessage(' \n\t '), null);
  });
});
