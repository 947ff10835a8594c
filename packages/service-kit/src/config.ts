import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { isLogLevel, LOG_LEVELS, type ObservabilityConfig } from '@samosachaat/observability';

/** A configuration problem, naming the variable at fault. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's trimmed value, or undefined when it is unset or blank. */
export function envText(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

/** A whole number from `min` to `max`; `fallback` when unset; a ConfigError naming `name` otherwise. */
export function envInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = envText(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** true/1/yes/on or false/0/no/off; `fallback` when unset; a ConfigError naming `name` otherwise. */
export function envBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = envText(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

/**
 * Which peers may tell a service the client's address (X-Forwarded-For): false (none: the
 * socket address is the client), true (any peer: only where nothing else can reach the
 * service), or the addresses/CIDR ranges of the trusted proxies. Not a hop count: Fastify
 * ignores one (it cannot tell a proxy from a client that adds enough entries itself).
 */
export type TrustProxy = boolean | readonly string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const slash = entry.lastIndexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY and the like: `false`, `true`, or comma-separated addresses, CIDR ranges and the
 * names loopback, linklocal (169.254.0.0/16, fe80::/10), uniquelocal (10.0.0.0/8,
 * 172.16.0.0/12, 192.168.0.0/16, fc00::/7). `fallback` when unset; a ConfigError naming
 * `name` otherwise.
 */
export function envTrustProxy(env: Env, name: string, fallback: TrustProxy): TrustProxy {
  const raw = envText(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (['false', 'no', 'off'].includes(lower)) return false;
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = entries.find((e) => !isAddressOrRange(e));
  if (bad !== undefined || entries.length === 0) {
    throw new ConfigError(name, `must be true, false, or comma-separated addresses/CIDR ranges of the proxies (or loopback, linklocal, uniquelocal), got "${bad ?? raw}"`);
  }
  return Object.freeze(entries);
}

/** An http(s) base URL without query or fragment, trailing slashes removed; `fallback` when unset. */
export function envBaseUrl(env: Env, name: string, fallback: string): string {
  const raw = envText(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigError(name, `must not carry a query or fragment, got "${raw}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The shortest INTERNAL_API_KEY any service accepts. */
export const INTERNAL_API_KEY_MIN_LENGTH = 32;

/**
 * INTERNAL_API_KEY, the service-to-service key: required and at least 32 characters. `why`
 * says what this service uses it for (it ends the "is required" message). Its value is never
 * echoed, not even when it is too short.
 */
export function envInternalApiKey(env: Env, why: string): string {
  const key = envText(env, 'INTERNAL_API_KEY');
  if (!key) throw new ConfigError('INTERNAL_API_KEY', `is required (${why})`);
  if (key.length < INTERNAL_API_KEY_MIN_LENGTH) throw new ConfigError('INTERNAL_API_KEY', `must be at least ${INTERNAL_API_KEY_MIN_LENGTH} characters, got ${key.length}`);
  return key;
}

function logDir(raw: string | undefined): string | undefined {
  const dir = raw?.trim();
  if (!dir) return undefined;
  // Kernel pseudo-filesystems: Node's recursive mkdir spins forever on them.
  if (/^\/(proc|sys)(\/|$)/.test(resolve(dir))) throw new ConfigError('LOG_DIR', `must be a normal directory, not under /proc or /sys, got "${dir}"`);
  return dir;
}

/**
 * Reads the observability variables of SPEC §2–§4 once, at start, and fails with a message
 * that names the bad variable: LOG_LEVEL, LOG_FORMAT, LOG_DIR, LOG_RETENTION_DAYS,
 * METRICS_ENABLED, OTEL_EXPORTER_OTLP_ENDPOINT, TRACE_BUFFER_SIZE, ENVIRONMENT, APP_VERSION.
 */
export function observabilityConfigFromEnv(service: string, env: Env = process.env): ObservabilityConfig {
  const level = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!isLogLevel(level)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const format = (env.LOG_FORMAT?.trim() || 'json').toLowerCase();
  if (format !== 'json' && format !== 'pretty') throw new ConfigError('LOG_FORMAT', `must be json or pretty, got "${env.LOG_FORMAT}"`);
  const otlp = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
  if (otlp !== undefined) {
    let url: URL;
    try {
      url = new URL(otlp);
    } catch {
      throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL, got "${otlp}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL, got "${otlp}"`);
  }
  return Object.freeze({
    service,
    version: env.APP_VERSION?.trim() || undefined,
    environment: env.ENVIRONMENT?.trim() || undefined,
    logLevel: level,
    logFormat: format,
    logDir: logDir(env.LOG_DIR),
    logRetentionDays: envInteger(env, 'LOG_RETENTION_DAYS', 14, 1, 3650),
    metricsEnabled: envBoolean(env, 'METRICS_ENABLED', true),
    otlpEndpoint: otlp,
    traceBufferSize: envInteger(env, 'TRACE_BUFFER_SIZE', 10_000, 0, 1_000_000),
    dependencyProbeIntervalMs: envInteger(env, 'DEPENDENCY_PROBE_INTERVAL_MS', 15_000, 100, 3_600_000),
  });
}
