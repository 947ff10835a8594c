import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, describeMetrics } from '@samosachaat/observability';
import { createInferenceMetrics } from './index.js';

describe('inference metrics', () => {
  it('registers exactly the documented families, with bounded labels and no service label of their own', () => {
    const metrics = createMetrics({ service: 'inference', runtime: false });
    createInferenceMetrics(metrics);
    assert.deepEqual(
      describeMetrics(metrics.registry).map((m) => `${m.name} ${m.type} ${m.labels.join(',')}`),
      [
        'inference_active_generations gauge service',
        'inference_generated_tokens_total counter service,model',
        'inference_generation_duration_seconds histogram service,model,outcome',
        'inference_inter_token_latency_seconds histogram service,model',
        'inference_model_load_duration_seconds histogram service,model',
        'inference_model_loaded gauge service,model',
        'inference_prompt_tokens_total counter service,model',
        'inference_queue_depth gauge service',
        'inference_queue_wait_seconds histogram service',
        'inference_rejected_total counter service,reason',
        'inference_time_to_first_token_seconds histogram service,model',
        'inference_workers gauge service',
        'inference_workers_busy gauge service',
      ],
    );
  });

  it('is a no-op when metrics are disabled', () => {
    const disabled = createMetrics({ service: 'inference', enabled: false });
    const m = createInferenceMetrics(disabled);
    m.generatedTokens.inc({ model: 'demo' });
    m.timeToFirstToken.observe({ model: 'demo' }, 0.1);
    assert.deepEqual(describeMetrics(disabled.registry), []);
  });
});
