import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import Fastify, { type FastifyInstance } from 'fastify';
import { observabilityConfigFromEnv } from './config.js';
import { servicePlugin } from './fastify/service-plugin.js';

/** What a client gets when a handler throws: status, error envelope and headers. */
export interface ErrorAnswer {
  status: number;
  error: { code: string; message: string; trace_id?: string };
  retryAfter: string | undefined;
  traceId: string | undefined;
}

/** A bare app with the service kit's plugins, for tests of an error registry's behaviour. */
export interface ErrorAnswerApp {
  /** The app itself, e.g. to ask for a route it does not have. */
  readonly app: FastifyInstance;
  /** Throws `err` from a handler and returns what the client got. */
  answerTo(err: unknown): Promise<ErrorAnswer>;
  close(): Promise<void>;
}

/**
 * Builds a Fastify app with {@link servicePlugin} (the error handler included) and one route
 * that throws what it is given, so a service's tests check its error codes as a client sees them
 * (status, `{"error":{code,message,trace_id}}`, `Retry-After`) without starting the service.
 * Logs are discarded; nothing listens.
 */
export async function errorAnswerApp(service: string): Promise<ErrorAnswerApp> {
  const obs = createObservability(observabilityConfigFromEnv(service, { LOG_LEVEL: 'critical', TRACE_BUFFER_SIZE: '0' }), {
    registerGlobalTracer: false,
    runtimeMetrics: false,
    logDestination: { write: () => {} },
  });
  const app = Fastify({ logger: false });
  let thrown: unknown;
  await app.register(servicePlugin, { obs, localMode: true });
  app.get('/throw', async () => {
    throw thrown;
  });
  await app.ready();
  return {
    app,
    async answerTo(err) {
      thrown = err;
      const res = await app.inject({ method: 'GET', url: '/throw' });
      const body = res.json() as { error: ErrorAnswer['error'] };
      return { status: res.statusCode, error: body.error, retryAfter: res.headers['retry-after'] as string | undefined, traceId: res.headers['x-trace-id'] as string | undefined };
    },
    async close() {
      await app.close();
      await obs.shutdown();
    },
  };
}

/**
 * Finds an external binary a test needs (promtool, prometheus, prometheus-alertmanager,
 * prometheus-node-exporter, chromium, kubectl…). On a developer's machine a missing binary
 * skips the test with a loud message naming the Debian package; under CI=true it fails the
 * test, because CI installs everything the tests need and a skip there would hide a hole.
 */
export function requireBinary(t: TestContext, name: string, debianPackage: string = name): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path) return path;
  const message = `${name} is not installed: install it (Debian: apt-get install ${debianPackage}) to run this test`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  process.stderr.write(`\n!!! SKIPPED: ${message}\n\n`);
  t.skip(message);
  return undefined;
}
