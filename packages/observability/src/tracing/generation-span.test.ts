import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentTraceId } from '../context/request-context.js';
import { startGenerationSpan } from './generation-span.js';
import { setupTracing } from './setup.js';

describe('startGenerationSpan', () => {
  it('records the first token, token counts, model and a completed outcome', async () => {
    const t = setupTracing({ serviceName: 'inference', registerGlobal: false });
    const gen = startGenerationSpan(t.tracer, { model: 'demo-small', provider: 'demo', inputTokens: 12, temperature: 0.7, maxTokens: 64 });
    await sleep(5);
    gen.tokens();
    gen.tokens(2);
    gen.run(() => assert.equal(currentTraceId(), gen.span.spanContext().traceId));
    gen.end({ outcome: 'completed', finishReason: 'stop' });
    gen.end({ outcome: 'upstream_error' }); // ignored
    await t.forceFlush();
    const span = t.traces!.recent()[0]?.spans[0];
    assert.equal(span?.name, 'chat demo-small');
    assert.equal(span?.status, 'unset');
    assert.equal(span?.attributes['gen_ai.request.model'], 'demo-small');
    assert.equal(span?.attributes['gen_ai.provider.name'], 'demo');
    assert.equal(span?.attributes['gen_ai.usage.input_tokens'], 12);
    assert.equal(span?.attributes['gen_ai.usage.output_tokens'], 3);
    assert.equal(span?.attributes['samosachaat.generation.outcome'], 'completed');
    assert.equal(span?.attributes['samosachaat.client_disconnected'], false);
    assert.deepEqual(span?.events.map((e) => e.name), ['gen_ai.first_token']);
    assert.ok(Number(span?.events[0]?.attributes['gen_ai.response.time_to_first_token_ms']) >= 4);
    await t.shutdown();
  });

  it('marks upstream errors as errors and client disconnects as not', async () => {
    const t = setupTracing({ serviceName: 'inference', registerGlobal: false });
    const failed = startGenerationSpan(t.tracer, { model: 'm' });
    failed.tokens();
    failed.end({ outcome: 'upstream_error', error: new Error('connection reset') });
    const left = startGenerationSpan(t.tracer, { model: 'm' });
    left.end({ outcome: 'client_disconnected', outputTokens: 7 });
    await t.forceFlush();
    const [leftTrace, failedTrace] = t.traces!.recent();
    assert.equal(failedTrace?.error, true);
    assert.equal(failedTrace?.spans[0]?.status_message, 'connection reset');
    assert.equal(leftTrace?.error, false);
    assert.equal(leftTrace?.spans[0]?.attributes['samosachaat.client_disconnected'], true);
    assert.equal(leftTrace?.spans[0]?.attributes['gen_ai.usage.output_tokens'], 7);
    await t.shutdown();
  });
});
