/**
 * ENGINE=openai behind the user API (README "Use the API"): the whole platform with inference
 * pointed at a stand-in OpenAI-compatible upstream. A tool call round-trips through web's
 * `/v1` with the real `openai` SDK — the tool definitions reach the upstream unchanged, its
 * tool-call deltas stream back unchanged, the tool result goes up again and the final answer
 * comes back — and `stop`, `top_p`, `seed`, `response_format` and `tool_choice` pass through.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

const MODEL = 'tool-model';
const TOOL = { type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

/** A stand-in OpenAI-compatible server: tool calls when tools are offered, text after a tool result. */
async function startUpstream(): Promise<{ url: string; bodies: Array<Record<string, unknown>>; server: Server }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created: 1, owned_by: 'test' }] }));
        return;
      }
      const body = JSON.parse(raw) as { messages: Array<{ role: string }>; tools?: unknown[] };
      bodies.push(body);
      const frame = (delta: Record<string, unknown>, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ role: 'assistant', content: '' }));
      const last = body.messages.at(-1);
      if (last?.role === 'tool') {
        for (const t of ['It is ', 'sunny ', 'in Pune.']) res.write(frame({ content: t }));
        res.write(frame({}, 'stop'));
      } else if (body.tools) {
        res.write(frame({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
        res.write(frame({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
        res.write(frame({ tool_calls: [{ index: 0, function: { arguments: '"Pune"}' } }] }));
        res.write(frame({}, 'tool_calls'));
      } else {
        res.write(frame({ content: '{"ok":true}' }));
        res.write(frame({}, 'stop'));
      }
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [], usage: { prompt_tokens: 21, completion_tokens: 7, total_tokens: 28 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies, server };
}

describe('ENGINE=openai through the user API: tools and parameters pass through', { timeout: scaled(240_000) }, () => {
  let platform: Platform;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let openai: OpenAI;

  before(async () => {
    upstream = await startUpstream();
    platform = await startPlatform({ ENGINE: 'openai', OPENAI_BASE_URL: upstream.url, OPENAI_MODEL: MODEL });
    const res = await fetch(`${platform.urls.web}/auth/keys`, { method: 'POST', headers: { authorization: `Bearer ${platform.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tools' }) });
    assert.equal(res.status, 201);
    const { key } = (await res.json()) as { key: string };
    openai = new OpenAI({ apiKey: key, baseURL: `${platform.urls.web}/v1`, maxRetries: 0, timeout: scaled(60_000) });
  });

  after(async () => {
    await platform?.stop();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it('says which engine runs in the start banner, not "demo"', () => {
    const banner = /inference\s+http\S+\s+metrics \S+\s+\(engine: ([^\n]+)\)/.exec(platform.output())?.[1] ?? '';
    assert.match(banner, /^openai, model tool-model at http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.doesNotMatch(banner, /demo/);
  });

  it('streams tool-call deltas back unchanged, then answers from the tool result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Pune?' }];
    const stream = await openai.chat.completions.create({ model: MODEL, messages, tools: [TOOL], tool_choice: 'auto', stream: true, stream_options: { include_usage: true } });
    const deltas: unknown[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) deltas.push(d);
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.deepEqual(deltas, [
      { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Pune"}' } },
    ]);
    assert.equal(finish, 'tool_calls');
    assert.equal(usage?.completion_tokens, 7);
    const sent = upstream.bodies.at(-1) as { tools: unknown; tool_choice: unknown };
    assert.deepEqual(sent.tools, [TOOL]);
    assert.equal(sent.tool_choice, 'auto');

    // The same call whole, then the tool result goes back up.
    const whole = await openai.chat.completions.create({ model: MODEL, messages, tools: [TOOL] });
    const call = whole.choices[0]?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(whole.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(call, { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Pune"}' } });
    const answer = await openai.chat.completions.create({
      model: MODEL,
      tools: [TOOL],
      messages: [...messages, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'It is sunny in Pune.');
    const up = upstream.bodies.at(-1) as { messages: unknown[] };
    assert.deepEqual(up.messages.slice(1), [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Pune"}' } }] },
      { role: 'tool', content: '{"sky":"sunny"}', tool_call_id: 'call_1' },
    ]);
  });

  it('passes stop, top_p, seed and response_format to the upstream', async () => {
    const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'json please' }], stop: ['END'], top_p: 0.5, seed: 42, response_format: { type: 'json_object' } });
    assert.equal(res.choices[0]?.message.content, '{"ok":true}');
    const sent = upstream.bodies.at(-1) as Record<string, unknown>;
    assert.deepEqual(sent.stop, ['END']);
    assert.equal(sent.top_p, 0.5);
    assert.equal(sent.seed, 42);
    assert.deepEqual(sent.response_format, { type: 'json_object' });
  });

  it('still refuses what no engine honours, naming it', async () => {
    await assert.rejects(openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], n: 3 }), (err) => err instanceof OpenAI.BadRequestError && err.param === 'n');
  });
});
