import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { bindContext, createObservability, currentTraceId, markFirstByte } from '@samosachaat/observability';
import { AppError, observabilityConfigFromEnv, servicePlugin } from '../src/index.js';
import { buildTestApp } from './support/app.js';
import { requireBinary } from '../src/testing.js';
import { eventually, listen } from './support/http.js';
import { scaled } from '../../../test/support/timeouts.js';

const HEX32 = /^[0-9a-f]{32}$/;

function metricValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('observability plugin: requests', () => {
  it('writes one contract access line per request with the route template and no query string', async () => {
    const t = await buildTestApp((app) => {
      app.get('/api/conversations/:id', async () => ({ ok: true }));
    });
    const res = await t.app.inject({ method: 'GET', url: '/api/conversations/42?secret=1&x=2', headers: { 'user-agent': 'test-agent' } });
    assert.equal(res.statusCode, 200);
    const access = t.logs.find('http_request_completed');
    assert.equal(access.length, 1);
    const line = access[0] as Record<string, unknown>;
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/api/conversations/:id');
    assert.equal(line.path, '/api/conversations/42');
    assert.equal(line.status_code, 200);
    assert.equal(line.logger, 'http');
    assert.equal(line.user_agent, 'test-agent');
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(line.trace_id, res.headers['x-trace-id']);
    await t.close();
  });

  it('encodes each request\'s own path, user agent and client address, request after request', async () => {
    const t = await buildTestApp((app) => {
      app.get('/api/conversations/:id', async () => ({ ok: true }));
    });
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl';
    const sent = [
      { url: '/api/conversations/1', ua: 'agent-a', ip: '10.0.0.1' },
      { url: '/api/conversations/1?x=1', ua: 'agent-a', ip: '10.0.0.1' },
      { url: '/api/conversations/2', ua: `Bearer ${jwt}`, ip: '10.0.0.1' },
      { url: '/api/conversations/2', ua: undefined, ip: '10.0.0.2' },
      { url: '/api/conversations/%0A3', ua: 'agent\u0007b', ip: '10.0.0.2' },
      { url: '/api/conversations/1', ua: 'agent-a', ip: '10.0.0.1' },
    ];
    for (const r of sent) await t.app.inject({ url: r.url, remoteAddress: r.ip, headers: r.ua === undefined ? {} : { 'user-agent': r.ua } });
    const lines = t.logs.find('http_request_completed') as Record<string, unknown>[];
    assert.deepEqual(
      lines.map((l) => [l.path, l.user_agent, l.remote_addr]),
      [
        ['/api/conversations/1', 'agent-a', '10.0.0.1'],
        ['/api/conversations/1', 'agent-a', '10.0.0.1'],
        ['/api/conversations/2', 'Bearer [REDACTED]', '10.0.0.1'],
        ['/api/conversations/2', 'lightMyRequest', '10.0.0.2'], // inject's own default
        ['/api/conversations/%0A3', 'agent b', '10.0.0.2'],
        ['/api/conversations/1', 'agent-a', '10.0.0.1'],
      ],
    );
    for (const l of lines) assert.equal(Object.keys(l).filter((k) => k === 'path').length, 1);
    await t.close();
  });

  it('echoes a valid inbound trace id, ignores a malformed one, and always answers both headers', async () => {
    const t = await buildTestApp((app) => {
      app.get('/x', async () => ({ trace: currentTraceId() }));
    });
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const fromParent = await t.app.inject({ url: '/x', headers: { traceparent: tp } });
    assert.equal(fromParent.headers['x-trace-id'], '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match(String(fromParent.headers.traceparent), /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    assert.notEqual(String(fromParent.headers.traceparent).split('-')[2], '00f067aa0ba902b7', 'our span is a child, not the caller');
    assert.equal(fromParent.json().trace, '4bf92f3577b34da6a3ce929d0e0e4736');

    const fromUuid = await t.app.inject({ url: '/x', headers: { 'x-request-id': '123E4567-E89B-12D3-A456-426614174000' } });
    assert.equal(fromUuid.headers['x-trace-id'], '123e4567e89b12d3a456426614174000');

    const junk = await t.app.inject({ url: '/x', headers: { 'x-trace-id': 'zz-not-a-trace' } });
    assert.match(String(junk.headers['x-trace-id']), HEX32);
    assert.equal(JSON.stringify(junk.headers).includes('zz-not-a-trace'), false);
    await t.close();
  });

  it('keeps the context of each of many interleaved requests apart, bodies included', async () => {
    const t = await buildTestApp((app) => {
      app.post<{ Body: { n: number } }>('/work', async (request) => {
        bindContext({ user_id: String(request.headers['x-user']) });
        await sleep(Math.floor(Math.random() * 8));
        t.obs.logger.info({ n: request.body.n }, 'work_done');
        await Promise.all([sleep(1), sleep(2)]);
        return { trace: currentTraceId(), n: request.body.n };
      });
    });
    const base = await listen(t.app);
    const ids = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(32, 'a'));
    const answers = await Promise.all(
      ids.map(async (id, i) => {
        const r = await fetch(`${base}/work`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-trace-id': id, 'x-user': `user-${i}` }, body: JSON.stringify({ n: i }) });
        return { id, i, status: r.status, header: r.headers.get('x-trace-id'), body: (await r.json()) as { trace: string; n: number } };
      }),
    );
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.header, a.id);
      assert.equal(a.body.trace, a.id);
    }
    const done = t.logs.find('work_done');
    assert.equal(done.length, 60);
    for (const line of done) {
      const i = Number(line.n);
      assert.equal(line.trace_id, ids[i]);
      assert.equal(line.user_id, `user-${i}`);
    }
    for (const line of t.logs.find('http_request_completed')) {
      const i = ids.indexOf(String(line.trace_id));
      assert.ok(i >= 0);
      assert.equal(line.user_id, `user-${i}`);
    }
    await t.close();
  });
});

describe('observability plugin: slow bodies', () => {
  it('keeps the request context across a body that arrives after the headers', async () => {
    const t = await buildTestApp((app) => {
      app.post('/slow', async () => ({ trace: currentTraceId() ?? null }));
    });
    const base = await listen(t.app);
    const { port } = new URL(base);
    const { connect } = await import('node:net');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nx-trace-id: ${'b'.repeat(32)}\r\nConnection: close\r\n\r\n{"a"`);
        setTimeout(() => socket.end(':1}'), 50);
      });
      let raw = '';
      socket.on('data', (d) => (raw += d));
      socket.on('error', reject);
      socket.on('close', () => resolve(raw));
    });
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.equal(JSON.parse(answer.split('\r\n\r\n')[1] as string).trace, 'b'.repeat(32));
    await t.close();
  });
});

describe('observability plugin: errors', () => {
  it('answers the error envelope with the trace id, hides 5xx details and logs them', async () => {
    const t = await buildTestApp((app) => {
      app.get('/missing', async () => {
        throw new AppError('CHAT_CONVERSATION_NOT_FOUND', 'conversation not found', 404);
      });
      app.get('/crash', async () => {
        throw new RangeError('pool exhausted at db-7');
      });
      app.post('/typed', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 5 } } } } }, async () => ({}));
    });
    const missing = await t.app.inject({ url: '/missing' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'CHAT_CONVERSATION_NOT_FOUND', message: 'conversation not found', trace_id: missing.headers['x-trace-id'] } });

    const crash = await t.app.inject({ url: '/crash' });
    assert.equal(crash.statusCode, 500);
    assert.deepEqual(crash.json().error.code, 'INTERNAL_ERROR');
    assert.equal(crash.body.includes('db-7'), false);
    const failed = t.logs.find('request_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.error, 'pool exhausted at db-7');
    assert.equal(failed[0]?.error_type, 'RangeError');
    assert.equal(failed[0]?.level, 'error');
    assert.equal(failed[0]?.trace_id, crash.headers['x-trace-id']);

    const invalid = await t.app.inject({ method: 'POST', url: '/typed', payload: { name: 'far too long' } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'VALIDATION_FAILED');
    assert.match(invalid.json().error.message, /name/);

    const badJson = await t.app.inject({ method: 'POST', url: '/typed', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'INVALID_JSON');

    const nowhere = await t.app.inject({ url: '/nowhere?x=1' });
    assert.equal(nowhere.statusCode, 404);
    assert.equal(nowhere.json().error.code, 'NOT_FOUND');
    await t.close();
  });
});

describe('observability plugin: metrics', () => {
  it('records the exact status, route templates and route="unmatched"', async () => {
    const t = await buildTestApp((app) => {
      app.get('/flaky/:id', async (_req, reply) => reply.code(503).send({ error: { code: 'X', message: 'y' } }));
    });
    await t.app.inject({ url: '/flaky/1' });
    await t.app.inject({ url: '/flaky/2' });
    await t.app.inject({ url: '/no/such/path' });
    const body = (await t.app.inject({ url: '/metrics' })).body;
    assert.equal(metricValue(body, 'http_requests_total{method="GET",route="/flaky/:id",status="503",service="test-svc"}'), 2);
    assert.equal(metricValue(body, 'http_requests_total{method="GET",route="unmatched",status="404",service="test-svc"}'), 1);
    assert.equal(body.includes('/no/such/path'), false);
    assert.equal(body.includes('/flaky/1'), false);
    await t.close();
  });

  it('puts a stream\'s time to first byte in the latency histogram and its whole length in the stream histogram', async () => {
    const t = await buildTestApp((app) => {
      app.get('/sse', async (_req, reply) => {
        const stream = Readable.from(
          (async function* () {
            yield 'data: {"token":"a"}\n\n';
            await sleep(300);
            yield 'data: {"done":true}\n\n';
          })(),
        );
        return reply.type('text/event-stream').send(stream);
      });
    });
    const base = await listen(t.app);
    const res = await fetch(`${base}/sse`);
    assert.equal(await res.text(), 'data: {"token":"a"}\n\ndata: {"done":true}\n\n');
    await eventually(() => t.logs.find('http_request_completed').length === 1);
    const body = (await t.app.inject({ url: '/metrics' })).body;
    const latency = metricValue(body, 'http_request_duration_seconds_sum{method="GET",route="/sse",service="test-svc"}') as number;
    const whole = metricValue(body, 'http_stream_duration_seconds_sum{method="GET",route="/sse",service="test-svc"}') as number;
    assert.ok(latency < 0.2, `ttfb ${latency}`);
    assert.ok(whole >= 0.29, `stream ${whole}`);
    assert.equal(metricValue(body, 'http_stream_duration_seconds_count{method="GET",route="/sse",service="test-svc"}'), 1);
    const line = t.logs.find('http_request_completed')[0];
    assert.ok(Number(line?.ttfb_ms) < Number(line?.duration_ms));
    await t.close();
  });

  it('still records and logs a stream whose client went away, and hijacked replies', async () => {
    const t = await buildTestApp((app) => {
      app.get('/endless', async (_req, reply) => {
        const stream = new Readable({ read() {} });
        stream.push('data: {"token":"a"}\n\n');
        const timer = setInterval(() => stream.push('data: {"token":"b"}\n\n'), 20);
        stream.on('close', () => clearInterval(timer));
        return reply.type('text/event-stream').send(stream);
      });
      app.get('/hijacked', (request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        markFirstByte(request);
        reply.raw.write('data: {"token":"a"}\n\n');
        setTimeout(() => reply.raw.end('data: {"done":true}\n\n'), 50);
      });
    });
    const base = await listen(t.app);
    const controller = new AbortController();
    const res = await fetch(`${base}/endless`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const gone = await eventually(() => t.logs.find('http_request_completed').find((l) => l.route === '/endless'));
    assert.equal(gone.client_disconnected, true);
    assert.equal(gone.status_code, 200);

    const hijacked = await fetch(`${base}/hijacked`);
    assert.match(await hijacked.text(), /done/);
    const hj = await eventually(() => t.logs.find('http_request_completed').find((l) => l.route === '/hijacked'));
    assert.equal(hj.status_code, 200);
    assert.equal(typeof hj.ttfb_ms, 'number');

    const body = (await t.app.inject({ url: '/metrics' })).body;
    assert.equal(metricValue(body, 'http_stream_duration_seconds_count{method="GET",route="/endless",service="test-svc"}'), 1);
    assert.equal(metricValue(body, 'http_stream_duration_seconds_count{method="GET",route="/hijacked",service="test-svc"}'), 1);
    assert.equal(metricValue(body, 'http_requests_in_progress{method="GET",route="/endless",service="test-svc"}'), 0);
    await t.close();
  });

  it('serves /metrics that promtool accepts (runtime metrics included), and OpenMetrics when asked', async (ctx) => {
    const t = await buildTestApp((app) => {
      app.get('/ok', async () => ({}));
    }, { service: 'chat-api', runtimeMetrics: true });
    await t.app.inject({ url: '/ok' });
    await t.app.inject({ url: '/nope' });
    const res = await t.app.inject({ url: '/metrics' });
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const om = await t.app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(String(om.headers['content-type']), /^application\/openmetrics-text/);
    assert.match(om.body, /# EOF\n$/);
    await t.close();
    const promtool = requireBinary(ctx, 'promtool');
    if (!promtool) return;
    const check = spawnSync(promtool, ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool found lint problems');
  });

  it('METRICS_ENABLED=false: requests work, /metrics says metrics are off', async () => {
    const t = await buildTestApp((app) => {
      app.get('/ok', async () => ({ ok: 1 }));
    }, { env: { METRICS_ENABLED: 'false' } });
    assert.equal((await t.app.inject({ url: '/ok' })).statusCode, 200);
    const res = await t.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'METRICS_DISABLED');
    await t.close();
  });
});

describe('observability plugin: graceful close', () => {
  it('does not wait for idle keep-alive or silent connections, and lets an in-flight request finish', { timeout: scaled(20_000) }, async () => {
    let release!: () => void;
    const t = await buildTestApp((app) => {
      app.get('/slow', async () => {
        await new Promise<void>((r) => (release = r));
        return { finished: true };
      });
      app.get('/fast', async () => ({ ok: true }));
    });
    const base = await listen(t.app);
    const { port } = new URL(base);
    // A silent preconnect (no byte sent) and an idle keep-alive connection.
    const silent = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => silent.once('connect', r));
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => http.get(`${base}/fast`, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
    const inFlight = fetch(`${base}/slow`).then((r) => r.json());
    await eventually(() => release !== undefined);
    const started = Date.now();
    const closing = t.close();
    await sleep(200);
    release();
    assert.deepEqual(await inFlight, { finished: true });
    await closing;
    assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
    assert.equal(silent.destroyed || silent.readableEnded, true);
    agent.destroy();
    silent.destroy();
  });
});

describe('observability plugin: health, readiness, debug traces', () => {
  it('answers /health and /ready from the registered checks, and stops being ready while closing', async () => {
    let dbUp = true;
    const t = await buildTestApp((app) => {
      app.readiness.add('database', async () => {
        if (!dbUp) throw new Error('connection refused');
        return 'pglite';
      });
    });
    assert.deepEqual((await t.app.inject({ url: '/health' })).json().status, 'ok');
    const ready = await t.app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json().checks, [{ name: 'database', ok: true, detail: 'pglite' }]);
    dbUp = false;
    const down = await t.app.inject({ url: '/ready' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json().checks, [{ name: 'database', ok: false, detail: 'connection refused' }]);
    dbUp = true;
    t.app.readiness.startDraining();
    const draining = await t.app.inject({ url: '/ready' });
    assert.equal(draining.statusCode, 503);
    assert.equal(draining.json().status, 'draining');
    assert.equal(t.logs.find('http_request_completed').filter((l) => l.route === '/ready' && l.level === 'debug').length, 1, 'probe successes are quiet');
    await t.close();
  });

  it('at LOG_LEVEL=info, successful probes write no access line and other requests do', async () => {
    const t = await buildTestApp((app) => {
      app.get('/work', async () => ({}));
    }, { env: { LOG_LEVEL: 'info' } });
    await t.app.inject({ url: '/health' });
    await t.app.inject({ url: '/metrics' });
    await t.app.inject({ url: '/work' });
    assert.deepEqual(t.logs.find('http_request_completed').map((l) => [l.route, l.level]), [['/work', 'info']]);
    await t.close();
  });

  it('serves recent traces openly in local mode, by id and errors only', async () => {
    const t = await buildTestApp((app) => {
      app.get('/ok', async () => ({}));
      app.get('/bad', async () => {
        throw new Error('nope');
      });
    });
    const ok = await t.app.inject({ url: '/ok' });
    await t.app.inject({ url: '/bad' });
    const list = (await t.app.inject({ url: '/debug/traces?limit=10' })).json();
    assert.equal(list.count, 2);
    const errors = (await t.app.inject({ url: '/debug/traces?errors=true' })).json();
    assert.deepEqual(errors.traces.map((x: { root_name: string }) => x.root_name), ['GET /bad']);
    const one = await t.app.inject({ url: `/debug/traces/${String(ok.headers['x-trace-id'])}` });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().spans[0].attributes['http.response.status_code'], 200);
    assert.equal((await t.app.inject({ url: `/debug/traces/${'f'.repeat(32)}` })).json().error.code, 'TRACE_NOT_FOUND');
    for (const bad of ['limit=0', 'limit=5000', 'limit=abc', 'errors=yes']) {
      const res = await t.app.inject({ url: `/debug/traces?${bad}` });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED', bad);
    }
    assert.equal((await t.app.inject({ url: '/debug/traces?limit=1000' })).statusCode, 200);
    await t.close();
  });

  it('names a server span after its route (config.spanName) and says so in x-span-name; other routes keep METHOD /route', async () => {
    const t = await buildTestApp((app) => {
      app.post('/api/things/:id/messages', { config: { spanName: 'send message' } }, async () => ({}));
      app.get('/plain', async () => ({}));
    });
    const named = await t.app.inject({ method: 'POST', url: '/api/things/1/messages' });
    assert.equal(named.headers['x-span-name'], 'send message');
    const plain = await t.app.inject({ url: '/plain' });
    assert.equal(plain.headers['x-span-name'], undefined);
    const list = (await t.app.inject({ url: '/debug/traces?limit=10' })).json();
    const names = new Map(list.traces.map((x: { trace_id: string; root_name: string }) => [x.trace_id, x.root_name]));
    assert.equal(names.get(String(named.headers['x-trace-id'])), 'send message');
    assert.equal(names.get(String(plain.headers['x-trace-id'])), 'GET /plain');
    const span = (await t.app.inject({ url: `/debug/traces/${String(named.headers['x-trace-id'])}` })).json().spans[0];
    assert.equal(span.attributes['http.route'], '/api/things/:id/messages', 'the route template stays an attribute');
    await t.close();
  });

  it('keeps methods, routes and span names apart on a route serving several methods, request after request', async () => {
    const t = await buildTestApp((app) => {
      app.route({ method: ['GET', 'POST'], url: '/both/:id', config: { spanName: 'touch thing' }, handler: async () => ({}) });
      app.get('/other', async () => ({}));
    });
    const seen: Array<{ method: string; url: string; traceId: string; spanName: unknown }> = [];
    for (let i = 0; i < 3; i++) {
      for (const [method, url] of [['GET', `/both/${i}`], ['POST', `/both/${i}`], ['GET', '/other'], ['GET', `/nowhere/${i}`]] as const) {
        const res = await t.app.inject({ method, url });
        seen.push({ method, url, traceId: String(res.headers['x-trace-id']), spanName: res.headers['x-span-name'] });
      }
    }
    const body = (await t.app.inject({ url: '/metrics' })).body;
    assert.equal(metricValue(body, 'http_requests_total{method="GET",route="/both/:id",status="200",service="test-svc"}'), 3);
    assert.equal(metricValue(body, 'http_requests_total{method="POST",route="/both/:id",status="200",service="test-svc"}'), 3);
    assert.equal(metricValue(body, 'http_requests_total{method="GET",route="/other",status="200",service="test-svc"}'), 3);
    assert.equal(metricValue(body, 'http_requests_total{method="GET",route="unmatched",status="404",service="test-svc"}'), 3);
    const traces = (await t.app.inject({ url: '/debug/traces?limit=100' })).json().traces as Array<{ trace_id: string; root_name: string; spans: Array<{ attributes: Record<string, unknown> }> }>;
    const byId = new Map(traces.map((x) => [x.trace_id, x]));
    const lines = t.logs.find('http_request_completed') as Array<Record<string, unknown>>;
    for (const s of seen) {
      const trace = byId.get(s.traceId);
      const line = lines.find((l) => l.trace_id === s.traceId);
      const route = s.url.startsWith('/both/') ? '/both/:id' : s.url === '/other' ? '/other' : 'unmatched';
      assert.equal(trace?.root_name, route === '/both/:id' ? 'touch thing' : `${s.method} ${route}`, `${s.method} ${s.url}`);
      assert.equal(s.spanName, route === '/both/:id' ? 'touch thing' : undefined);
      assert.equal(trace?.spans[0]?.attributes['http.request.method'], s.method);
      assert.equal(trace?.spans[0]?.attributes['http.route'], route);
      assert.equal(line?.method, s.method);
      assert.equal(line?.route, route);
      assert.equal(line?.path, s.url);
    }
    await t.close();
  });

  it('serves /debug/traces?limit= in a service whose Ajv does not coerce types', async () => {
    const obs = createObservability(observabilityConfigFromEnv('strict-svc', { LOG_LEVEL: 'error' }), { logDestination: { write: () => undefined }, registerGlobalTracer: false, runtimeMetrics: false });
    const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false } } });
    await app.register(servicePlugin, { obs, localMode: true });
    const res = await app.inject({ url: '/debug/traces?limit=100&errors=false' });
    assert.equal(res.statusCode, 200, res.body);
    await app.close();
    await obs.shutdown();
  });

  it('guards /debug/traces with the internal key outside local mode', async () => {
    const key = `k-${Math.random().toString(36).slice(2)}`;
    const guarded = await buildTestApp(() => {}, { plugin: { localMode: false, internalApiKey: key } });
    assert.equal((await guarded.app.inject({ url: '/debug/traces' })).statusCode, 401);
    assert.equal((await guarded.app.inject({ url: '/debug/traces', headers: { 'x-internal-api-key': `${key}x` } })).statusCode, 401);
    assert.equal((await guarded.app.inject({ url: '/debug/traces', headers: { 'x-internal-api-key': key } })).statusCode, 200);
    await guarded.close();
    const closed = await buildTestApp(() => {}, { plugin: { localMode: false } });
    const res = await closed.app.inject({ url: '/debug/traces' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'DEBUG_API_DISABLED');
    await closed.close();
  });
});

describe('observability plugin: telemetry never fails a request', () => {
  it('answers normally when the log sink throws and when a metric throws', async () => {
    const t = await buildTestApp((app) => {
      app.get('/ok', async () => ({ ok: true }));
    });
    t.logs.write = () => {
      throw new Error('disk on fire');
    };
    assert.equal((await t.app.inject({ url: '/ok' })).statusCode, 200);
    const http = t.obs.http as { finish: (...args: unknown[]) => void };
    http.finish = () => {
      throw new Error('metric exploded');
    };
    const res = await t.app.inject({ url: '/ok' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { ok: true });
    await t.close();
  });
});
