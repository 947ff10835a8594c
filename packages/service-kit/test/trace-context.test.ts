/**
 * W3C Trace Context Level 2 end to end between two services: what a caller sends in
 * `traceparent` / `tracestate` reaches the next service as the specification says (the
 * `random` flag kept as received, set on traces this service starts; an invalid tracestate
 * dropped as a whole while the traceparent is still continued).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './support/app.js';
import { listen } from './support/http.js';
import { scaled } from '../../../test/support/timeouts.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const tp = (flags: string) => `00-${TRACE}-00f067aa0ba902b7-${flags}`;

describe('trace context across services', { timeout: scaled(30_000) }, () => {
  let front: TestApp;
  let back: TestApp;
  let frontUrl: string;
  before(async () => {
    back = await buildTestApp((app) => {
      app.get('/echo', async (request) => ({ traceparent: request.headers.traceparent ?? null, tracestate: request.headers.tracestate ?? null }));
    }, { service: 'back' });
    const backUrl = await listen(back.app);
    front = await buildTestApp((app) => {
      // A call inside a CLIENT span the SDK starts, as every service's outgoing calls are.
      app.get('/call', async () => (await app.obs.fetch(`${backUrl}/echo`, {}, { peerService: 'back' })).json());
    }, { service: 'front' });
    frontUrl = await listen(front.app);
  });
  after(async () => {
    await front.close();
    await back.close();
  });

  const call = async (headers: Record<string, string>) => {
    const res = await fetch(`${frontUrl}/call`, { headers });
    return { answer: res.headers.get('traceparent') ?? '', seen: (await res.json()) as { traceparent: string | null; tracestate: string | null } };
  };

  it('keeps the random flag (0x02) the caller set, on the answer and on outgoing calls', async () => {
    const { answer, seen } = await call({ traceparent: tp('03') });
    assert.match(answer, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-03$`));
    assert.match(String(seen.traceparent), new RegExp(`^00-${TRACE}-[0-9a-f]{16}-03$`));
  });

  it('leaves it unset when the caller left it unset (same trace id)', async () => {
    const { answer, seen } = await call({ traceparent: tp('01') });
    assert.ok(answer.endsWith('-01'), answer);
    assert.ok(String(seen.traceparent).endsWith('-01'), String(seen.traceparent));
  });

  it('sets it on a trace this service starts, and not on one named by x-trace-id', async () => {
    const started = await call({});
    assert.ok(started.answer.endsWith('-03'), started.answer);
    assert.ok(String(started.seen.traceparent).endsWith('-03'), String(started.seen.traceparent));
    const named = await call({ 'x-trace-id': 'a'.repeat(32) });
    assert.ok(String(named.seen.traceparent).endsWith('-01'), String(named.seen.traceparent));
  });

  it('passes a valid tracestate on unchanged, and drops an invalid one as a whole', async () => {
    const valid = await call({ traceparent: tp('03'), tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE' });
    assert.equal(valid.seen.tracestate, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const tooMany = await call({ traceparent: tp('03'), tracestate: Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',') });
    assert.equal(tooMany.seen.tracestate, null, 'more than 32 members: nothing propagated');
    assert.match(String(tooMany.seen.traceparent), new RegExp(`^00-${TRACE}-`), 'the traceparent is still continued');
    const oneBad = await call({ traceparent: tp('03'), tracestate: 'good=1,Bad=2' });
    assert.equal(oneBad.seen.tracestate, null, 'one invalid key: nothing propagated, not "good=1"');
  });
});
