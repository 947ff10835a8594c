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

  it('recognises calls to housekeeping routes by name (method, callee, route), as a root too', () => {
    for (const name of ['GET auth /debug/traces', 'GET chat-api /debug/traces', 'GET inference /metrics']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), true, name);
    }
    for (const name of ['GET auth /auth/me', 'POST inference /generate', 'GET Auth /debug/traces', 'GET auth debug/traces']) {
      assert.equal(isHousekeepingTrace({ root_name: name }), false, name);
    }
  });

  it('reads the spans of a trace gathered before its root ended: any housekeeping request in it hides it', () => {
    // The console's fan-out seen before web's `GET /ops/api/traces` span ended: rooted at a
    // span named after nothing the root check knows, with a service's trace API inside.
    const fanOut = {
      root_name: 'collect traces',
      spans: [
        { name: 'collect traces', attributes: {} },
        { name: 'GET /debug/traces', attributes: { 'http.route': '/debug/traces', 'http.request.method': 'GET' } },
      ],
    };
    assert.equal(isHousekeepingTrace(fanOut), true);
    assert.equal(isHousekeepingTrace({ root_name: 'collect traces', spans: [{ name: 'collect traces', attributes: {} }, { name: 'GET inference /metrics' }] }), true);
    // A person's send calls inference and auth, never a housekeeping route: kept.
    const send = {
      root_name: 'send message',
      spans: [
        { name: 'send message', attributes: { 'http.route': '/api/conversations/:id/messages' } },
        { name: 'POST inference /generate', attributes: { 'peer.service': 'inference' } },
        { name: 'POST /generate', attributes: { 'http.route': '/generate' } },
        { name: 'db.messages.insert', attributes: { 'db.operation.name': 'insert' } },
      ],
    };
    assert.equal(isHousekeepingTrace(send), false);
    assert.equal(isHousekeepingTrace({ root_name: 'send message', spans: [] }), false);
  });
});

describe('isHousekeepingRoute', () => {
  it('is the same list for metrics routes', () => {
    assert.deepEqual(['/metrics', '/ready', '/ops/api/metrics', '/api/conversations', 'unmatched'].map(isHousekeepingRoute), [true, true, true, false, false]);
  });
});
