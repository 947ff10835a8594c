import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../services/chat-api/test/support/harness.js';
import { firstConversation, START_CONVERSATION_TITLE } from '../src/start.js';

// `npm start` prints a curl example that sends to a conversation of the development user: a
// restart reuses the one it made before instead of adding another (chat-api in-process, PGlite).
describe('npm start: the example conversation', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ backend: 'pglite' });
  });
  after(async () => {
    await h?.close();
  });

  it('is created once and reused on every later start, even below other conversations', async () => {
    const first = await firstConversation(h.url, h.alice.token);
    for (let i = 0; i < 3; i++) await h.call('POST', '/api/conversations', { body: { title: `Other ${i}` } });
    // A conversation that mentions the title in a message is not taken for it.
    await h.call('POST', '/api/conversations', { body: { title: `Notes on ${START_CONVERSATION_TITLE.toLowerCase()} output` } });
    assert.equal(await firstConversation(h.url, h.alice.token), first);
    assert.equal(await firstConversation(h.url, h.alice.token), first);
    const titles = ((await h.call('GET', '/api/conversations?limit=100')).json.conversations as Array<{ title: string }>).map((c) => c.title);
    assert.equal(titles.filter((t) => t === START_CONVERSATION_TITLE).length, 1);
    // Another user gets their own.
    assert.notEqual(await firstConversation(h.url, h.bob.token), first);
  });
});
