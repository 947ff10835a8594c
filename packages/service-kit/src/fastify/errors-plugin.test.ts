import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import Fastify from 'fastify';
import { observabilityConfigFromEnv } from '../config.js';
import { AppError, defineErrors } from './errors.js';
import { servicePlugin } from './service-plugin.js';

const obs = createObservability(observabilityConfigFromEnv('errors-test', { LOG_LEVEL: 'critical', TRACE_BUFFER_SIZE: '0' }), { registerGlobalTracer: false, runtimeMetrics: false, logDestination: { write: () => {} } });
const app = Fastify({ logger: false });
let thrown: unknown;
await app.register(servicePlugin, { obs, localMode: true });
app.get('/throw', async () => {
  throw thrown;
});
await app.ready();
after(async () => {
  await app.close();
  await obs.shutdown();
});

/** What a client gets when a handler throws `err`. */
async function answerTo(err: unknown) {
  thrown = err;
  const res = await app.inject({ method: 'GET', url: '/throw' });
  return { status: res.statusCode, body: res.json() as { error: { code: string; message: string; trace_id?: string } }, retryAfter: res.headers['retry-after'], traceId: res.headers['x-trace-id'] };
}

const hidden = defineErrors({ DEMO_NOT_FOUND: { status: 404, message: 'no such demo' }, DEMO_BROKEN: { status: 502, message: 'the demo upstream failed' } });
const shown = defineErrors({ DEMO_BUSY: { status: 503, message: 'the demo is busy; retry shortly' }, DEMO_LIMITED: { status: 429, message: 'too many demos' }, DEMO_BAD: { status: 400, message: 'bad demo' } }, { exposeServerErrors: true });

describe('a registry error thrown by a handler', () => {
  it('answers its status and the envelope with its code, message and the trace id of the answer', async () => {
    const res = await answerTo(hidden.DEMO_NOT_FOUND());
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { error: { code: 'DEMO_NOT_FOUND', message: 'no such demo', trace_id: res.traceId } });
    assert.match(String(res.traceId), /^[0-9a-f]{32}$/);
    assert.equal(res.retryAfter, undefined);
  });

  it('answers a more precise message given as a string or as options', async () => {
    assert.equal((await answerTo(hidden.DEMO_NOT_FOUND('no demo "x"'))).body.error.message, 'no demo "x"');
    assert.equal((await answerTo(shown.DEMO_BAD({ message: 'demo must be short' }))).body.error.message, 'demo must be short');
  });

  it('hides a 5xx message unless the registry exposes its server errors', async () => {
    assert.deepEqual((await answerTo(hidden.DEMO_BROKEN())).body.error.message, 'internal server error');
    const busy = await answerTo(shown.DEMO_BUSY());
    assert.deepEqual([busy.status, busy.body.error.code, busy.body.error.message], [503, 'DEMO_BUSY', 'the demo is busy; retry shortly']);
  });

  it('sends Retry-After (whole seconds, rounded up) when the error has retryAfterSeconds, and only then', async () => {
    const limited = await answerTo(shown.DEMO_LIMITED({ retryAfterSeconds: 42 }));
    assert.deepEqual([limited.status, limited.retryAfter, limited.body.error.message], [429, '42', 'too many demos']);
    assert.equal((await answerTo(shown.DEMO_BUSY({ retryAfterSeconds: 1.2 }))).retryAfter, '2');
    assert.equal((await answerTo(shown.DEMO_BUSY())).retryAfter, undefined);
    // Any AppError, and any error carrying the field (the database's unavailable error).
    assert.equal((await answerTo(new AppError('X_BUSY', 'busy', 503, true, 3))).retryAfter, '3');
    assert.equal((await answerTo(Object.assign(new Error('pool exhausted'), { statusCode: 503, retryAfterSeconds: 4 }))).retryAfter, '4');
  });

  it('answers an unexpected error as 500 INTERNAL_ERROR without its detail, and an unknown route as 404 NOT_FOUND', async () => {
    const res = await answerTo(new Error('db password wrong'));
    assert.deepEqual([res.status, res.body.error.code, res.body.error.message], [500, 'INTERNAL_ERROR', 'internal server error']);
    const missing = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    assert.deepEqual([missing.statusCode, missing.json().error.code, missing.json().error.message], [404, 'NOT_FOUND', 'no route for GET /nowhere']);
  });
});
