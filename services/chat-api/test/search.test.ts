import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendsUnderTest } from './support/databases.js';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { stream } from './support/sse.js';

interface Hit {
  conversation: { id: string; title: string | null };
  message: { id: string; role: string } | null;
  snippet: string;
  highlights: Array<[number, number]>;
}

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`conversation search [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
    });
    after(async () => {
      await h?.close();
    });

    async function converse(user: TestUser, question: string, answer: string[]): Promise<string> {
      const id = (await h.call('POST', '/api/conversations', { user, body: {} })).json.id as string;
      await h.inference.script({ tokens: answer });
      const res = await stream(h.url, `/api/conversations/${id}/messages`, user, { content: question });
      assert.equal(res.status, 200, res.text);
      return id;
    }
    const search = (q: string, user: TestUser = h.alice, extra = '') => h.call('GET', `/api/conversations/search?q=${encodeURIComponent(q)}${extra}`, { user });

    it('finds words of titles and messages (as prefixes), scoped to the user, with a snippet around the match', async () => {
      const carol = await h.addUser('carol');
      const dave = await h.addUser('dave');
      const goa = await converse(carol, 'Plan a trip to Goa', ['Pack sunscreen', ' and eat a samosa at the beach.']);
      await converse(carol, 'Explain recursion', ['A function that calls itself.']);
      await converse(dave, 'Samosa recipe please', ['Potatoes, peas and pastry.']);

      const found = await search('SAMOS beach', carol);
      assert.equal(found.status, 200, found.text);
      const hits = found.json.results as Hit[];
      assert.deepEqual(
        hits.map((x) => x.conversation.id),
        [goa],
      );
      const hit = hits[0] as Hit;
      assert.equal(hit.message?.role, 'assistant');
      assert.match(hit.snippet, /samosa at the beach/);
      assert.deepEqual(
        hit.highlights.map(([a, b]) => hit.snippet.slice(a, b)),
        ['samosa', 'beach'],
      );
      assert.equal(found.json.next_cursor, null);

      // The title ("Plan a trip to Goa", from the first message) matches too; dave's samosa is not carol's.
      const byTitle = (await search('goa', carol)).json.results as Hit[];
      assert.deepEqual(
        byTitle.map((x) => x.conversation.title),
        ['Plan a trip to Goa'],
      );
      assert.deepEqual(
        ((await search('recipe', carol)).json.results as Hit[]).map((x) => x.conversation.id),
        [],
      );
      assert.equal(((await search('recipe', dave)).json.results as Hit[]).length, 1);
      // Every word must match.
      assert.deepEqual((await search('samosa recursion', carol)).json.results, []);
    });

    it('pages through results with a cursor, newest first', async () => {
      const erin = await h.addUser('erin');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.call('POST', '/api/conversations', { user: erin, body: { title: `Chaat stall ${i}` } })).json.id as string);
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 5; page++) {
        const res = await search('chaat', erin, `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200);
        seen.push(...(res.json.results as Hit[]).map((x) => x.conversation.id));
        if (res.json.next_cursor === null) break;
        cursor = res.json.next_cursor as string;
      }
      assert.deepEqual(seen, [...ids].reverse());
    });

    it('answers bad queries with a 400 naming the problem', async () => {
      for (const [path, pattern] of [
        ['/api/conversations/search', /q is required/],
        ['/api/conversations/search?q=%20%20', /q is required/],
        ['/api/conversations/search?q=%21%3F%26%7C', /no word to search for/],
        [`/api/conversations/search?q=${'a'.repeat(201)}`, /q.*200/],
        [`/api/conversations/search?q=${Array.from({ length: 17 }, (_, i) => `w${i}`).join('+')}`, /too many words/],
        ['/api/conversations/search?q=x&limit=0', /limit/],
        ['/api/conversations/search?q=x&cursor=nope', /cursor/],
      ] as const) {
        const res = await h.call('GET', path);
        assert.equal(res.status, 400, `${path}: ${res.text}`);
        assert.match(res.json.error.message, pattern, path);
      }
      assert.equal((await h.call('GET', '/api/conversations/search?q=x', { user: null })).status, 401);
      // Quotes, backslashes and tsquery operators are words' surroundings, not syntax.
      for (const q of ["it's", 'a\\b', "'':* | !x", '(foo & bar)']) assert.equal((await search(q)).status, 200, q);
    });

    it('stores an answer over 1 MB in full and still finds it: the index covers a bounded part', async () => {
      const frank = await h.addUser('frank');
      // 160,000 distinct words (about 1.3 MB): one tsvector of the whole text is over its 1 MB limit.
      const words = Array.from({ length: 160_000 }, (_, i) => `w${i.toString(36)}q`);
      const tokens = ['zanzibar '];
      for (let i = 0; i < words.length; i += 2000) tokens.push(words.slice(i, i + 2000).join(' ') + ' ');
      const id = await converse(frank, 'Write a very long list', tokens);
      const stored = (await h.call('GET', `/api/conversations/${id}`, { user: frank })).json.messages as Array<{ role: string; status: string; content: string }>;
      const answer = stored.find((m) => m.role === 'assistant');
      assert.equal(answer?.status, 'complete');
      assert.equal(answer?.content, tokens.join(''));
      assert.ok(Buffer.byteLength(answer.content) > 1_048_576);
      // An index on the whole text would have refused this very write.
      await assert.rejects(h.db.query(`SELECT to_tsvector('simple', content) FROM messages WHERE id = $1`, [(stored[1] as unknown as { id: string }).id]), /too long for tsvector/);
      const hits = (await search('zanzibar', frank)).json.results as Hit[];
      assert.deepEqual(
        hits.map((x) => x.conversation.id),
        [id],
      );
      assert.match((hits[0] as Hit).snippet, /zanzibar/);
    });
  });
}
