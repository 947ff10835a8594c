import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHousekeepingRoute, isHousekeepingTrace } from './housekeeping.js';

describe('isHousekeepingTrace', () => {
  it('recognises scrapes, probes, the trace API and the console polling, with any method', () => {
    for (const name of ['GET /metrics', 'GET /health', 'HEAD /health', 'GET /ready', 'GET /api/health', 'GET /debug/traces', 'GET /debug/traces/:traceId', 'GET /ops/api/traces', 'GET /ops/api/doctor']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), true, name);
    }
  });

  it('keeps what people asked for, the console page itself, and roots that are not server requests', () => {
    for (const name of ['POST /api/*', 'GET /', 'GET /ops', 'GET /ops/', 'POST /api/conversations/:id/messages', 'GET /metrics/extra', 'GET /healthz', 'chat demo', 'GET', '']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), false, name);
    }
  });
});

describe('isHousekeepingRoute', () => {
  it('is the same list for metrics routes', () => {
    assert.deepEqual(['/metrics', '/ready', '/ops/api/metrics', '/api/conversations', 'unmatched'].map(isHousekeepingRoute), [true, true, true, false, false]);
  });
});
