import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, envBaseUrl, envBoolean, envInteger, envInternalApiKey, envText, serverTimeoutsFromEnv, type ServerTimeouts } from '@samosachaat/service-kit';

/** Which engine answers generations. */
export type EngineKind = 'demo' | 'openai' | 'llama';

/** The models the bundled demo engine offers. */
export const DEMO_MODELS = ['demo', 'demo-large'] as const;

/** Settings of the demo engine (ENGINE=demo). */
export interface DemoEngineConfig {
  /** Model loaded at start (`DEMO_MODEL`). */
  readonly model: string;
  /** Token rate; 0 streams as fast as possible (`DEMO_TOKENS_PER_SECOND`). */
  readonly tokensPerSecond: number;
  /** Simulated load time of a model (`DEMO_LOAD_MS`). */
  readonly loadMs: number;
  /** Fault injection: fail every generation after this many tokens (`DEMO_FAIL_AFTER_TOKENS`). */
  readonly failAfterTokens: number | undefined;
}

/** Settings of the OpenAI-compatible engine (ENGINE=openai). */
export interface OpenAiEngineConfig {
  /** Base URL ending before `/chat/completions`, e.g. `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  /** Model loaded at start. */
  readonly model: string;
  /** Longest silence allowed while waiting for headers or the next chunk. */
  readonly idleTimeoutMs: number;
}

/** Settings of the local llama.cpp engine (ENGINE=llama). */
export interface LlamaEngineConfig {
  /** The folder of GGUF files (`MODELS_DIR`, default `DATA_DIR/models`). */
  readonly modelsDir: string;
  /** Model loaded at start: a file name in `modelsDir`, with or without `.gguf` (`LLAMA_MODEL`). */
  readonly model: string | undefined;
  /** CPU threads used for decoding (`LLAMA_THREADS`). */
  readonly threads: number;
  /** Context size in tokens of each parallel sequence (`LLAMA_CONTEXT_SIZE`); 0 = the model's trained context, capped at 4096. */
  readonly contextSize: number;
  /** Load each file once in a child process before loading it here, so a malformed file that makes llama.cpp abort cannot take the service down (`LLAMA_PROBE`). */
  readonly probe: boolean;
}

/**
 * The default decoding threads: all cores but one (at least 1). Measured on a 2-core machine
 * with a tiny model: 1 thread decoded ~3,000 tokens/s, 2 threads ~90 and llama.cpp's own
 * default (all cores, contending with the HTTP side and other processes) 2–4 tokens/s.
 */
export function defaultLlamaThreads(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** The inference service's configuration, validated once at start and frozen. */
export interface InferenceConfig {
  readonly host: string;
  readonly port: number;
  readonly localMode: boolean;
  readonly internalApiKey: string;
  readonly engine: EngineKind;
  readonly workers: number;
  readonly queueLimit: number;
  readonly generationTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly maxMessages: number;
  readonly maxContentChars: number;
  readonly maxTokensLimit: number;
  readonly bodyLimitBytes: number;
  /**
   * OPENAI_COMPAT_API: serve inference's own OpenAI-compatible `/v1` (internal key as bearer),
   * for operators testing an engine directly inside the private network. Off by default: users
   * call chat-api's `/v1` with their own API keys (README "Use the API").
   */
  readonly openAiCompatApi: boolean;
  readonly demo: DemoEngineConfig;
  readonly openai: OpenAiEngineConfig | undefined;
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS (generation streams are never cut by them). */
  readonly serverTimeouts: ServerTimeouts;
  readonly llama: LlamaEngineConfig | undefined;
}

type Env = Record<string, string | undefined>;




function httpUrl(env: Env, name: string): string {
  if (envText(env, name) === undefined) throw new ConfigError(name, 'is required when ENGINE=openai (e.g. http://127.0.0.1:11434/v1)');
  return envBaseUrl(env, name, '');
}

function engineKind(env: Env): EngineKind {
  const raw = (envText(env, 'ENGINE') ?? 'demo').toLowerCase();
  if (raw !== 'demo' && raw !== 'openai' && raw !== 'llama') throw new ConfigError('ENGINE', `must be demo, openai or llama, got "${env.ENGINE}"`);
  return raw;
}

function demoConfig(env: Env): DemoEngineConfig {
  const model = envText(env, 'DEMO_MODEL') ?? 'demo';
  if (!(DEMO_MODELS as readonly string[]).includes(model)) throw new ConfigError('DEMO_MODEL', `must be one of ${DEMO_MODELS.join(', ')}, got "${model}"`);
  return Object.freeze({
    model,
    tokensPerSecond: envInteger(env, 'DEMO_TOKENS_PER_SECOND', 30, 0, 100_000),
    loadMs: envInteger(env, 'DEMO_LOAD_MS', 300, 0, 600_000),
    failAfterTokens: envText(env, 'DEMO_FAIL_AFTER_TOKENS') === undefined ? undefined : envInteger(env, 'DEMO_FAIL_AFTER_TOKENS', 0, 0, 1_000_000),
  });
}

function openAiConfig(env: Env): OpenAiEngineConfig {
  const baseUrl = httpUrl(env, 'OPENAI_BASE_URL');
  const model = envText(env, 'OPENAI_MODEL');
  if (model === undefined) throw new ConfigError('OPENAI_MODEL', 'is required when ENGINE=openai (the upstream model to serve, e.g. llama3.1:8b)');
  return Object.freeze({
    baseUrl,
    apiKey: envText(env, 'OPENAI_API_KEY'),
    model,
    idleTimeoutMs: envInteger(env, 'OPENAI_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
  });
}

function llamaConfig(env: Env): LlamaEngineConfig {
  const dataDir = resolve(envText(env, 'DATA_DIR') ?? '.data');
  return Object.freeze({
    modelsDir: resolve(envText(env, 'MODELS_DIR') ?? resolve(dataDir, 'models')),
    model: envText(env, 'LLAMA_MODEL'),
    threads: envInteger(env, 'LLAMA_THREADS', defaultLlamaThreads(), 1, 1024),
    contextSize: envInteger(env, 'LLAMA_CONTEXT_SIZE', 0, 0, 1_048_576),
    probe: envBoolean(env, 'LLAMA_PROBE', true),
  });
}

/**
 * Reads every variable the inference service uses, once, and throws a `ConfigError` naming
 * the bad variable. Defaults are the embedded local defaults (demo engine, port 8003).
 */
export function configFromEnv(env: Env = process.env): InferenceConfig {
  const internalApiKey = envInternalApiKey(env, 'at least 32 characters; `npm start` generates one');
  const engine = engineKind(env);
  return Object.freeze({
    host: envText(env, 'HOST') ?? '127.0.0.1',
    port: envInteger(env, 'PORT', 8003, 0, 65_535),
    localMode: envBoolean(env, 'SAMOSACHAAT_LOCAL', false),
    internalApiKey,
    engine,
    workers: envInteger(env, 'WORKERS', 2, 1, 1024),
    queueLimit: envInteger(env, 'QUEUE_LIMIT', 16, 0, 100_000),
    generationTimeoutMs: envInteger(env, 'GENERATION_TIMEOUT_MS', 300_000, 100, 86_400_000),
    shutdownTimeoutMs: envInteger(env, 'SHUTDOWN_TIMEOUT_MS', 30_000, 0, 86_400_000),
    maxMessages: envInteger(env, 'MAX_MESSAGES', 200, 1, 100_000),
    maxContentChars: envInteger(env, 'MAX_CONTENT_CHARS', 32_000, 1, 10_000_000),
    maxTokensLimit: envInteger(env, 'MAX_TOKENS_LIMIT', 4096, 1, 1_000_000),
    bodyLimitBytes: envInteger(env, 'BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    openAiCompatApi: envBoolean(env, 'OPENAI_COMPAT_API', false),
    demo: demoConfig(env),
    openai: engine === 'openai' ? openAiConfig(env) : undefined,
    serverTimeouts: serverTimeoutsFromEnv(env),
    llama: engine === 'llama' ? llamaConfig(env) : undefined,
  });
}
