import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config.js';
import { connectionsCheckingIntervalMs, SERVER_TIMEOUT_DEFAULTS, serverTimeoutOptions, serverTimeoutsFromEnv } from './server-timeouts.js';

describe('serverTimeoutsFromEnv', () => {
  it('has defaults and reads the three variables', () => {
    assert.deepEqual({ ...serverTimeoutsFromEnv({}) }, { ...SERVER_TIMEOUT_DEFAULTS });
    const t = serverTimeoutsFromEnv({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000' });
    assert.deepEqual({ ...t }, { headersTimeoutMs: 2000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 61_000 });
    assert.ok(Object.isFrozen(t));
  });

  it('names the bad variable', () => {
    for (const [env, variable] of [
      [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
      [{ HTTP_HEADERS_TIMEOUT_MS: 'soon' }, 'HTTP_HEADERS_TIMEOUT_MS'],
      [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '-5' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
      [{ HTTP_HEADERS_TIMEOUT_MS: '9000', HTTP_REQUEST_TIMEOUT_MS: '5000' }, 'HTTP_HEADERS_TIMEOUT_MS'],
    ] as const) {
      assert.throws(() => serverTimeoutsFromEnv(env), (err: unknown) => err instanceof ConfigError && err.variable === variable, JSON.stringify(env));
    }
  });

  it('checks for expired connections often enough to keep the overshoot small', () => {
    assert.equal(connectionsCheckingIntervalMs(SERVER_TIMEOUT_DEFAULTS), 1000);
    assert.equal(connectionsCheckingIntervalMs({ ...SERVER_TIMEOUT_DEFAULTS, headersTimeoutMs: 600 }), 60);
    assert.equal(connectionsCheckingIntervalMs({ ...SERVER_TIMEOUT_DEFAULTS, headersTimeoutMs: 100 }), 50);
    const options = serverTimeoutOptions(SERVER_TIMEOUT_DEFAULTS);
    assert.equal(options.requestTimeout, 30_000);
    assert.equal(options.keepAliveTimeout, 72_000);
    assert.equal(options.http.headersTimeout, 10_000);
  });
});
