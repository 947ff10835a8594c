import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, observabilityConfigFromEnv } from './config.js';

describe('observabilityConfigFromEnv', () => {
  it('has safe defaults', () => {
    const c = observabilityConfigFromEnv('auth', {});
    assert.deepEqual(
      { ...c },
      { service: 'auth', version: undefined, environment: undefined, logLevel: 'info', logFormat: 'json', logDir: undefined, logRetentionDays: 14, metricsEnabled: true, otlpEndpoint: undefined, traceBufferSize: 10_000 },
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
