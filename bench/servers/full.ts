/**
 * Full-observability arm: the `@samosachaat/observability` plugin with its default
 * configuration — request context, one JSON access-log line per request to stdout (pino,
 * asynchronous), prom-client HTTP metrics plus runtime metrics, and a 100%-sampled SERVER
 * span per request into the in-memory ring buffer (TRACE_BUFFER_SIZE default) behind a
 * BatchSpanProcessor. Started by bench/run.ts as a child process with stdout on /dev/null.
 */
import Fastify from 'fastify';
import { createObservability, observabilityConfigFromEnv, observabilityPlugin } from '@samosachaat/observability';
import { announceFailure, announceReady, bindToParent, registerRoutes, repeatFromEnv } from './common.cjs';

async function main(): Promise<void> {
  bindToParent();
  const repeat = repeatFromEnv();
  const obs = createObservability(observabilityConfigFromEnv('bench', process.env));
  const app = Fastify({ logger: false });
  await app.register(observabilityPlugin, { obs, localMode: true });
  registerRoutes(app, repeat);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  announceReady(address.port, repeat);
}

main().catch(announceFailure);
