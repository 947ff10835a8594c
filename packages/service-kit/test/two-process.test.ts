import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { contractErrors } from '../../observability/test/support/log-capture.js';
import { eventually } from './support/http.js';
import { startService, type RunningService } from './support/process.js';
import type { TraceRecord } from '@samosachaat/observability';

const FIXTURE = 'packages/service-kit/test/fixtures/relay-service.ts';

describe('one trace across two real processes', () => {
  let leaf: RunningService;
  let front: RunningService;

  before(async () => {
    leaf = await startService(FIXTURE, { SERVICE_NAME: 'inference', LOG_LEVEL: 'info' });
    front = await startService(FIXTURE, { SERVICE_NAME: 'chat-api', LOG_LEVEL: 'info', DOWNSTREAM_URL: leaf.url });
  });

  after(async () => {
    await Promise.all([front?.stop(), leaf?.stop()]);
  });

  for (const [label, headers] of [
    ['a caller-supplied x-trace-id', { 'x-trace-id': '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e' }],
    ['a brand-new trace', {}],
  ] as const) {
    it(`carries ${label} through logs, headers and both ring buffers`, async () => {
      const res = await fetch(`${front.url}/relay`, { headers });
      assert.equal(res.status, 200);
      const traceId = res.headers.get('x-trace-id') as string;
      assert.match(traceId, /^[0-9a-f]{32}$/);
      if ('x-trace-id' in headers) assert.equal(traceId, headers['x-trace-id']);
      assert.equal(res.headers.get('traceparent')?.split('-')[1], traceId);
      const body = (await res.json()) as { trace: string; downstream: { trace: string; service: string } };
      assert.equal(body.trace, traceId);
      assert.equal(body.downstream.trace, traceId);
      assert.equal(body.downstream.service, 'inference');

      // Log lines in both processes carry the id, and every line keeps the contract.
      const frontLines = await eventually(() => {
        const l = front.lines.filter((x) => x.trace_id === traceId);
        return l.some((x) => x.message === 'http_request_completed') && l;
      });
      const leafLines = await eventually(() => {
        const l = leaf.lines.filter((x) => x.trace_id === traceId);
        return l.some((x) => x.message === 'http_request_completed') && l;
      });
      assert.deepEqual(frontLines.map((l) => l.message).sort(), ['downstream_called', 'http_request_completed']);
      assert.deepEqual(leafLines.map((l) => l.message).sort(), ['http_request_completed', 'leaf_answered']);
      for (const line of [...front.lines, ...leaf.lines]) assert.equal(contractErrors(line), null, JSON.stringify(line));
      assert.ok(frontLines.every((l) => l.service === 'chat-api'));
      assert.ok(leafLines.every((l) => l.service === 'inference'));

      // Each ring buffer holds the trace; the leaf's server span is the child of the front's client span.
      const frontTrace = (await (await fetch(`${front.url}/debug/traces/${traceId}`)).json()) as TraceRecord;
      const leafTrace = (await (await fetch(`${leaf.url}/debug/traces/${traceId}`)).json()) as TraceRecord;
      const frontServer = frontTrace.spans.find((s) => s.kind === 'server');
      const frontClient = frontTrace.spans.find((s) => s.kind === 'client');
      const leafServer = leafTrace.spans.find((s) => s.kind === 'server');
      assert.ok(frontServer && frontClient && leafServer);
      assert.equal(frontServer.service, 'chat-api');
      assert.equal(leafServer.service, 'inference');
      assert.equal(frontClient.parent_span_id, frontServer.span_id);
      assert.equal(leafServer.parent_span_id, frontClient.span_id);
      assert.equal(leafServer.attributes['samosachaat.trace_source'], 'traceparent');
      assert.equal(frontServer.parent_span_id, null, 'a trace id alone never invents a parent span');
      assert.equal(frontServer.attributes['http.route'], '/relay');
      assert.equal(leafServer.attributes['http.route'], '/leaf');
    });
  }
});
