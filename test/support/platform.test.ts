import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startupFailureReport } from './platform.js';

describe('startupFailureReport', () => {
  it('puts the lines of the service that died first, even when the others stopping pushed them out of the tail', () => {
    const out = [
      '{"level":"info","service":"inference","message":"service_started"}',
      '{"level":"critical","service":"chat-api","message":"listen_failed","err":{"code":"EADDRINUSE"}}',
      'chat-api: configuration error: PORT must be a port number',
      '  samosachaat start: chat-api exited during start-up (1); its output is above',
      ...Array.from({ length: 200 }, (_, i) => `{"level":"info","service":"auth","message":"service_stopping","n":${i}}`),
    ].join('\n');
    const report = startupFailureReport(out, 500);
    assert.match(report, /^chat-api's own lines:\n/);
    assert.match(report, /listen_failed/);
    assert.match(report, /chat-api: configuration error/);
    assert.doesNotMatch(report.split('--- the launcher')[0] ?? '', /"service":"auth"/);
    // The tail follows, as it was.
    assert.ok(report.endsWith(out.slice(-500)));
  });

  it('is the plain tail when no service is named as the one that exited', () => {
    assert.equal(startupFailureReport('a\nb\nc', 3), 'b\nc');
  });
});
