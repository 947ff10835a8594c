import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeService, record, span, type FakeService } from './support/fake-services.js';
import { eventually, newInternalKey, startWeb, type WebHarness } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const D = '9'.repeat(32);

interface TraceList {
  traces: Array<{ trace_id: string; root_name: string; services: string[]; span_count: number; error: boolean; start_time: string; duration_ms: number }>;
  unreachable: Array<{ service: string; error: string }>;
}

describe('/ops/api/traces', { timeout: scaled(60_000) }, () => {
  const key = newInternalKey();
  let chat: FakeService;
  let inference: FakeService;
  let web: WebHarness;

  before(async () => {
    chat = await fakeService('chat-api', key);
    inference = await fakeService('inference', key);
    // Trace A: chat-api's request and its generation in inference (in error).
    chat.traces.push(
      record([
        span({ trace_id: A, span_id: '1'.repeat(16), parent_span_id: 'f'.repeat(16), service: 'chat-api', name: 'POST /api/conversations/:id/messages', start_time: '2026-11-25T10:00:00.010Z', duration_ms: 900 }),
        span({ trace_id: A, span_id: '2'.repeat(16), parent_span_id: '1'.repeat(16), service: 'chat-api', name: 'POST inference', kind: 'client', start_time: '2026-11-25T10:00:00.050Z', duration_ms: 800 }),
      ]),
      // Trace C: a scrape, housekeeping.
      record([span({ trace_id: C, span_id: '5'.repeat(16), service: 'chat-api', name: 'GET /metrics', start_time: '2026-11-25T10:00:05.000Z' })]),
      // Trace D: another console's fan-out, caught before its root span (in a web that is not
      // this one) ended: rooted at the call to inference's trace API, housekeeping all the same.
      record([span({ trace_id: D, span_id: '7'.repeat(16), parent_span_id: 'e'.repeat(16), service: 'chat-api', name: 'GET inference /debug/traces', kind: 'client', start_time: '2026-11-25T10:00:06.000Z' })]),
    );
    inference.traces.push(
      record(
        [
          span({ trace_id: A, span_id: '3'.repeat(16), parent_span_id: '2'.repeat(16), service: 'inference', name: 'POST /v1/generate', start_time: '2026-11-25T10:00:00.060Z', duration_ms: 780 }),
          span({
            trace_id: A,
            span_id: '4'.repeat(16),
            parent_span_id: '3'.repeat(16),
            service: 'inference',
            name: 'chat demo',
            kind: 'internal',
            start_time: '2026-11-25T10:00:00.070Z',
            duration_ms: 760,
            status: 'error',
            attributes: { 'gen_ai.request.model': 'demo', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 40, 'gen_ai.response.time_to_first_token_ms': 35.5 },
            events: [{ name: 'gen_ai.first_token', time: '2026-11-25T10:00:00.105Z', attributes: { 'gen_ai.response.time_to_first_token_ms': 35.5 } }],
          }),
        ],
        true,
      ),
      // Trace B: inference only, newer.
      record([span({ trace_id: B, span_id: '6'.repeat(16), service: 'inference', name: 'GET /v1/models', start_time: '2026-11-25T10:00:03.000Z' })]),
      record([
        span({ trace_id: D, span_id: '8'.repeat(16), parent_span_id: '7'.repeat(16), service: 'inference', name: 'GET /debug/traces', start_time: '2026-11-25T10:00:06.001Z', attributes: { 'http.route': '/debug/traces' } }),
      ]),
    );
    web = await startWeb({ INTERNAL_API_KEY: key, CHAT_API_URL: chat.url, INFERENCE_URL: inference.url, AUTH_URL: 'http://127.0.0.1:9' });
  });
  after(async () => {
    await web?.close();
    await chat?.close();
    await inference?.close();
  });

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${web.url}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  it('merges every service buffer, newest first, hides housekeeping and names the services it could not read', async () => {
    const { status, body } = await get<TraceList>('/ops/api/traces?limit=50');
    assert.equal(status, 200);
    const ids = body.traces.map((t) => t.trace_id);
    assert.deepEqual(ids.filter((id) => id === A || id === B || id === C || id === D), [B, A]);
    const a = body.traces.find((t) => t.trace_id === A)!;
    assert.deepEqual(a.services, ['chat-api', 'inference']);
    assert.equal(a.span_count, 4);
    assert.equal(a.error, true);
    assert.equal(a.root_name, 'POST /api/conversations/:id/messages');
    assert.equal(a.start_time, '2026-11-25T10:00:00.010Z');
    assert.equal(a.duration_ms, 900);
    assert.equal('spans' in a, false);
    assert.deepEqual(body.unreachable.map((u) => u.service), ['auth']);
    assert.match(body.unreachable[0]!.error, /not reachable at http:\/\/127\.0\.0\.1:9/);
    // The services were asked with the internal key.
    assert.ok(chat.calls.some((c) => c.url.startsWith('/debug/traces?') && c.key === key));
  });

  it('shows housekeeping with all=true, filters errors with errors=true, and honours limit', async () => {
    const all = await get<TraceList>('/ops/api/traces?all=true');
    assert.ok(all.body.traces.some((t) => t.trace_id === C));
    assert.equal(all.body.traces.find((t) => t.trace_id === D)?.root_name, 'GET inference /debug/traces');
    const errors = await get<TraceList>('/ops/api/traces?errors=true');
    assert.ok(errors.body.traces.every((t) => t.error));
    assert.ok(errors.body.traces.some((t) => t.trace_id === A));
    assert.ok(chat.calls.some((c) => c.url.includes('errors=true')));
    const one = await get<TraceList>('/ops/api/traces?limit=1&all=true');
    assert.equal(one.body.traces.length, 1);
  });

  it('filters by service, status and duration, and names a bad filter in a 400', async () => {
    const ids = async (query: string) => (await get<TraceList>(`/ops/api/traces?${query}`)).body.traces.map((t) => t.trace_id).filter((id) => [A, B, C].includes(id));
    assert.deepEqual(await ids('service=chat-api'), [A]);
    assert.deepEqual(await ids('service=chat-api&all=true'), [C, A]);
    assert.deepEqual(await ids('service=inference'), [B, A]);
    // The fan-out reached inference, and stays hidden.
    assert.equal((await get<TraceList>('/ops/api/traces?service=inference')).body.traces.some((t) => t.trace_id === D), false);
    assert.deepEqual(await ids('status=ok'), [B]);
    assert.deepEqual(await ids('status=error'), [A]);
    assert.deepEqual(await ids('min_ms=500'), [A]);
    assert.deepEqual(await ids('min_ms=901'), []);
    for (const [query, pattern] of [
      ['service=db', /service must be one of web, chat-api, auth, inference/],
      ['status=bad', /status must be one of ok, error/],
      ['min_ms=-1', /min_ms must be a whole number from 0 to 3600000/],
    ] as const) {
      const res = await get<{ error: { code: string; message: string } }>(`/ops/api/traces?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.body.error.message, pattern);
    }
  });

  it("includes web's own spans: a proxied call is in web's buffer", async () => {
    const traceId = 'd'.repeat(32);
    await (await fetch(`${web.url}/api/conversations`, { headers: { 'x-trace-id': traceId } })).text();
    // The server span ends when the response closes: poll rather than race it.
    const mine = await eventually('both web spans of the proxied call', async () => {
      const { body } = await get<TraceList>('/ops/api/traces');
      const found = body.traces.find((t) => t.trace_id === traceId);
      return found?.span_count === 2 ? found : undefined;
    });
    assert.deepEqual(mine?.services, ['web']);
    assert.equal(mine?.root_name, 'GET /api/*');
    // The server span and the proxy's client span to chat-api (which answered 404).
    assert.equal(mine?.span_count, 2);
    assert.equal(mine?.error, false);
  });

  it('returns one trace with every span sorted by start and the generation figures', async () => {
    const { status, body } = await get<{ trace_id: string; services: string[]; spans: Array<{ span_id: string; service: string }>; generation: unknown; duration_ms: number }>(`/ops/api/traces/${A.toUpperCase()}`);
    assert.equal(status, 200);
    assert.equal(body.trace_id, A);
    assert.deepEqual(body.services, ['chat-api', 'inference']);
    assert.deepEqual(body.spans.map((s) => s.span_id[0]), ['1', '2', '3', '4']);
    assert.deepEqual(body.generation, { time_to_first_token_ms: 35.5, input_tokens: 12, output_tokens: 40, model: 'demo' });
    const b = await get<{ generation: unknown }>(`/ops/api/traces/${B}`);
    assert.equal(b.body.generation, null);
  });

  it('answers 404 for a trace nobody holds and 400 for a malformed id or parameter', async () => {
    const missing = await get<{ error: { code: string; message: string } }>(`/ops/api/traces/${'e'.repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'WEB_TRACE_NOT_FOUND');
    assert.match(missing.body.error.message, /not reachable: auth/);
    for (const [path, pattern] of [
      ['/ops/api/traces/xyz', /traceId must be a trace id/],
      ['/ops/api/traces?limit=0', /limit must be a whole number from 1 to 500, got "0"/],
      ['/ops/api/traces?limit=ten', /limit must be a whole number/],
      ['/ops/api/traces?errors=yes', /errors must be true or false, got "yes"/],
      ['/ops/api/traces?limt=5', /unknown query parameter "limt"/],
      ['/ops/api/traces?limit=1&limit=2', /limit must be given once/],
    ] as const) {
      const res = await get<{ error: { code: string; message: string } }>(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.code, 'WEB_INVALID_QUERY');
      assert.match(res.body.error.message, pattern);
    }
    const unknown = await get<{ error: { code: string } }>('/ops/api/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'WEB_OPS_API_NOT_FOUND');
  });

  it('reports a service that refuses the key as unreachable with its answer', async () => {
    const wrong = await startWeb({ INTERNAL_API_KEY: newInternalKey(), CHAT_API_URL: chat.url, INFERENCE_URL: inference.url });
    try {
      const res = await fetch(`${wrong.url}/ops/api/traces`);
      const body = (await res.json()) as TraceList;
      const chatFailure = body.unreachable.find((u) => u.service === 'chat-api');
      assert.match(chatFailure?.error ?? '', /\/debug\/traces answered 401/);
    } finally {
      await wrong.close();
    }
  });
});
