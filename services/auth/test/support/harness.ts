import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { buildApp, configFromEnv, generateJwtKeys, loadJwtKeys, type AuthConfig, type AuthDatabase, type JwtKeys } from '../../src/index.js';
import { LogCapture } from './log-capture.js';

/** The auth app built in-process on a test database, with its log captured. */
export interface Harness {
  app: FastifyInstance;
  obs: Observability;
  logs: LogCapture;
  keys: JwtKeys;
  config: AuthConfig;
  internalApiKey: string;
  /** The value of one series in the Prometheus exposition (`name{labels}` as rendered). */
  metric(series: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts would, minus the process: a fresh key pair in a temp folder, an
 * INTERNAL_API_KEY unique to the harness, LOG_LEVEL=debug so every line is captured.
 */
export async function startHarness(db: AuthDatabase, env: Record<string, string> = {}, options: { now?: () => number } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-harness-'));
  const internalApiKey = `ik-${randomBytes(24).toString('hex')}`;
  // Login limits are counted in the database the suites share, per address, and every inject
  // comes from 127.0.0.1: suites that are not about the limit get a budget they cannot exhaust
  // (test/rate-limit.test.ts sets its own).
  const config = configFromEnv({ INTERNAL_API_KEY: internalApiKey, DATA_DIR: dir, LOGIN_RATE_LIMIT: '10000', ...env });
  const keys = await loadJwtKeys(await generateJwtKeys(join(dir, 'keys')));
  const logs = new LogCapture();
  const obs = createObservability(observabilityConfigFromEnv('auth', { LOG_LEVEL: 'debug' }), { logDestination: logs, registerGlobalTracer: false, runtimeMetrics: false });
  const app = await buildApp(config, { obs, db, keys, now: options.now, refreshTokenPurgeIntervalMs: 0 });
  await app.ready();
  return {
    app,
    obs,
    logs,
    keys,
    config,
    internalApiKey,
    async metric(series) {
      const { body } = await obs.metrics.render();
      // Rendered series carry service="auth" last: `name{a="b",service="auth"} 1`.
      const withService = series.includes('{') ? series.replace(/}$/, ',service="auth"}') : `${series}{service="auth"}`;
      const line = body.split('\n').find((l) => l.startsWith(`${withService} `));
      return line === undefined ? undefined : Number(line.slice(withService.length + 1));
    },
    async close() {
      await app.close();
      await obs.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A cookie a response set, by name. */
export function cookieOf(res: LightMyRequestResponse, name: string) {
  return (res.cookies as Array<{ name: string; value: string; path?: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; maxAge?: number; expires?: Date }>).find((c) => c.name === name);
}
