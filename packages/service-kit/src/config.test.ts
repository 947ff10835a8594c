import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, envBaseUrl, envInternalApiKey, envTrustProxy, observabilityConfigFromEnv } from './config.js';

describe('observabilityConfigFromEnv', () => {
  it('has safe defaults', () => {
    const c = observabilityConfigFromEnv('auth', {});
    assert.deepEqual(
      { ...c },
      { service: 'auth', version: undefined, environment: undefined, logLevel: 'info', logFormat: 'json', logDir: undefined, logRetentionDays: 14, metricsEnabled: true, otlpEndpoint: undefined, traceBufferSize: 10_000, dependencyProbeIntervalMs: 15_000 },
    );
    assert.ok(Object.isFrozen(c));
  });

  it('reads every variable', () => {
    const c = observabilityConfigFromEnv('auth', {
      LOG_LEVEL: 'WARNING', LOG_FORMAT: 'pretty', LOG_DIR: '/var/log/s', LOG_RETENTION_DAYS: '30', METRICS_ENABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4318', TRACE_BUFFER_SIZE: '500', ENVIRONMENT: 'prod', APP_VERSION: '1.0.0',
    });
    assert.equal(c.logLevel, 'warning');
    assert.equal(c.logFormat, 'pretty');
    assert.equal(c.logRetentionDays, 30);
    assert.equal(c.metricsEnabled, false);
    assert.equal(c.otlpEndpoint, 'http://tempo:4318');
    assert.equal(c.traceBufferSize, 500);
  });

  it('names the bad variable', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
      [{ LOG_RETENTION_DAYS: '0' }, 'LOG_RETENTION_DAYS'],
      [{ LOG_RETENTION_DAYS: 'two' }, 'LOG_RETENTION_DAYS'],
      [{ METRICS_ENABLED: 'maybe' }, 'METRICS_ENABLED'],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ TRACE_BUFFER_SIZE: '-1' }, 'TRACE_BUFFER_SIZE'],
      [{ LOG_DIR: '/proc/x' }, 'LOG_DIR'],
    ];
    for (const [env, variable] of cases) {
      assert.throws(() => observabilityConfigFromEnv('auth', env), (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}:`));
    }
  });
});

describe('envBaseUrl', () => {
  it('keeps origin and path without trailing slashes, falls back when unset', () => {
    assert.equal(envBaseUrl({}, 'AUTH_URL', 'http://127.0.0.1:8001'), 'http://127.0.0.1:8001');
    assert.equal(envBaseUrl({ AUTH_URL: ' https://auth.example.com/prefix// ' }, 'AUTH_URL', 'http://x'), 'https://auth.example.com/prefix');
  });

  it('refuses what is not an http(s) base URL, naming the variable and the value', () => {
    for (const [raw, problem] of [
      ['not a url', /must be an http\(s\) URL, got "not a url"/],
      ['ftp://files.example.com', /must be an http\(s\) URL/],
      ['http://a.example.com/?q=1', /must not carry a query or fragment/],
      ['http://a.example.com/#top', /must not carry a query or fragment/],
    ] as const) {
      assert.throws(() => envBaseUrl({ CHAT_API_URL: raw }, 'CHAT_API_URL', 'http://x'), (err: unknown) => err instanceof ConfigError && err.variable === 'CHAT_API_URL' && problem.test(err.message));
    }
  });
});

describe('envInternalApiKey', () => {
  it('returns a key of at least 32 characters', () => {
    const key = 'k'.repeat(32);
    assert.equal(envInternalApiKey({ INTERNAL_API_KEY: ` ${key} ` }, 'for tests'), key);
  });

  it('says why it is required, and never echoes a short key', () => {
    assert.throws(
      () => envInternalApiKey({}, 'the key shared with auth'),
      (err: unknown) => err instanceof ConfigError && err.message === 'INTERNAL_API_KEY: is required (the key shared with auth)',
    );
    const short = 'secret-but-short';
    assert.throws(
      () => envInternalApiKey({ INTERNAL_API_KEY: short }, 'x'),
      (err: unknown) => err instanceof ConfigError && /must be at least 32 characters, got 16$/.test(err.message) && !err.message.includes(short),
    );
  });
});

describe('envTrustProxy', () => {
  it('reads true, false and lists of proxy addresses and ranges', () => {
    assert.equal(envTrustProxy({}, 'TRUST_PROXY', false), false);
    assert.deepEqual(envTrustProxy({}, 'TRUST_PROXY', ['loopback']), ['loopback']);
    assert.equal(envTrustProxy({ TRUST_PROXY: 'TRUE' }, 'TRUST_PROXY', false), true);
    assert.equal(envTrustProxy({ TRUST_PROXY: 'off' }, 'TRUST_PROXY', ['loopback']), false);
    assert.deepEqual(envTrustProxy({ TRUST_PROXY: ' 10.0.0.0/8, 192.168.1.7 ,fd00::/8,uniquelocal,::1' }, 'TRUST_PROXY', false), ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'uniquelocal', '::1']);
  });

  it('refuses a hop count and anything that is not an address or range, naming the entry', () => {
    for (const [raw, shown] of [
      ['1', '"1"'],
      ['10.0.0.0/33', '"10.0.0.0/33"'],
      ['10.0.0.1, ingress-nginx', '"ingress-nginx"'],
      ['sometimes', '"sometimes"'],
      [',', '","'],
    ] as const) {
      assert.throws(() => envTrustProxy({ TRUST_PROXY: raw }, 'TRUST_PROXY', false), (err: unknown) => err instanceof ConfigError && err.variable === 'TRUST_PROXY' && err.message.includes(`got ${shown}`), raw);
    }
  });
});
