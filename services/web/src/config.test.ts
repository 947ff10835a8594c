import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { configFromEnv, DEFAULT_UI_DIR } from './config.js';

const KEY = 'k'.repeat(40);

function configError(env: Record<string, string>): ConfigError {
  try {
    configFromEnv(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('configFromEnv', () => {
  it('has the embedded local defaults', () => {
    const config = configFromEnv({ INTERNAL_API_KEY: KEY });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.localMode, false);
    assert.equal(config.chatApiUrl, 'http://127.0.0.1:8002');
    assert.equal(config.authUrl, 'http://127.0.0.1:8001');
    assert.equal(config.inferenceUrl, 'http://127.0.0.1:8003');
    assert.equal(config.logDir, undefined);
    assert.equal(config.metricsScrapeIntervalMs, 5000);
    assert.equal(config.opsConsole, true);
    assert.equal(config.bodyLimitBytes, 1024 * 1024);
    assert.equal(config.uiDir, DEFAULT_UI_DIR);
    assert.ok(Object.isFrozen(config));
  });

  it('reads every variable, trimming trailing slashes from URLs and resolving folders', () => {
    const config = configFromEnv({
      INTERNAL_API_KEY: KEY,
      HOST: '0.0.0.0',
      PORT: '8080',
      SAMOSACHAAT_LOCAL: 'true',
      CHAT_API_URL: 'http://chat:8002/',
      AUTH_URL: 'https://auth.example.com/base/',
      INFERENCE_URL: 'http://inference:8003',
      LOG_DIR: 'relative/logs',
      WEB_PROXY_TIMEOUT_MS: '1000',
      WEB_PROXY_IDLE_TIMEOUT_MS: '2000',
      WEB_BODY_LIMIT_BYTES: '4096',
      METRICS_SCRAPE_INTERVAL_MS: '0',
      OPS_CONSOLE: 'false',
      WEB_DOCTOR_TIMEOUT_MS: '700',
      WEB_UI_DIR: '/srv/ui',
    });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8080);
    assert.equal(config.localMode, true);
    assert.equal(config.chatApiUrl, 'http://chat:8002');
    assert.equal(config.authUrl, 'https://auth.example.com/base');
    assert.match(config.logDir ?? '', /^\/.*relative\/logs$/);
    assert.deepEqual([config.proxyTimeoutMs, config.proxyIdleTimeoutMs, config.bodyLimitBytes, config.metricsScrapeIntervalMs, config.doctorTimeoutMs], [1000, 2000, 4096, 0, 700]);
    assert.equal(config.opsConsole, false);
    assert.equal(config.uiDir, '/srv/ui');
  });

  it('names the bad variable, never echoing the key', () => {
    assert.equal(configError({}).variable, 'INTERNAL_API_KEY');
    const short = configError({ INTERNAL_API_KEY: 'short-secret' });
    assert.equal(short.variable, 'INTERNAL_API_KEY');
    assert.doesNotMatch(short.message, /short-secret/);
    assert.equal(configError({ INTERNAL_API_KEY: KEY, PORT: 'http' }).variable, 'PORT');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, CHAT_API_URL: 'not a url' }).variable, 'CHAT_API_URL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, AUTH_URL: 'ftp://auth' }).variable, 'AUTH_URL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, INFERENCE_URL: 'http://x/?q=1' }).variable, 'INFERENCE_URL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, SAMOSACHAAT_LOCAL: 'maybe' }).variable, 'SAMOSACHAAT_LOCAL');
    assert.match(configError({ INTERNAL_API_KEY: KEY, METRICS_SCRAPE_INTERVAL_MS: '100' }).message, /must be 0 \(off\) or at least 500/);
    assert.equal(configError({ INTERNAL_API_KEY: KEY, WEB_BODY_LIMIT_BYTES: '10' }).variable, 'WEB_BODY_LIMIT_BYTES');
  });
});
