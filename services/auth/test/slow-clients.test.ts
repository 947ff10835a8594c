import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connectionsCheckingIntervalMs } from '@samosachaat/service-kit';
import { openTestPglite, type OwnedDatabase } from './support/databases.js';
import { startHarness, type Harness } from './support/harness.js';
import { silentConnection, slowBody } from '../../../test/support/slow-client.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('auth: slow clients', { timeout: scaled(60_000) }, () => {
  let owned: OwnedDatabase;
  let h: Harness;
  let url: string;
  before(async () => {
    owned = await openTestPglite();
    h = await startHarness(owned.db, { SAMOSACHAAT_LOCAL: 'true', HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '1000' });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h.close();
    await owned.close();
  });

  it('closes a slow login body and a silent connection within their configured bounds', async () => {
    const { requestTimeoutMs, headersTimeoutMs } = h.config.serverTimeouts;
    const slack = connectionsCheckingIntervalMs(h.config.serverTimeouts) + scaled(1000);
    const [body, silent] = await Promise.all([
      slowBody(url, { head: 'POST /auth/dev-login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json', bodyBytes: 4000, trickleMs: 100, giveUpMs: scaled(30_000) }),
      silentConnection(url, { giveUpMs: scaled(30_000) }),
    ]);
    assert.equal(body.status, 408, body.received);
    assert.ok(body.elapsedMs >= requestTimeoutMs - 50 && body.elapsedMs <= requestTimeoutMs + slack, `slow body closed after ${Math.round(body.elapsedMs)} ms; the bound is ${requestTimeoutMs} ms`);
    assert.ok(silent.elapsedMs <= headersTimeoutMs + slack, `silent connection closed after ${Math.round(silent.elapsedMs)} ms; the bound is ${headersTimeoutMs} ms`);
  });
});
