import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createObservability, type Observability } from '@samosachaat/observability';
import { httpServerOptions, observabilityConfigFromEnv, servicePlugin, SERVER_TIMEOUT_DEFAULTS } from '../src/index.js';
import { LogCapture } from '../../observability/test/support/log-capture.js';
import { silentConnection } from '../../../test/support/slow-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const HEX32 = /^[0-9a-f]{32}$/;

function metricValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Splits a raw HTTP answer into status, headers and JSON body. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; json: { error: { code: string; message: string; trace_id?: string } } } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, json: JSON.parse(body) };
}

describe('client errors and body-less requests', { timeout: scaled(60_000) }, () => {
  let app: FastifyInstance;
  let obs: Observability;
  let logs: LogCapture;
  let url: string;
  before(async () => {
    logs = new LogCapture();
    obs = createObservability(observabilityConfigFromEnv('client-errors', { LOG_LEVEL: 'debug' }), { logDestination: logs, registerGlobalTracer: false, runtimeMetrics: false });
    app = Fastify({ logger: false, ...httpServerOptions(obs, SERVER_TIMEOUT_DEFAULTS) });
    await app.register(servicePlugin, { obs, localMode: true });
    app.delete('/things/:id', async (request, reply) => reply.code(204).send());
    app.options('/things/:id', async (request) => ({ body: request.body ?? null }));
    app.post('/things', async (request) => ({ body: request.body }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.close();
    await obs.shutdown();
  });

  it('answers headers too large (431) with the error envelope, a trace id, a count and a log line', async () => {
    const closed = await silentConnection(url, { bytes: `GET /things HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, giveUpMs: scaled(10_000) });
    const answer = parseAnswer(closed.received);
    assert.equal(answer.status, 431);
    assert.equal(answer.json.error.code, 'HEADERS_TOO_LARGE');
    assert.equal(answer.json.error.message, 'the request headers are too large');
    assert.match(String(answer.json.error.trace_id), HEX32);
    assert.equal(answer.headers['x-trace-id'], answer.json.error.trace_id);
    assert.match(answer.headers.traceparent ?? '', new RegExp(`^00-${answer.json.error.trace_id}-[0-9a-f]{16}-0[23]$`), "a new trace with a random id: the random flag is set");
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    const line = logs.find('http_client_error').find((l) => l.trace_id === answer.json.error.trace_id);
    assert.equal(line?.status_code, 431);
    assert.equal(line?.error_code, 'HEADERS_TOO_LARGE');
    assert.equal(line?.level, 'warning');
    const { body } = await obs.metrics.render();
    assert.ok((metricValue(body, 'http_requests_total{method="OTHER",route="unmatched",status="431",service="client-errors"}') ?? 0) >= 1);
  });

  it('answers Transfer-Encoding with Content-Length (request smuggling shape) with a 400 envelope naming the parser error', async () => {
    const closed = await silentConnection(url, { bytes: 'POST /things HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n', giveUpMs: scaled(10_000) });
    const answer = parseAnswer(closed.received);
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error.code, 'MALFORMED_REQUEST');
    assert.match(answer.json.error.message, /^the request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)$/);
    assert.match(String(answer.json.error.trace_id), HEX32);
    assert.equal(closed.received.match(/^HTTP\/1\.1 \d{3} /gm)?.length, 1, 'one answer, and the connection closed');
  });

  it('accepts an empty body with content-type: application/json on DELETE and OPTIONS, not on POST', async () => {
    const json = { 'content-type': 'application/json' };
    const deleted = await fetch(`${url}/things/1`, { method: 'DELETE', headers: json });
    assert.equal(deleted.status, 204);
    const withLength = await app.inject({ method: 'DELETE', url: '/things/2', headers: { ...json, 'content-length': '0' } });
    assert.equal(withLength.statusCode, 204, withLength.body);
    const options = await app.inject({ method: 'OPTIONS', url: '/things/3', headers: { ...json, 'content-length': '0' } });
    assert.equal(options.statusCode, 200, options.body);
    assert.deepEqual(options.json(), { body: null });
    const post = await app.inject({ method: 'POST', url: '/things', headers: { ...json, 'content-length': '0' } });
    assert.equal(post.statusCode, 400);
    assert.equal(post.json().error.code, 'EMPTY_BODY');
    const poisoned = await app.inject({ method: 'POST', url: '/things', headers: json, payload: '{"__proto__":{"admin":true}}' });
    assert.equal(poisoned.statusCode, 400, 'prototype poisoning is still refused');
    const deleteWithBody = await app.inject({ method: 'DELETE', url: '/things/4', headers: json, payload: '{"x":1}' });
    assert.equal(deleteWithBody.statusCode, 204, 'a body that is there is still parsed');
  });
});
