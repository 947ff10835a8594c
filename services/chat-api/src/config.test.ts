import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { CHAT_DEFAULTS, configFromEnv } from './config.js';

const KEY = 'k'.repeat(32);

function problem(env: Record<string, string>): ConfigError {
  try {
    configFromEnv(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  throw new Error(`configFromEnv accepted ${JSON.stringify(env)}`);
}

describe('configFromEnv', () => {
  it('applies the embedded local defaults and freezes the result', () => {
    const config = configFromEnv({ INTERNAL_API_KEY: KEY });
    assert.equal(config.port, 8002);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.authUrl, 'http://127.0.0.1:8001');
    assert.equal(config.inferenceUrl, 'http://127.0.0.1:8003');
    assert.equal(config.maxConversationHistory, 50);
    assert.equal(config.maxTokenBudget, 6000);
    assert.equal(config.maxMessageChars, 16_000);
    assert.equal(config.maxStreamsPerUser, 3);
    assert.equal(config.authCacheTtlSeconds, 300);
    assert.equal(config.authCacheSize, 1024);
    assert.equal(config.authTimeoutMs, CHAT_DEFAULTS.authTimeoutMs);
    assert.equal(config.historyCacheChars, 16 * 1024 * 1024);
    assert.equal(config.localMode, false);
    assert.equal(config.database.migrateOnStart, false);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database));
  });

  it('reads every variable and normalises base URLs', () => {
    const config = configFromEnv({
      INTERNAL_API_KEY: ` ${KEY} `,
      HOST: '0.0.0.0',
      PORT: '9000',
      AUTH_URL: 'https://auth.internal:8443/',
      INFERENCE_URL: 'http://inference/prefix//',
      MAX_CONVERSATION_HISTORY: '10',
      MAX_TOKEN_BUDGET: '100',
      MAX_MESSAGE_CHARS: '500',
      MAX_STREAMS_PER_USER: '1',
      AUTH_CACHE_TTL_SECONDS: '0',
      AUTH_CACHE_SIZE: '5',
      HISTORY_CACHE_CHARS: '0',
      SAMOSACHAAT_LOCAL: 'true',
      MIGRATE_ON_START: 'yes',
    });
    assert.equal(config.internalApiKey, KEY);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9000);
    assert.equal(config.authUrl, 'https://auth.internal:8443');
    assert.equal(config.inferenceUrl, 'http://inference/prefix');
    assert.deepEqual(
      [config.maxConversationHistory, config.maxTokenBudget, config.maxMessageChars, config.maxStreamsPerUser, config.authCacheTtlSeconds, config.authCacheSize],
      [10, 100, 500, 1, 0, 5],
    );
    assert.equal(config.historyCacheChars, 0);
    assert.equal(config.localMode, true);
    assert.equal(config.database.migrateOnStart, true);
  });

  it('names the bad variable and never echoes the key', () => {
    assert.equal(problem({}).variable, 'INTERNAL_API_KEY');
    const short = problem({ INTERNAL_API_KEY: 'short-secret' });
    assert.equal(short.variable, 'INTERNAL_API_KEY');
    assert.equal(short.message.includes('short-secret'), false);
    for (const [name, value] of [
      ['PORT', '70000'],
      ['AUTH_URL', 'ftp://auth'],
      ['AUTH_URL', 'not a url'],
      ['INFERENCE_URL', 'http://x/?q=1'],
      ['MAX_CONVERSATION_HISTORY', '0'],
      ['MAX_TOKEN_BUDGET', '1.5'],
      ['MAX_MESSAGE_CHARS', 'many'],
      ['MAX_STREAMS_PER_USER', '-1'],
      ['AUTH_CACHE_TTL_SECONDS', '99999999'],
      ['AUTH_CACHE_SIZE', 'x'],
      ['HISTORY_CACHE_CHARS', '-1'],
      ['HISTORY_CACHE_CHARS', '2000000000'],
      ['SAMOSACHAAT_LOCAL', 'maybe'],
      ['DATABASE_URL', 'mysql://db'],
    ] as const) {
      const err = problem({ INTERNAL_API_KEY: KEY, [name]: value });
      assert.equal(err.variable, name, `${name}=${value}`);
      assert.ok(err.message.startsWith(`${name}: `));
    }
  });
});
