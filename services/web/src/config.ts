import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, envBaseUrl, envBoolean, envInteger, envInternalApiKey, envText, envTrustProxy, serverTimeoutsFromEnv, type ServerTimeouts, type TrustProxy } from '@samosachaat/service-kit';

type Env = Readonly<Record<string, string | undefined>>;

/** The web service's settings, validated once at start and frozen. */
export interface WebConfig {
  readonly host: string;
  readonly port: number;
  /** SAMOSACHAAT_LOCAL: embedded local mode (console open to anyone, sourcemaps, no minifying). */
  readonly localMode: boolean;
  /** Base URL of chat-api; `/api/*` is proxied there (no trailing slash). */
  readonly chatApiUrl: string;
  /** Base URL of auth; `/auth/*` is proxied there. */
  readonly authUrl: string;
  /** Base URL of inference (the console reads its traces and metrics). */
  readonly inferenceUrl: string;
  readonly internalApiKey: string;
  /** LOG_DIR as an absolute path: where the console reads every service's log files. */
  readonly logDir: string | undefined;
  /** Time an upstream may take to answer with headers. */
  readonly proxyTimeoutMs: number;
  /** Longest silence allowed between two chunks of a proxied answer (streams included). */
  readonly proxyIdleTimeoutMs: number;
  /** Largest request body forwarded upstream, in bytes. */
  readonly bodyLimitBytes: number;
  /** How often the console scrapes every service's /metrics (0 = never). */
  readonly metricsScrapeIntervalMs: number;
  /** OPS_CONSOLE: serve /ops and /ops/api (admins only outside local mode). */
  readonly opsConsole: boolean;
  /** Per-check time budget of the console's doctor run. */
  readonly doctorTimeoutMs: number;
  /**
   * TRUST_PROXY: the proxies in front of web (an Ingress controller, a load balancer) whose
   * X-Forwarded-For names the client. The address found is the one web forwards to auth.
   */
  readonly trustProxy: TrustProxy;
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS. */
  readonly serverTimeouts: ServerTimeouts;
  /** Folder holding chat.html, ops.html, chat.ts, ops.ts and styles.css. */
  readonly uiDir: string;
}

/** Where the UI sources live in this repository. */
export const DEFAULT_UI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'ui');

/** The embedded local defaults. */
export const WEB_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 3000,
  chatApiUrl: 'http://127.0.0.1:8002',
  authUrl: 'http://127.0.0.1:8001',
  inferenceUrl: 'http://127.0.0.1:8003',
  // Longer than chat-api's own 30 s wait for inference, so its precise error reaches the browser.
  // Longer than chat-api's first-token deadline (ANSWER_FIRST_TOKEN_TIMEOUT_MS, 60 s): chat-api
  // holds a send's headers until the first token, and its own 504 must come through.
  proxyTimeoutMs: 75_000,
  proxyIdleTimeoutMs: 300_000,
  bodyLimitBytes: 1024 * 1024,
  metricsScrapeIntervalMs: 5000,
  doctorTimeoutMs: 10_000,
});


/**
 * Reads and validates every variable the web service uses; throws a `ConfigError` naming the
 * first bad one. The observability variables (LOG_LEVEL, LOG_DIR…) are read by
 * `observabilityConfigFromEnv`; LOG_DIR is read here too because the console reads the files.
 */
export function configFromEnv(env: Env = process.env): WebConfig {
  const d = WEB_DEFAULTS;
  const logDir = envText(env, 'LOG_DIR');
  const uiDir = envText(env, 'WEB_UI_DIR');
  return Object.freeze({
    host: envText(env, 'HOST') ?? d.host,
    port: envInteger(env, 'PORT', d.port, 0, 65_535),
    localMode: envBoolean(env, 'SAMOSACHAAT_LOCAL', false),
    chatApiUrl: envBaseUrl(env, 'CHAT_API_URL', d.chatApiUrl),
    authUrl: envBaseUrl(env, 'AUTH_URL', d.authUrl),
    inferenceUrl: envBaseUrl(env, 'INFERENCE_URL', d.inferenceUrl),
    internalApiKey: envInternalApiKey(env, 'the service-to-service key: the console reads /debug/traces with it'),
    logDir: logDir === undefined ? undefined : resolve(logDir),
    proxyTimeoutMs: envInteger(env, 'WEB_PROXY_TIMEOUT_MS', d.proxyTimeoutMs, 100, 600_000),
    proxyIdleTimeoutMs: envInteger(env, 'WEB_PROXY_IDLE_TIMEOUT_MS', d.proxyIdleTimeoutMs, 1000, 3_600_000),
    bodyLimitBytes: envInteger(env, 'WEB_BODY_LIMIT_BYTES', d.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    metricsScrapeIntervalMs: metricsInterval(env),
    opsConsole: envBoolean(env, 'OPS_CONSOLE', true),
    doctorTimeoutMs: envInteger(env, 'WEB_DOCTOR_TIMEOUT_MS', d.doctorTimeoutMs, 500, 120_000),
    trustProxy: envTrustProxy(env, 'TRUST_PROXY', false),
    serverTimeouts: serverTimeoutsFromEnv(env),
    uiDir: uiDir === undefined ? DEFAULT_UI_DIR : resolve(uiDir),
  });
}

function metricsInterval(env: Env): number {
  const ms = envInteger(env, 'METRICS_SCRAPE_INTERVAL_MS', WEB_DEFAULTS.metricsScrapeIntervalMs, 0, 3_600_000);
  // Faster than twice a second would make the console the platform's main load.
  if (ms !== 0 && ms < 500) throw new ConfigError('METRICS_SCRAPE_INTERVAL_MS', `must be 0 (off) or at least 500, got "${ms}"`);
  return ms;
}
