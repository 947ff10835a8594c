import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { configFromEnv, defaultLlamaThreads } from './config.js';

const KEY = randomBytes(24).toString('hex');

describe('configFromEnv', () => {
  it('has the embedded local defaults and is frozen', () => {
    const c = configFromEnv({ INTERNAL_API_KEY: KEY });
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8003);
    assert.equal(c.engine, 'demo');
    assert.equal(c.workers, 2);
    assert.equal(c.queueLimit, 16);
    assert.equal(c.generationTimeoutMs, 300_000);
    assert.equal(c.maxMessages, 200);
    assert.equal(c.maxContentChars, 32_000);
    assert.equal(c.maxTokensLimit, 4096);
    assert.equal(c.localMode, false);
    assert.deepEqual({ ...c.demo }, { model: 'demo', tokensPerSecond: 30, loadMs: 300, failAfterTokens: undefined });
    assert.equal(c.openai, undefined);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.demo));
  });

  it('reads the openai engine settings and strips a trailing slash', () => {
    const c = configFromEnv({ INTERNAL_API_KEY: KEY, ENGINE: 'OpenAI', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1/', OPENAI_MODEL: 'llama3.1:8b', OPENAI_API_KEY: 'sk-x' });
    assert.equal(c.engine, 'openai');
    assert.deepEqual({ ...c.openai }, { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-x', model: 'llama3.1:8b', idleTimeoutMs: 60_000 });
  });

  it('reads the llama engine settings: MODELS_DIR under DATA_DIR, threads all cores but one', () => {
    const c = configFromEnv({ INTERNAL_API_KEY: KEY, ENGINE: 'llama', DATA_DIR: '/srv/samosachaat', LLAMA_MODEL: 'qwen.gguf' });
    assert.equal(c.engine, 'llama');
    assert.deepEqual({ ...c.llama }, { modelsDir: '/srv/samosachaat/models', model: 'qwen.gguf', threads: defaultLlamaThreads(), contextSize: 0, probe: true });
    const d = configFromEnv({ INTERNAL_API_KEY: KEY, ENGINE: 'llama', MODELS_DIR: '/models', LLAMA_THREADS: '3', LLAMA_CONTEXT_SIZE: '2048', LLAMA_PROBE: 'false' });
    assert.deepEqual({ ...d.llama }, { modelsDir: '/models', model: undefined, threads: 3, contextSize: 2048, probe: false });
    assert.deepEqual([defaultLlamaThreads(1), defaultLlamaThreads(2), defaultLlamaThreads(8)], [1, 1, 7]);
    assert.equal(configFromEnv({ INTERNAL_API_KEY: KEY }).llama, undefined);
  });

  it('names the bad variable', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'INTERNAL_API_KEY'],
      [{ INTERNAL_API_KEY: 'short' }, 'INTERNAL_API_KEY'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'vllm' }, 'ENGINE'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'llama', LLAMA_THREADS: '0' }, 'LLAMA_THREADS'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'llama', LLAMA_PROBE: 'maybe' }, 'LLAMA_PROBE'],
      [{ INTERNAL_API_KEY: KEY, PORT: '70000' }, 'PORT'],
      [{ INTERNAL_API_KEY: KEY, WORKERS: '0' }, 'WORKERS'],
      [{ INTERNAL_API_KEY: KEY, QUEUE_LIMIT: '-1' }, 'QUEUE_LIMIT'],
      [{ INTERNAL_API_KEY: KEY, MAX_TOKENS_LIMIT: '1.5' }, 'MAX_TOKENS_LIMIT'],
      [{ INTERNAL_API_KEY: KEY, SAMOSACHAAT_LOCAL: 'perhaps' }, 'SAMOSACHAAT_LOCAL'],
      [{ INTERNAL_API_KEY: KEY, DEMO_MODEL: 'gpt-4' }, 'DEMO_MODEL'],
      [{ INTERNAL_API_KEY: KEY, DEMO_TOKENS_PER_SECOND: 'fast' }, 'DEMO_TOKENS_PER_SECOND'],
      [{ INTERNAL_API_KEY: KEY, DEMO_FAIL_AFTER_TOKENS: '-2' }, 'DEMO_FAIL_AFTER_TOKENS'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'openai', OPENAI_MODEL: 'm' }, 'OPENAI_BASE_URL'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'openai', OPENAI_MODEL: 'm', OPENAI_BASE_URL: 'localhost:11434' }, 'OPENAI_BASE_URL'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'openai', OPENAI_MODEL: 'm', OPENAI_BASE_URL: 'ftp://x/v1' }, 'OPENAI_BASE_URL'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'openai', OPENAI_MODEL: 'm', OPENAI_BASE_URL: 'http://x/v1?key=1' }, 'OPENAI_BASE_URL'],
      [{ INTERNAL_API_KEY: KEY, ENGINE: 'openai', OPENAI_BASE_URL: 'http://x/v1' }, 'OPENAI_MODEL'],
    ];
    for (const [env, variable] of cases) {
      assert.throws(
        () => configFromEnv(env),
        (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}:`),
        `expected a ConfigError for ${variable} from ${JSON.stringify(env)}`,
      );
    }
  });

  it('never echoes the key in its error', () => {
    const short = 'abc-secret-abc';
    assert.throws(() => configFromEnv({ INTERNAL_API_KEY: short }), (err: Error) => !err.message.includes(short));
  });
});
