import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectionsCheckingIntervalMs } from '@samosachaat/service-kit';
import { startWeb, type WebHarness } from './support/harness.js';
import { slowBody } from '../../../test/support/slow-client.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('web: slow clients', { timeout: scaled(60_000) }, () => {
  let web: WebHarness;
  before(async () => {
    web = await startWeb({ HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1500' });
  });
  after(async () => web.close());

  it('closes an unauthenticated connection that trickles a body to the proxy within HTTP_REQUEST_TIMEOUT_MS', async () => {
    const bound = web.config.serverTimeouts.requestTimeoutMs;
    const closed = await Promise.all(
      Array.from({ length: 20 }, () => slowBody(web.url, { head: 'POST /auth/dev-login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json', bodyBytes: 1_000_000, trickleMs: 100, giveUpMs: scaled(30_000) })),
    );
    const slowest = Math.max(...closed.map((c) => c.elapsedMs));
    assert.ok(slowest <= bound + connectionsCheckingIntervalMs(web.config.serverTimeouts) + scaled(1000), `the last of 20 slow bodies was closed after ${Math.round(slowest)} ms; the bound is ${bound} ms`);
    for (const c of closed) assert.equal(c.status, 408, c.received);
  });
});
