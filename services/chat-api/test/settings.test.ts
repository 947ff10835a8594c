import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendsUnderTest } from './support/databases.js';
import type { GenerateCall } from './support/fake-inference.js';
import { startHarness, type Harness } from './support/harness.js';
import { stream } from './support/sse.js';

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`settings and model per conversation [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
    });
    after(async () => {
      await h?.close();
    });

    async function callsSince(n: number): Promise<GenerateCall[]> {
      return (await h.inference.calls()).slice(n);
    }
    async function send(id: string, content: string, extra: Record<string, unknown> = {}): Promise<GenerateCall[]> {
      const n = (await h.inference.calls()).length;
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content, ...extra });
      assert.equal(res.status, 200, res.text);
      return callsSince(n);
    }

    it('stores the system prompt, temperature and max tokens and sends them with every send and regenerate', async () => {
      const created = await h.call('POST', '/api/conversations', { body: { system_prompt: 'You answer like a pirate.', temperature: 0.3, max_tokens: 99 } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual([created.json.system_prompt, created.json.temperature, created.json.max_tokens], ['You answer like a pirate.', 0.3, 99]);
      const id = created.json.id as string;

      const [first] = await send(id, 'Ahoy?');
      assert.deepEqual(first?.body, { messages: [{ role: 'system', content: 'You answer like a pirate.' }, { role: 'user', content: 'Ahoy?' }], temperature: 0.3, max_tokens: 99 });

      // Changed through the API: used at once (the cached guess is dropped).
      const put = await h.call('PUT', `/api/conversations/${id}`, { body: { system_prompt: 'Answer in haiku.', temperature: 1.25, max_tokens: null } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual([put.json.system_prompt, put.json.temperature, put.json.max_tokens], ['Answer in haiku.', 1.25, null]);
      const [second] = await send(id, 'Again');
      assert.equal(second?.body.messages[0]?.content, 'Answer in haiku.');
      assert.equal(second?.body.temperature, 1.25);
      assert.equal('max_tokens' in (second?.body ?? {}), false, 'null is inference’s default: not sent');

      // A request's own values win for that request.
      const [third] = await send(id, 'Once more', { temperature: 0, max_tokens: 5 });
      assert.deepEqual([third?.body.temperature, third?.body.max_tokens], [0, 5]);

      const n = (await h.inference.calls()).length;
      const regen = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
      assert.equal(regen.status, 200);
      const [again] = await callsSince(n);
      assert.equal(again?.body.messages[0]?.role, 'system');
      assert.equal(again?.body.messages[0]?.content, 'Answer in haiku.');
      assert.equal(again?.body.temperature, 1.25);

      // Changed elsewhere (another replica, psql): the send notices and starts over with it.
      await h.db.query(`UPDATE conversations SET system_prompt = 'Be brief.' WHERE id = $1`, [id]);
      const calls = await send(id, 'And now?');
      assert.equal(calls[calls.length - 1]?.body.messages[0]?.content, 'Be brief.');

      // Back to none.
      await h.call('PUT', `/api/conversations/${id}`, { body: { system_prompt: null, temperature: null } });
      const [plain] = await send(id, 'Plain');
      assert.equal(plain?.body.messages[0]?.role, 'user');
      assert.equal('temperature' in (plain?.body ?? {}), false);
    });

    it('refuses settings out of bounds with a 400 naming the field and its bounds', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      for (const [body, pattern] of [
        [{ temperature: 2.5 }, /temperature must be <= 2/],
        [{ temperature: -0.1 }, /temperature must be >= 0/],
        [{ temperature: 'hot' }, /temperature/],
        [{ max_tokens: 0 }, /max_tokens must be >= 1/],
        [{ max_tokens: 40_000 }, /max_tokens must be <= 32768/],
        [{ max_tokens: 1.5 }, /max_tokens/],
        [{ system_prompt: 'x'.repeat(8001) }, /system_prompt must NOT have more than 8000 characters/],
        [{ system_prompt: 'a\u0000b' }, /system_prompt/],
        [{ model_tag: 'gpt-imaginary' }, /model "gpt-imaginary" is not available; available models: demo, tiny/],
      ] as const) {
        for (const [method, path] of [
          ['PUT', `/api/conversations/${id}`],
          ['POST', '/api/conversations'],
        ] as const) {
          const res = await h.call(method, path, { body });
          assert.equal(res.status, 400, `${method} ${JSON.stringify(body).slice(0, 80)}: ${res.text.slice(0, 200)}`);
          assert.match(res.json.error.message, pattern);
        }
      }
      const unchanged = (await h.call('GET', `/api/conversations/${id}`)).json;
      assert.deepEqual([unchanged.system_prompt, unchanged.temperature, unchanged.max_tokens, unchanged.model_tag], [null, null, null, null]);
    });

    it('sends the conversation’s model and records it on each answer', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: { model_tag: 'demo' } })).json.id as string;
      await h.inference.script({ tokens: ['ok'] });
      const [first] = await send(id, 'one');
      assert.equal(first?.body.model, 'demo');
      assert.equal((await h.call('PUT', `/api/conversations/${id}`, { body: { model_tag: 'tiny' } })).status, 200);
      const [second] = await send(id, 'two');
      assert.equal(second?.body.model, 'tiny');
      const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages as Array<{ role: string; model_tag: string | null }>;
      assert.deepEqual(
        messages.filter((m) => m.role === 'assistant').map((m) => m.model_tag),
        ['demo', 'tiny'],
      );
    });
  });
}
