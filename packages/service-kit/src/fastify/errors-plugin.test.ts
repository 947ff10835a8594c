import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AppError, defineErrors } from './errors.js';
import { errorAnswerApp } from '../testing.js';

const errors = await errorAnswerApp('errors-test');
after(() => errors.close());
/** What a client gets when a handler throws `err`. */
const answerTo = errors.answerTo;

const hidden = defineErrors({ DEMO_NOT_FOUND: { status: 404, message: 'no such demo' }, DEMO_BROKEN: { status: 502, message: 'the demo upstream failed' } });
const shown = defineErrors({ DEMO_BUSY: { status: 503, message: 'the demo is busy; retry shortly' }, DEMO_LIMITED: { status: 429, message: 'too many demos' }, DEMO_BAD: { status: 400, message: 'bad demo' } }, { exposeServerErrors: true });

describe('a registry error thrown by a handler', () => {
  it('answers its status and the envelope with its code, message and the trace id of the answer', async () => {
    const res = await answerTo(hidden.DEMO_NOT_FOUND());
    assert.equal(res.status, 404);
    assert.deepEqual({ error: res.error }, { error: { code: 'DEMO_NOT_FOUND', message: 'no such demo', trace_id: res.traceId } });
    assert.match(String(res.traceId), /^[0-9a-f]{32}$/);
    assert.equal(res.retryAfter, undefined);
  });

  it('answers a more precise message given as a string or as options', async () => {
    assert.equal((await answerTo(hidden.DEMO_NOT_FOUND('no demo "x"'))).error.message, 'no demo "x"');
    assert.equal((await answerTo(shown.DEMO_BAD({ message: 'demo must be short' }))).error.message, 'demo must be short');
  });

  it('hides a 5xx message unless the registry exposes its server errors', async () => {
    assert.deepEqual((await answerTo(hidden.DEMO_BROKEN())).error.message, 'internal server error');
    const busy = await answerTo(shown.DEMO_BUSY());
    assert.deepEqual([busy.status, busy.error.code, busy.error.message], [503, 'DEMO_BUSY', 'the demo is busy; retry shortly']);
  });

  it('sends Retry-After (whole seconds, rounded up) when the error has retryAfterSeconds, and only then', async () => {
    const limited = await answerTo(shown.DEMO_LIMITED({ retryAfterSeconds: 42 }));
    assert.deepEqual([limited.status, limited.retryAfter, limited.error.message], [429, '42', 'too many demos']);
    assert.equal((await answerTo(shown.DEMO_BUSY({ retryAfterSeconds: 1.2 }))).retryAfter, '2');
    assert.equal((await answerTo(shown.DEMO_BUSY())).retryAfter, undefined);
    // Any AppError, and any error carrying the field (the database's unavailable error).
    assert.equal((await answerTo(new AppError('X_BUSY', 'busy', 503, true, 3))).retryAfter, '3');
    assert.equal((await answerTo(Object.assign(new Error('pool exhausted'), { statusCode: 503, retryAfterSeconds: 4 }))).retryAfter, '4');
  });

  it('answers an unexpected error as 500 INTERNAL_ERROR without its detail, and an unknown route as 404 NOT_FOUND', async () => {
    const res = await answerTo(new Error('db password wrong'));
    assert.deepEqual([res.status, res.error.code, res.error.message], [500, 'INTERNAL_ERROR', 'internal server error']);
    const missing = await errors.app.inject({ method: 'GET', url: '/nowhere?x=1' });
    assert.deepEqual([missing.statusCode, missing.json().error.code, missing.json().error.message], [404, 'NOT_FOUND', 'no route for GET /nowhere']);
  });
});
