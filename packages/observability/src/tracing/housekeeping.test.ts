import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHousekeepingRoute, isHousekeepingTrace } from './housekeeping.js';

describe('isHousekeepingTrace', () => {
  it('recognises scrapes, probes, the trace API, the console (page and polling) and static assets, with any method', () => {
    for (const name of ['GET /metrics', 'GET /health', 'HEAD /health', 'GET /ready', 'GET /api/health', 'GET /debug/traces', 'GET /debug/traces/:traceId', 'GET /ops/api/traces', 'GET /ops/api/doctor', 'GET /ops', 'GET /ops/*', 'GET /assets/chat.js', 'GET /assets/styles.css', 'GET inference health', 'GET auth health', 'db.instances.heartbeat', 'db.messages.sweep_interrupted']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), true, name);
    }
  });

  it('keeps what people asked for (named or not), the chat pages, and roots that are not server requests', () => {
    for (const name of ['POST /api/*', 'send message', 'list conversations', 'login', 'GET /', 'GET /c/:conversationId', 'GET /ops/', 'GET /opsx', 'POST /api/conversations/:id/messages', 'GET /metrics/extra', 'GET /healthz', 'chat demo', 'oauth token', 'GET inference health check', 'db', 'db.', 'GET', '']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), false, name);
    }
  });
});

describe('isHousekeepingRoute', () => {
  it('is the same list for metrics routes', () => {
    assert.deepEqual(['/metrics', '/ready', '/ops/api/metrics', '/api/conversations', 'unmatched'].map(isHousekeepingRoute), [true, true, true, false, false]);
  });
});
