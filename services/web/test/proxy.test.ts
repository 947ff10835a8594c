import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { eventually, FIXTURE_MARKERS, startUpstream, startWeb, type Upstream, type WebHarness } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

/** A gate the fake upstream waits on before writing the next event. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('the /api and /auth proxies', { timeout: scaled(60_000) }, () => {
  let chat: Upstream;
  let auth: Upstream;
  let web: WebHarness;
  const seen: Seen[] = [];
  const gates: Array<ReturnType<typeof gate>> = [];
  let written = 0;
  let streamClosed = false;
  let flood = { written: 0, backpressure: false, closed: false };

  before(async () => {
    chat = await startUpstream((app) => {
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      app.all('/api/echo', async (request, reply) => {
        seen.push({ method: request.method, url: request.url, headers: request.headers, body: String(request.body ?? '') });
        reply.code(201).header('x-upstream', 'chat-api').header('set-cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly']).header('content-type', 'application/json');
        return { ok: true };
      });
      app.delete('/api/nothing', async (_request, reply) => reply.code(204).send());
      app.get('/api/stream', (request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        reply.raw.on('close', () => (streamClosed = true));
        void (async () => {
          for (let i = 1; i <= 3; i++) {
            reply.raw.write(`data: {"token":"t${i}"}\n\n`);
            written = i;
            const g = gates[i - 1];
            if (g) await g.wait;
          }
          reply.raw.end('data: {"done":true}\n\n');
        })();
      });
      app.get('/api/flood', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'application/octet-stream' });
        reply.raw.on('close', () => (flood.closed = true));
        const chunk = Buffer.alloc(64 * 1024, 120);
        // Writes until the socket says "stop": a proxy that buffers would never say it.
        while (flood.written < 256 * 1024 * 1024) {
          flood.written += chunk.length;
          if (!reply.raw.write(chunk)) {
            flood.backpressure = true;
            return;
          }
        }
      });
      app.get('/api/hang', () => new Promise(() => {}));
      app.get('/v1/models', () => new Promise(() => {}));
      app.get('/api/cut', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        reply.raw.write('data: {"token":"only"}\n\n');
        setTimeout(() => reply.raw.socket?.destroy(), 50);
      });
    });
    auth = await startUpstream((app) => {
      app.get('/auth/providers', async (request) => ({ providers: ['dev'], cookie: request.headers.cookie ?? null }));
    });
    web = await startWeb({ CHAT_API_URL: chat.url, AUTH_URL: auth.url, WEB_BODY_LIMIT_BYTES: '2048', WEB_PROXY_TIMEOUT_MS: '400' });
  });
  after(async () => {
    for (const g of gates) g.open();
    await web?.close();
    await chat?.close();
    await auth?.close();
  });

  it('forwards method, path, query, body and the browser headers, and returns status, headers and every Set-Cookie', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${web.url}/api/echo?x=1&y=two`, {
      method: 'POST',
      headers: { authorization: 'Bearer abc.def', cookie: 'sid=1', 'content-type': 'application/json', accept: 'application/json', 'x-trace-id': traceId, 'x-internal-api-key': 'must-not-pass', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ content: 'hello' }),
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(res.headers.get('x-upstream'), 'chat-api');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    assert.equal(res.headers.get('x-trace-id'), traceId);
    const call = seen.at(-1) as Seen;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/api/echo?x=1&y=two');
    assert.equal(call.body, '{"content":"hello"}');
    assert.equal(call.headers.authorization, 'Bearer abc.def');
    assert.equal(call.headers.cookie, 'sid=1');
    assert.equal(call.headers['content-type'], 'application/json');
    assert.equal(call.headers.accept, 'application/json');
    assert.equal(call.headers['x-internal-api-key'], undefined);
    // One trace: the upstream is called inside web's span of the browser's trace id.
    assert.equal(call.headers['x-trace-id'], traceId);
    assert.match(String(call.headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.equal(call.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('proxies /auth/* to auth but serves /auth/complete and /auth/error itself', async () => {
    const providers = await fetch(`${web.url}/auth/providers`, { headers: { cookie: 'samosachaat_refresh=r1' } });
    assert.deepEqual(await providers.json(), { providers: ['dev'], cookie: 'samosachaat_refresh=r1' });
    for (const path of ['/auth/complete', '/auth/error?reason=access_denied']) {
      const page = await fetch(`${web.url}${path}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), new RegExp(FIXTURE_MARKERS.chat));
    }
  });

  it('answers 204 without a body', async () => {
    const res = await fetch(`${web.url}/api/nothing`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
  });

  it('delivers an SSE answer event by event: each event arrives while the upstream still holds the next', async () => {
    gates.push(gate(), gate(), gate());
    const res = await fetch(`${web.url}/api/stream`);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (let i = 1; i <= 3; i++) {
      while (!text.includes(`"t${i}"`)) {
        const { value, done } = await reader.read();
        assert.equal(done, false, `the stream ended before event ${i}`);
        text += decoder.decode(value, { stream: true });
      }
      // The upstream has written exactly this event and waits: nothing was held back.
      assert.equal(written, i);
      gates[i - 1]!.open();
    }
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.equal(text, 'data: {"token":"t1"}\n\ndata: {"token":"t2"}\n\ndata: {"token":"t3"}\n\ndata: {"done":true}\n\n');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    gates.length = 0;
    gates.push(gate());
    streamClosed = false;
    const controller = new AbortController();
    const res = await fetch(`${web.url}/api/stream`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /"t1"/);
    controller.abort();
    await eventually('the upstream to see its client leave', () => (streamClosed ? true : undefined));
    const line = await eventually('the access line of the aborted request', () => web.logs.find('http_request_completed').find((l) => l.path === '/api/stream' && l.client_disconnected === true));
    assert.equal(line.status_code, 200);
  });

  it('applies backpressure: a client that stops reading stops the upstream writing', async () => {
    flood = { written: 0, backpressure: false, closed: false };
    const req = httpRequest(`${web.url}/api/flood`);
    const response = new Promise<import('node:http').IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));
    req.end();
    const res = await response;
    res.pause();
    await eventually('the upstream to feel backpressure', () => (flood.backpressure ? true : undefined));
    // Socket buffers on three hops hold a few MiB at most; a buffering proxy would take it all.
    assert.ok(flood.written < 64 * 1024 * 1024, `the upstream wrote ${flood.written} bytes into a client that reads nothing`);
    res.destroy();
    await eventually('the upstream connection to close after the client left', () => (flood.closed ? true : undefined));
  });

  it('answers 503 with the error envelope and Retry-After when the upstream is down, and logs it once', async () => {
    const down = await startWeb({ CHAT_API_URL: 'http://127.0.0.1:9' });
    try {
      const res = await fetch(`${down.url}/api/conversations`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '2');
      const body = (await res.json()) as { error: { code: string; message: string; trace_id: string } };
      assert.equal(body.error.code, 'WEB_UPSTREAM_UNAVAILABLE');
      assert.match(body.error.message, /chat-api is unavailable/);
      assert.equal(body.error.trace_id, res.headers.get('x-trace-id'));
      const [failure] = down.logs.find('proxy_upstream_failed');
      assert.equal(failure?.upstream, 'chat-api');
      assert.equal(failure?.reason, 'connect');
    } finally {
      await down.close();
    }
  });

  it('answers /v1 in the OpenAI error shape when chat-api is down or slow: the SDK reads an APIError', async () => {
    const down = await startWeb({ CHAT_API_URL: 'http://127.0.0.1:9' });
    try {
      // The raw answer: same status and Retry-After as /api, OpenAI's body.
      const res = await fetch(`${down.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-sc-test' }, body: '{}' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '2');
      const body = (await res.json()) as { error: Record<string, unknown> };
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.code, 'service_unavailable');
      assert.equal(body.error.type, 'server_error');
      assert.equal(body.error.param, null);
      assert.match(String(body.error.message), /chat-api is unavailable/);
      // The official SDK, as a user drives it (no retries, so the 503 surfaces).
      const client = new OpenAI({ apiKey: 'sk-sc-test', baseURL: `${down.url}/v1`, maxRetries: 0 });
      const err = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => assert.fail('expected an APIError'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof APIError, String(err));
      assert.equal(err.status, 503);
      assert.equal(err.code, 'service_unavailable');
      assert.equal(err.type, 'server_error');
      assert.match(err.message, /chat-api is unavailable/);
      assert.equal(err.headers?.get('retry-after'), '2');
      // /api keeps samosaChaat's envelope.
      const api = await fetch(`${down.url}/api/conversations`);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'WEB_UPSTREAM_UNAVAILABLE');
    } finally {
      await down.close();
    }
    // Too slow: 504 in OpenAI's shape; a body over the limit: 413 in OpenAI's shape.
    const client = new OpenAI({ apiKey: 'sk-sc-test', baseURL: `${web.url}/v1`, maxRetries: 0 });
    const slow = await client.models.list().then(
      () => assert.fail('expected an APIError'),
      (e: unknown) => e,
    );
    assert.ok(slow instanceof APIError, String(slow));
    assert.equal(slow.status, 504);
    assert.equal(slow.code, 'timeout');
    assert.equal(slow.type, 'server_error');
    const big = await fetch(`${web.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x'.repeat(4096) }) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string; type: string } }).error.code, 'request_too_large');
  });

  it('answers 504 when the upstream sends no headers in time', async () => {
    const res = await fetch(`${web.url}/api/hang`);
    assert.equal(res.status, 504);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'WEB_UPSTREAM_TIMEOUT');
  });

  it('cuts the answer when the upstream dies mid-stream, and logs proxy_stream_failed', async () => {
    const res = await fetch(`${web.url}/api/cut`);
    await assert.rejects(res.text());
    await eventually('proxy_stream_failed', () => web.logs.find('proxy_stream_failed')[0]);
  });

  it('refuses paths that climb out of the prefix and bodies over the limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      // A path, not a URL: URL parsing would resolve the dot segments before sending.
      const { hostname, port } = new URL(web.url);
      httpRequest({ hostname, port, path: '/api/../debug/traces' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status, 400);
    const big = await fetch(`${web.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x'.repeat(4096) }) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'BODY_TOO_LARGE');
  });
});
