import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendsUnderTest } from './support/databases.js';
import { startHarness, type Harness } from './support/harness.js';

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`conversations [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
    });
    after(async () => {
      await h?.close();
    });

    it('creates, reads, renames, favourites and deletes a conversation', async () => {
      const created = await h.call('POST', '/api/conversations', { body: { title: '  Trip plans  ', model_tag: 'demo' } });
      assert.equal(created.status, 201);
      assert.equal(created.json.title, 'Trip plans');
      assert.equal(created.json.model_tag, 'demo');
      assert.equal(created.json.favorited, false);
      assert.match(created.json.id, /^[0-9a-f-]{36}$/);
      const id = created.json.id as string;

      const fetched = await h.call('GET', `/api/conversations/${id}`);
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.json.messages, []);
      assert.equal(fetched.json.title, 'Trip plans');

      const renamed = await h.call('PUT', `/api/conversations/${id}`, { body: { title: 'Trip to Goa' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.json.title, 'Trip to Goa');
      // A rename or a star is not news: the list's order and "updated" time stay.
      assert.equal(renamed.json.updated_at, created.json.updated_at);

      const starred = await h.call('PUT', `/api/conversations/${id}`, { body: { favorited: true, model_tag: null } });
      assert.equal(starred.json.favorited, true);
      assert.equal(starred.json.model_tag, null);
      assert.equal(starred.json.title, 'Trip to Goa');
      assert.equal(starred.json.updated_at, created.json.updated_at);
      const newer = (await h.call('POST', '/api/conversations', { body: { title: 'Newer' } })).json.id as string;
      await h.call('PUT', `/api/conversations/${id}`, { body: { title: 'Trip to Goa, renamed' } });
      const order = ((await h.call('GET', '/api/conversations')).json.conversations as Array<{ id: string }>).map((c) => c.id);
      assert.ok(order.indexOf(newer) < order.indexOf(id), 'the renamed, older conversation stays below the newer one');
      await h.call('DELETE', `/api/conversations/${newer}`);

      const untitled = await h.call('POST', '/api/conversations');
      assert.equal(untitled.status, 201);
      assert.equal(untitled.json.title, null);

      const deleted = await h.call('DELETE', `/api/conversations/${id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      assert.equal((await h.call('GET', `/api/conversations/${id}`)).status, 404);
      assert.equal((await h.call('DELETE', `/api/conversations/${id}`)).status, 404);
    });

    it('rejects bad bodies with a message naming the problem', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      for (const [body, pattern] of [
        [{ title: '' }, /title/],
        [{ title: '   ' }, /title/],
        [{ title: 'x'.repeat(201) }, /title/],
        [{ favorited: 'yes' }, /favorited/],
        [{}, /at least one of title, favorited, model_tag/],
      ] as const) {
        const res = await h.call('PUT', `/api/conversations/${id}`, { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'VALIDATION_FAILED');
        assert.match(res.json.error.message, pattern);
        assert.equal(res.json.error.trace_id, res.headers.get('x-trace-id'));
      }
      const longTitle = await h.call('POST', '/api/conversations', { body: { title: 'y'.repeat(201) } });
      assert.equal(longTitle.status, 400);
      assert.equal((await h.call('PUT', `/api/conversations/${id}`, { body: { title: 'z'.repeat(200) } })).status, 200);
    });

    it('lists newest first by updated_at, paginated with an opaque cursor', async () => {
      const carol = await h.addUser('carol');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await h.call('POST', '/api/conversations', { user: carol, body: { title: `c${i}` } })).json.id as string);
      // Two rows with the very same updated_at, and one 456 µs later: ties break on id, and
      // a cursor rounded to milliseconds would lose a row here.
      await h.db.query('UPDATE conversations SET updated_at = $2 WHERE id = ANY($1::uuid[])', [[ids[1], ids[2]], new Date('2020-01-01T00:00:00.123Z')]);
      await h.db.query(`UPDATE conversations SET updated_at = '2020-01-01T00:00:00.123456Z' WHERE id = $1`, [ids[4]]);
      const expected = (
        await h.db.query<{ id: string }>('SELECT id FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC', [carol.id])
      ).rows.map((r) => r.id);
      assert.deepEqual(expected.slice(4, 5), [ids[4]], 'microseconds count');
      assert.deepEqual(new Set(expected.slice(5)), new Set([ids[1], ids[2]]));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
        const page = await h.call('GET', `/api/conversations${query}`, { user: carol });
        assert.equal(page.status, 200);
        assert.ok(page.json.conversations.length <= 3);
        seen.push(...page.json.conversations.map((c: { id: string }) => c.id));
        cursor = page.json.next_cursor as string | null;
        pages++;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, expected);
      assert.equal(pages, 3);

      const all = await h.call('GET', '/api/conversations', { user: carol });
      assert.equal(all.json.conversations.length, 7);
      assert.equal(all.json.next_cursor, null);
      assert.deepEqual(Object.keys(all.json.conversations[0]).sort(), ['created_at', 'favorited', 'id', 'max_tokens', 'model_tag', 'system_prompt', 'temperature', 'title', 'updated_at']);

      // A rename or a star does not move the conversation (only a message does).
      await h.call('PUT', `/api/conversations/${ids[0]}`, { user: carol, body: { title: 'renamed', favorited: true } });
      const top = await h.call('GET', '/api/conversations?limit=1', { user: carol });
      assert.equal(top.json.conversations[0].id, expected[0]);
      assert.equal(typeof top.json.next_cursor, 'string');
    });

    it('rejects out-of-range limits and cursors it did not issue', async () => {
      for (const query of ['?limit=0', '?limit=101', '?limit=abc']) {
        const res = await h.call('GET', `/api/conversations${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.json.error.code, 'VALIDATION_FAILED');
        assert.match(res.json.error.message, /limit/);
      }
      const forged = Buffer.from(JSON.stringify({ u: "2020-01-01'; DROP TABLE users; --", i: 'x' })).toString('base64url');
      for (const cursor of ['not-a-cursor', forged, Buffer.from('[1,2]').toString('base64url')]) {
        const res = await h.call('GET', `/api/conversations?cursor=${cursor}`);
        assert.equal(res.status, 400, cursor);
        assert.equal(res.json.error.code, 'CHAT_INVALID_CURSOR');
      }
    });

    it('deletes with content-type: application/json and no body (clients that set the header on every request)', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      // What web forwards for such a request: the header and an empty body (content-length: 0).
      const res = await h.app.inject({ method: 'DELETE', url: `/api/conversations/${id}`, headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json', 'content-length': '0' } });
      assert.equal(res.statusCode, 204, res.body);
      assert.equal((await h.call('GET', `/api/conversations/${id}`)).status, 404);
    });

    it('refuses a NUL character in title or model_tag with a 400 naming the field, storing nothing', async () => {
      const before = await h.db.query<{ n: string }>('SELECT count(*) AS n FROM conversations');
      const id = (await h.call('POST', '/api/conversations', { body: { title: 'clean' } })).json.id as string;
      for (const [method, path, body, field] of [
        ['POST', '/api/conversations', { title: 'a\u0000b' }, 'title'],
        ['POST', '/api/conversations', { model_tag: 'demo\u0000' }, 'model_tag'],
        ['PUT', `/api/conversations/${id}`, { title: '\u0000' }, 'title'],
        ['PUT', `/api/conversations/${id}`, { model_tag: 'x\u0000y' }, 'model_tag'],
      ] as const) {
        const res = await h.call(method, path, { body });
        assert.equal(res.status, 400, `${method} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.json.error.code, 'VALIDATION_FAILED');
        assert.equal(res.json.error.message, `body/${field} must not contain the NUL character (U+0000)`);
        assert.equal(res.json.error.trace_id, res.headers.get('x-trace-id'));
      }
      const after = await h.db.query<{ n: string }>('SELECT count(*) AS n FROM conversations');
      assert.equal(Number(after.rows[0]?.n), Number(before.rows[0]?.n) + 1, 'only the clean conversation was stored');
      assert.equal((await h.call('GET', `/api/conversations/${id}`)).json.title, 'clean');
    });

    it('refuses bodies that are not UTF-8 or hold a lone surrogate with 400 INVALID_UTF8, storing no U+FFFD', async () => {
      const before = await h.db.query<{ n: string }>('SELECT count(*) AS n FROM conversations');
      const auth = { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' };
      const latin1 = Buffer.concat([Buffer.from('{"title":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      const bad = await h.app.inject({ method: 'POST', url: '/api/conversations', headers: auth, payload: latin1 });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, 'INVALID_UTF8');
      assert.equal(bad.json().error.message, 'request body is not valid UTF-8 (byte 13 of 16)');
      assert.equal(bad.json().error.trace_id, bad.headers['x-trace-id']);
      const lone = await h.app.inject({ method: 'POST', url: '/api/conversations', headers: auth, payload: '{"title":"half a pair \\ud83d"}' });
      assert.equal(lone.statusCode, 400, lone.body);
      assert.equal(lone.json().error.code, 'INVALID_UTF8');
      assert.equal(lone.json().error.message, 'body/title holds a lone surrogate (U+D83D), which is not valid Unicode text');
      const pair = await h.app.inject({ method: 'POST', url: '/api/conversations', headers: auth, payload: '{"title":"a whole pair \\ud83d\\ude00"}' });
      assert.equal(pair.statusCode, 201, pair.body);
      assert.equal(pair.json().title, 'a whole pair \u{1F600}');
      const after = await h.db.query<{ n: string }>('SELECT count(*) AS n FROM conversations');
      assert.equal(Number(after.rows[0]?.n), Number(before.rows[0]?.n) + 1, 'only the well-formed title was stored');
      const replaced = await h.db.query<{ n: string }>("SELECT count(*) AS n FROM conversations WHERE title LIKE '%' || U&'\\FFFD' || '%'");
      assert.equal(Number(replaced.rows[0]?.n), 0, 'nothing stored as U+FFFD');
    });

    it('refuses a well-formed cursor whose date cannot exist with 400 CHAT_INVALID_CURSOR', async () => {
      const id = '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11';
      for (const u of ['2026-13-45T10:00:00.000000', '0000-01-01T00:00:00.000000', '2026-02-29T00:00:00.000000', '2026-04-31T00:00:00.000000', '2026-01-01T24:00:00.000000', '2026-01-01T23:60:00.000000']) {
        const cursor = Buffer.from(JSON.stringify({ u, i: id })).toString('base64url');
        const res = await h.call('GET', `/api/conversations?cursor=${cursor}`);
        assert.equal(res.status, 400, `${u}: ${res.text}`);
        assert.equal(res.json.error.code, 'CHAT_INVALID_CURSOR');
        assert.equal(res.json.error.trace_id, res.headers.get('x-trace-id'));
      }
      const leapDay = Buffer.from(JSON.stringify({ u: '2028-02-29T23:59:59.999999', i: id })).toString('base64url');
      assert.equal((await h.call('GET', `/api/conversations?cursor=${leapDay}`)).status, 200, 'a real date still pages');
    });

    it('answers 401 to a cached token whose user was deleted, and asks auth again next time', async () => {
      const gone = await h.addUser('soon-gone');
      assert.equal((await h.call('GET', '/api/conversations', { user: gone })).status, 200, 'the token is validated and cached');
      await h.db.query('DELETE FROM users WHERE id = $1', [gone.id]);
      const asked = h.auth.calls.length;
      const res = await h.call('POST', '/api/conversations', { user: gone, body: { title: 'orphan' } });
      assert.equal(h.auth.calls.length, asked, 'answered from the cache');
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json.error.code, 'CHAT_INVALID_TOKEN');
      assert.match(res.json.error.message, /no longer exists/);
      assert.equal(res.json.error.trace_id, res.headers.get('x-trace-id'));
      assert.equal(h.logs.find('request_failed').length, 0, 'not logged as a server failure');
      await h.call('GET', '/api/conversations', { user: gone });
      assert.equal(h.auth.calls.length, asked + 1, 'the token was forgotten: auth is asked again');
    });

    it("answers 404 CHAT_CONVERSATION_NOT_FOUND for another user's, a missing or a malformed id on every verb", async () => {
      const bobs = (await h.call('POST', '/api/conversations', { user: h.bob, body: { title: 'bob private' } })).json.id as string;
      await h.call('POST', `/api/conversations/${bobs}/messages`, { user: h.bob, body: { content: 'secret plans' } });
      const attempts = [bobs, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"];
      for (const id of attempts) {
        const path = `/api/conversations/${encodeURIComponent(id)}`;
        for (const [method, suffix, body] of [
          ['GET', '', undefined],
          ['PUT', '', { title: 'mine now' }],
          ['DELETE', '', undefined],
          ['POST', '/messages', { content: 'hi' }],
          ['POST', '/regenerate', {}],
        ] as const) {
          const res = await h.call(method, `${path}${suffix}`, { user: h.alice, body });
          assert.equal(res.status, 404, `${method} ${path}${suffix}`);
          assert.deepEqual(res.json.error.code, 'CHAT_CONVERSATION_NOT_FOUND');
          assert.equal(res.json.error.message, 'conversation not found');
        }
      }
      const bobView = await h.call('GET', `/api/conversations/${bobs}`, { user: h.bob });
      assert.equal(bobView.json.title, 'bob private');
      assert.equal(bobView.json.messages[0].content, 'secret plans');
      const aliceList = await h.call('GET', '/api/conversations?limit=100', { user: h.alice });
      assert.ok(!aliceList.json.conversations.some((c: { id: string }) => c.id === bobs));
      // Alice's attempt sent nothing to inference.
      assert.ok((await h.inference.calls()).every((c) => !c.body.messages.some((m) => m.content === 'hi')));
    });
  });
}
