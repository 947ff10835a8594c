import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { gather, localTraceSource, remoteTraceSource } from '../src/ops/trace-sources.js';
import { newInternalKey, startUpstream, type Upstream } from './support/harness.js';

const obs = createObservability(observabilityConfigFromEnv('web', { LOG_LEVEL: 'critical', TRACE_BUFFER_SIZE: '0' }), { registerGlobalTracer: false, runtimeMetrics: false, logDestination: { write: () => {} } });

describe('trace sources', () => {
  const key = newInternalKey();
  let odd: Upstream;
  before(async () => {
    odd = await startUpstream((app) => {
      // A service with its buffer off, one answering garbage, one failing.
      app.get('/off/debug/traces/:id', async (_request, reply) => reply.code(404).send({ error: { code: 'TRACES_DISABLED', message: 'off' } }));
      app.get('/other/debug/traces/:id', async (_request, reply) => reply.code(404).send('no json here'));
      app.get('/broken/debug/traces', async (_request, reply) => reply.code(500).send(''));
      app.get('/broken/debug/traces/:id', async (_request, reply) => reply.code(500).send({ error: { code: 'BOOM', message: 'boom' } }));
      app.get('/odd/debug/traces', async () => ({ traces: 'not a list' }));
    });
  });
  after(async () => {
    await odd?.close();
    await obs.shutdown();
  });

  it('treats a buffer that is off as holding nothing, and any other 404 or failure as unreachable', async () => {
    const off = remoteTraceSource('off', `${odd.url}/off`, { obs, internalApiKey: key });
    assert.equal(await off.get('a'.repeat(32)), undefined);
    const other = remoteTraceSource('other', `${odd.url}/other`, { obs, internalApiKey: key });
    await assert.rejects(other.get('a'.repeat(32)), /answered 404 \(unknown\)/);
    const broken = remoteTraceSource('broken', `${odd.url}/broken`, { obs, internalApiKey: key });
    await assert.rejects(broken.recent(5, false), /^Error: \/debug\/traces answered 500$/);
    await assert.rejects(broken.get('a'.repeat(32)), /answered 500: .*BOOM/);
    assert.deepEqual(await remoteTraceSource('odd', `${odd.url}/odd`, { obs, internalApiKey: key }).recent(5, false), []);
    const { results, unreachable } = await gather([off, broken], (s) => s.recent(5, false));
    assert.deepEqual(results, []);
    assert.deepEqual(unreachable.map((u) => u.service), ['off', 'broken']);
  });

  it("reads nothing from web's own buffer when TRACE_BUFFER_SIZE=0", async () => {
    const local = localTraceSource(obs);
    assert.deepEqual(await local.recent(10, false), []);
    assert.equal(await local.get('a'.repeat(32)), undefined);
  });
});
