import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainTitle } from './titles.js';

describe('plainTitle', () => {
  it('shows the words of a markdown title without its markup', () => {
    assert.equal(plainTitle('# How do I **sort** a `Map` in _TypeScript_?'), 'How do I sort a Map in TypeScript?');
    assert.equal(plainTitle('```python\nprint(1)'), 'print(1)');
    assert.equal(plainTitle('> quote\n- item one\n1. step'), 'quote item one step');
    assert.equal(plainTitle('see [the docs](https://example.com/x) now'), 'see the docs now');
    assert.equal(plainTitle('a <b>bold</b> claim'), 'a bold claim');
  });

  it('keeps plain titles, snake_case and arithmetic as they are', () => {
    assert.equal(plainTitle('Tell me about samosa chaat'), 'Tell me about samosa chaat');
    assert.equal(plainTitle('rename my_var_name please'), 'rename my_var_name please');
    assert.equal(plainTitle('is 2 * 3 * 4 = 24?'), 'is 2 * 3 * 4 = 24?');
  });

  it('falls back to "New chat" when nothing is left', () => {
    assert.equal(plainTitle(null), 'New chat');
    assert.equal(plainTitle('```'), 'New chat');
    assert.equal(plainTitle('  **  '), 'New chat');
  });
});
